//! Webhooks: save with the engine's checks, soft delete, the deleted list and restore.

use hookboard_engine::model::Webhook;
use hookboard_store::DeletedWebhook;

use crate::workspace::CurlPaste;
use tauri::State;

use super::CommandResult;
use crate::AppState;

/// Creates (`create: true`, refused when the name is taken) or replaces a webhook. A field
/// the engine refuses (the HTTPS rule, a bad template) comes back as `invalid` with `path`
/// naming it; nothing is saved then.
#[tauri::command]
pub async fn save_webhook(
    state: State<'_, AppState>,
    webhook: Webhook,
    create: bool,
) -> CommandResult<()> {
    Ok(state.workspace.save_webhook(&webhook, create)?)
}

/// Moves the webhook named `name` to the deleted list; returns its id there.
#[tauri::command]
pub async fn delete_webhook(state: State<'_, AppState>, name: String) -> CommandResult<String> {
    Ok(state.workspace.store().delete_webhook(&name)?)
}

/// Deleted webhooks, most recently deleted first.
#[tauri::command]
pub async fn list_deleted_webhooks(
    state: State<'_, AppState>,
) -> CommandResult<Vec<DeletedWebhook>> {
    Ok(state.workspace.store().list_deleted_webhooks()?)
}

/// Restores a deleted webhook (refused when an active webhook has its name).
#[tauri::command]
pub async fn restore_webhook(state: State<'_, AppState>, id: String) -> CommandResult<Webhook> {
    Ok(state.workspace.store().restore_webhook(&id)?)
}

/// Parses a pasted cURL command into an unsaved webhook; errors name the option at fault.
#[tauri::command]
pub async fn paste_curl(state: State<'_, AppState>, command: String) -> CommandResult<CurlPaste> {
    Ok(state.workspace.paste_curl(&command)?)
}

/// Saves the credentials of a pasted cURL command as connector `name`, the secret in the
/// OS keyring (refused with `keyring_unavailable` when none is reachable).
#[tauri::command]
pub async fn save_curl_credentials(
    state: State<'_, AppState>,
    command: String,
    name: String,
) -> CommandResult<()> {
    let keyring = state.keyring.get()?;
    Ok(state
        .workspace
        .save_curl_credentials(&command, &name, keyring.as_ref())?)
}

/// The webhook as a cURL command, the connector's secret written as `•••`.
#[tauri::command]
pub async fn webhook_to_curl(
    state: State<'_, AppState>,
    webhook: Webhook,
) -> CommandResult<String> {
    Ok(state.workspace.webhook_to_curl(&webhook)?)
}
