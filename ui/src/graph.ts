// Conversion between the engine's Workflow and React Flow's nodes and edges, and the
// graph rules the canvas checks before it asks the engine. Everything about a node type
// comes from its NodeTypeSpec (the catalogue); nothing here names a node kind.

import type { Edge as FlowEdge, Node as FlowNode, XYPosition } from "@xyflow/react";
import type { Edge } from "./bindings/Edge";
import type { Node } from "./bindings/Node";
import type { NodeTypeSpec } from "./bindings/NodeTypeSpec";
import type { PortSpec } from "./bindings/PortSpec";
import type { Workflow } from "./bindings/Workflow";
import type { Issue } from "./api";

/** The id of every node's single input handle. */
export const INPUT_HANDLE = "in";

/** What a canvas node carries: the engine node minus id and position. */
export type StepData = {
  kind: string;
  title?: string;
  params: Record<string, unknown>;
};

export type StepNode = FlowNode<StepData, "step">;
export type StepEdge = FlowEdge;

/** The parts of a workflow that are not the graph. */
export type WorkflowMeta = Pick<Workflow, "name" | "description">;

export type Catalogue = ReadonlyMap<string, NodeTypeSpec>;

export function catalogueMap(specs: readonly NodeTypeSpec[]): Catalogue {
  return new Map(specs.map((s) => [s.kind, s]));
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

export function edgeId(edge: Edge, salt: string | number = ""): string {
  return `e${salt}:${edge.from}:${edge.port}->${edge.to}`;
}

export function nodeToFlow(node: Node): StepNode {
  const data: StepData = { kind: node.kind, params: clone(node.params) };
  if (node.title !== undefined) data.title = node.title;
  return {
    id: node.id,
    type: "step",
    position: { x: node.position.x, y: node.position.y },
    data,
  };
}

export function edgeToFlow(edge: Edge, salt: string | number = ""): StepEdge {
  return {
    id: edgeId(edge, salt),
    source: edge.from,
    sourceHandle: edge.port,
    target: edge.to,
    targetHandle: INPUT_HANDLE,
  };
}

/** A workflow as React Flow nodes and edges (edge order and node order are kept). */
export function workflowToFlow(workflow: Workflow): { nodes: StepNode[]; edges: StepEdge[] } {
  return {
    nodes: workflow.nodes.map(nodeToFlow),
    edges: workflow.edges.map((e, i) => edgeToFlow(e, i)),
  };
}

export function flowToNode(node: StepNode): Node {
  const out: Node = {
    id: node.id,
    kind: node.data.kind,
    position: { x: node.position.x, y: node.position.y },
    params: clone(node.data.params),
  };
  if (node.data.title !== undefined) {
    // keep the key order of the engine's serialization: id, kind, title, position, params
    return { id: out.id, kind: out.kind, title: node.data.title, position: out.position, params: out.params };
  }
  return out;
}

export function flowToEdge(edge: StepEdge): Edge {
  return { from: edge.source, port: edge.sourceHandle ?? "", to: edge.target };
}

/** The engine's Workflow for React Flow's nodes and edges. */
export function flowToWorkflow(meta: WorkflowMeta, nodes: StepNode[], edges: StepEdge[]): Workflow {
  return {
    name: meta.name,
    description: meta.description,
    nodes: nodes.map(flowToNode),
    edges: edges.map(flowToEdge),
  };
}

/** The output ports of a node: one per entry of `ports_from_param`, then the fixed ports. */
export function portsOf(spec: NodeTypeSpec, params: Record<string, unknown>): PortSpec[] {
  const ports: PortSpec[] = [];
  if (spec.ports_from_param) {
    const items = params[spec.ports_from_param];
    if (Array.isArray(items)) {
      for (const item of items) {
        const name = item && typeof item === "object" ? (item as { name?: unknown }).name : undefined;
        if (typeof name === "string") ports.push({ name, label: name || "(unnamed)" });
      }
    }
  }
  return ports.concat(spec.ports);
}

/** The params a new node of this type starts with: every declared non-null default. */
export function defaultParams(spec: NodeTypeSpec): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const p of spec.params) {
    if (p.default !== null && p.default !== undefined) params[p.name] = clone(p.default);
  }
  return params;
}

