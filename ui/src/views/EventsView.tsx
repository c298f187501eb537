import { useEffect, useState } from "react";
import { api, onReceived, type RejectedEvent, type StoredEvent } from "../api";
import type { EventDefinition } from "../bindings/EventDefinition";
import { Icon } from "../components/Icon";
import { useEditor } from "../store";
import { loadReference } from "../workspace";
import { LocalReceiverPanel } from "./LocalReceiverPanel";
import { formatTime, ListState, useLoaded } from "./people/common";
import { CONTEXT_LABEL, EventDefinitionForm, newDefinition } from "./people/EventDefinitionForm";
import { NewEventForm, pointerGet } from "./people/NewEventForm";
import "../styles/views.css";

type Tab = "received" | "rejected" | "definitions";

const TABS: { id: Tab; label: string }[] = [
  { id: "received", label: "Received" },
  { id: "rejected", label: "Rejected" },
  { id: "definitions", label: "Definitions" },
];

/** The email an event carries, read through its definition's email field. */
function eventEmail(e: StoredEvent, defs: EventDefinition[]): string | null {
  const def = defs.find((d) => d.alias === e.event.alias);
  if (!def) return null;
  const field = def.fields.find((f) => f.name === def.email_field);
  const pointer = def.context === "webhook" && field?.pointer ? field.pointer : `/${def.email_field.replace(/~/g, "~0").replace(/\//g, "~1")}`;
  const value = pointerGet(e.event.payload, pointer);
  return typeof value === "string" ? value : null;
}

/** A rejected event's body as text (it is kept byte for byte). */
export function decodeBody(bytes: number[]): string {
  return new TextDecoder("utf-8", { fatal: false }).decode(new Uint8Array(bytes));
}

