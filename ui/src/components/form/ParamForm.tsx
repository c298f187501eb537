// The one inspector form: rendered from a node type's ParamSpec list, one widget per
// ParamKind. No form is written for a particular node type.

import type { ReactNode } from "react";
import type { Issue } from "../../api";
import type { BodyKind } from "../../bindings/BodyKind";
import type { Connector } from "../../bindings/Connector";
import type { EventDefinition } from "../../bindings/EventDefinition";
import type { HttpMethod } from "../../bindings/HttpMethod";
import type { KeyValue } from "../../bindings/KeyValue";
import type { ParamSpec } from "../../bindings/ParamSpec";
import type { Webhook } from "../../bindings/Webhook";
import { CONTACT_FIELDS, type Variable } from "../../expressions";
import { LazyCodeField as CodeField } from "./LazyCodeField";
import { ExpressionInput } from "./ExpressionInput";
import { Icon } from "../Icon";

/** What the widgets choose from: workspace lists and the completion variables. */
export type FieldOptions = {
  eventDefinitions: readonly EventDefinition[];
  webhooks: readonly Webhook[];
  connectors: readonly Connector[];
  variables: readonly Variable[];
};

type Props = {
  params: readonly ParamSpec[];
  values: Record<string, unknown>;
  onChange: (name: string, value: unknown) => void;
  /** Validation issues by parameter name. */
  issues?: Readonly<Record<string, Issue[]>>;
  options: FieldOptions;
};

export const fieldId = (name: string) => `param-${name}`;

export function ParamForm({ params, values, onChange, issues = {}, options }: Props) {
  if (params.length === 0) return <p className="muted">This node has no settings.</p>;
  return (
    <div className="param-form">
      {params.map((spec) => (
        <Field
          key={spec.name}
          spec={spec}
          value={values[spec.name]}
          issues={issues[spec.name] ?? []}
          onChange={(v) => onChange(spec.name, v)}
          options={options}
        />
      ))}
    </div>
  );
}

type FieldProps = {
  spec: ParamSpec;
  value: unknown;
  issues: Issue[];
  onChange: (value: unknown) => void;
  options: FieldOptions;
};

function Field({ spec, value, issues, onChange, options }: FieldProps) {
  const id = fieldId(spec.name);
  const errors = issues.filter((i) => i.severity === "error");
  return (
    <div className={`field${errors.length ? " has-error" : ""}`} data-kind={spec.kind.type}>
      <label className="field-label" htmlFor={id}>
        {spec.label}
        {spec.required && <span className="required" aria-label="required">*</span>}
      </label>
      <Widget spec={spec} id={id} value={value} onChange={onChange} options={options} invalid={errors.length > 0} />
      {spec.help && <p className="field-help">{spec.help}</p>}
      {issues.map((issue, i) => (
        <p key={i} className={`field-issue ${issue.severity}`} role={issue.severity === "error" ? "alert" : undefined}>
          {issue.message}
          {subPath(issue.path, spec.name) && <span className="mono muted"> ({subPath(issue.path, spec.name)})</span>}
        </p>
      ))}
    </div>
  );
}

/** The part of an issue path below the parameter (`url` of `nodes[1].params.inline.url`). */
function subPath(path: string, param: string): string {
  const marker = `params.${param}.`;
  const at = path.indexOf(marker);
  return at >= 0 ? path.slice(at + marker.length) : "";
}

const str = (v: unknown): string => (typeof v === "string" ? v : v === null || v === undefined ? "" : String(v));

type WidgetProps = {
  spec: ParamSpec;
  id: string;
  value: unknown;
  onChange: (value: unknown) => void;
  options: FieldOptions;
  invalid: boolean;
};

