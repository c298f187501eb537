//! Webhooks, keyed by their unique name, with soft delete: a deleted webhook moves to the
//! "deleted" list and can be restored unless an active webhook has taken its name.

use chrono::{DateTime, Utc};
use hookboard_engine::model::Webhook;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Store;
use crate::codec::{format_time, from_json, new_id, now, parse_time, to_json};
use crate::error::{Result, StoreError};
use crate::workflows::check_name;

/// A webhook in the "deleted" list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DeletedWebhook {
    /// Id to restore it by (several deleted webhooks may share a name).
    pub id: String,
    /// The webhook as it was when deleted.
    pub webhook: Webhook,
    /// When it was deleted.
    #[ts(type = "string")]
    pub deleted_at: DateTime<Utc>,
}

const ENTITY: &str = "webhook";
const WHAT: &str = "webhook";

fn active_id(conn: &Connection, name: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT id FROM webhooks WHERE name = ?1 AND deleted_at IS NULL")?
        .query_row([name], |row| row.get(0))
        .optional()?)
}

fn insert(conn: &Connection, webhook: &Webhook) -> Result<()> {
    let at = format_time(now());
    conn.prepare_cached(
        "INSERT INTO webhooks (id, name, definition, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![new_id(), webhook.name, to_json(webhook, WHAT)?, at])?;
    Ok(())
}

/// Creates the webhook, or replaces the active one with the same name, on `conn` (which
/// should be inside a transaction).
pub(crate) fn upsert_on(conn: &Connection, webhook: &Webhook) -> Result<()> {
    check_name("webhook name", &webhook.name)?;
    match active_id(conn, &webhook.name)? {
        Some(id) => {
            conn.prepare_cached(
                "UPDATE webhooks SET definition = ?2, updated_at = ?3 WHERE id = ?1",
            )?
            .execute(params![id, to_json(webhook, WHAT)?, format_time(now())])?;
            Ok(())
        }
        None => insert(conn, webhook),
    }
}

impl Store {
    /// Creates a webhook; fails if an active webhook already has its name.
    pub fn create_webhook(&self, webhook: &Webhook) -> Result<()> {
        check_name("webhook name", &webhook.name)?;
        self.with_tx(|tx| {
            if active_id(tx, &webhook.name)?.is_some() {
                return Err(StoreError::exists(ENTITY, &webhook.name));
            }
            insert(tx, webhook)
        })
    }

    /// Creates the webhook, or replaces the active one with the same name.
    pub fn upsert_webhook(&self, webhook: &Webhook) -> Result<()> {
        self.with_tx(|tx| upsert_on(tx, webhook))
    }

    /// The active webhook named `name`.
    pub fn get_webhook(&self, name: &str) -> Result<Webhook> {
        self.with_conn(|conn| {
            let definition: String = conn
                .prepare_cached(
                    "SELECT definition FROM webhooks WHERE name = ?1 AND deleted_at IS NULL",
                )?
                .query_row([name], |row| row.get(0))
                .optional()?
                .ok_or_else(|| StoreError::not_found(ENTITY, name))?;
            from_json(&definition, WHAT)
        })
    }

    /// Active webhooks, by name.
    pub fn list_webhooks(&self) -> Result<Vec<Webhook>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT definition FROM webhooks WHERE deleted_at IS NULL ORDER BY name",
            )?;
            let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(from_json(&row?, WHAT)?);
            }
            Ok(out)
        })
    }

    /// Moves the active webhook named `name` to the deleted list; returns its id there.
    pub fn delete_webhook(&self, name: &str) -> Result<String> {
        self.with_tx(|tx| {
            let id = active_id(tx, name)?.ok_or_else(|| StoreError::not_found(ENTITY, name))?;
            tx.prepare_cached("UPDATE webhooks SET deleted_at = ?2 WHERE id = ?1")?
                .execute(params![id, format_time(now())])?;
            Ok(id)
        })
    }

    /// Deleted webhooks, most recently deleted first.
    pub fn list_deleted_webhooks(&self) -> Result<Vec<DeletedWebhook>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, definition, deleted_at FROM webhooks WHERE deleted_at IS NOT NULL
                 ORDER BY deleted_at DESC, rowid DESC",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, definition, deleted_at) = row?;
                out.push(DeletedWebhook {
                    id,
                    webhook: from_json(&definition, WHAT)?,
                    deleted_at: parse_time(&deleted_at, WHAT)?,
                });
            }
            Ok(out)
        })
    }

    /// Restores the deleted webhook with id `id`; fails if an active webhook has its name.
    pub fn restore_webhook(&self, id: &str) -> Result<Webhook> {
        self.with_tx(|tx| {
            let definition: String = tx
                .prepare_cached(
                    "SELECT definition FROM webhooks WHERE id = ?1 AND deleted_at IS NOT NULL",
                )?
                .query_row([id], |row| row.get(0))
                .optional()?
                .ok_or_else(|| StoreError::id_not_found("deleted webhook", id))?;
            let webhook: Webhook = from_json(&definition, WHAT)?;
            if active_id(tx, &webhook.name)?.is_some() {
                return Err(StoreError::exists(ENTITY, &webhook.name));
            }
            tx.prepare_cached(
                "UPDATE webhooks SET deleted_at = NULL, updated_at = ?2 WHERE id = ?1",
            )?
            .execute(params![id, format_time(now())])?;
            Ok(webhook)
        })
    }

    /// Removes a deleted webhook for good (an active one cannot be purged).
    pub fn purge_webhook(&self, id: &str) -> Result<()> {
        self.with_conn(|conn| {
            let n = conn
                .prepare_cached("DELETE FROM webhooks WHERE id = ?1 AND deleted_at IS NOT NULL")?
                .execute([id])?;
            if n == 0 {
                return Err(StoreError::id_not_found("deleted webhook", id));
            }
            Ok(())
        })
    }
}