/** Inbound events: received, rejected with their reason, typed by hand; and the reception event definitions. */
export function EventsView() {
  const say = useEditor((s) => s.say);
  const [tab, setTab] = useState<Tab>("received");
  const received = useLoaded(api.listReceivedEvents, "Could not list the received events");
  const rejected = useLoaded(api.listRejectedEvents, "Could not list the rejected events");
  const definitions = useLoaded(api.listEventDefinitions, "Could not list the event definitions");
  const defs = definitions.data ?? [];
  const [picked, setPicked] = useState<{ received: string | null; rejected: string | null }>({ received: null, rejected: null });
  const [composing, setComposing] = useState(false);
  /** The definition in the editor: its alias, `""` for a new one, null for none. */
  const [editing, setEditing] = useState<string | null>(null);
  const [formKey, setFormKey] = useState(0);
  const reloadReceived = received.reload;
  const reloadRejected = rejected.reload;

  // The local receiver announces each event it stores or rejects: the lists follow.
  useEffect(() => onReceived((notice) => (notice.kind === "accepted" ? reloadReceived() : reloadRejected())), [reloadReceived, reloadRejected]);

  const count = (n: number | undefined) => (n === undefined ? "" : ` (${n})`);
  const counts: Record<Tab, string> = {
    received: count(received.data?.length),
    rejected: count(rejected.data?.length),
    definitions: count(definitions.data?.length),
  };

  const openDefinition = (alias: string | null) => {
    setEditing(alias);
    setFormKey((k) => k + 1);
  };

  return (
    <section className="ws-page" aria-label="Events" data-testid="events-view">
      <div className="ws-head">
        <div className="ws-head-text">
          <h1 className="ws-title">Events</h1>
          <p className="muted small">Inbound events kept for tests, the ones refused with their reason, and the definitions that say what an event of each alias carries.</p>
        </div>
        {tab === "definitions" ? (
          <button type="button" className="btn primary" data-testid="new-definition" onClick={() => openDefinition("")}>
            <Icon name="plus" /> New definition
          </button>
        ) : (
          <button
            type="button"
            className="btn primary"
            data-testid="new-event"
            onClick={() => {
              setTab("received");
              setComposing(true);
            }}
          >
            <Icon name="plus" /> New event
          </button>
        )}
      </div>
      <LocalReceiverPanel definitions={defs} />
      <div className="ws-tabs" role="tablist" aria-label="Event lists">
        {TABS.map((t) => (
          <button key={t.id} type="button" role="tab" className="ws-tab" aria-selected={tab === t.id} data-testid={`events-tab-${t.id}`} onClick={() => setTab(t.id)}>
            {t.label}
            <span className="muted small">{counts[t.id]}</span>
          </button>
        ))}
        <span className="spacer" />
        <button
          type="button"
          className="btn small ghost"
          data-testid="events-refresh"
          title="Load the lists again (events keep arriving while the receiver runs)"
          onClick={() => {
            received.reload();
            rejected.reload();
            definitions.reload();
          }}
        >
          Refresh
        </button>
      </div>

      {tab === "received" && (
        <div className="ws-split" role="tabpanel" aria-label="Received events">
          <div className="ws-pane">
            <ListState loading={received.data === null} error={received.error} empty={received.data?.length === 0} testId="received-events">
              <p>No events received yet.</p>
              <p className="small">Events posted to the receiver appear here; type one by hand with New event.</p>
            </ListState>
            {received.data && received.data.length > 0 && (
              <table className="ws-table fixed" data-testid="received-list">
                <colgroup>
                  <col className="ws-w-15" />
                  <col className="ws-w-15" />
                  <col className="ws-w-30" />
                  <col className="ws-w-16" />
                  <col className="ws-w-24" />
                </colgroup>
                <thead>
                  <tr>
                    <th>Alias</th>
                    <th>Source</th>
                    <th>Contact</th>
                    <th>Primary key</th>
                    <th>Received</th>
                  </tr>
                </thead>
                <tbody>
                  {received.data.map((e) => {
                    const open = () => {
                      setComposing(false);
                      setPicked({ ...picked, received: e.id });
                    };
                    const email = eventEmail(e, defs);
                    const on = !composing && picked.received === e.id;
                    return (
                      <tr key={e.id} className={`ws-row${on ? " selected" : ""}`} data-testid={`event-${e.id}`} aria-selected={on} onClick={open}>
                        <td>
                          <button type="button" className="link mono ws-open" data-testid={`open-event-${e.id}`}>
                            {e.event.alias}
                          </button>
                        </td>
                        <td>
                          <span className="ws-badge">{e.event.source}</span>
                        </td>
                        <td className="mono" title={e.contact_id ?? "no contact"}>
                          {email ?? (e.contact_id ? e.contact_id.slice(0, 8) : <span className="muted">—</span>)}
                        </td>
                        <td className="mono" title={e.primary_key}>
                          {e.primary_key}
                        </td>
                        <td>{formatTime(e.received_at)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </div>
          <div className="ws-pane">
            {composing ? (
              <NewEventForm
                definitions={defs}
                onCancel={() => setComposing(false)}
                onCreated={(event) => {
                  setComposing(false);
                  setPicked({ ...picked, received: event.id });
                  received.reload();
                  say(`Stored event ${event.event.alias} (typed by hand).`, "success");
                }}
              />
            ) : (
              <ReceivedDetail event={received.data?.find((e) => e.id === picked.received) ?? null} />
            )}
          </div>
        </div>
      )}

      {tab === "rejected" && (
        <div className="ws-split" role="tabpanel" aria-label="Rejected events">
          <div className="ws-pane">
            <ListState loading={rejected.data === null} error={rejected.error} empty={rejected.data?.length === 0} testId="rejected-events">
              <p>No rejected events.</p>
              <p className="small">Events that fail their definition's checks are kept here with the reason and the raw body.</p>
            </ListState>
            {rejected.data && rejected.data.length > 0 && (
              <table className="ws-table fixed" data-testid="rejected-list">
                <colgroup>
                  <col className="ws-w-20" />
                  <col className="ws-w-15" />
                  <col className="ws-w-45" />
                  <col className="ws-w-20" />
                </colgroup>
                <thead>
                  <tr>
                    <th>Alias</th>
                    <th>Source</th>
                    <th>Reason</th>
                    <th>Received</th>
                  </tr>
                </thead>
                <tbody>
                  {rejected.data.map((r) => {
                    const open = () => setPicked({ ...picked, rejected: r.id });
                    const on = picked.rejected === r.id;
                    return (
                      <tr key={r.id} className={`ws-row${on ? " selected" : ""}`} data-testid={`rejected-${r.id}`} aria-selected={on} onClick={open}>
                        <td>
                          <button type="button" className="link mono ws-open" data-testid={`open-rejected-${r.id}`}>
                            {r.alias}
                          </button>
                        </td>
                        <td>
                          <span className="ws-badge">{r.source}</span>
                        </td>
                        <td title={r.reason}>{r.reason}</td>
                        <td>{formatTime(r.received_at)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </div>
          <div className="ws-pane">
            <RejectedDetail event={rejected.data?.find((r) => r.id === picked.rejected) ?? null} />
          </div>
        </div>
      )}

      {tab === "definitions" && (
        <div className="ws-split" role="tabpanel" aria-label="Event definitions">
          <div className="ws-pane">
            <ListState loading={definitions.data === null} error={definitions.error} empty={definitions.data?.length === 0} testId="definitions">
              <p>No event definitions yet.</p>
              <p className="small">Create one with New definition to say which fields an inbound event carries.</p>
            </ListState>
            {defs.length > 0 && (
              <table className="ws-table fixed" data-testid="definition-list">
                <colgroup>
                  <col className="ws-w-25" />
                  <col className="ws-w-20" />
                  <col className="ws-w-15" />
                  <col className="ws-w-20" />
                  <col className="ws-w-20" />
                </colgroup>
                <thead>
                  <tr>
                    <th>Alias</th>
                    <th>Context</th>
                    <th>Fields</th>
                    <th>Email</th>
                    <th>Primary key</th>
                  </tr>
                </thead>
                <tbody>
                  {defs.map((d) => {
                    const open = () => openDefinition(d.alias);
                    return (
                      <tr key={d.alias} className={`ws-row${editing === d.alias ? " selected" : ""}`} data-testid={`definition-${d.alias}`} aria-selected={editing === d.alias} onClick={open}>
                        <td>
                          <button type="button" className="link mono ws-open" data-testid={`open-definition-${d.alias}`}>
                            {d.alias}
                          </button>
                        </td>
                        <td>{CONTEXT_LABEL[d.context]}</td>
                        <td>{d.fields.length}</td>
                        <td className="mono" title={d.email_field}>
                          {d.email_field}
                        </td>
                        <td className="mono">{d.primary_key}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </div>
          <div className="ws-pane">
            {editing !== null ? (
              <EventDefinitionForm
                key={formKey}
                original={editing || null}
                initial={structuredClone(defs.find((d) => d.alias === editing) ?? newDefinition())}
                taken={defs.map((d) => d.alias).filter((a) => a !== editing)}
                onCancel={() => setEditing(null)}
                onSaved={(def) => {
                  setEditing(def.alias);
                  definitions.reload();
                  void loadReference().catch(() => undefined);
                  say(`Saved event definition ${def.alias}.`, "success");
                }}
                onDeleted={(alias) => {
                  setEditing(null);
                  definitions.reload();
                  void loadReference().catch(() => undefined);
                  say(`Deleted event definition ${alias}; its received events stay.`, "success");
                }}
              />
            ) : (
              <div className="empty-state" data-testid="definition-placeholder">
                <p>Pick a definition to edit it,</p>
                <p className="small">or create one with New definition.</p>
              </div>
            )}
          </div>
        </div>
      )}
    </section>
  );
}

function ReceivedDetail({ event }: { event: StoredEvent | null }) {
  if (!event)
    return (
      <div className="empty-state" data-testid="event-placeholder">
        <p>Pick an event to see its payload,</p>
        <p className="small">or type one by hand with New event.</p>
      </div>
    );
  return (
    <article className="ws-form" data-testid="event-detail" aria-label={`Event ${event.event.alias}`}>
      <div className="ws-card-head">
        <h2 className="ws-card-name mono">{event.event.alias}</h2>
        <span className="ws-badge">{event.event.source}</span>
      </div>
      <dl className="ws-kv">
        <div className="ws-kv-row">
          <dt>Received</dt>
          <dd>{formatTime(event.received_at)}</dd>
        </div>
        <div className="ws-kv-row">
          <dt>Primary key</dt>
          <dd className="mono">{event.primary_key}</dd>
        </div>
        <div className="ws-kv-row">
          <dt>Contact</dt>
          <dd className="mono">{event.contact_id ?? <span className="muted">none</span>}</dd>
        </div>
        <div className="ws-kv-row">
          <dt>Event id</dt>
          <dd className="mono small muted">{event.id}</dd>
        </div>
      </dl>
      <h3 className="section-title">Payload</h3>
      <pre className="ws-code" data-testid="event-payload">
        {JSON.stringify(event.event.payload, null, 2)}
      </pre>
    </article>
  );
}

function RejectedDetail({ event }: { event: RejectedEvent | null }) {
  if (!event)
    return (
      <div className="empty-state" data-testid="rejected-placeholder">
        <p>Pick a rejected event to see why it was refused and the body as it arrived.</p>
      </div>
    );
  const body = decodeBody(event.raw_body);
  return (
    <article className="ws-form" data-testid="rejected-detail" aria-label={`Rejected event ${event.alias}`}>
      <div className="ws-card-head">
        <h2 className="ws-card-name mono">{event.alias}</h2>
        <span className="ws-badge">{event.source}</span>
      </div>
      <p className="ws-notice error" data-testid="rejected-reason">
        {event.reason}
      </p>
      <dl className="ws-kv">
        <div className="ws-kv-row">
          <dt>Received</dt>
          <dd>{formatTime(event.received_at)}</dd>
        </div>
        <div className="ws-kv-row">
          <dt>Size</dt>
          <dd>{event.raw_body.length} bytes</dd>
        </div>
      </dl>
      <h3 className="section-title">Raw body</h3>
      <pre className="ws-code" data-testid="rejected-body">
        {body || <span className="muted">(empty body)</span>}
      </pre>
    </article>
  );
}
