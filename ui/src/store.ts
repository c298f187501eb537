// The editor's one store: the open workflow as React Flow nodes and edges, its undo
// history (workflow snapshots), the last validation issues, and the workspace's reference
// data (catalogue, webhooks, event definitions, environments).

import {
  applyEdgeChanges,
  applyNodeChanges,
  type EdgeChange,
  type NodeChange,
  type XYPosition,
} from "@xyflow/react";
import { create } from "zustand";
import type { Issue, WorkflowSummary } from "./api";
import type { Connector } from "./bindings/Connector";
import type { Environment } from "./bindings/Environment";
import type { EventDefinition } from "./bindings/EventDefinition";
import type { NodeTypeSpec } from "./bindings/NodeTypeSpec";
import type { Webhook } from "./bindings/Webhook";
import type { Workflow } from "./bindings/Workflow";
import type { RunTrace } from "./bindings/RunTrace";
import type { Step } from "./bindings/Step";
import {
  type Catalogue,
  catalogueMap,
  edgeId,
  edgeToFlow,
  flowToWorkflow,
  freshNodeId,
  newNode,
  nodeToFlow,
  portsOf,
  reconcilePortEdges,
  type StepEdge,
  type StepNode,
  type WorkflowMeta,
  workflowToFlow,
} from "./graph";

export const HISTORY_LIMIT = 50;
const COALESCE_MS = 1200;

export type Tone = "info" | "success" | "error";
/** The last step a test run took at a node (a node passed twice shows its last visit). */
export function stepOf(trace: RunTrace | null, nodeId: string): Step | undefined {
  if (!trace) return undefined;
  for (let i = trace.steps.length - 1; i >= 0; i--) if (trace.steps[i].node === nodeId) return trace.steps[i];
  return undefined;
}

/** The main views, in the order of the header's tabs. */
export const VIEW_IDS = ["designer", "webhooks", "connectors", "contacts", "events"] as const;
export type ViewId = (typeof VIEW_IDS)[number];
export type Status = { text: string; tone: Tone; id: number };
export type SaveState =
  | { kind: "idle" }
  | { kind: "saving" }
  | { kind: "saved"; revision: number }
  | { kind: "error"; message: string };

type Clipboard = { nodes: Workflow["nodes"]; edges: Workflow["edges"] };

export type EditorState = {
  specs: NodeTypeSpec[];
  catalogue: Catalogue;
  webhooks: Webhook[];
  eventDefinitions: EventDefinition[];
  connectors: Connector[];
  environments: Environment[];
  activeEnvironment: string | null;
  workflows: WorkflowSummary[] | null;

  meta: WorkflowMeta | null;
  /** Bumped each time a workflow is loaded: the canvas remounts (and fits) on it. */
  loadId: number;
  nodes: StepNode[];
  edges: StepEdge[];
  /** Bumped on every change to the workflow's content (not on selection or measuring). */
  version: number;
  /** The version last saved (or loaded); autosave runs while `version` differs. */
  cleanVersion: number;
  past: Workflow[];
  future: Workflow[];
  coalesce: { key: string; at: number } | null;
  issues: Issue[];
  /** The test run shown on the canvas (each node marked with its outcome), if any. */
  testRun: RunTrace | null;
  save: SaveState;
  status: Status | null;
  focus: { param: string; sub?: string; n: number } | null;
  clipboard: Clipboard | null;
  pastes: number;
  /** The workflow whose name is being edited in the sidebar. */
  renaming: string | null;
  /** Which overlay is open. */
  overlay: "help" | "revisions" | "import" | "test-run" | "send-test" | null;
  /** Which main view is shown: the workflow designer or one of the workspace's lists. */
  view: ViewId;

  setReference: (patch: Partial<Pick<EditorState, "specs" | "webhooks" | "eventDefinitions" | "connectors" | "environments" | "activeEnvironment" | "workflows">>) => void;
  load: (workflow: Workflow | null) => void;
  snapshot: () => Workflow | null;
  checkpoint: (key?: string) => void;
  undo: () => void;
  redo: () => void;
  replaceWorkflow: (workflow: Workflow) => void;
  onNodesChange: (changes: NodeChange<StepNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<StepEdge>[]) => void;
  addNode: (kind: string, position: XYPosition) => string | null;
  connect: (edge: { from: string; port: string; to: string }) => void;
  setParam: (nodeId: string, name: string, value: unknown) => void;
  setTitle: (nodeId: string, title: string) => void;
  setDescription: (description: string) => void;
  renameCurrent: (name: string) => void;
  deleteSelection: () => void;
  copySelection: () => number;
  paste: () => number;
  selectNode: (nodeId: string | null, focusParam?: string, sub?: string) => void;
  setIssues: (issues: Issue[]) => void;
  setSave: (save: SaveState, cleanVersion?: number) => void;
  say: (text: string, tone?: Tone) => void;
  setRenaming: (name: string | null) => void;
  setOverlay: (overlay: EditorState["overlay"]) => void;
  setView: (view: ViewId) => void;
  setTestRun: (trace: RunTrace | null) => void;
};

