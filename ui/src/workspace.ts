// Workspace actions: the async steps between the store and the backend (open, save,
// create, rename, ...). Components call these; these call `api` and update the store.

import { api, ApiError, type ImportReport, type Issue } from "./api";
import { useEditor } from "./store";

const store = useEditor;

function fail(err: unknown, what: string): void {
  const e = ApiError.from(err);
  store.getState().say(`${what}: ${e.message}${e.path ? ` (${e.path})` : ""}`, "error");
}

export async function loadReference(): Promise<void> {
  const [specs, webhooks, eventDefinitions, connectors, environments, activeEnvironment] = await Promise.all([
    api.catalogue(),
    api.listWebhooks(),
    api.listEventDefinitions(),
    api.listConnectors(),
    api.listEnvironments(),
    api.getActiveEnvironment(),
  ]);
  store.getState().setReference({ specs, webhooks, eventDefinitions, connectors, environments, activeEnvironment });
}

export async function refreshWorkflows(): Promise<void> {
  try {
    store.getState().setReference({ workflows: await api.listWorkflows() });
  } catch (err) {
    fail(err, "Could not list workflows");
    if (store.getState().workflows === null) store.getState().setReference({ workflows: [] });
  }
}

/** Starts the app: reference data, the workflow list, and the first workflow. */
let booted = false;

export async function boot(): Promise<void> {
  if (booted) return;
  booted = true;
  try {
    await loadReference();
    await refreshWorkflows();
    const first = store.getState().workflows?.[0];
    if (first) await openWorkflow(first.name);
  } catch (err) {
    fail(err, "Could not load the workspace");
    if (store.getState().workflows === null) store.getState().setReference({ workflows: [] });
  }
}

let saving: Promise<void> | null = null;

/** Saves the open workflow if it changed since the last save. */
export async function saveNow(): Promise<void> {
  while (saving) await saving;
  const s = store.getState();
  const workflow = s.snapshot();
  if (!workflow || s.version === s.cleanVersion) return;
  const version = s.version;
  s.setSave({ kind: "saving" });
  saving = (async () => {
    try {
      const result = await api.saveWorkflow(workflow);
      const now = store.getState();
      if (now.meta?.name === workflow.name) {
        now.setSave({ kind: "saved", revision: result.revision }, version);
        if (now.version === version) now.setIssues(result.issues);
      }
      await refreshWorkflows();
    } catch (err) {
      const e = ApiError.from(err);
      store.getState().setSave({ kind: "error", message: e.message });
    } finally {
      saving = null;
    }
  })();
  await saving;
}

export async function validateNow(): Promise<void> {
  const s = store.getState();
  const workflow = s.snapshot();
  if (!workflow) return s.setIssues([]);
  const version = s.version;
  try {
    const issues = await api.validateWorkflow(workflow);
    if (store.getState().version === version) store.getState().setIssues(issues);
  } catch (err) {
    fail(err, "Could not validate");
  }
}

export async function openWorkflow(name: string): Promise<void> {
  const s = store.getState();
  if (s.meta?.name === name) return;
  await saveNow();
  try {
    const workflow = await api.getWorkflow(name);
    store.getState().load(workflow);
    await validateNow();
  } catch (err) {
    fail(err, `Could not open ${name}`);
  }
}

