//! Bundle import/export and validation. Every problem is reported with its JSON path
//! (`workflows[0].nodes[3].params.url`), a stable code and a message saying what to do.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::catalogue::{NodeTypeSpec, ParamKind, kinds, node_type, parse_duration_ms};
use crate::expr::Expressions;
use crate::model::{
    ApiKeyScope, BUNDLE_FORMAT, BodyKind, Bundle, Connector, ConnectorAuth, Environment,
    EventContext, EventDefinition, ResponseParsing, STANDARD_CONTACT_FIELDS, Webhook, Workflow,
};

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Severity {
    /// Refuses the import or save.
    Error,
    /// Shown, but does not stop anything.
    Warning,
}

/// One problem found in a bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Issue {
    /// Error or warning.
    pub severity: Severity,
    /// JSON path of the offending value, e.g. `workflows[0].nodes[3].params.url`.
    pub path: String,
    /// Stable code: `unknown_node_type`, `dangling_edge`, `missing_param`, ...
    pub code: String,
    /// What is wrong and what to do.
    pub message: String,
    /// The node concerned, if any (for selecting it on the canvas).
    pub node: Option<String>,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity}: {}: {}", self.path, self.message)
    }
}

/// Settings that change what validation accepts.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidationOptions {
    /// Accept `http://` URLs to non-loopback hosts.
    pub allow_insecure_http: bool,
}

/// Why a bundle could not be imported: every problem, with its path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the bundle has {} problem(s):\n{}", .issues.len(), .issues.iter().map(|i| format!("  {i}")).collect::<Vec<_>>().join("\n"))]
pub struct ImportError {
    /// All problems found (errors and warnings).
    pub issues: Vec<Issue>,
}

/// Whether any issue is an error.
pub fn has_errors(issues: &[Issue]) -> bool {
    issues.iter().any(|i| i.severity == Severity::Error)
}

/// Parses and validates a bundle. Nothing is returned unless the whole bundle is valid;
/// the warnings of a valid bundle are returned beside it.
pub fn import_bundle(
    text: &str,
    options: ValidationOptions,
) -> Result<(Bundle, Vec<Issue>), ImportError> {
    let bundle = read_bundle(text)?;
    let issues = validate_bundle(&bundle, options);
    if has_errors(&issues) {
        return Err(ImportError { issues });
    }
    Ok((bundle, issues))
}

/// Parses a bundle without validating it (for a part of a bundle kept in several files):
/// a syntax error names its line and column, and every shape error its path.
pub fn read_bundle(text: &str) -> Result<Bundle, ImportError> {
    parse_bundle(text).map_err(|issue| {
        // A shape error: every item is read on its own, so that each wrong one is named.
        let mut all = if issue.code == "invalid_shape" {
            shape_issues(text)
        } else {
            Vec::new()
        };
        // Whatever the item-by-item reading did not name stays reported.
        if !all.iter().any(|found| found.path == issue.path) {
            all.insert(0, issue);
        }
        ImportError { issues: all }
    })
}

/// Parses a bundle's JSON; a syntax or shape error names its line, column and path.
pub fn parse_bundle(text: &str) -> Result<Bundle, Issue> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed: Result<Bundle, _> = serde_path_to_error::deserialize(&mut deserializer);
    let bundle = parsed.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let (code, what) = if inner.is_syntax() || inner.is_eof() {
            ("invalid_json", "invalid JSON")
        } else {
            ("invalid_shape", "unexpected value")
        };
        issue(
            Severity::Error,
            if path == "." { "$".into() } else { path },
            code,
            format!(
                "{what} at line {} column {}: {inner}",
                inner.line(),
                inner.column()
            ),
            None,
        )
    })?;
    deserializer.end().map_err(|inner| {
        issue(
            Severity::Error,
            "$".into(),
            "invalid_json",
            format!(
                "invalid JSON at line {} column {}: {inner}",
                inner.line(),
                inner.column()
            ),
            None,
        )
    })?;
    Ok(bundle)
}

