//! The server's own SQLite tables in the store's database file: API keys (stored as SHA-256
//! hashes) and the record of which received events the workers have finished.
//!
//! The store crate has no tables for these yet; they are created with `IF NOT EXISTS` on a
//! second connection to the same file (WAL mode, so both connections can work side by side).

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of every key this server creates (helps spotting a leaked key).
pub const KEY_PREFIX: &str = "hbk_";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hb_server_api_keys (
    id          TEXT PRIMARY KEY NOT NULL,
    scope       TEXT NOT NULL,
    key_hash    BLOB NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS hb_server_processed (
    event_id      TEXT PRIMARY KEY NOT NULL,
    processed_at  TEXT NOT NULL
);
";

/// A connection to the server-owned tables.
pub struct ServerDb {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for ServerDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerDb").finish_non_exhaustive()
    }
}

/// A newly created key: the only moment the key itself is known.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    /// Key id (not secret).
    pub id: String,
    /// The key to give to the client; only its hash is stored.
    pub key: String,
}

fn hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

impl ServerDb {
    /// Opens the database file (created if missing) and creates the server's tables.
    /// Open the [`hookboard_store::Store`] first so that the file has its schema and WAL mode.
    pub fn open(path: &Path) -> rusqlite::Result<ServerDb> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(ServerDb {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Creates a key with this scope and returns it; only its SHA-256 hash is stored.
    pub fn create_key(&self, scope: &str) -> rusqlite::Result<CreatedKey> {
        let key = format!(
            "{KEY_PREFIX}{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let id = uuid::Uuid::new_v4().to_string();
        self.lock().execute(
            "INSERT INTO hb_server_api_keys (id, scope, key_hash, created_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![id, scope, hash(&key), chrono::Utc::now().to_rfc3339()],
        )?;
        Ok(CreatedKey { id, key })
    }

    /// The scope of this key, if it is a known key. Every stored hash is compared, each in
    /// constant time, so the answer time does not depend on which key (if any) matched.
    pub fn scope_of(&self, key: &str) -> rusqlite::Result<Option<String>> {
        let wanted = hash(key);
        let conn = self.lock();
        let mut stmt = conn.prepare_cached("SELECT scope, key_hash FROM hb_server_api_keys")?;
        let rows = stmt.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?))
        })?;
        let mut found = None;
        for row in rows {
            let (scope, stored) = row?;
            if bool::from(stored.ct_eq(&wanted)) {
                found = Some(scope);
            }
        }
        Ok(found)
    }

    /// Ids of received events no worker has finished, oldest first (the queue after a restart).
    pub fn pending_events(&self) -> rusqlite::Result<Vec<String>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT e.id FROM events e
             WHERE NOT EXISTS (SELECT 1 FROM hb_server_processed p WHERE p.event_id = e.id)
             ORDER BY e.rowid",
        )?;
        let ids = stmt.query_map([], |row| row.get::<_, String>(0))?;
        ids.collect()
    }

    /// Whether a run of `workflow` for this event is already stored (so it is not run twice).
    pub fn run_exists(&self, event_id: &str, workflow: &str) -> rusqlite::Result<bool> {
        Ok(self
            .lock()
            .prepare_cached("SELECT 1 FROM runs WHERE event_id = ?1 AND workflow = ?2 LIMIT 1")?
            .query_row(params![event_id, workflow], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Records that every workflow of this event has run.
    pub fn mark_processed(&self, event_id: &str) -> rusqlite::Result<()> {
        self.lock().execute(
            "INSERT OR IGNORE INTO hb_server_processed (event_id, processed_at) VALUES (?1, ?2)",
            params![event_id, chrono::Utc::now().to_rfc3339()],
        )?;
        Ok(())
    }
}
