//! Webhooks, connectors, events and contacts as the desktop edits them: each save is checked
//! by the engine's validator first, and connector secrets go to the secret store only.

use hookboard_engine::model::{Connector, Contact, Event, EventDefinition, Webhook};
use hookboard_engine::validate::{self, Severity};
use hookboard_secrets::{ExposeSecret, SecretStore, SecretString};
use hookboard_store::{ContactQuery, RowError, RunFilter, RunSummary, StoreError, StoredEvent};
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use super::testing::parse_event_json;
use super::{Result, Workspace, WorkspaceError};

/// How many received events the events view lists.
pub const RECENT_EVENTS: usize = 200;
/// How many runs a contact card lists.
pub const CONTACT_RUNS: usize = 50;

/// A connector as listed: its public settings and whether its secret is in the keyring.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ConnectorInfo {
    /// The connector (no secret).
    pub connector: Connector,
    /// Whether the keyring holds its secret; `null` when no keyring is reachable.
    pub has_secret: Option<bool>,
}

/// A contact with the runs that touched it, for the contact card.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ContactCard {
    /// The contact.
    pub contact: Contact,
    /// Its most recent runs, newest first.
    pub runs: Vec<RunSummary>,
}

/// What a contacts import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ContactImportReport {
    /// The file imported.
    pub file: String,
    /// Contacts created.
    pub created: usize,
    /// Contacts updated (matched by email).
    pub updated: usize,
    /// Every bad row; when not empty, nothing was imported.
    pub errors: Vec<RowError>,
}

fn invalid(field: &str, message: impl Into<String>) -> WorkspaceError {
    WorkspaceError::Invalid {
        field: field.to_string(),
        message: message.into(),
    }
}

impl Workspace {
    /// The first validation error the engine finds under `prefix` (`webhooks[0]`) of a
    /// bundle, as an [`WorkspaceError::Invalid`] naming the field below the prefix.
    fn first_error(&self, bundle: &hookboard_engine::model::Bundle, prefix: &str) -> Result<()> {
        let issues = validate::validate_bundle(bundle, self.validation_options());
        let Some(error) = issues
            .iter()
            .find(|i| i.severity == Severity::Error && i.path.starts_with(prefix))
        else {
            return Ok(());
        };
        let field = error.path[prefix.len()..].trim_start_matches('.');
        Err(invalid(
            if field.is_empty() { prefix } else { field },
            error.message.clone(),
        ))
    }

    /// Creates (`create`) or replaces a webhook after the engine's checks (URL rule, templates,
    /// connector). Errors name the field (`url`, `headers[0].value`); nothing is saved then.
    pub fn save_webhook(&self, webhook: &Webhook, create: bool) -> Result<()> {
        if webhook.name.trim().is_empty() {
            return Err(invalid("name", "the webhook needs a name"));
        }
        let mut bundle = self.reference_bundle()?;
        bundle.webhooks = vec![webhook.clone()];
        self.first_error(&bundle, "webhooks[0]")?;
        if create {
            self.store().create_webhook(webhook)?;
        } else {
            self.store().upsert_webhook(webhook)?;
        }
        Ok(())
    }

    /// Creates or replaces a reception event definition after the engine's checks.
    pub fn save_event_definition(&self, definition: &EventDefinition) -> Result<()> {
        if definition.alias.trim().is_empty() {
            return Err(invalid("alias", "the event definition needs an alias"));
        }
        let mut bundle = self.reference_bundle()?;
        bundle.event_definitions = vec![definition.clone()];
        self.first_error(&bundle, "event_definitions[0]")?;
        Ok(self.store().upsert_event_definition(definition)?)
    }

    /// Every connector, with whether its secret is in `secrets` (unknown without a keyring).
    pub fn list_connector_infos(
        &self,
        secrets: Option<&dyn SecretStore>,
    ) -> Result<Vec<ConnectorInfo>> {
        let connectors = self.store().list_connectors()?;
        Ok(connectors
            .into_iter()
            .map(|connector| {
                let has_secret =
                    secrets.and_then(|s| s.get(&connector.name).ok().map(|v| v.is_some()));
                ConnectorInfo {
                    connector,
                    has_secret,
                }
            })
            .collect())
    }

