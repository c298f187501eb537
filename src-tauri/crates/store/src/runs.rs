//! Runs and their steps. A run is stored from the engine's [`RunTrace`] plus what only the
//! caller knows (the event it started from, start and end times) and read back the same way.
//! Times are kept to the millisecond.

use chrono::{DateTime, Utc};
use hookboard_engine::model::Contact;
use hookboard_engine::trace::{RunStatus, RunTrace, Step};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Store;
use crate::codec::{
    format_time, from_json, parse_opt_time, parse_time, sql_int, tag, to_json, untag,
};
use crate::contacts::{check, id_by_email, load, normalize, update_changed};
use crate::error::{Result, StoreError};

/// What the store keeps about a run besides its trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RunMeta {
    /// The received event the run started from, if any.
    pub event_id: Option<String>,
    /// When the run started.
    #[ts(type = "string")]
    pub started_at: DateTime<Utc>,
    /// When it ended; `None` while it is waiting.
    #[ts(type = "string | null")]
    pub finished_at: Option<DateTime<Utc>>,
}

/// A run read back: the engine's trace and the metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct StoredRun {
    /// The trace, steps in execution order.
    pub trace: RunTrace,
    /// Event id, start and end times.
    pub meta: RunMeta,
}

/// Which runs [`Store::list_runs`] returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RunFilter {
    /// Only runs of this workflow.
    #[serde(default)]
    pub workflow: Option<String>,
    /// Only runs that ended this way.
    #[serde(default)]
    pub status: Option<RunStatus>,
    /// Only runs for this contact.
    #[serde(default)]
    pub contact_id: Option<String>,
    /// Page size.
    #[serde(default = "default_limit")]
    pub limit: usize,
    /// Runs to skip (page start).
    #[serde(default)]
    pub offset: usize,
}

fn default_limit() -> usize {
    50
}

impl Default for RunFilter {
    fn default() -> Self {
        RunFilter {
            workflow: None,
            status: None,
            contact_id: None,
            limit: default_limit(),
            offset: 0,
        }
    }
}

/// A run as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RunSummary {
    /// Run id.
    pub id: String,
    /// Workflow name at the time of the run.
    pub workflow: String,
    /// How it ended.
    pub status: RunStatus,
    /// The contact it ran for, if it had an id.
    pub contact_id: Option<String>,
    /// Event id, start and end times.
    pub meta: RunMeta,
    /// Number of steps.
    pub steps: usize,
}

/// Everything to write when a run has been made, for [`Store::record_run`].
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// The run's trace.
    pub trace: RunTrace,
    /// Event id, start and end times.
    pub meta: RunMeta,
    /// The run changed its contact: `trace.contact`'s fields replace the stored contact's
    /// (its groups stay as stored).
    pub update_contact: bool,
    /// A received event whose workflows have all run with this one: it is marked processed.
    pub processed_event: Option<String>,
    /// The run is stored already and has waited since this time ([`Wait::since`]): its
    /// status, contact and end time are updated, the trace's steps are added after its stored
    /// ones, and that wait is removed. When the run no longer has that wait (it went on
    /// meanwhile), nothing is written: see [`RecordedRun::superseded`].
    ///
    /// [`Wait::since`]: crate::Wait::since
    pub resumes: Option<DateTime<Utc>>,
    /// For a run that stops waiting (`trace.suspension`), when its Wait ends or its Wait for
    /// event times out: the wait is kept ([`Store::get_wait`]). `None`: no wait is kept (a
    /// desktop test run).
    pub wake_at: Option<DateTime<Utc>>,
    /// The subscription journey (workflow, journey identifier) this run now carries.
    pub journey: Option<(String, String)>,
}

impl RunRecord {
    /// A new run to store as it is: no contact change, processed mark, wait or journey.
    pub fn new(trace: RunTrace, meta: RunMeta) -> Self {
        RunRecord {
            trace,
            meta,
            update_contact: false,
            processed_event: None,
            resumes: None,
            wake_at: None,
            journey: None,
        }
    }
}

/// What [`Store::record_run`] wrote.
#[derive(Debug)]
pub struct RecordedRun {
    /// The contact as stored after the run (the run's contact when it was not saved).
    pub contact: Contact,
    /// Why the contact's changes were not saved (an invalid or taken email, a contact deleted
    /// meanwhile); the run and the processed mark are stored all the same.
    pub contact_error: Option<StoreError>,
    /// [`RunRecord::resumes`] named a wait the run no longer has (another event or its
    /// timeout made it go on first): nothing was written.
    pub superseded: bool,
}

