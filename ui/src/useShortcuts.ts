import { useReactFlow } from "@xyflow/react";
import { useEffect } from "react";
import { fitAll } from "./fit";
import { useEditor } from "./store";

/** Whether a key press belongs to a text field rather than to the canvas. */
export function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/** The app-wide keyboard shortcuts listed in the help overlay. */
export function useShortcuts(actions: { newWorkflow: () => void; saveNow: () => void }) {
  const rf = useReactFlow();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const s = useEditor.getState();
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (e.key === "Escape" && s.overlay) {
        s.setOverlay(null);
        return;
      }
      if (mod && key === "s") {
        e.preventDefault();
        actions.saveNow();
        return;
      }
      // Canvas shortcuts act only on the designer, not behind a dialog or another view.
      const dialogOpen = s.overlay === "import" || s.overlay === "test-run" || s.overlay === "send-test";
      if (isEditable(e.target) || dialogOpen || s.view !== "designer") return;
      if (mod && key === "z") {
        e.preventDefault();
        if (e.shiftKey) s.redo();
        else s.undo();
      } else if (mod && key === "y") {
        e.preventDefault();
        s.redo();
      } else if (mod && key === "c") {
        if (window.getSelection()?.toString()) return;
        const n = s.copySelection();
        if (n) s.say(`Copied ${n} node${n === 1 ? "" : "s"}.`);
      } else if (mod && key === "v") {
        e.preventDefault();
        const n = s.paste();
        if (n) s.say(`Pasted ${n} node${n === 1 ? "" : "s"}.`);
      } else if (mod && key === "a") {
        if (!s.meta) return;
        e.preventDefault();
        s.onNodesChange(s.nodes.map((n) => ({ id: n.id, type: "select", selected: true })));
      } else if (mod || e.altKey) {
        return;
      } else if (e.key === "?") {
        s.setOverlay(s.overlay === "help" ? null : "help");
      } else if (key === "n") {
        e.preventDefault();
        actions.newWorkflow();
      } else if (key === "f" && s.meta) {
        fitAll(rf, useEditor.getState().nodes, 200);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [actions, rf]);
}