function freeName(base: string): string {
  const names = new Set((store.getState().workflows ?? []).map((w) => w.name));
  if (!names.has(base)) return base;
  for (let n = 2; ; n++) if (!names.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** Creates a workflow with a free name and opens it; returns its name. */
export async function createWorkflow(name?: string): Promise<string | null> {
  await saveNow();
  try {
    const workflow = await api.createWorkflow(name ?? freeName("untitled"));
    await refreshWorkflows();
    store.getState().load(workflow);
    store.getState().say(`Created ${workflow.name}: drag a trigger from the palette to start.`, "success");
    return workflow.name;
  } catch (err) {
    fail(err, "Could not create the workflow");
    return null;
  }
}

export async function renameWorkflow(from: string, to: string): Promise<boolean> {
  if (from === to || !to.trim()) return false;
  await saveNow();
  try {
    await api.renameWorkflow(from, to);
    if (store.getState().meta?.name === from) store.getState().renameCurrent(to);
    await refreshWorkflows();
    store.getState().say(`Renamed ${from} to ${to}.`, "success");
    return true;
  } catch (err) {
    fail(err, `Could not rename ${from}`);
    return false;
  }
}

export async function duplicateWorkflow(name: string): Promise<void> {
  await saveNow();
  try {
    const copy = await api.duplicateWorkflow(name, freeName(`${name}-copy`));
    await refreshWorkflows();
    store.getState().load(copy);
    await validateNow();
    store.getState().say(`Duplicated ${name} as ${copy.name}.`, "success");
  } catch (err) {
    fail(err, `Could not duplicate ${name}`);
  }
}

export async function deleteWorkflow(name: string): Promise<void> {
  try {
    await api.deleteWorkflow(name);
    await refreshWorkflows();
    if (store.getState().meta?.name === name) {
      store.getState().load(null);
      const next = store.getState().workflows?.[0];
      if (next) await openWorkflow(next.name);
    }
    store.getState().say(`Deleted ${name}.`, "success");
  } catch (err) {
    fail(err, `Could not delete ${name}`);
  }
}

export async function restoreRevision(number: number): Promise<boolean> {
  const name = store.getState().meta?.name;
  if (!name) return false;
  await saveNow();
  try {
    const workflow = await api.restoreRevision(name, number);
    const s = store.getState();
    s.replaceWorkflow(workflow);
    // The backend stored the restored revision; nothing is left to save.
    s.setSave({ kind: "idle" }, store.getState().version);
    await refreshWorkflows();
    await validateNow();
    s.say(`Restored revision ${number} of ${name}.`, "success");
    return true;
  } catch (err) {
    fail(err, `Could not restore revision ${number}`);
    return false;
  }
}

/** What the bundle dialog shows: an import's report, or why an import or export was refused. */
export type BundleOutcome =
  | { kind: "imported"; report: ImportReport }
  | { kind: "refused"; title: string; message: string; issues: Issue[] };

function refused(err: unknown, title: string): BundleOutcome {
  const e = ApiError.from(err);
  const issues = e.issues.length
    ? e.issues
    : [{ severity: "error" as const, path: e.path ?? "$", code: e.code, message: e.message, node: null }];
  return { kind: "refused", title, message: e.message, issues };
}

/** Exports the workspace; a refusal (the workspace has errors) comes back for the dialog. */
export async function exportBundle(): Promise<BundleOutcome | null> {
  await saveNow();
  try {
    const path = await api.exportBundle();
    store.getState().say(path ? `Exported the workspace to ${path}.` : "Export cancelled.", path ? "success" : "info");
    return null;
  } catch (err) {
    fail(err, "Export refused");
    return refused(err, "Nothing was exported");
  }
}

/** Runs the import; returns what the dialog shows (null if cancelled). */
export async function importBundle(): Promise<BundleOutcome | null> {
  await saveNow();
  try {
    const report = await api.importBundle();
    if (!report) {
      store.getState().say("Import cancelled.");
      return null;
    }
    await loadReference();
    await refreshWorkflows();
    const current = store.getState().meta?.name;
    store.getState().load(null);
    const open = current && store.getState().workflows?.some((w) => w.name === current) ? current : store.getState().workflows?.[0]?.name;
    if (open) await openWorkflow(open);
    store.getState().say(`Imported ${report.workflows.length} workflow(s) and ${report.webhooks.length} webhook(s).`, "success");
    return { kind: "imported", report };
  } catch (err) {
    fail(err, "Import refused");
    return refused(err, "Nothing was imported");
  }
}

export async function deleteDemoWorkspace(): Promise<void> {
  try {
    const count = await api.deleteDemoWorkspace();
    store.getState().load(null);
    await loadReference();
    await refreshWorkflows();
    const next = store.getState().workflows?.[0];
    if (next) await openWorkflow(next.name);
    store.getState().say(`Removed the demo workspace (${count} item${count === 1 ? "" : "s"}).`, "success");
  } catch (err) {
    fail(err, "Could not remove the demo workspace");
  }
}
