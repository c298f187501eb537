//! The Hookboard desktop app: wires the engine, store and secrets crates into a Tauri window.
//!
//! `lib.rs` builds the app and its state; `commands/` holds the thin Tauri commands (one file
//! per area: deserialize, call one [`workspace::Workspace`] or store function, map the error to
//! [`error::ApiError`]); `workspace` holds the workspace-level logic, free of Tauri.
//!
//! # Environment variables
//!
//! - `HOOKBOARD_DATA_DIR`: the folder of the database and settings, instead of the OS app
//!   data folder (the end-to-end tests use a fresh temporary folder).
//! - `HOOKBOARD_DIALOG_PATH`: see [`commands::bundle`]; export and import use this file
//!   instead of a native dialog (WebDriver cannot drive native dialogs).

pub mod commands;
pub mod error;
pub mod secrets;
pub mod webview;
pub mod workspace;

use std::path::PathBuf;

use tauri::Manager;

use crate::secrets::Keyring;
use crate::workspace::Workspace;

/// The environment variable that overrides the data folder.
pub const DATA_DIR_ENV: &str = "HOOKBOARD_DATA_DIR";

/// What every command can reach: the workspace and the keyring.
#[derive(Debug)]
pub struct AppState {
    /// The workspace (store and desktop settings).
    pub workspace: Workspace,
    /// The OS keyring, connected on first use.
    pub keyring: Keyring,
    /// Test requests in flight, for cancelling them.
    pub tests: commands::testing::TestsInFlight,
    /// The local receiver of inbound events, when started.
    pub receiver: commands::receiver::LocalReceiverState,
}

/// The data folder: `HOOKBOARD_DATA_DIR` when set, else the OS app data folder.
fn data_dir(app: &tauri::AppHandle) -> tauri::Result<PathBuf> {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => app.path().app_data_dir(),
    }
}

/// Starts the desktop app and blocks until its window is closed; call it from `main` before
/// starting any thread (it may set environment variables for WebKit). Fails when the window
/// cannot be created or the workspace database cannot be opened.
pub fn run() -> tauri::Result<()> {
    let cpu_painting = webview::prepare_environment();
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| {
            let dir = data_dir(app.handle())?;
            let workspace = Workspace::open(&dir)?;
            if let Err(err) = workspace.seed_demo_if_new() {
                eprintln!("hookboard: the demo workspace could not be created: {err}");
            }
            app.manage(AppState {
                workspace,
                keyring: Keyring::default(),
                tests: commands::testing::TestsInFlight::default(),
                receiver: commands::receiver::LocalReceiverState::new(dir.join(workspace::DB_FILE)),
            });
            if let Some(window) = app.get_webview_window("main") {
                webview::tune(&window, cpu_painting)?;
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::catalogue::catalogue,
            commands::workflows::list_workflows,
            commands::workflows::get_workflow,
            commands::workflows::create_workflow,
            commands::workflows::save_workflow,
            commands::workflows::rename_workflow,
            commands::workflows::duplicate_workflow,
            commands::workflows::delete_workflow,
            commands::workflows::list_revisions,
            commands::workflows::restore_revision,
            commands::workflows::validate_workflow,
            commands::records::list_webhooks,
            commands::records::list_event_definitions,
            commands::records::list_connectors,
            commands::environments::list_environments,
            commands::environments::save_environment,
            commands::environments::delete_environment,
            commands::environments::get_active_environment,
            commands::environments::set_active_environment,
            commands::bundle::export_bundle,
            commands::bundle::import_bundle,
            commands::secrets::set_connector_secret,
            commands::demo::delete_demo_workspace,
            commands::webhooks::save_webhook,
            commands::webhooks::delete_webhook,
            commands::webhooks::list_deleted_webhooks,
            commands::webhooks::restore_webhook,
            commands::webhooks::paste_curl,
            commands::webhooks::save_curl_credentials,
            commands::webhooks::webhook_to_curl,
            commands::connectors::list_connector_infos,
            commands::connectors::save_connector,
            commands::connectors::delete_connector,
            commands::contacts::search_contacts,
            commands::contacts::contact_card,
            commands::contacts::list_groups,
            commands::contacts::import_contacts,
            commands::segments::list_segments,
            commands::segments::save_segment,
            commands::segments::delete_segment,
            commands::events::list_received_events,
            commands::events::list_rejected_events,
            commands::events::create_manual_event,
            commands::events::save_event_definition,
            commands::events::delete_event_definition,
            commands::testing::preview_request,
            commands::testing::send_test,
            commands::testing::cancel_test,
            commands::testing::test_run,
            commands::testing::list_runs,
            commands::testing::get_run,
            commands::receiver::start_local_receiver,
            commands::receiver::stop_local_receiver,
            commands::receiver::local_receiver_status,
        ])
        .run(tauri::generate_context!())
}
