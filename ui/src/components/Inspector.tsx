import { useEffect, useMemo } from "react";
import { useShallow } from "zustand/react/shallow";
import type { Issue } from "../api";
import { variablesFor } from "../expressions";
import { flowToEdge } from "../graph";
import { parseIssuePath, selectedNode, stepOf, useEditor } from "../store";
import { OutcomeView } from "./test/TestPanel";
import { fieldId, ParamForm } from "./form/ParamForm";

/**
 * Focuses a parameter's field (or the first input inside it) and scrolls it into view; with
 * `sub` (`url` of `params.inline.url`) the sub-field of a compound widget if it has one.
 */
export function focusField(param: string, sub?: string): boolean {
  const el = (sub && document.getElementById(`${fieldId(param)}-${sub}`)) || document.getElementById(fieldId(param));
  if (!el) return false;
  const target =
    el.matches("input, select, textarea") ? el : (el.querySelector<HTMLElement>("input, select, textarea, [contenteditable=true]") ?? el);
  target.focus();
  target.scrollIntoView?.({ block: "nearest" });
  return true;
}

/** The selected node's step in the test run shown on the canvas. */
function RunStep({ nodeId }: { nodeId: string }) {
  const step = useEditor((s) => stepOf(s.testRun, nodeId));
  return (
    <section className="run-step" data-testid="run-step" aria-label="Test run step">
      <span className="section-title">Test run</span>
      {!step && <p className="muted small">The run did not reach this node (skipped).</p>}
      {step && (
        <>
          <p className="small">
            <span className={`run-mark run-${step.status}`}>{step.status}</span>
            {step.branch && (
              <>
                {" "}
                took <strong className="mono">{step.branch}</strong>
              </>
            )}
            <span className="muted"> · {step.duration_ms} ms</span>
          </p>
          {step.changes && <pre className="code-block">{JSON.stringify(step.changes, null, 2)}</pre>}
          {(step.request || step.response || step.error) && <OutcomeView outcome={{ step, switch: null }} />}
        </>
      )}
    </section>
  );
}

export function Inspector() {
  const node = useEditor(selectedNode);
  const selectedCount = useEditor((s) => s.nodes.reduce((n, x) => n + (x.selected ? 1 : 0), 0));
  const meta = useEditor((s) => s.meta);
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const { catalogue, webhooks, eventDefinitions, connectors, environments } = useEditor(
    useShallow((s) => ({
      catalogue: s.catalogue,
      webhooks: s.webhooks,
      eventDefinitions: s.eventDefinitions,
      connectors: s.connectors,
      environments: s.environments,
    })),
  );
  const issues = useEditor((s) => s.issues);
  const focus = useEditor((s) => s.focus);
  const { setParam, setTitle, setDescription } = useEditor(
    useShallow((s) => ({ setParam: s.setParam, setTitle: s.setTitle, setDescription: s.setDescription })),
  );

  const testRun = useEditor((s) => s.testRun);
  const setOverlay = useEditor((s) => s.setOverlay);
  const spec = node ? catalogue.get(node.data.kind) : undefined;
  const nodeId = node?.id ?? null;

  const variables = useMemo(() => {
    if (!meta) return [];
    // A read-only view of the graph (no copies): completion only reads it.
    const workflow = {
      ...meta,
      nodes: nodes.map((n) => ({ id: n.id, kind: n.data.kind, position: n.position, params: n.data.params })),
      edges: edges.map(flowToEdge),
    };
    return variablesFor(nodeId, { workflow, catalogue, eventDefinitions, environments });
  }, [meta, nodes, edges, nodeId, catalogue, eventDefinitions, environments]);

  const { byParam, general } = useMemo(() => {
    const byParam: Record<string, Issue[]> = {};
    const general: Issue[] = [];
    if (!nodeId) return { byParam, general };
    const index = nodes.findIndex((n) => n.id === nodeId);
    for (const issue of issues) {
      const at = parseIssuePath(issue.path);
      if (at.node === index && at.param) (byParam[at.param] ??= []).push(issue);
      else if (issue.node === nodeId) general.push(issue);
    }
    return { byParam, general };
  }, [issues, nodes, nodeId]);

  useEffect(() => {
    if (focus) requestAnimationFrame(() => focusField(focus.param, focus.sub));
  }, [focus, nodeId]);

  if (!meta) return <aside className="inspector" aria-label="Inspector" />;

  if (!node || !spec) {
    return (
      <aside className="inspector" aria-label="Inspector" data-testid="inspector">
        <h2 className="panel-title">{selectedCount > 1 ? `${selectedCount} nodes selected` : meta.name}</h2>
        {selectedCount > 1 ? (
          <p className="muted">Move them together, copy them with Ctrl+C, or delete them with Delete.</p>
        ) : (
          <>
            <label className="field-label" htmlFor="workflow-description">
              Description
            </label>
            <textarea
              id="workflow-description"
              data-testid="description"
              className="input"
              rows={3}
              value={meta.description}
              placeholder="What this workflow does"
              onChange={(e) => setDescription(e.target.value)}
            />
            <p className="muted hint">Select a node to edit its settings.</p>
          </>
        )}
      </aside>
    );
  }

  return (
    <aside className="inspector" aria-label="Inspector" data-testid="inspector">
      <div className="inspector-head">
        <span className={`cat-chip cat-${spec.category}`}>{spec.title}</span>
        <span className="mono muted">{node.id}</span>
      </div>
      <p className="muted small">{spec.description}</p>
      {node.data.kind === "http_request" && (
        <button type="button" className="btn small" data-testid="send-test-open" onClick={() => setOverlay("send-test")} title="Send this request for a picked contact or event">
          Send test…
        </button>
      )}
      {testRun && <RunStep nodeId={node.id} />}
      <label className="field-label" htmlFor="node-title">
        Label
      </label>
      <input
        id="node-title"
        data-testid="node-title"
        className="input"
        value={node.data.title ?? ""}
        placeholder={spec.title}
        onChange={(e) => setTitle(node.id, e.target.value)}
      />
      {general.length > 0 && (
        <ul className="node-issues">
          {general.map((i, k) => (
            <li key={k} className={`field-issue ${i.severity}`}>
              {i.message}
            </li>
          ))}
        </ul>
      )}
      <ParamForm
        key={node.id}
        params={spec.params}
        values={node.data.params}
        issues={byParam}
        onChange={(name, value) => setParam(node.id, name, value)}
        options={{ eventDefinitions, webhooks, connectors, variables }}
      />
    </aside>
  );
}
