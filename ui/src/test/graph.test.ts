import { describe, expect, it } from "vitest";
import type { Workflow } from "../bindings/Workflow";
import { defaultParams, flowToWorkflow, portsOf, workflowToFlow } from "../graph";
import { demo, specs } from "./fixtures";

const roundTrip = (w: Workflow) => {
  const { nodes, edges } = workflowToFlow(w);
  return flowToWorkflow({ name: w.name, description: w.description }, nodes, edges);
};

/** A small seeded PRNG, so a failing generated graph can be reproduced. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function generate(seed: number): Workflow {
  const r = rng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const count = 1 + Math.floor(r() * 25);
  const nodes: Workflow["nodes"] = [];
  for (let i = 0; i < count; i++) {
    const spec = pick(specs);
    const params: Record<string, unknown> = { ...defaultParams(spec) };
    for (const p of spec.params) {
      if (r() < 0.5) continue;
      params[p.name] =
        p.kind.type === "switch_paths"
          ? [{ name: `p${i}`, when: "200-299" }, { name: "x", when: '${data.a.b} == "c"' }]
          : p.kind.type === "field_mappings"
            ? [{ field: "custom.score", value: "${event.n}" }]
            : p.kind.type === "inline_webhook"
              ? { name: "wh", method: "POST", url: "https://x.test/${contact.id}", headers: [{ name: "A", value: "b" }], body: { kind: "json", template: "{}", form: [] }, timeout_ms: 1000 }
              : p.kind.type === "number"
                ? r() * 100
                : p.kind.type === "boolean"
                  ? r() < 0.5
                  : `v${Math.floor(r() * 1000)} ${"${contact.email}"}`;
    }
    if (r() < 0.2) params.unknown_extra = { nested: [1, null, { deep: "yes" }] };
    const node: Workflow["nodes"][number] = {
      id: `n${i}`,
      kind: spec.kind,
      position: { x: (r() - 0.5) * 4000, y: Math.round((r() - 0.5) * 4000) },
      params,
    };
    nodes.push(r() < 0.3 ? { id: node.id, kind: node.kind, title: `Title ${i}`, position: node.position, params } : node);
  }
  const edges: Workflow["edges"] = [];
  for (let i = 0; i < count * 1.5; i++) {
    const from = pick(nodes);
    const ports = portsOf(specs.find((s) => s.kind === from.kind)!, from.params);
    // Also edges the engine would refuse: the conversion must not judge, only carry.
    const port = ports.length && r() < 0.9 ? pick(ports).name : "nope";
    edges.push({ from: from.id, port, to: pick(nodes).id });
  }
  if (edges.length) edges.push({ ...edges[0] }); // a duplicate edge survives too
  return { name: `generated-${seed}`, description: r() < 0.5 ? "" : "a generated graph", nodes, edges };
}

describe("workflow ↔ React Flow conversion", () => {
  it("round-trips the demo bundle's workflows exactly", () => {
    expect(demo.workflows.length).toBeGreaterThan(0);
    for (const w of demo.workflows) expect(roundTrip(w)).toStrictEqual(w);
  });

  it("round-trips generated graphs exactly (params, titles, positions, edge order)", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const w = generate(seed);
      expect(roundTrip(w), `seed ${seed}`).toStrictEqual(w);
    }
  });

  it("maps ports to source handles and every edge to the single input handle", () => {
    const { nodes, edges } = workflowToFlow(demo.workflows[0]);
    expect(nodes.every((n) => n.type === "step")).toBe(true);
    expect(edges.map((e) => [e.source, e.sourceHandle, e.target, e.targetHandle])).toEqual(
      demo.workflows[0].edges.map((e) => [e.from, e.port, e.to, "in"]),
    );
    expect(new Set(edges.map((e) => e.id)).size).toBe(edges.length);
  });

  it("does not share params objects between the two sides", () => {
    const w = structuredClone(demo.workflows[0]);
    const { nodes, edges } = workflowToFlow(w);
    (nodes[2].data.params.paths as { name: string }[])[0].name = "changed";
    expect((w.nodes[2].params.paths as { name: string }[])[0].name).toBe("ok");
    const back = flowToWorkflow(w, nodes, edges);
    (back.nodes[2].params.paths as { name: string }[])[0].name = "again";
    expect((nodes[2].data.params.paths as { name: string }[])[0].name).toBe("changed");
  });

  it("derives the Response switch's ports from its paths param, then the fixed ports", () => {
    const route = demo.workflows[0].nodes.find((n) => n.kind === "response_switch")!;
    const spec = specs.find((s) => s.kind === route.kind)!;
    expect(spec.ports_from_param).toBe("paths");
    expect(portsOf(spec, route.params).map((p) => p.name)).toEqual(["ok", "not_found", "fallback"]);
  });
});
