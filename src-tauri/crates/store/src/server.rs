//! What `hookboard-server` keeps besides events and runs: runs queued without a new event (a
//! replay, a contact entering a group). A queued run carries the id the run will have, so it
//! is pending exactly while `runs` has no row with that id and can never run twice.

use hookboard_engine::model::{Contact, Event};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::Store;
use crate::codec::{format_time, from_json, new_id, now, to_json};
use crate::contacts::{add_group, check, id_by_email, insert, load, normalize};
use crate::error::{Result, StoreError};
use crate::events::{AcceptedEvent, NewEvent};
use crate::runs::{RecordedRun, RunRecord};

/// A run to make later, as kept by [`Store::queue_run`].
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedRun {
    /// The id the run will have.
    pub run_id: String,
    /// Workflow name.
    pub workflow: String,
    /// The contact it runs for (read as it is when the run starts), if any.
    pub contact_id: Option<String>,
    /// The received event it runs with, if any (recorded on the run).
    pub event_id: Option<String>,
    /// The event the run reads as `${event...}`.
    pub event: Event,
    /// Why it was queued: `replay` or `group`.
    pub reason: String,
    /// For a replay, the run replayed.
    pub replay_of: Option<String>,
}

/// One contact of a [`Store::enter_group`] request: by id, by email, or both. A contact not
/// found is created when an email is given (with the id, when one is given too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupMember {
    /// Contact id.
    pub id: Option<String>,
    /// Contact email (case-insensitive).
    pub email: Option<String>,
}

/// What [`Store::enter_group`] did for one contact, in the order asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    /// The contact's id.
    pub contact_id: String,
    /// The contact did not exist and was created.
    pub created: bool,
    /// The contact was not in the group before (`false`: it already was, nothing queued).
    pub added: bool,
    /// Ids of the runs queued for it, one per workflow.
    pub run_ids: Vec<String>,
}

/// What a worker reads before running the workflows of a received event, see
/// [`Store::run_context`].
#[derive(Debug, Clone, PartialEq)]
pub struct RunContext {
    /// The contact as stored now; `None` when there is none (or it was deleted).
    pub contact: Option<Contact>,
    /// Workflows that already have a run for the event (not to be run again).
    pub done: Vec<String>,
}

/// Records that every workflow of a received event has run (nothing when already recorded).
pub(crate) fn mark_processed(conn: &Connection, event_id: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO server_processed_events (event_id, processed_at) VALUES (?1, ?2)",
    )?
    .execute(params![event_id, format_time(now())])?;
    Ok(())
}

/// Runs `f` in a savepoint of the open transaction: kept when it succeeds, rolled back alone
/// when it fails. The outer `Err` is a failure of the savepoint itself; the inner one is `f`'s.
fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T>,
) -> Result<Result<T>> {
    conn.execute_batch("SAVEPOINT hb_item")?;
    match f(conn) {
        Ok(value) => {
            conn.execute_batch("RELEASE hb_item")?;
            Ok(Ok(value))
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK TO hb_item; RELEASE hb_item")?;
            Ok(Err(e))
        }
    }
}

const QUEUED_COLUMNS: &str = "run_id, workflow, contact_id, event_id, event, reason, replay_of";
const WHAT: &str = "queued run event";

type QueuedRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
);

fn queued_row(row: &Row<'_>) -> rusqlite::Result<QueuedRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn decode(row: QueuedRow) -> Result<QueuedRun> {
    let (run_id, workflow, contact_id, event_id, event, reason, replay_of) = row;
    Ok(QueuedRun {
        run_id,
        workflow,
        contact_id,
        event_id,
        event: from_json(&event, WHAT)?,
        reason,
        replay_of,
    })
}

