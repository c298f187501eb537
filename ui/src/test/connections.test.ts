import { describe, expect, it } from "vitest";
import { createBrowserBackend } from "../api/browserBackend";
import type { Workflow } from "../bindings/Workflow";
import { connectionProblem, newErrorFrom, reconcilePortEdges, workflowToFlow } from "../graph";
import { catalogue, demo } from "./fixtures";

const welcome = demo.workflows[0];
const flow = workflowToFlow(welcome);
const check = (source: string, sourceHandle: string, target: string, targetHandle = "in") =>
  connectionProblem({ source, sourceHandle, target, targetHandle }, flow.nodes, flow.edges, catalogue);

describe("client-side connection rules (from the node declarations)", () => {
  it("accepts an existing port into a node with an input", () => {
    expect(check("upsert", "response", "missing")).toBeNull();
    expect(check("route", "not_found", "synced")).toBeNull();
    expect(check("route", "fallback", "synced")).toBeNull();
  });

  it("refuses an edge into a trigger", () => {
    expect(check("failed", "next", "signup")).toMatch(/`signup` is a trigger: nothing can lead into it/);
  });

  it("refuses a port the node does not have, listing the ones it has", () => {
    expect(check("upsert", "next", "missing")).toMatch(/has no port `next`: its ports are response, error/);
    expect(check("route", "gone", "missing")).toMatch(/its ports are ok, not_found, fallback/);
  });

  it("refuses a handle that is not the input, and unknown nodes", () => {
    expect(check("upsert", "response", "missing", "out")).toMatch(/input/);
    expect(check("ghost", "next", "missing")).not.toBeNull();
  });

  it("refuses the same edge twice", () => {
    expect(check("signup", "next", "upsert")).toMatch(/already connected/);
  });

  it("knows that End has no output port", () => {
    const w: Workflow = {
      ...welcome,
      nodes: [...welcome.nodes, { id: "end", kind: "end", position: { x: 0, y: 0 }, params: {} }],
    };
    const f = workflowToFlow(w);
    expect(connectionProblem({ source: "end", sourceHandle: "next", target: "upsert" }, f.nodes, f.edges, catalogue)).toMatch(
      /has no output port/,
    );
  });
});

describe("loops, judged by validate_workflow", () => {
  const backend = createBrowserBackend();
  const validate = (workflow: Workflow) => backend("validate_workflow", { workflow });

  it("refuses a loop without a Wait node", async () => {
    const reason = await newErrorFrom(welcome, { from: "synced", port: "next", to: "upsert" }, validate);
    expect(reason).toMatch(/has no Wait node/);
  });

  it("accepts a loop through a Wait node", async () => {
    const w: Workflow = structuredClone(welcome);
    w.nodes.push({ id: "pause", kind: "wait", position: { x: 0, y: 0 }, params: { duration: "1h" } });
    w.edges.push({ from: "synced", port: "next", to: "pause" });
    expect(await newErrorFrom(w, { from: "pause", port: "next", to: "upsert" }, validate)).toBeNull();
  });

  it("does not blame the new edge for errors the workflow already had", async () => {
    const w: Workflow = structuredClone(welcome);
    w.nodes.push({ id: "c", kind: "condition", position: { x: 0, y: 0 }, params: {} }); // missing expression
    expect(await newErrorFrom(w, { from: "synced", port: "next", to: "c" }, validate)).toBeNull();
  });
});

describe("switch ports follow their paths", () => {
  const edges = flow.edges;
  it("keeps edges of a renamed path under the new name", () => {
    const next = reconcilePortEdges("route", ["ok", "not_found", "fallback"], ["success", "not_found", "fallback"], edges);
    expect(next.filter((e) => e.source === "route").map((e) => e.sourceHandle)).toEqual(["success", "not_found", "fallback"]);
  });
  it("drops edges of a removed path", () => {
    const next = reconcilePortEdges("route", ["ok", "not_found", "fallback"], ["ok", "fallback"], edges);
    expect(next.filter((e) => e.source === "route").map((e) => e.sourceHandle)).toEqual(["ok", "fallback"]);
    expect(next.length).toBe(edges.length - 1);
  });
});
