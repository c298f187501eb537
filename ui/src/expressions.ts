// The `${…}` variables an expression in a given node can read, for completion.
// Sources: the trigger's event definition, the contact's standard and custom fields,
// `data.<name>` of the HTTP requests before this node, the environments' variables.

import type { Environment } from "./bindings/Environment";
import type { EventDefinition } from "./bindings/EventDefinition";
import type { NodeTypeSpec } from "./bindings/NodeTypeSpec";
import type { Workflow } from "./bindings/Workflow";

/** One completion entry: the variable path and where it comes from. */
export type Variable = { name: string; detail: string };

/** Standard contact fields (mirrors the engine's STANDARD_CONTACT_FIELDS) plus the id. */
export const CONTACT_FIELDS = ["id", "email", "phone", "first_name", "last_name", "city", "birthday"];

export type ExpressionContext = {
  workflow: Workflow;
  catalogue: ReadonlyMap<string, NodeTypeSpec>;
  eventDefinitions: readonly EventDefinition[];
  environments: readonly Environment[];
};

function paramsOfKind(spec: NodeTypeSpec | undefined, type: string): string[] {
  return spec ? spec.params.filter((p) => p.kind.type === type).map((p) => p.name) : [];
}

/** Ids of the nodes that can run before `nodeId` (its ancestors in the graph). */
export function ancestors(workflow: Workflow, nodeId: string): Set<string> {
  const seen = new Set<string>();
  const queue = [nodeId];
  while (queue.length) {
    const id = queue.pop() as string;
    for (const e of workflow.edges) {
      if (e.to === id && !seen.has(e.from)) {
        seen.add(e.from);
        queue.push(e.from);
      }
    }
  }
  seen.delete(nodeId);
  return seen;
}

export function variablesFor(nodeId: string | null, ctx: ExpressionContext): Variable[] {
  const { workflow, catalogue } = ctx;
  const out = new Map<string, Variable>();
  const add = (name: string, detail: string) => {
    if (!out.has(name)) out.set(name, { name, detail });
  };

  // Event fields: from every event alias a trigger (or a wait-for-event) of this workflow names.
  for (const node of workflow.nodes) {
    const spec = catalogue.get(node.kind);
    for (const param of paramsOfKind(spec, "event_alias")) {
      const def = ctx.eventDefinitions.find((d) => d.alias === node.params[param]);
      for (const f of def?.fields ?? []) add(`event.${f.name}`, `${def!.alias} · ${f.type}`);
    }
  }

  for (const f of CONTACT_FIELDS) add(`contact.${f}`, "contact");
  // Custom fields this workflow writes (field mappings to `custom.NAME`).
  for (const node of workflow.nodes) {
    for (const param of paramsOfKind(catalogue.get(node.kind), "field_mappings")) {
      const items = node.params[param];
      if (!Array.isArray(items)) continue;
      for (const m of items as { field?: unknown }[]) {
        if (typeof m.field === "string" && m.field.startsWith("custom.") && m.field.length > 7) {
          add(`contact.${m.field}`, "contact · custom");
        }
      }
    }
  }

  // Parsed responses of the webhooks sent before this node.
  const before = nodeId ? ancestors(workflow, nodeId) : new Set(workflow.nodes.map((n) => n.id));
  for (const node of workflow.nodes) {
    if (!before.has(node.id)) continue;
    const spec = catalogue.get(node.kind);
    for (const param of paramsOfKind(spec, "webhook_ref")) {
      const name = node.params[param];
      if (typeof name === "string" && name) add(`data.${name}`, `response of ${node.id}`);
    }
    for (const param of paramsOfKind(spec, "inline_webhook")) {
      const name = (node.params[param] as { name?: unknown } | null | undefined)?.name;
      if (typeof name === "string" && name) add(`data.${name}`, `response of ${node.id}`);
    }
  }

  for (const env of ctx.environments) {
    for (const key of Object.keys(env.variables)) add(`env.${key}`, `environment ${env.name}`);
  }

  add("response.status", "last response");
  add("error.kind", "last error");
  add("run.id", "this run");
  return [...out.values()];
}

/**
 * If the caret sits inside an unfinished `${…`, the typed prefix and where it starts;
 * otherwise null.
 */
export function completionAt(text: string, caret: number): { from: number; prefix: string } | null {
  const open = text.lastIndexOf("${", caret - 1);
  if (open < 0) return null;
  const close = text.indexOf("}", open);
  if (close >= 0 && close < caret) return null;
  const inner = text.slice(open + 2, caret);
  if (!/^[\w.]*$/.test(inner)) return null;
  return { from: open + 2, prefix: inner };
}

/** The variables matching a typed prefix, best first. */
export function matchVariables(variables: readonly Variable[], prefix: string): Variable[] {
  const p = prefix.toLowerCase();
  const starts = variables.filter((v) => v.name.toLowerCase().startsWith(p));
  const contains = variables.filter((v) => !v.name.toLowerCase().startsWith(p) && v.name.toLowerCase().includes(p));
  return [...starts, ...contains];
}

/** Inserts a chosen variable, closing the `${` if it is not closed yet. */
export function applyCompletion(text: string, from: number, caret: number, name: string): { text: string; caret: number } {
  const rest = text.slice(caret);
  const closed = rest.startsWith("}");
  const insert = closed ? name : `${name}}`;
  const next = text.slice(0, from) + insert + rest;
  return { text: next, caret: from + name.length + 1 };
}
