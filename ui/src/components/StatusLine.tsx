import { useEditor } from "../store";

/** The last message of the app (what was done, or why something was refused). */
export function StatusLine() {
  const status = useEditor((s) => s.status);
  const nodes = useEditor((s) => s.nodes.length);
  const edges = useEditor((s) => s.edges.length);
  const open = useEditor((s) => s.meta !== null);
  return (
    <footer className="status-line">
      <span
        key={status?.id}
        className={`status-message ${status?.tone ?? "info"}`}
        data-testid="status-message"
        role={status?.tone === "error" ? "alert" : "status"}
        aria-live="polite"
      >
        {status?.text ?? "Ready. Press ? for keyboard shortcuts."}
      </span>
      <span className="spacer" />
      {open && (
        <span className="muted small">
          {nodes} node{nodes === 1 ? "" : "s"} · {edges} edge{edges === 1 ? "" : "s"}
        </span>
      )}
    </footer>
  );
}
