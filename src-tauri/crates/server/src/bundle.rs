//! Loading a bundle from a file or a directory of bundle files, with every problem reported.

use std::path::Path;

use hookboard_engine::model::Bundle;
use hookboard_engine::validate::{
    Issue, Severity, ValidationOptions, format_issue, has_errors, import_bundle, read_bundle,
    validate_bundle,
};

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

/// Loads a bundle file, or merges every `*.json` file of a directory (in name order), each
/// holding a part of the bundle (webhooks in one, workflows in another...), and validates the
/// whole. A problem in a directory names the file it is in. Returns the bundle and its
/// warnings.
pub fn load_bundle(
    path: &Path,
    options: ValidationOptions,
) -> Result<(Bundle, Vec<Issue>), BundleLoadError> {
    if path.is_dir() {
        return load_folder(path, options);
    }
    load_file(path, options)
}

/// [`load_bundle`] for a directory.
fn load_folder(
    path: &Path,
    options: ValidationOptions,
) -> Result<(Bundle, Vec<Issue>), BundleLoadError> {
    let read_error = |reason: std::io::Error| BundleLoadError::Read {
        path: path.display().to_string(),
        reason: reason.to_string(),
    };
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
    let mut origins = Origins::default();
    let mut issues = Vec::new();
    // Files that do not read as bundles: every one is reported, and the merged bundle (which
    // would miss their items) is not checked.
    let mut unreadable = Vec::new();
    for file in &files {
        let name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        // Each file holds a part of the bundle: references between files are checked on
        // the whole.
        let bundle = match read_bundle(&read(file)?) {
            Ok(bundle) => bundle,
            Err(e) => {
                unreadable.extend(e.issues.into_iter().map(|mut issue| {
                    issue.path = format!("{name}: {}", issue.path);
                    issue
                }));
                continue;
            }
        };
        issues.extend(format_issue(&bundle.format).map(|mut issue| {
            issue.path = format!("{name}: {}", issue.path);
            issue
        }));
        origins.add(&name, &bundle);
        merged.event_definitions.extend(bundle.event_definitions);
        merged.connectors.extend(bundle.connectors);
        merged.webhooks.extend(bundle.webhooks);
        merged.workflows.extend(bundle.workflows);
        merged.environments.extend(bundle.environments);
        merged.api_key_scopes.extend(bundle.api_key_scopes);
    }
    if !unreadable.is_empty() {
        return Err(BundleLoadError::Invalid {
            path: path.display().to_string(),
            issues: unreadable,
        });
    }
    let duplicates = origins.duplicates();
    // The merged bundle's own report of a name given twice, at `<item>.name` (`.alias`).
    let reported = |issue: &Issue| {
        issue.code == "duplicate_name"
            && duplicates.iter().any(|d| {
                issue
                    .path
                    .strip_prefix(&d.path)
                    .is_some_and(|rest| rest == ".name" || rest == ".alias")
            })
    };
    let checked: Vec<Issue> = validate_bundle(&merged, options)
        .into_iter()
        .map(|issue| origins.locate(issue))
        .filter(|issue| !reported(issue))
        .collect();
    issues.extend(duplicates);
    issues.extend(checked);
    if has_errors(&issues) {
        return Err(BundleLoadError::Invalid {
            path: path.display().to_string(),
            issues,
        });
    }
    Ok((merged, issues))
}

/// Where each item of a merged directory bundle came from: per section, in merged order,
/// the file, the item's index in it and its name.
#[derive(Default)]
struct Origins {
    sections: std::collections::BTreeMap<&'static str, Vec<(String, usize, String)>>,
}

