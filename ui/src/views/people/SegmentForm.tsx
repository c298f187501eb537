// The segment editor: a name, an optional description, the groups a contact must be in (any
// of them) and the field conditions it must meet (all of them).

import { useState } from "react";
import { api, ApiError, type ConditionOp, type GroupInfo, type Segment, type SegmentCondition } from "../../api";
import { Icon } from "../../components/Icon";
import { FieldError, type FieldErrors } from "./common";

/** The standard contact fields a condition can test, with their labels. */
export const SEGMENT_FIELDS: { field: string; label: string }[] = [
  { field: "email", label: "Email" },
  { field: "phone", label: "Phone" },
  { field: "first_name", label: "First name" },
  { field: "last_name", label: "Last name" },
  { field: "city", label: "City" },
  { field: "birthday", label: "Birthday" },
];

/** The comparisons, with their labels. */
export const CONDITION_OPS: { op: ConditionOp; label: string }[] = [
  { op: "equals", label: "equals" },
  { op: "contains", label: "contains" },
  { op: "starts_with", label: "starts with" },
  { op: "is_set", label: "is set" },
  { op: "is_not_set", label: "is not set" },
];

const needsValue = (op: ConditionOp) => op === "equals" || op === "contains" || op === "starts_with";
const CUSTOM = "custom.";

/** A new, empty segment. */
export const newSegment = (): Segment => ({ name: "", description: null, groups: [], conditions: [] });

/** Where a store error belongs: `name`, `description`, `groups`, `conditions`, `conditions[i]`, or the form. */
function route(e: ApiError): string {
  const path = e.path ?? "";
  const row = /^conditions\[(\d+)\]/.exec(path);
  if (row) return `conditions[${row[1]}]`;
  if (path.startsWith("groups")) return "groups";
  if (["name", "description", "conditions"].includes(path)) return path;
  if (e.code === "already_exists") return "name";
  return "";
}

