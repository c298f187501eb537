//! Connectors: their public settings in the store, their secrets in the OS keyring only.

use hookboard_engine::model::Connector;
use hookboard_secrets::{SecretStore, SecretString};
use tauri::State;

use super::CommandResult;
use crate::AppState;
use crate::workspace::ConnectorInfo;

/// Every connector, with whether the keyring holds its secret (`null` without a keyring).
#[tauri::command]
pub async fn list_connector_infos(state: State<'_, AppState>) -> CommandResult<Vec<ConnectorInfo>> {
    let keyring = state.keyring.get().ok();
    let secrets = keyring.as_deref().map(|k| k as &dyn SecretStore);
    Ok(state.workspace.list_connector_infos(secrets)?)
}

/// Creates or updates a connector; `secret`, when given, replaces the secret in the keyring.
/// Without a reachable keyring a secret is refused (`keyring_unavailable`) before anything
/// is saved.
#[tauri::command]
pub async fn save_connector(
    state: State<'_, AppState>,
    connector: Connector,
    secret: Option<String>,
) -> CommandResult<()> {
    let secret = secret.filter(|s| !s.is_empty()).map(SecretString::from);
    let keyring = match &secret {
        Some(_) => Some(state.keyring.get()?),
        None => None,
    };
    let pair = secret
        .as_ref()
        .zip(keyring.as_deref().map(|k| k as &dyn SecretStore));
    Ok(state.workspace.save_connector(&connector, pair)?)
}

/// Deletes a connector and its keyring secret; refused while a webhook uses it.
#[tauri::command]
pub async fn delete_connector(state: State<'_, AppState>, name: String) -> CommandResult<()> {
    let keyring = state.keyring.get().ok();
    let secrets = keyring.as_deref().map(|k| k as &dyn SecretStore);
    Ok(state.workspace.delete_connector(&name, secrets)?)
}