const STEPS: &str = "run steps";

fn insert_run_row(conn: &Connection, trace: &RunTrace, meta: &RunMeta) -> Result<()> {
    if trace.run_id.is_empty() {
        return Err(StoreError::invalid("run id", "the run id is empty"));
    }
    if run_exists(conn, &trace.run_id)? {
        return Err(StoreError::exists("run", &trace.run_id));
    }
    check_event(conn, meta)?;
    conn.prepare_cached(
        "INSERT INTO runs (id, workflow, status, contact_id, contact, resume_at,
                           started_at, finished_at, event_id, steps, step_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        trace.run_id,
        trace.workflow,
        tag(&trace.status, "run status")?,
        contact_id(&trace.contact),
        to_json(&trace.contact, "run contact")?,
        trace.resume_at,
        format_time(meta.started_at),
        meta.finished_at.map(format_time),
        meta.event_id,
        to_json(&trace.steps, STEPS)?,
        sql_int(trace.steps.len()),
    ])?;
    Ok(())
}

/// Updates a stored run that went on after a wait: status, contact, resume node and end time
/// from `trace`, whose steps are added after the stored ones.
fn continue_run_row(conn: &Connection, trace: &RunTrace, meta: &RunMeta) -> Result<()> {
    let mut steps = stored_steps(conn, &trace.run_id)?;
    steps.extend(trace.steps.iter().cloned());
    conn.prepare_cached(
        "UPDATE runs SET status = ?2, contact_id = ?3, contact = ?4, resume_at = ?5,
                         finished_at = ?6, steps = ?7, step_count = ?8
         WHERE id = ?1",
    )?
    .execute(params![
        trace.run_id,
        tag(&trace.status, "run status")?,
        contact_id(&trace.contact),
        to_json(&trace.contact, "run contact")?,
        trace.resume_at,
        meta.finished_at.map(format_time),
        to_json(&steps, STEPS)?,
        sql_int(steps.len()),
    ])?;
    Ok(())
}

/// The steps stored with run `run_id`, in execution order.
fn stored_steps(conn: &Connection, run_id: &str) -> Result<Vec<Step>> {
    let text: String = conn
        .prepare_cached("SELECT steps FROM runs WHERE id = ?1")?
        .query_row([run_id], |row| row.get(0))
        .optional()?
        .ok_or_else(|| StoreError::id_not_found("run", run_id))?;
    from_json(&text, STEPS)
}

/// The contact to save over the stored one, normalized, with the stored contact it replaces;
/// `Err` when it cannot be saved (invalid, no longer stored, or its email belongs to another
/// contact). Only reads.
fn contact_to_save(conn: &Connection, contact: &Contact) -> Result<(Contact, Contact)> {
    let mut contact = contact.clone();
    normalize(&mut contact);
    check(&contact).map_err(|(field, message)| StoreError::invalid(field, message))?;
    let stored =
        load(conn, &contact.id)?.ok_or_else(|| StoreError::id_not_found("contact", &contact.id))?;
    if contact.email != stored.email
        && let Some(email) = contact.email.as_deref()
        && let Some(other) = id_by_email(conn, email)?
        && other != contact.id
    {
        return Err(StoreError::exists("contact with email", email));
    }
    Ok((contact, stored))
}

/// Writes the fields of a contact checked by [`contact_to_save`] that differ from `stored`; its
/// groups stay as stored (a run cannot change them, and a group joined meanwhile must not be
/// undone). The contact as stored after.
fn save_contact(conn: &Connection, contact: Contact, stored: Contact) -> Result<Contact> {
    update_changed(conn, &stored, &contact)?;
    Ok(Contact {
        groups: stored.groups,
        ..contact
    })
}

