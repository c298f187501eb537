-- Hookboard store, schema version 5: what hookboard-server keeps about runs that wait (at a
-- Wait or a Wait for event) and about the journeys of subscriptions. Nothing existing changes.

-- A waiting run, with what it needs to go on: `wake_at` is when the Wait ends or the Wait for
-- event times out; `alias` is the event a Wait for event waits for (NULL for a Wait); `since`
-- is when the wait began (only events received from then on are delivered to it);
-- `suspension` is the engine's saved state (JSON).
CREATE TABLE server_waits (
    run_id      TEXT PRIMARY KEY NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    workflow    TEXT NOT NULL,
    node        TEXT NOT NULL,
    alias       TEXT,
    contact_id  TEXT,
    wake_at     TEXT NOT NULL,
    since       TEXT NOT NULL,
    suspension  TEXT NOT NULL
) STRICT;

CREATE INDEX server_waits_wake ON server_waits (wake_at);
CREATE INDEX server_waits_event ON server_waits (alias, contact_id) WHERE alias IS NOT NULL;

-- The latest run each journey identifier of a subscription workflow started.
CREATE TABLE server_journeys (
    workflow    TEXT NOT NULL,
    journey_id  TEXT NOT NULL,
    run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    PRIMARY KEY (workflow, journey_id)
) STRICT;
