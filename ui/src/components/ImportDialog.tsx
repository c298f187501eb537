import { useState } from "react";
import { api, ApiError, type ImportReport } from "../api";
import { useEditor } from "../store";
import { Icon } from "./Icon";

/** The result of an import: every problem with its path, then the connectors that need a secret. */
export function ImportDialog({ report, onClose }: { report: ImportReport; onClose: () => void }) {
  const say = useEditor((s) => s.say);
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [done, setDone] = useState<Record<string, boolean>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const failed = report.issues.some((i) => i.severity === "error");

  const saveSecret = async (name: string) => {
    try {
      await api.setConnectorSecret(name, secrets[name] ?? "");
      setDone({ ...done, [name]: true });
      setSecrets({ ...secrets, [name]: "" });
      say(`Saved the secret of ${name}.`, "success");
    } catch (err) {
      setErrors({ ...errors, [name]: ApiError.from(err).message });
    }
  };

  return (
    <div className="modal-backdrop">
      <div className="modal wide" role="dialog" aria-modal="true" aria-label="Import" data-testid="import-dialog">
        <div className="panel-head">
          <h2 className="panel-title">{failed ? "Nothing was imported" : "Import finished"}</h2>
          <button type="button" className="icon-btn" aria-label="Close" data-testid="close-dialog" onClick={onClose}>
            <Icon name="close" />
          </button>
        </div>
        {failed ? (
          <p>Fix these problems in the bundle file and import it again; the workspace was left as it was.</p>
        ) : (
          <p>
            Imported {report.workflows} workflow(s) and {report.webhooks} webhook(s).
          </p>
        )}
        {report.issues.length > 0 && (
          <ul className="import-issues" data-testid="import-issues">
            {report.issues.map((issue, i) => (
              <li key={i} className={`field-issue ${issue.severity}`} data-testid={`import-issue-${i}`}>
                <span className="mono">{issue.path}</span>: {issue.message}
              </li>
            ))}
          </ul>
        )}
        {!failed && report.connectors_needing_secret.length > 0 && (
          <div className="secrets" data-testid="connector-secrets">
            <h3 className="section-title">Connectors that need a secret</h3>
            <p className="muted small">Secrets go to the system keyring, never into the workspace or an export.</p>
            {report.connectors_needing_secret.map((name) => (
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
          <button type="button" className="btn" onClick={onClose} data-testid="import-done">
            {failed || report.connectors_needing_secret.every((n) => done[n]) ? "Close" : "Later"}
          </button>
        </div>
      </div>
    </div>
  );
}
