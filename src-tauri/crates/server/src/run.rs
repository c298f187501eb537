//! `hookboard-server run`: one run of one workflow, its trace printed as JSON.

use std::io::Read;
use std::path::{Path, PathBuf};

use hookboard_engine::http::HttpPolicy;
use hookboard_engine::model::{Contact, Event};
use hookboard_engine::runner::{Engine, RunOptions, WaitMode};
use hookboard_engine::trace::{RunStatus, RunTrace};
use hookboard_engine::validate::ValidationOptions;
use serde_json::Value;

use crate::bundle::{environment_variables, load_bundle, secret_sources};

/// What `run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Bundle file or directory.
    pub bundle: PathBuf,
    /// Workflow name.
    pub workflow: String,
    /// Event file (`-` for standard input).
    pub event: Option<PathBuf>,
    /// Contact file.
    pub contact: Option<PathBuf>,
    /// Secrets file (JSON object: connector name → secret).
    pub secrets_file: Option<PathBuf>,
    /// Environment name.
    pub env: Option<String>,
    /// Accept `http://` URLs to any host.
    pub allow_insecure_http: bool,
}

/// Bad input: the message says which file or name is wrong and how. Exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

fn read_json(path: &Path, what: &str) -> Result<Value, InputError> {
    let text = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| InputError(format!("cannot read the {what} from standard input: {e}")))?;
        text
    } else {
        std::fs::read_to_string(path).map_err(|e| {
            InputError(format!(
                "cannot read the {what} file {}: {e}",
                path.display()
            ))
        })?
    };
    serde_json::from_str(&text).map_err(|e| {
        InputError(format!(
            "the {what} in {} is not valid JSON: line {} column {}: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

/// An event file holds either `{"alias", "source", "payload"}` or just the payload.
fn to_event(value: Value) -> Event {
    let is_envelope = value.as_object().is_some_and(|map| {
        map.contains_key("payload")
            && map
                .keys()
                .all(|k| matches!(k.as_str(), "alias" | "source" | "payload"))
    });
    if is_envelope && let Ok(event) = serde_json::from_value::<Event>(value.clone()) {
        return event;
    }
    Event {
        alias: String::new(),
        source: "manual".into(),
        payload: value,
    }
}

/// Loads everything, runs the workflow and returns its trace; bad input is an [`InputError`].
pub async fn run(request: &RunRequest) -> Result<RunTrace, InputError> {
    let options = ValidationOptions {
        allow_insecure_http: request.allow_insecure_http,
    };
    let (bundle, warnings) =
        load_bundle(&request.bundle, options).map_err(|e| InputError(e.to_string()))?;
    for warning in warnings {
        tracing::warn!(path = %warning.path, "{}", warning.message);
    }
    let workflow = bundle.workflow(&request.workflow).ok_or_else(|| {
        let names: Vec<&str> = bundle.workflows.iter().map(|w| w.name.as_str()).collect();
        InputError(format!(
            "no workflow named `{}` in {}; it has: {}",
            request.workflow,
            request.bundle.display(),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ))
    })?;
    let mut event = match &request.event {
        Some(path) => to_event(read_json(path, "event")?),
        None => Event {
            source: "manual".into(),
            payload: Value::Object(Default::default()),
            ..Event::default()
        },
    };
    if event.alias.is_empty()
        && let Some(trigger) = workflow
            .nodes
            .iter()
            .find(|n| n.kind == hookboard_engine::catalogue::kinds::TRIGGER_EVENT)
        && let Some(alias) = trigger.params.get("alias").and_then(Value::as_str)
    {
        event.alias = alias.to_string();
    }
    let contact = match &request.contact {
        Some(path) => {
            let value = read_json(path, "contact")?;
            serde_json::from_value::<Contact>(value).map_err(|e| {
                InputError(format!(
                    "the contact in {} is not a contact: {e}",
                    path.display()
                ))
            })?
        }
        None => {
            let email_field = bundle
                .event_definitions
                .iter()
                .find(|d| d.alias == event.alias)
                .map(|d| d.email_field.as_str())
                .unwrap_or("email");
            Contact {
                id: "cli".into(),
                email: event
                    .payload
                    .get(email_field)
                    .and_then(Value::as_str)
                    .map(str::to_string),
                ..Contact::default()
            }
        }
    };
    let env = environment_variables(&bundle, request.env.as_deref(), &request.bundle)
        .map_err(InputError)?;
    let secrets = secret_sources(request.secrets_file.as_deref()).map_err(InputError)?;
    let engine = Engine::new(HttpPolicy {
        allow_insecure_http: request.allow_insecure_http,
        ..HttpPolicy::default()
    })
    .map_err(|e| InputError(e.to_string()))?;
    let options = RunOptions {
        env,
        wait_mode: WaitMode::Sleep,
        ..RunOptions::default()
    };
    Ok(engine
        .run(&bundle, workflow, &secrets, contact, event, &options)
        .await)
}

/// The process exit code for a finished run: 0 completed or waiting, 1 failed (or aborted,
/// which a one-shot run never is).
pub fn exit_code(trace: &RunTrace) -> i32 {
    match trace.status {
        RunStatus::Completed | RunStatus::Waiting => 0,
        RunStatus::Failed | RunStatus::Aborted => 1,
    }
}
