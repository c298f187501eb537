// The one module that talks to the backend. Every Tauri command the UI uses has a typed
// wrapper here; every failure is thrown as an `ApiError` carrying `{code, message, path?}`.
//
// Outside Tauri (a plain browser running `vite preview`, and Vitest) there is no
// `window.__TAURI_INTERNALS__`; the calls then go to the in-memory demo backend in
// ./api/browserBackend.ts, loaded lazily so the desktop bundle never runs it.

import type { Connector } from "./bindings/Connector";
import type { Environment } from "./bindings/Environment";
import type { EventDefinition } from "./bindings/EventDefinition";
import type { NodeTypeSpec } from "./bindings/NodeTypeSpec";
import type { Webhook } from "./bindings/Webhook";
import type { Workflow } from "./bindings/Workflow";

import type { ApiError as ApiErrorShape } from "./bindings/ApiError";
import type { ImportReport } from "./bindings/ImportReport";
import type { Issue } from "./bindings/Issue";
import type { Revision } from "./bindings/Revision";
import type { SaveResult } from "./bindings/SaveResult";
import type { WorkflowSummary } from "./bindings/WorkflowSummary";
import type { ConnectorInfo } from "./bindings/ConnectorInfo";
import type { Contact } from "./bindings/Contact";
import type { ContactCard } from "./bindings/ContactCard";
import type { ContactImportReport } from "./bindings/ContactImportReport";
import type { ContactQuery } from "./bindings/ContactQuery";
import type { DeletedWebhook } from "./bindings/DeletedWebhook";
import type { GroupInfo } from "./bindings/GroupInfo";
import type { ImportProgress } from "./bindings/ImportProgress";
import type { Preview } from "./bindings/Preview";
import type { RejectedEvent } from "./bindings/RejectedEvent";
import type { RunSummary } from "./bindings/RunSummary";
import type { ConditionOp } from "./bindings/ConditionOp";
import type { Segment } from "./bindings/Segment";
import type { SegmentCondition } from "./bindings/SegmentCondition";
import type { RunTrace } from "./bindings/RunTrace";
import type { StoredEvent } from "./bindings/StoredEvent";
import type { StoredRun } from "./bindings/StoredRun";
import type { TestOutcome } from "./bindings/TestOutcome";
import type { TestSubject } from "./bindings/TestSubject";
import type { TestTarget } from "./bindings/TestTarget";
import type { CurlPaste } from "./bindings/CurlPaste";
import type { LocalReceiverStatus } from "./bindings/LocalReceiverStatus";
import type { ReceivedNotice } from "./bindings/ReceivedNotice";

export type { ApiErrorShape, ImportReport, Issue, Revision, SaveResult, WorkflowSummary };
export type {
  ConnectorInfo,
  Contact,
  ContactCard,
  ContactImportReport,
  ContactQuery,
  DeletedWebhook,
  GroupInfo,
  ImportProgress,
  Preview,
  RejectedEvent,
  RunSummary,
  RunTrace,
  ConditionOp,
  Segment,
  SegmentCondition,
  StoredEvent,
  StoredRun,
  TestOutcome,
  TestSubject,
  TestTarget,
  CurlPaste,
  LocalReceiverStatus,
  ReceivedNotice,
};

/** A contact search as callers write it: the segment may be left out. */
export type ContactSearch = Omit<ContactQuery, "segment"> & { segment?: string | null };

/** Receives progress messages from a long command (Tauri's `Channel`). */
export interface ProgressSink<T> {
  onmessage: (message: T) => void;
}
export type { Severity } from "./bindings/Severity";

/**
 * A failed command: its stable code, a message for people, the offending field's path, and
 * for an invalid bundle or workspace every validation problem.
 */
export class ApiError extends Error {
  readonly code: string;
  readonly path?: string;
  readonly issues: Issue[];

