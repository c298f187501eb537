//! The workspace's webhooks, reception event definitions and connectors, as lists.

use hookboard_engine::model::{Connector, EventDefinition, Webhook};
use tauri::State;

use super::CommandResult;
use crate::AppState;

/// Active webhooks, by name.
#[tauri::command]
pub async fn list_webhooks(state: State<'_, AppState>) -> CommandResult<Vec<Webhook>> {
    Ok(state.workspace.store().list_webhooks()?)
}

/// Reception event definitions, by alias.
#[tauri::command]
pub async fn list_event_definitions(
    state: State<'_, AppState>,
) -> CommandResult<Vec<EventDefinition>> {
    Ok(state.workspace.store().list_event_definitions()?)
}

/// Connectors (without secrets), by name.
#[tauri::command]
pub async fn list_connectors(state: State<'_, AppState>) -> CommandResult<Vec<Connector>> {
    Ok(state.workspace.store().list_connectors()?)
}
