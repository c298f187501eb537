// Test-run the open workflow for a picked contact or event: the run goes through the engine
// as on the server, is kept, and is shown on the canvas (each node marked with its outcome).
// Past test runs of the workflow can be shown again.

import { useEffect, useState } from "react";
import { api, ApiError, type RunSummary, type TestSubject } from "../../api";
import { useEditor } from "../../store";
import { Icon } from "../Icon";
import { SubjectPicker } from "./SubjectPicker";

export function TestRunDialog({ onClose }: { onClose: () => void }) {
  const meta = useEditor((s) => s.meta);
  const say = useEditor((s) => s.say);
  const setTestRun = useEditor((s) => s.setTestRun);
  const [subject, setSubject] = useState<TestSubject>({});
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [past, setPast] = useState<RunSummary[] | null>(null);

  useEffect(() => {
    if (meta) api.listRuns(meta.name).then(setPast, (e) => setError(ApiError.from(e).message));
  }, [meta]);

  const run = async () => {
    const workflow = useEditor.getState().snapshot();
    if (!workflow) return;
    setRunning(true);
    setError(null);
    try {
      const trace = await api.testRun(workflow, subject);
      setTestRun(trace);
      const failed = trace.steps.find((s) => s.status === "error");
      say(
        `Test run ${trace.status}: ${trace.steps.length} step(s)${failed?.error ? `; ${failed.node}: ${failed.error.message}` : ""}. Click a node to see its step.`,
        trace.status === "failed" ? "error" : "success",
      );
      onClose();
    } catch (err) {
      const e = ApiError.from(err);
      setError(`${e.message}${e.path ? ` (${e.path})` : ""}`);
    } finally {
      setRunning(false);
    }
  };

  const show = async (id: string) => {
    try {
      const stored = await api.getRun(id);
      setTestRun(stored.trace);
      say(`Showing the test run of ${new Date(stored.meta.started_at).toLocaleString()} (${stored.trace.status}).`, "info");
      onClose();
    } catch (err) {
      setError(ApiError.from(err).message);
    }
  };

  return (
    <div className="modal-backdrop">
      <div className="modal wide" role="dialog" aria-modal="true" aria-label="Test run" data-testid="test-run-dialog">
        <div className="panel-head">
          <h2 className="panel-title">Test-run {meta?.name}</h2>
          <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
            <Icon name="close" />
          </button>
        </div>
        <p className="muted small">
          The whole workflow runs through the engine, as on the server: requests are really sent. Set field changes are shown in the
          steps, not written to the contact. Wait nodes stop the run as “waiting”.
        </p>
        <SubjectPicker subject={subject} onChange={setSubject} />
        {error && (
          <p className="field-issue error" role="alert" data-testid="test-run-error">
            {error}
          </p>
        )}
        <div className="row-actions">
          <span className="spacer" />
          {running && (
            <span className="muted" role="status">
              Running…
            </span>
          )}
          <button type="button" className="btn primary" data-testid="run-test" disabled={running} onClick={() => void run()}>
            Run
          </button>
        </div>
        <span className="section-title">Past test runs</span>
        {past === null && <p className="muted small">Loading…</p>}
        {past?.length === 0 && <p className="muted small">No test run of this workflow yet.</p>}
        <ul className="record-items" data-testid="past-runs">
          {past?.map((r) => (
            <li key={r.id}>
              <button type="button" className="record-item" data-testid={`past-run-${r.id}`} onClick={() => void show(r.id)}>
                <span>
                  <span className={`run-mark run-${r.status === "completed" ? "ok" : r.status === "failed" ? "error" : "waiting"}`}>{r.status}</span>{" "}
                  {new Date(r.meta.started_at).toLocaleString()} · {r.steps} step(s)
                </span>
              </button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

/** The send-test dialog of an HTTP request node of the open workflow. */
export function NodeTestDialog({ nodeId, onClose, children }: { nodeId: string; onClose: () => void; children: React.ReactNode }) {
  return (
    <div className="modal-backdrop">
      <div className="modal wide test-modal" role="dialog" aria-modal="true" aria-label={`Send a test of ${nodeId}`} data-testid="node-test-dialog">
        <div className="panel-head">
          <h2 className="panel-title">Send a test · {nodeId}</h2>
          <button type="button" className="icon-btn" aria-label="Close" data-testid="close-node-test" onClick={onClose}>
            <Icon name="close" />
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}
