//! The runner: executes a workflow for one contact and one event and records every step.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use hookboard_secrets::{ExposeSecret, SecretStore};
use serde_json::{Value, json};

use crate::auth::{apply_auth, mask};
use crate::catalogue::{kinds, parse_duration_ms};
use crate::expr::{ContextCache, Escape, ExprError, Expressions, Part, Scope};
use crate::http::{HttpClient, HttpError, HttpPolicy, OutboundRequest};
use crate::model::{BodyKind, Bundle, Contact, Event, Node, Webhook, Workflow};
use crate::parse::parse_response;
use crate::trace::{
    RunStatus, RunTrace, Step, StepError, StepStatus, Suspension, TracedRequest, TracedResponse,
    body_text,
};
use crate::validate::status_matcher;

/// Bodies longer than this are cut in traces (the parsed values are kept whole).
pub const DEFAULT_TRACE_BODY_LIMIT: usize = 64 * 1024;

/// What a run does when it reaches a Wait node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitMode {
    /// Sleep for the duration, then go on (one-shot CLI runs).
    Sleep,
    /// Stop with status `waiting`; the caller persists the run and resumes it later.
    Suspend,
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Variables of the active environment (`${env.NAME}`).
    pub env: BTreeMap<String, String>,
    /// Longest response body kept in the trace.
    pub trace_body_limit: usize,
    /// Most steps one run may take (guards loops through Wait nodes).
    pub max_steps: usize,
    /// What Wait nodes do.
    pub wait_mode: WaitMode,
    /// Run identifier; a new one is made when `None`.
    pub run_id: Option<String>,
    /// More variables of `${run}` besides `id` and `workflow` (a subscription's `journey` and
    /// start `params`).
    pub run_vars: serde_json::Map<String, Value>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            env: BTreeMap::new(),
            trace_body_limit: DEFAULT_TRACE_BODY_LIMIT,
            max_steps: 1_000,
            wait_mode: WaitMode::Suspend,
            run_id: None,
            run_vars: serde_json::Map::new(),
        }
    }
}

/// Why the engine could not be created.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the HTTP client: {0}")]
pub struct EngineError(pub String);

/// The result of sending one webhook: the step as traced and what later steps can read.
#[derive(Debug, Clone)]
pub struct HttpOutcome {
    /// The traced step (request, response, parsed values, error).
    pub step: Step,
    /// Parsed response values, stored as `data.<webhook name>` when the step succeeded.
    pub parsed: Option<Value>,
    /// `response` for later expressions (`status`, `headers`, `body`, `time_ms`).
    pub response: Option<Value>,
    /// Whether the failure is one the `error` port handles (network, timeout, TLS, parse).
    pub routable_error: bool,
}

/// What expressions read during a run, and its template context kept between steps.
struct Vars {
    scope: Scope,
    cache: ContextCache,
}

/// The engine: one HTTP client and one template environment, shared by every run.
pub struct Engine {
    expressions: Expressions,
    http: HttpClient,
}

fn step(node: &Node) -> Step {
    Step {
        node: node.id.clone(),
        kind: node.kind.clone(),
        status: StepStatus::Ok,
        branch: None,
        request: None,
        response: None,
        changes: None,
        duration_ms: 0,
        error: None,
    }
}

/// A failed step of no node type: the run could not go on (`config` error).
fn config_failure(node: &str, message: String) -> Step {
    Step::stopped(node, "", StepStatus::Error, step_error("config", message))
}

fn step_error(kind: &str, message: impl Into<String>) -> StepError {
    StepError {
        kind: kind.to_string(),
        message: message.into(),
    }
}

fn template_error(node: &Node, param: &str, err: ExprError) -> StepError {
    step_error(
        "template",
        format!("node `{}`, {param}: {}", node.id, err.message),
    )
}

