//! The server's own SQLite tables in the store's database file: API keys (stored as SHA-256
//! hashes) and the record of which received events the workers have finished.
//!
//! The tables belong to the store's schema (migration `0003_server_tables.sql`); this is a
//! second connection to the same file (WAL mode, so both connections work side by side) for
//! the small queries of the request and worker paths.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of every key this server creates (helps spotting a leaked key).
pub const KEY_PREFIX: &str = "hbk_";

/// Why the server's tables cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ServerDbError {
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The operating system gave no random bytes for a new key.
    #[error("no random bytes for the key from the operating system: {0}")]
    Random(getrandom::Error),
    /// The file has not been brought to the store's schema (open it with the store first).
    #[error(
        "the database has no server tables (schema version {found}, {needed} needed); \
         open it with the store first"
    )]
    Schema {
        /// Schema version found in the file.
        found: usize,
        /// The version that has the server's tables.
        needed: usize,
    },
}

/// Checks that `scope` can be given to a key: not blank and, when the bundle the server runs
/// is known, one of its `api_key_scopes` (a key of any other scope would be refused with 403
/// on every call). The error names the scope and the ones the bundle has.
pub fn check_scope(
    scope: &str,
    bundle: Option<&hookboard_engine::model::Bundle>,
) -> Result<(), String> {
    if scope.trim().is_empty() {
        return Err("--scope is empty: name one of the bundle's api_key_scopes".into());
    }
    let Some(bundle) = bundle else {
        return Ok(());
    };
    if bundle.api_key_scopes.iter().any(|s| s.name == scope) {
        return Ok(());
    }
    let known: Vec<String> = bundle
        .api_key_scopes
        .iter()
        .map(|s| format!("`{}`", s.name))
        .collect();
    Err(if known.is_empty() {
        format!("the bundle has no api_key_scopes, so a key of scope `{scope}` could post nothing")
    } else {
        format!(
            "the bundle has no API-key scope `{scope}`; its scopes: {}",
            known.join(", ")
        )
    })
}

/// First store schema version with the server's tables.
pub const SERVER_SCHEMA_VERSION: usize = 3;

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
    /// Opens a second connection to a database file that [`hookboard_store::Store::open`] has
    /// brought to the current schema (which has the server's tables); fails otherwise.
    pub fn open(path: &Path) -> Result<ServerDb, ServerDbError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(hookboard_store::BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        let found = usize::try_from(found).unwrap_or(0);
        if found < SERVER_SCHEMA_VERSION {
            return Err(ServerDbError::Schema {
                found,
                needed: SERVER_SCHEMA_VERSION,
            });
        }
        Ok(ServerDb {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Creates a key with this scope and returns it; only its SHA-256 hash is stored. The key
    /// is 32 bytes from the operating system's random source, in hex after [`KEY_PREFIX`].
    pub fn create_key(&self, scope: &str) -> Result<CreatedKey, ServerDbError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(ServerDbError::Random)?;
        let key = format!("{KEY_PREFIX}{}", hex::encode(secret));
        let id = uuid::Uuid::new_v4().to_string();
        self.lock().execute(
            "INSERT INTO server_api_keys (id, scope, key_hash, created_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![id, scope, hash(&key), chrono::Utc::now().to_rfc3339()],
        )?;
        Ok(CreatedKey { id, key })
    }

    /// Deletes the key with this id (one that could not be handed over, for example).
    pub fn delete_key(&self, id: &str) -> rusqlite::Result<()> {
        self.lock()
            .execute("DELETE FROM server_api_keys WHERE id = ?1", [id])
            .map(|_| ())
    }

    /// The scope of this key, if it is a known key. Every stored hash is compared, each in
    /// constant time, so the answer time does not depend on which key (if any) matched.
    pub fn scope_of(&self, key: &str) -> rusqlite::Result<Option<String>> {
        let wanted = hash(key);
        let conn = self.lock();
        let mut stmt = conn.prepare_cached("SELECT scope, key_hash FROM server_api_keys")?;
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
             WHERE NOT EXISTS (SELECT 1 FROM server_processed_events p WHERE p.event_id = e.id)
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

    /// Whether a run with this id is stored.
    pub fn run_stored(&self, run_id: &str) -> rusqlite::Result<bool> {
        self.lock()
            .prepare_cached("SELECT 1 FROM runs WHERE id = ?1")?
            .exists([run_id])
    }

    /// Records that every workflow of this event has run.
    pub fn mark_processed(&self, event_id: &str) -> rusqlite::Result<()> {
        self.lock().execute(
            "INSERT OR IGNORE INTO server_processed_events (event_id, processed_at) VALUES (?1, ?2)",
            params![event_id, chrono::Utc::now().to_rfc3339()],
        )?;
        Ok(())
    }
}
