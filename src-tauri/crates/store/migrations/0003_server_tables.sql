-- Hookboard store, schema version 3: the tables of hookboard-server. Before this version the
-- server created `hb_server_api_keys` and `hb_server_processed` itself; their rows move into
-- the tables below and the old tables are dropped. A database without them gets empty ones.

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

-- API keys of the public API: the SHA-256 of the key, never the key.
CREATE TABLE server_api_keys (
    id          TEXT PRIMARY KEY NOT NULL,
    scope       TEXT NOT NULL,
    key_hash    BLOB NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

INSERT INTO server_api_keys (id, scope, key_hash, created_at)
SELECT id, scope, key_hash, created_at FROM hb_server_api_keys;

-- Received events whose workflows have all run (the rest is the queue after a restart).
CREATE TABLE server_processed_events (
    event_id      TEXT PRIMARY KEY NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    processed_at  TEXT NOT NULL
) STRICT;

INSERT INTO server_processed_events (event_id, processed_at)
SELECT event_id, processed_at FROM hb_server_processed
WHERE event_id IN (SELECT id FROM events);

DROP TABLE hb_server_api_keys;
DROP TABLE hb_server_processed;

-- Runs asked for without a new event (a replay, a contact entering a group), queued under the
-- id the run will have: the run is pending until `runs` has a row with that id.
CREATE TABLE server_queued_runs (
    run_id      TEXT PRIMARY KEY NOT NULL,
    workflow    TEXT NOT NULL,
    contact_id  TEXT REFERENCES contacts (id) ON DELETE SET NULL,
    event_id    TEXT REFERENCES events (id) ON DELETE SET NULL,
    event       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    replay_of   TEXT,
    queued_at   TEXT NOT NULL
) STRICT;

CREATE INDEX server_queued_runs_queued ON server_queued_runs (queued_at);