/// Cuts `text` to at most `limit` bytes on a character boundary.
fn truncate(text: &str, limit: usize) -> (String, bool) {
    if text.len() <= limit {
        return (text.to_string(), false);
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (text[..end].to_string(), true)
}

impl Engine {
    /// An engine whose requests follow `policy` (redirects, size limit, insecure URLs).
    pub fn new(policy: HttpPolicy) -> Result<Self, EngineError> {
        Ok(Engine {
            expressions: Expressions::new(),
            http: HttpClient::new(policy).map_err(|e| EngineError(e.message))?,
        })
    }

    /// The template engine, for previews and validation.
    pub fn expressions(&self) -> &Expressions {
        &self.expressions
    }

    /// Runs `workflow` for a contact and an event, from its trigger, and returns the trace.
    pub async fn run(
        &self,
        bundle: &Bundle,
        workflow: &Workflow,
        secrets: &dyn SecretStore,
        contact: Contact,
        event: Event,
        options: &RunOptions,
    ) -> RunTrace {
        let run_id = options
            .run_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let start = pick_trigger(workflow, &event);
        let mut run = serde_json::Map::new();
        run.insert("id".into(), json!(run_id));
        run.insert("workflow".into(), json!(workflow.name));
        run.extend(options.run_vars.clone());
        let scope = Scope {
            event: event.payload,
            contact,
            run: Value::Object(run),
            env: options.env.clone(),
            error: json!({}),
            ..Scope::default()
        };
        let mut trace = new_trace(run_id, workflow);
        let Some(start) = start else {
            trace.status = RunStatus::Failed;
            trace.steps.push(config_failure(
                "",
                format!("workflow `{}` has no trigger", workflow.name),
            ));
            trace.contact = scope.contact;
            return trace;
        };
        let queue = VecDeque::from([start]);
        self.drive(bundle, workflow, secrets, scope, queue, trace, options)
            .await
    }

    /// Goes on with a run that stopped at a Wait or Wait-for-event ([`RunTrace::suspension`]),
    /// leaving the node by `port` (`next` after a Wait; `event` or `timeout` after a Wait for
    /// event). A delivered `event` replaces what `${event}` reads. The trace holds the steps
    /// made from here on, starting with the waiting node's own completion.
    #[allow(clippy::too_many_arguments)]
    pub async fn resume(
        &self,
        bundle: &Bundle,
        workflow: &Workflow,
        secrets: &dyn SecretStore,
        contact: Contact,
        run_id: &str,
        suspension: &Suspension,
        port: &str,
        event: Option<Event>,
        options: &RunOptions,
    ) -> RunTrace {
        let state = &suspension.state;
        let part = |name: &str| state.get(name).cloned().unwrap_or_else(|| json!({}));
        let data = match state.get("data") {
            Some(Value::Object(map)) => map.clone().into_iter().collect(),
            _ => BTreeMap::new(),
        };
        let scope = Scope {
            event: event.map_or_else(|| part("event"), |e| e.payload),
            contact,
            data,
            response: part("response"),
            run: part("run"),
            error: part("error"),
            env: options.env.clone(),
        };
        let mut trace = new_trace(run_id.to_string(), workflow);
        let Some(node) = workflow.node(&suspension.node) else {
            trace.status = RunStatus::Failed;
            trace.steps.push(config_failure(
                &suspension.node,
                format!(
                    "the run waited at node `{}`, which workflow `{}` no longer has",
                    suspension.node, workflow.name
                ),
            ));
            trace.contact = scope.contact;
            return trace;
        };
        let mut woke = step(node);
        woke.branch = Some(port.to_string());
        trace.steps.push(woke);
        let queue = next_nodes(workflow, &node.id, port).into();
        self.drive(bundle, workflow, secrets, scope, queue, trace, options)
            .await
    }

    /// Executes nodes from `queue` on until every path ends, a step fails or one waits.
    #[allow(clippy::too_many_arguments)]
    async fn drive(
        &self,
        bundle: &Bundle,
        workflow: &Workflow,
        secrets: &dyn SecretStore,
        scope: Scope,
        mut queue: VecDeque<&Node>,
        mut trace: RunTrace,
        options: &RunOptions,
    ) -> RunTrace {
        let mut vars = Vars {
            scope,
            cache: ContextCache::default(),
        };
        let budget = trace.steps.len() + options.max_steps;
        while let Some(node) = queue.pop_front() {
            if trace.steps.len() >= budget {
                trace.status = RunStatus::Failed;
                let mut s = step(node);
                s.status = StepStatus::Error;
                s.error = Some(step_error(
                    "config",
                    format!(
                        "the run took more than {} steps and was stopped",
                        options.max_steps
                    ),
                ));
                trace.steps.push(s);
                break;
            }
            let started = Instant::now();
            let mut s = self
                .execute(bundle, workflow, node, &mut vars, secrets, options)
                .await;
            s.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let status = s.status;
            let branch = s.branch.clone();
            trace.steps.push(s);
            match status {
                StepStatus::Error => {
                    trace.status = RunStatus::Failed;
                    break;
                }
                StepStatus::Waiting => {
                    trace.status = RunStatus::Waiting;
                    trace.resume_at = Some(node.id.clone());
                    trace.suspension = Some(suspension_at(node, &vars.scope));
                    break;
                }
                StepStatus::Ok | StepStatus::Skipped => {}
            }
            if let Some(port) = branch {
                queue.extend(next_nodes(workflow, &node.id, &port));
            }
        }
        trace.contact = vars.scope.contact;
        trace
    }

    async fn execute(
        &self,
        bundle: &Bundle,
        workflow: &Workflow,
        node: &Node,
        vars: &mut Vars,
        secrets: &dyn SecretStore,
        options: &RunOptions,
    ) -> Step {
        let Vars { scope, cache } = vars;
        let with_defaults;
        let node = match crate::catalogue::node_type(&node.kind) {
            Some(spec) if spec.lacks_defaults(&node.params) => {
                with_defaults = Node {
                    params: spec.params_with_defaults(&node.params),
                    ..node.clone()
                };
                &with_defaults
            }
            _ => node,
        };
        let mut s = step(node);
        let str_param = |name: &str| node.params.get(name).and_then(Value::as_str).unwrap_or("");
        match node.kind.as_str() {
            kinds::TRIGGER_EVENT
            | kinds::TRIGGER_GROUP
            | kinds::TRIGGER_SUBSCRIPTION
            | kinds::TRIGGER_MANUAL => s.branch = Some("next".into()),
            kinds::HTTP_REQUEST => {
                let webhook = match webhook_of(bundle, node) {
                    Ok(w) => w,
                    Err(e) => {
                        s.status = StepStatus::Error;
                        s.error = Some(e);
                        return s;
                    }
                };
                let ctx = cache.context(scope);
                if let Some(identifier) = node.params.get("identifier").and_then(Value::as_str)
                    && let Err(e) = self.expressions.render(identifier, &ctx, Escape::Plain)
                {
                    s.status = StepStatus::Error;
                    s.error = Some(template_error(node, "identifier", e));
                    return s;
                }
                let outcome = self
                    .send_webhook(bundle, &webhook, &ctx, secrets, options.trace_body_limit)
                    .await;
                let error_wired = workflow
                    .edges
                    .iter()
                    .any(|e| e.from == node.id && e.port == "error");
                let mut traced = outcome.step;
                traced.node = node.id.clone();
                traced.kind = node.kind.clone();
                // A design mistake names the node as well as the webhook it was found in.
                if let Some(error) = traced.error.as_mut().filter(|e| e.kind == "template") {
                    error.message = format!("node `{}`, {}", node.id, error.message);
                }
                if let Some(response) = outcome.response {
                    scope.response = response;
                    cache.invalidate(Part::Response);
                }
                match (&traced.error, outcome.routable_error) {
                    (None, _) => {
                        if !scope.error.as_object().is_some_and(|e| e.is_empty()) {
                            scope.error = json!({});
                            cache.invalidate(Part::Error);
                        }
                        if let Some(parsed) = outcome.parsed {
                            scope.data.insert(webhook.name.clone(), parsed);
                            cache.invalidate(Part::Data);
                        }
                        traced.branch = Some("response".into());
                    }
                    (Some(err), true) if error_wired => {
                        scope.error = json!({"kind": err.kind, "message": err.message});
                        cache.invalidate(Part::Error);
                        traced.status = StepStatus::Ok;
                        traced.branch = Some("error".into());
                    }
                    (Some(_), _) => traced.status = StepStatus::Error,
                }
                return traced;
            }
            kinds::RESPONSE_SWITCH => {
                let status = scope
                    .response
                    .get("status")
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok());
                // Built only if a path has a condition: status ranges need no template context.
                let mut ctx = None;
                let paths = node
                    .params
                    .get("paths")
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice);
                let mut chosen = None;
                for path in paths {
                    let name = path.get("name").and_then(Value::as_str).unwrap_or("");
                    let when = path.get("when").and_then(Value::as_str).unwrap_or("");
                    let matched = match status_matcher(when) {
                        Some(Err(message)) => {
                            s.status = StepStatus::Error;
                            s.error = Some(step_error(
                                "config",
                                format!("node `{}`, path `{name}`: {message}", node.id),
                            ));
                            return s;
                        }
                        Some(Ok((low, high))) => match status {
                            Some(code) => code >= low && code <= high,
                            None => {
                                s.status = StepStatus::Error;
                                s.error = Some(step_error(
                                    "config",
                                    format!(
                                        "node `{}`: there is no response to route on; put an HTTP request before the switch",
                                        node.id
                                    ),
                                ));
                                return s;
                            }
                        },
                        None => match self
                            .expressions
                            .eval_condition(when, ctx.get_or_insert_with(|| cache.context(scope)))
                        {
                            Ok(b) => b,
                            Err(e) => {
                                s.status = StepStatus::Error;
                                s.error = Some(template_error(node, &format!("path `{name}`"), e));
                                return s;
                            }
                        },
                    };
                    if matched {
                        chosen = Some(name.to_string());
                        break;
                    }
                }
                s.branch = Some(chosen.unwrap_or_else(|| "fallback".into()));
            }
            kinds::CONDITION => {
                let ctx = cache.context(scope);
                match self
                    .expressions
                    .eval_condition(str_param("expression"), &ctx)
                {
                    Ok(b) => s.branch = Some(if b { "true" } else { "false" }.into()),
                    Err(e) => {
                        s.status = StepStatus::Error;
                        s.error = Some(template_error(node, "condition", e));
                    }
                }
            }
            kinds::SET_FIELD => {
                let ctx = cache.context(scope);
                let mut changes = BTreeMap::new();
                let mappings = node
                    .params
                    .get("mappings")
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice);
                for mapping in mappings {
                    let field = mapping.get("field").and_then(Value::as_str).unwrap_or("");
                    let template = mapping.get("value").and_then(Value::as_str).unwrap_or("");
                    let value = match self.expressions.eval_value(template, &ctx) {
                        Ok(v) => v,
                        Err(e) => {
                            s.status = StepStatus::Error;
                            s.error = Some(template_error(node, &format!("field `{field}`"), e));
                            return s;
                        }
                    };
                    cache.invalidate(Part::Contact);
                    if let Err(message) = scope.contact.set_field(field, value.clone()) {
                        s.status = StepStatus::Error;
                        s.error = Some(step_error(
                            "config",
                            format!("node `{}`: {message}", node.id),
                        ));
                        return s;
                    }
                    changes.insert(field.to_string(), value);
                }
                s.changes = Some(changes);
                s.branch = Some("next".into());
            }
            kinds::WAIT => match parse_duration_ms(str_param("duration")) {
                Ok(ms) if options.wait_mode == WaitMode::Sleep => {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    s.branch = Some("next".into());
                }
                Ok(_) => s.status = StepStatus::Waiting,
                Err(message) => {
                    s.status = StepStatus::Error;
                    s.error = Some(step_error(
                        "config",
                        format!("node `{}`: {message}", node.id),
                    ));
                }
            },
            kinds::WAIT_FOR_EVENT => s.status = StepStatus::Waiting,
            kinds::END => {}
            other => {
                s.status = StepStatus::Error;
                s.error = Some(step_error("config", format!("unknown node type `{other}`")));
            }
        }
        s
    }

    /// Renders and sends one webhook with a template context ([`Scope::to_context`], built once
    /// per step), parses the response and returns the traced step. This is what an HTTP request
    /// node and "Send test" both do.
    pub async fn send_webhook(
        &self,
        bundle: &Bundle,
        webhook: &Webhook,
        ctx: &minijinja::Value,
        secrets: &dyn SecretStore,
        trace_body_limit: usize,
    ) -> HttpOutcome {
        let mut outcome = HttpOutcome {
            step: Step {
                node: String::new(),
                kind: kinds::HTTP_REQUEST.into(),
                status: StepStatus::Ok,
                branch: None,
                request: None,
                response: None,
                changes: None,
                duration_ms: 0,
                error: None,
            },
            parsed: None,
            response: None,
            routable_error: false,
        };
        let fail = |mut outcome: HttpOutcome, error: StepError, routable: bool| {
            outcome.step.status = StepStatus::Error;
            outcome.step.error = Some(error);
            outcome.routable_error = routable;
            outcome
        };
        let mut request = match self.render_request(webhook, ctx) {
            Ok(r) => r,
            Err(e) => return fail(outcome, e, false),
        };
        let mut masks = Vec::new();
        if let Some(name) = &webhook.connector {
            let Some(connector) = bundle.connector(name) else {
                return fail(
                    outcome,
                    step_error(
                        "config",
                        format!(
                            "webhook `{}` uses connector `{name}`, which is not in the bundle",
                            webhook.name
                        ),
                    ),
                    false,
                );
            };
            let secret = match secrets.get(name) {
                Ok(Some(secret)) => secret,
                Ok(None) => {
                    return fail(
                        outcome,
                        step_error(
                            "secret",
                            format!(
                                "no secret is stored for connector `{name}`: set it in the app, or on the server with {} or --secrets-file",
                                hookboard_secrets::env_var_name(name)
                            ),
                        ),
                        false,
                    );
                }
                Err(e) => return fail(outcome, step_error("secret", e.to_string()), false),
            };
            masks = apply_auth(&mut request, connector, secret.expose_secret());
        }
        crate::http::ensure_idempotency_key(&mut request);
        let body = request.body.take().map(bytes::Bytes::from);
        let timeout = Duration::from_millis(webhook.timeout_ms);
        let mut send =
            std::pin::pin!(
                self.http
                    .send_body(&request, body.clone(), timeout, &webhook.retry)
            );
        // The first poll sends the request; its trace is written while the answer is awaited.
        let first = futures_util::poll!(send.as_mut());
        outcome.step.request = Some(TracedRequest::masked_with_body(
            &request,
            body.as_deref(),
            &masks,
        ));
        let sent = match first {
            std::task::Poll::Ready(sent) => sent,
            std::task::Poll::Pending => send.await,
        };
        let response = match sent {
            Ok(r) => r,
            Err(HttpError { kind, message, .. }) => {
                return fail(
                    outcome,
                    step_error(kind.as_str(), mask(&message, &masks)),
                    true,
                );
            }
        };
        // A receiver that echoes the credentials must not bring the secret back into the run:
        // the body, headers and parsed values later steps read are masked as the trace is.
        let response_text = mask(&body_text(&response.body), &masks);
        let (body, body_truncated) = truncate(&response_text, trace_body_limit);
        let headers: Vec<(String, String)> = response
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), mask(v, &masks)))
            .collect();
        let header_map: BTreeMap<String, String> = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        outcome.response = Some(json!({
            "status": response.status,
            "headers": header_map,
            "body": response_text,
            "time_ms": u64::try_from(response.elapsed.as_millis()).unwrap_or(u64::MAX),
        }));
        let parsed =
            parse_response(&webhook.response, &response.body).map(|v| mask_value(v, &masks));
        outcome.step.response = Some(TracedResponse {
            status: response.status,
            headers,
            body,
            body_truncated,
            parsed: parsed.as_ref().cloned().unwrap_or(Value::Null),
            attempts: response.attempts,
        });
        match parsed {
            Ok(value) => outcome.parsed = Some(value),
            // An error answer's body is often an HTML page: the status still routes it, and
            // `${data.<webhook>}` is empty rather than the error port taken.
            Err(_) if !(200..300).contains(&response.status) => outcome.parsed = Some(Value::Null),
            Err(e) => {
                return fail(
                    outcome,
                    step_error("parse", mask(&e.to_string(), &masks)),
                    true,
                );
            }
        }
        outcome
    }

    /// Renders a webhook's URL, query, headers and body with a template context, without
    /// authentication. The URL rule (HTTPS, loopback) is checked here.
    pub fn render_request(
        &self,
        webhook: &Webhook,
        ctx: &minijinja::Value,
    ) -> Result<OutboundRequest, StepError> {
        let render = |what: &str, template: &str, escape: Escape| {
            self.expressions.render(template, ctx, escape).map_err(|e| {
                step_error(
                    "template",
                    format!("webhook `{}`, {what}: {}", webhook.name, e.message),
                )
            })
        };
        let url_text = render("url", &webhook.url, Escape::Url)?;
        let mut url = url::Url::parse(&url_text).map_err(|e| {
            step_error(
                "config",
                format!(
                    "webhook `{}`: `{url_text}` is not a valid URL: {e}",
                    webhook.name
                ),
            )
        })?;
        let mut headers = Vec::new();
        let mut query = Vec::new();
        // Query values are percent-encoded into the URL; sent as headers instead, they may
        // not hold a line break.
        let query_escape = if webhook.params_in_headers {
            Escape::Header
        } else {
            Escape::Plain
        };
        for pair in &webhook.query {
            let value = render(&format!("query `{}`", pair.name), &pair.value, query_escape)?;
            query.push((pair.name.clone(), value));
        }
        if webhook.params_in_headers {
            headers.extend(query);
        } else if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        for pair in &webhook.headers {
            let value = render(
                &format!("header `{}`", pair.name),
                &pair.value,
                Escape::Header,
            )?;
            headers.push((pair.name.clone(), value));
        }
        let (body, default_type) = match webhook.body.kind {
            BodyKind::None => (None, None),
            BodyKind::Json => {
                let text = self
                    .expressions
                    .render_json_text(&webhook.body.template, ctx)
                    .map_err(|e| {
                        step_error(
                            "template",
                            format!("webhook `{}`, body: {}", webhook.name, e.message),
                        )
                    })?;
                let bytes = text.into_bytes();
                (Some(bytes), Some("application/json"))
            }
            BodyKind::Xml => (
                Some(render("body", &webhook.body.template, Escape::Xml)?.into_bytes()),
                Some("application/xml"),
            ),
            BodyKind::Text => (
                Some(render("body", &webhook.body.template, Escape::Plain)?.into_bytes()),
                Some("text/plain; charset=utf-8"),
            ),
            BodyKind::Form => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                for pair in &webhook.body.form {
                    let value = render(
                        &format!("form field `{}`", pair.name),
                        &pair.value,
                        Escape::Plain,
                    )?;
                    form.append_pair(&pair.name, &value);
                }
                (
                    Some(form.finish().into_bytes()),
                    Some("application/x-www-form-urlencoded"),
                )
            }
        };
        let has_content_type = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        if !has_content_type
            && let Some(content_type) = webhook.content_type.as_deref().or(default_type)
        {
            headers.push(("Content-Type".into(), content_type.to_string()));
        }
        Ok(OutboundRequest {
            method: webhook.method,
            url,
            headers,
            body,
        })
    }
}

