import { useEffect, useMemo, useState } from "react";
import { Canvas } from "./components/Canvas";
import { EnvironmentsPanel } from "./components/EnvironmentsPanel";
import { Header } from "./components/Header";
import { HelpOverlay } from "./components/HelpOverlay";
import { BundleDialog } from "./components/BundleDialog";
import { Inspector } from "./components/Inspector";
import { Palette } from "./components/Palette";
import { ProblemsPanel } from "./components/ProblemsPanel";
import { RevisionsPanel } from "./components/RevisionsPanel";
import { StatusLine } from "./components/StatusLine";
import { startNewWorkflow, WorkflowsSidebar } from "./components/WorkflowsSidebar";
import { useEditor } from "./store";
import { useShortcuts } from "./useShortcuts";
import { VIEWS } from "./views/registry";
import { NodeTestDialog, TestRunDialog } from "./components/test/TestRunDialog";
import { TestPanel } from "./components/test/TestPanel";
import type { TestTarget } from "./api";
import { boot, type BundleOutcome, exportBundle, importBundle, saveNow, validateNow } from "./workspace";

export const VALIDATE_DELAY_MS = 300;
export const AUTOSAVE_DELAY_MS = 800;

/** Validation as you draw, and autosave, each debounced after the last change. */
function useSync() {
  const version = useEditor((s) => s.version);
  const dirty = useEditor((s) => s.meta !== null && s.version !== s.cleanVersion);
  useEffect(() => {
    const t = setTimeout(() => void validateNow(), VALIDATE_DELAY_MS);
    return () => clearTimeout(t);
  }, [version]);
  useEffect(() => {
    if (!dirty) return;
    const t = setTimeout(() => void saveNow(), AUTOSAVE_DELAY_MS);
    return () => clearTimeout(t);
  }, [version, dirty]);
  useEffect(() => {
    // Last chance to save when the window closes.
    const flush = () => void saveNow();
    window.addEventListener("beforeunload", flush);
    return () => window.removeEventListener("beforeunload", flush);
  }, []);
}

/** Send a test of the selected HTTP request node, as the workflow is in the editor now. */
function NodeTest({ onClose }: { onClose: () => void }) {
  const [target] = useState<TestTarget | null>(() => {
    const s = useEditor.getState();
    const workflow = s.snapshot();
    const node = s.nodes.find((n) => n.selected && n.data.kind === "http_request");
    return workflow && node ? { kind: "node", workflow, node: node.id } : null;
  });
  if (!target || target.kind !== "node") return null;
  return (
    <NodeTestDialog nodeId={target.node} onClose={onClose}>
      <TestPanel target={target} />
    </NodeTestDialog>
  );
}

export function App() {
  const overlay = useEditor((s) => s.overlay);
  const view = useEditor((s) => s.view);
  const Other = view === "designer" ? null : VIEWS[view]?.component;
  const setOverlay = useEditor((s) => s.setOverlay);
  const [outcome, setOutcome] = useState<BundleOutcome | null>(null);

  useEffect(() => {
    void boot();
  }, []);
  useSync();
  const actions = useMemo(() => ({ newWorkflow: () => void startNewWorkflow(), saveNow: () => void saveNow() }), []);
  useShortcuts(actions);

  const runBundle = async (step: () => Promise<BundleOutcome | null>) => {
    setOverlay("import");
    const result = await step();
    if (result) setOutcome(result);
    else setOverlay(null);
  };

  return (
    <div className="app">
      <Header onImport={() => void runBundle(importBundle)} onExport={() => void runBundle(exportBundle)} />
      {Other && (
        <div className="app-body view-body">
          <Other />
        </div>
      )}
      <div className={Other ? "app-body designer-hidden" : "app-body"} inert={Other ? true : undefined}>
        <aside className="sidebar" aria-label="Workspace">
          <WorkflowsSidebar />
          <EnvironmentsPanel />
        </aside>
        <Palette />
        <Canvas />
        <div className="right-column">
          <Inspector />
          <ProblemsPanel />
          {overlay === "revisions" && <RevisionsPanel />}
        </div>
      </div>
      <StatusLine />
      {overlay === "help" && <HelpOverlay />}
      {overlay === "test-run" && <TestRunDialog onClose={() => setOverlay(null)} />}
      {overlay === "send-test" && <NodeTest onClose={() => setOverlay(null)} />}
      {outcome && (
        <BundleDialog
          outcome={outcome}
          onClose={() => {
            setOutcome(null);
            setOverlay(null);
          }}
        />
      )}
    </div>
  );
}
