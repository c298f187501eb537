// The Webhooks view: the saved outbound requests. List, create (or paste a cURL command),
// edit, copy as cURL, test, delete to the "deleted" list, and restore.

import { useEffect, useMemo, useState } from "react";
import { api, ApiError, type CurlPaste, type DeletedWebhook } from "../api";
import type { Webhook } from "../bindings/Webhook";
import { Icon } from "../components/Icon";
import { TestPanel } from "../components/test/TestPanel";
import { useEditor } from "../store";
import { loadReference } from "../workspace";
import { blankWebhook, type FieldErrors, WebhookForm } from "./WebhookForm";

type Editing = { webhook: Webhook; isNew: boolean; errors: FieldErrors; dirty: boolean };

/** The paste-a-cURL dialog: parse, show caveats, offer to keep found credentials as a connector. */
function PasteCurlDialog({ onDone, onClose }: { onDone: (w: Webhook) => void; onClose: () => void }) {
  const say = useEditor((s) => s.say);
  const [command, setCommand] = useState("");
  const [parsed, setParsed] = useState<CurlPaste | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [connector, setConnector] = useState("");
  const [busy, setBusy] = useState(false);

  const parse = async () => {
    try {
      const result = await api.pasteCurl(command);
      setParsed(result);
      setError(null);
      if (result.credentials && !connector) setConnector(`${new URL(result.webhook.url.replace(/\$\{[^}]*\}/g, "x")).hostname.split(".").slice(-2, -1)[0] || "api"}_auth`);
    } catch (err) {
      setParsed(null);
      setError(ApiError.from(err).message);
    }
  };

  const accept = async () => {
    if (!parsed) return;
    setBusy(true);
    try {
      const webhook = { ...parsed.webhook };
      if (parsed.credentials) {
        await api.saveCurlCredentials(command, connector);
        await loadReference();
        webhook.connector = connector;
        say(`Saved connector ${connector}; its secret is in the keyring.`, "success");
      }
      onDone(webhook);
    } catch (err) {
      setError(ApiError.from(err).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="modal-backdrop">
      <div className="modal wide" role="dialog" aria-modal="true" aria-label="Paste a cURL command" data-testid="curl-dialog">
        <div className="panel-head">
          <h2 className="panel-title">Paste a cURL command</h2>
          <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
            <Icon name="close" />
          </button>
        </div>
        <textarea
          className="input mono"
          rows={8}
          data-testid="curl-input"
          aria-label="cURL command"
          placeholder={"curl -X POST https://api.example.com/contacts \\\n  -H 'Content-Type: application/json' \\\n  -d '{\"email\": \"ada@example.com\"}'"}
          value={command}
          onChange={(e) => {
            setCommand(e.target.value);
            setParsed(null);
          }}
        />
        {error && (
          <p className="field-issue error" data-testid="curl-error">
            {error}
          </p>
        )}
        {parsed && (
          <div className="curl-parsed" data-testid="curl-parsed">
            <p className="mono">
              <strong>{parsed.webhook.method}</strong> {parsed.webhook.url}
            </p>
            <p className="muted small">
              {parsed.webhook.query.length} query parameter(s), {parsed.webhook.headers.length} header(s), body {parsed.webhook.body.kind}
            </p>
            {parsed.warnings.map((w, i) => (
              <p key={i} className="field-issue warning">
                {w.flag && <span className="mono">{w.flag}: </span>}
                {w.message}
              </p>
            ))}
            {parsed.credentials && (
              <div className="field">
                <label className="field-label" htmlFor="curl-connector">
                  The command carries {parsed.credentials.kind === "basic" ? `Basic credentials for ${parsed.credentials.username ?? ""}` : "a Bearer token"}. Keep them as connector (secret in the OS keyring):
                </label>
                <input id="curl-connector" data-testid="curl-connector" className="input mono" value={connector} onChange={(e) => setConnector(e.target.value)} />
              </div>
            )}
          </div>
        )}
        <div className="row-actions">
          <span className="spacer" />
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          {parsed ? (
            <button type="button" className="btn primary" data-testid="curl-accept" disabled={busy} onClick={() => void accept()}>
              Create webhook
            </button>
          ) : (
            <button type="button" className="btn primary" data-testid="curl-parse" disabled={!command.trim()} onClick={() => void parse()}>
              Read command
            </button>
          )}
        </div>
      </div>
    </div>
  );
}

export function WebhooksView() {
  const webhooks = useEditor((s) => s.webhooks);
  const say = useEditor((s) => s.say);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [deleted, setDeleted] = useState<DeletedWebhook[] | null>(null);
  const [showDeleted, setShowDeleted] = useState(false);
  const [pasting, setPasting] = useState(false);
  const [curl, setCurl] = useState<string | null>(null);
  const [testing, setTesting] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);

  const refreshDeleted = () => api.listDeletedWebhooks().then(setDeleted, (e) => say(`Could not list deleted webhooks: ${ApiError.from(e).message}`, "error"));
  useEffect(() => {
    void refreshDeleted();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const open = (webhook: Webhook, isNew = false) => {
    setEditing({ webhook: structuredClone(webhook), isNew, errors: {}, dirty: isNew });
    setCurl(null);
    setTesting(false);
    setConfirmDelete(false);
  };

  const save = async () => {
    if (!editing) return false;
    try {
      await api.saveWebhook(editing.webhook, editing.isNew);
      await loadReference();
      setEditing({ ...editing, isNew: false, errors: {}, dirty: false });
      say(`Saved webhook ${editing.webhook.name}.`, "success");
      return true;
    } catch (err) {
      const e = ApiError.from(err);
      setEditing({ ...editing, errors: { [e.path ?? "webhook"]: e.message } });
      if (!e.path) say(`Could not save: ${e.message}`, "error");
      return false;
    }
  };

  const remove = async () => {
    if (!editing) return;
    try {
      await api.deleteWebhook(editing.webhook.name);
      await loadReference();
      await refreshDeleted();
      say(`Moved webhook ${editing.webhook.name} to the deleted list.`, "success");
      setEditing(null);
    } catch (err) {
      say(`Could not delete: ${ApiError.from(err).message}`, "error");
    }
  };

  const restore = async (d: DeletedWebhook) => {
    try {
      const webhook = await api.restoreWebhook(d.id);
      await loadReference();
      await refreshDeleted();
      say(`Restored webhook ${webhook.name}.`, "success");
      open(webhook);
    } catch (err) {
      say(`Could not restore ${d.webhook.name}: ${ApiError.from(err).message}`, "error");
    }
  };

  const copyCurl = async () => {
    if (!editing) return;
    try {
      const text = await api.webhookToCurl(editing.webhook);
      setCurl(text);
      try {
        await navigator.clipboard.writeText(text);
        say("Copied the cURL command to the clipboard.", "success");
      } catch {
        say("The cURL command is shown below; select it to copy.", "info");
      }
    } catch (err) {
      say(`Could not write the cURL command: ${ApiError.from(err).message}`, "error");
    }
  };

  const savedName = editing && !editing.isNew ? editing.webhook.name : null;
  const target = useMemo(() => (savedName === null ? null : { kind: "webhook" as const, name: savedName }), [savedName]);

  return (
    <div className="records-view" data-testid="webhooks-view">
      <aside className="records-list" aria-label="Webhooks">
        <div className="panel-head">
          <h2 className="panel-title">Webhooks</h2>
          <span className="spacer" />
          <button type="button" className="btn small" data-testid="paste-curl" onClick={() => setPasting(true)} title="Create a webhook from a cURL command">
            Paste cURL
          </button>
          <button type="button" className="icon-btn" data-testid="new-webhook" aria-label="New webhook" title="New webhook" onClick={() => open(blankWebhook(), true)}>
            <Icon name="plus" />
          </button>
        </div>
        {webhooks.length === 0 && <p className="muted small hint">No webhook yet. Create one with + or paste a cURL command.</p>}
        <ul className="record-items">
          {webhooks.map((w) => (
            <li key={w.name}>
              <button type="button" className={`record-item${editing?.webhook.name === w.name && !editing.isNew ? " selected" : ""}`} data-testid={`webhook-${w.name}`} onClick={() => open(w)}>
                <span className="mono">{w.name}</span>
                <span className="muted small">
                  {w.method} {w.url}
                </span>
              </button>
            </li>
          ))}
        </ul>
        <button type="button" className="link small" data-testid="show-deleted" aria-expanded={showDeleted} onClick={() => setShowDeleted(!showDeleted)}>
          {showDeleted ? "Hide" : "Show"} deleted ({deleted?.length ?? 0})
        </button>
        {showDeleted && (
          <ul className="record-items" data-testid="deleted-webhooks">
            {deleted?.length === 0 && <li className="muted small">Nothing deleted.</li>}
            {deleted?.map((d) => (
              <li key={d.id} className="deleted-item">
                <span>
                  <span className="mono">{d.webhook.name}</span>
                  <span className="muted small block">deleted {new Date(d.deleted_at).toLocaleString()}</span>
                </span>
                <button type="button" className="btn small" data-testid={`restore-${d.webhook.name}`} onClick={() => void restore(d)}>
                  Restore
                </button>
              </li>
            ))}
          </ul>
        )}
      </aside>
      <main className="records-detail">
        {!editing && <div className="empty-state">Pick a webhook to edit and test it, or create one.</div>}
        {editing && (
          <>
            <div className="panel-head detail-head">
              <h2 className="panel-title">{editing.isNew ? "New webhook" : editing.webhook.name}</h2>
              {editing.dirty && <span className="muted small">unsaved</span>}
              <span className="spacer" />
              <button type="button" className="btn small" data-testid="copy-curl" onClick={() => void copyCurl()}>
                <Icon name="copy" /> Copy as cURL
              </button>
              {!editing.isNew && (
                <button type="button" className="btn small" data-testid="test-webhook" aria-pressed={testing} onClick={() => setTesting(!testing)}>
                  Test
                </button>
              )}
              {!editing.isNew &&
                (confirmDelete ? (
                  <>
                    <button type="button" className="btn small danger" data-testid="confirm-delete-webhook" onClick={() => void remove()}>
                      Delete {editing.webhook.name}
                    </button>
                    <button type="button" className="btn small" onClick={() => setConfirmDelete(false)}>
                      Keep
                    </button>
                  </>
                ) : (
                  <button type="button" className="btn small" data-testid="delete-webhook" onClick={() => setConfirmDelete(true)}>
                    <Icon name="trash" /> Delete
                  </button>
                ))}
              <button type="button" className="btn primary small" data-testid="save-webhook" disabled={!editing.dirty} onClick={() => void save()}>
                Save
              </button>
            </div>
            {editing.errors.webhook && <p className="field-issue error">{editing.errors.webhook}</p>}
            {curl !== null && (
              <textarea className="input mono curl-output" readOnly rows={Math.min(12, curl.split("\n").length + 1)} data-testid="curl-output" aria-label="cURL command" value={curl} onFocus={(e) => e.target.select()} />
            )}
            <div className={testing ? "detail-split" : undefined}>
              <WebhookForm webhook={editing.webhook} isNew={editing.isNew} errors={editing.errors} onChange={(webhook) => setEditing({ ...editing, webhook, dirty: true })} />
              {testing && target && (
                <div className="detail-test">
                  {editing.dirty && <p className="field-issue warning">Tests send the saved webhook; save your changes first.</p>}
                  <TestPanel target={target} />
                </div>
              )}
            </div>
          </>
        )}
      </main>
      {pasting && (
        <PasteCurlDialog
          onClose={() => setPasting(false)}
          onDone={(webhook) => {
            setPasting(false);
            open({ ...webhook, name: webhook.name || "" }, true);
          }}
        />
      )}
    </div>
  );
}