/// Replaces every secret in every string (keys and values) of a parsed response.
fn mask_value(value: Value, masks: &[String]) -> Value {
    if masks.is_empty() {
        return value;
    }
    match value {
        Value::String(s) => Value::String(mask(&s, masks)),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| mask_value(v, masks)).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (mask(&k, masks), mask_value(v, masks)))
                .collect(),
        ),
        other => other,
    }
}

/// The webhook an HTTP request node sends: a named one of the bundle, or its inline one.
pub fn resolve_webhook(bundle: &Bundle, node: &Node) -> Result<Webhook, StepError> {
    webhook_of(bundle, node).map(Cow::into_owned)
}

/// [`resolve_webhook`] without copying a named webhook out of the bundle.
fn webhook_of<'a>(bundle: &'a Bundle, node: &Node) -> Result<Cow<'a, Webhook>, StepError> {
    if let Some(name) = node.params.get("webhook").and_then(Value::as_str) {
        return bundle.webhook(name).map(Cow::Borrowed).ok_or_else(|| {
            step_error(
                "config",
                format!("node `{}`: no webhook named `{name}`", node.id),
            )
        });
    }
    match node.params.get("inline") {
        Some(inline) => {
            let mut webhook: Webhook = serde_json::from_value(inline.clone()).map_err(|e| {
                step_error(
                    "config",
                    format!("node `{}`: invalid inline request: {e}", node.id),
                )
            })?;
            if webhook.name.is_empty() {
                webhook.name = node.id.clone();
            }
            Ok(Cow::Owned(webhook))
        }
        None => Err(step_error(
            "config",
            format!(
                "node `{}`: pick a webhook or define the request inline",
                node.id
            ),
        )),
    }
}

