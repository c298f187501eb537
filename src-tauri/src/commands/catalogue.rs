//! The node catalogue the editor builds its palette and inspector from.

use hookboard_engine::catalogue::NodeTypeSpec;

use super::CommandResult;

/// Every node type with its ports and parameters.
#[tauri::command]
pub async fn catalogue() -> CommandResult<Vec<NodeTypeSpec>> {
    Ok(hookboard_engine::catalogue::catalogue())
}
