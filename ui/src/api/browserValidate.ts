// A small stand-in for the engine's workflow validation, used only by the browser demo
// backend (no Tauri: `vite preview` and Vitest). It follows
// src-tauri/crates/engine/src/validate.rs for the graph rules and the simple parameter
// checks; template syntax and inline-request details are left to the real engine.

import type { Issue } from "../api";
import type { EventDefinition } from "../bindings/EventDefinition";
import type { NodeTypeSpec } from "../bindings/NodeTypeSpec";
import type { Webhook } from "../bindings/Webhook";
import type { Workflow } from "../bindings/Workflow";
import { catalogueMap, portsOf } from "../graph";

export type ValidationContext = {
  catalogue: readonly NodeTypeSpec[];
  webhooks: readonly Webhook[];
  eventDefinitions: readonly EventDefinition[];
};

const STANDARD_CONTACT_FIELDS = ["email", "phone", "first_name", "last_name", "city", "birthday"];
const DURATION = /^\d+(ms|s|m|h|d)?$/;

export function validateWorkflow(workflow: Workflow, ctx: ValidationContext): Issue[] {
  const issues: Issue[] = [];
  const push = (severity: Issue["severity"], path: string, code: string, message: string, node: string | null) =>
    issues.push({ severity, path, code, message, node });
  const specs = catalogueMap(ctx.catalogue);
  const known = new Map<string, NodeTypeSpec>();
  const index = new Map<string, number>();

  workflow.nodes.forEach((node, i) => {
    const at = `nodes[${i}]`;
    if (!node.id.trim()) push("error", `${at}.id`, "missing_value", "the node id is empty", null);
    else if (index.has(node.id)) push("error", `${at}.id`, "duplicate_node", `node id \`${node.id}\` is used twice`, node.id);
    else index.set(node.id, i);
    const spec = specs.get(node.kind);
    if (!spec) {
      push("error", `${at}.kind`, "unknown_node_type", `unknown node type \`${node.kind}\``, node.id);
      return;
    }
    known.set(node.id, spec);
    for (const name of Object.keys(node.params)) {
      if (!spec.params.some((p) => p.name === name)) {
        push("error", `${at}.params.${name}`, "unknown_param", `${spec.title} has no parameter \`${name}\``, node.id);
      }
    }
    for (const param of spec.params) {
      const value = node.params[param.name];
      const path = `${at}.params.${param.name}`;
      const error = (code: string, message: string) => push("error", path, code, message, node.id);
      if (value === null || value === undefined) {
        if (param.required) error("missing_param", `${param.label} is required`);
        continue;
      }
      switch (param.kind.type) {
        case "text":
        case "condition":
          if (param.required && String(value).trim() === "") error("missing_param", `${param.label} is required`);
          break;
        case "number":
          if (typeof value !== "number") error("invalid_type", `${param.label} must be a number`);
          break;
        case "select":
          if (!param.kind.options.includes(String(value))) {
            error("invalid_option", `\`${String(value)}\` is not one of ${param.kind.options.join(", ")}`);
          }
          break;
        case "duration":
          if (!DURATION.test(String(value).trim())) {
            error("invalid_duration", `\`${String(value)}\` is not a duration: write e.g. 30s, 5m, 2h or 1d`);
          }
          break;
        case "event_alias":
          if (!ctx.eventDefinitions.some((d) => d.alias === value)) {
            error("unknown_event", `no reception event definition has the alias \`${String(value)}\``);
          }
          break;
        case "webhook_ref":
          if (!ctx.webhooks.some((w) => w.name === value)) error("unknown_webhook", `no webhook named \`${String(value)}\``);
          break;
        case "inline_webhook": {
          const inline = value as { url?: unknown; body?: { kind?: string; template?: string } };
          if (typeof inline.url !== "string" || !inline.url.trim()) push("error", `${path}.url`, "missing_value", "the URL is empty", node.id);
          if (inline.body?.kind === "json") {
            try {
              JSON.parse(inline.body.template ?? "");
            } catch (e) {
              push("error", `${path}.body.template`, "invalid_json", `the JSON body is not valid JSON: ${(e as Error).message}`, node.id);
            }
          }
          break;
        }
        case "switch_paths": {
          const items = Array.isArray(value) ? (value as { name?: string; when?: string }[]) : [];
          const names = new Set<string>();
          for (const [j, item] of items.entries()) {
            const name = item.name ?? "";
            if (!name.trim()) { error("missing_value", `path ${j + 1} has no name`); break; }
            if (name === "fallback" || names.has(name)) {
              error("duplicate_name", `path name \`${name}\` is used twice (fallback is reserved)`);
              break;
            }
            names.add(name);
            if (!(item.when ?? "").trim()) { error("missing_value", `path \`${name}\` has no rule`); break; }
          }
          break;
        }
        case "field_mappings": {
          const items = Array.isArray(value) ? (value as { field?: string }[]) : [];
          if (items.length === 0) error("missing_param", "add at least one field to set");
          const bad = items.find(
            (m) => !STANDARD_CONTACT_FIELDS.includes(m.field ?? "") && !/^custom\..+/.test(m.field ?? ""),
          );
          if (bad) {
            error("unknown_field", `\`${bad.field ?? ""}\` is not a contact field: use ${STANDARD_CONTACT_FIELDS.join(", ")} or custom.NAME`);
          }
          break;
        }
        default:
          break;
      }
    }
    // A node type whose parameters are alternatives (a webhook by reference, or inline).
    const refs = spec.params.filter((p) => p.kind.type === "webhook_ref" || p.kind.type === "inline_webhook");
    if (refs.length === 2) {
      const set = refs.filter((p) => node.params[p.name] != null);
      if (set.length === 0) push("error", `${at}.params.${refs[0].name}`, "missing_param", "pick a webhook or define the request inline", node.id);
      if (set.length === 2) push("error", `${at}.params.${refs[1].name}`, "conflicting_params", "use either a webhook or an inline request, not both", node.id);
    }
  });

  const wired = new Set<string>();
  const adjacency = new Map<string, string[]>();
  workflow.edges.forEach((edge, i) => {
    const at = `edges[${i}]`;
    const from = workflow.nodes.find((n) => n.id === edge.from);
    const to = workflow.nodes.find((n) => n.id === edge.to);
    if (!from) push("error", `${at}.from`, "dangling_edge", `the edge starts at \`${edge.from}\`, which is not a node of this workflow`, null);
    if (!to) push("error", `${at}.to`, "dangling_edge", `the edge ends at \`${edge.to}\`, which is not a node of this workflow`, null);
    if (!from || !to) return;
    const fromSpec = known.get(from.id);
    if (fromSpec) {
      const ports = portsOf(fromSpec, from.params).map((p) => p.name);
      if (!ports.includes(edge.port)) {
        push("error", `${at}.port`, "unknown_port", `${fromSpec.title} \`${from.id}\` has no port \`${edge.port}\``, from.id);
      }
    }
    if (known.get(to.id)?.has_input === false) {
      push("error", `${at}.to`, "edge_into_trigger", `\`${to.id}\` is a trigger: nothing can lead into it`, to.id);
    }
    wired.add(`${from.id}\u0000${edge.port}`);
    adjacency.set(from.id, [...(adjacency.get(from.id) ?? []), to.id]);
  });

  const triggers = workflow.nodes.filter((n) => known.get(n.id)?.category === "trigger").map((n) => n.id);
  if (triggers.length === 0 && workflow.nodes.length > 0) {
    push("error", "nodes", "no_trigger", "the workflow has no trigger: add one (Event received, Manual, ...)", null);
  }
  workflow.nodes.forEach((node, i) => {
    const spec = known.get(node.id);
    if (!spec) return;
    // The fixed port a node type must have wired (the Response switch's fallback) and the
    // error port the engine warns about are both visible in the declarations.
    if (spec.ports_from_param && spec.ports.some((p) => p.name === "fallback") && !wired.has(`${node.id}\u0000fallback`)) {
      push("error", `nodes[${i}]`, "missing_fallback", `Response switch \`${node.id}\` needs its fallback path connected`, node.id);
    }
    if (spec.ports.some((p) => p.name === "error") && !wired.has(`${node.id}\u0000error`)) {
      push(
        "warning",
        `nodes[${i}]`,
        "unwired_error",
        `the error port of \`${node.id}\` is not connected: a network or parse error ends the run as failed`,
        node.id,
      );
    }
  });

  const reachable = new Set(triggers);
  const queue = [...triggers];
  while (queue.length) {
    for (const next of adjacency.get(queue.pop() as string) ?? []) {
      if (!reachable.has(next)) {
        reachable.add(next);
        queue.push(next);
      }
    }
  }
  workflow.nodes.forEach((node, i) => {
    if (known.has(node.id) && !reachable.has(node.id)) {
      push("warning", `nodes[${i}]`, "unreachable_node", `\`${node.id}\` cannot be reached from any trigger`, node.id);
    }
  });

  const waits = new Set(
    workflow.nodes.filter((n) => n.kind === "wait" || n.kind === "wait_for_event").map((n) => n.id),
  );
  for (const cycle of cyclesWithout(adjacency, waits)) {
    push(
      "error",
      `nodes[${index.get(cycle[0]) ?? 0}]`,
      "loop_without_wait",
      `the loop ${cycle.join(" → ")} has no Wait node: add a Wait inside the loop`,
      cycle[0],
    );
  }
  return issues;
}

/** Strongly connected components with a cycle, once `removed` nodes are taken out. */
function cyclesWithout(adjacency: Map<string, string[]>, removed: Set<string>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of (adjacency.get(v) ?? []).filter((w) => !removed.has(w))) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (;;) {
        const w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
        if (w === v) break;
      }
      if (component.length > 1 || (adjacency.get(v) ?? []).includes(v)) found.push(component.reverse());
    }
  };
  for (const v of [...adjacency.keys()].sort()) {
    if (!removed.has(v) && !index.has(v)) visit(v);
  }
  return found;
}
