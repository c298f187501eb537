import { useState } from "react";
import { api, ApiError } from "../api";
import { useEditor } from "../store";
import type { BundleOutcome } from "../workspace";
import { Icon } from "./Icon";

/**
 * After an import: what was imported and a prompt for the connectors that need a secret.
 * After a refused import or export: every problem with its path.
 */
export function BundleDialog({ outcome, onClose }: { outcome: BundleOutcome; onClose: () => void }) {
  const say = useEditor((s) => s.say);
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [done, setDone] = useState<Record<string, boolean>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});

  const saveSecret = async (name: string) => {
    try {
      await api.setConnectorSecret(name, secrets[name] ?? "");
      setDone({ ...done, [name]: true });
      setSecrets({ ...secrets, [name]: "" });
      setErrors({ ...errors, [name]: "" });
      say(`Saved the secret of ${name} in the keyring.`, "success");
    } catch (err) {
      setErrors({ ...errors, [name]: ApiError.from(err).message });
    }
  };

  const issues = outcome.kind === "imported" ? outcome.report.issues : outcome.issues;
  const needing = outcome.kind === "imported" ? outcome.report.connectors_needing_secret : [];

  return (
    <div className="modal-backdrop">
      <div className="modal wide" role="dialog" aria-modal="true" aria-label="Bundle" data-testid="bundle-dialog">
        <div className="panel-head">
          <h2 className="panel-title">{outcome.kind === "imported" ? "Import finished" : outcome.title}</h2>
          <button type="button" className="icon-btn" aria-label="Close" data-testid="close-dialog" onClick={onClose}>
            <Icon name="close" />
          </button>
        </div>
        {outcome.kind === "imported" ? (
          <p data-testid="import-summary">
            Imported {outcome.report.workflows.length} workflow(s)
            {outcome.report.workflows.length > 0 && <span className="mono"> ({outcome.report.workflows.join(", ")})</span>} and{" "}
            {outcome.report.webhooks.length} webhook(s)
            {outcome.report.webhooks.length > 0 && <span className="mono"> ({outcome.report.webhooks.join(", ")})</span>}.
          </p>
        ) : (
          <p>{outcome.issues.length > 1 ? "Fix these problems and try again; nothing was changed." : outcome.message}</p>
        )}
        {issues.length > 0 && (
          <ul className="import-issues" data-testid="bundle-issues">
            {issues.map((issue, i) => (
              <li key={i} className={`field-issue ${issue.severity}`} data-testid={`bundle-issue-${i}`}>
                <span className="mono">{issue.path}</span>: {issue.message}
              </li>
            ))}
          </ul>
        )}
        {needing.length > 0 && (
          <div className="secrets" data-testid="connector-secrets">
            <h3 className="section-title">Connectors that need a secret</h3>
            <p className="muted small">Requests through these connectors fail until their secret is set. Secrets go to the system keyring only.</p>
            {needing.map((name) => (
              <form
                key={name}
                className="secret-row"
                onSubmit={(e) => {
                  e.preventDefault();
                  void saveSecret(name);
                }}
              >
                <label htmlFor={`secret-${name}`} className="mono">
                  {name}
                </label>
                <input
                  id={`secret-${name}`}
                  data-testid={`secret-${name}`}
                  className="input small"
                  type="password"
                  autoComplete="off"
                  placeholder={done[name] ? "saved — type to replace" : "secret"}
                  value={secrets[name] ?? ""}
                  onChange={(e) => setSecrets({ ...secrets, [name]: e.target.value })}
                />
                <button type="submit" className="btn small primary" data-testid={`save-secret-${name}`} disabled={!secrets[name]}>
                  {done[name] ? "Saved ✓" : "Save"}
                </button>
                {errors[name] && <p className="field-issue error">{errors[name]}</p>}
              </form>
            ))}
          </div>
        )}
        <div className="row-actions end">
          <button type="button" className="btn" onClick={onClose} data-testid="dialog-done">
            {needing.length === 0 || needing.every((n) => done[n]) ? "Close" : "Later"}
          </button>
        </div>
      </div>
    </div>
  );
}
