//! The one error type of the store.

use std::path::PathBuf;

/// Everything a store operation can fail with. Messages name what is missing or conflicting
/// and never contain a stored value that could be sensitive.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A named item does not exist (`no workflow named `x``).
    #[error("no {entity} named `{name}`")]
    NotFound {
        /// What was looked for (`workflow`, `webhook`, ...).
        entity: &'static str,
        /// The name it was looked for by.
        name: String,
    },
    /// An item looked up by id does not exist.
    #[error("no {entity} with id `{id}`")]
    IdNotFound {
        /// What was looked for (`contact`, `run`, ...).
        entity: &'static str,
        /// The id it was looked for by.
        id: String,
    },
    /// A workflow has no revision with this number.
    #[error("workflow `{workflow}` has no revision {number}")]
    RevisionNotFound {
        /// Workflow name.
        workflow: String,
        /// Revision number asked for.
        number: u32,
    },
    /// An item with this name or key already exists.
    #[error("{entity} `{name}` already exists")]
    AlreadyExists {
        /// What conflicts (`webhook`, `workflow`, `contact with email`, ...).
        entity: &'static str,
        /// The conflicting name or key.
        name: String,
    },
    /// An input value is not acceptable; `field` names it.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The offending field or input (`email`, `workflow name`, `contacts CSV`).
        field: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// The database file could not be opened or configured.
    #[error("cannot open database `{path}`: {message}")]
    Open {
        /// The database path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The database was written by a newer Hookboard than this one.
    #[error(
        "database schema version {found} is newer than this build supports ({supported}); \
         upgrade Hookboard"
    )]
    TooNew {
        /// Schema version found in the file.
        found: usize,
        /// Newest schema version this build knows.
        supported: usize,
    },
    /// Applying the embedded migrations failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored value could not be decoded (the file was edited or is damaged).
    #[error("stored {what} cannot be read: {message}")]
    Corrupt {
        /// What was being read (`workflow revision`, `run step`, ...).
        what: &'static str,
        /// The decoding error.
        message: String,
    },
    /// A value could not be encoded as JSON.
    #[error("cannot encode {what} as JSON: {source}")]
    Encode {
        /// What was being written.
        what: &'static str,
        /// The serde error.
        source: serde_json::Error,
    },
    /// Import data could not be read.
    #[error("cannot read import data: {0}")]
    Read(#[from] std::io::Error),
}

impl StoreError {
    /// A stable code for the `{code, message}` error the shells return.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotFound { .. }
            | StoreError::IdNotFound { .. }
            | StoreError::RevisionNotFound { .. } => "not_found",
            StoreError::AlreadyExists { .. } => "already_exists",
            StoreError::Invalid { .. } => "invalid",
            StoreError::Read(_) => "unreadable_input",
            StoreError::Open { .. } => "database_open",
            StoreError::TooNew { .. } => "database_too_new",
            StoreError::Migration(_) => "database_migration",
            StoreError::Sqlite(_) => "database",
            StoreError::Corrupt { .. } => "database_corrupt",
            StoreError::Encode { .. } => "encode",
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        StoreError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn not_found(entity: &'static str, name: impl Into<String>) -> Self {
        StoreError::NotFound {
            entity,
            name: name.into(),
        }
    }

    pub(crate) fn id_not_found(entity: &'static str, id: impl Into<String>) -> Self {
        StoreError::IdNotFound {
            entity,
            id: id.into(),
        }
    }

    pub(crate) fn exists(entity: &'static str, name: impl Into<String>) -> Self {
        StoreError::AlreadyExists {
            entity,
            name: name.into(),
        }
    }
}

/// Shorthand for store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
