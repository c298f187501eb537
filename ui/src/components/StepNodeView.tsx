import { Handle, type NodeProps, Position, useUpdateNodeInternals } from "@xyflow/react";
import { memo, useEffect, useMemo, useRef } from "react";
import { useShallow } from "zustand/react/shallow";
import { INPUT_HANDLE, portsOf, type StepNode } from "../graph";
import { stepOf, useEditor } from "../store";
import { summary } from "./canvas/nodeLayout";

/** A canvas node: built from the node type's declaration (input, one handle per port). */
export const StepNodeView = memo(function StepNodeView({ id, data, selected }: NodeProps<StepNode>) {
  const spec = useEditor((s) => s.catalogue.get(data.kind));
  const issues = useEditor(useShallow((s) => s.issues.filter((i) => i.node === id)));
  // The node's outcome in the test run shown: its status and branch, or "skipped" when the
  // run did not reach it. Selected as plain strings so other nodes' steps do not re-render it.
  const outcome = useEditor((s) => {
    if (!s.testRun) return null;
    const step = stepOf(s.testRun, id);
    return step ? `${step.status}${step.branch ? `\u0000${step.branch}` : ""}` : "skipped";
  });
  const [runStatus, runBranch] = outcome ? outcome.split("\u0000") : [null, undefined];
  const updateInternals = useUpdateNodeInternals();
  const ports = useMemo(() => (spec ? portsOf(spec, data.params) : []), [spec, data.params]);
  const portKey = ports.map((p) => p.name).join("\u0000");
  // React Flow measures a node's handles when it mounts; it must only be told again when the
  // ports change afterwards (a Response switch path added or renamed). Telling it on mount too
  // made opening a 1,000-node workflow re-measure the whole graph once per node.
  const mountedPorts = useRef(portKey);
  useEffect(() => {
    if (mountedPorts.current === portKey) return;
    mountedPorts.current = portKey;
    updateInternals(id);
  }, [id, portKey, updateInternals]);

  const errors = issues.filter((i) => i.severity === "error").length;
  const warnings = issues.length - errors;
  const title = data.title ?? spec?.title ?? data.kind;
  const line = spec ? summary(data.params, spec.params.map((p) => p.name)) : "";
  const classes = [
    "step",
    `cat-${spec?.category ?? "unknown"}`,
    selected ? "selected" : "",
    errors ? "has-error" : warnings ? "has-warning" : "",
    runStatus ? `run-${runStatus}` : "",
  ].join(" ");

  return (
    <div className={classes} data-testid={`node-${id}`} title={spec?.description}>
      {spec?.has_input !== false && (
        <Handle type="target" position={Position.Left} id={INPUT_HANDLE} className="port port-in" data-testid={`port-${id}-${INPUT_HANDLE}`} />
      )}
      <div className="step-head">
        <span className="step-cat">{spec?.category ?? "?"}</span>
        <span className="step-badges">
          {runStatus && (
            <span className={`run-mark run-${runStatus}`} data-testid={`node-${id}-outcome`} title={`Test run: ${runStatus}${runBranch ? ` → ${runBranch}` : ""}`}>
              {runStatus}
              {runBranch && ports.length > 1 ? ` → ${runBranch}` : ""}
            </span>
          )}
          {errors > 0 && (
            <span className="badge error" data-testid={`node-${id}-errors`} title={`${errors} error(s)`}>
              {errors}
            </span>
          )}
          {warnings > 0 && (
            <span className="badge warning" data-testid={`node-${id}-warnings`} title={`${warnings} warning(s)`}>
              {warnings}
            </span>
          )}
        </span>
      </div>
      <div className="step-title">{title}</div>
      <div className="step-id mono">{id}</div>
      {line && <div className="step-summary mono">{line}</div>}
      {!spec && <div className="step-summary error">Unknown node type {data.kind}</div>}
      {ports.length > 0 && (
        <div className="step-ports">
          {ports.map((p) => (
            <div key={p.name} className="port-row">
              <span className="port-label">{p.label}</span>
              <Handle type="source" position={Position.Right} id={p.name} className="port port-out" data-testid={`port-${id}-${p.name}`} />
            </div>
          ))}
        </div>
      )}
    </div>
  );
});