/// [`Store::record_run`] on an open transaction.
pub(crate) fn record(conn: &Connection, record: &RunRecord) -> Result<RecordedRun> {
    let mut recorded = RecordedRun {
        contact: record.trace.contact.clone(),
        contact_error: None,
        superseded: false,
    };
    if let Some(since) = record.resumes
        && !crate::waits::remove_wait(conn, &record.trace.run_id, since)?
    {
        recorded.superseded = true;
        return Ok(recorded);
    }
    // Checked before anything is written, so that a contact that cannot be saved needs no
    // rollback: the run is stored without it.
    let contact = if record.update_contact && !record.trace.contact.id.is_empty() {
        match contact_to_save(conn, &record.trace.contact) {
            Ok(pair) => Some(pair),
            Err(e) => {
                recorded.contact_error = Some(e);
                None
            }
        }
    } else {
        None
    };
    if record.resumes.is_some() {
        continue_run_row(conn, &record.trace, &record.meta)?;
    } else {
        insert_run_row(conn, &record.trace, &record.meta)?;
    }
    if let Some(wake_at) = record.wake_at
        && record.trace.status == RunStatus::Waiting
    {
        crate::waits::insert_wait(conn, &record.trace, wake_at)?;
    }
    if let Some((workflow, journey_id)) = &record.journey {
        crate::waits::set_journey(conn, workflow, journey_id, &record.trace.run_id)?;
    }
    if let Some((contact, stored)) = contact {
        recorded.contact = save_contact(conn, contact, stored)?;
    }
    if let Some(event_id) = &record.processed_event {
        crate::server::mark_processed(conn, event_id)?;
    }
    Ok(recorded)
}

fn run_exists(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM runs WHERE id = ?1")?
        .exists([id])?)
}

fn check_event(conn: &Connection, meta: &RunMeta) -> Result<()> {
    if let Some(event) = &meta.event_id
        && !conn
            .prepare_cached("SELECT 1 FROM events WHERE id = ?1")?
            .exists([event])?
    {
        return Err(StoreError::id_not_found("event", event));
    }
    Ok(())
}

fn contact_id(contact: &Contact) -> Option<&str> {
    Some(contact.id.as_str()).filter(|id| !id.is_empty())
}

fn meta_from(
    event_id: Option<String>,
    started_at: &str,
    finished_at: Option<String>,
) -> Result<RunMeta> {
    Ok(RunMeta {
        event_id,
        started_at: parse_time(started_at, "run")?,
        finished_at: parse_opt_time(finished_at, "run")?,
    })
}

impl Store {
    /// Stores a new run and its steps in one transaction. Fails if the run id is already
    /// stored or `meta.event_id` names no stored event.
    pub fn insert_run(&self, trace: &RunTrace, meta: &RunMeta) -> Result<()> {
        self.with_tx(|tx| insert_run_row(tx, trace, meta))
    }

    /// In one transaction: stores the run and its steps, saves the contact's changes (when
    /// [`RunRecord::update_contact`]; a contact that cannot be saved does not stop the rest,
    /// see [`RecordedRun::contact_error`]) and marks the event processed (when
    /// [`RunRecord::processed_event`]). Fails, writing nothing, if the run id is taken or the
    /// event is not stored.
    pub fn record_run(&self, run: &RunRecord) -> Result<RecordedRun> {
        self.with_tx(|tx| record(tx, run))
    }

    /// [`Store::record_run`] for several runs with one commit (group commit); each run is
    /// written, or rolled back, on its own, and has its own answer in the same order.
    pub fn record_runs(&self, runs: &[RunRecord]) -> Result<Vec<Result<RecordedRun>>> {
        self.with_batch(runs, record)
    }

    /// Replaces a stored run's status, contact, steps and metadata (a waiting run that moved
    /// on). Fails if the run is not stored.
    pub fn update_run(&self, trace: &RunTrace, meta: &RunMeta) -> Result<()> {
        self.with_tx(|tx| {
            if !run_exists(tx, &trace.run_id)? {
                return Err(StoreError::id_not_found("run", &trace.run_id));
            }
            check_event(tx, meta)?;
            tx.prepare_cached(
                "UPDATE runs SET workflow = ?2, status = ?3, contact_id = ?4, contact = ?5,
                                 resume_at = ?6, started_at = ?7, finished_at = ?8, event_id = ?9,
                                 steps = ?10, step_count = ?11
                 WHERE id = ?1",
            )?
            .execute(params![
                trace.run_id,
                trace.workflow,
                tag(&trace.status, "run status")?,
                contact_id(&trace.contact),
                to_json(&trace.contact, "run contact")?,
                trace.resume_at,
                format_time(meta.started_at),
                meta.finished_at.map(format_time),
                meta.event_id,
                to_json(&trace.steps, STEPS)?,
                sql_int(trace.steps.len()),
            ])?;
            Ok(())
        })
    }

