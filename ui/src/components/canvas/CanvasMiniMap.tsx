import { Panel, useNodes, useReactFlow, useStoreApi } from "@xyflow/react";
import { type PointerEvent, useEffect, useMemo, useRef, useState } from "react";
import type { StepNode } from "../../graph";
import { useEditor } from "../../store";
import { categoryVariable, cssColors } from "./colors";
import { type Box, measuredSize, nodesBounds, paneViewSelector, visibleBox } from "./nodeLayout";

const WIDTH = 160;
const HEIGHT = 110;

/** While the view moves, the minimap follows it at most this often. */
const VIEW_UPDATE_MS = 100;

/**
 * The view (transform and size of the pane), updated at most every VIEW_UPDATE_MS while it
 * moves, and once more when it stops: redrawing the minimap on every frame of a pan cost
 * 3-5 fps at 100 % zoom on a 1,000-node workflow when WebKit paints on the CPU.
 */
function useView() {
  const store = useStoreApi();
  const [view, setView] = useState(() => paneViewSelector(store.getState()));
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let last = 0;
    const update = () => {
      timer = null;
      last = performance.now();
      setView(paneViewSelector(store.getState()));
    };
    const unsubscribe = store.subscribe((s, prev) => {
      if ((s.transform === prev.transform && s.width === prev.width && s.height === prev.height) || timer !== null) return;
      timer = setTimeout(update, Math.max(0, last + VIEW_UPDATE_MS - performance.now()));
    });
    update();
    return () => {
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    };
  }, [store]);
  return view;
}

/**
 * The minimap: every node drawn on one <canvas> with the part of the workflow in view. React
 * Flow's MiniMap keeps one store subscription per node, which cost ~9 ms per frame while
 * panning a 1,000-node workflow; this draws the nodes once per change of nodes or scale, and
 * the view over them as the view changes (see `useView`).
 * Click or drag to move the view there, scroll to zoom.
 */
export function CanvasMiniMap() {
  const nodes = useNodes<StepNode>();
  const catalogue = useEditor((s) => s.catalogue);
  const paneView = useView();
  const rf = useReactFlow<StepNode>();
  const canvas = useRef<HTMLCanvasElement>(null);

  const nodeBox = useMemo(() => nodesBounds(nodes), [nodes]);

  const zoom = paneView.transform[2];
  const view = visibleBox(paneView);
  // What the map shows: the nodes and the view, centred, with a margin.
  const shown = nodeBox ? union(nodeBox, view) : view;
  const scale = (Math.max(shown.width / WIDTH, shown.height / HEIGHT) || 1) * 1.1;
  const originX = shown.x + shown.width / 2 - (WIDTH * scale) / 2;
  const originY = shown.y + shown.height / 2 - (HEIGHT * scale) / 2;

  // The nodes are drawn once per change of nodes or map scale into a layer that each change of
  // view only copies: panning at 100 % moves the view, not the map.
  const layer = useRef<{ key: unknown[]; canvas: HTMLCanvasElement } | null>(null);

  useEffect(() => {
    const ctx = canvas.current?.getContext("2d");
    if (!ctx) return;
    const color = cssColors(ctx.canvas);
    const ratio = window.devicePixelRatio || 1;
    const key = [nodes, catalogue, scale, originX, originY, ratio];
    if (!layer.current || key.some((part, i) => part !== layer.current?.key[i])) {
      const nodesLayer = layer.current?.canvas ?? document.createElement("canvas");
      nodesLayer.width = WIDTH * ratio;
      nodesLayer.height = HEIGHT * ratio;
      const draw = nodesLayer.getContext("2d");
      if (!draw) return;
      draw.setTransform(ratio / scale, 0, 0, ratio / scale, (-originX * ratio) / scale, (-originY * ratio) / scale);
      draw.globalAlpha = 0.7;
      for (const n of nodes) {
        draw.fillStyle = color(categoryVariable(catalogue.get(n.data.kind)?.category));
        const { width, height } = measuredSize(n);
        draw.fillRect(n.position.x, n.position.y, width, height);
      }
      layer.current = { key, canvas: nodesLayer };
    }
    ctx.canvas.width = WIDTH * ratio;
    ctx.canvas.height = HEIGHT * ratio;
    ctx.drawImage(layer.current.canvas, 0, 0);
    ctx.setTransform(ratio / scale, 0, 0, ratio / scale, (-originX * ratio) / scale, (-originY * ratio) / scale);
    ctx.fillStyle = color("--xy-minimap-mask-background-color-default");
    ctx.beginPath();
    ctx.rect(originX, originY, WIDTH * scale, HEIGHT * scale);
    ctx.rect(view.x, view.y, view.width, view.height);
    ctx.fill("evenodd");
  });

  const moveTo = (e: PointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    void rf.setCenter(originX + (e.clientX - r.left) * scale, originY + (e.clientY - r.top) * scale, { zoom });
  };

  return (
    <Panel position="bottom-right" className="react-flow__minimap minimap nowheel">
      <canvas
        ref={canvas}
        role="img"
        aria-label="Minimap: click or drag to move the view, scroll to zoom"
        data-testid="minimap"
        style={{ width: WIDTH, height: HEIGHT }}
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          moveTo(e);
        }}
        onPointerMove={(e) => {
          if (e.buttons & 1) moveTo(e);
        }}
        onWheel={(e) => void rf.zoomTo(zoom * 2 ** (-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.002)))}
      />
    </Panel>
  );
}

function union(a: Box, b: Box): Box {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}
