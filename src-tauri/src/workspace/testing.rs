//! Sending test requests and test-running workflows from the desktop (SPEC 5), through the
//! same engine the server uses.
//!
//! A single request is tested by running a small workflow made of a Manual trigger, the HTTP
//! request node (or a node sending the saved webhook) and, when the node's `response` port
//! leads to one, the following Response switch. The engine's own runner thus renders, sends,
//! parses and routes exactly as in a real run, and the switch step tells which path the
//! response would take. Data of earlier steps (`${data.OTHER…}`) is not available in such a
//! single-request test; test-running the whole workflow provides it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Utc;
use hookboard_engine::auth::apply_auth;
use hookboard_engine::catalogue::kinds;
use hookboard_engine::expr::Scope;
use hookboard_engine::http::HttpPolicy;
use hookboard_engine::model::{Bundle, Contact, Edge, Event, Node, Position, Workflow};
use hookboard_engine::runner::{Engine, RunOptions, WaitMode, resolve_webhook};
use hookboard_engine::trace::{RunTrace, Step, StepError, TracedRequest};
use hookboard_secrets::SecretStore;
use hookboard_store::RunMeta;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ts_rs::TS;

use super::{Result, Workspace, WorkspaceError};

/// The id of the Manual trigger of a single-request test workflow.
const TEST_TRIGGER: &str = "test-trigger";
/// The id of the HTTP request node that sends a saved webhook in a test.
const WEBHOOK_NODE: &str = "webhook";
/// A stand-in secret for previews: applied like the real one, then masked.
const PREVIEW_SECRET: &str = "hookboard-preview-secret";

/// The engine tests use, with the insecure-URL setting it was made for.
#[derive(Default)]
pub(crate) struct EngineCache {
    current: Mutex<Option<(bool, Arc<Engine>)>>,
}

impl std::fmt::Debug for EngineCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EngineCache")
    }
}

/// What a test sends.
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum TestTarget {
    /// A saved webhook, by name.
    Webhook {
        /// Webhook name.
        name: String,
    },
    /// An HTTP request node of a workflow as it is in the editor (saved or not).
    Node {
        /// The workflow.
        workflow: Workflow,
        /// The HTTP request node's id.
        node: String,
    },
}

/// An event typed by hand, as JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[ts(export)]
pub struct TypedEvent {
    /// The event's alias (selects the Event received trigger in a test run); may be empty.
    #[serde(default)]
    pub alias: String,
    /// The payload as JSON text.
    pub json: String,
}

/// Who and what a test runs for: a stored contact and a received or typed event, each
/// optional (no contact: an empty one; no event: an empty manual event).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
#[ts(export)]
pub struct TestSubject {
    /// A stored contact's id.
    #[serde(default)]
    #[ts(optional)]
    pub contact_id: Option<String>,
    /// A received event's id.
    #[serde(default)]
    #[ts(optional)]
    pub event_id: Option<String>,
    /// An event typed by hand (ignored when `event_id` is set).
    #[serde(default)]
    #[ts(optional)]
    pub event: Option<TypedEvent>,
}

/// The route a Response switch took in a test.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SwitchOutcome {
    /// The switch node's id.
    pub node: String,
    /// The step of the switch (branch taken, or why it could not route).
    pub step: Step,
}

/// What a test request did.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct TestOutcome {
    /// The HTTP step: request sent (secrets masked), response, parsed values, time, error.
    pub step: Step,
    /// The Response switch that follows the node, if any, and the path it took.
    pub switch: Option<SwitchOutcome>,
}

/// A failure of a test before anything was sent (bad input, missing contact, ...).
fn invalid(field: &str, message: impl Into<String>) -> WorkspaceError {
    WorkspaceError::Invalid {
        field: field.to_string(),
        message: message.into(),
    }
}

/// Parses typed event JSON, naming the line and column of a syntax error.
pub fn parse_event_json(text: &str) -> Result<Value> {
    // serde_json's message already ends with "at line L column C".
    serde_json::from_str(text)
        .map_err(|e| invalid("event", format!("the event is not valid JSON: {e}")))
}

