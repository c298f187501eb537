//! Hookboard's SQLite persistence, shared by the desktop app and the server.
//!
//! [`Store::open`] opens (or creates) one database file in WAL mode with foreign keys on and
//! applies the embedded, versioned SQL migrations in `migrations/`. The store keeps the engine's
//! model types ([`hookboard_engine::model`], [`hookboard_engine::trace`]) and defines only the
//! records that exist because of storage (revisions, soft deletes, received events, run lists).
//!
//! Every multi-statement write runs inside [`Store::with_tx`]; a failure rolls the whole write
//! back. No table holds a secret: connectors keep their name and public settings only.

#![warn(missing_docs)]

mod bundle;
mod codec;
mod contacts;
mod error;
mod events;
mod import;
mod migrations;
mod records;
mod runs;
mod segments;
mod server;
mod webhooks;
mod workflows;

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use contacts::{ContactQuery, GroupInfo};
pub use error::{Result, StoreError};
pub use events::{InsertedEvent, NewRejectedEvent, RejectedEvent, StoredEvent};
pub use import::{ImportReport, RowError};
pub use migrations::{SCHEMA_VERSION, migrations};
pub use runs::{RunFilter, RunMeta, RunSummary, StartedBetween, StoredRun};
pub use segments::{ConditionOp, SEGMENT_FIELDS, Segment, SegmentCondition};
pub use server::{GroupEntry, GroupMember, QueuedRun};
pub use webhooks::DeletedWebhook;
pub use workflows::{RevisionInfo, WorkflowSummary};

/// How long a statement waits for another connection's lock before failing with "busy".
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The Hookboard database. Cheap to share behind an `Arc`: calls are serialized on one
/// connection, which is what SQLite allows for writes anyway.
pub struct Store {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens or creates the database file at `path` (creating missing parent folders), sets WAL
    /// mode, `foreign_keys=ON`, `synchronous=FULL` and a busy timeout, then applies every pending
    /// migration. Fails with [`StoreError::TooNew`] on a file written by a newer Hookboard.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref();
        let open_err = |message: String| StoreError::Open {
            path: path.to_path_buf(),
            message,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| open_err(format!("cannot create folder: {e}")))?;
        }
        let mut conn = Connection::open(path).map_err(|e| open_err(e.to_string()))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| open_err(e.to_string()))?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(|e| open_err(e.to_string()))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(open_err(format!(
                "the file system does not support WAL mode (journal mode is `{mode}`)"
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| open_err(e.to_string()))?;
        Self::prepare(&mut conn).map_err(|e| match e {
            StoreError::Sqlite(e) => open_err(e.to_string()),
            other => other,
        })?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    /// Opens a fresh in-memory database with the full schema (for quick tests and previews).
    pub fn open_in_memory() -> Result<Store> {
        let mut conn = Connection::open_in_memory()?;
        Self::prepare(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    /// Foreign keys, SQL functions and migrations: what every connection needs.
    fn prepare(conn: &mut Connection) -> Result<()> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let on: bool = conn.pragma_query_value(None, "foreign_keys", |row| row.get(0))?;
        if !on {
            return Err(StoreError::Open {
                path: conn.path().unwrap_or_default().into(),
                message: "SQLite refused to enable foreign keys".to_string(),
            });
        }
        // Unicode-aware lower(); SQLite's own folds ASCII only.
        conn.create_scalar_function(
            "hb_fold",
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| s.to_lowercase())),
        )?;
        migrations::migrate(conn)
    }

    /// The schema version of the open database (equals [`SCHEMA_VERSION`] once open).
    pub fn schema_version(&self) -> Result<usize> {
        self.with_conn(migrations::current_version)
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction: commits when `f` returns `Ok`, rolls
    /// everything back when it returns an error. Every multi-statement write goes through here.
    pub fn with_tx<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs a read (or a single-statement write) on the connection.
    pub(crate) fn with_conn<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.lock();
        f(&conn)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held rolled back its transaction (Transaction's drop),
        // so the connection is still usable.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
