import { useEffect, useState } from "react";
import { api, ApiError, type Contact, type ContactCard, type ContactImportReport, type ImportProgress, type Segment } from "../api";
import { Icon } from "../components/Icon";
import { useEditor } from "../store";
import { FieldError, formatTime, ListState, useLoaded } from "./people/common";
import { newSegment, SegmentForm } from "./people/SegmentForm";
import "../styles/views.css";

/** How long the search waits after the last keystroke. */
export const SEARCH_DELAY_MS = 250;
/** At most this many contacts are listed. */
export const SEARCH_LIMIT = 200;

type Query = { text: string; group: string; segment: string };
const keyOf = (q: Query) => JSON.stringify(q);

type ImportState =
  | { phase: "idle" }
  | { phase: "running"; progress: ImportProgress | null }
  | { phase: "done"; report: ContactImportReport }
  | { phase: "failed"; message: string };

/** "Ada Lovelace", or the email, or the phone, or the id. */
export function contactName(c: Contact): string {
  const name = [c.first_name, c.last_name].filter(Boolean).join(" ");
  return name || c.email || c.phone || c.id;
}

const rowProblems = (n: number) => (n === 1 ? "1 row has a problem" : `${n} rows have problems`);

/** The data-testid suffix of a contact: its email, or its id. */
const contactKey = (c: Contact) => c.email ?? c.id;

/** What the right-hand pane shows: a contact's card, or the segment editor. */
type Pane = { kind: "contact"; id: string } | { kind: "segment"; original: string | null; initial: Segment } | null;

