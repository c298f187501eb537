import { useStore } from "@xyflow/react";
import { useLayoutEffect, useMemo, useRef } from "react";
import { shallow } from "zustand/shallow";
import { type Catalogue, INPUT_HANDLE, type StepNode } from "../../graph";
import { useEditor } from "../../store";
import { categoryVariable, cssColors } from "./colors";
import { type Box, type Layouts, layoutKey, NODE_ESTIMATE, paneViewSelector, visibleBox } from "./nodeLayout";


type Point = { x: number; y: number };
/** Where a node is drawn and where its edges meet it. */
type Shape = { id: string; box: Box; fill: string; selected: boolean; input: Point; ports: Map<string, Point> };

/** A node's box on the canvas: its measured size, else its shape's, else an estimate. */
export function nodeBox(node: StepNode, catalogue: Catalogue, layouts: Layouts): Box {
  const size = node.measured?.width && node.measured.height ? node.measured : layouts.get(layoutKey(node, catalogue))?.measured;
  return { x: node.position.x, y: node.position.y, width: size?.width ?? NODE_ESTIMATE.width, height: size?.height ?? NODE_ESTIMATE.height };
}

/** The topmost node whose box holds `point` (flow coordinates), as the overview draws them. */
export function nodeAt(nodes: readonly StepNode[], catalogue: Catalogue, layouts: Layouts, point: Point): string | null {
  for (let i = nodes.length - 1; i >= 0; i--) {
    const b = nodeBox(nodes[i], catalogue, layouts);
    if (point.x >= b.x && point.x <= b.x + b.width && point.y >= b.y && point.y <= b.y + b.height) return nodes[i].id;
  }
  return null;
}

function shapes(nodes: readonly StepNode[], catalogue: Catalogue, layouts: Layouts, problems: Map<string, string>): Map<string, Shape> {
  const out = new Map<string, Shape>();
  for (const node of nodes) {
    const box = nodeBox(node, catalogue, layouts);
    const ports = new Map<string, Point>();
    let input = { x: box.x, y: box.y + box.height / 2 };
    for (const h of layouts.get(layoutKey(node, catalogue))?.handles ?? []) {
      const at = { x: box.x + h.x + (h.width ?? 0) / 2, y: box.y + h.y + (h.height ?? 0) / 2 };
      if (h.type === "target" && h.id === INPUT_HANDLE) input = at;
      else if (h.id) ports.set(h.id, at);
    }
    const fill = problems.get(node.id) ?? categoryVariable(catalogue.get(node.data.kind)?.category);
    out.set(node.id, { id: node.id, box, fill, selected: node.selected === true, input, ports });
  }
  return out;
}

function intersects(a: Box, b: Box): boolean {
  return a.x <= b.x + b.width && b.x <= a.x + a.width && a.y <= b.y + b.height && b.y <= a.y + a.height;
}

/**
 * The workflow zoomed out (Canvas.tsx, below OVERVIEW_ZOOM): every node in view drawn as a box
 * in its category's colour (red or amber with a problem, ringed when selected) and every edge
 * as a line, on one <canvas> over the pane, while React Flow draws nothing. Hundreds of DOM
 * nodes and SVG edges panned at 5 fps when WebKit paints on the CPU; one canvas redrawn per
 * frame keeps up. The canvas takes no pointer events: the pane under it pans and zooms, and
 * a click on it selects the node there (Canvas.tsx, `nodeAt`). `data-drawn` says how many
 * nodes the last frame drew.
 */
export function CanvasOverview({ layouts }: { layouts: Layouts }) {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const catalogue = useEditor((s) => s.catalogue);
  const issues = useEditor((s) => s.issues);
  const { transform, width, height } = useStore(paneViewSelector, shallow);
  const canvas = useRef<HTMLCanvasElement>(null);

  const byId = useMemo(() => {
    const problems = new Map<string, string>();
    for (const issue of issues) {
      if (!issue.node) continue;
      if (issue.severity === "error") problems.set(issue.node, "--error");
      else if (!problems.has(issue.node)) problems.set(issue.node, "--warning");
    }
    return shapes(nodes, catalogue, layouts, problems);
  }, [nodes, catalogue, layouts, issues]);

  useLayoutEffect(() => {
    const el = canvas.current;
    const ctx = el?.getContext("2d");
    if (!el || !ctx) return;
    const ratio = window.devicePixelRatio || 1;
    const [tx, ty, zoom] = transform;
    const [pixelWidth, pixelHeight] = [Math.round(width * ratio), Math.round(height * ratio)];
    if (el.width !== pixelWidth || el.height !== pixelHeight) {
      el.width = pixelWidth;
      el.height = pixelHeight;
    } else {
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, pixelWidth, pixelHeight);
    }
    ctx.setTransform(ratio * zoom, 0, 0, ratio * zoom, ratio * tx, ratio * ty);
    const view = visibleBox({ transform, width, height });
    const color = cssColors(el);

    // Edges first, one path per colour, as curves like React Flow's, under the boxes.
    for (const selected of [false, true]) {
      ctx.beginPath();
      for (const e of edges) {
        if ((e.selected === true) !== selected) continue;
        const from = byId.get(e.source);
        const to = byId.get(e.target);
        if (!from || !to) continue;
        const a = from.ports.get(e.sourceHandle ?? "") ?? { x: from.box.x + from.box.width, y: from.box.y + from.box.height / 2 };
        const b = to.input;
        const span: Box = { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), width: Math.abs(b.x - a.x), height: Math.abs(b.y - a.y) };
        if (!intersects(span, view)) continue;
        const bend = Math.max(Math.abs(b.x - a.x) / 2, 40);
        ctx.moveTo(a.x, a.y);
        ctx.bezierCurveTo(a.x + bend, a.y, b.x - bend, b.y, b.x, b.y);
      }
      ctx.lineWidth = (selected ? 2 : 1) / zoom;
      ctx.strokeStyle = color(selected ? "--accent" : "--edge");
      ctx.stroke();
    }

    let drawn = 0;
    const ringed: Box[] = [];
    let fill = "";
    for (const shape of byId.values()) {
      if (!intersects(shape.box, view)) continue;
      drawn++;
      if (shape.fill !== fill) {
        fill = shape.fill;
        ctx.fillStyle = color(fill);
      }
      ctx.fillRect(shape.box.x, shape.box.y, shape.box.width, shape.box.height);
      if (shape.selected) ringed.push(shape.box);
    }
    if (ringed.length > 0) {
      // A ring a few screen pixels wide, outside the box, to stay visible at this scale.
      const ring = 4 / zoom;
      ctx.lineWidth = ring;
      ctx.strokeStyle = color("--focus-ring");
      for (const b of ringed) ctx.strokeRect(b.x - ring / 2, b.y - ring / 2, b.width + ring, b.height + ring);
    }
    el.dataset.drawn = String(drawn);
  }, [byId, edges, transform, width, height]);

  return <canvas ref={canvas} className="canvas-overview" data-testid="canvas-overview" aria-hidden="true" style={{ width, height }} />;
}
