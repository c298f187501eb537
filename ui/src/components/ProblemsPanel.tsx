import { issueNodeId, parseIssuePath, useEditor } from "../store";
import { focusField } from "./Inspector";

/** Every validation issue of the open workflow; a click selects its node and focuses the field. */
export function ProblemsPanel() {
  const issues = useEditor((s) => s.issues);
  const nodes = useEditor((s) => s.nodes);
  const open = useEditor((s) => s.meta !== null);
  const selectNode = useEditor((s) => s.selectNode);
  if (!open) return null;
  const errors = issues.filter((i) => i.severity === "error").length;
  const warnings = issues.length - errors;

  return (
    <section className="problems" aria-label="Problems" data-testid="problems">
      <h2 className="panel-title">
        Problems
        <span className="counts">
          <span className={`badge ${errors ? "error" : "muted"}`}>{errors} error{errors === 1 ? "" : "s"}</span>
          <span className={`badge ${warnings ? "warning" : "muted"}`}>{warnings} warning{warnings === 1 ? "" : "s"}</span>
        </span>
      </h2>
      {issues.length === 0 ? (
        <p className="muted hint" data-testid="problems-empty">
          No problems found.
        </p>
      ) : (
        <ul className="problem-list">
          {issues.map((issue, index) => {
            const nodeId = issueNodeId(issue, nodes);
            const { param, sub } = parseIssuePath(issue.path);
            return (
              <li key={index}>
                <button
                  type="button"
                  className={`problem ${issue.severity}`}
                  data-testid={`problem-${index}`}
                  onClick={() => {
                    if (nodeId) selectNode(nodeId, param ?? undefined, sub ?? undefined);
                    if (param) requestAnimationFrame(() => focusField(param, sub ?? undefined));
                  }}
                >
                  <span className={`sev ${issue.severity}`} aria-label={issue.severity}>
                    {issue.severity === "error" ? "✕" : "!"}
                  </span>
                  <span className="problem-text">
                    <span className="problem-message">{issue.message}</span>
                    <span className="problem-where mono">
                      {nodeId ? `${nodeId} · ` : ""}
                      {issue.path}
                    </span>
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
