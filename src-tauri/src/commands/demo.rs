//! The demo workspace seeded on first start.

use tauri::State;

use super::CommandResult;
use crate::AppState;

/// Deletes the demo workflows, webhooks, connectors, event definitions, environments and
/// contacts; returns how many items were deleted.
#[tauri::command]
pub async fn delete_demo_workspace(state: State<'_, AppState>) -> CommandResult<usize> {
    Ok(state.workspace.delete_demo()?)
}
