//! Workflows: list, open, create, autosave, rename, duplicate, delete, history, validation.

use hookboard_engine::model::Workflow;
use hookboard_engine::validate::Issue;
use tauri::State;

use super::CommandResult;
use crate::AppState;
use crate::workspace::{Revision, SaveResult, WorkflowSummary};

/// Every workflow with its current revision, by name.
#[tauri::command]
pub async fn list_workflows(state: State<'_, AppState>) -> CommandResult<Vec<WorkflowSummary>> {
    Ok(state.workspace.list_workflows()?)
}

/// The current revision of workflow `name`.
#[tauri::command]
pub async fn get_workflow(state: State<'_, AppState>, name: String) -> CommandResult<Workflow> {
    Ok(state.workspace.store().get_workflow(&name)?)
}

/// A new workflow holding one Manual trigger, saved as revision 1.
#[tauri::command]
pub async fn create_workflow(state: State<'_, AppState>, name: String) -> CommandResult<Workflow> {
    Ok(state.workspace.create_workflow(&name)?)
}

/// Autosave: stores a new revision even when the workflow has errors and returns the
/// engine's validation problems beside the revision number. (Export refuses a workspace
/// with errors; saving never does, so no edit is lost.)
#[tauri::command]
pub async fn save_workflow(
    state: State<'_, AppState>,
    workflow: Workflow,
) -> CommandResult<SaveResult> {
    Ok(state.workspace.save_workflow(&workflow)?)
}

/// Renames workflow `from` to `to`; its revisions follow it.
#[tauri::command]
pub async fn rename_workflow(
    state: State<'_, AppState>,
    from: String,
    to: String,
) -> CommandResult<()> {
    Ok(state.workspace.store().rename_workflow(&from, &to)?)
}

/// Copies workflow `name` into a new workflow `newName` and returns the copy.
#[tauri::command]
pub async fn duplicate_workflow(
    state: State<'_, AppState>,
    name: String,
    new_name: String,
) -> CommandResult<Workflow> {
    Ok(state.workspace.duplicate_workflow(&name, &new_name)?)
}

/// Deletes workflow `name` with its revisions.
#[tauri::command]
pub async fn delete_workflow(state: State<'_, AppState>, name: String) -> CommandResult<()> {
    Ok(state.workspace.store().delete_workflow(&name)?)
}

/// The revisions of workflow `name`, newest first.
#[tauri::command]
pub async fn list_revisions(
    state: State<'_, AppState>,
    name: String,
) -> CommandResult<Vec<Revision>> {
    Ok(state.workspace.list_revisions(&name)?)
}

/// Makes revision `number` of workflow `name` current again (as a new revision) and returns
/// the workflow.
#[tauri::command]
pub async fn restore_revision(
    state: State<'_, AppState>,
    name: String,
    number: u32,
) -> CommandResult<Workflow> {
    Ok(state.workspace.restore_revision(&name, number)?)
}

/// The engine's validation of `workflow` against the workspace's webhooks, connectors, event
/// definitions and environments, without saving it.
#[tauri::command]
pub async fn validate_workflow(
    state: State<'_, AppState>,
    workflow: Workflow,
) -> CommandResult<Vec<Issue>> {
    Ok(state.workspace.validate_workflow(&workflow)?)
}
