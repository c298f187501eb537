//! Subscriptions and waiting runs (SPEC 3 and 6): `POST /subscriptions/{name}` with its
//! journey behaviours (start, replace, abort, deliver), events delivered to the runs waiting
//! for them, and waits woken when their time comes. All of it goes through the store, so after
//! a restart waiting runs are woken and delivered to as if the server had never stopped.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hookboard_engine::catalogue::{kinds, node_type};
use hookboard_engine::expr::{Escape, Expressions, Scope, TemplateContext};
use hookboard_engine::model::{Bundle, Contact, Event, Workflow};
use hookboard_engine::runner::{RunOptions, SUBSCRIPTION_EVENT_SOURCE, WaitMode};
use hookboard_engine::trace::{RunStatus, RunTrace, Step, StepError, StepStatus};
use hookboard_store::{RunMeta, RunRecord, StoredEvent, Wait};
use serde_json::{Map, Value, json};

use crate::inbound::{Accepted, Refusal, parse_json};
use crate::serve::{
    App, RunStart, Work, check_signature, commit_event, error, off_thread, reject, run_and_store,
    store_run, wake_at,
};

/// How often the store is asked for waits whose time has come.
const WAKE_POLL: Duration = Duration::from_millis(500);

/// Most due waits queued at one poll.
const WAKE_BATCH: usize = 256;

/// Name of the secret that signs a subscription's messages: `subscription <name>`, read from
/// `HOOKBOARD_SECRET_SUBSCRIPTION_<NAME>` or the secrets file. No secret: none is required.
pub fn subscription_secret_name(name: &str) -> String {
    format!("subscription {name}")
}

/// A workflow listening to a subscription, with its trigger's parameters (defaults applied).
pub struct Listener<'a> {
    /// The workflow.
    pub workflow: &'a Workflow,
    /// The Subscription trigger's parameters.
    pub params: BTreeMap<String, Value>,
}

impl Listener<'_> {
    /// A text parameter, empty when missing.
    pub fn text(&self, name: &str) -> &str {
        self.params.get(name).and_then(Value::as_str).unwrap_or("")
    }
}

/// The workflows whose Subscription trigger listens to `name`, in order.
pub fn listeners<'a>(workflows: &'a [Workflow], name: &str) -> Vec<Listener<'a>> {
    let Some(spec) = node_type(kinds::TRIGGER_SUBSCRIPTION) else {
        return Vec::new();
    };
    workflows
        .iter()
        .filter_map(|workflow| {
            let trigger = workflow.nodes.iter().find(|n| {
                n.kind == kinds::TRIGGER_SUBSCRIPTION
                    && n.params.get("subscription").and_then(Value::as_str) == Some(name)
            })?;
            Some(Listener {
                workflow,
                params: spec.params_with_defaults(&trigger.params),
            })
        })
        .collect()
}