    /// The run with id `id`, its steps in order.
    pub fn get_run(&self, id: &str) -> Result<StoredRun> {
        self.with_read(|conn| {
            let row = conn
                .prepare_cached(
                    "SELECT workflow, status, contact, resume_at, started_at, finished_at, event_id,
                            steps
                     FROM runs WHERE id = ?1",
                )?
                .query_row([id], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Option<String>>(3)?,
                        row.get::<_, String>(4)?,
                        row.get::<_, Option<String>>(5)?,
                        row.get::<_, Option<String>>(6)?,
                        row.get::<_, String>(7)?,
                    ))
                })
                .optional()?
                .ok_or_else(|| StoreError::id_not_found("run", id))?;
            let (workflow, status, contact, resume_at, started_at, finished_at, event_id, steps) =
                row;
            Ok(StoredRun {
                trace: RunTrace {
                    run_id: id.to_string(),
                    workflow,
                    status: untag(&status, "run status")?,
                    steps: from_json(&steps, STEPS)?,
                    contact: from_json(&contact, "run contact")?,
                    resume_at,
                    suspension: None,
                },
                meta: meta_from(event_id, &started_at, finished_at)?,
            })
        })
    }

    /// Runs matching `filter`, newest first, one page.
    pub fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunSummary>> {
        self.list_runs_started(filter, &StartedBetween::default(), None)
    }

    /// Deletes a run (its steps are part of it).
    pub fn delete_run(&self, id: &str) -> Result<()> {
        self.with_conn(|conn| {
            if conn
                .prepare_cached("DELETE FROM runs WHERE id = ?1")?
                .execute([id])?
                == 0
            {
                return Err(StoreError::id_not_found("run", id));
            }
            Ok(())
        })
    }
}

/// A window of run start times for [`Store::list_runs_started`]: `from <= started_at < to`,
/// to the millisecond; an open end when `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StartedBetween {
    /// Earliest start time included.
    pub from: Option<DateTime<Utc>>,
    /// Start times from this one on are excluded.
    pub to: Option<DateTime<Utc>>,
}

impl Store {
    /// Runs matching `filter` that started within `started`, newest first, one page; with
    /// `workflows`, only runs of those workflows.
    pub fn list_runs_started(
        &self,
        filter: &RunFilter,
        started: &StartedBetween,
        workflows: Option<&[String]>,
    ) -> Result<Vec<RunSummary>> {
        let workflows = workflows
            .map(|names| to_json(&names, "workflow names"))
            .transpose()?;
        let status = filter
            .status
            .as_ref()
            .map(|s| tag(s, "run status"))
            .transpose()?;
        self.with_read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT r.id, r.workflow, r.status, r.contact_id, r.event_id, r.started_at,
                        r.finished_at, r.step_count
                 FROM runs r
                 WHERE (?1 IS NULL OR r.workflow = ?1)
                   AND (?2 IS NULL OR r.status = ?2)
                   AND (?3 IS NULL OR r.contact_id = ?3)
                   AND (?6 IS NULL OR r.started_at >= ?6)
                   AND (?7 IS NULL OR r.started_at < ?7)
                   AND (?8 IS NULL OR r.workflow IN (SELECT value FROM json_each(?8)))
                 ORDER BY r.started_at DESC, r.rowid DESC
                 LIMIT ?4 OFFSET ?5",
            )?;
            let rows = stmt.query_map(
                params![
                    filter.workflow,
                    status,
                    filter.contact_id,
                    sql_int(filter.limit),
                    sql_int(filter.offset),
                    started.from.map(format_time),
                    started.to.map(format_time),
                    workflows,
                ],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Option<String>>(3)?,
                        row.get::<_, Option<String>>(4)?,
                        row.get::<_, String>(5)?,
                        row.get::<_, Option<String>>(6)?,
                        row.get::<_, i64>(7)?,
                    ))
                },
            )?;
            let mut out = Vec::new();
            for row in rows {
                let (id, workflow, status, contact_id, event_id, started, finished, steps) = row?;
                out.push(RunSummary {
                    id,
                    workflow,
                    status: untag(&status, "run status")?,
                    contact_id,
                    meta: meta_from(event_id, &started, finished)?,
                    steps: usize::try_from(steps).unwrap_or(0),
                });
            }
            Ok(out)
        })
    }
}
