//! Connector secrets, kept in the OS keyring only.

use hookboard_secrets::SecretString;
use tauri::State;

use super::CommandResult;
use crate::AppState;

/// Stores the secret of connector `name` in the OS keyring. When no keyring (Secret Service)
/// is reachable this fails with code `keyring_unavailable` and says so: nothing is saved
/// anywhere else.
#[tauri::command]
pub async fn set_connector_secret(
    state: State<'_, AppState>,
    name: String,
    secret: String,
) -> CommandResult<()> {
    let keyring = state.keyring.get()?;
    let secret = SecretString::from(secret);
    Ok(state
        .workspace
        .set_connector_secret(keyring.as_ref(), &name, &secret)?)
}