  constructor(shape: ApiErrorShape) {
    super(shape.message);
    this.name = "ApiError";
    this.code = shape.code;
    this.path = shape.path;
    this.issues = shape.issues ?? [];
  }

  static from(err: unknown): ApiError {
    if (err instanceof ApiError) return err;
    if (err && typeof err === "object" && "message" in err) {
      const e = err as Partial<ApiErrorShape>;
      return new ApiError({
        code: typeof e.code === "string" ? e.code : "error",
        message: String(e.message),
        path: typeof e.path === "string" ? e.path : undefined,
        issues: Array.isArray(e.issues) ? e.issues : undefined,
      });
    }
    return new ApiError({ code: "error", message: String(err) });
  }
}

/** Argument and result types of every command, by command name. */
export interface Commands {
  catalogue: [Record<string, never>, NodeTypeSpec[]];
  list_workflows: [Record<string, never>, WorkflowSummary[]];
  get_workflow: [{ name: string }, Workflow];
  create_workflow: [{ name: string }, Workflow];
  save_workflow: [{ workflow: Workflow }, SaveResult];
  rename_workflow: [{ from: string; to: string }, void];
  duplicate_workflow: [{ name: string; newName: string }, Workflow];
  delete_workflow: [{ name: string }, void];
  list_revisions: [{ name: string }, Revision[]];
  restore_revision: [{ name: string; number: number }, Workflow];
  validate_workflow: [{ workflow: Workflow }, Issue[]];
  list_webhooks: [Record<string, never>, Webhook[]];
  list_event_definitions: [Record<string, never>, EventDefinition[]];
  list_connectors: [Record<string, never>, Connector[]];
  list_environments: [Record<string, never>, Environment[]];
  save_environment: [{ environment: Environment }, void];
  delete_environment: [{ name: string }, void];
  get_active_environment: [Record<string, never>, string | null];
  set_active_environment: [{ name: string | null }, void];
  export_bundle: [Record<string, never>, string | null];
  import_bundle: [Record<string, never>, ImportReport | null];
  set_connector_secret: [{ name: string; secret: string }, void];
  /** Returns how many items were deleted. */
  delete_demo_workspace: [Record<string, never>, number];
  save_webhook: [{ webhook: Webhook; create: boolean }, void];
  /** Returns the id of the webhook in the deleted list. */
  delete_webhook: [{ name: string }, string];
  list_deleted_webhooks: [Record<string, never>, DeletedWebhook[]];
  restore_webhook: [{ id: string }, Webhook];
  paste_curl: [{ command: string }, CurlPaste];
  save_curl_credentials: [{ command: string; name: string }, void];
  webhook_to_curl: [{ webhook: Webhook }, string];
  list_connector_infos: [Record<string, never>, ConnectorInfo[]];
  save_connector: [{ connector: Connector; secret: string | null }, void];
  delete_connector: [{ name: string }, void];
  search_contacts: [{ query: ContactQuery }, Contact[]];
  contact_card: [{ id: string }, ContactCard];
  list_groups: [Record<string, never>, GroupInfo[]];
  list_segments: [Record<string, never>, Segment[]];
  /** Creates or replaces a segment (renaming `previousName` when given); returns it as stored. */
  save_segment: [{ segment: Segment; previousName: string | null }, Segment];
  delete_segment: [{ name: string }, void];
  import_contacts: [{ onProgress: ProgressSink<ImportProgress> }, ContactImportReport | null];
  list_received_events: [Record<string, never>, StoredEvent[]];
  list_rejected_events: [Record<string, never>, RejectedEvent[]];
  create_manual_event: [{ alias: string; json: string }, StoredEvent];
  save_event_definition: [{ definition: EventDefinition }, void];
  delete_event_definition: [{ alias: string }, void];
  preview_request: [{ target: TestTarget; subject: TestSubject }, Preview];
  send_test: [{ testId: string; target: TestTarget; subject: TestSubject }, TestOutcome];
  /** Returns whether the test was still in flight. */
  cancel_test: [{ testId: string }, boolean];
  test_run: [{ workflow: Workflow; subject: TestSubject }, RunTrace];
  list_runs: [{ workflow: string }, RunSummary[]];
  get_run: [{ id: string }, StoredRun];
  /** Starts the local receiver on 127.0.0.1 (`port` null: any free port); reports where it runs. */
  start_local_receiver: [{ port: number | null }, LocalReceiverStatus];
  stop_local_receiver: [Record<string, never>, LocalReceiverStatus];
  local_receiver_status: [Record<string, never>, LocalReceiverStatus];
}

