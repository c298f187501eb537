//! Workflows and their revisions. Each save appends a revision holding the engine's
//! [`Workflow`] as JSON; the `workflows` row is the identity and its name is authoritative
//! (a revision read back always carries the workflow's current name).

use chrono::{DateTime, Utc};
use hookboard_engine::model::Workflow;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Store;
use crate::codec::{format_time, from_json, new_id, now, parse_time, to_json};
use crate::error::{Result, StoreError};

/// One saved revision of a workflow, as listed in its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RevisionInfo {
    /// Revision id.
    pub id: String,
    /// 1 for the first save, then one more per save.
    pub number: u32,
    /// When it was saved.
    #[ts(type = "string")]
    pub saved_at: DateTime<Utc>,
}

/// A workflow as listed: name, description and its latest revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WorkflowSummary {
    /// Workflow id (stable across renames).
    pub id: String,
    /// Workflow name.
    pub name: String,
    /// Description of the current revision.
    pub description: String,
    /// Number of the current (latest) revision.
    pub current_revision: u32,
    /// When the workflow was first saved.
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    /// When it was last saved, renamed or restored.
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
}

const ENTITY: &str = "workflow";
const WHAT: &str = "workflow revision";

pub(crate) fn check_name(field: &str, name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(StoreError::invalid(field, "the name is empty"));
    }
    Ok(())
}

fn workflow_id(conn: &Connection, name: &str) -> Result<String> {
    conn.prepare_cached("SELECT id FROM workflows WHERE name = ?1")?
        .query_row([name], |row| row.get(0))
        .optional()?
        .ok_or_else(|| StoreError::not_found(ENTITY, name))
}

fn name_taken(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM workflows WHERE name = ?1")?
        .exists([name])?)
}

/// Appends the next revision of workflow `id` and bumps its `updated_at`.
fn append_revision(conn: &Connection, id: &str, workflow: &Workflow) -> Result<RevisionInfo> {
    let number: u32 = conn
        .prepare_cached(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM workflow_revisions WHERE workflow_id = ?1",
        )?
        .query_row([id], |row| row.get(0))?;
    let info = RevisionInfo {
        id: new_id(),
        number,
        saved_at: now(),
    };
    let saved_at = format_time(info.saved_at);
    conn.prepare_cached(
        "INSERT INTO workflow_revisions (id, workflow_id, number, saved_at, definition)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        info.id,
        id,
        number,
        saved_at,
        to_json(workflow, WHAT)?
    ])?;
    conn.prepare_cached("UPDATE workflows SET updated_at = ?2 WHERE id = ?1")?
        .execute(params![id, saved_at])?;
    Ok(info)
}

/// Reads revision `number` (the latest when `None`) of the workflow named `name`.
fn load(conn: &Connection, name: &str, number: Option<u32>) -> Result<Workflow> {
    let id = workflow_id(conn, name)?;
    let definition: Option<String> = match number {
        Some(n) => conn
            .prepare_cached(
                "SELECT definition FROM workflow_revisions WHERE workflow_id = ?1 AND number = ?2",
            )?
            .query_row(params![id, n], |row| row.get(0))
            .optional()?,
        None => conn
            .prepare_cached(
                "SELECT definition FROM workflow_revisions WHERE workflow_id = ?1
                 ORDER BY number DESC LIMIT 1",
            )?
            .query_row([&id], |row| row.get(0))
            .optional()?,
    };
    let definition = definition.ok_or_else(|| StoreError::RevisionNotFound {
        workflow: name.to_string(),
        number: number.unwrap_or(0),
    })?;
    let mut workflow: Workflow = from_json(&definition, WHAT)?;
    workflow.name = name.to_string();
    Ok(workflow)
}

/// Saves a workflow as a new revision on `conn` (which should be inside a transaction),
/// creating the workflow when it is new.
pub(crate) fn save_on(conn: &Connection, workflow: &Workflow) -> Result<RevisionInfo> {
    check_name("workflow name", &workflow.name)?;
    let existing: Option<String> = conn
        .prepare_cached("SELECT id FROM workflows WHERE name = ?1")?
        .query_row([&workflow.name], |row| row.get(0))
        .optional()?;
    let id = match existing {
        Some(id) => id,
        None => {
            let id = new_id();
            let at = format_time(now());
            conn.prepare_cached(
                "INSERT INTO workflows (id, name, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
            )?
            .execute(params![id, workflow.name, at])?;
            id
        }
    };
    append_revision(conn, &id, workflow)
}

