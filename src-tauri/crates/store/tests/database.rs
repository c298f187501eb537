//! Opening a database file: pragmas, migrations, transactions, upgrades, and no secrets.

mod common;

use common::{TestResult, temp_store, webhook, workflow};
use hookboard_engine::model::{ApiKeyPlacement, Connector, ConnectorAuth};
use hookboard_engine::trace::RunStatus;
use hookboard_store::{
    ContactQuery, NewRejectedEvent, RunFilter, SCHEMA_VERSION, Store, StoreError, migrations,
};
use rusqlite::{Connection, params};

#[test]
fn open_uses_wal_foreign_keys_and_all_migrations() -> TestResult {
    let (dir, path, store) = temp_store()?;
    assert_eq!(store.schema_version()?, SCHEMA_VERSION);
    const { assert!(SCHEMA_VERSION >= 2) };
    store.save_workflow(&workflow("welcome", ""))?;
    assert!(
        dir.path().join("hookboard.db-wal").exists(),
        "WAL file expected"
    );

    let raw = Connection::open(&path)?;
    let mode: String = raw.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
    assert_eq!(mode, "wal");

    // Foreign keys are on in the store's connection: deleting a workflow cascades.
    store.delete_workflow("welcome")?;
    let left: i64 = raw.query_row("SELECT COUNT(*) FROM workflow_revisions", [], |r| r.get(0))?;
    assert_eq!(left, 0);
    drop(store);

    // Reopening an up-to-date file applies nothing and loses nothing.
    let store = Store::open(&path)?;
    store.save_workflow(&workflow("again", ""))?;
    drop(store);
    let store = Store::open(&path)?;
    assert_eq!(store.get_workflow("again")?.name, "again");
    Ok(())
}

#[test]
fn the_store_can_be_shared_between_threads() -> TestResult {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();

    // Two connections on one file (the server and a CLI, say) writing at the same time: the
    // busy timeout and BEGIN IMMEDIATE make them take turns instead of failing.
    let (_dir, path, first) = temp_store()?;
    let second = Store::open(&path)?;
    std::thread::scope(|scope| -> TestResult {
        let handles: Vec<_> = [(&first, "a"), (&second, "b")]
            .into_iter()
            .map(|(store, prefix)| {
                scope.spawn(move || -> Result<(), StoreError> {
                    for n in 0..40 {
                        store.save_workflow(&workflow(&format!("{prefix}{}", n % 4), "x"))?;
                    }
                    Ok(())
                })
            })
            .collect();
        for handle in handles {
            handle.join().map_err(|_| "writer thread panicked")??;
        }
        Ok(())
    })?;
    assert_eq!(first.list_workflows()?.len(), 8);
    assert_eq!(second.list_revisions("a0")?.len(), 10);
    Ok(())
}

#[test]
fn in_memory_store_has_the_full_schema() -> TestResult {
    let store = Store::open_in_memory()?;
    assert_eq!(store.schema_version()?, SCHEMA_VERSION);
    store.save_workflow(&workflow("welcome", ""))?;
    assert_eq!(store.list_workflows()?.len(), 1);
    Ok(())
}

#[test]
fn open_creates_missing_folders() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("data").join("nested").join("hookboard.db");
    Store::open(&path)?;
    assert!(path.exists());
    Ok(())
}

