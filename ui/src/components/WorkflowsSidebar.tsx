import { useState } from "react";
import { Icon } from "./Icon";
import { useEditor } from "../store";
import { createWorkflow, deleteDemoWorkspace, deleteWorkflow, duplicateWorkflow, openWorkflow, renameWorkflow } from "../workspace";

/** Starts a new workflow and puts its name in edit mode (the N shortcut does the same). */
export async function startNewWorkflow(): Promise<void> {
  const name = await createWorkflow();
  if (name) useEditor.getState().setRenaming(name);
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
}

export function WorkflowsSidebar() {
  const workflows = useEditor((s) => s.workflows);
  const current = useEditor((s) => s.meta?.name ?? null);
  const renaming = useEditor((s) => s.renaming);
  const setRenaming = useEditor((s) => s.setRenaming);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [draft, setDraft] = useState("");
  const [confirmDemo, setConfirmDemo] = useState(false);

  const [editing, setEditing] = useState<string | null>(null);
  if (renaming !== editing) {
    // A rename started elsewhere (new workflow, keyboard): start from its current name.
    setEditing(renaming);
    setDraft(renaming ?? "");
  }

  const commit = async (from: string) => {
    // Enter commits, and the input's blur on unmount must not commit a second time.
    if (useEditor.getState().renaming !== from) return;
    const to = draft.trim();
    setRenaming(null);
    if (to && to !== from) await renameWorkflow(from, to);
  };

  return (
    <section className="workflows" aria-label="Workflows">
      <h2 className="panel-title">Workflows</h2>
      <button type="button" className="btn primary small new-workflow" data-testid="new-workflow" onClick={() => void startNewWorkflow()} title="New workflow (N)">
        <Icon name="plus" /> New workflow
      </button>
      {workflows === null ? (
        <p className="muted hint">Loading…</p>
      ) : workflows.length === 0 ? (
        <p className="muted hint" data-testid="workflows-empty">
          No workflows yet — press N or click New workflow
        </p>
      ) : (
        <ul className="workflow-list">
          {workflows.map((w) => (
            <li key={w.name} className={`workflow-item${w.name === current ? " current" : ""}`}>
              {editing === w.name ? (
                <input
                  className="input small"
                  data-testid={`rename-input-${w.name}`}
                  aria-label={`New name for ${w.name}`}
                  value={draft}
                  autoFocus
                  onFocus={(e) => e.target.select()}
                  onChange={(e) => setDraft(e.target.value)}
                  onBlur={() => void commit(w.name)}
                  onKeyDown={(e) => {
                    if (e.key === "Enter") void commit(w.name);
                    if (e.key === "Escape") setRenaming(null);
                  }}
                />
              ) : (
                <button
                  type="button"
                  className="workflow-open"
                  data-testid={`workflow-${w.name}`}
                  aria-current={w.name === current ? "page" : undefined}
                  onClick={() => void openWorkflow(w.name)}
                  onDoubleClick={() => setRenaming(w.name)}
                  title={`Revision ${w.revision}, saved ${formatTime(w.updated_at)}`}
                >
                  <span className="workflow-name">{w.name}</span>
                  <span className="workflow-meta">
                    rev {w.revision} · {formatTime(w.updated_at)}
                  </span>
                </button>
              )}
              {confirming === w.name ? (
                <span className="row-actions confirm">
                  <button type="button" className="btn danger small" data-testid={`confirm-delete-${w.name}`} onClick={() => {
                      setConfirming(null);
                      void deleteWorkflow(w.name);
                    }}>
                    Delete
                  </button>
                  <button type="button" className="btn small" onClick={() => setConfirming(null)}>
                    Keep
                  </button>
                </span>
              ) : (
                <span className="row-actions">
                  <button type="button" className="icon-btn" data-testid={`rename-workflow-${w.name}`} aria-label={`Rename ${w.name}`} title="Rename" onClick={() => setRenaming(w.name)}>
                    <Icon name="pencil" />
                  </button>
                  <button type="button" className="icon-btn" data-testid={`duplicate-workflow-${w.name}`} aria-label={`Duplicate ${w.name}`} title="Duplicate" onClick={() => void duplicateWorkflow(w.name)}>
                    <Icon name="copy" />
                  </button>
                  <button type="button" className="icon-btn" data-testid={`delete-workflow-${w.name}`} aria-label={`Delete ${w.name}`} title="Delete" onClick={() => setConfirming(w.name)}>
                    <Icon name="trash" />
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {workflows !== null && workflows.length > 0 && (
        <div className="demo-reset">
          {confirmDemo ? (
            <span className="row-actions confirm">
              <span className="small">Remove the demo data?</span>
              <button
                type="button"
                className="btn danger small"
                data-testid="confirm-delete-demo"
                onClick={() => {
                  setConfirmDemo(false);
                  void deleteDemoWorkspace();
                }}
              >
                Remove
              </button>
              <button type="button" className="btn small" onClick={() => setConfirmDemo(false)}>
                Keep
              </button>
            </span>
          ) : (
            <button type="button" className="btn ghost small" data-testid="delete-demo-workspace" onClick={() => setConfirmDemo(true)}>
              Remove demo workspace
            </button>
          )}
        </div>
      )}
    </section>
  );
}