let statusCounter = 0;

export const useEditor = create<EditorState>()((set, get) => {
  const touch = (patch: Partial<EditorState>) => set((s) => ({ ...patch, version: s.version + 1 }));

  return {
    specs: [],
    catalogue: new Map(),
    webhooks: [],
    eventDefinitions: [],
    connectors: [],
    environments: [],
    activeEnvironment: null,
    workflows: null,

    meta: null,
    loadId: 0,
    nodes: [],
    edges: [],
    version: 0,
    cleanVersion: 0,
    past: [],
    future: [],
    coalesce: null,
    issues: [],
    save: { kind: "idle" },
    status: null,
    focus: null,
    clipboard: null,
    pastes: 0,
    renaming: null,
    overlay: null,
    testRun: null,
    view: "designer",

    setReference: (patch) =>
      set(() => (patch.specs ? { ...patch, catalogue: catalogueMap(patch.specs) } : patch)),

    load: (workflow) => {
      const flow = workflow ? workflowToFlow(workflow) : { nodes: [], edges: [] };
      set((s) => ({
        meta: workflow ? { name: workflow.name, description: workflow.description } : null,
        loadId: s.loadId + 1,
        nodes: flow.nodes,
        edges: flow.edges,
        past: [],
        future: [],
        coalesce: null,
        issues: [],
        testRun: null,
        save: { kind: "idle" },
        focus: null,
        pastes: 0,
        version: s.version + 1,
        cleanVersion: s.version + 1,
      }));
    },

    snapshot: () => {
      const { meta, nodes, edges } = get();
      return meta ? flowToWorkflow(meta, nodes, edges) : null;
    },

    checkpoint: (key) => {
      const s = get();
      const now = Date.now();
      if (key && s.coalesce && s.coalesce.key === key && now - s.coalesce.at < COALESCE_MS) {
        set({ coalesce: { key, at: now } });
        return;
      }
      const snap = s.snapshot();
      if (!snap) return;
      set({
        past: [...s.past, snap].slice(-HISTORY_LIMIT),
        future: [],
        coalesce: key ? { key, at: now } : null,
      });
    },

    undo: () => {
      const s = get();
      const prev = s.past.at(-1);
      const current = s.snapshot();
      if (!prev || !current) return;
      const flow = workflowToFlow(prev);
      touch({
        past: s.past.slice(0, -1),
        future: [current, ...s.future].slice(0, HISTORY_LIMIT),
        meta: { name: s.meta!.name, description: prev.description },
        nodes: flow.nodes,
        edges: flow.edges,
        coalesce: null,
      });
    },

    redo: () => {
      const s = get();
      const next = s.future[0];
      const current = s.snapshot();
      if (!next || !current) return;
      const flow = workflowToFlow(next);
      touch({
        past: [...s.past, current].slice(-HISTORY_LIMIT),
        future: s.future.slice(1),
        meta: { name: s.meta!.name, description: next.description },
        nodes: flow.nodes,
        edges: flow.edges,
        coalesce: null,
      });
    },

    replaceWorkflow: (workflow) => {
      get().checkpoint();
      const flow = workflowToFlow(workflow);
      touch({ meta: { name: workflow.name, description: workflow.description }, nodes: flow.nodes, edges: flow.edges });
    },

    onNodesChange: (changes) => {
      const content = changes.some((c) => c.type !== "select" && c.type !== "dimensions");
      const nodes = applyNodeChanges(changes, get().nodes);
      if (content) touch({ nodes });
      else set({ nodes });
    },

    onEdgesChange: (changes) => {
      const content = changes.some((c) => c.type !== "select");
      const edges = applyEdgeChanges(changes, get().edges);
      if (content) touch({ edges });
      else set({ edges });
    },

    addNode: (kind, position) => {
      const s = get();
      const spec = s.catalogue.get(kind);
      if (!spec || !s.meta) return null;
      s.checkpoint();
      const node = newNode(spec, position, s.nodes.map((n) => n.id));
      touch({ nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node] });
      return node.id;
    },

    connect: (edge) => {
      const s = get();
      s.checkpoint();
      const flow = edgeToFlow(edge, `c${Date.now().toString(36)}`);
      touch({ edges: [...s.edges, flow] });
    },

    setParam: (nodeId, name, value) => {
      const s = get();
      const node = s.nodes.find((n) => n.id === nodeId);
      if (!node) return;
      const spec = s.catalogue.get(node.data.kind);
      s.checkpoint(`param:${nodeId}:${name}`);
      const params = { ...node.data.params };
      if (value === undefined) delete params[name];
      else params[name] = value;
      let edges = s.edges;
      if (spec?.ports_from_param === name) {
        const before = portsOf(spec, node.data.params).map((p) => p.name);
        const after = portsOf(spec, params).map((p) => p.name);
        edges = reconcilePortEdges(nodeId, before, after, s.edges);
      }
      touch({
        nodes: s.nodes.map((n) => (n.id === nodeId ? { ...n, data: { ...n.data, params } } : n)),
        edges,
      });
    },

    setTitle: (nodeId, title) => {
      const s = get();
      s.checkpoint(`title:${nodeId}`);
      touch({
        nodes: s.nodes.map((n) => {
          if (n.id !== nodeId) return n;
          const data = { ...n.data };
          if (title.trim()) data.title = title;
          else delete data.title;
          return { ...n, data };
        }),
      });
    },

    setDescription: (description) => {
      const s = get();
      if (!s.meta) return;
      s.checkpoint("description");
      touch({ meta: { ...s.meta, description } });
    },

    renameCurrent: (name) => {
      const s = get();
      if (s.meta) set({ meta: { ...s.meta, name } });
    },

    deleteSelection: () => {
      const s = get();
      const gone = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
      const edges = s.edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target));
      if (gone.size === 0 && edges.length === s.edges.length) return;
      s.checkpoint();
      touch({ nodes: s.nodes.filter((n) => !gone.has(n.id)), edges });
    },

    copySelection: () => {
      const s = get();
      const picked = s.nodes.filter((n) => n.selected);
      if (picked.length === 0 || !s.meta) return 0;
      const ids = new Set(picked.map((n) => n.id));
      const wf = flowToWorkflow(s.meta, picked, s.edges.filter((e) => ids.has(e.source) && ids.has(e.target)));
      set({ clipboard: { nodes: wf.nodes, edges: wf.edges }, pastes: 0 });
      return picked.length;
    },

    paste: () => {
      const s = get();
      if (!s.clipboard || !s.meta || s.clipboard.nodes.length === 0) return 0;
      s.checkpoint();
      const offset = 40 * (s.pastes + 1);
      const taken = s.nodes.map((n) => n.id);
      const ids = new Map<string, string>();
      const added = s.clipboard.nodes.map((node) => {
        const id = freshNodeId(node.kind, taken);
        taken.push(id);
        ids.set(node.id, id);
        const flow = nodeToFlow({ ...node, id, position: { x: node.position.x + offset, y: node.position.y + offset } });
        return { ...flow, selected: true };
      });
      const addedEdges = s.clipboard.edges.map((e) => {
        const edge = { from: ids.get(e.from)!, port: e.port, to: ids.get(e.to)! };
        return { ...edgeToFlow(edge, `p${s.pastes}`), id: edgeId(edge, `p${Date.now().toString(36)}`) };
      });
      touch({
        nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...added],
        edges: [...s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...addedEdges],
        pastes: s.pastes + 1,
      });
      return added.length;
    },

    selectNode: (nodeId, focusParam, sub) => {
      const s = get();
      set({
        nodes: s.nodes.map((n) => {
          const selected = n.id === nodeId;
          return n.selected === selected ? n : { ...n, selected };
        }),
        edges: s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
        focus: focusParam ? { param: focusParam, sub, n: (s.focus?.n ?? 0) + 1 } : s.focus,
      });
    },

    setIssues: (issues) => set({ issues }),
    setSave: (save, cleanVersion) => set(cleanVersion === undefined ? { save } : { save, cleanVersion }),
    say: (text, tone = "info") => set({ status: { text, tone, id: ++statusCounter } }),
    setRenaming: (renaming) => set({ renaming }),
    setOverlay: (overlay) => set({ overlay }),
    setView: (view) => set({ view, overlay: null }),
    setTestRun: (testRun) => set({ testRun }),
  };
});

/** The node currently shown in the inspector: the only selected node, if exactly one is. */
export function selectedNode(s: EditorState): StepNode | null {
  let found: StepNode | null = null;
  for (const n of s.nodes) {
    if (!n.selected) continue;
    if (found) return null;
    found = n;
  }
  return found;
}

/** Parses `nodes[3].params.url.more` into its node index and parameter name. */
export function parseIssuePath(path: string): { node: number | null; param: string | null; sub: string | null } {
  const m = /^(?:.*\.)?nodes\[(\d+)\](?:\.params\.([A-Za-z0-9_]+))?(?:\.([A-Za-z0-9_]+))?/.exec(path);
  if (!m) return { node: null, param: null, sub: null };
  return { node: Number(m[1]), param: m[2] ?? null, sub: (m[2] && m[3]) || null };
}

/** The node id an issue concerns: its `node`, or the node its path points at. */
export function issueNodeId(issue: Issue, nodes: readonly StepNode[]): string | null {
  if (issue.node) return issue.node;
  const { node } = parseIssuePath(issue.path);
  return node !== null ? (nodes[node]?.id ?? null) : null;
}
