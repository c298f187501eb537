// The in-memory demo backend: answers the desktop app's commands when the UI runs in a
// plain browser (`vite preview`) or in Vitest, where there is no Tauri. It is seeded from
// tests/fixtures/demo.bundle.json, keeps everything in memory, and forgets it on reload.
// The desktop app never loads this module.

import demo from "../../../tests/fixtures/demo.bundle.json";
import catalogue from "../bindings/catalogue.json";
import type { Bundle } from "../bindings/Bundle";
import type { Environment } from "../bindings/Environment";
import type { NodeTypeSpec } from "../bindings/NodeTypeSpec";
import type { Workflow } from "../bindings/Workflow";
import type { Args, CommandName, Result, Revision, Transport } from "../api";
import { validateWorkflow } from "./browserValidate";

type Stored = { revisions: { workflow: Workflow; saved_at: string }[]; updated_at: string };

const fail = (code: string, message: string, path?: string): never => {
  throw { code, message, ...(path ? { path } : {}) };
};

export function createBrowserBackend(seed: Bundle = demo as unknown as Bundle): Transport {
  const specs = catalogue as unknown as NodeTypeSpec[];
  const bundle = structuredClone(seed);
  const workflows = new Map<string, Stored>();
  const now = () => new Date().toISOString();
  for (const w of bundle.workflows) workflows.set(w.name, { revisions: [{ workflow: w, saved_at: now() }], updated_at: now() });
  const environments = new Map<string, Environment>(bundle.environments.map((e) => [e.name, e]));
  let active: string | null = bundle.environments[0]?.name ?? null;
  const secrets = new Map<string, string>();

  const ctx = () => ({ catalogue: specs, webhooks: bundle.webhooks, eventDefinitions: bundle.event_definitions });
  const get = (name: string): Stored => workflows.get(name) ?? fail("not_found", `no workflow named \`${name}\``, "name");
  const latest = (name: string) => structuredClone(get(name).revisions.at(-1)!.workflow);
  const checkName = (name: string) => {
    if (!name.trim()) fail("invalid_input", "the name is empty", "name");
    if (workflows.has(name)) fail("conflict", `a workflow named \`${name}\` already exists`, "name");
  };
  const append = (workflow: Workflow) => {
    const stored = get(workflow.name);
    stored.revisions.push({ workflow: structuredClone(workflow), saved_at: now() });
    stored.updated_at = now();
    return stored.revisions.length;
  };

  const handlers: { [C in CommandName]: (args: Args<C>) => Result<C> } = {
    catalogue: () => structuredClone(specs),
    list_workflows: () =>
      [...workflows.entries()]
        .map(([name, s]) => ({ name, revision: s.revisions.length, updated_at: s.updated_at }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    get_workflow: ({ name }) => latest(name),
    create_workflow: ({ name }) => {
      checkName(name);
      // As the desktop backend does: a new workflow starts with a Manual trigger.
      const workflow: Workflow = {
        name,
        description: "",
        nodes: [{ id: "trigger", kind: "trigger_manual", position: { x: 0, y: 0 }, params: {} }],
        edges: [],
      };
      workflows.set(name, { revisions: [{ workflow, saved_at: now() }], updated_at: now() });
      return structuredClone(workflow);
    },
    save_workflow: ({ workflow }) => {
      const revision = append(workflow);
      return { revision, issues: validateWorkflow(workflow, ctx()) };
    },
    rename_workflow: ({ from, to }) => {
      const stored = get(from);
      if (from === to) return;
      checkName(to);
      workflows.delete(from);
      for (const r of stored.revisions) r.workflow.name = to;
      workflows.set(to, stored);
    },
    duplicate_workflow: ({ name, newName }) => {
      const copy = { ...latest(name), name: newName };
      checkName(newName);
      workflows.set(newName, { revisions: [{ workflow: copy, saved_at: now() }], updated_at: now() });
      return structuredClone(copy);
    },
    delete_workflow: ({ name }) => {
      get(name);
      workflows.delete(name);
    },
    list_revisions: ({ name }) =>
      get(name)
        .revisions.map((r, i): Revision => ({ number: i + 1, saved_at: r.saved_at }))
        .reverse(),
    restore_revision: ({ name, number }) => {
      const revision = get(name).revisions[number - 1] ?? fail("not_found", `workflow \`${name}\` has no revision ${number}`, "number");
      const workflow = { ...structuredClone(revision.workflow), name };
      append(workflow);
      return workflow;
    },
    validate_workflow: ({ workflow }) => validateWorkflow(workflow, ctx()),
    list_webhooks: () => structuredClone(bundle.webhooks),
    list_event_definitions: () => structuredClone(bundle.event_definitions),
    list_connectors: () => structuredClone(bundle.connectors),
    list_environments: () => structuredClone([...environments.values()]),
    save_environment: ({ environment }) => {
      if (!environment.name.trim()) fail("invalid_input", "the name is empty", "name");
      environments.set(environment.name, structuredClone(environment));
    },
    delete_environment: ({ name }) => {
      environments.delete(name);
      if (active === name) active = null;
    },
    get_active_environment: () => active,
    set_active_environment: ({ name }) => {
      if (name !== null && !environments.has(name)) fail("not_found", `no environment named \`${name}\``, "name");
      active = name;
    },
    export_bundle: () => "/tmp/hookboard-demo.bundle.json",
    import_bundle: () => ({
      issues: [],
      workflows: bundle.workflows.map((w) => w.name),
      webhooks: bundle.webhooks.map((w) => w.name),
      connectors_needing_secret: bundle.connectors.map((c) => c.name).filter((n) => !secrets.has(n)),
    }),
    set_connector_secret: ({ name, secret }) => {
      if (!bundle.connectors.some((c) => c.name === name)) fail("not_found", `no connector named \`${name}\``, "name");
      secrets.set(name, secret);
    },
    delete_demo_workspace: () => {
      const count = workflows.size;
      workflows.clear();
      return count;
    },
  };

  return (async (command, args) => {
    const handler = handlers[command] as (a: typeof args) => Result<typeof command>;
    // Answer asynchronously, like IPC does, and never hand out internal objects.
    await Promise.resolve();
    return structuredClone(handler(args));
  }) as Transport;
}