/** A node id not yet taken: the kind's name followed by the first free number. */
export function freshNodeId(kind: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  for (let n = 1; ; n++) {
    const id = `${kind}_${n}`;
    if (!used.has(id)) return id;
  }
}

export function newNode(spec: NodeTypeSpec, position: XYPosition, taken: Iterable<string>): StepNode {
  return {
    id: freshNodeId(spec.kind, taken),
    type: "step",
    position: { x: Math.round(position.x), y: Math.round(position.y) },
    data: { kind: spec.kind, params: defaultParams(spec) },
    selected: true,
  };
}

/** A connection being drawn, as React Flow reports it. */
export type Candidate = {
  source: string | null;
  sourceHandle?: string | null;
  target: string | null;
  targetHandle?: string | null;
};

/**
 * Why the engine would refuse this connection, judged from the node declarations alone
 * (triggers take no input, ports must exist, no duplicate edge); null if it may be drawn.
 * Loops are left to the engine's `validate_workflow`.
 */
export function connectionProblem(
  candidate: Candidate,
  nodes: readonly StepNode[],
  edges: readonly StepEdge[],
  catalogue: Catalogue,
): string | null {
  const from = nodes.find((n) => n.id === candidate.source);
  const to = nodes.find((n) => n.id === candidate.target);
  if (!from || !to) return "Connect an output port to another node's input.";
  const fromSpec = catalogue.get(from.data.kind);
  const toSpec = catalogue.get(to.data.kind);
  if (!fromSpec) return `\`${from.id}\` has an unknown node type \`${from.data.kind}\`.`;
  if (!toSpec) return `\`${to.id}\` has an unknown node type \`${to.data.kind}\`.`;
  if (!toSpec.has_input) return `\`${to.id}\` is a trigger: nothing can lead into it.`;
  if (candidate.targetHandle && candidate.targetHandle !== INPUT_HANDLE) {
    return "Connect to the node's input on its left side.";
  }
  const port = candidate.sourceHandle ?? "";
  const ports = portsOf(fromSpec, from.data.params).map((p) => p.name);
  if (!ports.includes(port)) {
    return ports.length === 0
      ? `${fromSpec.title} \`${from.id}\` has no output port.`
      : `${fromSpec.title} \`${from.id}\` has no port \`${port}\`: its ports are ${ports.join(", ")}.`;
  }
  if (
    edges.some(
      (e) => e.source === from.id && (e.sourceHandle ?? "") === port && e.target === to.id,
    )
  ) {
    return `\`${from.id}\` ${port} is already connected to \`${to.id}\`.`;
  }
  return null;
}

/**
 * Rewrites edges after the parameter that names a node's ports changed: a port renamed in
 * place keeps its edges under the new name, a port that disappeared loses its edges.
 */
export function reconcilePortEdges(
  nodeId: string,
  before: readonly string[],
  after: readonly string[],
  edges: StepEdge[],
): StepEdge[] {
  const rename = new Map<string, string>();
  if (before.length === after.length) {
    before.forEach((name, i) => {
      if (name !== after[i]) rename.set(name, after[i]);
    });
  }
  const keep = new Set(after);
  return edges.flatMap((e) => {
    if (e.source !== nodeId) return [e];
    const port = e.sourceHandle ?? "";
    const renamed = rename.get(port);
    if (renamed !== undefined && !before.includes(renamed)) {
      const edge = { from: e.source, port: renamed, to: e.target };
      return [{ ...e, id: edgeId(edge, "r"), sourceHandle: renamed }];
    }
    return keep.has(port) ? [e] : [];
  });
}

const issueKey = (i: Issue) => `${i.code}|${i.path}|${i.message}`;

/**
 * Asks the engine whether adding this edge introduces an error the workflow did not have
 * (a loop without a Wait node, ...): the first new error's message, or null.
 */
export async function newErrorFrom(
  current: Workflow,
  edge: Edge,
  validate: (workflow: Workflow) => Promise<Issue[]>,
): Promise<string | null> {
  const candidate = { ...current, edges: [...current.edges, edge] };
  const [before, after] = await Promise.all([validate(current), validate(candidate)]);
  const known = new Set(before.map(issueKey));
  return after.find((i) => i.severity === "error" && !known.has(issueKey(i)))?.message ?? null;
}