impl Origins {
    /// Notes the items of `bundle`, read from `file`.
    fn add(&mut self, file: &str, bundle: &Bundle) {
        let mut note = |section: &'static str, names: Vec<&str>| {
            let items = self.sections.entry(section).or_default();
            items.extend(
                names
                    .into_iter()
                    .enumerate()
                    .map(|(i, name)| (file.to_string(), i, name.to_string())),
            );
        };
        note(
            "event_definitions",
            bundle
                .event_definitions
                .iter()
                .map(|d| d.alias.as_str())
                .collect(),
        );
        note(
            "connectors",
            bundle.connectors.iter().map(|c| c.name.as_str()).collect(),
        );
        note(
            "webhooks",
            bundle.webhooks.iter().map(|w| w.name.as_str()).collect(),
        );
        note(
            "workflows",
            bundle.workflows.iter().map(|w| w.name.as_str()).collect(),
        );
        note(
            "environments",
            bundle
                .environments
                .iter()
                .map(|e| e.name.as_str())
                .collect(),
        );
        note(
            "api_key_scopes",
            bundle
                .api_key_scopes
                .iter()
                .map(|s| s.name.as_str())
                .collect(),
        );
    }

    /// A name given in two files of the folder, naming both (a file's own repeats, and blank
    /// names, are reported by the validation of the merged bundle).
    fn duplicates(&self) -> Vec<Issue> {
        let mut issues = Vec::new();
        for (section, items) in &self.sections {
            let mut first: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
            for (file, index, name) in items.iter().filter(|(_, _, n)| !n.trim().is_empty()) {
                match first.get(name.as_str()) {
                    Some(other) if *other != file.as_str() => issues.push(Issue {
                        severity: Severity::Error,
                        path: format!("{file}: {section}[{index}]"),
                        code: "duplicate_name".to_string(),
                        message: format!(
                            "`{name}` is also in {other}: a name may be used once in the folder"
                        ),
                        node: None,
                    }),
                    _ => {
                        first.entry(name).or_insert(file);
                    }
                }
            }
        }
        issues
    }

    /// `issue` with its path in the merged bundle (`workflows[3].nodes[0]`) made the path in
    /// the file the item came from (`welcome.json: workflows[0].nodes[0]`).
    fn locate(&self, mut issue: Issue) -> Issue {
        let located = issue.path.split_once('[').and_then(|(section, rest)| {
            let (index, rest) = rest.split_once(']')?;
            let (file, local, _) = self
                .sections
                .get(section)?
                .get(index.parse::<usize>().ok()?)?;
            Some(format!("{file}: {section}[{local}]{rest}"))
        });
        if let Some(path) = located {
            issue.path = path;
        }
        issue
    }
}

