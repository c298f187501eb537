//! The desktop workspace: the store in a data folder, plus the workspace-level operations
//! that span several store calls (first-start demo, whole-workspace export, all-or-nothing
//! import, active environment). Nothing here depends on Tauri, so it is tested on a temporary
//! SQLite file (`tests/workspace.rs`).
//!
//! Each Tauri command calls one function of [`Workspace`] (or of its [`Store`]).

mod curl;
mod demo;
mod records;
mod settings;
mod testing;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use hookboard_engine::catalogue::kinds;
use hookboard_engine::model::{Bundle, Environment, Node, Position, Workflow};
use hookboard_engine::validate::{self, ImportError, Issue, ValidationOptions};
use hookboard_secrets::{SecretError, SecretStore, SecretString};
use hookboard_store::{Store, StoreError};
use serde::Serialize;
use ts_rs::TS;

pub use curl::{CurlPaste, FoundCredentials, PasteWarning};
pub use demo::{DEMO_BUNDLE, DEMO_GROUPS};
pub use records::{CONTACT_RUNS, ConnectorInfo, ContactCard, ContactImportReport, RECENT_EVENTS};
use settings::Settings;
pub use testing::{SwitchOutcome, TestOutcome, TestSubject, TestTarget, TypedEvent};

/// The database file in the data folder.
pub const DB_FILE: &str = "hookboard.db";
/// The desktop settings file in the data folder (active environment, insecure-URL opt-in).
pub const SETTINGS_FILE: &str = "settings.json";

/// Why a workspace operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The secret store (OS keyring) refused or is unreachable.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A bundle to import is invalid; nothing was imported.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The workspace has validation errors, so it cannot be exported.
    #[error("the workspace has {} problem(s); fix the errors before exporting", .issues.len())]
    InvalidWorkspace {
        /// Every problem found (errors and warnings), with its path.
        issues: Vec<Issue>,
    },
    /// A file could not be read or written.
    #[error("cannot {action} `{path}`: {message}")]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        message: String,
    },
    /// An input is not acceptable; `field` names it (`url`, `secret`, `event`).
    #[error("{field}: {message}")]
    Invalid {
        /// The offending field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The settings file could not be read or written.
    #[error("desktop settings `{path}`: {message}")]
    Settings {
        /// The settings file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Shorthand for workspace results.
pub type Result<T, E = WorkspaceError> = std::result::Result<T, E>;

/// A workflow as listed in the sidebar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct WorkflowSummary {
    /// Workflow name.
    pub name: String,
    /// Number of its current (latest) revision.
    pub revision: u32,
    /// When it was last saved, renamed or restored (RFC 3339).
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
}

/// One saved revision of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Revision {
    /// 1 for the first save, then one more per save.
    pub number: u32,
    /// When it was saved (RFC 3339).
    #[ts(type = "string")]
    pub saved_at: DateTime<Utc>,
}

/// What an autosave returns: the revision stored and the engine's validation problems.
///
/// A save stores a revision even when the workflow has errors (so no edit is ever lost);
/// export refuses a workspace whose workflows have errors.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SaveResult {
    /// Number of the revision written.
    pub revision: u32,
    /// Validation problems of the saved workflow (errors and warnings).
    pub issues: Vec<Issue>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ImportReport {
    /// Warnings of the imported bundle (an import with any error imports nothing).
    pub issues: Vec<Issue>,
    /// Names of the workflows imported (created, or given a new revision).
    pub workflows: Vec<String>,
    /// Names of the webhooks imported (created or replaced).
    pub webhooks: Vec<String>,
    /// Imported connectors that have no secret in the keyring yet, so requests using them
    /// would fail until one is set (all of them when no keyring is reachable).
    pub connectors_needing_secret: Vec<String>,
}

/// The desktop workspace: a [`Store`] in a data folder and the desktop settings beside it.
#[derive(Debug)]
pub struct Workspace {
    store: Store,
    created: bool,
    settings_path: PathBuf,
    settings: Mutex<Settings>,
    engine: testing::EngineCache,
}

impl Workspace {
    /// Opens (or creates) the workspace in `data_dir`: the database [`DB_FILE`] and the
    /// settings [`SETTINGS_FILE`]. [`Workspace::is_new`] tells whether the database was just
    /// created.
    pub fn open(data_dir: &Path) -> Result<Workspace> {
        let db = data_dir.join(DB_FILE);
        let created = !db.exists();
        let store = Store::open(&db)?;
        let settings_path = data_dir.join(SETTINGS_FILE);
        let settings = Settings::load(&settings_path)?;
        Ok(Workspace {
            store,
            created,
            settings_path,
            settings: Mutex::new(settings),
            engine: testing::EngineCache::default(),
        })
    }

    /// Whether [`Workspace::open`] created the database (the app's first start).
    pub fn is_new(&self) -> bool {
        self.created
    }