/// The aliases the bundle's Wait for event nodes wait for.
pub fn awaited_aliases(bundle: &Bundle) -> std::collections::HashSet<String> {
    bundle
        .workflows
        .iter()
        .flat_map(|w| &w.nodes)
        .filter(|n| n.kind == kinds::WAIT_FOR_EVENT)
        .filter_map(|n| n.params.get("alias").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// A template context where `${event}` is a subscription message and `${run}` is `run`.
fn message_context(payload: &Value, run: Value) -> TemplateContext {
    Scope {
        event: payload.clone(),
        run,
        ..Scope::default()
    }
    .to_context()
}

/// A phone number as a journey identifier: digits only, with its leading `+`.
fn normalize_phone(text: &str) -> String {
    let plus = text.trim_start().starts_with('+');
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if plus { format!("+{digits}") } else { digits }
}

/// The journey identifier of a message for `listener`: its expression rendered over the
/// message, normalized by kind; `None` when it has none or it renders empty.
fn journey_of(
    app: &App,
    listener: &Listener<'_>,
    payload: &Value,
) -> Result<Option<String>, String> {
    let template = listener.text("journey_id");
    if template.trim().is_empty() {
        return Ok(None);
    }
    let ctx = message_context(payload, json!({}));
    let rendered = app
        .engine
        .expressions()
        .render(template, &ctx, Escape::Plain)
        .map_err(|e| format!("journey identifier: {}", e.message))?;
    let journey = match listener.text("journey_kind") {
        "phone" => normalize_phone(&rendered),
        _ => rendered.trim().to_string(),
    };
    Ok(Some(journey).filter(|j| !j.is_empty()))
}

/// The id of the run subscription event `event_id` starts in `workflow`: derived from both, so
/// the response can name it before the run exists and processing the event again finds it.
pub fn subscription_run_id(event_id: &str, workflow: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("hookboard/{event_id}/{workflow}").as_bytes(),
    )
    .to_string()
}

/// The waiting run the journey identifier leads to in the listener's workflow: the run with
/// that id (`run_id` identifiers) or the run the journey last started.
async fn current_wait(
    app: &App,
    listener: &Listener<'_>,
    journey: &str,
) -> Result<Option<Wait>, String> {
    let store = app.store.clone();
    let (workflow, journey) = (listener.workflow.name.clone(), journey.to_string());
    if listener.text("journey_kind") == "run_id" {
        let wait = off_thread(move || store.get_wait(&journey)).await?;
        return Ok(wait.filter(|w| w.workflow == workflow));
    }
    off_thread(move || store.journey_wait(&workflow, &journey)).await
}

#[utoipa::path(post, path = "/subscriptions/{name}", tag = "inbound",
    params(
        ("name" = String, Path, description = "Name of a Subscription trigger of the bundle"),
        ("webhook-id" = Option<String>, Header, description = "Standard Webhooks message id (when the subscription has a signing secret)"),
        ("webhook-timestamp" = Option<String>, Header, description = "Unix seconds; at most 5 minutes old"),
        ("webhook-signature" = Option<String>, Header, description = "`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, several separated by spaces"),
    ),
    request_body(content = Object, description = "Any JSON of at most 512 KiB; the trigger's expressions read it as ${event.…}"),
    responses(
        (status = 202, description = "Committed; the journey behaviour is applied by a worker. The body is the trigger's response body template, or the event id", body = Object),
        (status = 400, description = "Malformed JSON, with line and column; the body is kept as rejected", body = crate::openapi::ErrorBody),
        (status = 401, description = "Missing or wrong signature, or timestamp too old", body = crate::openapi::ErrorBody),
        (status = 404, description = "No workflow listens to this subscription", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body larger than 512 KiB"),
        (status = 422, description = "No email or primary key could be read from the message; the body is kept as rejected", body = crate::openapi::ErrorBody),
    ))]
pub(crate) async fn subscription_event(
    State(app): State<App>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let listeners = listeners(&app.bundle.workflows, &name);
    let Some(first) = listeners.first() else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no workflow listens to the subscription `{name}`"),
        );
    };
    if let Err(response) = check_signature(&app, &subscription_secret_name(&name), &headers, &body)
    {
        return response;
    }
    let source = SUBSCRIPTION_EVENT_SOURCE;
    let (accepted, payload) = match check_message(app.engine.expressions(), first, &body) {
        Ok(checked) => checked,
        Err(refusal) => return reject(&app, &name, source, refusal, body).await,
    };
    let inserted = match commit_event(&app, &name, source, accepted, true).await {
        Ok(inserted) => inserted,
        Err(response) => return response,
    };
    let default = || json!({"event_id": inserted.id, "duplicate": inserted.duplicate});
    let answer = match answer_body(&app, first, &payload, &inserted.id).await {
        Ok(Some(answer)) => answer,
        Ok(None) => default(),
        Err(message) => {
            tracing::warn!(subscription = %name, event_id = %inserted.id, "response body not rendered: {message}");
            default()
        }
    };
    (StatusCode::ACCEPTED, axum::Json(answer)).into_response()
}

