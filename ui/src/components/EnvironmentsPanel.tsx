import { useState } from "react";
import { api, ApiError } from "../api";
import type { Environment } from "../bindings/Environment";
import { useEditor } from "../store";
import { loadReference } from "../workspace";
import { Icon } from "./Icon";

type Row = { name: string; value: string };

const toRows = (env: Environment): Row[] => Object.entries(env.variables).map(([name, value]) => ({ name, value }));

/** Named variable sets (`${env.NAME}`): edit them and pick the active one. */
export function EnvironmentsPanel() {
  const environments = useEditor((s) => s.environments);
  const active = useEditor((s) => s.activeEnvironment);
  const say = useEditor((s) => s.say);
  const [editing, setEditing] = useState<{ original: string | null; name: string; rows: Row[] } | null>(null);

  const run = async (what: string, step: () => Promise<unknown>, done?: string) => {
    try {
      await step();
      await loadReference();
      if (done) say(done, "success");
      return true;
    } catch (err) {
      const e = ApiError.from(err);
      say(`${what}: ${e.message}${e.path ? ` (${e.path})` : ""}`, "error");
      return false;
    }
  };

  const save = async () => {
    if (!editing) return;
    const name = editing.name.trim();
    const variables: Record<string, string> = {};
    for (const r of editing.rows) if (r.name.trim()) variables[r.name.trim()] = r.value;
    const ok = await run(
      `Could not save ${name || "the environment"}`,
      async () => {
        await api.saveEnvironment({ name, variables });
        if (editing.original && editing.original !== name) {
          await api.deleteEnvironment(editing.original);
          if (active === editing.original) await api.setActiveEnvironment(name);
        }
      },
      `Saved environment ${name}.`,
    );
    if (ok) setEditing(null);
  };

  return (
    <section className="environments" aria-label="Environments">
      <div className="panel-head">
        <h2 className="panel-title">Environment</h2>
        <button type="button" className="icon-btn" data-testid="new-environment" aria-label="New environment" title="New environment" onClick={() => setEditing({ original: null, name: "", rows: [{ name: "base_url", value: "" }] })}>
          <Icon name="plus" />
        </button>
      </div>
      <select
        className="input small"
        data-testid="active-environment"
        aria-label="Active environment"
        value={active ?? ""}
        onChange={(e) => void run("Could not switch environment", () => api.setActiveEnvironment(e.target.value || null), e.target.value ? `Using ${e.target.value}.` : "No environment active.")}
      >
        <option value="">No environment</option>
        {environments.map((env) => (
          <option key={env.name} value={env.name}>
            {env.name}
          </option>
        ))}
      </select>
      {!editing && (
        <ul className="env-list">
          {environments.map((env) => (
            <li key={env.name} className="env-item">
              <button type="button" className="link" data-testid={`environment-${env.name}`} onClick={() => setEditing({ original: env.name, name: env.name, rows: toRows(env) })}>
                {env.name}
                <span className="muted small"> · {Object.keys(env.variables).length} var(s)</span>
              </button>
              <button type="button" className="icon-btn" aria-label={`Delete environment ${env.name}`} data-testid={`delete-environment-${env.name}`} onClick={() => void run(`Could not delete ${env.name}`, () => api.deleteEnvironment(env.name), `Deleted environment ${env.name}.`)}>
                <Icon name="trash" />
              </button>
            </li>
          ))}
        </ul>
      )}
      {editing && (
        <div className="env-editor" data-testid="environment-editor">
          <input className="input small" aria-label="Environment name" data-testid="environment-name" placeholder="sandbox" value={editing.name} onChange={(e) => setEditing({ ...editing, name: e.target.value })} />
          {editing.rows.map((row, i) => (
            <div key={i} className="env-row">
              <input className="input small mono" aria-label={`Variable ${i + 1} name`} data-testid={`env-var-${i}-name`} value={row.name} placeholder="name" onChange={(e) => setEditing({ ...editing, rows: editing.rows.map((r, j) => (j === i ? { ...r, name: e.target.value } : r)) })} />
              <input className="input small mono" aria-label={`Variable ${i + 1} value`} data-testid={`env-var-${i}-value`} value={row.value} placeholder="value" onChange={(e) => setEditing({ ...editing, rows: editing.rows.map((r, j) => (j === i ? { ...r, value: e.target.value } : r)) })} />
              <button type="button" className="icon-btn" aria-label={`Remove variable ${i + 1}`} onClick={() => setEditing({ ...editing, rows: editing.rows.filter((_, j) => j !== i) })}>
                <Icon name="close" />
              </button>
            </div>
          ))}
          <div className="row-actions">
            <button type="button" className="btn small" onClick={() => setEditing({ ...editing, rows: [...editing.rows, { name: "", value: "" }] })}>
              + Variable
            </button>
            <span className="spacer" />
            <button type="button" className="btn small" onClick={() => setEditing(null)}>
              Cancel
            </button>
            <button type="button" className="btn primary small" data-testid="save-environment" onClick={() => void save()}>
              Save
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
