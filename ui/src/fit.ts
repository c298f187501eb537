import type { ReactFlowInstance, Rect } from "@xyflow/react";
import { NODE_ESTIMATE } from "./components/canvas/nodeLayout";
import type { StepNode } from "./graph";

const MIN_VIEW = { width: 640, height: 420 };
/** The margin around the nodes when fitting them, as a fraction of the view. */
export const FIT_PADDING = 0.1;

/**
 * The area that shows every node, or null without nodes. React Flow's own fitView only counts
 * measured nodes, and with `onlyRenderVisibleElements` the off-screen ones are not measured,
 * so this works from the positions (and the measured size where known). Small graphs are not
 * blown up: the area is at least MIN_VIEW wide and high.
 */
export function fitBounds(nodes: readonly StepNode[]): Rect | null {
  if (nodes.length === 0) return null;
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const n of nodes) {
    const w = n.measured?.width ?? NODE_ESTIMATE.width;
    const h = n.measured?.height ?? NODE_ESTIMATE.height;
    minX = Math.min(minX, n.position.x);
    minY = Math.min(minY, n.position.y);
    maxX = Math.max(maxX, n.position.x + w);
    maxY = Math.max(maxY, n.position.y + h);
  }
  const width = Math.max(maxX - minX, MIN_VIEW.width);
  const height = Math.max(maxY - minY, MIN_VIEW.height);
  return { x: (minX + maxX) / 2 - width / 2, y: (minY + maxY) / 2 - height / 2, width, height };
}

/** Zooms to show every node (see `fitBounds`). */
export function fitAll(rf: Pick<ReactFlowInstance, "fitBounds" | "setViewport">, nodes: readonly StepNode[], duration = 0): void {
  const bounds = fitBounds(nodes);
  if (!bounds) {
    void rf.setViewport({ x: 40, y: 40, zoom: 1 }, { duration });
    return;
  }
  void rf.fitBounds(bounds, { padding: FIT_PADDING, duration });
}
