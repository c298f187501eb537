//! Paste a cURL command to create a webhook; copy any webhook as a cURL command.
//!
//! Credentials in a pasted command (`-u`, `Authorization: Basic/Bearer`) never go into the
//! webhook: the UI is told which kind was found (not the secret) and may save them as a
//! connector, whose secret goes to the keyring.

use hookboard_curl::{CurlAuth, CurlCredentials, parse_curl, to_curl};
use hookboard_engine::model::{Connector, ConnectorAuth, Webhook};
use hookboard_secrets::{SecretStore, SecretString};
use serde::Serialize;
use ts_rs::TS;

use super::{Result, Workspace, WorkspaceError};

/// The kind of credentials a pasted command carried, without the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FoundCredentials {
    /// `basic` or `bearer`.
    pub kind: String,
    /// The login of Basic credentials.
    pub username: Option<String>,
}

/// Something imported with a caveat, or an option ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PasteWarning {
    /// The option concerned (`--compressed`), if one is.
    pub flag: Option<String>,
    /// What happened.
    pub message: String,
}

/// What a pasted cURL command becomes.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct CurlPaste {
    /// The request as a webhook, without a name or connector yet.
    pub webhook: Webhook,
    /// Credentials found in the command (kind only; the secret stays in the command).
    pub credentials: Option<FoundCredentials>,
    /// Options ignored and caveats.
    pub warnings: Vec<PasteWarning>,
}

fn curl_error(err: hookboard_curl::CurlError) -> WorkspaceError {
    WorkspaceError::Invalid {
        field: "curl".into(),
        message: err.to_string(),
    }
}

impl Workspace {
    /// Parses a pasted cURL command into a webhook; errors name the option at fault.
    pub fn paste_curl(&self, command: &str) -> Result<CurlPaste> {
        let import = parse_curl(command).map_err(curl_error)?;
        Ok(CurlPaste {
            webhook: import.webhook,
            credentials: import.credentials.map(|c| match c {
                CurlCredentials::Basic { username, .. } => FoundCredentials {
                    kind: "basic".into(),
                    username: Some(username),
                },
                CurlCredentials::Bearer { .. } => FoundCredentials {
                    kind: "bearer".into(),
                    username: None,
                },
            }),
            warnings: import
                .warnings
                .into_iter()
                .map(|w| PasteWarning {
                    flag: w.flag,
                    message: w.message,
                })
                .collect(),
        })
    }

    /// Saves the credentials of a pasted command as connector `name` (its secret in
    /// `secrets`); fails when the command has none.
    pub fn save_curl_credentials(
        &self,
        command: &str,
        name: &str,
        secrets: &dyn SecretStore,
    ) -> Result<()> {
        let import = parse_curl(command).map_err(curl_error)?;
        let credentials = import.credentials.ok_or_else(|| WorkspaceError::Invalid {
            field: "curl".into(),
            message: "the command carries no credentials (-u or an Authorization header)".into(),
        })?;
        let connector = Connector {
            name: name.to_string(),
            auth: credentials.connector_auth(),
        };
        let secret = SecretString::from(credentials.secret().to_string());
        self.save_connector(&connector, Some((&secret, secrets)))
    }

    /// The webhook as one cURL command; its connector's secret is written as `•••`.
    pub fn webhook_to_curl(&self, webhook: &Webhook) -> Result<String> {
        let auth: Option<ConnectorAuth> = match &webhook.connector {
            Some(name) => Some(self.store().get_connector(name)?.auth),
            None => None,
        };
        Ok(to_curl(
            webhook,
            auth.as_ref().map_or(CurlAuth::Omit, CurlAuth::Masked),
        ))
    }
}