/** Edits segment `original` (a name), or a new one when `original` is null. */
export function SegmentForm({
  original,
  initial,
  groups,
  taken,
  onSaved,
  onDeleted,
  onCancel,
}: {
  original: string | null;
  initial: Segment;
  groups: GroupInfo[];
  /** The names of the other segments (a new segment may not reuse one). */
  taken: string[];
  onSaved: (segment: Segment) => void;
  onDeleted: (name: string) => void;
  onCancel: () => void;
}) {
  const [seg, setSeg] = useState<Segment>(() => structuredClone(initial));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const [confirming, setConfirming] = useState(false);
  // Groups the segment names that no contact is in any more stay listed, so they can be unticked.
  const groupNames = [...new Set([...groups.map((g) => g.name), ...seg.groups])].sort((a, b) => a.localeCompare(b));
  const members = new Map(groups.map((g) => [g.name, g.members]));

  const setCondition = (i: number, patch: Partial<SegmentCondition>) =>
    setSeg({ ...seg, conditions: seg.conditions.map((c, j) => (j === i ? { ...c, ...patch } : c)) });
  const toggleGroup = (name: string, on: boolean) =>
    setSeg({ ...seg, groups: on ? [...seg.groups, name] : seg.groups.filter((g) => g !== name) });

  const save = async () => {
    const name = seg.name.trim();
    if (!name) return setErrors({ name: "Give the segment a name." });
    if (name !== original && taken.includes(name)) return setErrors({ name: `A segment named ${name} already exists; pick another name.` });
    const emptyCustom = seg.conditions.findIndex((c) => c.field === CUSTOM);
    if (emptyCustom >= 0) return setErrors({ [`conditions[${emptyCustom}]`]: "Type the name of the custom field." });
    setSaving(true);
    let saved: Segment;
    try {
      saved = await api.saveSegment({ ...seg, conditions: seg.conditions.map((c) => ({ ...c, value: needsValue(c.op) ? c.value : null })) }, original);
    } catch (err) {
      const e = ApiError.from(err);
      // The error sits beside its field, so the store's "invalid conditions[0].value: " prefix goes.
      const message = e.path ? e.message.replace(`invalid ${e.path}: `, "") : e.message;
      setErrors({ [route(e)]: message.charAt(0).toUpperCase() + message.slice(1) });
      return;
    } finally {
      setSaving(false);
    }
    setErrors({});
    onSaved(saved);
  };

  const remove = async () => {
    if (!original) return;
    setConfirming(false);
    try {
      await api.deleteSegment(original);
    } catch (err) {
      setErrors({ "": `Could not delete ${original}: ${ApiError.from(err).message}` });
      return;
    }
    onDeleted(original);
  };

  return (
    <form
      className="ws-form"
      data-testid="segment-form"
      aria-label={original ? `Segment ${original}` : "New segment"}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <div className="panel-head">
        <h2 className="panel-title">{original ? `Segment ${original}` : "New segment"}</h2>
        <button type="button" className="icon-btn" aria-label="Close the segment editor" data-testid="close-segment-form" onClick={onCancel}>
          <Icon name="close" />
        </button>
      </div>
      <p className="muted small">A saved filter: contacts in any of the ticked groups that meet every condition. Text compares without regard to case.</p>
      <FieldError errors={errors} field="" testId="segment-error" />
      <div className="field">
        <label className="field-label" htmlFor="segment-name">
          Name<span className="required">*</span>
        </label>
        <input id="segment-name" className={`input${errors.name ? " invalid" : ""}`} data-testid="segment-name" value={seg.name} placeholder="London customers" autoComplete="off" onChange={(e) => setSeg({ ...seg, name: e.target.value })} />
        <FieldError errors={errors} field="name" testId="segment-name-error" />
      </div>
      <div className="field">
        <label className="field-label" htmlFor="segment-description">
          Description
        </label>
        <input id="segment-description" className={`input${errors.description ? " invalid" : ""}`} data-testid="segment-description" value={seg.description ?? ""} autoComplete="off" onChange={(e) => setSeg({ ...seg, description: e.target.value || null })} />
        <FieldError errors={errors} field="description" testId="segment-description-error" />
      </div>
      <div className="field" role="group" aria-labelledby="segment-groups-label" data-testid="segment-groups">
        <span className="field-label" id="segment-groups-label">
          In any of these groups
        </span>
        {groupNames.length === 0 ? (
          <p className="muted small">No groups yet: contacts join groups when they are imported or enter one.</p>
        ) : (
          <div className="ws-badges">
            {groupNames.map((g) => (
              <label key={g} className="ws-badge">
                <input type="checkbox" className="checkbox" data-testid={`segment-group-${g}`} checked={seg.groups.includes(g)} onChange={(e) => toggleGroup(g, e.target.checked)} /> {g}
                {members.has(g) ? <span className="muted">&nbsp;({String(members.get(g))})</span> : <span className="muted">&nbsp;(no contacts)</span>}
              </label>
            ))}
          </div>
        )}
        <span className="field-help">None ticked: contacts in any group or none.</span>
        <FieldError errors={errors} field="groups" testId="segment-groups-error" />
      </div>
      <div className="field">
        <span className="field-label">Meeting every condition</span>
        {seg.conditions.length > 0 && (
          <table className="ws-table ws-fields-table" data-testid="segment-conditions">
            <thead>
              <tr>
                <th>Field</th>
                <th>Comparison</th>
                <th>Value</th>
                <th aria-label="Remove" />
              </tr>
            </thead>
            <tbody>
              {seg.conditions.map((c, i) => (
                <ConditionRow
                  key={i}
                  i={i}
                  condition={c}
                  error={errors[`conditions[${i}]`]}
                  onChange={(p) => setCondition(i, p)}
                  onRemove={() => setSeg({ ...seg, conditions: seg.conditions.filter((_, j) => j !== i) })}
                />
              ))}
            </tbody>
          </table>
        )}
        <div>
          <button type="button" className="btn small" data-testid="segment-add-condition" onClick={() => setSeg({ ...seg, conditions: [...seg.conditions, { field: "email", op: "contains", value: "" }] })}>
            <Icon name="plus" /> Condition
          </button>
        </div>
        <FieldError errors={errors} field="conditions" testId="segment-conditions-error" />
      </div>
      <div className="ws-form-actions">
        <button type="submit" className="btn primary" data-testid="save-segment" disabled={saving}>
          {saving ? "Saving…" : "Save segment"}
        </button>
        <button type="button" className="btn" data-testid="cancel-segment" onClick={onCancel}>
          Cancel
        </button>
        <span className="spacer" />
        {original &&
          (confirming ? (
            <span className="row-actions confirm">
              <span className="small">Delete {original}? Its contacts stay.</span>
              <button type="button" className="btn small danger" data-testid="confirm-delete-segment" onClick={() => void remove()}>
                Delete
              </button>
              <button type="button" className="btn small" data-testid="cancel-delete-segment" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </span>
          ) : (
            <button type="button" className="btn" data-testid="delete-segment" onClick={() => setConfirming(true)}>
              <Icon name="trash" /> Delete
            </button>
          ))}
      </div>
    </form>
  );
}

