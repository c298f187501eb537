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
mod waits;
mod webhooks;
mod workflows;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use contacts::{ContactQuery, GroupInfo};
pub use error::{Result, StoreError};
pub use events::{
    AcceptedEvent, InsertedEvent, NewEvent, NewRejectedEvent, RejectedEvent, StoredEvent,
};
pub use import::{ImportReport, RowError};
pub use migrations::{SCHEMA_VERSION, migrations};
pub use runs::{RecordedRun, RunFilter, RunMeta, RunRecord, RunSummary, StartedBetween, StoredRun};
pub use segments::{ConditionOp, SEGMENT_FIELDS, Segment, SegmentCondition};
pub use server::{GroupEntry, GroupMember, QueuedRun, RunContext};
pub use waits::Wait;
pub use webhooks::DeletedWebhook;
pub use workflows::{RevisionInfo, WorkflowSummary};

/// A new id that sorts by creation time (UUID v7): rows inserted one after the other land
/// side by side in every index keyed by it, so a commit touches few pages.
pub(crate) fn ordered_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// How long a statement waits for another connection's lock before failing with "busy".
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How commits reach the disk (SQLite's `synchronous` setting; the file is always in WAL mode).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: every commit is synced to disk before it returns; a commit survives
    /// a power loss or an operating system crash.
    #[default]
    Full,
    /// `synchronous=NORMAL`: a commit is in the WAL file (the operating system's cache) when it
    /// returns, and synced at checkpoints. It survives the process being killed (`kill -9`, a
    /// panic, an abort) but the last commits may be lost on a power loss or an OS crash. The
    /// database file is never corrupted either way.
    Normal,
}

/// How [`Store::open_with`] opens the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// The `synchronous` setting of every connection.
    pub durability: Durability,
    /// Read-only connections besides the writing one: reads made through them do not wait for
    /// writes (WAL lets readers and one writer work side by side). 0: everything on one
    /// connection.
    pub readers: usize,
}

/// The Hookboard database. Cheap to share behind an `Arc`: writes are serialized on one
/// connection, which is what SQLite allows anyway; with [`StoreOptions::readers`], some reads
/// run on read-only connections beside it.
pub struct Store {
    conn: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
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
        Store::open_with(path, StoreOptions::default())
    }

    /// [`Store::open`] with a choice of durability and read-only connections.
    pub fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        let path = path.as_ref();
        let open_err = |message: String| StoreError::Open {
            path: path.to_path_buf(),
            message,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| open_err(format!("cannot create folder: {e}")))?;
        }
        let synchronous = match options.durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        let connect = || -> Result<Connection> {
            let conn = Connection::open(path).map_err(|e| open_err(e.to_string()))?;
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
            conn.pragma_update(None, "synchronous", synchronous)
                .map_err(|e| open_err(e.to_string()))?;
            // Statement journals and savepoints in memory rather than in temporary files.
            conn.pragma_update(None, "temp_store", "MEMORY")
                .map_err(|e| open_err(e.to_string()))?;
            Ok(conn)
        };
        let mut conn = connect()?;
        Self::prepare(&mut conn).map_err(|e| match e {
            StoreError::Sqlite(e) => open_err(e.to_string()),
            other => other,
        })?;
        let mut readers = Vec::with_capacity(options.readers);
        for _ in 0..options.readers {
            let reader = connect()?;
            Self::prepare_reader(&reader).map_err(|e| match e {
                StoreError::Sqlite(e) => open_err(e.to_string()),
                other => other,
            })?;
            readers.push(Mutex::new(reader));
        }
        Ok(Store {
            conn: Mutex::new(conn),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    /// Opens a fresh in-memory database with the full schema (for quick tests and previews).
    pub fn open_in_memory() -> Result<Store> {
        let mut conn = Connection::open_in_memory()?;
        Self::prepare(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
            readers: Vec::new(),
            next_reader: AtomicUsize::new(0),
        })
    }

    /// A read-only connection: the SQL functions, and no writes.
    fn prepare_reader(conn: &Connection) -> Result<()> {
        Self::functions(conn)?;
        conn.pragma_update(None, "query_only", "ON")?;
        Ok(())
    }

    fn functions(conn: &Connection) -> Result<()> {
        // Unicode-aware lower(); SQLite's own folds ASCII only.
        conn.create_scalar_function(
            "hb_fold",
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| s.to_lowercase())),
        )?;
        Ok(())
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
        Self::functions(conn)?;
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

    /// Runs each of `items` through `f` inside one `BEGIN IMMEDIATE` transaction, each in its
    /// own savepoint: an item whose `f` fails is rolled back alone and its error takes its
    /// place in the answer; the others are committed together, with one commit (group commit).
    /// `Err` when the transaction itself fails (nothing is written then).
    pub fn with_batch<I, T>(
        &self,
        items: impl IntoIterator<Item = I>,
        mut f: impl FnMut(&Connection, I) -> Result<T>,
    ) -> Result<Vec<Result<T>>> {
        let mut conn = self.lock();
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = Vec::new();
        for item in items {
            let savepoint = tx.savepoint()?;
            match f(&savepoint, item) {
                Ok(value) => {
                    savepoint.commit()?;
                    out.push(Ok(value));
                }
                // Dropping the savepoint rolls the item back.
                Err(e) => out.push(Err(e)),
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Runs a read on a read-only connection (on the writing one when there is none). Sees
    /// every commit made before it starts.
    pub(crate) fn with_read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        if self.readers.is_empty() {
            return self.with_conn(f);
        }
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for k in 0..self.readers.len() {
            let reader = &self.readers[(start + k) % self.readers.len()];
            if let Ok(conn) = reader.try_lock() {
                return f(&conn);
            }
        }
        let reader = &self.readers[start % self.readers.len()];
        let conn = reader.lock().unwrap_or_else(PoisonError::into_inner);
        f(&conn)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held rolled back its transaction (Transaction's drop),
        // so the connection is still usable.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