/// Every shape error of a bundle that is valid JSON: an unknown top-level field, a section
/// that is not a list, and the first wrong value of each item of each section, with its path.
fn shape_issues(text: &str) -> Vec<Issue> {
    let Ok(Value::Object(top)) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if !top.contains_key("format") {
        out.push(issue(
            Severity::Error,
            "format".into(),
            "invalid_shape",
            format!("missing field `format`: a bundle says \"format\": \"{BUNDLE_FORMAT}\""),
            None,
        ));
    }
    for (key, value) in &top {
        match key.as_str() {
            "format" if !value.is_string() => out.push(shape_issue(key.clone(), "a text")),
            "format" => {}
            "event_definitions" => item_issues::<EventDefinition>(key, value, &mut out),
            "connectors" => item_issues::<Connector>(key, value, &mut out),
            "webhooks" => item_issues::<Webhook>(key, value, &mut out),
            "workflows" => item_issues::<Workflow>(key, value, &mut out),
            "environments" => item_issues::<Environment>(key, value, &mut out),
            "api_key_scopes" => item_issues::<ApiKeyScope>(key, value, &mut out),
            other => out.push(issue(
                Severity::Error,
                other.to_string(),
                "invalid_shape",
                format!(
                    "unknown field `{other}`; a bundle has format, event_definitions, connectors, webhooks, workflows, environments and api_key_scopes"
                ),
                None,
            )),
        }
    }
    out
}

fn shape_issue(path: String, expected: &str) -> Issue {
    issue(
        Severity::Error,
        path,
        "invalid_shape",
        format!("unexpected value: expected {expected}"),
        None,
    )
}

/// Every shape error of each item of the section `key`: after each wrong field the item is
/// read again without it, until it reads or the error is not a field's (a wrong list element,
/// a field the item cannot do without).
fn item_issues<T: serde::de::DeserializeOwned>(key: &str, value: &Value, out: &mut Vec<Issue>) {
    let Some(items) = value.as_array() else {
        out.push(shape_issue(key.to_string(), "a list"));
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let mut item = item.clone();
        let mut removed: Vec<String> = Vec::new();
        while let Err(err) = serde_path_to_error::deserialize::<_, T>(&item) {
            let inner = err.path().to_string();
            let message = err.into_inner().to_string();
            // A field taken out below is now missing: that is not one more problem.
            let ours = missing_field(&message).is_some_and(|field| {
                let path = if inner == "." {
                    field.to_string()
                } else {
                    format!("{inner}.{field}")
                };
                removed.contains(&path)
            });
            if !ours {
                let path = if inner == "." {
                    format!("{key}[{i}]")
                } else {
                    format!("{key}[{i}].{inner}")
                };
                out.push(issue(
                    Severity::Error,
                    path,
                    "invalid_shape",
                    format!("unexpected value: {message}"),
                    None,
                ));
            }
            // The reading goes on without the wrong field, or without the object that misses
            // a field taken out, when that is a field too.
            if inner == "." || !remove_field(&mut item, &inner) {
                break;
            }
            removed.push(inner);
        }
    }
}

/// The field serde's "missing field `x`" message names.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// Removes the object field at `path` (`nodes[3].position`, as serde_path_to_error writes it)
/// from `value`; false when `path` ends at a list element or leads nowhere.
fn remove_field(value: &mut Value, path: &str) -> bool {
    let (parent, field) = match path.rsplit_once('.') {
        Some((parent, field)) => (Some(parent), field),
        None => (None, path),
    };
    if field.contains('[') {
        return false;
    }
    let mut target = Some(value);
    if let Some(parent) = parent {
        for part in parent.split('.') {
            let (name, indexes) = part.split_at(part.find('[').unwrap_or(part.len()));
            if !name.is_empty() {
                target = target.and_then(|t| t.get_mut(name));
            }
            for index in indexes.split(']').filter(|s| !s.is_empty()) {
                let at = index
                    .strip_prefix('[')
                    .and_then(|n| n.parse::<usize>().ok());
                target = target.zip(at).and_then(|(t, at)| t.get_mut(at));
            }
        }
    }
    target
        .and_then(Value::as_object_mut)
        .is_some_and(|map| map.remove(field).is_some())
}

/// Serializes a bundle as pretty JSON with keys in a stable order and a final newline.
pub fn export_bundle(bundle: &Bundle) -> String {
    let mut text = serde_json::to_string_pretty(bundle).unwrap_or_default();
    text.push('\n');
    text
}

fn issue(
    severity: Severity,
    path: String,
    code: &str,
    message: String,
    node: Option<&str>,
) -> Issue {
    Issue {
        severity,
        path,
        code: code.to_string(),
        message,
        node: node.map(str::to_string),
    }
}

/// The problem with a bundle's `format` (at path `format`), if it is not the one this version
/// reads.
pub fn format_issue(format: &str) -> Option<Issue> {
    (format != BUNDLE_FORMAT).then(|| {
        issue(
            Severity::Error,
            "format".into(),
            "unknown_format",
            format!("format is `{format}`; this version reads `{BUNDLE_FORMAT}`"),
            None,
        )
    })
}

