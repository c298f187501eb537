import { useEffect, useState } from "react";
import { api, ApiError, onReceived, type LocalReceiverStatus, type ReceivedNotice } from "../api";
import type { EventDefinition } from "../bindings/EventDefinition";
import { Icon } from "../components/Icon";
import { useEditor } from "../store";
import { FieldError, type FieldErrors, fieldErrors } from "./people/common";
import { samplePayload } from "./people/NewEventForm";

/**
 * The port typed in the field: null when empty (any free port), the number when it is a
 * whole number from 1 to 65535, else an error message.
 */
export function parsePort(text: string): { port: number | null } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === "") return { port: null };
  const port = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || port < 1 || port > 65535)
    return { error: "The port is a whole number from 1 to 65535; leave it empty for any free port." };
  return { port };
}

/** Where a client posts events of `def` to a receiver at `base` (`http://127.0.0.1:PORT`). */
export function eventUrl(base: string, def: EventDefinition): string {
  const alias = encodeURIComponent(def.alias);
  return def.context === "webhook" ? `${base}/hooks/${alias}` : `${base}/api/v1/custom-events/alias/${alias}?createContact=true`;
}

/** `text` as one POSIX shell word, in single quotes. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A curl command that posts a sample event of `def` to a receiver at `base`. */
export function curlExample(base: string, def: EventDefinition): string {
  return [
    `curl -i -X POST ${shellQuote(eventUrl(base, def))}`,
    `  -H 'Content-Type: application/json'`,
    `  -d ${shellQuote(JSON.stringify(samplePayload(def)))}`,
  ].join(" \\\n");
}

/** One line about what the receiver did with an event. */
export function noticeText(notice: ReceivedNotice): string {
  if (notice.kind === "accepted")
    return notice.duplicate
      ? `${notice.alias} (${notice.source}): primary key already received, acknowledged again`
      : `${notice.alias} (${notice.source}): stored`;
  return `${notice.alias} (${notice.source}): rejected with ${notice.status}, ${notice.reason}`;
}

async function copy(text: string, what: string, say: (text: string, tone?: "info" | "success" | "error") => void) {
  try {
    await navigator.clipboard.writeText(text);
    say(`Copied the ${what} to the clipboard.`, "success");
  } catch {
    say(`Select the ${what} to copy it.`, "info");
  }
}

/**
 * The local receiver: the server's inbound endpoints on 127.0.0.1, started from here, so that
 * curl, Postman or another system can send events while designing. Events it receives are
 * stored (not run) and appear in the lists below as they arrive.
 */
export function LocalReceiverPanel({ definitions }: { definitions: EventDefinition[] }) {
  const say = useEditor((s) => s.say);
  const [status, setStatus] = useState<LocalReceiverStatus | null>(null);
  const [portText, setPortText] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [alias, setAlias] = useState<string | null>(null);
  const [last, setLast] = useState<ReceivedNotice | null>(null);

  useEffect(() => {
    let live = true;
    api
      .localReceiverStatus()
      .then((s) => {
        if (!live) return;
        setStatus(s);
        if (s.port !== null) setPortText(String(s.port));
      })
      .catch((err) => live && setErrors(fieldErrors(err)));
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => onReceived(setLast), []);

  const url = status?.url ?? null;
  const def = definitions.find((d) => d.alias === alias) ?? definitions[0] ?? null;

  const start = async () => {
    const parsed = parsePort(portText);
    if ("error" in parsed) {
      setErrors({ port: parsed.error });
      return;
    }
    setBusy(true);
    try {
      const s = await api.startLocalReceiver(parsed.port);
      setStatus(s);
      setErrors({});
      if (s.port !== null) setPortText(String(s.port));
      say(`The local receiver listens on ${s.url}.`, "success");
    } catch (err) {
      setErrors(fieldErrors(err, (e) => (e.path === "port" ? "port" : null)));
    } finally {
      setBusy(false);
    }
  };

  const stop = async () => {
    setBusy(true);
    try {
      setStatus(await api.stopLocalReceiver());
      setErrors({});
      say("Stopped the local receiver; its port is free.", "success");
    } catch (err) {
      setErrors({ "": ApiError.from(err).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="ws-receiver" aria-label="Local receiver" data-testid="local-receiver">
      <div className="ws-receiver-row">
        <h2 className="ws-receiver-title">Local receiver</h2>
        <span className={`ws-badge${url ? " ok" : ""}`} data-testid="receiver-state">
          {url ? "Listening" : "Stopped"}
        </span>
        <label className="ws-receiver-port">
          <span className="small muted">Port on 127.0.0.1</span>
          <input
            className="input small mono"
            data-testid="receiver-port"
            inputMode="numeric"
            placeholder="any free"
            value={portText}
            disabled={url !== null || busy}
            aria-invalid={errors.port ? true : undefined}
            onChange={(e) => setPortText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") void start();
            }}
          />
        </label>
        {url ? (
          <button type="button" className="btn small" data-testid="receiver-stop" disabled={busy} onClick={() => void stop()}>
            Stop
          </button>
        ) : (
          <button type="button" className="btn small primary" data-testid="receiver-start" disabled={busy} onClick={() => void start()}>
            Start
          </button>
        )}
        {url ? (
          <code className="mono small" data-testid="receiver-url">
            {url}
          </code>
        ) : (
          <span className="small muted">Lets curl, Postman or another system send events to this app while you design; they are stored for tests, not run.</span>
        )}
      </div>
      <FieldError errors={errors} field="port" testId="receiver-port-error" />
      <FieldError errors={errors} field="" testId="receiver-error" />
      {url && (
        <div className="ws-receiver-try">
          <p className="small muted" data-testid="receiver-note">
            Events are stored and appear below as they arrive; they do not run workflows here (hookboard-server runs them). Only this computer can reach the receiver, so no API key is asked for and webhook signatures are not checked.
          </p>
          {def ? (
            <>
              <div className="ws-receiver-row">
                <label className="ws-receiver-port">
                  <span className="small muted">Event</span>
                  <select className="input small" data-testid="receiver-definition" value={def.alias} onChange={(e) => setAlias(e.target.value)}>
                    {definitions.map((d) => (
                      <option key={d.alias} value={d.alias}>
                        {d.alias} ({d.context === "webhook" ? "webhook" : "public API"})
                      </option>
                    ))}
                  </select>
                </label>
                <code className="mono small ws-receiver-url" data-testid="receiver-event-url">
                  {eventUrl(url, def)}
                </code>
                <button type="button" className="btn small ghost" data-testid="copy-receiver-url" title="Copy the URL" onClick={() => void copy(eventUrl(url, def), "URL", say)}>
                  <Icon name="copy" /> URL
                </button>
                <button type="button" className="btn small ghost" data-testid="copy-receiver-curl" title="Copy the curl command" onClick={() => void copy(curlExample(url, def), "curl command", say)}>
                  <Icon name="copy" /> curl
                </button>
              </div>
              <pre className="ws-code ws-receiver-curl" data-testid="receiver-curl">
                {curlExample(url, def)}
              </pre>
            </>
          ) : (
            <p className="small" data-testid="receiver-no-definition">
              Create a definition (Definitions tab) to say which events the receiver accepts.
            </p>
          )}
          {last && (
            <p className={`small ws-receiver-last${last.kind === "rejected" ? " error" : ""}`} data-testid="receiver-last">
              Last: {noticeText(last)}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