/// Reads a subscription message with the listener's expressions: the JSON body, the contact's
/// email and the primary key. Returns the event to commit and its payload, or why it is refused
/// (400 malformed JSON; 422 with every problem).
pub fn check_message(
    expressions: &Expressions,
    listener: &Listener<'_>,
    body: &[u8],
) -> Result<(Accepted, Value), Refusal> {
    let payload = parse_json(body).map_err(|message| Refusal {
        status: StatusCode::BAD_REQUEST,
        message,
        problems: vec![],
    })?;
    let ctx = message_context(&payload, json!({}));
    let mut problems = Vec::new();
    let mut read = |param: &str, label: &str| -> String {
        match expressions.render(listener.text(param), &ctx, Escape::Plain) {
            Ok(text) if text.trim().is_empty() => {
                problems.push(format!(
                    "{label}: `{}` gives nothing for this message",
                    listener.text(param)
                ));
                String::new()
            }
            Ok(text) => text.trim().to_string(),
            Err(e) => {
                problems.push(format!("{label}: {}", e.message));
                String::new()
            }
        }
    };
    let email = read("email", "email");
    let primary_key = read("primary_key", "primary key");
    if !email.is_empty() && !hookboard_engine::model::is_valid_email(&email) {
        problems.push(format!(
            "email: `{}` is not an email address",
            email.escape_debug()
        ));
    }
    if !problems.is_empty() {
        return Err(Refusal {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "the subscription message is not valid".to_string(),
            problems,
        });
    }
    let accepted = Accepted {
        payload: payload.clone(),
        email,
        primary_key,
    };
    Ok((accepted, payload))
}

/// The configured response body (`None`: none is configured), with `${run.id}` the run the message starts (start, replace)
/// or acts on (abort, deliver; null when none waits) and `${run.journey}` its journey.
async fn answer_body(
    app: &App,
    listener: &Listener<'_>,
    payload: &Value,
    event_id: &str,
) -> Result<Option<Value>, String> {
    let template = listener.text("response_body");
    if template.trim().is_empty() {
        return Ok(None);
    }
    let journey = journey_of(app, listener, payload)?;
    let run_id = match listener.text("behaviour") {
        "abort" | "deliver" => match &journey {
            Some(journey) => current_wait(app, listener, journey)
                .await?
                .map(|w| w.run_id),
            None => None,
        },
        _ => Some(subscription_run_id(event_id, &listener.workflow.name)),
    };
    let run = json!({"id": run_id, "journey": journey, "workflow": listener.workflow.name});
    app.engine
        .expressions()
        .render_json(template, &message_context(payload, run))
        .map(Some)
        .map_err(|e| e.message)
}

/// Applies each listening workflow's journey behaviour to a stored subscription message
/// (skipping workflows in `done`, which already ran for it). Returns when every action is
/// stored; the caller marks the event processed.
pub(crate) async fn apply_subscription(
    app: &App,
    stored: &StoredEvent,
    mut contact: Contact,
    done: &[String],
) -> Result<(), String> {
    let name = &stored.event.alias;
    for listener in listeners(&app.bundle.workflows, name) {
        let workflow = &listener.workflow.name;
        if done.contains(workflow) {
            continue;
        }
        let payload = &stored.event.payload;
        let journey = match journey_of(app, &listener, payload) {
            Ok(journey) => journey,
            Err(message) => {
                tracing::warn!(event_id = %stored.id, workflow, "subscription `{name}`: {message}");
                None
            }
        };
        let behaviour = listener.text("behaviour");
        let current = match &journey {
            Some(journey) if behaviour != "start" => current_wait(app, &listener, journey)
                .await?
                // A run that began waiting after the message arrived does not take it.
                .filter(|w| w.since <= stored.received_at),
            _ => None,
        };
        let reason = format!(
            "aborted by subscription `{name}` (event {}, behaviour {behaviour})",
            stored.id
        );
        match (behaviour, current) {
            ("deliver", Some(wait)) if wait.alias.is_some() => {
                contact =
                    continue_run(app, wait, "event", Some(stored.event.clone()), contact).await?;
            }
            ("deliver", _) => {
                tracing::warn!(event_id = %stored.id, workflow, journey = ?journey, "subscription `{name}`: no run of this journey waits for an event; nothing delivered");
            }
            ("abort", Some(wait)) => {
                contact = abort_run(app, wait, contact, reason).await?;
            }
            ("abort", None) => {
                tracing::info!(event_id = %stored.id, workflow, journey = ?journey, "subscription `{name}`: no waiting run of this journey to abort");
            }
            (_, current) => {
                if let Some(wait) = current {
                    contact = abort_run(app, wait, contact, reason).await?;
                }
                contact = start_run(app, &listener, stored, journey, contact).await?;
            }
        }
    }
    Ok(())
}

