import { useState } from "react";
import { api, ApiError, type ConnectorInfo } from "../api";
import type { ApiKeyPlacement } from "../bindings/ApiKeyPlacement";
import type { Connector } from "../bindings/Connector";
import type { ConnectorAuth } from "../bindings/ConnectorAuth";
import { Icon } from "../components/Icon";
import { useEditor } from "../store";
import { loadReference } from "../workspace";
import { FieldError, type FieldErrors, ListState, useLoaded } from "./people/common";
import "../styles/views.css";

type AuthType = ConnectorAuth["type"];

/** The connector being created (`original` null) or edited, as the form holds it. */
type Draft = {
  original: string | null;
  /** Whether the keyring holds the edited connector's secret (null: no keyring reachable). */
  hasSecret: boolean | null;
  name: string;
  type: AuthType;
  username: string;
  placement: ApiKeyPlacement;
  paramName: string;
  secret: string;
  /** The secret input is open (always for a new connector). */
  replacing: boolean;
};

const TYPES: { type: AuthType; label: string }[] = [
  { type: "basic", label: "Basic" },
  { type: "bearer", label: "Bearer token" },
  { type: "api_key", label: "API key" },
];

const SECRET_LABEL: Record<AuthType, string> = { basic: "Password", bearer: "Token", api_key: "Key" };

const blank = (): Draft => ({
  original: null,
  hasSecret: null,
  name: "",
  type: "bearer",
  username: "",
  placement: "header",
  paramName: "X-API-Key",
  secret: "",
  replacing: true,
});

function draftOf(info: ConnectorInfo): Draft {
  const { auth, name } = info.connector;
  return {
    ...blank(),
    original: name,
    hasSecret: info.has_secret,
    name,
    type: auth.type,
    username: auth.type === "basic" ? auth.username : "",
    placement: auth.type === "api_key" ? auth.placement : "header",
    paramName: auth.type === "api_key" ? auth.param_name : "X-API-Key",
    replacing: false,
  };
}

function authOf(d: Draft): ConnectorAuth {
  if (d.type === "basic") return { type: "basic", username: d.username.trim() };
  if (d.type === "api_key") return { type: "api_key", placement: d.placement, param_name: d.paramName.trim() };
  return { type: "bearer" };
}

/** How the connector authenticates, in a few words. */
export function describeAuth(auth: ConnectorAuth): string {
  if (auth.type === "basic") return `login ${auth.username || "—"}`;
  if (auth.type === "api_key") return `${auth.placement === "header" ? "header" : "query parameter"} ${auth.param_name}`;
  return "Authorization: Bearer …";
}

export function SecretBadge({ name, hasSecret }: { name: string; hasSecret: boolean | null }) {
  const [tone, text, title] =
    hasSecret === null
      ? ["error", "keyring unreachable", "No OS keyring is reachable: the secret cannot be read or saved"]
      : hasSecret
        ? ["ok", "secret in keyring", "The secret is in the OS keyring"]
        : ["warning", "no secret", "Requests through this connector fail until its secret is set"];
  return (
    <span className={`ws-badge ${tone}`} title={title} data-testid={`connector-secret-${name}`}>
      {text}
    </span>
  );
}

/** Where a failed save's error belongs in the form. */
function route(e: ApiError): string {
  if (e.code === "keyring_unavailable" || e.path === "secret") return "secret";
  if (!e.path) return "";
  if (e.path === "name") return "name";
  if (e.path.endsWith("username")) return "username";
  if (e.path.endsWith("param_name")) return "param_name";
  return "";
}

