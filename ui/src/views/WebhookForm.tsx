// The full webhook form of the Webhooks view: every setting of a saved outbound request.

import { useMemo } from "react";
import type { BodyKind } from "../bindings/BodyKind";
import type { HttpMethod } from "../bindings/HttpMethod";
import type { KeyValue } from "../bindings/KeyValue";
import type { ResponseParsing } from "../bindings/ResponseParsing";
import type { Webhook } from "../bindings/Webhook";
import { LazyCodeField as CodeField } from "../components/form/LazyCodeField";
import { ExpressionInput } from "../components/form/ExpressionInput";
import { Choice, type FieldOptions, type Row, RowList } from "../components/form/ParamForm";
import { variablesFor } from "../expressions";
import { useEditor } from "../store";

const METHODS: HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const BODY_KINDS: BodyKind[] = ["none", "json", "xml", "text", "form"];
const PARSING: ResponseParsing["mode"][] = ["json", "xml", "text", "custom"];

/** A new webhook with the engine's defaults. */
export function blankWebhook(): Webhook {
  return {
    name: "",
    description: "",
    method: "POST",
    url: "https://",
    query: [],
    headers: [],
    params_in_headers: false,
    body: { kind: "json", template: "{\n  \"email\": \"${contact.email}\"\n}", form: [] },
    response: { mode: "json" },
    timeout_ms: 30000 as unknown as bigint,
    retry: { max_attempts: 1, initial_backoff_ms: 500 as unknown as bigint, max_backoff_ms: 10000 as unknown as bigint, retry_non_idempotent: false },
  };
}

/** Errors by field path (`url`, `headers[0].value`), shown beside their field. */
export type FieldErrors = Record<string, string>;

function FieldError({ errors, field }: { errors: FieldErrors; field: string }) {
  const message = Object.entries(errors).find(([path]) => path === field || path.startsWith(`${field}[`) || path.startsWith(`${field}.`))?.[1];
  return message ? (
    <p className="field-issue error" data-testid={`wh-error-${field}`}>
      {message}
    </p>
  ) : null;
}

