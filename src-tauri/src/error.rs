//! The one error every command returns to the UI: `{code, message, path?, issues?}`, never a
//! bare string. Store, engine, secret and workspace errors are mapped here.

use hookboard_engine::validate::{ImportError, Issue};
use hookboard_secrets::SecretError;
use hookboard_store::StoreError;
use serde::Serialize;
use ts_rs::TS;

use crate::workspace::WorkspaceError;

/// An error a command returns; the UI shows `message` and may select the field at `path`.
#[derive(Debug, Clone, PartialEq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
#[ts(export)]
pub struct ApiError {
    /// Stable machine-readable code: `not_found`, `already_exists`, `invalid`,
    /// `invalid_bundle`, `keyring_unavailable`, `io`, ...
    pub code: String,
    /// What went wrong and what to do, for people.
    pub message: String,
    /// For input errors, the path of the offending field (`workflow name`,
    /// `workflows[0].nodes[3].params.url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub path: Option<String>,
    /// Every validation problem, when the error is about an invalid bundle or workspace
    /// (export and import refuse with all of them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<Issue>>")]
    pub issues: Vec<Issue>,
}

impl ApiError {
    /// An error with a code and a message, without a path.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            code: code.into(),
            message: message.into(),
            path: None,
            issues: Vec::new(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        let path = match &err {
            StoreError::Invalid { field, .. } => Some(field.clone()),
            _ => None,
        };
        ApiError {
            code: err.code().to_string(),
            message: err.to_string(),
            path,
            issues: Vec::new(),
        }
    }
}

impl From<SecretError> for ApiError {
    fn from(err: SecretError) -> Self {
        // The inner messages already say what is wrong in plain words ("No OS keyring (Secret
        // Service) is reachable: secrets cannot be saved ..."), without any secret.
        match err {
            SecretError::Unavailable(message) => ApiError::new("keyring_unavailable", message),
            SecretError::Store(message) => ApiError::new("keyring", message),
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(err: ImportError) -> Self {
        invalid_bundle(
            "The bundle was not imported (nothing was changed)",
            err.issues,
        )
    }
}

impl From<WorkspaceError> for ApiError {
    fn from(err: WorkspaceError) -> Self {
        match err {
            WorkspaceError::Store(err) => err.into(),
            WorkspaceError::Secret(err) => err.into(),
            WorkspaceError::Import(err) => err.into(),
            WorkspaceError::InvalidWorkspace { issues } => invalid_bundle(
                "The workspace has errors and was not exported; fix them first",
                issues,
            ),
            WorkspaceError::Invalid { field, message } => ApiError {
                code: "invalid".to_string(),
                message,
                path: Some(field),
                issues: Vec::new(),
            },
            err @ WorkspaceError::Io { .. } => ApiError::new("io", err.to_string()),
            err @ WorkspaceError::Settings { .. } => ApiError::new("settings", err.to_string()),
        }
    }
}

/// An `invalid_bundle` error whose message lists the errors (warnings stay in `issues`);
/// `path` is the first error's path.
fn invalid_bundle(summary: &str, issues: Vec<Issue>) -> ApiError {
    let errors: Vec<&Issue> = issues
        .iter()
        .filter(|i| i.severity == hookboard_engine::validate::Severity::Error)
        .collect();
    let mut message = format!("{summary}: {} error(s)", errors.len());
    for issue in &errors {
        message.push_str(&format!("\n  {}: {}", issue.path, issue.message));
    }
    ApiError {
        code: "invalid_bundle".to_string(),
        message,
        path: errors.first().map(|i| i.path.clone()),
        issues,
    }
}
