// Send a test: pick a contact or event, preview the exact request (credentials as •••),
// send it, cancel it in flight, and see the status, time, headers, body, parsed values and
// the path the following Response switch takes.

import { useEffect, useRef, useState } from "react";
import { api, ApiError, type Preview, type TestOutcome, type TestSubject, type TestTarget } from "../../api";
import type { TracedRequest } from "../../bindings/TracedRequest";
import { errorTitle, prettyBody } from "./outcome";
import { SubjectPicker } from "./SubjectPicker";

const PREVIEW_DELAY_MS = 250;

type Sending = { kind: "idle" } | { kind: "sending"; id: string } | { kind: "done"; outcome: TestOutcome } | { kind: "failed"; code: string; message: string; path?: string };

let testCounter = 0;

function HeadersTable({ headers, testId }: { headers: readonly [string, string][]; testId?: string }) {
  return (
    <table className="kv-table" data-testid={testId}>
      <tbody>
        {headers.map(([k, v], i) => (
          <tr key={i}>
            <th className="mono">{k}</th>
            <td className="mono">{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RequestView({ request, testId }: { request: TracedRequest; testId: string }) {
  return (
    <div className="http-message" data-testid={testId}>
      <div className="mono request-line">
        <strong>{request.method}</strong> {request.url}
      </div>
      <HeadersTable headers={request.headers} />
      {request.body !== null && <pre className="code-block">{prettyBody(request.body, request.headers)}</pre>}
    </div>
  );
}

export function OutcomeView({ outcome }: { outcome: TestOutcome }) {
  const [raw, setRaw] = useState(false);
  const { step, switch: route } = outcome;
  const response = step.response;
  const ok = response && response.status < 400;
  return (
    <div className="test-outcome" data-testid="test-outcome">
      <div className="outcome-head">
        {response && (
          <span className={`status-pill ${ok ? "ok" : "bad"}`} data-testid="test-status">
            {response.status}
          </span>
        )}
        <span className="muted" data-testid="test-time">
          {step.duration_ms} ms{response && response.attempts > 1 ? ` · ${response.attempts} attempts` : ""}
        </span>
        {route && (
          <span className="branch" data-testid="test-branch">
            {route.step.branch ? (
              <>
                Response switch <span className="mono">{route.node}</span> → <strong className="mono">{route.step.branch}</strong>
              </>
            ) : (
              <>Response switch {route.node}: {route.step.error?.message ?? "no path"}</>
            )}
          </span>
        )}
      </div>
      {step.error && (
        <div className="field-issue error test-error" role="alert" data-testid="test-error">
          <strong>{errorTitle(step.error)}</strong>
          <div>{step.error.message}</div>
        </div>
      )}
      {step.request && (
        <details>
          <summary>Request sent</summary>
          <RequestView request={step.request} testId="sent-request" />
        </details>
      )}
      {response && (
        <>
          <details>
            <summary>Response headers ({response.headers.length})</summary>
            <HeadersTable headers={response.headers} testId="response-headers" />
          </details>
          <div className="panel-head">
            <span className="section-title">Body{response.body_truncated ? " (cut)" : ""}</span>
            <label className="check-label small">
              <input type="checkbox" checked={raw} onChange={(e) => setRaw(e.target.checked)} data-testid="raw-body" /> Raw
            </label>
          </div>
          <pre className="code-block" data-testid="response-body">
            {raw ? response.body : prettyBody(response.body, response.headers)}
          </pre>
          <span className="section-title">Parsed values</span>
          <pre className="code-block" data-testid="parsed-values">
            {JSON.stringify(response.parsed, null, 2)}
          </pre>
        </>
      )}
    </div>
  );
}

/** The send-test panel for a saved webhook or an HTTP request node. */
export function TestPanel({ target }: { target: TestTarget }) {
  const [subject, setSubject] = useState<TestSubject>({});
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<ApiError | null>(null);
  const [sending, setSending] = useState<Sending>({ kind: "idle" });
  const live = useRef<string | null>(null);

  useEffect(() => {
    const t = setTimeout(() => {
      api.previewRequest(target, subject).then(
        (p) => {
          setPreview(p);
          setPreviewError(null);
        },
        (e) => {
          setPreview(null);
          setPreviewError(ApiError.from(e));
        },
      );
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(t);
  }, [target, subject]);

  useEffect(
    () => () => {
      // Leaving the panel cancels a test still in flight.
      if (live.current) void api.cancelTest(live.current);
    },
    [],
  );

  const send = async () => {
    const id = `test-${Date.now()}-${++testCounter}`;
    live.current = id;
    setSending({ kind: "sending", id });
    try {
      const outcome = await api.sendTest(id, target, subject);
      if (live.current === id) setSending({ kind: "done", outcome });
    } catch (err) {
      const e = ApiError.from(err);
      if (live.current === id) setSending({ kind: "failed", code: e.code, message: e.message, path: e.path });
    } finally {
      if (live.current === id) live.current = null;
    }
  };

  const cancel = async () => {
    if (sending.kind === "sending") await api.cancelTest(sending.id);
  };

  return (
    <section className="test-panel" aria-label="Send a test" data-testid="test-panel">
      <SubjectPicker subject={subject} onChange={setSubject} />
      <span className="section-title">Request preview</span>
      {previewError && (
        <p className="field-issue error" data-testid="preview-error">
          {previewError.message}
          {previewError.path ? ` (${previewError.path})` : ""}
        </p>
      )}
      {preview?.error && (
        <p className="field-issue error" data-testid="preview-error">
          <strong>{errorTitle(preview.error)}:</strong> {preview.error.message}
        </p>
      )}
      {preview?.request && <RequestView request={preview.request} testId="request-preview" />}
      {!preview && !previewError && <p className="muted small">Rendering the request…</p>}
      <div className="row-actions">
        {sending.kind === "sending" ? (
          <>
            <span className="muted" data-testid="test-sending" role="status">
              Sending…
            </span>
            <button type="button" className="btn" data-testid="cancel-test" onClick={() => void cancel()}>
              Cancel
            </button>
          </>
        ) : (
          <button type="button" className="btn primary" data-testid="send-test" onClick={() => void send()} disabled={!!preview?.error}>
            Send test
          </button>
        )}
      </div>
      {sending.kind === "done" && <OutcomeView outcome={sending.outcome} />}
      {sending.kind === "failed" && (
        <div className="field-issue error test-error" role="alert" data-testid="test-error">
          <strong>{sending.code === "cancelled" ? "Cancelled" : "The test could not run"}</strong>
          <div>
            {sending.message}
            {sending.path ? ` (${sending.path})` : ""}
          </div>
        </div>
      )}
    </section>
  );
}
