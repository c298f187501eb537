//! Export and import of the whole workspace as a `hookboard.bundle/v1` file, through the
//! native save and open dialogs.
//!
//! # `HOOKBOARD_DIALOG_PATH`
//!
//! When the environment variable `HOOKBOARD_DIALOG_PATH` is set (and not empty), no dialog
//! opens: export writes to that file and import reads from it. The end-to-end tests use it
//! because WebDriver cannot drive native dialogs.

use std::path::PathBuf;

use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use super::CommandResult;
use crate::AppState;
use crate::error::ApiError;
use crate::workspace::ImportReport;

/// The environment variable that replaces the native dialogs with a fixed file.
pub const DIALOG_PATH_ENV: &str = "HOOKBOARD_DIALOG_PATH";

/// Which dialog to show.
#[derive(Clone, Copy)]
pub(crate) enum Dialog {
    /// Save the workspace as a bundle.
    Save,
    /// Open a bundle.
    Open,
    /// Open a contacts file (CSV or JSON).
    OpenContacts,
}

/// The file chosen by the user (`None`: cancelled), or `HOOKBOARD_DIALOG_PATH`.
pub(crate) async fn pick_file(app: AppHandle, dialog: Dialog) -> CommandResult<Option<PathBuf>> {
    if let Some(path) = std::env::var_os(DIALOG_PATH_ENV).filter(|p| !p.is_empty()) {
        return Ok(Some(PathBuf::from(path)));
    }
    // The blocking dialog calls wait for the main thread, so they run off the async runtime.
    let picked = tauri::async_runtime::spawn_blocking(move || {
        let files = app.dialog().file();
        match dialog {
            Dialog::Save => files
                .add_filter("Hookboard bundle", &["json"])
                .set_file_name("hookboard.bundle.json")
                .blocking_save_file(),
            Dialog::Open => files
                .add_filter("Hookboard bundle", &["json"])
                .blocking_pick_file(),
            Dialog::OpenContacts => files
                .add_filter("Contacts (CSV or JSON)", &["csv", "json"])
                .blocking_pick_file(),
        }
    })
    .await
    .map_err(|e| ApiError::new("dialog", format!("the file dialog failed: {e}")))?;
    picked
        .map(|file| {
            file.into_path().map_err(|e| {
                ApiError::new(
                    "dialog",
                    format!("the chosen file is not a local path: {e}"),
                )
            })
        })
        .transpose()
}

/// Asks where to save, then writes the whole workspace there as a bundle; returns the path
/// written, or `null` when the dialog was cancelled. Refuses (code `invalid_bundle`, with
/// every problem in `issues`) before asking when the workspace has validation errors.
#[tauri::command]
pub async fn export_bundle(
    app: AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<Option<String>> {
    let text = state.workspace.export_bundle()?;
    let Some(path) = pick_file(app, Dialog::Save).await? else {
        return Ok(None);
    };
    crate::workspace::write_file(&path, &text)?;
    Ok(Some(path.display().to_string()))
}

/// Asks for a bundle file and imports it: every problem is reported (code `invalid_bundle`)
/// and nothing is imported unless the whole bundle is valid; then it is written in one
/// transaction. Returns what was imported and which connectors still need a secret, or
/// `null` when the dialog was cancelled.
#[tauri::command]
pub async fn import_bundle(
    app: AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<Option<ImportReport>> {
    let Some(path) = pick_file(app, Dialog::Open).await? else {
        return Ok(None);
    };
    // Without a reachable keyring every imported connector is reported as needing a secret.
    let keyring = state.keyring.get().ok();
    let secrets = keyring
        .as_deref()
        .map(|k| k as &dyn hookboard_secrets::SecretStore);
    Ok(Some(state.workspace.import_bundle_from(&path, secrets)?))
}
