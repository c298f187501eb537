//! The Tauri commands, one file per area. Each deserializes its arguments (camelCase on the
//! JavaScript side, as Tauri does), calls one workspace or store function and maps its error
//! to [`ApiError`](crate::error::ApiError).

pub mod bundle;
pub mod catalogue;
pub mod connectors;
pub mod contacts;
pub mod demo;
pub mod environments;
pub mod events;
pub mod receiver;
pub mod records;
pub mod secrets;
pub mod segments;
pub mod testing;
pub mod webhooks;
pub mod workflows;

/// What every command returns.
pub type CommandResult<T> = Result<T, crate::error::ApiError>;

/// The store's types that commands return are exported to `ui/src/bindings` here (the
/// store crate does not export TypeScript itself).
#[cfg(test)]
mod bindings {
    use ts_rs::{Config, ExportError, TS};

    #[test]
    fn store_types_returned_by_commands_are_exported() -> Result<(), ExportError> {
        let cfg = Config::from_env();
        hookboard_store::DeletedWebhook::export_all(&cfg)?;
        hookboard_store::StoredEvent::export_all(&cfg)?;
        hookboard_store::RejectedEvent::export_all(&cfg)?;
        hookboard_store::GroupInfo::export_all(&cfg)?;
        hookboard_store::ContactQuery::export_all(&cfg)?;
        hookboard_store::Segment::export_all(&cfg)?;
        hookboard_store::StoredRun::export_all(&cfg)?;
        hookboard_store::RunSummary::export_all(&cfg)?;
        Ok(())
    }
}