/// Checks a whole bundle and returns every problem found.
pub fn validate_bundle(bundle: &Bundle, options: ValidationOptions) -> Vec<Issue> {
    let mut issues = Vec::new();
    let ex = Expressions::new();
    issues.extend(format_issue(&bundle.format));
    check_unique(
        bundle.event_definitions.iter().map(|d| d.alias.as_str()),
        "event_definitions",
        "alias",
        &mut issues,
    );
    check_unique(
        bundle.connectors.iter().map(|c| c.name.as_str()),
        "connectors",
        "name",
        &mut issues,
    );
    check_unique(
        bundle.webhooks.iter().map(|w| w.name.as_str()),
        "webhooks",
        "name",
        &mut issues,
    );
    check_unique(
        bundle.workflows.iter().map(|w| w.name.as_str()),
        "workflows",
        "name",
        &mut issues,
    );
    check_unique(
        bundle.environments.iter().map(|e| e.name.as_str()),
        "environments",
        "name",
        &mut issues,
    );
    for (i, def) in bundle.event_definitions.iter().enumerate() {
        let path = format!("event_definitions[{i}]");
        let names: BTreeSet<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
        for (field, what) in [
            (&def.email_field, "email_field"),
            (&def.primary_key, "primary_key"),
        ] {
            if !names.contains(field.as_str()) {
                issues.push(issue(
                    Severity::Error,
                    format!("{path}.{what}"),
                    "unknown_field",
                    format!("`{field}` is not one of the event's fields"),
                    None,
                ));
            }
        }
        for (j, field) in def.fields.iter().enumerate() {
            if let Some(pointer) = &field.pointer
                && !pointer.is_empty()
                && !pointer.starts_with('/')
            {
                issues.push(issue(
                    Severity::Error,
                    format!("{path}.fields[{j}].pointer"),
                    "invalid_pointer",
                    format!("`{pointer}` is not a JSON Pointer: it must start with `/`"),
                    None,
                ));
            }
            if def.context == EventContext::Webhook && field.pointer.is_none() {
                issues.push(issue(
                    Severity::Warning,
                    format!("{path}.fields[{j}].pointer"),
                    "missing_pointer",
                    format!(
                        "no JSON Pointer for `{}`: `/{}` is used",
                        field.name, field.name
                    ),
                    None,
                ));
            }
        }
    }
    for (i, connector) in bundle.connectors.iter().enumerate() {
        let path = format!("connectors[{i}].auth");
        match &connector.auth {
            ConnectorAuth::Basic { username } if username.trim().is_empty() => issues.push(issue(
                Severity::Error,
                format!("{path}.username"),
                "missing_value",
                "a Basic connector needs a login".into(),
                None,
            )),
            ConnectorAuth::ApiKey { param_name, .. } if param_name.trim().is_empty() => issues
                .push(issue(
                    Severity::Error,
                    format!("{path}.param_name"),
                    "missing_value",
                    "an API key connector needs the header or query parameter name".into(),
                    None,
                )),
            _ => {}
        }
    }
    for (i, webhook) in bundle.webhooks.iter().enumerate() {
        validate_webhook(
            webhook,
            &format!("webhooks[{i}]"),
            bundle,
            options,
            &ex,
            None,
            &mut issues,
        );
    }
    for (i, workflow) in bundle.workflows.iter().enumerate() {
        validate_workflow_into(
            workflow,
            &format!("workflows[{i}]"),
            bundle,
            options,
            &ex,
            &mut issues,
        );
    }
    issues
}

/// Checks one workflow against the bundle it belongs to (webhooks, event aliases).
pub fn validate_workflow(
    workflow: &Workflow,
    bundle: &Bundle,
    options: ValidationOptions,
) -> Vec<Issue> {
    let mut issues = Vec::new();
    validate_workflow_into(
        workflow,
        "",
        bundle,
        options,
        &Expressions::new(),
        &mut issues,
    );
    issues
}

fn check_unique<'a>(
    names: impl Iterator<Item = &'a str>,
    list: &str,
    key: &str,
    issues: &mut Vec<Issue>,
) {
    let mut seen = BTreeSet::new();
    for (i, name) in names.enumerate() {
        if name.trim().is_empty() {
            issues.push(issue(
                Severity::Error,
                format!("{list}[{i}].{key}"),
                "missing_value",
                format!("the {key} is empty"),
                None,
            ));
        } else if !seen.insert(name) {
            issues.push(issue(
                Severity::Error,
                format!("{list}[{i}].{key}"),
                "duplicate_name",
                format!("`{name}` is used twice: each {key} must be unique"),
                None,
            ));
        }
    }
}