/** The contacts in the store: search, filter by group or segment, edit segments, open a card, import a file. */
export function ContactsView() {
  const say = useEditor((s) => s.say);
  const [query, setQuery] = useState<Query>({ text: "", group: "", segment: "" });
  const [tick, setTick] = useState(0);
  const [results, setResults] = useState<{ key: string; contacts: Contact[] | null; error: string | null } | null>(null);
  const groups = useLoaded(api.listGroups, "Could not list the groups");
  const segments = useLoaded(api.listSegments, "Could not list the segments");
  const [pane, setPane] = useState<Pane>(null);
  const selected = pane?.kind === "contact" ? pane.id : null;
  const setSelected = (id: string | null) => setPane(id ? { kind: "contact", id } : null);
  const editedSegment = (segments.data ?? []).find((s) => s.name === query.segment);
  const [imported, setImported] = useState<ImportState>({ phase: "idle" });

  const key = keyOf(query);
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      api
        .searchContacts({ text: query.text.trim() || null, group: query.group || null, segment: query.segment || null, limit: SEARCH_LIMIT })
        .then((contacts) => live && setResults({ key, contacts, error: null }))
        .catch((err) => live && setResults({ key, contacts: null, error: `Could not search the contacts: ${ApiError.from(err).message}` }));
    }, SEARCH_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key, query, tick]);

  const runImport = async () => {
    setImported({ phase: "running", progress: null });
    let report: ContactImportReport | null;
    try {
      report = await api.importContacts((progress) => setImported((s) => (s.phase === "running" ? { phase: "running", progress } : s)));
    } catch (err) {
      setImported({ phase: "failed", message: ApiError.from(err).message });
      return;
    }
    if (!report) {
      setImported({ phase: "idle" });
      say("Import cancelled: no file was picked.");
      return;
    }
    setImported({ phase: "done", report });
    if (report.errors.length > 0) {
      say(`Nothing was imported: ${rowProblems(report.errors.length)}.`, "error");
    } else {
      say(`Imported contacts: ${report.created} created, ${report.updated} updated.`, "success");
      groups.reload();
      setTick((t) => t + 1);
    }
  };

  const contacts = results?.contacts ?? null;
  const searching = results?.key !== key;
  const filtered = query.text.trim() !== "" || query.group !== "" || query.segment !== "";

  const segmentSaved = (segment: Segment) => {
    segments.reload();
    setPane(null);
    setQuery({ ...query, segment: segment.name });
    setTick((t) => t + 1);
    say(`Saved segment ${segment.name}.`, "success");
  };
  const segmentDeleted = (name: string) => {
    segments.reload();
    setPane(null);
    if (query.segment === name) setQuery({ ...query, segment: "" });
    say(`Deleted segment ${name}.`);
  };

  return (
    <section className="ws-page" aria-label="Contacts" data-testid="contacts-view">
      <div className="ws-head">
        <div className="ws-head-text">
          <h1 className="ws-title">Contacts</h1>
          <p className="muted small">The contacts in the local store, to pick for tests. Search by email, name or phone; open one to see its fields, groups and runs.</p>
        </div>
        <button type="button" className="btn primary" data-testid="import-contacts" disabled={imported.phase === "running"} onClick={() => void runImport()} title="Import contacts from a CSV or JSON file">
          <Icon name="import" /> Import contacts
        </button>
      </div>
      <ImportPanel state={imported} onClose={() => setImported({ phase: "idle" })} />
      <div className="ws-split">
        <div className="ws-pane" aria-label="Contact search">
          <div className="ws-toolbar">
            <input
              type="search"
              className="input ws-search"
              data-testid="contacts-search"
              aria-label="Search contacts by email, name or phone"
              placeholder="Search by email, name or phone"
              value={query.text}
              onChange={(e) => setQuery({ ...query, text: e.target.value })}
            />
            <select className="input" data-testid="contacts-group" aria-label="Filter by group" value={query.group} onChange={(e) => setQuery({ ...query, group: e.target.value })}>
              <option value="">All groups</option>
              {(groups.data ?? []).map((g) => (
                <option key={g.name} value={g.name}>
                  {g.name} ({String(g.members)})
                </option>
              ))}
            </select>
            <select className="input" data-testid="contacts-segment" aria-label="Filter by segment" value={query.segment} onChange={(e) => setQuery({ ...query, segment: e.target.value })}>
              <option value="">All segments</option>
              {(segments.data ?? []).map((s) => (
                <option key={s.name} value={s.name} title={s.description ?? undefined}>
                  {s.name}
                </option>
              ))}
            </select>
            {editedSegment ? (
              <button type="button" className="btn" data-testid="edit-segment" title={`Edit segment ${editedSegment.name}`} onClick={() => setPane({ kind: "segment", original: editedSegment.name, initial: editedSegment })}>
                Edit segment
              </button>
            ) : (
              <button type="button" className="btn" data-testid="new-segment" title="Save a filter over fields and groups as a segment" onClick={() => setPane({ kind: "segment", original: null, initial: { ...newSegment(), groups: query.group ? [query.group] : [] } })}>
                <Icon name="plus" /> Segment
              </button>
            )}
          </div>
          {groups.error && <p className="field-issue error">{groups.error}</p>}
          {segments.error && <p className="field-issue error">{segments.error}</p>}
          {editedSegment?.description && (
            <p className="muted small" data-testid="contacts-segment-description">
              {editedSegment.description}
            </p>
          )}
          <p className="muted small" data-testid="contacts-count" aria-live="polite">
            {searching ? "Searching…" : contacts ? (contacts.length >= SEARCH_LIMIT ? `Showing the first ${SEARCH_LIMIT} contacts; narrow the search to see others.` : `${contacts.length} contact${contacts.length === 1 ? "" : "s"}`) : ""}
          </p>
          <ListState loading={contacts === null && !results?.error} error={results?.error ?? null} empty={contacts?.length === 0} testId="contacts">
            {filtered ? (
              <>
                <p>
                  No contact matches{query.text.trim() && <> “{query.text.trim()}”</>}
                  {query.group && <> in group {query.group}</>}
                  {query.segment && <> in segment {query.segment}</>}.
                </p>
                <p className="small">Search looks in the email, first and last name and phone.</p>
              </>
            ) : (
              <>
                <p>No contacts yet.</p>
                <p className="small">Import a CSV or JSON file with Import contacts: columns email, phone, first_name, last_name, city, birthday and groups (separated by ;); any other column becomes a custom field.</p>
              </>
            )}
          </ListState>
          {contacts && contacts.length > 0 && (
            <table className="ws-table fixed" data-testid="contact-list">
              <colgroup>
                <col className="ws-w-27" />
                <col className="ws-w-37" />
                <col className="ws-w-20" />
                <col className="ws-w-16" />
              </colgroup>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Email</th>
                  <th>Phone</th>
                  <th>Groups</th>
                </tr>
              </thead>
              <tbody>
                {contacts.map((c) => {
                  const open = () => setSelected(c.id);
                  return (
                    <tr key={c.id} className={`ws-row${selected === c.id ? " selected" : ""}`} data-testid={`contact-${contactKey(c)}`} aria-selected={selected === c.id} onClick={open}>
                      <td title={contactName(c)}>
                        <button type="button" className="link ws-open" data-testid={`open-contact-${contactKey(c)}`}>
                          {contactName(c)}
                        </button>
                      </td>
                      <td className="mono" title={c.email ?? undefined}>
                        {c.email ?? <span className="muted">—</span>}
                      </td>
                      <td className="mono" title={c.phone ?? undefined}>
                        {c.phone ?? <span className="muted">—</span>}
                      </td>
                      <td className="muted" title={c.groups.join(", ")}>
                        {c.groups.join(", ")}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </div>
        <div className="ws-pane" aria-label="Contact card">
          {pane?.kind === "segment" ? (
            <SegmentForm
              key={pane.original ?? "new"}
              original={pane.original}
              initial={pane.initial}
              groups={groups.data ?? []}
              taken={(segments.data ?? []).map((s) => s.name).filter((n) => n !== pane.original)}
              onSaved={segmentSaved}
              onDeleted={segmentDeleted}
              onCancel={() => setPane(null)}
            />
          ) : selected ? (
            <CardPane id={selected} version={tick} onClose={() => setSelected(null)} />
          ) : (
            <div className="empty-state" data-testid="contact-placeholder">
              <p>Pick a contact to see its card:</p>
              <p className="small">fields, custom fields, groups and the runs that touched it.</p>
            </div>
          )}
        </div>
      </div>
    </section>
  );
}

/** The import's progress bar, then its report: counts, or every bad row. */
function ImportPanel({ state, onClose }: { state: ImportState; onClose: () => void }) {
  if (state.phase === "idle") return null;
  if (state.phase === "failed")
    return (
      <div className="ws-notice error ws-notice-row" role="alert" data-testid="contacts-import-error">
        <span>Could not import contacts: {state.message}</span>
        <button type="button" className="icon-btn" aria-label="Dismiss" data-testid="close-import-report" onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>
    );
  if (state.phase === "running") {
    const p = state.progress;
    return (
      <div className="ws-import" data-testid="contacts-import" aria-busy="true">
        <div className="ws-progress">
          {p ? <progress data-testid="import-progress" value={p.done} max={Math.max(p.total, 1)} /> : <progress data-testid="import-progress" />}
          <span className="muted" data-testid="import-progress-text">
            {p ? `${p.done} of ${p.total} rows written` : "Reading the file…"}
          </span>
        </div>
      </div>
    );
  }
  const { report } = state;
  const written = report.created + report.updated;
  return (
    <div className="ws-import" data-testid="contacts-import">
      <div className="panel-head">
        <h2 className="panel-title">
          Import of <span className="mono small">{report.file}</span>
        </h2>
        <button type="button" className="icon-btn" aria-label="Close the import report" data-testid="close-import-report" onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>
      {report.errors.length > 0 ? (
        <>
          <p className="ws-notice error" data-testid="import-result">
            Nothing was imported: {rowProblems(report.errors.length)}. Fix {report.errors.length === 1 ? "it" : "them"} and import the file again.
          </p>
          <div className="ws-import-errors">
            <table className="ws-table" data-testid="import-errors">
              <thead>
                <tr>
                  <th title="CSV: the line in the file (the header is line 1). JSON: the item's position in the array, from 0.">Line / item</th>
                  <th>Problem</th>
                </tr>
              </thead>
              <tbody>
                {report.errors.map((e, i) => (
                  <tr key={i} data-testid={`import-error-${i}`}>
                    <td className="mono">{e.line}</td>
                    <td className="wrap">{e.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="field-help">CSV: the line in the file (the header is line 1). JSON: the item's position in the array, counting from 0.</p>
        </>
      ) : (
        <>
          <div className="ws-progress">
            <progress data-testid="import-progress" value={written} max={Math.max(written, 1)} />
            <span className="muted">
              {written} of {written} rows written
            </span>
          </div>
          <p className="ws-notice success" data-testid="import-result">
            {report.created} created, {report.updated} updated{written === 0 ? ": the file has no contacts" : ""}.
          </p>
        </>
      )}
    </div>
  );
}

const STANDARD: { key: keyof Contact; label: string }[] = [
  { key: "email", label: "Email" },
  { key: "phone", label: "Phone" },
  { key: "first_name", label: "First name" },
  { key: "last_name", label: "Last name" },
  { key: "city", label: "City" },
  { key: "birthday", label: "Birthday" },
];

const RUN_TONE = { completed: "ok", failed: "error", waiting: "warning", aborted: "error" } as const;

function CardPane({ id, version, onClose }: { id: string; version: number; onClose: () => void }) {
  const [loaded, setLoaded] = useState<{ id: string; card: ContactCard | null; error: string | null } | null>(null);
  useEffect(() => {
    let live = true;
    api
      .contactCard(id)
      .then((card) => live && setLoaded({ id, card, error: null }))
      .catch((err) => live && setLoaded({ id, card: null, error: ApiError.from(err).message }));
    return () => {
      live = false;
    };
  }, [id, version]);

  if (!loaded || loaded.id !== id)
    return (
      <p className="empty-state" data-testid="contact-card-loading">
        Loading…
      </p>
    );
  if (!loaded.card) return <FieldError errors={{ "": `Could not open the contact: ${loaded.error}` }} field="" testId="contact-card-error" />;
  const { contact, runs } = loaded.card;
  const custom = Object.entries(contact.custom).sort(([a], [b]) => a.localeCompare(b));
  return (
    <article className="ws-form" data-testid="contact-card" aria-label={`Contact ${contactName(contact)}`}>
      <div className="ws-card-head">
        <h2 className="ws-card-name" data-testid="contact-card-name">
          {contactName(contact)}
        </h2>
        <button type="button" className="icon-btn" aria-label="Close the card" data-testid="close-contact-card" onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>
      <dl className="ws-kv">
        {STANDARD.map(({ key, label }) => (
          <div key={key} className="ws-kv-row">
            <dt>{label}</dt>
            <dd data-testid={`contact-field-${key}`} className={key === "email" || key === "phone" ? "mono" : undefined}>
              {(contact[key] as string | null) ?? <span className="muted">—</span>}
            </dd>
          </div>
        ))}
        <div className="ws-kv-row">
          <dt>ID</dt>
          <dd className="mono small muted">{contact.id}</dd>
        </div>
      </dl>

      <section aria-label="Groups">
        <h3 className="section-title">Groups</h3>
        {contact.groups.length > 0 ? (
          <div className="ws-badges" data-testid="contact-groups">
            {contact.groups.map((g) => (
              <span key={g} className="ws-badge accent" data-testid={`contact-group-${g}`}>
                {g}
              </span>
            ))}
          </div>
        ) : (
          <p className="muted small">In no group.</p>
        )}
      </section>

      <section aria-label="Custom fields">
        <h3 className="section-title">Custom fields</h3>
        {custom.length > 0 ? (
          <dl className="ws-kv" data-testid="contact-custom">
            {custom.map(([name, value]) => (
              <div key={name} className="ws-kv-row">
                <dt className="mono">{name}</dt>
                <dd className="mono" data-testid={`contact-custom-${name}`}>
                  {JSON.stringify(value)}
                </dd>
              </div>
            ))}
          </dl>
        ) : (
          <p className="muted small">No custom fields.</p>
        )}
      </section>

      <section aria-label="Runs">
        <h3 className="section-title">Runs that touched this contact</h3>
        {runs.length > 0 ? (
          <table className="ws-table" data-testid="contact-runs">
            <thead>
              <tr>
                <th>Workflow</th>
                <th>Status</th>
                <th>Started</th>
                <th>Steps</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} data-testid={`contact-run-${r.id}`}>
                  <td className="mono">{r.workflow}</td>
                  <td>
                    <span className={`ws-badge ${RUN_TONE[r.status]}`}>{r.status}</span>
                  </td>
                  <td>{formatTime(r.meta.started_at)}</td>
                  <td>{r.steps}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted small" data-testid="contact-runs-empty">
            No run has touched this contact yet. Test-run a workflow for it from the designer.
          </p>
        )}
      </section>
    </article>
  );
}
