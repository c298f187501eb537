//! Contacts: search, the contact card, groups, and import from a file with progress.

use hookboard_engine::model::Contact;
use hookboard_store::{ContactQuery, GroupInfo};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use ts_rs::TS;

use super::CommandResult;
use super::bundle::{Dialog, pick_file};
use crate::AppState;
use crate::workspace::{ContactCard, ContactImportReport};

/// Progress of a contacts import: rows written of rows to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ImportProgress {
    /// Rows written so far.
    pub done: usize,
    /// Rows to write.
    pub total: usize,
}

/// Contacts whose email, name or phone contains `query.text`, in `query.group` if given.
#[tauri::command]
pub async fn search_contacts(
    state: State<'_, AppState>,
    query: ContactQuery,
) -> CommandResult<Vec<Contact>> {
    Ok(state.workspace.search_contacts(&query)?)
}

/// A contact with its fields, groups and the runs that touched it.
#[tauri::command]
pub async fn contact_card(state: State<'_, AppState>, id: String) -> CommandResult<ContactCard> {
    Ok(state.workspace.contact_card(&id)?)
}

/// Every group with its member count.
#[tauri::command]
pub async fn list_groups(state: State<'_, AppState>) -> CommandResult<Vec<GroupInfo>> {
    Ok(state.workspace.store().list_groups()?)
}

/// Asks for a CSV or JSON file and imports its contacts, reporting progress on
/// `on_progress`; returns the report (every bad row with its line: then nothing was
/// imported), or `null` when the dialog was cancelled.
#[tauri::command]
pub async fn import_contacts(
    app: AppHandle,
    state: State<'_, AppState>,
    on_progress: Channel<ImportProgress>,
) -> CommandResult<Option<ContactImportReport>> {
    let Some(path) = pick_file(app, Dialog::OpenContacts).await? else {
        return Ok(None);
    };
    let mut progress = |done, total| {
        // A closed window cannot show progress; the import goes on regardless.
        let _ = on_progress.send(ImportProgress { done, total });
    };
    Ok(Some(
        state.workspace.import_contacts_from(&path, &mut progress)?,
    ))
}
