//! The embedded, versioned SQL migrations.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations, SchemaVersion};

use crate::error::{Result, StoreError};

/// Each entry is one plain `.sql` file of `migrations/`, in order; never edit a released one,
/// add the next file instead.
const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../migrations/0001_initial.sql")),
    M::up(include_str!(
        "../migrations/0002_rejected_events_and_run_links.sql"
    ))
    .foreign_key_check(),
    M::up(include_str!("../migrations/0003_server_tables.sql")).foreign_key_check(),
    M::up(include_str!("../migrations/0004_segments.sql")),
    M::up(include_str!("../migrations/0005_waits_and_journeys.sql")),
    M::up(include_str!(
        "../migrations/0006_run_steps_in_one_document.sql"
    )),
];

/// The schema version a database has after [`crate::Store::open`].
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// The store's migrations, for tools and tests that need to build an older schema
/// (`migrations().to_version(&mut conn, 1)`).
pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// The schema version recorded in the database (0 when empty).
pub(crate) fn current_version(conn: &Connection) -> Result<usize> {
    Ok(match migrations().current_version(conn)? {
        SchemaVersion::NoneSet => 0,
        SchemaVersion::Inside(v) | SchemaVersion::Outside(v) => v.get(),
    })
}

/// Brings the database to [`SCHEMA_VERSION`], refusing a file from a newer build.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let found = current_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    migrations().to_latest(conn)?;
    Ok(())
}
