//! Received events (de-duplicated by alias and primary key) and rejected events (kept with
//! the reason and the exact body, for replay once the definition is fixed).

use chrono::{DateTime, Utc};
use hookboard_engine::model::{Contact, Event};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Store;
use crate::codec::{format_time, from_json, new_id, now, parse_time, sql_int, to_json};
use crate::contacts::{check, id_by_email, insert, normalize};
use crate::error::{Result, StoreError};

/// What [`Store::insert_event`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InsertedEvent {
    /// The event's id: the new one, or the one already stored for this primary key.
    pub id: String,
    /// `true` when an event with the same alias and primary key was already stored; nothing
    /// was inserted and the event must not be run again.
    pub duplicate: bool,
}

/// A received event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct StoredEvent {
    /// Event id.
    pub id: String,
    /// Alias, source and payload.
    pub event: Event,
    /// The contact it resolved to, if any (cleared when the contact is deleted).
    pub contact_id: Option<String>,
    /// The value of the definition's primary key field.
    pub primary_key: String,
    /// When it was accepted.
    #[ts(type = "string")]
    pub received_at: DateTime<Utc>,
}

/// An inbound event that failed validation, as handed to [`Store::insert_rejected_event`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewRejectedEvent {
    /// Alias it was posted to.
    pub alias: String,
    /// `public_api`, `webhook`, ...
    pub source: String,
    /// Why it was rejected.
    pub reason: String,
    /// The body exactly as received.
    pub raw_body: Vec<u8>,
}

/// A rejected event as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RejectedEvent {
    /// Id.
    pub id: String,
    /// Alias it was posted to.
    pub alias: String,
    /// `public_api`, `webhook`, ...
    pub source: String,
    /// Why it was rejected.
    pub reason: String,
    /// The body exactly as received.
    pub raw_body: Vec<u8>,
    /// When it arrived.
    #[ts(type = "string")]
    pub received_at: DateTime<Utc>,
}

/// A received, valid event for [`Store::accept_event`]: the event, its primary key and the
/// email of its contact.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Alias, source and payload.
    pub event: Event,
    /// The value of the definition's primary key field.
    pub primary_key: String,
    /// The contact's email (case-insensitive).
    pub email: String,
    /// Create the contact when no contact has this email.
    pub create_contact: bool,
}

/// What [`Store::accept_event`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptedEvent {
    /// Stored (or found stored already, see [`InsertedEvent::duplicate`]); committed.
    Stored {
        /// The event's id and whether it was a repeat.
        inserted: InsertedEvent,
        /// The contact it is for (for a repeat: the stored event's; empty when that contact
        /// has been deleted since).
        contact_id: String,
        /// When it was stored (for a repeat: when the repeat arrived).
        received_at: DateTime<Utc>,
    },
    /// No contact has the email and `create_contact` was not set; nothing was written.
    NoContact,
}

const EVENT_COLUMNS: &str = "id, alias, source, contact_id, payload, primary_key, received_at";
const REJECTED_COLUMNS: &str = "id, alias, source, reason, raw_body, received_at";

type EventRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
);

