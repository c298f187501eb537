import type { ReactFlowInstance } from "@xyflow/react";
import type { StepNode } from "./graph";

/** Size assumed for a node React Flow has not measured yet (it is off screen). */
const ESTIMATE = { width: 200, height: 110 };
const MIN_VIEW = { width: 640, height: 420 };

/**
 * Zooms to show every node. React Flow's own fitView only counts measured nodes, and with
 * `onlyRenderVisibleElements` the off-screen ones are not measured, so this works from the
 * positions (and the measured size where known).
 */
export function fitAll(rf: Pick<ReactFlowInstance, "fitBounds" | "setViewport">, nodes: readonly StepNode[], duration = 0): void {
  if (nodes.length === 0) {
    void rf.setViewport({ x: 40, y: 40, zoom: 1 }, { duration });
    return;
  }
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const n of nodes) {
    const w = n.measured?.width ?? ESTIMATE.width;
    const h = n.measured?.height ?? ESTIMATE.height;
    minX = Math.min(minX, n.position.x);
    minY = Math.min(minY, n.position.y);
    maxX = Math.max(maxX, n.position.x + w);
    maxY = Math.max(maxY, n.position.y + h);
  }
  // Small graphs are not blown up: the view is at least MIN_VIEW wide and high.
  const width = Math.max(maxX - minX, MIN_VIEW.width);
  const height = Math.max(maxY - minY, MIN_VIEW.height);
  const x = (minX + maxX) / 2 - width / 2;
  const y = (minY + maxY) / 2 - height / 2;
  void rf.fitBounds({ x, y, width, height }, { padding: 0.1, duration });
}