impl Store {
    /// Saves `workflow` under its name: creates the workflow on first save, and appends a new
    /// revision on every save. Returns the revision written.
    pub fn save_workflow(&self, workflow: &Workflow) -> Result<RevisionInfo> {
        self.with_tx(|tx| save_on(tx, workflow))
    }

    /// The current (latest) revision of the workflow named `name`.
    pub fn get_workflow(&self, name: &str) -> Result<Workflow> {
        self.with_conn(|conn| load(conn, name, None))
    }

    /// Every workflow, by name.
    pub fn list_workflows(&self) -> Result<Vec<WorkflowSummary>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT w.id, w.name, w.created_at, w.updated_at, r.number,
                        COALESCE(json_extract(r.definition, '$.description'), '')
                 FROM workflows w
                 JOIN workflow_revisions r ON r.workflow_id = w.id
                 WHERE r.number = (SELECT MAX(number) FROM workflow_revisions
                                   WHERE workflow_id = w.id)
                 ORDER BY w.name",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, u32>(4)?,
                    row.get::<_, String>(5)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, name, created, updated, current_revision, description) = row?;
                out.push(WorkflowSummary {
                    id,
                    name,
                    description,
                    current_revision,
                    created_at: parse_time(&created, "workflow")?,
                    updated_at: parse_time(&updated, "workflow")?,
                });
            }
            Ok(out)
        })
    }

    /// The revisions of the workflow named `name`, newest first.
    pub fn list_revisions(&self, name: &str) -> Result<Vec<RevisionInfo>> {
        self.with_conn(|conn| {
            let id = workflow_id(conn, name)?;
            let mut stmt = conn.prepare_cached(
                "SELECT id, number, saved_at FROM workflow_revisions WHERE workflow_id = ?1
                 ORDER BY number DESC",
            )?;
            let rows = stmt.query_map([id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, u32>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, number, saved_at) = row?;
                out.push(RevisionInfo {
                    id,
                    number,
                    saved_at: parse_time(&saved_at, WHAT)?,
                });
            }
            Ok(out)
        })
    }

    /// Revision `number` of the workflow named `name`, carrying the workflow's current name.
    pub fn get_revision(&self, name: &str, number: u32) -> Result<Workflow> {
        self.with_conn(|conn| load(conn, name, Some(number)))
    }

    /// Makes revision `number` current again by appending a new revision equal to it; the
    /// history in between is kept. Returns the new revision.
    pub fn restore_revision(&self, name: &str, number: u32) -> Result<RevisionInfo> {
        self.with_tx(|tx| {
            let workflow = load(tx, name, Some(number))?;
            let id = workflow_id(tx, name)?;
            append_revision(tx, &id, &workflow)
        })
    }

    /// Renames a workflow; its revisions follow it. Fails if `to` is taken.
    pub fn rename_workflow(&self, from: &str, to: &str) -> Result<()> {
        check_name("workflow name", to)?;
        self.with_tx(|tx| {
            let id = workflow_id(tx, from)?;
            if from == to {
                return Ok(());
            }
            if name_taken(tx, to)? {
                return Err(StoreError::exists(ENTITY, to));
            }
            tx.prepare_cached("UPDATE workflows SET name = ?2, updated_at = ?3 WHERE id = ?1")?
                .execute(params![id, to, format_time(now())])?;
            Ok(())
        })
    }

    /// Copies the current revision of `from` into a new workflow named `to` (revision 1).
    pub fn duplicate_workflow(&self, from: &str, to: &str) -> Result<RevisionInfo> {
        check_name("workflow name", to)?;
        self.with_tx(|tx| {
            let mut workflow = load(tx, from, None)?;
            if name_taken(tx, to)? {
                return Err(StoreError::exists(ENTITY, to));
            }
            workflow.name = to.to_string();
            let id = new_id();
            tx.prepare_cached(
                "INSERT INTO workflows (id, name, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
            )?
            .execute(params![id, to, format_time(now())])?;
            append_revision(tx, &id, &workflow)
        })
    }

    /// Deletes a workflow and all its revisions (runs keep their history).
    pub fn delete_workflow(&self, name: &str) -> Result<()> {
        self.with_conn(|conn| {
            let n = conn
                .prepare_cached("DELETE FROM workflows WHERE name = ?1")?
                .execute([name])?;
            if n == 0 {
                return Err(StoreError::not_found(ENTITY, name));
            }
            Ok(())
        })
    }
}