fn join(prefix: &str, rest: &str) -> String {
    if prefix.is_empty() {
        rest.to_string()
    } else {
        format!("{prefix}.{rest}")
    }
}

/// The literal part of a URL template before its first expression.
fn literal_prefix(template: &str) -> &str {
    template.split("${").next().unwrap_or("")
}

fn validate_webhook(
    webhook: &Webhook,
    path: &str,
    bundle: &Bundle,
    options: ValidationOptions,
    ex: &Expressions,
    node: Option<&str>,
    issues: &mut Vec<Issue>,
) {
    let mut push = |field: &str, code: &str, message: String| {
        issues.push(issue(
            Severity::Error,
            join(path, field),
            code,
            message,
            node,
        ));
    };
    if webhook.url.trim().is_empty() {
        push("url", "missing_value", "the URL is empty".into());
    } else if let Err(e) = ex.check_syntax(&webhook.url) {
        push("url", "invalid_expression", e.message);
    } else {
        let prefix = literal_prefix(&webhook.url);
        let has_scheme = prefix.contains("://");
        if has_scheme {
            let host_known = prefix
                .split_once("://")
                .map(|(_, rest)| rest.contains('/') || !webhook.url.contains("${"))
                .unwrap_or(false);
            let probe = if host_known {
                prefix.to_string()
            } else {
                format!("{prefix}placeholder.invalid")
            };
            match url::Url::parse(&probe) {
                Ok(url) if host_known || url.scheme() != "http" => {
                    if let Err(e) =
                        crate::http::check_url_allowed(&url, options.allow_insecure_http)
                    {
                        push("url", "insecure_url", e.message);
                    }
                }
                Ok(_) => {}
                Err(e) => push(
                    "url",
                    "invalid_url",
                    format!("`{}` is not a URL: {e}", webhook.url),
                ),
            }
        } else if !webhook.url.starts_with("${") {
            push(
                "url",
                "invalid_url",
                format!(
                    "`{}` has no scheme: start it with https:// or ${{env.base_url}}",
                    webhook.url
                ),
            );
        }
    }
    for (list, pairs) in [("query", &webhook.query), ("headers", &webhook.headers)] {
        for (j, pair) in pairs.iter().enumerate() {
            if pair.name.trim().is_empty() {
                push(
                    &format!("{list}[{j}].name"),
                    "missing_value",
                    "the name is empty".into(),
                );
            } else if list == "headers"
                && reqwest::header::HeaderName::from_bytes(pair.name.as_bytes()).is_err()
            {
                push(
                    &format!("{list}[{j}].name"),
                    "invalid_header",
                    format!("`{}` is not a valid header name", pair.name),
                );
            }
            if let Err(e) = ex.check_syntax(&pair.value) {
                push(
                    &format!("{list}[{j}].value"),
                    "invalid_expression",
                    e.message,
                );
            }
        }
    }
    match webhook.body.kind {
        BodyKind::Json => match serde_json::from_str::<Value>(&webhook.body.template) {
            Err(e) => push(
                "body.template",
                "invalid_json",
                format!(
                    "the JSON body is not valid JSON at line {} column {}: {e}; put expressions inside strings",
                    e.line(),
                    e.column()
                ),
            ),
            // Each string (key or value) is a template of its own when the body is rendered.
            Ok(skeleton) => {
                let mut strings = Vec::new();
                json_strings(&skeleton, &mut strings);
                for text in strings {
                    if let Err(e) = ex.check_syntax(text) {
                        push(
                            "body.template",
                            "invalid_expression",
                            format!("in \"{text}\": {}", e.message),
                        );
                    }
                }
            }
        },
        BodyKind::Xml | BodyKind::Text => {
            if let Err(e) = ex.check_syntax(&webhook.body.template) {
                push("body.template", "invalid_expression", e.message);
            }
        }
        BodyKind::Form => {
            for (j, pair) in webhook.body.form.iter().enumerate() {
                if let Err(e) = ex.check_syntax(&pair.value) {
                    push(
                        &format!("body.form[{j}].value"),
                        "invalid_expression",
                        e.message,
                    );
                }
            }
        }
        BodyKind::None => {}
    }
    if let Some(connector) = &webhook.connector
        && bundle.connector(connector).is_none()
    {
        push(
            "connector",
            "unknown_connector",
            format!("no connector named `{connector}` in the bundle"),
        );
    }
    if let ResponseParsing::Custom { pattern } = &webhook.response
        && let Err(e) = regex::Regex::new(pattern)
    {
        push(
            "response.pattern",
            "invalid_pattern",
            format!("invalid regular expression: {e}"),
        );
    }
    if webhook.timeout_ms == 0 {
        push(
            "timeout_ms",
            "invalid_value",
            "the timeout must be above 0 ms".into(),
        );
    }
    if webhook.retry.max_attempts == 0 {
        push(
            "retry.max_attempts",
            "invalid_value",
            "at least 1 attempt is needed".into(),
        );
    }
}