export function WebhookForm({ webhook, onChange, isNew, errors }: { webhook: Webhook; onChange: (w: Webhook) => void; isNew: boolean; errors: FieldErrors }) {
  const connectors = useEditor((s) => s.connectors);
  const webhooks = useEditor((s) => s.webhooks);
  const eventDefinitions = useEditor((s) => s.eventDefinitions);
  const environments = useEditor((s) => s.environments);
  const catalogue = useEditor((s) => s.catalogue);
  const variables = useMemo(() => {
    const base = variablesFor(null, { workflow: { name: "", description: "", nodes: [], edges: [] }, catalogue, eventDefinitions, environments });
    // A webhook may be sent from any workflow: offer every event definition's fields.
    const events = eventDefinitions.flatMap((d) => d.fields.map((f) => ({ name: `event.${f.name}`, detail: `${d.alias} · ${f.type}` })));
    return [...events, ...base];
  }, [catalogue, eventDefinitions, environments]);
  const options: FieldOptions = { eventDefinitions, webhooks, connectors, variables };
  const set = (patch: Partial<Webhook>) => onChange({ ...webhook, ...patch });

  return (
    <div className="webhook-form param-form" data-testid="webhook-form">
      <div className="field">
        <label className="field-label" htmlFor="wh-name">
          Name <span className="muted small">(later steps read its response as ${"{data.NAME}"})</span>
        </label>
        <input id="wh-name" data-testid="wh-name" className="input mono" value={webhook.name} disabled={!isNew} onChange={(e) => set({ name: e.target.value })} placeholder="create_contact" />
        <FieldError errors={errors} field="name" />
      </div>
      <div className="field">
        <label className="field-label" htmlFor="wh-description">
          Description
        </label>
        <input id="wh-description" data-testid="wh-description" className="input" value={webhook.description} onChange={(e) => set({ description: e.target.value })} />
      </div>
      <div className="field method-url">
        <label className="field-label" htmlFor="wh-url">
          Method and URL
        </label>
        <div className="method-url-row">
          <Choice id="wh-method" cls="input" value={webhook.method} onChange={(v) => set({ method: v as HttpMethod })} choices={METHODS.map((m) => [m, m])} />
          <ExpressionInput id="wh-url" testId="wh-url" value={webhook.url} onChange={(v) => set({ url: v })} variables={variables} placeholder="https://api.example.com/contacts" invalid={!!errors.url} />
        </div>
        <FieldError errors={errors} field="url" />
      </div>
      <div className="field">
        <span className="field-label">Query parameters</span>
        <RowList id="wh-query" rows={webhook.query as Row[]} onChange={(rows) => set({ query: rows as KeyValue[] })} columns={[{ key: "name", label: "Name", mono: true }, { key: "value", label: "Value", expression: true }]} empty={{ name: "", value: "" }} addLabel="Add parameter" options={options} />
        <label className="check-label small">
          <input type="checkbox" data-testid="wh-params-in-headers" checked={webhook.params_in_headers} onChange={(e) => set({ params_in_headers: e.target.checked })} /> Pass parameters in headers
        </label>
        <FieldError errors={errors} field="query" />
      </div>
      <div className="field">
        <span className="field-label">Headers</span>
        <RowList id="wh-headers" rows={webhook.headers as Row[]} onChange={(rows) => set({ headers: rows as KeyValue[] })} columns={[{ key: "name", label: "Header", mono: true, placeholder: "Accept" }, { key: "value", label: "Value", expression: true }]} empty={{ name: "", value: "" }} addLabel="Add header" options={options} />
        <FieldError errors={errors} field="headers" />
      </div>
      <div className="field">
        <label className="field-label" htmlFor="wh-connector">
          Authentication
        </label>
        <Choice
          id="wh-connector"
          cls="input"
          value={webhook.connector ?? ""}
          onChange={(v) => {
            const next = { ...webhook };
            if (v) next.connector = v;
            else delete next.connector;
            onChange(next);
          }}
          choices={connectors.map((c) => [c.name, `${c.name} (${c.auth.type})`])}
          blank
          blankLabel="No authentication"
        />
        <FieldError errors={errors} field="connector" />
      </div>
      <div className="field">
        <label className="field-label" htmlFor="wh-body-kind">
          Body
        </label>
        <div className="pair-row">
          <Choice id="wh-body-kind" cls="input" value={webhook.body.kind} onChange={(v) => set({ body: { ...webhook.body, kind: v as BodyKind } })} choices={BODY_KINDS.map((k) => [k, k])} />
          <input className="input mono" aria-label="Content type" data-testid="wh-content-type" placeholder="Content-Type (default by body)" value={webhook.content_type ?? ""} onChange={(e) => {
            const next = { ...webhook };
            if (e.target.value) next.content_type = e.target.value;
            else delete next.content_type;
            onChange(next);
          }} />
        </div>
        {(webhook.body.kind === "json" || webhook.body.kind === "xml" || webhook.body.kind === "text") && (
          <CodeField id="wh-body" value={webhook.body.template} onChange={(v) => set({ body: { ...webhook.body, template: v } })} language={webhook.body.kind} variables={variables} label="Body template" />
        )}
        {webhook.body.kind === "form" && (
          <RowList id="wh-form" rows={webhook.body.form as Row[]} onChange={(rows) => set({ body: { ...webhook.body, form: rows as KeyValue[] } })} columns={[{ key: "name", label: "Field", mono: true }, { key: "value", label: "Value", expression: true }]} empty={{ name: "", value: "" }} addLabel="Add form field" options={options} />
        )}
        <FieldError errors={errors} field="body" />
      </div>
      <div className="field">
        <label className="field-label" htmlFor="wh-parsing">
          Response parsing
        </label>
        <div className="pair-row">
          <Choice id="wh-parsing" cls="input" value={webhook.response.mode} onChange={(v) => set({ response: v === "custom" ? { mode: "custom", pattern: "(?P<value>.*)" } : ({ mode: v } as ResponseParsing) })} choices={PARSING.map((p) => [p, p === "custom" ? "custom (regex)" : p])} />
          {webhook.response.mode === "custom" && (
            <input className="input mono" aria-label="Regular expression" data-testid="wh-pattern" value={webhook.response.pattern} onChange={(e) => set({ response: { mode: "custom", pattern: e.target.value } })} />
          )}
        </div>
        <FieldError errors={errors} field="response" />
      </div>
      <div className="field">
        <span className="field-label">Timeout and retries</span>
        <div className="settings-grid">
          <label htmlFor="wh-timeout">Timeout (ms)</label>
          <input id="wh-timeout" data-testid="wh-timeout" className="input" type="number" min={1} value={Number(webhook.timeout_ms)} onChange={(e) => set({ timeout_ms: Number(e.target.value) as unknown as bigint })} />
          <label htmlFor="wh-attempts">Attempts</label>
          <input id="wh-attempts" className="input" type="number" min={1} max={10} value={webhook.retry.max_attempts} onChange={(e) => set({ retry: { ...webhook.retry, max_attempts: Number(e.target.value) } })} />
        </div>
        <label className="check-label small">
          <input type="checkbox" checked={webhook.retry.retry_non_idempotent} onChange={(e) => set({ retry: { ...webhook.retry, retry_non_idempotent: e.target.checked } })} /> Retry POST and PATCH too (the receiver de-duplicates by Idempotency-Key)
        </label>
        <FieldError errors={errors} field="timeout_ms" />
        <FieldError errors={errors} field="retry" />
      </div>
    </div>
  );
}
