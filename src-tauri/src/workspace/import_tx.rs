//! Writes a whole (already validated) bundle in one store transaction: every item or none.
//!
//! This is storage logic and belongs in `hookboard-store` (as `Store::import_bundle`); it
//! lives here only until the store offers a transactional bundle write, because the store's
//! own methods each take the connection and cannot be combined inside one [`Store::with_tx`].
//! It writes the store's schema (migrations 0001-0002) exactly as the store's methods do.

use chrono::{SecondsFormat, Utc};
use hookboard_engine::model::{
    Bundle, Connector, ConnectorAuth, Environment, EventDefinition, Webhook, Workflow,
};
use hookboard_store::{Store, StoreError};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

/// Writes every item of `bundle`, replacing items with the same name (a workflow gets a new
/// revision), in one transaction: on any error nothing is written.
pub(super) fn write_bundle(store: &Store, bundle: &Bundle) -> Result<(), StoreError> {
    store.with_tx(|tx| {
        let at = now();
        for definition in &bundle.event_definitions {
            upsert_event_definition(tx, definition, &at)?;
        }
        for connector in &bundle.connectors {
            upsert_connector(tx, connector, &at)?;
        }
        for webhook in &bundle.webhooks {
            upsert_webhook(tx, webhook, &at)?;
        }
        for environment in &bundle.environments {
            upsert_environment(tx, environment, &at)?;
        }
        for workflow in &bundle.workflows {
            save_workflow(tx, workflow, &at)?;
        }
        Ok(())
    })
}

/// The store's timestamp format: RFC 3339 UTC with milliseconds.
fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn json<T: Serialize + ?Sized>(value: &T, what: &'static str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|source| StoreError::Encode { what, source })
}

/// The serde tag of a unit enum variant (`EventContext::PublicApi` -> `public_api`).
fn tag<T: Serialize>(value: &T, what: &'static str) -> Result<String, StoreError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        Ok(other) => Err(StoreError::Corrupt {
            what,
            message: format!("expected a string tag, got {other}"),
        }),
        Err(source) => Err(StoreError::Encode { what, source }),
    }
}

fn upsert_event_definition(
    tx: &Transaction<'_>,
    definition: &EventDefinition,
    at: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO event_definitions (alias, context, definition, updated_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (alias) DO UPDATE SET context = excluded.context,
             definition = excluded.definition, updated_at = excluded.updated_at",
    )?
    .execute(params![
        definition.alias,
        tag(&definition.context, "event context")?,
        json(definition, "event definition")?,
        at,
    ])?;
    Ok(())
}

fn upsert_connector(
    tx: &Transaction<'_>,
    connector: &Connector,
    at: &str,
) -> Result<(), StoreError> {
    let auth_type = match connector.auth {
        ConnectorAuth::Basic { .. } => "basic",
        ConnectorAuth::Bearer => "bearer",
        ConnectorAuth::ApiKey { .. } => "api_key",
    };
    tx.prepare_cached(
        "INSERT INTO connectors (name, auth_type, definition, updated_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (name) DO UPDATE SET auth_type = excluded.auth_type,
             definition = excluded.definition, updated_at = excluded.updated_at",
    )?
    .execute(params![
        connector.name,
        auth_type,
        json(connector, "connector")?,
        at
    ])?;
    Ok(())
}

fn upsert_webhook(tx: &Transaction<'_>, webhook: &Webhook, at: &str) -> Result<(), StoreError> {
    let definition = json(webhook, "webhook")?;
    let active: Option<String> = tx
        .prepare_cached("SELECT id FROM webhooks WHERE name = ?1 AND deleted_at IS NULL")?
        .query_row([&webhook.name], |row| row.get(0))
        .optional()?;
    match active {
        Some(id) => {
            tx.prepare_cached(
                "UPDATE webhooks SET definition = ?2, updated_at = ?3 WHERE id = ?1",
            )?
            .execute(params![id, definition, at])?;
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO webhooks (id, name, definition, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
            )?
            .execute(params![new_id(), webhook.name, definition, at])?;
        }
    }
    Ok(())
}

fn upsert_environment(
    tx: &Transaction<'_>,
    environment: &Environment,
    at: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO environments (name, variables, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET variables = excluded.variables,
             updated_at = excluded.updated_at",
    )?
    .execute(params![
        environment.name,
        json(&environment.variables, "environment")?,
        at
    ])?;
    Ok(())
}

fn save_workflow(tx: &Transaction<'_>, workflow: &Workflow, at: &str) -> Result<(), StoreError> {
    let existing: Option<String> = tx
        .prepare_cached("SELECT id FROM workflows WHERE name = ?1")?
        .query_row([&workflow.name], |row| row.get(0))
        .optional()?;
    let id = match existing {
        Some(id) => id,
        None => {
            let id = new_id();
            tx.prepare_cached(
                "INSERT INTO workflows (id, name, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
            )?
            .execute(params![id, workflow.name, at])?;
            id
        }
    };
    let number: u32 = tx
        .prepare_cached(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM workflow_revisions WHERE workflow_id = ?1",
        )?
        .query_row([&id], |row| row.get(0))?;
    tx.prepare_cached(
        "INSERT INTO workflow_revisions (id, workflow_id, number, saved_at, definition)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        new_id(),
        id,
        number,
        at,
        json(workflow, "workflow revision")?
    ])?;
    tx.prepare_cached("UPDATE workflows SET updated_at = ?2 WHERE id = ?1")?
        .execute(params![id, at])?;
    Ok(())
}
