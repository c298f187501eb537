import {
  type Connection,
  type Edge,
  ControlButton,
  Controls,
  type FinalConnectionState,
  type NodeChange,
  getViewportForBounds,
  ReactFlow,
  type ReactFlowInstance,
  useReactFlow,
  useStore,
  useStoreApi,
  type Viewport,
} from "@xyflow/react";
import { type DragEvent, type MouseEvent as ReactMouseEvent, useCallback, useEffect, useMemo, useState } from "react";
import { api, ApiError } from "../api";
import { type Candidate, connectionProblem, INPUT_HANDLE, newErrorFrom, type StepNode } from "../graph";
import { useEditor } from "../store";
import { useColorScheme } from "../useColorScheme";
import { FIT_PADDING, fitAll, fitBounds } from "../fit";
import { CanvasDots } from "./canvas/CanvasDots";
import { CanvasMiniMap } from "./canvas/CanvasMiniMap";
import { CanvasOverview, nodeAt } from "./canvas/CanvasOverview";
import { type Layouts, learnLayouts, withLayouts } from "./canvas/nodeLayout";
import { Icon } from "./Icon";
import { DRAG_TYPE } from "./Palette";
import { StepNodeView } from "./StepNodeView";

const nodeTypes = { step: StepNodeView };
const DELETE_KEYS = ["Delete", "Backspace"];
/**
 * Below this zoom the nodes' text is too small to read: the workflow is drawn as boxes and
 * lines on one canvas (canvas/CanvasOverview.tsx) and React Flow draws no node or edge.
 */
const OVERVIEW_ZOOM = 0.25;
const NO_EDGES: Edge[] = [];