    /// The store, for the operations that are one store call.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// On first start (a database just created), seeds the demo workspace; returns whether
    /// it did.
    pub fn seed_demo_if_new(&self) -> Result<bool> {
        if !self.created {
            return Ok(false);
        }
        self.seed_demo()?;
        Ok(true)
    }

    /// Imports the demo bundle (`tests/fixtures/demo.bundle.json`) in one transaction, then
    /// adds a few demo contacts in the groups [`DEMO_GROUPS`].
    pub fn seed_demo(&self) -> Result<()> {
        let (bundle, _) = validate::import_bundle(DEMO_BUNDLE, self.validation_options())?;
        self.store.import_bundle(&bundle)?;
        demo::add_contacts(&self.store)
    }

    /// Deletes what the demo seeded (its workflows, webhooks, connectors, event definitions,
    /// environments and contacts, and its groups once empty); items already gone are skipped.
    /// Returns the number of items deleted.
    pub fn delete_demo(&self) -> Result<usize> {
        let deleted = demo::delete(&self.store)?;
        let mut settings = self.lock_settings();
        if let Some(active) = settings.active_environment.clone()
            && matches!(
                self.store.get_environment(&active),
                Err(StoreError::NotFound { .. })
            )
        {
            settings.active_environment = None;
            settings.save(&self.settings_path)?;
        }
        Ok(deleted)
    }

    /// Every workflow with its current revision, by name.
    pub fn list_workflows(&self) -> Result<Vec<WorkflowSummary>> {
        Ok(self
            .store
            .list_workflows()?
            .into_iter()
            .map(|w| WorkflowSummary {
                name: w.name,
                revision: w.current_revision,
                updated_at: w.updated_at,
            })
            .collect())
    }

    /// Creates a workflow named `name` holding one Manual trigger, and saves it as revision 1.
    /// Fails if a workflow of that name exists.
    pub fn create_workflow(&self, name: &str) -> Result<Workflow> {
        let name = name.trim();
        match self.store.get_workflow(name) {
            Ok(_) => {
                return Err(StoreError::AlreadyExists {
                    entity: "workflow",
                    name: name.to_string(),
                }
                .into());
            }
            Err(StoreError::NotFound { .. }) => {}
            Err(err) => return Err(err.into()),
        }
        let workflow = Workflow {
            name: name.to_string(),
            description: String::new(),
            nodes: vec![Node {
                id: "trigger".to_string(),
                kind: kinds::TRIGGER_MANUAL.to_string(),
                title: None,
                position: Position { x: 0.0, y: 0.0 },
                params: Default::default(),
            }],
            edges: Vec::new(),
        };
        self.store.save_workflow(&workflow)?;
        Ok(workflow)
    }

    /// Autosave: stores `workflow` as a new revision even when it has errors, and returns the
    /// revision number with the engine's validation problems.
    pub fn save_workflow(&self, workflow: &Workflow) -> Result<SaveResult> {
        let info = self.store.save_workflow(workflow)?;
        let issues = self.validate_workflow(workflow)?;
        Ok(SaveResult {
            revision: info.number,
            issues,
        })
    }

    /// The engine's validation of `workflow` against the workspace's webhooks, connectors,
    /// event definitions and environments.
    pub fn validate_workflow(&self, workflow: &Workflow) -> Result<Vec<Issue>> {
        let context = self.reference_bundle()?;
        Ok(validate::validate_workflow(
            workflow,
            &context,
            self.validation_options(),
        ))
    }

    /// Copies workflow `from` into a new workflow `to` and returns the copy.
    pub fn duplicate_workflow(&self, from: &str, to: &str) -> Result<Workflow> {
        self.store.duplicate_workflow(from, to)?;
        Ok(self.store.get_workflow(to)?)
    }

    /// The revisions of workflow `name`, newest first.
    pub fn list_revisions(&self, name: &str) -> Result<Vec<Revision>> {
        Ok(self
            .store
            .list_revisions(name)?
            .into_iter()
            .map(|r| Revision {
                number: r.number,
                saved_at: r.saved_at,
            })
            .collect())
    }

    /// Makes revision `number` of workflow `name` current again (as a new revision, keeping
    /// the history) and returns the workflow.
    pub fn restore_revision(&self, name: &str, number: u32) -> Result<Workflow> {
        self.store.restore_revision(name, number)?;
        Ok(self.store.get_workflow(name)?)
    }

    /// Deletes environment `name`; if it was the active one, no environment is active after.
    pub fn delete_environment(&self, name: &str) -> Result<()> {
        self.store.delete_environment(name)?;
        let mut settings = self.lock_settings();
        if settings.active_environment.as_deref() == Some(name) {
            settings.active_environment = None;
            settings.save(&self.settings_path)?;
        }
        Ok(())
    }