export type CommandName = keyof Commands;
export type Args<C extends CommandName> = Commands[C][0];
export type Result<C extends CommandName> = Commands[C][1];

/** Something that can run a command: Tauri's IPC or the browser demo backend. */
export type Transport = <C extends CommandName>(command: C, args: Args<C>) => Promise<Result<C>>;

function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

let transport: Promise<Transport> | null = null;

function getTransport(): Promise<Transport> {
  if (!transport) {
    transport = inTauri()
      ? import("@tauri-apps/api/core").then(
          ({ invoke }) =>
            ((command, args) => invoke(command, args as Record<string, unknown>)) as Transport,
        )
      : import("./api/browserBackend").then(({ createBrowserBackend }) => createBrowserBackend());
  }
  return transport;
}

/** Replaces the transport (tests use a fresh browser backend per test). */
export function setTransport(next: Transport | null): void {
  transport = next ? Promise.resolve(next) : null;
}

/** Whether calls go to the in-memory demo backend instead of the desktop app. */
export const usingBrowserBackend = (): boolean => !inTauri();

async function call<C extends CommandName>(command: C, args: Args<C>): Promise<Result<C>> {
  const run = await getTransport();
  try {
    return await run(command, args);
  } catch (err) {
    throw ApiError.from(err);
  }
}

const none = {} as Record<string, never>;

