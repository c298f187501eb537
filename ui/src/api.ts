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

export type { ApiErrorShape, ImportReport, Issue, Revision, SaveResult, WorkflowSummary };
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
};

export type Api = typeof api;