    /// Saves (creates or replaces) an environment.
    pub fn save_environment(&self, environment: &Environment) -> Result<()> {
        Ok(self.store.upsert_environment(environment)?)
    }

    /// The name of the active environment, if one is set.
    pub fn active_environment(&self) -> Option<String> {
        self.lock_settings().active_environment.clone()
    }

    /// Makes environment `name` the active one (`None`: no environment). Fails if no
    /// environment has that name.
    pub fn set_active_environment(&self, name: Option<&str>) -> Result<()> {
        if let Some(name) = name {
            self.store.get_environment(name)?;
        }
        let mut settings = self.lock_settings();
        settings.active_environment = name.map(str::to_string);
        settings.save(&self.settings_path)
    }

    /// The whole workspace as a bundle: event definitions, connectors (no secrets), webhooks,
    /// the current revision of every workflow and the environments, each list by name.
    pub fn snapshot(&self) -> Result<Bundle> {
        let mut bundle = self.reference_bundle()?;
        for summary in self.store.list_workflows()? {
            bundle
                .workflows
                .push(self.store.get_workflow(&summary.name)?);
        }
        Ok(bundle)
    }

    /// The workspace as a bundle without its workflows: what validating, previewing or
    /// running one workflow refers to (webhooks, connectors, event definitions, environments).
    pub fn reference_bundle(&self) -> Result<Bundle> {
        Ok(Bundle {
            event_definitions: self.store.list_event_definitions()?,
            connectors: self.store.list_connectors()?,
            webhooks: self.store.list_webhooks()?,
            workflows: Vec::new(),
            environments: self.store.list_environments()?,
            // The store keeps no API-key scopes yet.
            api_key_scopes: Vec::new(),
            ..Bundle::default()
        })
    }

    /// The workspace as `hookboard.bundle/v1` text. Refuses with every problem
    /// ([`WorkspaceError::InvalidWorkspace`]) when validation finds an error.
    pub fn export_bundle(&self) -> Result<String> {
        let bundle = self.snapshot()?;
        let issues = validate::validate_bundle(&bundle, self.validation_options());
        if validate::has_errors(&issues) {
            return Err(WorkspaceError::InvalidWorkspace { issues });
        }
        Ok(validate::export_bundle(&bundle))
    }

    /// Writes [`Workspace::export_bundle`] to `path`; nothing is written when it refuses.
    pub fn export_bundle_to(&self, path: &Path) -> Result<()> {
        write_file(path, &self.export_bundle()?)
    }

    /// Validates `text` fully with the engine and, only when it has no error, writes all of it
    /// in one store transaction (items with an existing name are replaced; a workflow gets a
    /// new revision). Connectors without a secret in `secrets` are listed; with no secret
    /// store (no keyring reachable) every imported connector is.
    pub fn import_bundle(
        &self,
        text: &str,
        secrets: Option<&dyn SecretStore>,
    ) -> Result<ImportReport> {
        let (bundle, issues) = validate::import_bundle(text, self.validation_options())?;
        self.store.import_bundle(&bundle)?;
        let mut connectors_needing_secret = Vec::new();
        for connector in &bundle.connectors {
            // The import is committed by now: a keyring that fails to answer means the secret
            // is not available, not that the import failed.
            let has_secret = secrets.is_some_and(|s| matches!(s.get(&connector.name), Ok(Some(_))));
            if !has_secret {
                connectors_needing_secret.push(connector.name.clone());
            }
        }
        Ok(ImportReport {
            issues,
            workflows: bundle.workflows.iter().map(|w| w.name.clone()).collect(),
            webhooks: bundle.webhooks.iter().map(|w| w.name.clone()).collect(),
            connectors_needing_secret,
        })
    }

    /// Reads the bundle file at `path` and imports it ([`Workspace::import_bundle`]).
    pub fn import_bundle_from(
        &self,
        path: &Path,
        secrets: Option<&dyn SecretStore>,
    ) -> Result<ImportReport> {
        let text = std::fs::read_to_string(path).map_err(|e| WorkspaceError::Io {
            action: "read",
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        self.import_bundle(&text, secrets)
    }

    /// Stores the secret of connector `name` in `secrets`; fails if there is no such connector.
    pub fn set_connector_secret(
        &self,
        secrets: &dyn SecretStore,
        name: &str,
        secret: &SecretString,
    ) -> Result<()> {
        self.store.get_connector(name)?;
        Ok(secrets.set(name, secret)?)
    }

    fn validation_options(&self) -> ValidationOptions {
        ValidationOptions {
            allow_insecure_http: self.lock_settings().allow_insecure_http,
        }
    }

    fn lock_settings(&self) -> std::sync::MutexGuard<'_, Settings> {
        self.settings.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Writes `text` to the file at `path`, replacing it.
pub fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| WorkspaceError::Io {
        action: "write",
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