export const api = {
  catalogue: () => call("catalogue", none),
  listWorkflows: () => call("list_workflows", none),
  getWorkflow: (name: string) => call("get_workflow", { name }),
  createWorkflow: (name: string) => call("create_workflow", { name }),
  saveWorkflow: (workflow: Workflow) => call("save_workflow", { workflow }),
  renameWorkflow: (from: string, to: string) => call("rename_workflow", { from, to }),
  duplicateWorkflow: (name: string, newName: string) =>
    call("duplicate_workflow", { name, newName }),
  deleteWorkflow: (name: string) => call("delete_workflow", { name }),
  listRevisions: (name: string) => call("list_revisions", { name }),
  restoreRevision: (name: string, number: number) => call("restore_revision", { name, number }),
  validateWorkflow: (workflow: Workflow) => call("validate_workflow", { workflow }),
  listWebhooks: () => call("list_webhooks", none),
  listEventDefinitions: () => call("list_event_definitions", none),
  listConnectors: () => call("list_connectors", none),
  listEnvironments: () => call("list_environments", none),
  saveEnvironment: (environment: Environment) => call("save_environment", { environment }),
  deleteEnvironment: (name: string) => call("delete_environment", { name }),
  getActiveEnvironment: () => call("get_active_environment", none),
  setActiveEnvironment: (name: string | null) => call("set_active_environment", { name }),
  exportBundle: () => call("export_bundle", none),
  importBundle: () => call("import_bundle", none),
  setConnectorSecret: (name: string, secret: string) =>
    call("set_connector_secret", { name, secret }),
  deleteDemoWorkspace: () => call("delete_demo_workspace", none),
  saveWebhook: (webhook: Webhook, create: boolean) => call("save_webhook", { webhook, create }),
  deleteWebhook: (name: string) => call("delete_webhook", { name }),
  listDeletedWebhooks: () => call("list_deleted_webhooks", none),
  restoreWebhook: (id: string) => call("restore_webhook", { id }),
  pasteCurl: (command: string) => call("paste_curl", { command }),
  saveCurlCredentials: (command: string, name: string) => call("save_curl_credentials", { command, name }),
  webhookToCurl: (webhook: Webhook) => call("webhook_to_curl", { webhook }),
  listConnectorInfos: () => call("list_connector_infos", none),
  saveConnector: (connector: Connector, secret: string | null) =>
    call("save_connector", { connector, secret }),
  deleteConnector: (name: string) => call("delete_connector", { name }),
  searchContacts: (query: ContactSearch) =>
    call("search_contacts", { query: { ...query, segment: query.segment ?? null } }),
  contactCard: (id: string) => call("contact_card", { id }),
  listGroups: () => call("list_groups", none),
  listSegments: () => call("list_segments", none),
  saveSegment: (segment: Segment, previousName: string | null = null) =>
    call("save_segment", { segment, previousName }),
  deleteSegment: (name: string) => call("delete_segment", { name }),
  importContacts: async (onProgress: (p: ImportProgress) => void) => {
    const sink = await progressSink(onProgress);
    return call("import_contacts", { onProgress: sink });
  },
  listReceivedEvents: () => call("list_received_events", none),
  listRejectedEvents: () => call("list_rejected_events", none),
  createManualEvent: (alias: string, json: string) => call("create_manual_event", { alias, json }),
  saveEventDefinition: (definition: EventDefinition) =>
    call("save_event_definition", { definition }),
  deleteEventDefinition: (alias: string) => call("delete_event_definition", { alias }),
  previewRequest: (target: TestTarget, subject: TestSubject) =>
    call("preview_request", { target, subject }),
  sendTest: (testId: string, target: TestTarget, subject: TestSubject) =>
    call("send_test", { testId, target, subject }),
  cancelTest: (testId: string) => call("cancel_test", { testId }),
  testRun: (workflow: Workflow, subject: TestSubject) => call("test_run", { workflow, subject }),
  listRuns: (workflow: string) => call("list_runs", { workflow }),
  getRun: (id: string) => call("get_run", { id }),
  startLocalReceiver: (port: number | null) => call("start_local_receiver", { port }),
  stopLocalReceiver: () => call("stop_local_receiver", none),
  localReceiverStatus: () => call("local_receiver_status", none),
};

/** The Tauri event the desktop sends for each event the local receiver stores or rejects. */
export const RECEIVED_EVENT = "local-receiver-received";

const receivedListeners = new Set<(notice: ReceivedNotice) => void>();
let listeningToTauri = false;

/** Hands a local receiver notice to every listener (the desktop's events; tests call it directly). */
export function notifyReceived(notice: ReceivedNotice): void {
  for (const listener of [...receivedListeners]) listener(notice);
}

/**
 * Calls `listener` for each event the local receiver stores or rejects, until the returned
 * function is called. In the desktop app one Tauri event listener feeds every listener.
 */
export function onReceived(listener: (notice: ReceivedNotice) => void): () => void {
  receivedListeners.add(listener);
  if (inTauri() && !listeningToTauri) {
    listeningToTauri = true;
    void import("@tauri-apps/api/event")
      .then(({ listen }) => listen<ReceivedNotice>(RECEIVED_EVENT, (e) => notifyReceived(e.payload)))
      .catch(() => {
        listeningToTauri = false;
      });
  }
  return () => {
    receivedListeners.delete(listener);
  };
}

/** A progress receiver for a command: Tauri's `Channel` in the app, a plain object outside. */
async function progressSink<T>(onMessage: (message: T) => void): Promise<ProgressSink<T>> {
  if (!inTauri()) return { onmessage: onMessage };
  const { Channel } = await import("@tauri-apps/api/core");
  const channel = new Channel<T>();
  channel.onmessage = onMessage;
  return channel;
}

export type Api = typeof api;
