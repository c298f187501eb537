//! Environments (named variable sets, `${env.NAME}`) and which one is active.

use hookboard_engine::model::Environment;
use tauri::State;

use super::CommandResult;
use crate::AppState;

/// Every environment, by name.
#[tauri::command]
pub async fn list_environments(state: State<'_, AppState>) -> CommandResult<Vec<Environment>> {
    Ok(state.workspace.store().list_environments()?)
}

/// Creates or replaces an environment.
#[tauri::command]
pub async fn save_environment(
    state: State<'_, AppState>,
    environment: Environment,
) -> CommandResult<()> {
    Ok(state.workspace.save_environment(&environment)?)
}

/// Deletes environment `name` (no environment is active after, if it was the active one).
#[tauri::command]
pub async fn delete_environment(state: State<'_, AppState>, name: String) -> CommandResult<()> {
    Ok(state.workspace.delete_environment(&name)?)
}

/// The name of the active environment, or `null`.
#[tauri::command]
pub async fn get_active_environment(state: State<'_, AppState>) -> CommandResult<Option<String>> {
    Ok(state.workspace.active_environment())
}

/// Makes environment `name` active; `null` makes none active.
#[tauri::command]
pub async fn set_active_environment(
    state: State<'_, AppState>,
    name: Option<String>,
) -> CommandResult<()> {
    Ok(state.workspace.set_active_environment(name.as_deref())?)
}
