-- Hookboard store, schema version 1.
-- Timestamps are RFC 3339 UTC text with milliseconds, so they sort as text.
-- JSON columns hold the engine's model types serialized with serde_json.

-- Workflows: the row is the identity (its name is authoritative), each save appends a revision.
CREATE TABLE workflows (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE workflow_revisions (
    id           TEXT PRIMARY KEY NOT NULL,
    workflow_id  TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    saved_at     TEXT NOT NULL,
    definition   TEXT NOT NULL,
    UNIQUE (workflow_id, number)
) STRICT;

-- Webhooks: soft delete; several deleted rows may share a name, active names are unique.
CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    definition  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
) STRICT;

CREATE UNIQUE INDEX webhooks_active_name ON webhooks (name) WHERE deleted_at IS NULL;

-- Connectors: metadata only (name, auth type and its public settings).
CREATE TABLE connectors (
    name        TEXT PRIMARY KEY NOT NULL,
    auth_type   TEXT NOT NULL,
    definition  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE event_definitions (
    alias       TEXT PRIMARY KEY NOT NULL,
    context     TEXT NOT NULL,
    definition  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE environments (
    name        TEXT PRIMARY KEY NOT NULL,
    variables   TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

-- Contacts: standard fields as columns, custom fields as a JSON object.
CREATE TABLE contacts (
    id          TEXT PRIMARY KEY NOT NULL,
    email       TEXT,
    phone       TEXT,
    first_name  TEXT,
    last_name   TEXT,
    city        TEXT,
    birthday    TEXT,
    custom      TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX contacts_email ON contacts (email COLLATE NOCASE) WHERE email IS NOT NULL;

CREATE TABLE groups (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE contact_groups (
    contact_id  TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    group_id    INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    added_at    TEXT NOT NULL,
    PRIMARY KEY (contact_id, group_id)
) STRICT;

CREATE INDEX contact_groups_group ON contact_groups (group_id);

-- Received events; a repeated (alias, primary_key) is acknowledged, not stored twice.
CREATE TABLE events (
    id           TEXT PRIMARY KEY NOT NULL,
    alias        TEXT NOT NULL,
    source       TEXT NOT NULL,
    contact_id   TEXT REFERENCES contacts (id) ON DELETE SET NULL,
    payload      TEXT NOT NULL,
    primary_key  TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    UNIQUE (alias, primary_key)
) STRICT;

-- Runs keep the workflow name and contact id as plain text: a run outlives its workflow and
-- test runs use contacts that were never saved. `contact` is the contact after the run.
CREATE TABLE runs (
    id           TEXT PRIMARY KEY NOT NULL,
    workflow     TEXT NOT NULL,
    status       TEXT NOT NULL,
    contact_id   TEXT,
    contact      TEXT NOT NULL,
    resume_at    TEXT,
    started_at   TEXT NOT NULL,
    finished_at  TEXT
) STRICT;

CREATE TABLE steps (
    run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    idx     INTEGER NOT NULL,
    node    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    status  TEXT NOT NULL,
    branch  TEXT,
    step    TEXT NOT NULL,
    PRIMARY KEY (run_id, idx)
) STRICT;