/// The `source` of the events a contact entering a group starts runs with; their payload is
/// `{"group": NAME}`.
pub const GROUP_EVENT_SOURCE: &str = "group";

/// The `source` of events received on `POST /subscriptions/{name}`; their alias is the
/// subscription's name.
pub const SUBSCRIPTION_EVENT_SOURCE: &str = "subscription";

/// The trigger a run starts from: the Event received trigger for the event's alias (or, for a
/// contact entering a group, the Enters group trigger of that group), else a Manual trigger,
/// else the first trigger.
/// A trace with no steps yet, `completed` until a step says otherwise.
fn new_trace(run_id: String, workflow: &Workflow) -> RunTrace {
    RunTrace {
        run_id,
        workflow: workflow.name.clone(),
        status: RunStatus::Completed,
        steps: Vec::new(),
        contact: Contact::default(),
        resume_at: None,
        suspension: None,
    }
}

/// The nodes the edges leaving `node` by `port` lead to, in edge order.
fn next_nodes<'a>(workflow: &'a Workflow, node: &str, port: &str) -> Vec<&'a Node> {
    workflow
        .edges
        .iter()
        .filter(|e| e.from == node && e.port == port)
        .filter_map(|e| workflow.node(&e.to))
        .collect()
}

/// What a run stopped at `node` (a Wait or a Wait for event) needs to go on later.
fn suspension_at(node: &Node, scope: &Scope) -> Suspension {
    let params = crate::catalogue::node_type(&node.kind).map_or_else(
        || node.params.clone(),
        |spec| spec.params_with_defaults(&node.params),
    );
    let text = |name: &str| params.get(name).and_then(Value::as_str).unwrap_or("");
    let (duration, alias) = if node.kind == kinds::WAIT_FOR_EVENT {
        ("timeout", Some(text("alias").to_string()))
    } else {
        ("duration", None)
    };
    Suspension {
        node: node.id.clone(),
        wait_ms: parse_duration_ms(text(duration)).unwrap_or(0),
        alias,
        state: json!({
            "event": scope.event,
            "data": scope.data,
            "response": scope.response,
            "error": scope.error,
            "run": scope.run,
        }),
    }
}