    /// Creates or updates a connector. A new connector needs its secret; an existing one keeps
    /// its secret unless a new one is given, with the store to put it in (the caller refuses
    /// before this when no keyring is reachable). The secret is written before the connector
    /// is stored, and removed again if storing the connector fails.
    pub fn save_connector(
        &self,
        connector: &Connector,
        secret: Option<(&SecretString, &dyn SecretStore)>,
    ) -> Result<()> {
        if connector.name.trim().is_empty() {
            return Err(invalid("name", "the connector needs a name"));
        }
        let exists = match self.store().get_connector(&connector.name) {
            Ok(_) => true,
            Err(StoreError::NotFound { .. }) => false,
            Err(e) => return Err(e.into()),
        };
        let secret = secret.filter(|(s, _)| !s.expose_secret().is_empty());
        let Some((secret, secrets)) = secret else {
            if !exists {
                return Err(invalid(
                    "secret",
                    "enter the secret (password, token or key) for the new connector",
                ));
            }
            return Ok(self.store().upsert_connector(connector)?);
        };
        secrets.set(&connector.name, secret)?;
        if let Err(e) = self.store().upsert_connector(connector) {
            if !exists {
                // Keep the keyring free of a secret whose connector was never saved.
                let _ = secrets.delete(&connector.name);
            }
            return Err(e.into());
        }
        Ok(())
    }

    /// Deletes a connector and, when a keyring is given, its secret. Refused, keeping both,
    /// while a webhook uses it.
    pub fn delete_connector(&self, name: &str, secrets: Option<&dyn SecretStore>) -> Result<()> {
        if let Some(user) = self
            .store()
            .list_webhooks()?
            .into_iter()
            .find(|w| w.connector.as_deref() == Some(name))
        {
            return Err(invalid(
                "connector",
                format!(
                    "webhook `{}` uses connector `{name}`; change that webhook first",
                    user.name
                ),
            ));
        }
        self.store().get_connector(name)?;
        if let Some(secrets) = secrets {
            secrets.delete(name)?;
        }
        Ok(self.store().delete_connector(name)?)
    }

    /// Stores an event typed by hand (source `manual`). With a reception event definition
    /// for `alias`, its primary key field must be present and its email field picks the
    /// contact; without one, a new key is made.
    pub fn create_manual_event(&self, alias: &str, json: &str) -> Result<StoredEvent> {
        let alias = alias.trim();
        if alias.is_empty() {
            return Err(invalid("alias", "give the event an alias"));
        }
        let payload = parse_event_json(json)?;
        if !payload.is_object() {
            return Err(invalid("event", "the event must be a JSON object"));
        }
        let definition = match self.store().get_event_definition(alias) {
            Ok(d) => Some(d),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let text_of = |field: &str| match payload.get(field) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        };
        let primary_key = match definition.as_ref().map(|d| d.primary_key.as_str()) {
            Some(field) => text_of(field).ok_or_else(|| {
                invalid(
                    "event",
                    format!("the event has no `{field}`, the primary key of `{alias}`"),
                )
            })?,
            None => uuid_like(),
        };
        let contact_id = match definition.as_ref().map(|d| d.email_field.as_str()) {
            Some(field) => match text_of(field) {
                Some(email) => self.store().find_contact_by_email(&email)?.map(|c| c.id),
                None => None,
            },
            None => None,
        };
        let event = Event {
            alias: alias.to_string(),
            source: "manual".into(),
            payload,
        };
        let inserted = self
            .store()
            .insert_event(&event, &primary_key, contact_id.as_deref())?;
        Ok(self.store().get_event(&inserted.id)?)
    }

    /// A contact and its most recent runs.
    pub fn contact_card(&self, id: &str) -> Result<ContactCard> {
        let contact = self.store().get_contact(id)?;
        let runs = self.store().list_runs(&RunFilter {
            contact_id: Some(id.to_string()),
            limit: CONTACT_RUNS,
            ..RunFilter::default()
        })?;
        Ok(ContactCard { contact, runs })
    }

    /// Contacts matching a query.
    pub fn search_contacts(&self, query: &ContactQuery) -> Result<Vec<Contact>> {
        Ok(self.store().search_contacts(query)?)
    }

    /// Imports contacts from a CSV or JSON file (JSON when its text starts with `[` or `{`),
    /// calling `progress` with (rows written, rows to write). A file with a bad row imports
    /// nothing.
    pub fn import_contacts_from(
        &self,
        path: &std::path::Path,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ContactImportReport> {
        let bytes = std::fs::read(path).map_err(|e| WorkspaceError::Io {
            action: "read",
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let is_json = bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'[' || *b == b'{');
        let report = if is_json {
            self.store()
                .import_contacts_json(bytes.as_slice(), progress)?
        } else {
            self.store()
                .import_contacts_csv(bytes.as_slice(), progress)?
        };
        Ok(ContactImportReport {
            file: path.display().to_string(),
            created: report.created,
            updated: report.updated,
            errors: report.errors,
        })
    }
}

/// A fresh random key for events without a primary key field.
fn uuid_like() -> String {
    format!("manual-{}", uuid::Uuid::new_v4())
}
