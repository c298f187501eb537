//! Test requests and test runs (SPEC 5): preview, send (cancellable), run a whole workflow,
//! and the runs kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use hookboard_engine::model::Workflow;
use hookboard_engine::trace::{RunTrace, StepError, TracedRequest};
use hookboard_secrets::SecretStore;
use hookboard_store::{RunFilter, RunSummary, StoredRun};
use serde::Serialize;
use tauri::State;
use tokio::sync::oneshot;
use ts_rs::TS;

use super::CommandResult;
use crate::AppState;
use crate::error::ApiError;
use crate::workspace::{TestOutcome, TestSubject, TestTarget};

/// How many past test runs of a workflow are listed.
const PAST_RUNS: usize = 50;

/// The test requests in flight, by the id the UI gave them, so they can be cancelled.
#[derive(Debug, Default)]
pub struct TestsInFlight {
    cancels: Mutex<HashMap<String, oneshot::Sender<()>>>,
}

impl TestsInFlight {
    fn start(&self, id: &str) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id.to_string(), tx);
        rx
    }

    fn finish(&self, id: &str) {
        self.lock().remove(id);
    }

    fn cancel(&self, id: &str) -> bool {
        self.lock().remove(id).is_some_and(|tx| tx.send(()).is_ok())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<()>>> {
        self.cancels.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The keyring for connector secrets; without one, an empty store, so that a test still runs
/// and its step says which secret is missing.
fn connector_secrets(state: &AppState) -> Arc<dyn SecretStore> {
    match state.keyring.get() {
        Ok(keyring) => keyring,
        Err(_) => Arc::new(hookboard_secrets::MemorySecretStore::new()),
    }
}

/// A preview: the request as it would be sent, or why it cannot be rendered.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Preview {
    /// The rendered request, credentials as `•••`.
    pub request: Option<TracedRequest>,
    /// Why it cannot be rendered (an unknown variable, a bad URL...).
    pub error: Option<StepError>,
}

/// The request a target would send for a subject, without sending it.
#[tauri::command]
pub async fn preview_request(
    state: State<'_, AppState>,
    target: TestTarget,
    subject: TestSubject,
) -> CommandResult<Preview> {
    Ok(match state.workspace.preview_request(&target, &subject)? {
        Ok(request) => Preview {
            request: Some(request),
            error: None,
        },
        Err(error) => Preview {
            request: None,
            error: Some(error),
        },
    })
}

/// Sends a target's request for a subject and routes the response through the following
/// Response switch. `test_id` names the test for [`cancel_test`]; a cancelled test fails
/// with code `cancelled`.
#[tauri::command]
pub async fn send_test(
    state: State<'_, AppState>,
    test_id: String,
    target: TestTarget,
    subject: TestSubject,
) -> CommandResult<TestOutcome> {
    let secrets = connector_secrets(&state);
    let cancelled = state.tests.start(&test_id);
    let result = tokio::select! {
        outcome = state.workspace.send_test(&target, &subject, secrets.as_ref()) => outcome.map_err(ApiError::from),
        _ = cancelled => Err(ApiError::new("cancelled", "The test was cancelled; nothing more was sent.")),
    };
    state.tests.finish(&test_id);
    result
}

/// Cancels the test request `test_id`; returns whether it was still in flight.
#[tauri::command]
pub async fn cancel_test(state: State<'_, AppState>, test_id: String) -> CommandResult<bool> {
    Ok(state.tests.cancel(&test_id))
}

/// Runs a workflow (as in the editor) for a subject through the engine and keeps the run.
#[tauri::command]
pub async fn test_run(
    state: State<'_, AppState>,
    workflow: Workflow,
    subject: TestSubject,
) -> CommandResult<RunTrace> {
    let secrets = connector_secrets(&state);
    Ok(state
        .workspace
        .test_run(&workflow, &subject, secrets.as_ref())
        .await?)
}

/// The most recent runs of a workflow, newest first.
#[tauri::command]
pub async fn list_runs(
    state: State<'_, AppState>,
    workflow: String,
) -> CommandResult<Vec<RunSummary>> {
    Ok(state.workspace.store().list_runs(&RunFilter {
        workflow: Some(workflow),
        limit: PAST_RUNS,
        ..RunFilter::default()
    })?)
}

/// One run with its steps.
#[tauri::command]
pub async fn get_run(state: State<'_, AppState>, id: String) -> CommandResult<StoredRun> {
    Ok(state.workspace.store().get_run(&id)?)
}
