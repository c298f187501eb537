-- Hookboard store, schema version 4: segments.
-- A segment is a saved filter over contact fields and groups; its definition (groups, field
-- conditions, description) is the store's `Segment` serialized with serde_json.
CREATE TABLE segments (
    name        TEXT PRIMARY KEY NOT NULL,
    definition  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