impl Workspace {
    /// The engine for tests, following the workspace's URL rule (insecure URLs only when
    /// opted in). It is made once and again only when that rule changes.
    fn engine(&self) -> Result<Arc<Engine>> {
        let allow_insecure_http = self.validation_options().allow_insecure_http;
        let mut slot = self
            .engine
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((allowed, engine)) = slot.as_ref()
            && *allowed == allow_insecure_http
        {
            return Ok(Arc::clone(engine));
        }
        let engine = Arc::new(
            Engine::new(HttpPolicy {
                allow_insecure_http,
                ..HttpPolicy::default()
            })
            .map_err(|e| invalid("engine", e.0))?,
        );
        *slot = Some((allow_insecure_http, Arc::clone(&engine)));
        Ok(engine)
    }

    /// The variables of the active environment (none when no environment is active).
    fn active_env(&self) -> Result<BTreeMap<String, String>> {
        match self.active_environment() {
            Some(name) => Ok(self.store().get_environment(&name)?.variables),
            None => Ok(BTreeMap::new()),
        }
    }

    /// The contact and event a subject names, read from the store or parsed.
    fn resolve_subject(&self, subject: &TestSubject) -> Result<(Contact, Event, Option<String>)> {
        let contact = match subject.contact_id.as_deref() {
            Some(id) => self.store().get_contact(id)?,
            None => Contact::default(),
        };
        if let Some(id) = subject.event_id.as_deref() {
            let stored = self.store().get_event(id)?;
            return Ok((contact, stored.event, Some(stored.id)));
        }
        let event = match &subject.event {
            Some(typed) => Event {
                alias: typed.alias.clone(),
                source: "manual".into(),
                payload: parse_event_json(&typed.json)?,
            },
            None => Event {
                alias: String::new(),
                source: "manual".into(),
                payload: json!({}),
            },
        };
        Ok((contact, event, None))
    }

    /// The workspace's reference data with `workflow` as its only workflow.
    fn bundle_with(&self, workflow: Option<&Workflow>) -> Result<Bundle> {
        let mut bundle = self.reference_bundle()?;
        bundle.workflows.extend(workflow.cloned());
        Ok(bundle)
    }

    /// The HTTP request node a target sends and the Response switch its `response` port
    /// leads to, if any.
    fn target_nodes(&self, target: &TestTarget) -> Result<(Node, Option<Node>)> {
        match target {
            TestTarget::Webhook { name } => {
                self.store().get_webhook(name)?;
                let node = Node {
                    id: WEBHOOK_NODE.into(),
                    kind: kinds::HTTP_REQUEST.into(),
                    title: None,
                    position: Position::default(),
                    params: BTreeMap::from([("webhook".to_string(), json!(name))]),
                };
                Ok((node, None))
            }
            TestTarget::Node { workflow, node } => {
                let http = workflow
                    .node(node)
                    .filter(|n| n.kind == kinds::HTTP_REQUEST)
                    .ok_or_else(|| {
                        invalid(
                            "node",
                            format!(
                                "workflow `{}` has no HTTP request node `{node}`",
                                workflow.name
                            ),
                        )
                    })?;
                let switch = workflow
                    .edges
                    .iter()
                    .filter(|e| e.from == http.id && e.port == "response")
                    .filter_map(|e| workflow.node(&e.to))
                    .find(|n| n.kind == kinds::RESPONSE_SWITCH);
                Ok((http.clone(), switch.cloned()))
            }
        }
    }

    /// The request a target would send for a subject, rendered but not sent, with the
    /// connector's credentials shown as `•••`. Nothing is read from the keyring.
    pub fn preview_request(
        &self,
        target: &TestTarget,
        subject: &TestSubject,
    ) -> Result<std::result::Result<TracedRequest, StepError>> {
        let (node, _) = self.target_nodes(target)?;
        let (contact, event, _) = self.resolve_subject(subject)?;
        let workflow = match target {
            TestTarget::Node { workflow, .. } => Some(workflow),
            TestTarget::Webhook { .. } => None,
        };
        let bundle = self.bundle_with(workflow)?;
        let webhook = match resolve_webhook(&bundle, &node) {
            Ok(w) => w,
            Err(e) => return Ok(Err(e)),
        };
        let scope = Scope {
            event: event.payload,
            contact,
            run: json!({"id": "preview", "workflow": workflow.map(|w| w.name.as_str()).unwrap_or("")}),
            env: self.active_env()?,
            error: json!({}),
            ..Scope::default()
        };
        let engine = self.engine()?;
        let mut request = match engine.render_request(&webhook, &scope.to_context()) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let mut masks = Vec::new();
        if let Some(name) = &webhook.connector {
            let connector = self.store().get_connector(name)?;
            masks = apply_auth(&mut request, &connector, PREVIEW_SECRET);
        }
        Ok(Ok(TracedRequest::masked(&request, &masks)))
    }