/// The text of a bundle file.
fn read(path: &Path) -> Result<String, BundleLoadError> {
    std::fs::read_to_string(path).map_err(|e| BundleLoadError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

fn load_file(
    path: &Path,
    options: ValidationOptions,
) -> Result<(Bundle, Vec<Issue>), BundleLoadError> {
    import_bundle(&read(path)?, options).map_err(|e| BundleLoadError::Invalid {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn demo() -> Value {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../tests/fixtures/demo.bundle.json"
        ))
        .expect("demo bundle");
        serde_json::from_str(&text).expect("JSON")
    }

    /// The demo bundle split in two files: its workflows in `b-workflows.json`, the rest in
    /// `a-setup.json`, edited by `edit` before they are written.
    fn split_demo(dir: &Path, edit: impl FnOnce(&mut Value, &mut Value)) {
        let mut setup = demo();
        let mut flows = json!({"format": setup["format"].clone()});
        flows["workflows"] = setup["workflows"].take();
        setup["workflows"] = json!([]);
        edit(&mut setup, &mut flows);
        std::fs::write(dir.join("a-setup.json"), setup.to_string()).expect("write");
        std::fs::write(dir.join("b-workflows.json"), flows.to_string()).expect("write");
        std::fs::write(dir.join("notes.txt"), "not a bundle").expect("write");
    }

    /// The problems of the folder bundle at `dir` (which must not load), and their text.
    fn problems(dir: &Path) -> (Vec<Issue>, String) {
        match load_bundle(dir, ValidationOptions::default()) {
            Err(BundleLoadError::Invalid { issues, path }) => {
                let text = format!("{path}: {issues:#?}");
                (issues, text)
            }
            Err(other) => panic!("not a validation error: {other}"),
            Ok(_) => panic!("the folder {} loaded", dir.display()),
        }
    }

    #[test]
    fn a_folder_of_bundle_files_loads_as_one_bundle() {
        let dir = tempfile::tempdir().expect("tempdir");
        split_demo(dir.path(), |_, _| {});
        let (bundle, _) = load_bundle(dir.path(), ValidationOptions::default()).expect("loads");
        let (whole, _) = import_bundle(&demo().to_string(), ValidationOptions::default())
            .expect("the demo bundle is valid");
        assert_eq!(bundle.workflows, whole.workflows);
        assert_eq!(bundle.webhooks, whole.webhooks);
        assert_eq!(bundle.event_definitions, whole.event_definitions);
    }

    #[test]
    fn a_folder_without_bundle_files_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("readme.txt"), "x").expect("write");
        let error = load_bundle(dir.path(), ValidationOptions::default())
            .expect_err("nothing to serve")
            .to_string();
        assert!(error.contains("holds no bundle file"), "{error}");
    }

    #[test]
    fn a_name_in_two_files_names_both_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        split_demo(dir.path(), |setup, flows| {
            let webhook = setup["webhooks"][0].clone();
            flows["webhooks"] = json!([webhook]);
        });
        let (issues, error) = problems(dir.path());
        assert_eq!(issues.len(), 1, "one problem, reported once: {error}");
        assert_eq!(issues[0].path, "b-workflows.json: webhooks[0]", "{error}");
        assert!(
            issues[0].message.contains("also in a-setup.json"),
            "{error}"
        );
        assert_eq!(issues[0].code, "duplicate_name");
    }

    #[test]
    fn every_problem_of_a_folder_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        split_demo(dir.path(), |setup, flows| {
            flows["connectors"] = json!([setup["connectors"][0].clone()]);
            flows["workflows"][0]["nodes"][0]["params"]["alias"] = json!("unknown");
        });
        let (issues, error) = problems(dir.path());
        let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "b-workflows.json: connectors[0]",
                "b-workflows.json: workflows[0].nodes[0].params.alias"
            ],
            "{error}"
        );
    }

    #[test]
    fn a_problem_across_files_is_reported_in_its_own_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        split_demo(dir.path(), |_, flows| {
            // The workflow calls a webhook that no file of the folder has.
            for node in flows["workflows"][0]["nodes"]
                .as_array_mut()
                .expect("nodes")
            {
                if node["kind"] == "http_request" {
                    node["params"]["webhook"] = json!("nowhere");
                }
            }
        });
        let (issues, error) = problems(dir.path());
        assert!(
            issues
                .iter()
                .any(|i| i.path.starts_with("b-workflows.json: workflows[0].nodes[")),
            "{error}"
        );
    }

    #[test]
    fn a_file_of_another_format_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        split_demo(dir.path(), |_, flows| {
            flows["format"] = json!("hookboard.bundle/v9")
        });
        let (issues, error) = problems(dir.path());
        assert_eq!(issues.len(), 1, "{error}");
        assert_eq!(issues[0].path, "b-workflows.json: format", "{error}");
        assert!(issues[0].message.contains("hookboard.bundle/v9"), "{error}");
    }

    #[test]
    fn every_unreadable_file_of_a_folder_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        split_demo(dir.path(), |_, _| {});
        std::fs::write(dir.path().join("c-broken.json"), "{\"format\": ").expect("write");
        std::fs::write(dir.path().join("d-shape.json"), r#"{"webhooks": 3}"#).expect("write");
        let (issues, error) = problems(dir.path());
        assert!(
            issues.iter().any(|i| i.path.starts_with("c-broken.json: ")),
            "{error}"
        );
        assert!(
            issues.iter().any(|i| i.path == "d-shape.json: webhooks"),
            "{error}"
        );
    }

    #[test]
    fn a_repeated_workflow_keeps_its_own_problems() {
        let dir = tempfile::tempdir().expect("tempdir");
        split_demo(dir.path(), |setup, flows| {
            for node in flows["workflows"][0]["nodes"]
                .as_array_mut()
                .expect("nodes")
            {
                if node["kind"] == "response_switch" {
                    node["params"]["paths"] = json!([
                        {"name": "ok", "when": "200-299"},
                        {"name": "ok", "when": "404"}
                    ]);
                }
            }
            setup["workflows"] = flows["workflows"].clone();
        });
        let (issues, error) = problems(dir.path());
        assert!(
            issues
                .iter()
                .any(|i| i.path == "b-workflows.json: workflows[0]"),
            "the name in two files: {error}"
        );
        assert!(
            issues
                .iter()
                .any(|i| i.code == "duplicate_name" && i.path.contains(".params.paths")),
            "the switch's repeated path name: {error}"
        );
    }
}
