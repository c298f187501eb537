//! A database written by the server before its tables moved into the store's migrations (store
//! schema 2 plus the tables the server created itself) keeps its keys and its queue.

use hookboard_server::keys::{ServerDb, ServerDbError};
use hookboard_store::{SCHEMA_VERSION, Store, migrations};
use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

/// What `ServerDb::open` created before schema version 3.
const OLD_SERVER_SCHEMA: &str = "
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

const OLD_KEY: &str = "hbk_0123456789abcdef0123456789abcdef";

/// A schema-2 database with the old server tables: one key, two events, the first processed.
fn old_database(path: &std::path::Path) {
    let mut conn = Connection::open(path).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    migrations().to_version(&mut conn, 2).expect("schema 2");
    conn.execute_batch(OLD_SERVER_SCHEMA).expect("old tables");
    conn.execute(
        "INSERT INTO hb_server_api_keys (id, scope, key_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            "key-1",
            "signups",
            Sha256::digest(OLD_KEY.as_bytes()).to_vec(),
            "2025-01-01T00:00:00.000Z"
        ],
    )
    .expect("key");
    for (id, pk) in [("event-done", "s-1"), ("event-queued", "s-2")] {
        conn.execute(
            "INSERT INTO events (id, alias, source, contact_id, payload, primary_key, received_at)
             VALUES (?1, 'signup', 'webhook', NULL, '{}', ?2, '2025-01-01T00:00:00.000Z')",
            params![id, pk],
        )
        .expect("event");
    }
    conn.execute(
        "INSERT INTO hb_server_processed (event_id, processed_at)
         VALUES ('event-done', '2025-01-01T00:00:01.000Z')",
        [],
    )
    .expect("processed");
}

#[test]
fn an_old_server_database_keeps_its_keys_and_its_queue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hookboard.db");
    old_database(&path);
    match ServerDb::open(&path) {
        Err(ServerDbError::Schema { found: 2, .. }) => {}
        other => panic!("a schema-2 file must be refused before the store migrates it: {other:?}"),
    }
    let store = Store::open(&path).expect("store");
    assert_eq!(store.schema_version().expect("version"), SCHEMA_VERSION);
    let db = ServerDb::open(&path).expect("server db");
    assert_eq!(
        db.scope_of(OLD_KEY).expect("scope").as_deref(),
        Some("signups")
    );
    assert_eq!(db.scope_of("hbk_other").expect("scope"), None);
    assert_eq!(db.pending_events().expect("pending"), ["event-queued"]);
    db.mark_processed("event-queued").expect("mark");
    assert!(db.pending_events().expect("pending").is_empty());
    let created = db.create_key("others").expect("create");
    assert_eq!(
        db.scope_of(&created.key).expect("scope").as_deref(),
        Some("others")
    );
    let conn = Connection::open(&path).expect("open");
    let old_tables: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'hb_server_%'",
            [],
            |row| row.get(0),
        )
        .expect("count");
    assert_eq!(old_tables, 0, "the old tables are dropped");
}

#[test]
fn a_new_database_has_the_server_tables_after_the_store_opens_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("new.db");
    Store::open(&path).expect("store");
    let db = ServerDb::open(&path).expect("server db");
    let created = db.create_key("signups").expect("create");
    let secret = created
        .key
        .strip_prefix(hookboard_server::keys::KEY_PREFIX)
        .expect("the key starts with the prefix");
    assert_eq!(secret.len(), 64, "32 random bytes in hex: {secret}");
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()), "{secret}");
    let another = db.create_key("signups").expect("create");
    assert_ne!(another.key, created.key);
    assert_eq!(
        db.scope_of(&created.key).expect("scope").as_deref(),
        Some("signups")
    );
    assert!(db.pending_events().expect("pending").is_empty());
}