fn pick_trigger<'a>(workflow: &'a Workflow, event: &Event) -> Option<&'a Node> {
    let is_trigger =
        |n: &&Node| crate::catalogue::node_type(&n.kind).is_some_and(|spec| spec.is_trigger());
    let entered_group = (event.source == GROUP_EVENT_SOURCE)
        .then(|| event.payload.get("group").and_then(Value::as_str))
        .flatten();
    workflow
        .nodes
        .iter()
        .filter(is_trigger)
        .find(|n| match entered_group {
            Some(group) => {
                n.kind == kinds::TRIGGER_GROUP
                    && n.params.get("group").and_then(Value::as_str).map(str::trim) == Some(group)
            }
            None if event.source == SUBSCRIPTION_EVENT_SOURCE => {
                n.kind == kinds::TRIGGER_SUBSCRIPTION
                    && n.params.get("subscription").and_then(Value::as_str)
                        == Some(event.alias.as_str())
            }
            None => {
                n.kind == kinds::TRIGGER_EVENT
                    && !event.alias.is_empty()
                    && n.params.get("alias").and_then(Value::as_str) == Some(event.alias.as_str())
            }
        })
        .or_else(|| {
            workflow
                .nodes
                .iter()
                .find(|n| n.kind == kinds::TRIGGER_MANUAL)
        })
        .or_else(|| workflow.nodes.iter().find(is_trigger))
}
