import { describe, expect, it } from "vitest";
import { nodeAt, nodeBox } from "../components/canvas/CanvasOverview";
import { layoutKey, NODE_ESTIMATE, type NodeLayout } from "../components/canvas/nodeLayout";
import { type StepNode, workflowToFlow } from "../graph";
import { catalogue, demo } from "./fixtures";

const { nodes } = workflowToFlow(demo.workflows[0]);
const moved = (node: StepNode, x: number, y: number): StepNode => ({ ...node, position: { x, y } });

describe("the zoomed-out overview's boxes", () => {
  it("are as big as React Flow measured the node's shape, else the estimate", () => {
    const [first] = nodes;
    const layout: NodeLayout = { measured: { width: 240, height: 96 }, handles: [] };
    const layouts = new Map([[layoutKey(first, catalogue), layout]]);
    expect(nodeBox(moved(first, 10, 20), catalogue, layouts)).toEqual({ x: 10, y: 20, width: 240, height: 96 });
    expect(nodeBox(moved(first, 10, 20), catalogue, new Map())).toEqual({ x: 10, y: 20, ...NODE_ESTIMATE });
  });

  it("take a click inside them, the one drawn on top winning, and not beside them", () => {
    const [a, b] = nodes;
    const placed = [moved(a, 0, 0), moved(b, 100, 50)];
    const none = new Map();
    expect(nodeAt(placed, catalogue, none, { x: 10, y: 10 })).toBe(a.id);
    // Where both boxes are, the later one is drawn over the earlier.
    expect(nodeAt(placed, catalogue, none, { x: 150, y: 80 })).toBe(b.id);
    expect(nodeAt(placed, catalogue, none, { x: NODE_ESTIMATE.width + 120, y: 10 })).toBeNull();
    expect(nodeAt(placed, catalogue, none, { x: -1, y: 10 })).toBeNull();
  });
});