/// Starts the listener's workflow for a subscription message, with `${run.journey}` and the
/// start parameters as `${run.params}`.
async fn start_run(
    app: &App,
    listener: &Listener<'_>,
    stored: &StoredEvent,
    journey: Option<String>,
    contact: Contact,
) -> Result<Contact, String> {
    let run_id = subscription_run_id(&stored.id, &listener.workflow.name);
    let mut run_vars = Map::new();
    run_vars.insert("journey".into(), json!(journey));
    let template = listener.text("start_params");
    if !template.trim().is_empty() {
        let ctx = message_context(&stored.event.payload, json!({"id": run_id}));
        match app.engine.expressions().render_json(template, &ctx) {
            Ok(params) => {
                run_vars.insert("params".into(), params);
            }
            Err(e) => {
                let trace = failed_start(
                    &run_id,
                    listener.workflow,
                    &contact,
                    format!("start parameters: {}", e.message),
                );
                let now = chrono::Utc::now();
                let meta = RunMeta {
                    event_id: Some(stored.id.clone()),
                    started_at: now,
                    finished_at: Some(now),
                };
                let record = RunRecord::new(trace, meta);
                return Ok(store_run(app, record, &stored.id).await?.contact);
            }
        }
    }
    let start = RunStart {
        run_id: Some(run_id),
        event_id: Some(stored.id.clone()),
        event: stored.event.clone(),
        journey: journey.map(|j| (listener.workflow.name.clone(), j)),
        run_vars,
    };
    run_and_store(app, listener.workflow, contact, start, None).await
}

/// A run that failed at its Subscription trigger (its start parameters did not render).
fn failed_start(run_id: &str, workflow: &Workflow, contact: &Contact, message: String) -> RunTrace {
    let trigger = workflow
        .nodes
        .iter()
        .find(|n| n.kind == kinds::TRIGGER_SUBSCRIPTION)
        .map_or_else(String::new, |n| n.id.clone());
    RunTrace {
        run_id: run_id.to_string(),
        workflow: workflow.name.clone(),
        status: RunStatus::Failed,
        steps: vec![Step::stopped(
            trigger,
            kinds::TRIGGER_SUBSCRIPTION,
            StepStatus::Error,
            StepError {
                kind: "template".to_string(),
                message,
            },
        )],
        contact: contact.clone(),
        resume_at: None,
        suspension: None,
    }
}

