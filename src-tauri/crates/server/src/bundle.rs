//! Loading a bundle from a file or a directory of bundle files, with every problem reported.

use std::path::Path;

use hookboard_engine::model::Bundle;
use hookboard_engine::validate::{Issue, ValidationOptions, import_bundle};

/// Why a bundle could not be loaded; the message names the file and every problem.
#[derive(Debug, thiserror::Error)]
pub enum BundleLoadError {
    /// The file or directory could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The path that failed.
        path: String,
        /// Why.
        reason: String,
    },
    /// The bundle is not valid.
    #[error("{path} is not a valid bundle:\n{}", .issues.iter().map(|i| format!("  {i}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file.
        path: String,
        /// Every problem, with its JSON path.
        issues: Vec<Issue>,
    },
}

/// Loads a bundle file, or merges every `*.json` file of a directory (in name order).
/// Returns the bundle and its warnings.
pub fn load_bundle(
    path: &Path,
    options: ValidationOptions,
) -> Result<(Bundle, Vec<Issue>), BundleLoadError> {
    let read_error = |reason: std::io::Error| BundleLoadError::Read {
        path: path.display().to_string(),
        reason: reason.to_string(),
    };
    if path.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(path)
            .map_err(read_error)?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|p| p.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        if files.is_empty() {
            // A server started on an empty or mistyped folder would receive nothing and run
            // nothing, silently.
            return Err(read_error(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the folder holds no bundle file (*.json)",
            )));
        }
        let mut merged = Bundle::default();
        for file in files {
            let (bundle, _) = load_file(&file, options)?;
            merged.event_definitions.extend(bundle.event_definitions);
            merged.connectors.extend(bundle.connectors);
            merged.webhooks.extend(bundle.webhooks);
            merged.workflows.extend(bundle.workflows);
            merged.environments.extend(bundle.environments);
            merged.api_key_scopes.extend(bundle.api_key_scopes);
        }
        let text = hookboard_engine::validate::export_bundle(&merged);
        return import_bundle(&text, options).map_err(|e| BundleLoadError::Invalid {
            path: path.display().to_string(),
            issues: e.issues,
        });
    }
    load_file(path, options)
}

fn load_file(
    path: &Path,
    options: ValidationOptions,
) -> Result<(Bundle, Vec<Issue>), BundleLoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| BundleLoadError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    import_bundle(&text, options).map_err(|e| BundleLoadError::Invalid {
        path: path.display().to_string(),
        issues: e.issues,
    })
}

/// The variables of the bundle's environment `name` (`${env.NAME}`), none when `name` is
/// `None`; an unknown name is an error listing the bundle's environments.
pub fn environment_variables(
    bundle: &Bundle,
    name: Option<&str>,
    bundle_path: &Path,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let Some(name) = name else {
        return Ok(Default::default());
    };
    bundle
        .environment(name)
        .map(|e| e.variables.clone())
        .ok_or_else(|| {
            format!(
                "no environment named `{name}` in {}; it has: {}",
                bundle_path.display(),
                bundle
                    .environments
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// The server's secret sources: `HOOKBOARD_SECRET_<NAME>` variables, then the secrets file
/// when one is given (an unreadable or invalid file is an error naming it).
pub fn secret_sources(
    secrets_file: Option<&Path>,
) -> Result<hookboard_secrets::ChainSecretStore, String> {
    use hookboard_secrets::{EnvSecretStore, FileSecretStore, SecretStore};
    let mut stores: Vec<Box<dyn SecretStore>> = vec![Box::new(EnvSecretStore::new())];
    if let Some(path) = secrets_file {
        stores.push(Box::new(
            FileSecretStore::open(path).map_err(|e| e.to_string())?,
        ));
    }
    Ok(hookboard_secrets::ChainSecretStore::new(stores))
}
