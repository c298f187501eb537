//! Segments: saved filters over contact fields and groups (see [`hookboard_store::Segment`]).
//! Contacts are filtered by one through `search_contacts`' `query.segment`.

use hookboard_store::Segment;
use tauri::State;

use super::CommandResult;
use crate::AppState;

/// Every segment, by name.
#[tauri::command]
pub async fn list_segments(state: State<'_, AppState>) -> CommandResult<Vec<Segment>> {
    Ok(state.workspace.store().list_segments()?)
}

/// Creates or replaces segment `segment.name` and returns it as stored. With `previous_name`
/// (another name) it renames that segment. An invalid segment is refused with the field it
/// concerns (`name`, `conditions[0].value`).
#[tauri::command]
pub async fn save_segment(
    state: State<'_, AppState>,
    segment: Segment,
    previous_name: Option<String>,
) -> CommandResult<Segment> {
    Ok(state
        .workspace
        .store()
        .upsert_segment(&segment, previous_name.as_deref())?)
}

/// Deletes segment `name`; its contacts are untouched.
#[tauri::command]
pub async fn delete_segment(state: State<'_, AppState>, name: String) -> CommandResult<()> {
    Ok(state.workspace.store().delete_segment(&name)?)
}
