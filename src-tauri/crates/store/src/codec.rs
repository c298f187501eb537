//! Conversions between Rust values and column values: timestamps, JSON, enum tags.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Result, StoreError};

/// The current time, truncated to what the database keeps (milliseconds).
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// RFC 3339 UTC with milliseconds: sorts correctly as text.
pub(crate) fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Reads a timestamp column.
pub(crate) fn parse_time(text: &str, what: &'static str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt {
            what,
            message: format!("bad timestamp `{text}`: {e}"),
        })
}

/// Reads an optional timestamp column.
pub(crate) fn parse_opt_time(
    text: Option<String>,
    what: &'static str,
) -> Result<Option<DateTime<Utc>>> {
    text.map(|t| parse_time(&t, what)).transpose()
}

/// Encodes a value for a JSON column.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T, what: &'static str) -> Result<String> {
    serde_json::to_string(value).map_err(|source| StoreError::Encode { what, source })
}

/// Decodes a JSON column.
pub(crate) fn from_json<T: DeserializeOwned>(text: &str, what: &'static str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        message: e.to_string(),
    })
}

/// The serde tag of a unit enum variant (`RunStatus::Completed` -> `completed`).
pub(crate) fn tag<T: Serialize>(value: &T, what: &'static str) -> Result<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        Ok(other) => Err(StoreError::Corrupt {
            what,
            message: format!("expected a string tag, got {other}"),
        }),
        Err(source) => Err(StoreError::Encode { what, source }),
    }
}

/// The unit enum variant of a serde tag read from a column.
pub(crate) fn untag<T: DeserializeOwned>(text: &str, what: &'static str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).map_err(|e| {
        StoreError::Corrupt {
            what,
            message: e.to_string(),
        }
    })
}

/// A fresh random identifier.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A `usize` as an SQLite integer, saturating (limits and offsets).
pub(crate) fn sql_int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