/** Authentication connectors: their settings in the workspace, their secrets in the OS keyring only. */
export function ConnectorsView() {
  const say = useEditor((s) => s.say);
  const listed = useLoaded(api.listConnectorInfos, "Could not list the connectors");
  const infos = listed.data && [...listed.data].sort((a, b) => a.connector.name.localeCompare(b.connector.name));
  const [viewError, setViewError] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const [confirming, setConfirming] = useState<string | null>(null);

  const edit = (next: Draft | null) => {
    setDraft(next);
    setErrors({});
    setViewError(null);
  };
  const patch = (p: Partial<Draft>) => setDraft((d) => (d ? { ...d, ...p } : d));

  const save = async () => {
    if (!draft) return;
    const name = draft.name.trim();
    const problems: FieldErrors = {};
    if (!name) problems.name = "Give the connector a name; webhooks refer to it by this name.";
    else if (draft.original === null && infos?.some((i) => i.connector.name === name))
      problems.name = `A connector named ${name} already exists: pick it in the list to edit it.`;
    if (draft.type === "basic" && !draft.username.trim()) problems.username = "A Basic connector needs a login.";
    if (draft.type === "api_key" && !draft.paramName.trim())
      problems.param_name = `Name the ${draft.placement === "header" ? "header" : "query parameter"} the key goes in.`;
    if (Object.keys(problems).length > 0) return setErrors(problems);

    const connector: Connector = { name, auth: authOf(draft) };
    const secret = draft.original === null || draft.replacing ? draft.secret || null : null;
    setSaving(true);
    try {
      await api.saveConnector(connector, secret);
    } catch (err) {
      const e = ApiError.from(err);
      const message = e.code === "keyring_unavailable" ? `${e.message}. Nothing was saved; your input is kept.` : e.message;
      setErrors({ [route(e)]: message });
      return;
    } finally {
      setSaving(false);
    }
    edit(null);
    say(`Saved connector ${name}${secret ? "; its secret is in the keyring" : ""}.`, "success");
    listed.reload();
    await loadReference().catch(() => undefined);
  };

  const remove = async (name: string) => {
    setConfirming(null);
    try {
      await api.deleteConnector(name);
    } catch (err) {
      setViewError(`Could not delete ${name}: ${ApiError.from(err).message}`);
      return;
    }
    if (draft?.original === name) edit(null);
    setViewError(null);
    say(`Deleted connector ${name} and its secret.`, "success");
    listed.reload();
    await loadReference().catch(() => undefined);
  };

  const keyringDown = infos?.some((i) => i.has_secret === null) ?? false;

  return (
    <section className="ws-page" aria-label="Connectors" data-testid="connectors-view">
      <div className="ws-head">
        <div className="ws-head-text">
          <h1 className="ws-title">Connectors</h1>
          <p className="muted small">How webhooks authenticate. Settings are saved in the workspace; passwords, tokens and keys go to the OS keyring only and are never shown again.</p>
        </div>
        <button type="button" className="btn primary" data-testid="new-connector" onClick={() => edit(blank())}>
          <Icon name="plus" /> New connector
        </button>
      </div>
      {keyringDown && (
        <p className="ws-notice warning" role="status" data-testid="keyring-unreachable">
          No OS keyring (Secret Service) is reachable: secrets cannot be read or saved until one is running and unlocked.
        </p>
      )}
      {viewError && (
        <p className="ws-notice error" role="alert" data-testid="connectors-error">
          {viewError}
        </p>
      )}
      <div className="ws-split">
        <div className="ws-pane" aria-label="Connector list">
          <ListState loading={infos === null} error={listed.error} empty={infos?.length === 0} testId="connectors">
            <p>No connectors yet.</p>
            <p className="small">Create one with New connector: Basic login, Bearer token or API key.</p>
          </ListState>
          {infos && infos.length > 0 && (
            <table className="ws-table fixed" data-testid="connector-list">
              <colgroup>
                <col className="ws-w-30" />
                <col />
                <col className="ws-w-30" />
                <col className="ws-w-act" />
              </colgroup>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Type</th>
                  <th>Secret</th>
                  <th aria-label="Actions" />
                </tr>
              </thead>
              <tbody>
                {infos.map((info) => {
                  const { name, auth } = info.connector;
                  const open = () => edit(draftOf(info));
                  return (
                    <tr
                      key={name}
                      className={`ws-row${draft?.original === name ? " selected" : ""}`}
                      data-testid={`connector-${name}`}
                      aria-selected={draft?.original === name}
                      onClick={open}
                    >
                      <td>
                        <button type="button" className="link mono ws-open" data-testid={`open-connector-${name}`} title={`Edit ${name}`}>
                          {name}
                        </button>
                      </td>
                      <td>
                        {TYPES.find((t) => t.type === auth.type)?.label}
                        {auth.type !== "bearer" && <span className="muted small"> · {describeAuth(auth)}</span>}
                      </td>
                      <td>
                        <SecretBadge name={name} hasSecret={info.has_secret} />
                      </td>
                      <td className="ws-actions" onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()}>
                        {confirming === name ? (
                          <span className="row-actions confirm">
                            <button type="button" className="btn small danger" data-testid={`confirm-delete-connector-${name}`} onClick={() => void remove(name)}>
                              Delete
                            </button>
                            <button type="button" className="btn small" data-testid={`cancel-delete-connector-${name}`} onClick={() => setConfirming(null)}>
                              Keep
                            </button>
                          </span>
                        ) : (
                          <button type="button" className="icon-btn" aria-label={`Delete connector ${name}`} title="Delete (and remove its secret from the keyring)" data-testid={`delete-connector-${name}`} onClick={() => setConfirming(name)}>
                            <Icon name="trash" />
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </div>
        <div className="ws-pane" aria-label="Connector">
          {draft ? (
            <ConnectorForm draft={draft} errors={errors} saving={saving} patch={patch} onSave={() => void save()} onCancel={() => edit(null)} />
          ) : (
            <div className="empty-state" data-testid="connector-placeholder">
              <p>Pick a connector to edit it,</p>
              <p className="small">or create one with New connector.</p>
            </div>
          )}
        </div>
      </div>
    </section>
  );
}

function ConnectorForm({
  draft,
  errors,
  saving,
  patch,
  onSave,
  onCancel,
}: {
  draft: Draft;
  errors: FieldErrors;
  saving: boolean;
  patch: (p: Partial<Draft>) => void;
  onSave: () => void;
  onCancel: () => void;
}) {
  const isNew = draft.original === null;
  const secretLabel = SECRET_LABEL[draft.type];
  return (
    <form
      className="ws-form"
      data-testid="connector-form"
      aria-label={isNew ? "New connector" : `Connector ${draft.original}`}
      onSubmit={(e) => {
        e.preventDefault();
        onSave();
      }}
    >
      <div className="panel-head">
        <h2 className="panel-title">{isNew ? "New connector" : draft.original}</h2>
      </div>
      <FieldError errors={errors} field="" testId="connector-form-error" />
      <div className="field">
        <label className="field-label" htmlFor="connector-name">
          Name<span className="required">*</span>
        </label>
        <input
          id="connector-name"
          className={`input mono${errors.name ? " invalid" : ""}`}
          data-testid="connector-name"
          value={draft.name}
          placeholder="crm"
          disabled={!isNew}
          autoComplete="off"
          onChange={(e) => patch({ name: e.target.value })}
        />
        {!isNew && <span className="field-help">The name is how webhooks refer to the connector; it cannot change.</span>}
        <FieldError errors={errors} field="name" testId="connector-name-error" />
      </div>
      <div className="field">
        <span className="field-label" id="connector-type-label">
          Type
        </span>
        <div className="ws-choice" role="group" aria-labelledby="connector-type-label">
          {TYPES.map((t) => (
            <button key={t.type} type="button" className="btn small" aria-pressed={draft.type === t.type} data-testid={`connector-type-${t.type}`} onClick={() => patch({ type: t.type })}>
              {t.label}
            </button>
          ))}
        </div>
      </div>
      {draft.type === "basic" && (
        <div className="field">
          <label className="field-label" htmlFor="connector-username">
            Login<span className="required">*</span>
          </label>
          <input id="connector-username" className={`input${errors.username ? " invalid" : ""}`} data-testid="connector-username" value={draft.username} autoComplete="off" onChange={(e) => patch({ username: e.target.value })} />
          <FieldError errors={errors} field="username" testId="connector-username-error" />
        </div>
      )}
      {draft.type === "api_key" && (
        <>
          <div className="field">
            <label className="field-label" htmlFor="connector-placement">
              Send the key in
            </label>
            <select id="connector-placement" className="input" data-testid="connector-placement" value={draft.placement} onChange={(e) => patch({ placement: e.target.value as ApiKeyPlacement })}>
              <option value="header">a header</option>
              <option value="query">a query parameter</option>
            </select>
          </div>
          <div className="field">
            <label className="field-label" htmlFor="connector-param-name">
              {draft.placement === "header" ? "Header name" : "Query parameter name"}
              <span className="required">*</span>
            </label>
            <input id="connector-param-name" className={`input mono${errors.param_name ? " invalid" : ""}`} data-testid="connector-param-name" value={draft.paramName} autoComplete="off" placeholder={draft.placement === "header" ? "X-API-Key" : "api_key"} onChange={(e) => patch({ paramName: e.target.value })} />
            <FieldError errors={errors} field="param_name" testId="connector-param-name-error" />
          </div>
        </>
      )}
      <div className="field" data-testid="connector-secret-field">
        <label className="field-label" htmlFor="connector-secret">
          {secretLabel}
          {isNew && <span className="required">*</span>}
        </label>
        {draft.replacing ? (
          <div className="ws-secret-input">
            <input
              id="connector-secret"
              className={`input mono${errors.secret ? " invalid" : ""}`}
              data-testid="connector-secret"
              type="password"
              autoComplete="new-password"
              placeholder={isNew ? `the ${secretLabel.toLowerCase()}` : `new ${secretLabel.toLowerCase()}`}
              value={draft.secret}
              onChange={(e) => patch({ secret: e.target.value })}
            />
            {!isNew && (
              <button type="button" className="btn small" data-testid="connector-secret-keep" onClick={() => patch({ replacing: false, secret: "" })}>
                Keep current
              </button>
            )}
          </div>
        ) : (
          <div className="ws-masked">
            <span className="ws-masked-value" data-testid="connector-secret-masked" aria-label={draft.hasSecret === false ? "no secret saved" : "secret hidden"}>
              {draft.hasSecret === false ? <span className="small">no secret saved</span> : "•••"}
            </span>
            <button type="button" className="btn small" data-testid="connector-secret-replace" onClick={() => patch({ replacing: true, secret: "" })}>
              {draft.hasSecret === false ? "Set" : "Replace"}
            </button>
          </div>
        )}
        <span className="field-help">
          {draft.replacing ? "Saved to the OS keyring only; it is never shown again." : draft.hasSecret === null ? "No keyring is reachable: the secret cannot be read or replaced now." : "Stored in the OS keyring. Replace it to send a different one."}
        </span>
        <FieldError errors={errors} field="secret" testId="connector-secret-error" />
      </div>
      <div className="ws-form-actions">
        <button type="submit" className="btn primary" data-testid="save-connector" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        <button type="button" className="btn" data-testid="cancel-connector" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