#[test]
fn a_database_from_a_newer_build_is_refused() -> TestResult {
    let (_dir, path, store) = temp_store()?;
    drop(store);
    let raw = Connection::open(&path)?;
    raw.pragma_update(None, "user_version", 99)?;
    drop(raw);
    match Store::open(&path) {
        Err(StoreError::TooNew { found, supported }) => {
            assert_eq!(found, 99);
            assert_eq!(supported, SCHEMA_VERSION);
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    Ok(())
}

#[test]
fn with_tx_rolls_back_everything_on_error() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let result: Result<(), StoreError> = store.with_tx(|tx| {
        tx.execute(
            "INSERT INTO groups (name, created_at) VALUES ('vip', '2024-01-01T00:00:00.000Z')",
            [],
        )?;
        Err(StoreError::Invalid {
            field: "test".into(),
            message: "abort".into(),
        })
    });
    assert!(result.is_err());
    assert!(store.list_groups()?.is_empty());

    store.with_tx(|tx| {
        tx.execute(
            "INSERT INTO groups (name, created_at) VALUES ('vip', '2024-01-01T00:00:00.000Z')",
            [],
        )?;
        Ok(())
    })?;
    assert_eq!(store.list_groups()?.len(), 1);
    Ok(())
}

/// A database written by schema version 1, with data in every table, keeps all of it when a
/// newer build opens it.
#[test]
fn upgrade_from_schema_1_keeps_every_row() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("old.db");
    {
        let mut raw = Connection::open(&path)?;
        raw.pragma_update(None, "foreign_keys", "ON")?;
        migrations().to_version(&mut raw, 1)?;
        let t = "2024-05-01T10:00:00.000Z";
        let wf = serde_json::to_string(&workflow("welcome", "old description"))?;
        let wh = serde_json::to_string(&webhook("WH1", "https://crm.example.com/c"))?;
        raw.execute_batch("BEGIN")?;
        raw.execute(
            "INSERT INTO workflows (id, name, created_at, updated_at) VALUES ('w1', 'welcome', ?1, ?1)",
            [t],
        )?;
        raw.execute(
            "INSERT INTO workflow_revisions (id, workflow_id, number, saved_at, definition)
             VALUES ('r1', 'w1', 1, ?1, ?2)",
            params![t, wf],
        )?;
        raw.execute(
            "INSERT INTO webhooks (id, name, definition, created_at, updated_at)
             VALUES ('h1', 'WH1', ?2, ?1, ?1)",
            params![t, wh],
        )?;
        raw.execute(
            "INSERT INTO connectors (name, auth_type, definition, updated_at)
             VALUES ('crm', 'bearer', '{\"name\":\"crm\",\"auth\":{\"type\":\"bearer\"}}', ?1)",
            [t],
        )?;
        raw.execute(
            "INSERT INTO environments (name, variables, updated_at)
             VALUES ('sandbox', '{\"base_url\":\"https://sandbox.example.com\"}', ?1)",
            [t],
        )?;
        raw.execute(
            "INSERT INTO contacts (id, email, first_name, last_name, custom, created_at, updated_at)
             VALUES ('c1', 'ada@example.com', 'Ada', 'Lovelace', '{\"score\":3}', ?1, ?1)",
            [t],
        )?;
        raw.execute(
            "INSERT INTO groups (id, name, created_at) VALUES (1, 'vip', ?1)",
            [t],
        )?;
        raw.execute(
            "INSERT INTO contact_groups (contact_id, group_id, added_at) VALUES ('c1', 1, ?1)",
            [t],
        )?;
        raw.execute(
            "INSERT INTO events (id, alias, source, contact_id, payload, primary_key, received_at)
             VALUES ('e1', 'signup', 'webhook', 'c1', '{\"order\":\"A-1\"}', 'A-1', ?1)",
            [t],
        )?;
        raw.execute(
            "INSERT INTO runs (id, workflow, status, contact_id, contact, resume_at, started_at,
                               finished_at)
             VALUES ('run1', 'welcome', 'completed', 'c1', '{\"id\":\"c1\"}', NULL, ?1, ?1)",
            [t],
        )?;
        // Inserted after the first step's row on purpose: the order kept is the steps' own.
        raw.execute(
            "INSERT INTO steps (run_id, idx, node, kind, status, branch, step)
             VALUES ('run1', 1, 'done', 'end', 'ok', NULL,
                     '{\"node\":\"done\",\"kind\":\"end\",\"status\":\"ok\",
                       \"branch\":null,\"request\":null,\"response\":null,\"changes\":null,
                       \"duration_ms\":2,\"error\":null}')",
            [],
        )?;
        raw.execute(
            "INSERT INTO steps (run_id, idx, node, kind, status, branch, step)
             VALUES ('run1', 0, 'start', 'manual_trigger', 'ok', 'next',
                     '{\"node\":\"start\",\"kind\":\"manual_trigger\",\"status\":\"ok\",
                       \"branch\":\"next\",\"request\":null,\"response\":null,\"changes\":null,
                       \"duration_ms\":0,\"error\":null}')",
            [],
        )?;
        raw.execute_batch("COMMIT")?;
        let version: i64 = raw.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        assert_eq!(version, 1);
        // Schema 1 has no rejected events.
        assert!(raw.prepare("SELECT * FROM rejected_events").is_err());
    }

    let store = Store::open(&path)?;
    assert_eq!(store.schema_version()?, SCHEMA_VERSION);

    let wf = store.get_workflow("welcome")?;
    assert_eq!(wf.description, "old description");
    assert_eq!(wf.nodes.len(), 2);
    assert_eq!(store.list_revisions("welcome")?.len(), 1);
    assert_eq!(store.get_webhook("WH1")?.url, "https://crm.example.com/c");
    assert_eq!(store.get_connector("crm")?.auth, ConnectorAuth::Bearer);
    assert_eq!(
        store.get_environment("sandbox")?.variables["base_url"],
        "https://sandbox.example.com"
    );

    let ada = store.get_contact("c1")?;
    assert_eq!(ada.email.as_deref(), Some("ada@example.com"));
    assert_eq!(ada.custom["score"], serde_json::json!(3));
    assert_eq!(ada.groups, vec!["vip".to_string()]);
    let found = store.search_contacts(&ContactQuery {
        text: Some("LOVE".into()),
        ..ContactQuery::default()
    })?;
    assert_eq!(found.len(), 1);

    let events = store.list_events("signup", 10)?;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].contact_id.as_deref(), Some("c1"));

    let run = store.get_run("run1")?;
    assert_eq!(run.trace.status, RunStatus::Completed);
    let nodes: Vec<&str> = run.trace.steps.iter().map(|s| s.node.as_str()).collect();
    assert_eq!(nodes, ["start", "done"], "steps keep their order");
    assert_eq!(run.trace.steps[1].duration_ms, 2);
    assert_eq!(run.meta.event_id, None, "the new column starts empty");
    let listed = store.list_runs(&RunFilter::default())?;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].steps, 2, "the step count is kept");

    // What schema 2 added works on the upgraded file.
    assert!(store.list_rejected_events(None, 10)?.is_empty());
    store.insert_rejected_event(&NewRejectedEvent {
        alias: "signup".into(),
        source: "webhook".into(),
        reason: "missing field `email`".into(),
        raw_body: b"{}".to_vec(),
    })?;
    assert_eq!(store.list_rejected_events(None, 10)?.len(), 1);
    drop(store);

    let raw = Connection::open(&path)?;
    let violations: i64 =
        raw.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })?;
    assert_eq!(violations, 0);
    Ok(())
}

