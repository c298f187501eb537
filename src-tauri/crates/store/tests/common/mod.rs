//! Helpers shared by the store's integration tests: a store on a real file in a temporary
//! folder, and small instances of the engine's model types.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use hookboard_engine::model::{Contact, Webhook, Workflow};
use hookboard_engine::trace::{
    RunStatus, RunTrace, Step, StepError, StepStatus, TracedRequest, TracedResponse,
};
use hookboard_store::Store;
use serde_json::json;

/// What every test returns, so `?` works on store calls.
pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A store on `hookboard.db` in a fresh temporary folder (kept alive by the returned guard).
pub fn temp_store() -> Result<(tempfile::TempDir, PathBuf, Store), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("hookboard.db");
    let store = Store::open(&path)?;
    Ok((dir, path, store))
}

/// A small workflow: a manual trigger wired to an HTTP request.
pub fn workflow(name: &str, description: &str) -> Workflow {
    serde_json::from_value(json!({
        "name": name,
        "description": description,
        "nodes": [
            {"id": "start", "kind": "manual_trigger", "position": {"x": 0.0, "y": 0.0}},
            {"id": "call", "kind": "http_request", "position": {"x": 200.0, "y": 0.0},
             "params": {"webhook": "WH1"}}
        ],
        "edges": [{"from": "start", "port": "next", "to": "call"}]
    }))
    .unwrap_or_else(|e| panic!("test workflow does not deserialize: {e}"))
}

/// A webhook named `name` posting to `url`.
pub fn webhook(name: &str, url: &str) -> Webhook {
    serde_json::from_value(json!({
        "name": name,
        "description": "create the contact in the CRM",
        "method": "POST",
        "url": url,
        "headers": [{"name": "X-Source", "value": "hookboard"}],
        "body": {"kind": "json", "template": "{\"email\": ${contact.email}}"},
        "connector": "crm"
    }))
    .unwrap_or_else(|e| panic!("test webhook does not deserialize: {e}"))
}

/// A contact with an email and a name.
pub fn contact(email: &str, first: &str, last: &str) -> Contact {
    Contact {
        email: Some(email.to_string()),
        first_name: Some(first.to_string()),
        last_name: Some(last.to_string()),
        ..Contact::default()
    }
}

/// A two-step trace: an HTTP request with its response, then a failed step.
pub fn trace(run_id: &str, workflow: &str, status: RunStatus, contact_id: &str) -> RunTrace {
    let mut changes = BTreeMap::new();
    changes.insert("custom.score".to_string(), json!(42));
    RunTrace {
        run_id: run_id.to_string(),
        workflow: workflow.to_string(),
        status,
        steps: vec![
            Step {
                node: "call".to_string(),
                kind: "http_request".to_string(),
                status: StepStatus::Ok,
                branch: Some("response".to_string()),
                request: Some(TracedRequest {
                    method: "POST".to_string(),
                    url: "https://crm.example.com/contacts?x=1".to_string(),
                    headers: vec![("Authorization".to_string(), "Bearer •••".to_string())],
                    body: Some("{\"email\":\"ada@example.com\"}".to_string()),
                }),
                response: Some(TracedResponse {
                    status: 201,
                    headers: vec![("content-type".to_string(), "application/json".to_string())],
                    body: "{\"id\":7}".to_string(),
                    body_truncated: false,
                    parsed: json!({"id": 7}),
                    attempts: 2,
                }),
                changes: None,
                duration_ms: 120,
                error: None,
            },
            Step {
                node: "score".to_string(),
                kind: "set_field".to_string(),
                status: StepStatus::Error,
                branch: None,
                request: None,
                response: None,
                changes: Some(changes),
                duration_ms: 1,
                error: Some(StepError {
                    kind: "template".to_string(),
                    message: "unknown variable `x`".to_string(),
                }),
            },
        ],
        contact: Contact {
            id: contact_id.to_string(),
            email: Some("ada@example.com".to_string()),
            ..Contact::default()
        },
        resume_at: None,
        suspension: None,
    }
}