fn validate_workflow_into(
    workflow: &Workflow,
    path: &str,
    bundle: &Bundle,
    options: ValidationOptions,
    ex: &Expressions,
    issues: &mut Vec<Issue>,
) {
    let mut specs: HashMap<&str, &NodeTypeSpec> = HashMap::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, node) in workflow.nodes.iter().enumerate() {
        let node_path = join(path, &format!("nodes[{i}]"));
        if node.id.trim().is_empty() {
            issues.push(issue(
                Severity::Error,
                format!("{node_path}.id"),
                "missing_value",
                "the node id is empty".into(),
                None,
            ));
        } else if index.insert(node.id.as_str(), i).is_some() {
            issues.push(issue(
                Severity::Error,
                format!("{node_path}.id"),
                "duplicate_node",
                format!("node id `{}` is used twice", node.id),
                Some(&node.id),
            ));
        }
        let Some(spec) = node_type(&node.kind) else {
            issues.push(issue(
                Severity::Error,
                format!("{node_path}.kind"),
                "unknown_node_type",
                format!("unknown node type `{}`", node.kind),
                Some(&node.id),
            ));
            continue;
        };
        validate_params(node, spec, &node_path, bundle, options, ex, issues);
        specs.insert(node.id.as_str(), spec);
    }

    let mut wired: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut adjacency: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (i, edge) in workflow.edges.iter().enumerate() {
        let edge_path = join(path, &format!("edges[{i}]"));
        let from = workflow.node(&edge.from);
        let to = workflow.node(&edge.to);
        if from.is_none() {
            issues.push(issue(
                Severity::Error,
                format!("{edge_path}.from"),
                "dangling_edge",
                format!(
                    "the edge starts at `{}`, which is not a node of this workflow",
                    edge.from
                ),
                None,
            ));
        }
        if to.is_none() {
            issues.push(issue(
                Severity::Error,
                format!("{edge_path}.to"),
                "dangling_edge",
                format!(
                    "the edge ends at `{}`, which is not a node of this workflow",
                    edge.to
                ),
                None,
            ));
        }
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        if let Some(spec) = specs.get(from.id.as_str()) {
            let ports = spec.port_names(&from.params);
            if !ports.contains(&edge.port) {
                issues.push(issue(
                    Severity::Error,
                    format!("{edge_path}.port"),
                    "unknown_port",
                    if ports.is_empty() {
                        format!("{} `{}` has no output port", spec.title, from.id)
                    } else {
                        format!(
                            "{} `{}` has no port `{}`: its ports are {}",
                            spec.title,
                            from.id,
                            edge.port,
                            ports.join(", ")
                        )
                    },
                    Some(&from.id),
                ));
            }
        }
        if let Some(spec) = specs.get(to.id.as_str())
            && !spec.has_input
        {
            issues.push(issue(
                Severity::Error,
                format!("{edge_path}.to"),
                "edge_into_trigger",
                format!("`{}` is a trigger: nothing can lead into it", to.id),
                Some(&to.id),
            ));
        }
        wired.insert((from.id.as_str(), edge.port.as_str()));
        adjacency
            .entry(from.id.as_str())
            .or_default()
            .push(to.id.as_str());
    }

    let triggers: Vec<&str> = workflow
        .nodes
        .iter()
        .filter(|n| {
            specs
                .get(n.id.as_str())
                .is_some_and(|spec| spec.is_trigger())
        })
        .map(|n| n.id.as_str())
        .collect();
    if triggers.is_empty() && !workflow.nodes.is_empty() {
        issues.push(issue(
            Severity::Error,
            join(path, "nodes"),
            "no_trigger",
            "the workflow has no trigger: add one (Event received, Manual, ...)".into(),
            None,
        ));
    }

    for (i, node) in workflow.nodes.iter().enumerate() {
        let node_path = join(path, &format!("nodes[{i}]"));
        if node.kind == kinds::RESPONSE_SWITCH && !wired.contains(&(node.id.as_str(), "fallback")) {
            issues.push(issue(
                Severity::Error,
                node_path.clone(),
                "missing_fallback",
                format!(
                    "Response switch `{}` needs its fallback path connected",
                    node.id
                ),
                Some(&node.id),
            ));
        }
        if node.kind == kinds::HTTP_REQUEST && !wired.contains(&(node.id.as_str(), "error")) {
            issues.push(issue(
                Severity::Warning,
                node_path.clone(),
                "unwired_error",
                format!(
                    "the error port of `{}` is not connected: a network or parse error ends the run as failed",
                    node.id
                ),
                Some(&node.id),
            ));
        }
    }

    let mut reachable: BTreeSet<&str> = triggers.iter().copied().collect();
    let mut queue: Vec<&str> = triggers.clone();
    while let Some(id) = queue.pop() {
        for next in adjacency.get(id).into_iter().flatten() {
            if reachable.insert(next) {
                queue.push(next);
            }
        }
    }
    for (i, node) in workflow.nodes.iter().enumerate() {
        if !reachable.contains(node.id.as_str()) && specs.contains_key(node.id.as_str()) {
            issues.push(issue(
                Severity::Warning,
                join(path, &format!("nodes[{i}]")),
                "unreachable_node",
                format!("`{}` cannot be reached from any trigger", node.id),
                Some(&node.id),
            ));
        }
    }

    let waits: BTreeSet<&str> = workflow
        .nodes
        .iter()
        .filter(|n| n.kind == kinds::WAIT || n.kind == kinds::WAIT_FOR_EVENT)
        .map(|n| n.id.as_str())
        .collect();
    for cycle in cycles_without(&adjacency, &waits) {
        let first = cycle.first().copied().unwrap_or_default();
        let at = index.get(first).copied().unwrap_or(0);
        issues.push(issue(
            Severity::Error,
            join(path, &format!("nodes[{at}]")),
            "loop_without_wait",
            format!(
                "the loop {} has no Wait node: add a Wait inside the loop",
                cycle.join(" → ")
            ),
            Some(first),
        ));
    }
}