fn insert_queued(conn: &Connection, run: &QueuedRun) -> Result<()> {
    if run.run_id.trim().is_empty() {
        return Err(StoreError::invalid("run id", "the run id is empty"));
    }
    let taken = conn
        .prepare_cached(
            "SELECT 1 FROM server_queued_runs WHERE run_id = ?1
             UNION ALL SELECT 1 FROM runs WHERE id = ?1",
        )?
        .exists([&run.run_id])?;
    if taken {
        return Err(StoreError::exists("run", &run.run_id));
    }
    conn.prepare_cached(&format!(
        "INSERT INTO server_queued_runs ({QUEUED_COLUMNS}, queued_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    ))?
    .execute(params![
        run.run_id,
        run.workflow,
        run.contact_id,
        run.event_id,
        to_json(&run.event, WHAT)?,
        run.reason,
        run.replay_of,
        format_time(now()),
    ])?;
    Ok(())
}

/// The id of the contact `member` names, creating it when it has an email; `true` if created.
fn resolve_member(conn: &Connection, member: &GroupMember, at: usize) -> Result<(String, bool)> {
    let field = format!("contacts[{at}]");
    let id = member
        .id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let email = member
        .email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(id) = id
        && load(conn, id)?.is_some()
    {
        return Ok((id.to_string(), false));
    }
    let Some(email) = email else {
        return Err(match id {
            Some(id) => StoreError::invalid(
                field,
                format!("no contact with id `{id}`; give its email to create it"),
            ),
            None => StoreError::invalid(field, "give the contact's id or email"),
        });
    };
    if let Some(found) = id_by_email(conn, email)? {
        if let Some(id) = id {
            return Err(StoreError::invalid(
                field,
                format!("the email belongs to another contact than id `{id}`"),
            ));
        }
        return Ok((found, false));
    }
    let mut contact = Contact {
        id: id.map_or_else(new_id, str::to_string),
        email: Some(email.to_string()),
        ..Contact::default()
    };
    normalize(&mut contact);
    check(&contact)
        .map_err(|(name, message)| StoreError::invalid(format!("{field}.{name}"), message))?;
    insert(conn, &contact)?;
    Ok((contact.id, true))
}

impl Store {
    /// Queues a run; fails if a run or queued run already has its id.
    pub fn queue_run(&self, run: &QueuedRun) -> Result<()> {
        self.with_tx(|tx| insert_queued(tx, run))
    }

    /// The queued run that will have (or has) id `run_id`.
    pub fn get_queued_run(&self, run_id: &str) -> Result<QueuedRun> {
        self.with_read(|conn| {
            let row = conn
                .prepare_cached(&format!(
                    "SELECT {QUEUED_COLUMNS} FROM server_queued_runs WHERE run_id = ?1"
                ))?
                .query_row([run_id], queued_row)
                .optional()?
                .ok_or_else(|| StoreError::id_not_found("queued run", run_id))?;
            decode(row)
        })
    }

    /// In one read: the contact `contact_id` as stored now and the workflows that already have
    /// a run for event `event_id`.
    pub fn run_context(
        &self,
        contact_id: Option<&str>,
        event_id: Option<&str>,
    ) -> Result<RunContext> {
        self.with_read(|conn| {
            let tx = conn.unchecked_transaction()?;
            let contact = match contact_id {
                Some(id) => load(&tx, id)?,
                None => None,
            };
            let mut done = Vec::new();
            if let Some(event_id) = event_id {
                let mut stmt =
                    tx.prepare_cached("SELECT DISTINCT workflow FROM runs WHERE event_id = ?1")?;
                for name in stmt.query_map([event_id], |row| row.get::<_, String>(0))? {
                    done.push(name?);
                }
            }
            drop(tx);
            Ok(RunContext { contact, done })
        })
    }

    /// [`Store::accept_events`] and [`Store::record_runs`] in one transaction with one commit:
    /// each event and each run is written, or rolled back, on its own, with its own answer in
    /// the same order. `Err` when the transaction itself fails (nothing is written then).
    ///
    /// The batch is first written without savepoints (they copy every page an item touches);
    /// only when an item fails is it rolled back and written again with one savepoint per item.
    #[allow(clippy::type_complexity)]
    pub fn commit_batch(
        &self,
        events: &[NewEvent],
        runs: &[RunRecord],
    ) -> Result<(Vec<Result<AcceptedEvent>>, Vec<Result<RecordedRun>>)> {
        let mut conn = self.lock();
        {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let accepted = events
                .iter()
                .map(|event| crate::events::accept(&tx, event))
                .collect::<Result<Vec<_>>>();
            let recorded = accepted.and_then(|accepted| {
                let recorded = runs
                    .iter()
                    .map(|run| crate::runs::record(&tx, run))
                    .collect::<Result<Vec<_>>>()?;
                Ok((accepted, recorded))
            });
            if let Ok((accepted, recorded)) = recorded {
                tx.commit()?;
                return Ok((
                    accepted.into_iter().map(Ok).collect(),
                    recorded.into_iter().map(Ok).collect(),
                ));
            }
            // Dropping `tx` rolls the whole batch back.
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let accepted = events
            .iter()
            .map(|event| in_savepoint(&tx, |conn| crate::events::accept(conn, event)))
            .collect::<Result<Vec<_>>>()?;
        let recorded = runs
            .iter()
            .map(|run| in_savepoint(&tx, |conn| crate::runs::record(conn, run)))
            .collect::<Result<Vec<_>>>()?;
        tx.commit()?;
        Ok((accepted, recorded))
    }

    /// Records that every workflow of received event `event_id` has run.
    pub fn mark_event_processed(&self, event_id: &str) -> Result<()> {
        self.with_conn(|conn| mark_processed(conn, event_id))
    }

    /// The run with this id is stored.
    pub fn run_stored(&self, run_id: &str) -> Result<bool> {
        self.with_read(|conn| {
            Ok(conn
                .prepare_cached("SELECT 1 FROM runs WHERE id = ?1")?
                .exists([run_id])?)
        })
    }

    /// The queued run `run_id`, or `None` when a run with this id is stored already.
    pub fn pending_queued_run(&self, run_id: &str) -> Result<Option<QueuedRun>> {
        if self.run_stored(run_id)? {
            return Ok(None);
        }
        self.get_queued_run(run_id).map(Some)
    }

    /// Ids of queued runs not stored yet, oldest first (the queue after a restart).
    pub fn pending_queued_runs(&self) -> Result<Vec<String>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT q.run_id FROM server_queued_runs q
                 WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = q.run_id)
                 ORDER BY q.queued_at, q.rowid",
            )?;
            let ids = stmt.query_map([], |row| row.get::<_, String>(0))?;
            Ok(ids.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// In one transaction: finds or creates each contact of `members`, adds it to `group`
    /// (created if missing) and, for each contact not already a member, queues one run of
    /// every workflow in `workflows` with `event`. Nothing is written when any member fails.
    pub fn enter_group(
        &self,
        group: &str,
        members: &[GroupMember],
        workflows: &[String],
        event: &Event,
    ) -> Result<Vec<GroupEntry>> {
        let group = group.trim();
        if group.is_empty() {
            return Err(StoreError::invalid("group name", "the group name is empty"));
        }
        self.with_tx(|tx| {
            let mut out = Vec::with_capacity(members.len());
            for (at, member) in members.iter().enumerate() {
                let (contact_id, created) = resolve_member(tx, member, at)?;
                let added = add_group(tx, &contact_id, group)?;
                let mut run_ids = Vec::new();
                if added {
                    for workflow in workflows {
                        let run = QueuedRun {
                            run_id: new_id(),
                            workflow: workflow.clone(),
                            contact_id: Some(contact_id.clone()),
                            event_id: None,
                            event: event.clone(),
                            reason: "group".to_string(),
                            replay_of: None,
                        };
                        insert_queued(tx, &run)?;
                        run_ids.push(run.run_id);
                    }
                }
                out.push(GroupEntry {
                    contact_id,
                    created,
                    added,
                    run_ids,
                });
            }
            Ok(out)
        })
    }
}