    /// Sends a target's request for a subject through the engine, and routes the response
    /// through the following Response switch. Dropping the future cancels the request.
    pub async fn send_test(
        &self,
        target: &TestTarget,
        subject: &TestSubject,
        secrets: &dyn SecretStore,
    ) -> Result<TestOutcome> {
        let (node, switch) = self.target_nodes(target)?;
        let (contact, mut event, _) = self.resolve_subject(subject)?;
        // The test workflow starts from its Manual trigger whatever the event's alias.
        event.alias.clear();
        let mut nodes = vec![
            Node {
                id: TEST_TRIGGER.into(),
                kind: kinds::TRIGGER_MANUAL.into(),
                title: None,
                position: Position::default(),
                params: BTreeMap::new(),
            },
            node.clone(),
        ];
        let mut edges = vec![Edge {
            from: TEST_TRIGGER.into(),
            port: "next".into(),
            to: node.id.clone(),
        }];
        if let Some(switch) = &switch {
            edges.push(Edge {
                from: node.id.clone(),
                port: "response".into(),
                to: switch.id.clone(),
            });
            nodes.push(switch.clone());
        }
        let name = match target {
            TestTarget::Node { workflow, .. } => workflow.name.clone(),
            TestTarget::Webhook { name } => format!("test of webhook {name}"),
        };
        let test_workflow = Workflow {
            name,
            description: String::new(),
            nodes,
            edges,
        };
        let bundle = self.bundle_with(Some(&test_workflow))?;
        let options = RunOptions {
            env: self.active_env()?,
            wait_mode: WaitMode::Suspend,
            ..RunOptions::default()
        };
        let engine = self.engine()?;
        let trace = engine
            .run(&bundle, &test_workflow, secrets, contact, event, &options)
            .await;
        let step = trace
            .steps
            .iter()
            .find(|s| s.node == node.id)
            .or_else(|| trace.steps.iter().rev().find(|s| s.error.is_some()))
            .cloned()
            .unwrap_or_else(|| not_run_step(&node));
        let switch = switch.and_then(|switch| {
            let step = trace.steps.iter().find(|s| s.node == switch.id)?.clone();
            Some(SwitchOutcome {
                node: switch.id,
                step,
            })
        });
        Ok(TestOutcome { step, switch })
    }

    /// Runs `workflow` (as in the editor) for a subject through the engine, as the server
    /// would, and keeps the run. Wait nodes stop the run with status `waiting`. The contact
    /// changes a Set field node makes are shown in the trace, not written to the contact.
    pub async fn test_run(
        &self,
        workflow: &Workflow,
        subject: &TestSubject,
        secrets: &dyn SecretStore,
    ) -> Result<RunTrace> {
        let (contact, event, event_id) = self.resolve_subject(subject)?;
        let bundle = self.bundle_with(Some(workflow))?;
        let options = RunOptions {
            env: self.active_env()?,
            wait_mode: WaitMode::Suspend,
            ..RunOptions::default()
        };
        let started_at = Utc::now();
        let engine = self.engine()?;
        let trace = engine
            .run(&bundle, workflow, secrets, contact, event, &options)
            .await;
        let meta = RunMeta {
            event_id,
            started_at,
            finished_at: Some(Utc::now()),
        };
        self.store().insert_run(&trace, &meta)?;
        Ok(trace)
    }
}

/// The step shown when the engine stopped before the node without saying why.
fn not_run_step(node: &Node) -> Step {
    Step::stopped(
        node.id.clone(),
        node.kind.clone(),
        hookboard_engine::trace::StepStatus::Error,
        StepError {
            kind: "config".into(),
            message: format!("node `{}` was not run", node.id),
        },
    )
}
