import { useState } from "react";
import { api, ApiError } from "../../api";
import type { EventContext } from "../../bindings/EventContext";
import type { EventDefinition } from "../../bindings/EventDefinition";
import type { EventField } from "../../bindings/EventField";
import type { FieldType } from "../../bindings/FieldType";
import { Icon } from "../../components/Icon";
import { FieldError, type FieldErrors } from "./common";

const FIELD_TYPES: FieldType[] = ["email", "text", "number", "boolean", "date", "json"];

export const CONTEXT_LABEL: Record<EventContext, string> = { public_api: "Public API", webhook: "Webhook" };

/** The definition the form starts a new one from. */
export const newDefinition = (): EventDefinition => ({
  alias: "",
  context: "public_api",
  fields: [
    { name: "email", type: "email", required: true },
    { name: "order_id", type: "text", required: true },
  ],
  email_field: "email",
  primary_key: "order_id",
});

/** Where a failed save's error belongs: a top-level field, `fields[3]`, or the form. */
function route(e: ApiError): string {
  const path = e.path ?? "";
  const m = /^fields\[(\d+)\]/.exec(path);
  if (m) return `fields[${m[1]}]`;
  if (["alias", "context", "email_field", "primary_key"].includes(path)) return path;
  return "";
}

/**
 * Creates or edits a reception event definition: alias, context, fields (name, type,
 * required, JSON Pointer in the webhook context), email field and primary key.
 */