fn event_row(row: &Row<'_>) -> rusqlite::Result<EventRow> {
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

fn decode_event(row: EventRow) -> Result<StoredEvent> {
    let (id, alias, source, contact_id, payload, primary_key, received_at) = row;
    Ok(StoredEvent {
        id,
        event: Event {
            alias,
            source,
            payload: from_json(&payload, "event payload")?,
        },
        contact_id,
        primary_key,
        received_at: parse_time(&received_at, "event")?,
    })
}

type RejectedRow = (String, String, String, String, Vec<u8>, String);

fn rejected_row(row: &Row<'_>) -> rusqlite::Result<RejectedRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

fn decode_rejected(row: RejectedRow) -> Result<RejectedEvent> {
    let (id, alias, source, reason, raw_body, received_at) = row;
    Ok(RejectedEvent {
        id,
        alias,
        source,
        reason,
        raw_body,
        received_at: parse_time(&received_at, "rejected event")?,
    })
}

/// The id and contact of the stored event with this alias and primary key, if any.
fn existing_event(
    conn: &Connection,
    alias: &str,
    primary_key: &str,
) -> Result<Option<(String, Option<String>)>> {
    Ok(conn
        .prepare_cached("SELECT id, contact_id FROM events WHERE alias = ?1 AND primary_key = ?2")?
        .query_row([alias, primary_key], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?)
}

/// [`Store::accept_event`] on an open transaction.
pub(crate) fn accept(conn: &Connection, new: &NewEvent) -> Result<AcceptedEvent> {
    let event = &new.event;
    if event.alias.trim().is_empty() {
        return Err(StoreError::invalid("event alias", "the alias is empty"));
    }
    if new.primary_key.is_empty() {
        return Err(StoreError::invalid(
            "event primary key",
            "the primary key is empty",
        ));
    }
    let received_at = now();
    // A repeat is acknowledged with the stored event and its contact, before any contact is
    // looked up or created for the repeat's own email.
    if let Some((id, stored_contact)) = existing_event(conn, &event.alias, &new.primary_key)? {
        return Ok(AcceptedEvent::Stored {
            inserted: InsertedEvent {
                id,
                duplicate: true,
            },
            contact_id: stored_contact.unwrap_or_default(),
            received_at,
        });
    }
    let email = new.email.trim();
    let contact_id = match id_by_email(conn, email)? {
        Some(id) => id,
        None if new.create_contact => {
            let mut contact = Contact {
                id: crate::ordered_id(),
                email: Some(email.to_string()),
                ..Contact::default()
            };
            normalize(&mut contact);
            check(&contact).map_err(|(field, message)| StoreError::invalid(field, message))?;
            insert(conn, &contact)?;
            contact.id
        }
        None => return Ok(AcceptedEvent::NoContact),
    };
    let id = crate::ordered_id();
    conn.prepare_cached(
        "INSERT INTO events (id, alias, source, contact_id, payload, primary_key, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        id,
        event.alias,
        event.source,
        contact_id,
        to_json(&event.payload, "event payload")?,
        new.primary_key,
        format_time(received_at),
    ])?;
    Ok(AcceptedEvent::Stored {
        inserted: InsertedEvent {
            id,
            duplicate: false,
        },
        contact_id,
        received_at,
    })
}

impl Store {
    /// In one transaction: when an event with the same alias and primary key is stored
    /// already, nothing is written and the stored id comes back as a duplicate; otherwise finds
    /// the contact of `new.email` (creating it when missing and `new.create_contact` is set)
    /// and stores the event for it. Committed when this returns: acknowledge after it.
    pub fn accept_event(&self, new: &NewEvent) -> Result<AcceptedEvent> {
        self.with_tx(|tx| accept(tx, new))
    }

    /// [`Store::accept_event`] for several events with one commit (group commit); each event
    /// is written, or rolled back, on its own, and has its own answer in the same order.
    pub fn accept_events(&self, events: &[NewEvent]) -> Result<Vec<Result<AcceptedEvent>>> {
        self.with_batch(events, accept)
    }

    /// Stores a received event unless one with the same alias and primary key is already
    /// stored, in which case nothing is written and the existing id comes back with
    /// `duplicate: true`. The event is committed when this returns (acknowledge after it).
    /// `contact_id`, when given, must name a stored contact.
    pub fn insert_event(
        &self,
        event: &Event,
        primary_key: &str,
        contact_id: Option<&str>,
    ) -> Result<InsertedEvent> {
        if event.alias.trim().is_empty() {
            return Err(StoreError::invalid("event alias", "the alias is empty"));
        }
        if primary_key.is_empty() {
            return Err(StoreError::invalid(
                "event primary key",
                "the primary key is empty",
            ));
        }
        let payload = to_json(&event.payload, "event payload")?;
        self.with_tx(|tx| {
            if let Some((id, _)) = existing_event(tx, &event.alias, primary_key)? {
                return Ok(InsertedEvent {
                    id,
                    duplicate: true,
                });
            }
            if let Some(contact) = contact_id
                && !tx
                    .prepare_cached("SELECT 1 FROM contacts WHERE id = ?1")?
                    .exists([contact])?
            {
                return Err(StoreError::id_not_found("contact", contact));
            }
            let id = new_id();
            tx.prepare_cached(
                "INSERT INTO events (id, alias, source, contact_id, payload, primary_key,
                                     received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                id,
                event.alias,
                event.source,
                contact_id,
                payload,
                primary_key,
                format_time(now()),
            ])?;
            Ok(InsertedEvent {
                id,
                duplicate: false,
            })
        })
    }

    /// The received event with id `id`.
    pub fn get_event(&self, id: &str) -> Result<StoredEvent> {
        self.with_read(|conn| {
            let row = conn
                .prepare_cached(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1"))?
                .query_row([id], event_row)
                .optional()?
                .ok_or_else(|| StoreError::id_not_found("event", id))?;
            decode_event(row)
        })
    }

    /// The most recent events received for any alias, newest first, at most `limit`.
    pub fn list_recent_events(&self, limit: usize) -> Result<Vec<StoredEvent>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events ORDER BY received_at DESC, rowid DESC LIMIT ?1"
            ))?;
            let rows = stmt.query_map(params![sql_int(limit)], event_row)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(decode_event(row?)?);
            }
            Ok(out)
        })
    }

    /// The most recent events received for `alias`, newest first, at most `limit`.
    pub fn list_events(&self, alias: &str, limit: usize) -> Result<Vec<StoredEvent>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE alias = ?1
                 ORDER BY received_at DESC, rowid DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![alias, sql_int(limit)], event_row)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(decode_event(row?)?);
            }
            Ok(out)
        })
    }

    /// Keeps an event that failed validation; returns its id.
    pub fn insert_rejected_event(&self, event: &NewRejectedEvent) -> Result<String> {
        let id = new_id();
        self.with_conn(|conn| {
            conn.prepare_cached(&format!(
                "INSERT INTO rejected_events ({REJECTED_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            ))?
            .execute(params![
                id,
                event.alias,
                event.source,
                event.reason,
                event.raw_body,
                format_time(now()),
            ])?;
            Ok(())
        })?;
        Ok(id)
    }

    /// The rejected event with id `id`.
    pub fn get_rejected_event(&self, id: &str) -> Result<RejectedEvent> {
        self.with_conn(|conn| {
            let row = conn
                .prepare_cached(&format!(
                    "SELECT {REJECTED_COLUMNS} FROM rejected_events WHERE id = ?1"
                ))?
                .query_row([id], rejected_row)
                .optional()?
                .ok_or_else(|| StoreError::id_not_found("rejected event", id))?;
            decode_rejected(row)
        })
    }

    /// Rejected events, newest first, optionally of one alias only, at most `limit`.
    pub fn list_rejected_events(
        &self,
        alias: Option<&str>,
        limit: usize,
    ) -> Result<Vec<RejectedEvent>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {REJECTED_COLUMNS} FROM rejected_events WHERE ?1 IS NULL OR alias = ?1
                 ORDER BY received_at DESC, rowid DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![alias, sql_int(limit)], rejected_row)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(decode_rejected(row?)?);
            }
            Ok(out)
        })
    }

    /// Deletes the rejected event with id `id` (after a replay, or to discard it).
    pub fn delete_rejected_event(&self, id: &str) -> Result<()> {
        self.with_conn(|conn| {
            if conn
                .prepare_cached("DELETE FROM rejected_events WHERE id = ?1")?
                .execute([id])?
                == 0
            {
                return Err(StoreError::id_not_found("rejected event", id));
            }
            Ok(())
        })
    }
}
