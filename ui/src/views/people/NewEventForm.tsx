import { useState } from "react";
import { api, ApiError, type StoredEvent } from "../../api";
import type { EventDefinition } from "../../bindings/EventDefinition";
import type { FieldType } from "../../bindings/FieldType";
import { LazyCodeField as CodeField } from "../../components/form/LazyCodeField";
import type { Variable } from "../../expressions";
import { FieldError, type FieldErrors } from "./common";

const NO_VARIABLES: readonly Variable[] = [];

const SAMPLE: Record<FieldType, unknown> = {
  email: "ada.lovelace@example.com",
  text: "",
  number: 0,
  boolean: false,
  date: "2025-01-31",
  json: {},
};

/** The segments of an RFC 6901 JSON Pointer (`/a/b~1c` → `a`, `b/c`). */
export function pointerSegments(pointer: string): string[] {
  if (!pointer.startsWith("/")) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The value a JSON Pointer points at, or undefined. */
export function pointerGet(value: unknown, pointer: string): unknown {
  let at = value;
  for (const seg of pointerSegments(pointer)) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string, unknown>)[seg];
  }
  return at;
}

/** A payload with every field of the definition set to a sample value of its type, placed at its pointer. */
export function samplePayload(def: EventDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of def.fields) {
    const segs = def.context === "webhook" && f.pointer ? pointerSegments(f.pointer) : [f.name];
    if (segs.length === 0) continue;
    let at = out;
    for (const seg of segs.slice(0, -1)) {
      if (typeof at[seg] !== "object" || at[seg] === null) at[seg] = {};
      at = at[seg] as Record<string, unknown>;
    }
    const value = f.name === def.primary_key && f.type === "text" ? "order-1001" : SAMPLE[f.type];
    at[segs[segs.length - 1]] = structuredClone(value);
  }
  return out;
}

/** An event typed by hand: an alias (a definition's or any) and its JSON payload. */
export function NewEventForm({
  definitions,
  onCreated,
  onCancel,
}: {
  definitions: EventDefinition[];
  onCreated: (event: StoredEvent) => void;
  onCancel: () => void;
}) {
  const [alias, setAlias] = useState(definitions[0]?.alias ?? "");
  const [json, setJson] = useState(() => (definitions[0] ? JSON.stringify(samplePayload(definitions[0]), null, 2) : '{\n  "email": "ada.lovelace@example.com"\n}'));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const def = definitions.find((d) => d.alias === alias.trim());

  const create = async () => {
    if (!alias.trim()) return setErrors({ alias: "Give the event an alias: pick a definition's or type one." });
    setSaving(true);
    try {
      const event = await api.createManualEvent(alias.trim(), json);
      setErrors({});
      onCreated(event);
    } catch (err) {
      const e = ApiError.from(err);
      const field = e.path === "alias" ? "alias" : e.path === "event" || e.path?.startsWith("event") || e.path === "json" ? "event" : "";
      setErrors({ [field]: e.message });
    } finally {
      setSaving(false);
    }
  };

  return (
    <form
      className="ws-form"
      data-testid="new-event-form"
      aria-label="New event"
      onSubmit={(e) => {
        e.preventDefault();
        void create();
      }}
    >
      <div className="panel-head">
        <h2 className="panel-title">New event, typed by hand</h2>
      </div>
      <p className="muted small">Stored as a received event with source “manual”, so it can be picked for tests.</p>
      <FieldError errors={errors} field="" testId="new-event-error" />
      <div className="field">
        <label className="field-label" htmlFor="new-event-alias">
          Alias<span className="required">*</span>
        </label>
        <input id="new-event-alias" className={`input mono${errors.alias ? " invalid" : ""}`} list="new-event-aliases" data-testid="new-event-alias" value={alias} autoComplete="off" placeholder="order_placed" onChange={(e) => setAlias(e.target.value)} />
        <datalist id="new-event-aliases">
          {definitions.map((d) => (
            <option key={d.alias} value={d.alias} />
          ))}
        </datalist>
        <span className="field-help">{def ? `Definition ${def.alias}: ${def.fields.map((f) => f.name).join(", ")}` : "No definition has this alias; the payload is stored as typed."}</span>
        <FieldError errors={errors} field="alias" testId="new-event-alias-error" />
      </div>
      <div className="field">
        <div className="ws-card-head">
          <label className="field-label" htmlFor="new-event-json">
            Payload (JSON)<span className="required">*</span>
          </label>
          {def && (
            <button type="button" className="btn small" data-testid="new-event-template" onClick={() => setJson(JSON.stringify(samplePayload(def), null, 2))} title="Replace the payload with a sample of the definition's fields">
              Fill from definition
            </button>
          )}
        </div>
        <CodeField id="new-event-json" testId="new-event-json" label="Event payload (JSON)" value={json} onChange={setJson} language="json" variables={NO_VARIABLES} />
        <FieldError errors={errors} field="event" testId="new-event-json-error" />
      </div>
      <div className="ws-form-actions">
        <button type="submit" className="btn primary" data-testid="create-event" disabled={saving}>
          {saving ? "Storing…" : "Store event"}
        </button>
        <button type="button" className="btn" data-testid="cancel-new-event" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
