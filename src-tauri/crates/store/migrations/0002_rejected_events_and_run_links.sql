-- Hookboard store, schema version 2.

-- Inbound events that failed validation, kept with the reason and the exact body for replay.
CREATE TABLE rejected_events (
    id           TEXT PRIMARY KEY NOT NULL,
    alias        TEXT NOT NULL,
    source       TEXT NOT NULL,
    reason       TEXT NOT NULL,
    raw_body     BLOB NOT NULL,
    received_at  TEXT NOT NULL
) STRICT;

CREATE INDEX rejected_events_received ON rejected_events (received_at);

-- The event a run started from; existing runs had none recorded.
ALTER TABLE runs ADD COLUMN event_id TEXT REFERENCES events (id) ON DELETE SET NULL;

-- Run lists filter by workflow, status or contact and show the newest first.
CREATE INDEX runs_started ON runs (started_at);
CREATE INDEX runs_workflow_started ON runs (workflow, started_at);
CREATE INDEX runs_contact_started ON runs (contact_id, started_at);
CREATE INDEX runs_event ON runs (event_id);

-- Recent events of one alias; contact lookups by phone and by name.
CREATE INDEX events_alias_received ON events (alias, received_at);
CREATE INDEX events_contact ON events (contact_id);
CREATE INDEX contacts_phone ON contacts (phone);
CREATE INDEX contacts_name ON contacts (last_name COLLATE NOCASE, first_name COLLATE NOCASE);
