import { useReactFlow } from "@xyflow/react";
import { usingBrowserBackend } from "../api";
import { fitAll } from "../fit";
import { useEditor, VIEW_IDS } from "../store";
import { VIEWS } from "../views/registry";
import { Icon, type IconName } from "./Icon";

function SaveState() {
  const save = useEditor((s) => s.save);
  const dirty = useEditor((s) => s.version !== s.cleanVersion);
  const open = useEditor((s) => s.meta !== null);
  if (!open) return null;
  let text = "All changes saved";
  let tone = "muted";
  if (save.kind === "saving") text = "Saving…";
  else if (save.kind === "error") [text, tone] = [`Not saved: ${save.message}`, "error"];
  else if (dirty) text = "Unsaved changes";
  else if (save.kind === "saved") text = `Saved · revision ${save.revision}`;
  return (
    <span className={`save-state ${tone}`} data-testid="save-state" title={text}>
      {text}
    </span>
  );
}

function ToolButton({ icon, label, testId, onClick, disabled, pressed }: { icon: IconName; label: string; testId: string; onClick: () => void; disabled?: boolean; pressed?: boolean }) {
  return (
    <button type="button" className="tool-btn" data-testid={testId} aria-label={label} title={label} onClick={onClick} disabled={disabled} aria-pressed={pressed}>
      <Icon name={icon} />
    </button>
  );
}

/** The tabs that switch between the designer and the workspace's lists. */
function ViewTabs() {
  const view = useEditor((s) => s.view);
  const setView = useEditor((s) => s.setView);
  return (
    <nav className="view-tabs" role="tablist" aria-label="Views">
      {VIEW_IDS.map((id) => {
        const entry = id === "designer" ? { label: "Designer", title: "Draw and test workflows" } : VIEWS[id];
        if (!entry) return null;
        return (
          <button key={id} type="button" role="tab" className="view-tab" aria-selected={view === id} data-testid={`view-${id}`} title={entry.title} onClick={() => setView(id)}>
            {entry.label}
          </button>
        );
      })}
    </nav>
  );
}

export function Header({ onImport, onExport }: { onImport: () => void; onExport: () => void }) {
  const name = useEditor((s) => s.meta?.name ?? null);
  const canUndo = useEditor((s) => s.past.length > 0);
  const canRedo = useEditor((s) => s.future.length > 0);
  const overlay = useEditor((s) => s.overlay);
  const hasRun = useEditor((s) => s.testRun !== null);
  const { undo, redo, setOverlay, setTestRun } = useEditor.getState();
  const rf = useReactFlow();

  return (
    <header className="app-header">
      <span className="brand">Hookboard</span>
      <ViewTabs />
      {usingBrowserBackend() && <span className="badge muted" title="No desktop backend: changes live in this page only">browser demo</span>}
      <span className="header-workflow">{name ?? ""}</span>
      <SaveState />
      <span className="spacer" />
      <div className="toolbar" role="toolbar" aria-label="Workflow">
        <ToolButton icon="undo" label="Undo (Ctrl+Z)" testId="undo" onClick={undo} disabled={!canUndo} />
        <ToolButton icon="redo" label="Redo (Ctrl+Shift+Z)" testId="redo" onClick={redo} disabled={!canRedo} />
        <ToolButton icon="fit" label="Zoom to fit (F)" testId="fit-view" onClick={() => fitAll(rf, useEditor.getState().nodes, 200)} disabled={!name} />
        <button type="button" className="btn small" data-testid="test-run-open" onClick={() => setOverlay("test-run")} disabled={!name} title="Run the whole workflow for a picked contact or event">
          Test run
        </button>
        {hasRun && (
          <button type="button" className="btn small ghost" data-testid="clear-test-run" onClick={() => setTestRun(null)} title="Hide the test run's marks">
            Clear run
          </button>
        )}
        <ToolButton icon="history" label="Revisions" testId="revisions" onClick={() => setOverlay(overlay === "revisions" ? null : "revisions")} disabled={!name} pressed={overlay === "revisions"} />
      </div>
      <div className="toolbar" role="toolbar" aria-label="Workspace">
        <button type="button" className="btn small" data-testid="export-bundle" onClick={onExport} title="Export the workspace as a bundle">
          <Icon name="export" /> Export bundle
        </button>
        <button type="button" className="btn small" data-testid="import-bundle" onClick={onImport} title="Import a bundle">
          <Icon name="import" /> Import bundle
        </button>
        <ToolButton icon="help" label="Keyboard shortcuts (?)" testId="help" onClick={() => setOverlay(overlay === "help" ? null : "help")} pressed={overlay === "help"} />
      </div>
    </header>
  );
}
