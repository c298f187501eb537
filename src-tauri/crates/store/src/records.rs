//! Connectors (metadata only), reception event definitions and environments: one JSON
//! document per row, keyed by name (alias for event definitions).

use hookboard_engine::model::{Connector, ConnectorAuth, Environment, EventDefinition};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Store;
use crate::codec::{format_time, from_json, now, tag, to_json};
use crate::error::{Result, StoreError};
use crate::workflows::check_name;

/// The `auth_type` column: `basic`, `bearer` or `api_key`.
fn auth_type(auth: &ConnectorAuth) -> &'static str {
    match auth {
        ConnectorAuth::Basic { .. } => "basic",
        ConnectorAuth::Bearer => "bearer",
        ConnectorAuth::ApiKey { .. } => "api_key",
    }
}

/// One keyed JSON table: its SQL and how errors name it.
struct Table {
    entity: &'static str,
    get: &'static str,
    list: &'static str,
    delete: &'static str,
}

const CONNECTORS: Table = Table {
    entity: "connector",
    get: "SELECT definition FROM connectors WHERE name = ?1",
    list: "SELECT definition FROM connectors ORDER BY name",
    delete: "DELETE FROM connectors WHERE name = ?1",
};

const EVENT_DEFINITIONS: Table = Table {
    entity: "event definition",
    get: "SELECT definition FROM event_definitions WHERE alias = ?1",
    list: "SELECT definition FROM event_definitions ORDER BY alias",
    delete: "DELETE FROM event_definitions WHERE alias = ?1",
};

const ENVIRONMENTS: Table = Table {
    entity: "environment",
    get: "SELECT variables FROM environments WHERE name = ?1",
    list: "SELECT name, variables FROM environments ORDER BY name",
    delete: "DELETE FROM environments WHERE name = ?1",
};

impl Store {
    fn get_doc<T: serde::de::DeserializeOwned>(&self, table: &Table, key: &str) -> Result<T> {
        self.with_conn(|conn| {
            let text: String = conn
                .prepare_cached(table.get)?
                .query_row([key], |row| row.get(0))
                .optional()?
                .ok_or_else(|| StoreError::not_found(table.entity, key))?;
            from_json(&text, table.entity)
        })
    }

    fn list_docs<T: serde::de::DeserializeOwned>(&self, table: &Table) -> Result<Vec<T>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(table.list)?;
            let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(from_json(&row?, table.entity)?);
            }
            Ok(out)
        })
    }

    fn delete_doc(&self, table: &Table, key: &str) -> Result<()> {
        self.with_conn(|conn| {
            if conn.prepare_cached(table.delete)?.execute([key])? == 0 {
                return Err(StoreError::not_found(table.entity, key));
            }
            Ok(())
        })
    }

    /// Creates or replaces the connector with this name. Only the name, the auth type and its
    /// public settings are stored; the store has no place for a secret.
    pub fn upsert_connector(&self, connector: &Connector) -> Result<()> {
        self.with_conn(|conn| upsert_connector_on(conn, connector))
    }

    /// The connector named `name`.
    pub fn get_connector(&self, name: &str) -> Result<Connector> {
        self.get_doc(&CONNECTORS, name)
    }

    /// Every connector, by name.
    pub fn list_connectors(&self) -> Result<Vec<Connector>> {
        self.list_docs(&CONNECTORS)
    }

    /// Deletes the connector named `name` (its secret, held elsewhere, is the caller's to drop).
    pub fn delete_connector(&self, name: &str) -> Result<()> {
        self.delete_doc(&CONNECTORS, name)
    }

    /// Creates or replaces the reception event definition with this alias.
    pub fn upsert_event_definition(&self, definition: &EventDefinition) -> Result<()> {
        self.with_conn(|conn| upsert_event_definition_on(conn, definition))
    }

    /// The reception event definition with alias `alias`.
    pub fn get_event_definition(&self, alias: &str) -> Result<EventDefinition> {
        self.get_doc(&EVENT_DEFINITIONS, alias)
    }

    /// Every reception event definition, by alias.
    pub fn list_event_definitions(&self) -> Result<Vec<EventDefinition>> {
        self.list_docs(&EVENT_DEFINITIONS)
    }

    /// Deletes the reception event definition with alias `alias` (received events stay).
    pub fn delete_event_definition(&self, alias: &str) -> Result<()> {
        self.delete_doc(&EVENT_DEFINITIONS, alias)
    }

    /// Creates or replaces the environment with this name.
    pub fn upsert_environment(&self, environment: &Environment) -> Result<()> {
        self.with_conn(|conn| upsert_environment_on(conn, environment))
    }

    /// The environment named `name`.
    pub fn get_environment(&self, name: &str) -> Result<Environment> {
        let variables = self.get_doc(&ENVIRONMENTS, name)?;
        Ok(Environment {
            name: name.to_string(),
            variables,
        })
    }

    /// Every environment, by name.
    pub fn list_environments(&self) -> Result<Vec<Environment>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(ENVIRONMENTS.list)?;
            let rows = stmt.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (name, variables) = row?;
                out.push(Environment {
                    name,
                    variables: from_json(&variables, "environment")?,
                });
            }
            Ok(out)
        })
    }

    /// Deletes the environment named `name`.
    pub fn delete_environment(&self, name: &str) -> Result<()> {
        self.delete_doc(&ENVIRONMENTS, name)
    }
}

/// Writes one Connector on `conn` (inside or outside a transaction).
pub(crate) fn upsert_connector_on(conn: &Connection, connector: &Connector) -> Result<()> {
    check_name("connector name", &connector.name)?;
    conn.prepare_cached(
        "INSERT INTO connectors (name, auth_type, definition, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET auth_type = excluded.auth_type,
                 definition = excluded.definition, updated_at = excluded.updated_at",
    )?
    .execute(params![
        connector.name,
        auth_type(&connector.auth),
        to_json(connector, "connector")?,
        format_time(now()),
    ])?;
    Ok(())
}

/// Writes one EventDefinition on `conn` (inside or outside a transaction).
pub(crate) fn upsert_event_definition_on(
    conn: &Connection,
    definition: &EventDefinition,
) -> Result<()> {
    check_name("event alias", &definition.alias)?;
    conn.prepare_cached(
        "INSERT INTO event_definitions (alias, context, definition, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (alias) DO UPDATE SET context = excluded.context,
                 definition = excluded.definition, updated_at = excluded.updated_at",
    )?
    .execute(params![
        definition.alias,
        tag(&definition.context, "event context")?,
        to_json(definition, "event definition")?,
        format_time(now()),
    ])?;
    Ok(())
}

/// Writes one Environment on `conn` (inside or outside a transaction).
pub(crate) fn upsert_environment_on(conn: &Connection, environment: &Environment) -> Result<()> {
    check_name("environment name", &environment.name)?;
    conn.prepare_cached(
        "INSERT INTO environments (name, variables, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET variables = excluded.variables,
                 updated_at = excluded.updated_at",
    )?
    .execute(params![
        environment.name,
        to_json(&environment.variables, "environment")?,
        format_time(now()),
    ])?;
    Ok(())
}