/// Ends a waiting run as `aborted`, with a skipped step at the node it waited at saying why.
async fn abort_run(
    app: &App,
    wait: Wait,
    contact: Contact,
    reason: String,
) -> Result<Contact, String> {
    let kind = app
        .bundle
        .workflow(&wait.workflow)
        .and_then(|w| w.node(&wait.node))
        .map_or_else(String::new, |n| n.kind.clone());
    tracing::info!(run_id = %wait.run_id, workflow = %wait.workflow, "{reason}");
    let now = chrono::Utc::now();
    let trace = RunTrace {
        run_id: wait.run_id.clone(),
        workflow: wait.workflow.clone(),
        status: RunStatus::Aborted,
        steps: vec![Step::stopped(
            wait.node.clone(),
            kind,
            StepStatus::Skipped,
            StepError {
                kind: "aborted".to_string(),
                message: reason,
            },
        )],
        contact: contact.clone(),
        resume_at: None,
        suspension: None,
    };
    let meta = RunMeta {
        event_id: None,
        started_at: now,
        finished_at: Some(now),
    };
    let record = RunRecord {
        resumes: Some(wait.since),
        ..RunRecord::new(trace, meta)
    };
    if store_run(app, record, "").await?.superseded {
        tracing::info!(run_id = %wait.run_id, "the run went on before it could be aborted");
    }
    Ok(contact)
}

/// Resumes a waiting run by `port` (with a delivered event for `event`), stores the steps it
/// makes after the stored ones, and returns the contact as the run left it.
async fn continue_run(
    app: &App,
    wait: Wait,
    port: &str,
    event: Option<Event>,
    contact: Contact,
) -> Result<Contact, String> {
    let missing;
    let workflow = match app.bundle.workflow(&wait.workflow) {
        Some(workflow) => workflow,
        None => {
            // The bundle no longer has the workflow: the engine ends the run as failed,
            // saying so.
            missing = Workflow {
                name: wait.workflow.clone(),
                description: String::new(),
                nodes: Vec::new(),
                edges: Vec::new(),
            };
            &missing
        }
    };
    let options = RunOptions {
        env: app.env.clone(),
        wait_mode: WaitMode::Suspend,
        run_id: Some(wait.run_id.clone()),
        ..RunOptions::default()
    };
    let trace = app
        .engine
        .resume(
            &app.bundle,
            workflow,
            &app.secrets,
            contact.clone(),
            &wait.run_id,
            &wait.suspension,
            port,
            event,
            &options,
        )
        .await;
    tracing::info!(run_id = %trace.run_id, workflow = %trace.workflow, port, status = trace.status.as_str(), "waiting run went on");
    let now = chrono::Utc::now();
    let run_id = trace.run_id.clone();
    let record = RunRecord {
        update_contact: trace.contact != contact && !trace.contact.id.is_empty(),
        wake_at: wake_at(&trace),
        meta: RunMeta {
            event_id: None,
            started_at: now,
            finished_at: (trace.status != RunStatus::Waiting).then_some(now),
        },
        trace,
        processed_event: None,
        resumes: Some(wait.since),
        journey: None,
    };
    let recorded = store_run(app, record, "").await?;
    if recorded.superseded {
        // Another event or the timeout made the run go on first: its outbound calls here were
        // made for nothing (delivery is at least once), and its contact is left as it was.
        tracing::info!(run_id = %run_id, port, "the run had already gone on; this continuation is dropped");
        return Ok(contact);
    }
    Ok(recorded.contact)
}

/// Delivers a stored event to the runs of its contact that wait for its alias (and began
/// waiting before it arrived); returns the contact as the runs left it.
pub(crate) async fn deliver_to_waiting_runs(
    app: &App,
    stored: &StoredEvent,
    mut contact: Contact,
) -> Result<Contact, String> {
    let Some(contact_id) = stored.contact_id.clone() else {
        return Ok(contact);
    };
    if !app.awaited_aliases.contains(&stored.event.alias) {
        return Ok(contact);
    }
    let store = app.store.clone();
    let (alias, received_at) = (stored.event.alias.clone(), stored.received_at);
    let waits = off_thread(move || store.waits_for_event(&alias, &contact_id, received_at)).await?;
    for wait in waits {
        tracing::info!(event_id = %stored.id, run_id = %wait.run_id, "event delivered to a waiting run");
        contact = continue_run(app, wait, "event", Some(stored.event.clone()), contact).await?;
    }
    Ok(contact)
}

