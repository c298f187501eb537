// Picks who and what a test runs for: a stored contact (search by email, name or phone,
// filter by group or saved segment) and an event (a received one, or one typed by hand as JSON).

import { useEffect, useState } from "react";
import { api, ApiError, type Contact, type GroupInfo, type Segment, type StoredEvent, type TestSubject } from "../../api";
import { useEditor } from "../../store";

const SEARCH_DELAY_MS = 200;

/** A contact's name and email, for lists. */
export function contactLabel(c: Contact): string {
  const name = [c.first_name, c.last_name].filter(Boolean).join(" ");
  return name ? `${name} <${c.email ?? c.phone ?? c.id}>` : (c.email ?? c.phone ?? c.id);
}

type EventMode = "none" | "received" | "typed";

export function SubjectPicker({ subject, onChange }: { subject: TestSubject; onChange: (subject: TestSubject) => void }) {
  const definitions = useEditor((s) => s.eventDefinitions);
  const [text, setText] = useState("");
  const [group, setGroup] = useState("");
  const [groups, setGroups] = useState<GroupInfo[]>([]);
  const [segment, setSegment] = useState("");
  const [segments, setSegments] = useState<Segment[]>([]);
  const [contacts, setContacts] = useState<Contact[] | null>(null);
  const [picked, setPicked] = useState<Contact | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [events, setEvents] = useState<StoredEvent[]>([]);
  const mode: EventMode = subject.event_id ? "received" : subject.event ? "typed" : "none";

  useEffect(() => {
    api.listGroups().then(setGroups, (e) => setError(ApiError.from(e).message));
    api.listSegments().then(setSegments, (e) => setError(ApiError.from(e).message));
    api.listReceivedEvents().then(setEvents, (e) => setError(ApiError.from(e).message));
  }, []);

  useEffect(() => {
    const t = setTimeout(() => {
      api
        .searchContacts({ text: text || null, group: group || null, segment: segment || null, limit: 20 })
        .then(setContacts, (e) => setError(ApiError.from(e).message));
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(t);
  }, [text, group, segment]);

  const pick = (c: Contact | null) => {
    setPicked(c);
    const next = { ...subject };
    if (c) next.contact_id = c.id;
    else delete next.contact_id;
    onChange(next);
  };

  const setMode = (m: EventMode) => {
    const next: TestSubject = subject.contact_id ? { contact_id: subject.contact_id } : {};
    if (m === "received" && events[0]) next.event_id = events[0].id;
    if (m === "typed") next.event = { alias: definitions[0]?.alias ?? "", json: "{\n  \n}" };
    onChange(next);
  };

  return (
    <div className="subject-picker" data-testid="subject-picker">
      <div className="subject-col">
        <span className="section-title">Contact</span>
        {/* A third column for the segment filter once there are segments. */}
        <div className="subject-search" style={segments.length > 0 ? { gridTemplateColumns: "minmax(0, 1fr) 110px 110px" } : undefined}>
          <input className="input" data-testid="contact-search" placeholder="Search email, name or phone" aria-label="Search contacts" value={text} onChange={(e) => setText(e.target.value)} />
          <select className="input" data-testid="contact-group" aria-label="Group" value={group} onChange={(e) => setGroup(e.target.value)}>
            <option value="">All groups</option>
            {groups.map((g) => (
              <option key={g.name} value={g.name}>
                {g.name} ({g.members})
              </option>
            ))}
          </select>
          {segments.length > 0 && (
            <select className="input" data-testid="contact-segment" aria-label="Segment" value={segment} onChange={(e) => setSegment(e.target.value)}>
              <option value="">All segments</option>
              {segments.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name}
                </option>
              ))}
            </select>
          )}
        </div>
        {error && <p className="field-issue error">{error}</p>}
        <ul className="pick-list" data-testid="contact-results" aria-label="Contacts">
          {contacts === null && <li className="muted small">Searching…</li>}
          {contacts?.length === 0 && <li className="muted small">No contact matches. Import contacts in the Contacts view.</li>}
          {contacts?.map((c) => (
            <li key={c.id}>
              <button type="button" className={`pick-item${subject.contact_id === c.id ? " picked" : ""}`} data-testid={`pick-contact-${c.email ?? c.id}`} aria-pressed={subject.contact_id === c.id} onClick={() => pick(subject.contact_id === c.id ? null : c)}>
                {contactLabel(c)}
              </button>
            </li>
          ))}
        </ul>
        {picked && subject.contact_id === picked.id && (
          <dl className="contact-mini" data-testid="picked-contact">
            {(["email", "phone", "first_name", "last_name", "city"] as const).map((f) =>
              picked[f] ? (
                <div key={f}>
                  <dt>{f}</dt>
                  <dd>{picked[f]}</dd>
                </div>
              ) : null,
            )}
            {picked.groups.length > 0 && (
              <div>
                <dt>groups</dt>
                <dd>{picked.groups.join(", ")}</dd>
              </div>
            )}
          </dl>
        )}
      </div>
      <div className="subject-col">
        <span className="section-title">Event</span>
        <div className="segmented" role="radiogroup" aria-label="Event">
          {(
            [
              ["none", "None"],
              ["received", "Received"],
              ["typed", "Typed JSON"],
            ] as const
          ).map(([m, label]) => (
            <button key={m} type="button" role="radio" aria-checked={mode === m} data-testid={`event-mode-${m}`} onClick={() => setMode(m)}>
              {label}
            </button>
          ))}
        </div>
        {mode === "received" &&
          (events.length === 0 ? (
            <p className="muted small">No event received yet. Type one by hand instead.</p>
          ) : (
            <select className="input" data-testid="pick-event" aria-label="Received event" value={subject.event_id} onChange={(e) => onChange({ ...subject, event_id: e.target.value })}>
              {events.map((ev) => (
                <option key={ev.id} value={ev.id}>
                  {ev.event.alias} · {ev.primary_key} · {new Date(ev.received_at).toLocaleString()}
                </option>
              ))}
            </select>
          ))}
        {mode === "typed" && subject.event && (
          <>
            <input className="input mono" list="subject-aliases" data-testid="typed-event-alias" aria-label="Event alias" placeholder="alias" value={subject.event.alias} onChange={(e) => onChange({ ...subject, event: { ...subject.event!, alias: e.target.value } })} />
            <datalist id="subject-aliases">
              {definitions.map((d) => (
                <option key={d.alias} value={d.alias} />
              ))}
            </datalist>
            <textarea className="input mono" rows={6} data-testid="typed-event-json" aria-label="Event JSON" value={subject.event.json} onChange={(e) => onChange({ ...subject, event: { ...subject.event!, json: e.target.value } })} />
          </>
        )}
      </div>
    </div>
  );
}