function ConditionRow({
  i,
  condition,
  error,
  onChange,
  onRemove,
}: {
  i: number;
  condition: SegmentCondition;
  error: string | undefined;
  onChange: (patch: Partial<SegmentCondition>) => void;
  onRemove: () => void;
}) {
  const custom = condition.field.startsWith(CUSTOM);
  return (
    <>
      <tr data-testid={`segment-condition-${i}`}>
        <td>
          <select className={`input small fit${error ? " invalid" : ""}`} aria-label={`Condition ${i + 1} field`} data-testid={`segment-condition-${i}-field`} value={custom ? CUSTOM : condition.field} onChange={(e) => onChange({ field: e.target.value })}>
            {SEGMENT_FIELDS.map((f) => (
              <option key={f.field} value={f.field}>
                {f.label}
              </option>
            ))}
            <option value={CUSTOM}>Custom field…</option>
          </select>
          {custom && (
            <input
              className={`input small mono fit${error ? " invalid" : ""}`}
              aria-label={`Condition ${i + 1} custom field name`}
              data-testid={`segment-condition-${i}-custom`}
              value={condition.field.slice(CUSTOM.length)}
              placeholder="custom field name"
              autoComplete="off"
              onChange={(e) => onChange({ field: CUSTOM + e.target.value })}
            />
          )}
        </td>
        <td>
          <select className="input small fit" aria-label={`Condition ${i + 1} comparison`} data-testid={`segment-condition-${i}-op`} value={condition.op} onChange={(e) => onChange({ op: e.target.value as ConditionOp })}>
            {CONDITION_OPS.map((o) => (
              <option key={o.op} value={o.op}>
                {o.label}
              </option>
            ))}
          </select>
        </td>
        <td>
          {needsValue(condition.op) ? (
            <input className={`input small fit${error ? " invalid" : ""}`} aria-label={`Condition ${i + 1} value`} data-testid={`segment-condition-${i}-value`} value={condition.value ?? ""} autoComplete="off" onChange={(e) => onChange({ value: e.target.value })} />
          ) : (
            <span className="muted small">—</span>
          )}
        </td>
        <td className="ws-actions">
          <button type="button" className="icon-btn" aria-label={`Remove condition ${i + 1}`} data-testid={`segment-condition-${i}-remove`} onClick={onRemove}>
            <Icon name="close" />
          </button>
        </td>
      </tr>
      {error && (
        <tr>
          <td colSpan={4}>
            <p className="field-issue error" role="alert" data-testid={`segment-condition-${i}-error`}>
              {error}
            </p>
          </td>
        </tr>
      )}
    </>
  );
}