/// Wakes a run whose Wait ended (port `next`) or whose Wait for event timed out (`timeout`),
/// unless it went on meanwhile.
pub(crate) async fn wake(app: &App, run_id: &str) -> Result<(), String> {
    let result = wake_once(app, run_id).await;
    app.waking
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(run_id);
    result
}

async fn wake_once(app: &App, run_id: &str) -> Result<(), String> {
    let store = app.store.clone();
    let id = run_id.to_string();
    let Some(wait) = off_thread(move || store.get_wait(&id)).await? else {
        return Ok(());
    };
    let key = wait
        .contact_id
        .clone()
        .unwrap_or_else(|| wait.run_id.clone());
    let turn = app.contact_turn(&key).lock_owned().await;
    // Read again under the contact's turn: an event may have been delivered meanwhile.
    let store = app.store.clone();
    let id = run_id.to_string();
    let Some(wait) = off_thread(move || store.get_wait(&id)).await? else {
        return Ok(());
    };
    if wait.wake_at > chrono::Utc::now() {
        return Ok(());
    }
    let store = app.store.clone();
    let contact_id = wait.contact_id.clone();
    let contact = off_thread(move || store.run_context(contact_id.as_deref(), None))
        .await?
        .contact
        .unwrap_or_default();
    let port = if wait.alias.is_some() {
        "timeout"
    } else {
        "next"
    };
    continue_run(app, wait, port, None, contact).await?;
    drop(turn);
    Ok(())
}

/// Queues the runs whose wait is due, every [`WAKE_POLL`], until the server stops.
pub(crate) async fn wake_due_runs(app: App, mut stopped: tokio::sync::watch::Receiver<bool>) {
    loop {
        if *stopped.borrow() {
            return;
        }
        let store = app.store.clone();
        match off_thread(move || store.due_waits(chrono::Utc::now(), WAKE_BATCH)).await {
            Ok(due) => {
                let mut waking = app
                    .waking
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for run_id in due {
                    if waking.insert(run_id.clone()) {
                        app.metrics.queued(1);
                        let _ = app.queue.send(Work::Wake(run_id));
                    }
                }
            }
            Err(e) => tracing::error!("cannot read the waiting runs: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(WAKE_POLL) => {}
            _ = stopped.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_identifiers_ignore_spaces_dashes_and_dots_but_keep_the_plus() {
        assert_eq!(normalize_phone("+33 6 12-34.56 78"), "+33612345678");
        assert_eq!(normalize_phone(" 06 12 34 56 78 "), "0612345678");
        assert_eq!(
            normalize_phone("+1 (555) 010-9999"),
            normalize_phone("+15550109999")
        );
    }

    #[test]
    fn a_subscription_run_id_is_the_same_for_the_same_event_and_workflow_only() {
        let once = subscription_run_id("event-1", "orders");
        assert_eq!(once, subscription_run_id("event-1", "orders"));
        assert_ne!(once, subscription_run_id("event-2", "orders"));
        assert_ne!(once, subscription_run_id("event-1", "refunds"));
        assert!(uuid::Uuid::parse_str(&once).is_ok(), "{once}");
    }

    #[test]
    fn only_aliases_a_wait_for_event_awaits_are_looked_up() {
        let bundle: Bundle = serde_json::from_value(json!({
            "format": "hookboard.bundle/v1",
            "workflows": [{"name": "w", "description": "", "edges": [], "nodes": [
                {"id": "a", "kind": "wait_for_event", "position": {"x": 0.0, "y": 0.0},
                 "params": {"alias": "answered", "timeout": "1d"}},
                {"id": "b", "kind": "wait", "position": {"x": 0.0, "y": 0.0},
                 "params": {"duration": "1h"}}]}]
        }))
        .expect("bundle");
        let aliases = awaited_aliases(&bundle);
        assert_eq!(aliases.len(), 1);
        assert!(aliases.contains("answered"));
    }
}