/// Connectors keep metadata only: no column can hold a secret, and the raw file bytes (main
/// file and WAL) contain the connector but nothing secret-like.
#[test]
fn connectors_store_no_secret() -> TestResult {
    let (dir, path, store) = temp_store()?;
    let connectors = [
        Connector {
            name: "crm-basic".into(),
            auth: ConnectorAuth::Basic {
                username: "svc-login".into(),
            },
        },
        Connector {
            name: "crm-bearer".into(),
            auth: ConnectorAuth::Bearer,
        },
        Connector {
            name: "crm-key".into(),
            auth: ConnectorAuth::ApiKey {
                placement: ApiKeyPlacement::Header,
                param_name: "X-Api-Key".into(),
            },
        },
    ];
    for c in &connectors {
        store.upsert_connector(c)?;
    }
    assert_eq!(store.list_connectors()?, connectors.to_vec());

    // The schema: no column anywhere is named like a secret.
    let raw = Connection::open(&path)?;
    let mut stmt = raw.prepare(
        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
         WHERE m.type = 'table'",
    )?;
    let columns = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    assert!(
        columns
            .iter()
            .any(|(t, c)| t == "connectors" && c == "auth_type")
    );
    for (table, column) in &columns {
        let lower = column.to_lowercase();
        for word in ["secret", "password", "passwd", "token", "credential"] {
            assert!(
                !lower.contains(word),
                "column {table}.{column} looks like a secret"
            );
        }
    }
    drop(stmt);
    drop(raw);

    // The bytes: what was stored is there, nothing secret-like is.
    let mut bytes = std::fs::read(&path)?;
    let wal = dir.path().join("hookboard.db-wal");
    if wal.exists() {
        bytes.extend(std::fs::read(&wal)?);
    }
    let text = String::from_utf8_lossy(&bytes).to_lowercase();
    assert!(
        text.contains("svc-login"),
        "the connector should be in the file bytes"
    );
    assert!(text.contains("x-api-key"));
    assert!(!text.contains("password"));
    assert!(!text.contains("secret"));
    drop(store);
    Ok(())
}
