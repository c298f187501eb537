//! The Tauri commands, one file per area. Each deserializes its arguments (camelCase on the
//! JavaScript side, as Tauri does), calls one workspace or store function and maps its error
//! to [`ApiError`](crate::error::ApiError).

pub mod bundle;
pub mod catalogue;
pub mod demo;
pub mod environments;
pub mod records;
pub mod secrets;
pub mod workflows;

/// What every command returns.
pub type CommandResult<T> = Result<T, crate::error::ApiError>;