function Widget({ spec, id, value, onChange, options, invalid }: WidgetProps): ReactNode {
  const cls = `input${invalid ? " invalid" : ""}`;
  // Optional values that are emptied are removed rather than stored as "".
  const setText = (v: string) => onChange(v === "" && !spec.required ? undefined : v);
  // In a list of choices the blank entry means "none": the value is removed.
  const setChoice = (v: string) => onChange(v === "" ? undefined : v);
  const kind = spec.kind;
  switch (kind.type) {
    case "text":
      return <input id={id} data-testid={id} className={cls} value={str(value)} onChange={(e) => setText(e.target.value)} />;
    case "expression":
    case "condition":
      return (
        <ExpressionInput
          id={id}
          value={str(value)}
          onChange={setText}
          variables={options.variables}
          invalid={invalid}
          placeholder={kind.type === "condition" ? '${data.WH5.status} == "active"' : "${contact.email}"}
        />
      );
    case "number":
      return (
        <input
          id={id}
          data-testid={id}
          type="number"
          className={cls}
          value={typeof value === "number" ? value : ""}
          onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))}
        />
      );
    case "boolean":
      return (
        <input
          id={id}
          data-testid={id}
          type="checkbox"
          className="checkbox"
          checked={value === true}
          onChange={(e) => onChange(e.target.checked)}
        />
      );
    case "select":
      return (
        <Choice id={id} cls={cls} value={str(value)} onChange={setChoice} choices={kind.options.map((o) => [o, o])} blank={!spec.required || value == null} />
      );
    case "duration":
      return (
        <input
          id={id}
          data-testid={id}
          className={`${cls} mono`}
          value={str(value)}
          placeholder="30s, 5m, 2h, 1d"
          onChange={(e) => setText(e.target.value)}
        />
      );
    case "event_alias":
      return (
        <Choice
          id={id}
          cls={cls}
          value={str(value)}
          onChange={setChoice}
          choices={options.eventDefinitions.map((d) => [d.alias, `${d.alias} (${d.context === "webhook" ? "webhook" : "public API"})`])}
          blank
          blankLabel="Pick an event…"
        />
      );
    case "webhook_ref":
      return (
        <Choice
          id={id}
          cls={cls}
          value={str(value)}
          onChange={setChoice}
          choices={options.webhooks.map((w) => [w.name, `${w.name} · ${w.method}`])}
          blank
          blankLabel="None"
        />
      );
    case "inline_webhook":
      return <InlineWebhookField id={id} value={value} onChange={onChange} options={options} />;
    case "switch_paths":
      return (
        <RowList
          id={id}
          rows={rowsOf(value)}
          onChange={onChange}
          columns={[
            { key: "name", label: "Path", placeholder: "ok", mono: true },
            { key: "when", label: "When", placeholder: "200-299, 404 or a condition", expression: true },
          ]}
          empty={{ name: "", when: "" }}
          addLabel="Add path"
          ordered
          options={options}
        />
      );
    case "field_mappings":
      return (
        <RowList
          id={id}
          rows={rowsOf(value)}
          onChange={onChange}
          columns={[
            { key: "field", label: "Contact field", placeholder: "custom.NAME", mono: true, suggestions: CONTACT_FIELDS.filter((f) => f !== "id") },
            { key: "value", label: "Value", placeholder: "${event.plan}", expression: true },
          ]}
          empty={{ field: "", value: "" }}
          addLabel="Add field"
          options={options}
        />
      );
    case "code":
      return (
        <CodeField id={id} value={str(value)} onChange={setText} language={kind.language} variables={options.variables} label={spec.label} />
      );
    default: {
      const unknownKind: never = kind;
      return <p className="muted">Unsupported parameter kind {JSON.stringify(unknownKind)}</p>;
    }
  }
}

export function Choice({
  id,
  cls,
  value,
  onChange,
  choices,
  blank,
  blankLabel = "—",
  testId,
}: {
  id: string;
  cls: string;
  value: string;
  onChange: (v: string) => void;
  choices: [string, string][];
  blank?: boolean;
  blankLabel?: string;
  testId?: string;
}) {
  const known = choices.some(([v]) => v === value);
  return (
    <select id={id} data-testid={testId ?? id} className={cls} value={value} onChange={(e) => onChange(e.target.value)}>
      {blank && <option value="">{blankLabel}</option>}
      {!known && value !== "" && <option value={value}>{value} (unknown)</option>}
      {choices.map(([v, label]) => (
        <option key={v} value={v}>
          {label}
        </option>
      ))}
    </select>
  );
}