export function EventDefinitionForm({
  original,
  initial,
  taken,
  onSaved,
  onDeleted,
  onCancel,
}: {
  /** The alias of the definition being edited; null for a new one. */
  original: string | null;
  initial: EventDefinition;
  /** Aliases of the other definitions. */
  taken: string[];
  onSaved: (def: EventDefinition) => void;
  onDeleted: (alias: string) => void;
  onCancel: () => void;
}) {
  const [def, setDef] = useState<EventDefinition>(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const names = def.fields.map((f) => f.name.trim()).filter(Boolean);
  const webhook = def.context === "webhook";

  const setField = (i: number, patch: Partial<EventField>) =>
    setDef((d) => {
      const before = d.fields[i].name;
      const fields = d.fields.map((f, j) => (j === i ? { ...f, ...patch } : f));
      // A renamed field stays the email field / primary key it was.
      const rename = (v: string) => (patch.name !== undefined && v === before && before !== "" ? patch.name : v);
      return { ...d, fields, email_field: rename(d.email_field), primary_key: rename(d.primary_key) };
    });

  const save = async () => {
    const alias = def.alias.trim();
    const problems: FieldErrors = {};
    if (!alias) problems.alias = "Give the definition an alias: inbound URLs and the “event received” trigger use it.";
    else if (taken.includes(alias)) problems.alias = `A definition with alias ${alias} already exists.`;
    def.fields.forEach((f, i) => {
      if (!f.name.trim()) problems[`fields[${i}]`] = "Name the field, or remove the row.";
      else if (names.filter((n) => n === f.name.trim()).length > 1) problems[`fields[${i}]`] = `Two fields are named ${f.name.trim()}.`;
    });
    if (!names.includes(def.email_field)) problems.email_field = "Pick the field that holds the contact's email.";
    if (!names.includes(def.primary_key)) problems.primary_key = "Pick the field that identifies the event (repeated keys are acknowledged once).";
    if (Object.keys(problems).length > 0) return setErrors(problems);

    const definition: EventDefinition = {
      ...def,
      alias,
      fields: def.fields.map(({ pointer, ...f }) => {
        const field: EventField = { ...f, name: f.name.trim() };
        if (webhook && pointer?.trim()) field.pointer = pointer.trim();
        return field;
      }),
    };
    setSaving(true);
    try {
      await api.saveEventDefinition(definition);
      if (original && original !== alias) await api.deleteEventDefinition(original);
    } catch (err) {
      const e = ApiError.from(err);
      setErrors({ [route(e)]: e.message });
      return;
    } finally {
      setSaving(false);
    }
    setErrors({});
    onSaved(definition);
  };

  const remove = async () => {
    if (!original) return;
    setConfirming(false);
    try {
      await api.deleteEventDefinition(original);
    } catch (err) {
      setErrors({ "": `Could not delete ${original}: ${ApiError.from(err).message}` });
      return;
    }
    onDeleted(original);
  };

  return (
    <form
      className="ws-form"
      data-testid="definition-form"
      aria-label={original ? `Event definition ${original}` : "New event definition"}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <div className="panel-head">
        <h2 className="panel-title">{original ? original : "New event definition"}</h2>
      </div>
      <FieldError errors={errors} field="" testId="definition-error" />
      <div className="field">
        <label className="field-label" htmlFor="def-alias">
          Alias<span className="required">*</span>
        </label>
        <input id="def-alias" className={`input mono${errors.alias ? " invalid" : ""}`} data-testid="def-alias" value={def.alias} placeholder="order_placed" autoComplete="off" onChange={(e) => setDef({ ...def, alias: e.target.value })} />
        <span className="field-help">Events arrive at /api/v1/custom-events/alias/ALIAS (public API) or /hooks/ALIAS (webhook).</span>
        <FieldError errors={errors} field="alias" testId="def-alias-error" />
      </div>
      <div className="field">
        <label className="field-label" htmlFor="def-context">
          Context
        </label>
        <select id="def-context" className="input" data-testid="def-context" value={def.context} onChange={(e) => setDef({ ...def, context: e.target.value as EventContext })}>
          <option value="public_api">Public API</option>
          <option value="webhook">Webhook</option>
        </select>
        <span className="field-help">
          {webhook ? "Lenient: each field is taken from the body by its JSON Pointer; unknown fields are ignored." : "Strict: unknown fields, missing required fields and wrong types are refused with 422."}
        </span>
        <FieldError errors={errors} field="context" testId="def-context-error" />
      </div>
      <div className="field">
        <span className="field-label">Fields</span>
        <table className="ws-table ws-fields-table" data-testid="def-fields">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Required</th>
              {webhook && <th>JSON Pointer</th>}
              <th aria-label="Remove" />
            </tr>
          </thead>
          <tbody>
            {def.fields.map((f, i) => (
              <FieldRow key={i} i={i} field={f} webhook={webhook} error={errors[`fields[${i}]`]} onChange={(p) => setField(i, p)} onRemove={() => setDef({ ...def, fields: def.fields.filter((_, j) => j !== i) })} />
            ))}
          </tbody>
        </table>
        <div>
          <button type="button" className="btn small" data-testid="def-add-field" onClick={() => setDef({ ...def, fields: [...def.fields, { name: "", type: "text", required: false }] })}>
            <Icon name="plus" /> Field
          </button>
        </div>
      </div>
      <div className="field">
        <label className="field-label" htmlFor="def-email-field">
          Email field<span className="required">*</span>
        </label>
        <select id="def-email-field" className={`input${errors.email_field ? " invalid" : ""}`} data-testid="def-email-field" value={names.includes(def.email_field) ? def.email_field : ""} onChange={(e) => setDef({ ...def, email_field: e.target.value })}>
          <option value="">— pick a field —</option>
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <FieldError errors={errors} field="email_field" testId="def-email-field-error" />
      </div>
      <div className="field">
        <label className="field-label" htmlFor="def-primary-key">
          Primary key<span className="required">*</span>
        </label>
        <select id="def-primary-key" className={`input${errors.primary_key ? " invalid" : ""}`} data-testid="def-primary-key" value={names.includes(def.primary_key) ? def.primary_key : ""} onChange={(e) => setDef({ ...def, primary_key: e.target.value })}>
          <option value="">— pick a field —</option>
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <span className="field-help">An event whose key was already accepted is acknowledged again, not run twice.</span>
        <FieldError errors={errors} field="primary_key" testId="def-primary-key-error" />
      </div>
      <div className="ws-form-actions">
        <button type="submit" className="btn primary" data-testid="save-definition" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        <button type="button" className="btn" data-testid="cancel-definition" onClick={onCancel}>
          Cancel
        </button>
        <span className="spacer" />
        {original &&
          (confirming ? (
            <span className="row-actions confirm">
              <span className="small">Delete {original}? Its received events stay.</span>
              <button type="button" className="btn small danger" data-testid="confirm-delete-definition" onClick={() => void remove()}>
                Delete
              </button>
              <button type="button" className="btn small" data-testid="cancel-delete-definition" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </span>
          ) : (
            <button type="button" className="btn" data-testid="delete-definition" onClick={() => setConfirming(true)}>
              <Icon name="trash" /> Delete
            </button>
          ))}
      </div>
    </form>
  );
}

function FieldRow({
  i,
  field,
  webhook,
  error,
  onChange,
  onRemove,
}: {
  i: number;
  field: EventField;
  webhook: boolean;
  error: string | undefined;
  onChange: (patch: Partial<EventField>) => void;
  onRemove: () => void;
}) {
  return (
    <>
      <tr data-testid={`def-field-${i}`}>
        <td>
          <input className={`input small mono fit${error ? " invalid" : ""}`} aria-label={`Field ${i + 1} name`} data-testid={`def-field-${i}-name`} value={field.name} placeholder="name" autoComplete="off" onChange={(e) => onChange({ name: e.target.value })} />
        </td>
        <td>
          <select className="input small fit" aria-label={`Field ${i + 1} type`} data-testid={`def-field-${i}-type`} value={field.type} onChange={(e) => onChange({ type: e.target.value as FieldType })}>
            {FIELD_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </td>
        <td className="center">
          <input type="checkbox" className="checkbox" aria-label={`Field ${i + 1} required`} data-testid={`def-field-${i}-required`} checked={field.required} onChange={(e) => onChange({ required: e.target.checked })} />
        </td>
        {webhook && (
          <td>
            <input className="input small mono fit" aria-label={`Field ${i + 1} JSON Pointer`} data-testid={`def-field-${i}-pointer`} value={field.pointer ?? ""} placeholder={`/${field.name || "name"}`} autoComplete="off" onChange={(e) => onChange({ pointer: e.target.value })} />
          </td>
        )}
        <td className="ws-actions">
          <button type="button" className="icon-btn" aria-label={`Remove field ${i + 1}`} data-testid={`def-field-${i}-remove`} onClick={onRemove}>
            <Icon name="close" />
          </button>
        </td>
      </tr>
      {error && (
        <tr>
          <td colSpan={webhook ? 5 : 4}>
            <p className="field-issue error" role="alert" data-testid={`def-field-${i}-error`}>
              {error}
            </p>
          </td>
        </tr>
      )}
    </>
  );
}