export function Canvas() {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const meta = useEditor((s) => s.meta);
  const loadId = useEditor((s) => s.loadId);
  // Keys reach the canvas only while the designer is the view shown.
  const designerShown = useEditor((s) => s.view === "designer");
  const hasWorkflows = useEditor((s) => (s.workflows?.length ?? 0) > 0);
  const loading = useEditor((s) => s.workflows === null);
  const catalogue = useEditor((s) => s.catalogue);
  const onEdgesChange = useEditor((s) => s.onEdgesChange);
  const scheme = useColorScheme();
  const rf = useReactFlow<StepNode>();
  const store = useStoreApi<StepNode>();
  const zoomedOut = useStore((s) => s.transform[2] < OVERVIEW_ZOOM);
  // A workflow that opens zoomed out is first given to React Flow hidden, and the view moves
  // to it after React Flow has them: otherwise React Flow would mount, for one frame, the
  // hundreds of nodes the fitted view holds (half a second for 1,000 nodes).
  const [openingView, setOpeningView] = useState<Viewport | null>(null);
  const overview = zoomedOut || openingView !== null;
  useEffect(() => {
    if (openingView) void rf.setViewport(openingView).then(() => setOpeningView(null));
  }, [openingView, rf]);
  const openFitted = useCallback(
    (instance: ReactFlowInstance<StepNode>) => {
      const bounds = fitBounds(useEditor.getState().nodes);
      if (!bounds) return fitAll(instance, []);
      const { width, height, minZoom, maxZoom } = store.getState();
      const view = getViewportForBounds(bounds, width, height, minZoom, maxZoom, FIT_PADDING);
      if (view.zoom < OVERVIEW_ZOOM) setOpeningView(view);
      else void instance.setViewport(view);
    },
    [store],
  );
  // The size and handles of each node shape React Flow has measured: every node of a known
  // shape is given them, so React Flow need not draw it to measure it (canvas/nodeLayout.ts).
  const [layouts, setLayouts] = useState<Layouts>(() => new Map());
  const laidOut = useMemo(() => withLayouts(nodes, catalogue, layouts), [nodes, catalogue, layouts]);
  // In the overview React Flow keeps the nodes (selection, deletion, fitting) but hides them.
  const flowNodes = useMemo(() => (overview ? laidOut.map((n) => ({ ...n, hidden: true })) : laidOut), [laidOut, overview]);

  // In the overview a click on the pane selects the node drawn there. React Flow deselects
  // everything after a pane click, so the selection is made after it has.
  const onPaneClick = useCallback(
    (e: ReactMouseEvent) => {
      const s = useEditor.getState();
      const id = nodeAt(s.nodes, s.catalogue, layouts, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
      if (id) setTimeout(() => useEditor.getState().selectNode(id));
    },
    [layouts, rf],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<StepNode>[]) => {
      useEditor.getState().onNodesChange(changes);
      const measured = new Set(changes.flatMap((c) => (c.type === "dimensions" ? [c.id] : [])));
      if (measured.size === 0) return;
      const { nodes, catalogue } = useEditor.getState();
      setLayouts((known) => learnLayouts(measured, nodes, catalogue, rf.getInternalNode, known));
    },
    [rf],
  );

  const problem = useCallback((c: Candidate) => {
    const s = useEditor.getState();
    return connectionProblem(c, s.nodes, s.edges, s.catalogue);
  }, []);

  const isValidConnection = useCallback((c: Connection | Edge) => problem(c) === null, [problem]);

  const onConnect = useCallback(
    async (c: Connection) => {
      const { say, connect } = useEditor.getState();
      const reason = problem(c);
      if (reason) return say(`Not connected: ${reason}`, "error");
      const edge = { from: c.source, port: c.sourceHandle ?? "", to: c.target };
      try {
        const current = useEditor.getState().snapshot();
        if (!current) return;
        const refusal = await newErrorFrom(current, edge, api.validateWorkflow);
        if (refusal) return say(`Not connected: ${refusal}`, "error");
        connect(edge);
        say(`Connected ${edge.from} · ${edge.port} → ${edge.to}.`);
      } catch (err) {
        say(`Not connected: ${ApiError.from(err).message}`, "error");
      }
    },
    [problem],
  );

  // A drop the rules refused: say why, in the status line. Dropping on a node without an
  // input (a trigger) lands on no handle at all, so the node under the pointer is used.
  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.isValid === true || !state.fromNode) return;
      let candidate: Candidate | null = null;
      if (state.toNode) {
        const reversed = state.fromHandle?.type === "target";
        candidate = reversed
          ? { source: state.toNode.id, sourceHandle: state.toHandle?.id, target: state.fromNode.id, targetHandle: state.fromHandle?.id }
          : { source: state.fromNode.id, sourceHandle: state.fromHandle?.id, target: state.toNode.id, targetHandle: state.toHandle?.id };
      } else if (state.fromHandle?.type === "source") {
        const point = "changedTouches" in event ? event.changedTouches[0] : event;
        const over = document.elementFromPoint(point.clientX, point.clientY)?.closest(".react-flow__node");
        const target = over?.getAttribute("data-id");
        if (target && target !== state.fromNode.id) {
          candidate = { source: state.fromNode.id, sourceHandle: state.fromHandle.id, target, targetHandle: INPUT_HANDLE };
        }
      }
      const reason = candidate && problem(candidate);
      if (reason) useEditor.getState().say(`Not connected: ${reason}`, "error");
    },
    [problem],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      const kind = e.dataTransfer.getData(DRAG_TYPE);
      if (!kind) return;
      e.preventDefault();
      const at = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const s = useEditor.getState();
      const id = s.addNode(kind, { x: at.x - 100, y: at.y - 30 });
      if (id) s.say(`Added ${s.catalogue.get(kind)?.title ?? kind} (${id}).`);
    },
    [rf],
  );

  if (!meta) {
    return (
      <main className="canvas empty-state" data-testid="canvas-empty">
        {loading ? (
          <p>Loading the workspace…</p>
        ) : hasWorkflows ? (
          <p>Pick a workflow on the left to open it, or press N to start a new one.</p>
        ) : (
          <p>
            No workflows yet — press <kbd>N</kbd> or click <strong>New workflow</strong>
          </p>
        )}
      </main>
    );
  }

  return (
    <main className="canvas" aria-label={`Canvas of ${meta.name}`} onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
      <ReactFlow<StepNode>
        key={loadId}
        nodes={flowNodes}
        edges={overview ? NO_EDGES : edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        onPaneClick={zoomedOut ? onPaneClick : undefined}
        isValidConnection={isValidConnection}
        onBeforeDelete={async () => {
          useEditor.getState().checkpoint();
          return true;
        }}
        onNodeDragStart={() => useEditor.getState().checkpoint()}
        onSelectionDragStart={() => useEditor.getState().checkpoint()}
        deleteKeyCode={designerShown ? DELETE_KEYS : null}
        multiSelectionKeyCode={["Meta", "Control", "Shift"]}
        selectionKeyCode="Shift"
        onlyRenderVisibleElements
        onInit={openFitted}
        minZoom={0.1}
        colorMode={scheme}
        defaultEdgeOptions={{ type: "smoothstep" }}
        proOptions={{ hideAttribution: true }}
      >
        <CanvasDots />
        {zoomedOut && <CanvasOverview layouts={layouts} />}
        <CanvasMiniMap />
        <Controls showInteractive={false} showFitView={false}>
          <ControlButton onClick={() => fitAll(rf, useEditor.getState().nodes, 200)} aria-label="Zoom to fit" title="Zoom to fit">
            <Icon name="fit" />
          </ControlButton>
        </Controls>
      </ReactFlow>
      {nodes.length === 0 && (
        <div className="canvas-hint" data-testid="canvas-hint">
          <p>This workflow is empty.</p>
          <p>Drag a trigger from the palette onto the canvas, or focus a palette item and press Enter.</p>
        </div>
      )}
    </main>
  );
}
