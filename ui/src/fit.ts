import type { ReactFlowInstance, Rect } from "@xyflow/react";
import { nodesBounds } from "./components/canvas/nodeLayout";
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
  const bounds = nodesBounds(nodes);
  if (!bounds) return null;
  const width = Math.max(bounds.width, MIN_VIEW.width);
  const height = Math.max(bounds.height, MIN_VIEW.height);
  return { x: bounds.x + bounds.width / 2 - width / 2, y: bounds.y + bounds.height / 2 - height / 2, width, height };
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