/// Cycles of the graph once the given nodes are removed (Tarjan's strongly connected components).
fn cycles_without<'a>(
    adjacency: &BTreeMap<&'a str, Vec<&'a str>>,
    removed: &BTreeSet<&'a str>,
) -> Vec<Vec<&'a str>> {
    struct Tarjan<'a, 'g> {
        adjacency: &'g BTreeMap<&'a str, Vec<&'a str>>,
        removed: &'g BTreeSet<&'a str>,
        counter: usize,
        index: HashMap<&'a str, usize>,
        low: HashMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<&'a str>>,
    }
    impl<'a> Tarjan<'a, '_> {
        fn visit(&mut self, v: &'a str) {
            self.index.insert(v, self.counter);
            self.low.insert(v, self.counter);
            self.counter += 1;
            self.stack.push(v);
            self.on_stack.insert(v);
            let nexts: Vec<&'a str> = self
                .adjacency
                .get(v)
                .map(|n| {
                    n.iter()
                        .copied()
                        .filter(|w| !self.removed.contains(w))
                        .collect()
                })
                .unwrap_or_default();
            for w in nexts {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                let self_loop = self.adjacency.get(v).is_some_and(|n| n.contains(&v));
                if component.len() > 1 || self_loop {
                    component.reverse();
                    self.found.push(component);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        adjacency,
        removed,
        counter: 0,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for &v in adjacency.keys() {
        if !removed.contains(v) && !tarjan.index.contains_key(v) {
            tarjan.visit(v);
        }
    }
    tarjan.found
}

fn validate_params(
    node: &crate::model::Node,
    spec: &NodeTypeSpec,
    node_path: &str,
    bundle: &Bundle,
    options: ValidationOptions,
    ex: &Expressions,
    issues: &mut Vec<Issue>,
) {
    let id = Some(node.id.as_str());
    let mut found = Vec::new();
    let mut error = |param: &str, code: &str, message: String| {
        found.push(issue(
            Severity::Error,
            format!("{node_path}.params.{param}"),
            code,
            message,
            id,
        ));
    };
    for name in node.params.keys() {
        if spec.param(name).is_none() {
            error(
                name,
                "unknown_param",
                format!("{} has no parameter `{name}`", spec.title),
            );
        }
    }
    for param in &spec.params {
        let value = node.params.get(&param.name).filter(|v| !v.is_null());
        let Some(value) = value else {
            if param.required && param.default.is_none() {
                error(
                    &param.name,
                    "missing_param",
                    format!("{} is required", param.label),
                );
            }
            continue;
        };
        let expect_string = |kind: &str| -> Result<&str, String> {
            value
                .as_str()
                .ok_or_else(|| format!("{} must be {kind}", param.label))
        };
        let result: Result<(), (String, String)> = match &param.kind {
            ParamKind::Text => expect_string("text")
                .and_then(|s| {
                    if param.required && s.trim().is_empty() {
                        Err(format!("{} is required", param.label))
                    } else {
                        Ok(())
                    }
                })
                .map_err(|m| ("missing_param".into(), m)),
            ParamKind::Code { .. } => expect_string("text")
                .map(|_| ())
                .map_err(|m| ("invalid_type".into(), m)),
            ParamKind::Expression => expect_string("text")
                .map_err(|m| ("invalid_type".into(), m))
                .and_then(|s| {
                    ex.check_syntax(s)
                        .map_err(|e| ("invalid_expression".into(), e.message))
                }),
            ParamKind::Condition => expect_string("a condition")
                .map_err(|m| ("invalid_type".into(), m))
                .and_then(|s| {
                    if s.trim().is_empty() {
                        return Err((
                            "missing_param".into(),
                            format!("{} is required", param.label),
                        ));
                    }
                    ex.check_condition(s)
                        .map_err(|e| ("invalid_expression".into(), e.message))
                }),
            ParamKind::Number => value.as_f64().map(|_| ()).ok_or_else(|| {
                (
                    "invalid_type".into(),
                    format!("{} must be a number", param.label),
                )
            }),
            ParamKind::Boolean => value.as_bool().map(|_| ()).ok_or_else(|| {
                (
                    "invalid_type".into(),
                    format!("{} must be true or false", param.label),
                )
            }),
            ParamKind::Select { options } => expect_string("text")
                .map_err(|m| ("invalid_type".into(), m))
                .and_then(|s| {
                    if options.iter().any(|o| o == s) {
                        Ok(())
                    } else {
                        Err((
                            "invalid_option".into(),
                            format!("`{s}` is not one of {}", options.join(", ")),
                        ))
                    }
                }),
            ParamKind::Duration => expect_string("a duration")
                .map_err(|m| ("invalid_type".into(), m))
                .and_then(|s| {
                    parse_duration_ms(s)
                        .map(|_| ())
                        .map_err(|m| ("invalid_duration".into(), m))
                }),
            ParamKind::EventAlias => expect_string("an event alias")
                .map_err(|m| ("invalid_type".into(), m))
                .and_then(|s| {
                    if bundle.event_definitions.iter().any(|d| d.alias == s) {
                        Ok(())
                    } else {
                        Err((
                            "unknown_event".into(),
                            format!("no reception event definition has the alias `{s}`"),
                        ))
                    }
                }),
            ParamKind::WebhookRef => expect_string("a webhook name")
                .map_err(|m| ("invalid_type".into(), m))
                .and_then(|s| {
                    if bundle.webhook(s).is_some() {
                        Ok(())
                    } else {
                        Err(("unknown_webhook".into(), format!("no webhook named `{s}`")))
                    }
                }),
            ParamKind::InlineWebhook => match serde_json::from_value::<Webhook>(value.clone()) {
                Ok(webhook) => {
                    validate_webhook(
                        &webhook,
                        &format!("{node_path}.params.{}", param.name),
                        bundle,
                        options,
                        ex,
                        id,
                        issues,
                    );
                    Ok(())
                }
                Err(e) => Err((
                    "invalid_webhook".into(),
                    format!("invalid inline request: {e}"),
                )),
            },
            ParamKind::SwitchPaths => check_switch_paths(value, ex),
            ParamKind::FieldMappings => check_mappings(value, ex),
        };
        if let Err((code, message)) = result {
            issues.push(issue(
                Severity::Error,
                format!("{node_path}.params.{}", param.name),
                &code,
                message,
                id,
            ));
        }
    }
    issues.extend(found);
    if node.kind == kinds::TRIGGER_SUBSCRIPTION {
        let text = |name: &str| node.params.get(name).and_then(Value::as_str).unwrap_or("");
        let behaviour = node
            .params
            .get("behaviour")
            .and_then(Value::as_str)
            .unwrap_or("start");
        if behaviour != "start" && text("journey_id").trim().is_empty() {
            issues.push(issue(
                Severity::Error,
                format!("{node_path}.params.journey_id"),
                "missing_param",
                format!(
                    "the `{behaviour}` behaviour finds its run by the journey identifier: give one"
                ),
                id,
            ));
        }
    }
    if node.kind == kinds::HTTP_REQUEST {
        let has = |name: &str| node.params.get(name).is_some_and(|v| !v.is_null());
        match (has("webhook"), has("inline")) {
            (false, false) => issues.push(issue(
                Severity::Error,
                format!("{node_path}.params.webhook"),
                "missing_param",
                "pick a webhook or define the request inline".into(),
                id,
            )),
            (true, true) => issues.push(issue(
                Severity::Error,
                format!("{node_path}.params.inline"),
                "conflicting_params",
                "use either a webhook or an inline request, not both".into(),
                id,
            )),
            _ => {}
        }
    }
}

/// Every string of a JSON value, object keys included, in document order.
fn json_strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(text) => out.push(text),
        Value::Array(items) => items.iter().for_each(|item| json_strings(item, out)),
        Value::Object(map) => {
            for (key, item) in map {
                out.push(key);
                json_strings(item, out);
            }
        }
        _ => {}
    }
}

