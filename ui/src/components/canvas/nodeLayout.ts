// Node sizes and handle positions given to React Flow up front. React Flow draws a node only
// once it knows its size and handles; without them it renders every node of the workflow,
// off screen too, to measure it. A canvas node's size and handles depend only on its type,
// whether it shows a summary line and its ports (titles and summaries stay on one line), so
// one node of each such shape is measured by React Flow and the others take its layout.

import type { InternalNode, NodeHandle, ReactFlowState } from "@xyflow/react";
import { type Catalogue, portsOf, type StepNode } from "../../graph";

/** A rectangle in flow coordinates. */
export type Box = { x: number; y: number; width: number; height: number };
/** The pane's view as React Flow holds it: transform `[x, y, zoom]` and the pane's size. */
export type PaneView = Pick<ReactFlowState, "transform" | "width" | "height">;

/** Selects the pane's view from React Flow's store (compare with `shallow`). */
export const paneViewSelector = (s: ReactFlowState): PaneView => ({ transform: s.transform, width: s.width, height: s.height });

/** The part of the flow the pane shows, in flow coordinates. */
export function visibleBox({ transform: [tx, ty, zoom], width, height }: PaneView): Box {
  return { x: -tx / zoom, y: -ty / zoom, width: width / zoom, height: height / zoom };
}

/** Size assumed for a node whose size React Flow has not measured (it has not been drawn). */
export const NODE_ESTIMATE = { width: 200, height: 110 };

/** The size React Flow measured for the node, else NODE_ESTIMATE. */
export function measuredSize(node: StepNode): { width: number; height: number } {
  return { width: node.measured?.width ?? NODE_ESTIMATE.width, height: node.measured?.height ?? NODE_ESTIMATE.height };
}

/** The smallest box holding every node at its measured size (else the estimate); null without nodes. */
export function nodesBounds(nodes: readonly StepNode[]): Box | null {
  if (nodes.length === 0) return null;
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const n of nodes) {
    const { width, height } = measuredSize(n);
    minX = Math.min(minX, n.position.x);
    minY = Math.min(minY, n.position.y);
    maxX = Math.max(maxX, n.position.x + width);
    maxY = Math.max(maxY, n.position.y + height);
  }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

export type NodeLayout = { measured: { width: number; height: number }; handles: NodeHandle[] };

/** One short line describing the node's settings: its first string parameter. */
export function summary(params: Record<string, unknown>, order: string[]): string {
  for (const name of order) {
    const v = params[name];
    if (typeof v === "string" && v.trim()) return v;
  }
  return "";
}

/** What a node's size and handle positions depend on. */
export function layoutKey(node: StepNode, catalogue: Catalogue): string {
  const spec = catalogue.get(node.data.kind);
  if (!spec) return `?${node.data.kind}`;
  const line = summary(node.data.params, spec.params.map((p) => p.name)) ? "1" : "0";
  const ports = portsOf(spec, node.data.params).map((p) => p.name);
  return [node.data.kind, line, ...ports].join("\u0000");
}

/** The layout React Flow measured for a node, or null while it has not. */
export function measuredLayout(node: InternalNode | undefined): NodeLayout | null {
  const bounds = node?.internals.handleBounds;
  const { width, height } = node?.measured ?? {};
  if (!bounds || !width || !height) return null;
  const handles = [...(bounds.source ?? []), ...(bounds.target ?? [])].map(({ id, x, y, width, height, position, type }) => ({
    id,
    x,
    y,
    width,
    height,
    position,
    type,
  }));
  return { measured: { width, height }, handles };
}

/** The layouts measured so far, by layout key. */
export type Layouts = ReadonlyMap<string, NodeLayout>;
/** Each node with the layout it was given, and from which layouts (nodes are immutable). */
const laidOut = new WeakMap<StepNode, { layouts: Layouts; node: StepNode }>();

/**
 * The nodes to give React Flow: a node React Flow measured itself stays as it is; a node of a
 * known shape gets that shape's size and handles; of each unknown shape, the first node goes
 * as it is (React Flow measures it, see `learnLayouts`) and the others wait for it.
 */
export function withLayouts(nodes: readonly StepNode[], catalogue: Catalogue, layouts: Layouts): StepNode[] {
  const out: StepNode[] = [];
  const pending = new Set<string>();
  for (const node of nodes) {
    if (node.measured) {
      out.push(node);
      continue;
    }
    const known = laidOut.get(node);
    if (known?.layouts === layouts) {
      out.push(known.node);
      continue;
    }
    const key = layoutKey(node, catalogue);
    const layout = layouts.get(key);
    if (layout) {
      const flow = { ...node, measured: layout.measured, handles: layout.handles };
      laidOut.set(node, { layouts, node: flow });
      out.push(flow);
    } else if (!pending.has(key)) {
      pending.add(key);
      out.push(node);
    }
  }
  return out;
}

/**
 * `layouts` with the layout of each node React Flow has just measured whose shape was not
 * known yet (the nodes waiting for it can then be drawn); `layouts` itself if there is none.
 */
export function learnLayouts(
  ids: ReadonlySet<string>,
  nodes: readonly StepNode[],
  catalogue: Catalogue,
  internal: (id: string) => InternalNode | undefined,
  layouts: Layouts,
): Layouts {
  let learned: Map<string, NodeLayout> | null = null;
  for (const node of nodes) {
    if (!ids.has(node.id)) continue;
    const key = layoutKey(node, catalogue);
    if (layouts.has(key) || learned?.has(key)) continue;
    const layout = measuredLayout(internal(node.id));
    if (!layout) continue;
    learned ??= new Map(layouts);
    learned.set(key, layout);
  }
  return learned ?? layouts;
}
