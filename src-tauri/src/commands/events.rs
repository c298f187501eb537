//! Events: received and rejected events, events typed by hand, and reception event
//! definitions.

use hookboard_engine::model::EventDefinition;
use hookboard_store::{RejectedEvent, StoredEvent};
use tauri::State;

use super::CommandResult;
use crate::AppState;
use crate::workspace::RECENT_EVENTS;

/// The most recently received events of every alias, newest first.
#[tauri::command]
pub async fn list_received_events(state: State<'_, AppState>) -> CommandResult<Vec<StoredEvent>> {
    Ok(state.workspace.store().list_recent_events(RECENT_EVENTS)?)
}

/// Rejected events with their reason, newest first.
#[tauri::command]
pub async fn list_rejected_events(state: State<'_, AppState>) -> CommandResult<Vec<RejectedEvent>> {
    Ok(state
        .workspace
        .store()
        .list_rejected_events(None, RECENT_EVENTS)?)
}

/// Stores an event typed by hand as JSON (source `manual`); a JSON syntax error names its
/// line and column.
#[tauri::command]
pub async fn create_manual_event(
    state: State<'_, AppState>,
    alias: String,
    json: String,
) -> CommandResult<StoredEvent> {
    Ok(state.workspace.create_manual_event(&alias, &json)?)
}

/// Creates or replaces a reception event definition after the engine's checks.
#[tauri::command]
pub async fn save_event_definition(
    state: State<'_, AppState>,
    definition: EventDefinition,
) -> CommandResult<()> {
    Ok(state.workspace.save_event_definition(&definition)?)
}

/// Deletes a reception event definition (its received events stay).
#[tauri::command]
pub async fn delete_event_definition(
    state: State<'_, AppState>,
    alias: String,
) -> CommandResult<()> {
    Ok(state.workspace.store().delete_event_definition(&alias)?)
}
