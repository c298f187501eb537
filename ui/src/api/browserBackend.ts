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
import type { Contact } from "../bindings/Contact";
import type { DeletedWebhook } from "../bindings/DeletedWebhook";
import type { StoredEvent } from "../bindings/StoredEvent";
import type { Segment } from "../bindings/Segment";
import type { Args, CommandName, Result, Revision, Transport } from "../api";
import { validateWorkflow } from "./browserValidate";

const SEGMENT_FIELDS = ["email", "phone", "first_name", "last_name", "city", "birthday"] as const;

/** A contact field as the store's segments compare it: text, custom values by their JSON text. */
function fieldText(contact: Contact, field: string): string {
  if (field.startsWith("custom.")) {
    const value = contact.custom[field.slice("custom.".length)];
    if (value === undefined || value === null) return "";
    return typeof value === "string" ? value : JSON.stringify(value);
  }
  return (contact[field as (typeof SEGMENT_FIELDS)[number]] ?? "") as string;
}

/** Whether `contact` is in `segment`: any of its groups, all of its conditions, ignoring case. */
export function inSegment(contact: Contact, segment: Segment): boolean {
  if (segment.groups.length > 0 && !segment.groups.some((g) => contact.groups.includes(g))) return false;
  return segment.conditions.every(({ field, op, value }) => {
    const text = fieldText(contact, field).trim().toLowerCase();
    const wanted = (value ?? "").toLowerCase();
    switch (op) {
      case "equals":
        return text === wanted;
      case "contains":
        return text.includes(wanted);
      case "starts_with":
        return text.startsWith(wanted);
      case "is_set":
        return text !== "";
      case "is_not_set":
        return text === "";
    }
  });
}