export type Row = Record<string, string>;

function rowsOf(value: unknown): Row[] {
  return Array.isArray(value) ? (value as Row[]) : [];
}

type Column = {
  key: string;
  label: string;
  placeholder?: string;
  mono?: boolean;
  expression?: boolean;
  suggestions?: string[];
};

/** An editable list of small records (switch paths, field mappings, headers). */
export function RowList({
  id,
  rows,
  onChange,
  columns,
  empty,
  addLabel,
  ordered,
  options,
}: {
  id: string;
  rows: Row[];
  onChange: (rows: Row[]) => void;
  columns: Column[];
  empty: Row;
  addLabel: string;
  ordered?: boolean;
  options: FieldOptions;
}) {
  const update = (i: number, key: string, v: string) => onChange(rows.map((r, j) => (j === i ? { ...r, [key]: v } : r)));
  const move = (i: number, by: number) => {
    const next = rows.slice();
    const [row] = next.splice(i, 1);
    next.splice(i + by, 0, row);
    onChange(next);
  };
  return (
    <div id={id} data-testid={id} className="row-list" tabIndex={-1}>
      {rows.length > 0 && (
        <div className="row-list-head" aria-hidden>
          {columns.map((c) => (
            <span key={c.key}>{c.label}</span>
          ))}
        </div>
      )}
      {rows.map((row, i) => (
        <div key={i} className="row-list-row">
          {columns.map((c) => {
            const cellId = `${id}-${i}-${c.key}`;
            const label = `${c.label} ${i + 1}`;
            return c.expression ? (
              <ExpressionInput
                key={c.key}
                id={cellId}
                label={label}
                value={row[c.key] ?? ""}
                onChange={(v) => update(i, c.key, v)}
                variables={options.variables}
                placeholder={c.placeholder}
              />
            ) : (
              <input
                key={c.key}
                id={cellId}
                data-testid={cellId}
                aria-label={label}
                className={`input${c.mono ? " mono" : ""}`}
                value={row[c.key] ?? ""}
                placeholder={c.placeholder}
                list={c.suggestions ? `${id}-suggest` : undefined}
                onChange={(e) => update(i, c.key, e.target.value)}
              />
            );
          })}
          <span className="row-actions">
            {ordered && (
              <>
                <button type="button" className="icon-btn" aria-label={`Move row ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                  <Icon name="up" />
                </button>
                <button type="button" className="icon-btn" aria-label={`Move row ${i + 1} down`} disabled={i === rows.length - 1} onClick={() => move(i, 1)}>
                  <Icon name="down" />
                </button>
              </>
            )}
            <button
              type="button"
              className="icon-btn"
              aria-label={`Remove row ${i + 1}`}
              data-testid={`${id}-${i}-remove`}
              onClick={() => onChange(rows.filter((_, j) => j !== i))}
            >
              <Icon name="close" />
            </button>
          </span>
        </div>
      ))}
      {columns.some((c) => c.suggestions) && (
        <datalist id={`${id}-suggest`}>
          {columns.flatMap((c) => c.suggestions ?? []).map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      )}
      <button type="button" className="btn small" data-testid={`${id}-add`} onClick={() => onChange([...rows, { ...empty }])}>
        + {addLabel}
      </button>
    </div>
  );
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const satisfies readonly HttpMethod[];
const BODY_KINDS = ["none", "json", "xml", "text", "form"] as const satisfies readonly BodyKind[];

type InlineValue = Partial<Omit<Webhook, "body">> & { body?: Partial<Webhook["body"]> };

/** A compact webhook sub-form: name, method, URL, connector, headers and body. */
function InlineWebhookField({
  id,
  value,
  onChange,
  options,
}: {
  id: string;
  value: unknown;
  onChange: (value: unknown) => void;
  options: FieldOptions;
}) {
  if (value === null || value === undefined || typeof value !== "object") {
    return (
      <div id={id} data-testid={id} className="inline-webhook empty" tabIndex={-1}>
        <button
          type="button"
          className="btn small"
          data-testid={`${id}-define`}
          onClick={() =>
            onChange({ name: "inline", method: "POST", url: "", headers: [], body: { kind: "json", template: "{}", form: [] } })
          }
        >
          Define the request inline
        </button>
      </div>
    );
  }
  const wh = value as InlineValue;
  const body = { kind: "none" as BodyKind, template: "", form: [] as KeyValue[], ...wh.body };
  const set = (patch: InlineValue) => onChange({ ...wh, ...patch });
  const sub = (name: string) => `${id}-${name}`;
  return (
    <div id={id} data-testid={id} className="inline-webhook" tabIndex={-1}>
      <div className="inline-grid">
        <label htmlFor={sub("name")}>Name</label>
        <input
          id={sub("name")}
          data-testid={sub("name")}
          className="input mono"
          value={wh.name ?? ""}
          onChange={(e) => set({ name: e.target.value })}
          title="Later steps read the response as ${data.NAME}"
        />
        <label htmlFor={sub("method")}>Method</label>
        <Choice id={sub("method")} cls="input" value={wh.method ?? "GET"} onChange={(v) => set({ method: v as HttpMethod })} choices={METHODS.map((m) => [m, m])} />
        <label htmlFor={sub("url")}>URL</label>
        <ExpressionInput id={sub("url")} value={wh.url ?? ""} onChange={(v) => set({ url: v })} variables={options.variables} placeholder="${env.base_url}/contacts" />
        <label htmlFor={sub("connector")}>Auth</label>
        <Choice
          id={sub("connector")}
          cls="input"
          value={wh.connector ?? ""}
          onChange={(v) => {
            const next = { ...wh };
            if (v) next.connector = v;
            else delete next.connector;
            onChange(next);
          }}
          choices={options.connectors.map((c) => [c.name, `${c.name} (${c.auth.type})`])}
          blank
          blankLabel="No authentication"
        />
      </div>
      <span className="sub-label">Headers</span>
      <RowList
        id={sub("headers")}
        rows={(wh.headers ?? []) as Row[]}
        onChange={(rows) => set({ headers: rows as KeyValue[] })}
        columns={[
          { key: "name", label: "Header", placeholder: "Accept", mono: true },
          { key: "value", label: "Value", placeholder: "application/json", expression: true },
        ]}
        empty={{ name: "", value: "" }}
        addLabel="Add header"
        options={options}
      />
      <div className="inline-grid">
        <label htmlFor={sub("body-kind")}>Body</label>
        <Choice id={sub("body-kind")} cls="input" value={body.kind} onChange={(v) => set({ body: { ...body, kind: v as BodyKind } })} choices={BODY_KINDS.map((k) => [k, k])} />
      </div>
      {(body.kind === "json" || body.kind === "xml" || body.kind === "text") && (
        <CodeField
          id={sub("body")}
          value={body.template}
          onChange={(v) => set({ body: { ...body, template: v } })}
          language={body.kind}
          variables={options.variables}
          label="Body template"
        />
      )}
      {body.kind === "form" && (
        <RowList
          id={sub("form")}
          rows={body.form as Row[]}
          onChange={(rows) => set({ body: { ...body, form: rows as KeyValue[] } })}
          columns={[
            { key: "name", label: "Field", mono: true },
            { key: "value", label: "Value", expression: true },
          ]}
          empty={{ name: "", value: "" }}
          addLabel="Add form field"
          options={options}
        />
      )}
      <button type="button" className="btn small ghost" data-testid={`${id}-remove`} onClick={() => onChange(undefined)}>
        Remove inline request
      </button>
    </div>
  );
}
