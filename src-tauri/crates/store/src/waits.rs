//! Runs that wait at a Wait or a Wait for event, and the journeys of subscriptions: what
//! `hookboard-server` needs to wake a run when its time comes, deliver an event to it, or find
//! the run a journey identifier leads to. Waits are written and removed together with their
//! run by [`Store::record_run`] (see [`RunRecord::wake_at`](crate::RunRecord::wake_at) and
//! [`RunRecord::resumes`](crate::RunRecord::resumes)), so a
//! run is waiting exactly while it has a wait.

use chrono::{DateTime, Utc};
use hookboard_engine::trace::{RunTrace, Suspension};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::Store;
use crate::codec::{format_time, from_json, now, parse_time, sql_int, to_json};
use crate::error::Result;

/// A waiting run as [`Store::get_wait`] and the other queries return it.
#[derive(Debug, Clone, PartialEq)]
pub struct Wait {
    /// The run.
    pub run_id: String,
    /// Its workflow's name.
    pub workflow: String,
    /// The Wait or Wait-for-event node it stopped at.
    pub node: String,
    /// The alias a Wait for event waits for.
    pub alias: Option<String>,
    /// The contact the run is for.
    pub contact_id: Option<String>,
    /// When the Wait ends or the Wait for event times out.
    pub wake_at: DateTime<Utc>,
    /// When the wait began: only events received from then on are delivered to it.
    pub since: DateTime<Utc>,
    /// The engine's saved state, for `Engine::resume`.
    pub suspension: Suspension,
}

const WHAT: &str = "run wait";
const COLUMNS: &str = "run_id, workflow, node, alias, contact_id, wake_at, since, suspension";

type WaitRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
);

fn wait_row(row: &Row<'_>) -> rusqlite::Result<WaitRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
    ))
}

fn decode(row: WaitRow) -> Result<Wait> {
    let (run_id, workflow, node, alias, contact_id, wake_at, since, suspension) = row;
    Ok(Wait {
        run_id,
        workflow,
        node,
        alias,
        contact_id,
        wake_at: parse_time(&wake_at, WHAT)?,
        since: parse_time(&since, WHAT)?,
        suspension: from_json(&suspension, WHAT)?,
    })
}

/// Keeps the wait of a run that stopped at `trace.suspension`, replacing an earlier one.
pub(crate) fn insert_wait(
    conn: &Connection,
    trace: &RunTrace,
    wake_at: DateTime<Utc>,
) -> Result<()> {
    let Some(suspension) = &trace.suspension else {
        return Ok(());
    };
    let contact_id = Some(trace.contact.id.as_str()).filter(|id| !id.is_empty());
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO server_waits ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    ))?
    .execute(params![
        trace.run_id,
        trace.workflow,
        suspension.node,
        suspension.alias,
        contact_id,
        format_time(wake_at),
        format_time(now()),
        to_json(suspension, WHAT)?,
    ])?;
    Ok(())
}

/// Removes the wait that run `run_id` began at `since`, as it goes on (or is aborted);
/// `false` when the run has no such wait any more.
pub(crate) fn remove_wait(conn: &Connection, run_id: &str, since: DateTime<Utc>) -> Result<bool> {
    let removed = conn
        .prepare_cached("DELETE FROM server_waits WHERE run_id = ?1 AND since = ?2")?
        .execute(params![run_id, format_time(since)])?;
    Ok(removed > 0)
}

/// Points the journey `journey_id` of `workflow` at `run_id`.
pub(crate) fn set_journey(
    conn: &Connection,
    workflow: &str,
    journey_id: &str,
    run_id: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO server_journeys (workflow, journey_id, run_id) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![workflow, journey_id, run_id])?;
    Ok(())
}

fn query_waits(conn: &Connection, sql: &str, args: impl rusqlite::Params) -> Result<Vec<Wait>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(args, wait_row)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(decode(row?)?);
    }
    Ok(out)
}

impl Store {
    /// The wait of run `run_id`, or `None` when the run is not waiting.
    pub fn get_wait(&self, run_id: &str) -> Result<Option<Wait>> {
        self.with_read(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM server_waits WHERE run_id = ?1"
            ))?
            .query_row([run_id], wait_row)
            .optional()?
            .map(decode)
            .transpose()
        })
    }

    /// Ids of the runs whose wait ends (or times out) at or before `at`, soonest first, at
    /// most `limit`.
    pub fn due_waits(&self, at: DateTime<Utc>, limit: usize) -> Result<Vec<String>> {
        self.with_read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT run_id FROM server_waits WHERE wake_at <= ?1 ORDER BY wake_at LIMIT ?2",
            )?;
            let ids = stmt.query_map(params![format_time(at), sql_int(limit)], |row| {
                row.get::<_, String>(0)
            })?;
            Ok(ids.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The runs of contact `contact_id` waiting for an event of `alias` since no later than
    /// `received_at` (the time the event arrived), oldest wait first.
    pub fn waits_for_event(
        &self,
        alias: &str,
        contact_id: &str,
        received_at: DateTime<Utc>,
    ) -> Result<Vec<Wait>> {
        self.with_read(|conn| {
            query_waits(
                conn,
                &format!(
                    "SELECT {COLUMNS} FROM server_waits
                     WHERE alias = ?1 AND contact_id = ?2 AND since <= ?3
                     ORDER BY since, run_id"
                ),
                params![alias, contact_id, format_time(received_at)],
            )
        })
    }

    /// The run the journey `journey_id` of `workflow` last started, if it is waiting.
    pub fn journey_wait(&self, workflow: &str, journey_id: &str) -> Result<Option<Wait>> {
        self.with_read(|conn| {
            let run_id: Option<String> = conn
                .prepare_cached(
                    "SELECT run_id FROM server_journeys WHERE workflow = ?1 AND journey_id = ?2",
                )?
                .query_row([workflow, journey_id], |row| row.get(0))
                .optional()?;
            let Some(run_id) = run_id else {
                return Ok(None);
            };
            Ok(query_waits(
                conn,
                &format!("SELECT {COLUMNS} FROM server_waits WHERE run_id = ?1"),
                [run_id],
            )?
            .pop())
        })
    }
}