/** The store's checks of a segment, with the same field paths; returns it trimmed. */
function checkedSegment(segment: Segment): Segment {
  const name = segment.name.trim();
  if (!name) fail("invalid", "invalid name: the segment has no name", "name");
  const groups = [...new Set(segment.groups.map((g) => g.trim()).filter(Boolean))];
  const conditions = segment.conditions.map((c, i) => {
    const field = c.field.trim();
    const known = (SEGMENT_FIELDS as readonly string[]).includes(field) || /^custom\.\S/.test(field);
    if (!known) fail("invalid", `invalid conditions[${i}].field: \`${field}\` is not a contact field`, `conditions[${i}].field`);
    const needsValue = c.op === "equals" || c.op === "contains" || c.op === "starts_with";
    const value = needsValue ? (c.value ?? "").trim() : null;
    if (needsValue && !value) fail("invalid", `invalid conditions[${i}].value: this comparison needs a value`, `conditions[${i}].value`);
    return { field, op: c.op, value };
  });
  if (groups.length === 0 && conditions.length === 0)
    fail("invalid", "invalid conditions: a segment needs at least one group or one condition", "conditions");
  return { name, description: segment.description?.trim() || null, groups, conditions };
}

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
  const deleted: DeletedWebhook[] = [];
  const contacts: Contact[] = [];
  const events: StoredEvent[] = [];
  const segments = new Map<string, Segment>();
  let nextId = 1;
  const newId = () => `browser-${nextId++}`;
  const desktopOnly = (what: string): never =>
    fail("unavailable", `${what} needs the desktop app: the browser preview cannot send requests`);

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
    save_webhook: ({ webhook, create }) => {
      if (!webhook.name.trim()) fail("invalid", "the webhook needs a name", "name");
      const at = bundle.webhooks.findIndex((w) => w.name === webhook.name);
      if (create && at >= 0) fail("already_exists", `a webhook named \`${webhook.name}\` already exists`, "name");
      if (at >= 0) bundle.webhooks[at] = structuredClone(webhook);
      else bundle.webhooks.push(structuredClone(webhook));
      bundle.webhooks.sort((a, b) => a.name.localeCompare(b.name));
    },
    delete_webhook: ({ name }) => {
      const at = bundle.webhooks.findIndex((w) => w.name === name);
      if (at < 0) fail("not_found", `no webhook named \`${name}\``, "name");
      const id = newId();
      deleted.unshift({ id, webhook: bundle.webhooks[at], deleted_at: now() });
      bundle.webhooks.splice(at, 1);
      return id;
    },
    list_deleted_webhooks: () => structuredClone(deleted),
    restore_webhook: ({ id }) => {
      const at = deleted.findIndex((d) => d.id === id);
      if (at < 0) fail("not_found", `no deleted webhook with id \`${id}\``, "id");
      const { webhook } = deleted[at];
      if (bundle.webhooks.some((w) => w.name === webhook.name))
        fail("already_exists", `a webhook named \`${webhook.name}\` already exists`, "name");
      deleted.splice(at, 1);
      bundle.webhooks.push(webhook);
      return structuredClone(webhook);
    },
    paste_curl: () => desktopOnly("Reading a cURL command"),
    save_curl_credentials: () => desktopOnly("Saving credentials"),
    webhook_to_curl: () => desktopOnly("Writing a cURL command"),
    list_connector_infos: () =>
      bundle.connectors.map((connector) => ({ connector, has_secret: secrets.has(connector.name) })),
    save_connector: ({ connector, secret }) => {
      if (!connector.name.trim()) fail("invalid", "the connector needs a name", "name");
      const at = bundle.connectors.findIndex((c) => c.name === connector.name);
      if (at < 0 && !secret) fail("invalid", "enter the secret (password, token or key) for the new connector", "secret");
      if (secret) secrets.set(connector.name, secret);
      if (at >= 0) bundle.connectors[at] = structuredClone(connector);
      else bundle.connectors.push(structuredClone(connector));
    },
    delete_connector: ({ name }) => {
      const user = bundle.webhooks.find((w) => w.connector === name);
      if (user) fail("invalid", `webhook \`${user.name}\` uses connector \`${name}\`; change that webhook first`, "connector");
      bundle.connectors = bundle.connectors.filter((c) => c.name !== name);
      secrets.delete(name);
    },
    search_contacts: ({ query }) => {
      const text = (query.text ?? "").trim().toLowerCase();
      const segment = query.segment
        ? (segments.get(query.segment) ?? fail("not_found", `no segment named \`${query.segment}\``))
        : null;
      return contacts
        .filter((c) => !query.group || c.groups.includes(query.group))
        .filter((c) => !segment || inSegment(c, segment))
        .filter((c) =>
          !text || [c.email, c.phone, c.first_name, c.last_name].some((v) => v?.toLowerCase().includes(text)),
        )
        .slice(0, query.limit);
    },
    contact_card: ({ id }) => {
      const contact = contacts.find((c) => c.id === id) ?? fail("not_found", `no contact with id \`${id}\``, "id");
      return { contact, runs: [] };
    },
    list_groups: () => [],
    list_segments: () => [...segments.values()].sort((a, b) => a.name.localeCompare(b.name)),
    save_segment: ({ segment, previousName }) => {
      const checked = checkedSegment(segment);
      if (previousName && previousName !== checked.name) {
        if (segments.has(checked.name)) fail("already_exists", `segment \`${checked.name}\` already exists`);
        if (!segments.delete(previousName)) fail("not_found", `no segment named \`${previousName}\``);
      }
      segments.set(checked.name, checked);
      return checked;
    },
    delete_segment: ({ name }) => {
      if (!segments.delete(name)) fail("not_found", `no segment named \`${name}\``);
    },
    import_contacts: () => desktopOnly("Importing a file"),
    list_received_events: () => structuredClone(events),
    list_rejected_events: () => [],
    create_manual_event: ({ alias, json }) => {
      if (!alias.trim()) fail("invalid", "give the event an alias", "alias");
      let payload: unknown;
      try {
        payload = JSON.parse(json);
      } catch (err) {
        return fail("invalid", `the event is not valid JSON: ${String(err)}`, "event");
      }
      const stored: StoredEvent = {
        id: newId(),
        event: { alias, source: "manual", payload },
        contact_id: null,
        primary_key: newId(),
        received_at: now(),
      };
      events.unshift(stored);
      return stored;
    },
    save_event_definition: ({ definition }) => {
      if (!definition.alias.trim()) fail("invalid", "the event definition needs an alias", "alias");
      bundle.event_definitions = [...bundle.event_definitions.filter((d) => d.alias !== definition.alias), definition];
    },
    delete_event_definition: ({ alias }) => {
      bundle.event_definitions = bundle.event_definitions.filter((d) => d.alias !== alias);
    },
    preview_request: () => desktopOnly("Previewing a request"),
    send_test: () => desktopOnly("Sending a test"),
    cancel_test: () => false,
    test_run: () => desktopOnly("A test run"),
    list_runs: () => [],
    get_run: ({ id }) => fail("not_found", `no run with id \`${id}\``, "id"),
    start_local_receiver: () =>
      fail("unavailable", "The local receiver needs the desktop app: the browser preview cannot listen on a port", "port"),
    stop_local_receiver: () => ({ port: null, url: null }),
    local_receiver_status: () => ({ port: null, url: null }),
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