/// A switch path's `when` read as a status match (`200-299`, `404`, `4xx`): `None` when it is
/// a condition instead; `Some(Err)` when it is shaped like a status match that no response
/// can meet (`300-200`, `99`, `600-700`), with what is wrong.
pub fn status_matcher(when: &str) -> Option<Result<(u16, u16), String>> {
    let when = when.trim();
    let number = |text: &str| {
        let text = text.trim();
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<u32>().unwrap_or(u32::MAX))
    };
    let (low, high) = if let Some((a, b)) = when.split_once('-') {
        (number(a)?, number(b)?)
    } else if when.len() == 3 && when.ends_with("xx") {
        let hundred = number(&when[..1])?;
        (hundred * 100, hundred * 100 + 99)
    } else {
        let code = number(when)?;
        (code, code)
    };
    let valid = 100..=599;
    Some(if !valid.contains(&low) || !valid.contains(&high) {
        Err(format!(
            "`{when}` is not an HTTP status (100 to 599), so no response can match it"
        ))
    } else if low > high {
        Err(format!(
            "`{when}` is an empty range: write the lower status first ({high}-{low})"
        ))
    } else {
        // Both are within 100..=599, so they fit.
        Ok((low as u16, high as u16))
    })
}

fn check_switch_paths(value: &Value, ex: &Expressions) -> Result<(), (String, String)> {
    let Some(items) = value.as_array() else {
        return Err(("invalid_type".into(), "paths must be a list".into()));
    };
    let mut names = BTreeSet::new();
    for (j, item) in items.iter().enumerate() {
        let name = item.get("name").and_then(Value::as_str).unwrap_or("");
        let when = item.get("when").and_then(Value::as_str).unwrap_or("");
        if name.trim().is_empty() {
            return Err((
                "missing_value".into(),
                format!("path {} has no name", j + 1),
            ));
        }
        if name == "fallback" || !names.insert(name) {
            return Err((
                "duplicate_name".into(),
                format!("path name `{name}` is used twice (fallback is reserved)"),
            ));
        }
        if when.trim().is_empty() {
            return Err(("missing_value".into(), format!("path `{name}` has no rule")));
        }
        match status_matcher(when) {
            Some(Ok(_)) => {}
            Some(Err(message)) => {
                return Err(("invalid_status".into(), format!("path `{name}`: {message}")));
            }
            None => {
                if let Err(e) = ex.check_condition(when) {
                    return Err((
                        "invalid_expression".into(),
                        format!(
                            "path `{name}`: `{when}` is neither a status (200-299, 404) nor a valid condition: {}",
                            e.message
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn check_mappings(value: &Value, ex: &Expressions) -> Result<(), (String, String)> {
    let Some(items) = value.as_array() else {
        return Err(("invalid_type".into(), "fields must be a list".into()));
    };
    if items.is_empty() {
        return Err((
            "missing_param".into(),
            "add at least one field to set".into(),
        ));
    }
    for item in items {
        let field = item.get("field").and_then(Value::as_str).unwrap_or("");
        let value = item.get("value").and_then(Value::as_str).unwrap_or("");
        let known = STANDARD_CONTACT_FIELDS.contains(&field)
            || field.strip_prefix("custom.").is_some_and(|c| !c.is_empty());
        if !known {
            return Err((
                "unknown_field".into(),
                format!(
                    "`{field}` is not a contact field: use {} or custom.NAME",
                    STANDARD_CONTACT_FIELDS.join(", ")
                ),
            ));
        }
        if let Err(e) = ex.check_syntax(value) {
            return Err((
                "invalid_expression".into(),
                format!("{field}: {}", e.message),
            ));
        }
    }
    Ok(())
}
