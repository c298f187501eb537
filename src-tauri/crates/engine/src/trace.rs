//! The run trace: what every step of a run did, as the CLI prints it and the store keeps it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::model::Contact;

/// The string every secret is replaced with in traces.
pub const MASK: &str = "•••";

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RunStatus {
    /// Every path reached its end (taking an `error` port counts as completed).
    Completed,
    /// A step failed with no `error` port wired, or the run could not go on.
    Failed,
    /// The run stopped at a Wait or Wait-for-event and can be resumed.
    Waiting,
    /// A subscription event aborted the run (or replaced it by a new one) while it waited.
    Aborted,
}

impl RunStatus {
    /// The status as serialized (`completed`, `failed`, `waiting`, `aborted`).
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Waiting => "waiting",
            RunStatus::Aborted => "aborted",
        }
    }
}

/// How one step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StepStatus {
    /// The node did its work.
    Ok,
    /// The node failed; `error` says why.
    Error,
    /// The node was not executed.
    Skipped,
    /// The node is waiting (Wait, Wait for event).
    Waiting,
}

/// The request exactly as sent, with secrets replaced by [`MASK`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TracedRequest {
    /// HTTP method.
    pub method: String,
    /// Full URL with query string.
    pub url: String,
    /// Headers in the order sent.
    pub headers: Vec<(String, String)>,
    /// Body as text, if any.
    pub body: Option<String>,
}

impl TracedRequest {
    /// A request as it is shown: every occurrence of a secret in `masks` (the forms
    /// [`apply_auth`](crate::auth::apply_auth) returns) replaced by [`MASK`].
    pub fn masked(request: &crate::http::OutboundRequest, masks: &[String]) -> Self {
        Self::masked_with_body(request, request.body.as_deref(), masks)
    }

    /// [`TracedRequest::masked`] for a request whose body was taken out to be sent: `body`
    /// stands for the request's own.
    pub fn masked_with_body(
        request: &crate::http::OutboundRequest,
        body: Option<&[u8]>,
        masks: &[String],
    ) -> Self {
        use crate::auth::mask;
        TracedRequest {
            method: request.method.as_str().to_string(),
            url: mask(request.url.as_str(), masks),
            headers: request
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), mask(v, masks)))
                .collect(),
            body: body.map(|b| mask(&body_text(b), masks)),
        }
    }
}

/// Body bytes as text: borrowed when they are UTF-8 (checked on the fast path first), else a
/// copy with U+FFFD in place of each invalid sequence.
pub fn body_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The response as received, body truncated past the trace limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TracedResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// Body as text (lossy UTF-8), truncated.
    pub body: String,
    /// Whether `body` was cut.
    pub body_truncated: bool,
    /// Values parsed from the body.
    #[ts(type = "unknown")]
    pub parsed: Value,
    /// How many attempts the request took.
    pub attempts: u32,
}

/// A step's error: a stable kind later steps can read (`${error.kind}`) and a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StepError {
    /// Stable kind: `network`, `dns`, `connection_refused`, `timeout`, `tls`, `too_large`,
    /// `redirects`, `insecure_url`, `blocked_address`, `parse`, `template`, `config`, `secret`.
    pub kind: String,
    /// What happened, in words a user understands.
    pub message: String,
}

/// One executed node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Step {
    /// Node id.
    pub node: String,
    /// Node type.
    pub kind: String,
    /// Outcome.
    pub status: StepStatus,
    /// Output port taken, if any.
    pub branch: Option<String>,
    /// Request sent (HTTP request nodes).
    pub request: Option<TracedRequest>,
    /// Response received (HTTP request nodes).
    pub response: Option<TracedResponse>,
    /// Contact fields written (Set field nodes).
    #[ts(type = "Record<string, unknown> | null")]
    pub changes: Option<BTreeMap<String, Value>>,
    /// Wall time of the step.
    pub duration_ms: u64,
    /// Error, if the step failed.
    pub error: Option<StepError>,
}

impl Step {
    /// A step of node `node` (of type `kind`) that did not do its work: `status` (an error, or
    /// skipped) and why, nothing else.
    pub fn stopped(
        node: impl Into<String>,
        kind: impl Into<String>,
        status: StepStatus,
        error: StepError,
    ) -> Step {
        Step {
            node: node.into(),
            kind: kind.into(),
            status,
            branch: None,
            request: None,
            response: None,
            changes: None,
            duration_ms: 0,
            error: Some(error),
        }
    }
}

/// The trace of a whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RunTrace {
    /// Run identifier (`${run.id}`).
    pub run_id: String,
    /// Workflow name.
    pub workflow: String,
    /// How the run ended.
    pub status: RunStatus,
    /// Steps in execution order.
    pub steps: Vec<Step>,
    /// The contact after the run (Set field writes applied).
    pub contact: Contact,
    /// Node to resume at when `status` is `waiting`.
    pub resume_at: Option<String>,
    /// What a waiting run needs to go on, for [`Engine::resume`](crate::runner::Engine::resume);
    /// kept by the caller, not part of the printed or stored trace.
    #[serde(skip)]
    #[ts(skip)]
    pub suspension: Option<Suspension>,
}

/// Where a waiting run stopped and what its expressions read at that moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suspension {
    /// The Wait or Wait-for-event node the run stopped at.
    pub node: String,
    /// The Wait's duration, or the Wait for event's timeout, in milliseconds.
    pub wait_ms: u64,
    /// The event alias a Wait for event waits for (`None` for a Wait).
    pub alias: Option<String>,
    /// What `${event}`, `${data}`, `${response}`, `${error}` and `${run}` held.
    pub state: Value,
}
