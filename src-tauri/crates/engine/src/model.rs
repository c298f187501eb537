//! The data model shared by every shell: the `hookboard.bundle/v1` document and what it holds.
//!
//! Every map is a `BTreeMap` and every list keeps the user's order, so serializing a bundle
//! gives keys in a stable order and `export(import(x)) == x` for a canonical document.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

/// The format tag every bundle carries in its `format` field.
pub const BUNDLE_FORMAT: &str = "hookboard.bundle/v1";

/// A whole exported workspace: what the server runs and what the desktop imports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Bundle {
    /// Always [`BUNDLE_FORMAT`].
    pub format: String,
    /// Reception event definitions (inbound data).
    #[serde(default)]
    pub event_definitions: Vec<EventDefinition>,
    /// Authentication connectors, without their secrets.
    #[serde(default)]
    pub connectors: Vec<Connector>,
    /// Named, reusable outbound HTTP requests.
    #[serde(default)]
    pub webhooks: Vec<Webhook>,
    /// Workflow graphs.
    #[serde(default)]
    pub workflows: Vec<Workflow>,
    /// Named variable sets (`${env.NAME}`).
    #[serde(default)]
    pub environments: Vec<Environment>,
    /// API-key scopes for the public API, without any key.
    #[serde(default)]
    pub api_key_scopes: Vec<ApiKeyScope>,
}

impl Default for Bundle {
    fn default() -> Self {
        Bundle {
            format: BUNDLE_FORMAT.to_string(),
            event_definitions: Vec::new(),
            connectors: Vec::new(),
            webhooks: Vec::new(),
            workflows: Vec::new(),
            environments: Vec::new(),
            api_key_scopes: Vec::new(),
        }
    }
}

impl Bundle {
    /// The workflow with this name, if any.
    pub fn workflow(&self, name: &str) -> Option<&Workflow> {
        self.workflows.iter().find(|w| w.name == name)
    }

    /// The webhook with this name, if any.
    pub fn webhook(&self, name: &str) -> Option<&Webhook> {
        self.webhooks.iter().find(|w| w.name == name)
    }

    /// The connector with this name, if any.
    pub fn connector(&self, name: &str) -> Option<&Connector> {
        self.connectors.iter().find(|c| c.name == name)
    }

    /// The environment with this name, if any.
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }
}

/// A named scope that API keys can be created with; lists the event aliases it may post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ApiKeyScope {
    /// Scope name, given to `hookboard-server keys create --scope`.
    pub name: String,
    /// Event aliases a key of this scope may post; empty means all.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A named set of variables, read in templates as `${env.NAME}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Environment {
    /// Environment name (`sandbox`, `production`, ...).
    pub name: String,
    /// Variable values by name.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

/// Where an inbound event arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum EventContext {
    /// `POST /api/v1/custom-events/alias/{alias}`, strict validation.
    PublicApi,
    /// `POST /hooks/{alias}`, fields taken by JSON Pointer.
    Webhook,
}

/// The type of one field of a reception event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FieldType {
    /// An email address.
    Email,
    /// Free text.
    Text,
    /// A JSON number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// An ISO 8601 date or date-time.
    Date,
    /// Any JSON value.
    Json,
}

/// One field of a reception event definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct EventField {
    /// Field name, read as `${event.NAME}`.
    pub name: String,
    /// Field type, checked on arrival.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Whether the field must be present.
    #[serde(default)]
    pub required: bool,
    /// Webhook context: where the field is in the incoming body (RFC 6901 JSON Pointer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub pointer: Option<String>,
}

/// A reception event definition: what an inbound event of one alias looks like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct EventDefinition {
    /// Alias used in inbound URLs and by the "event received" trigger.
    pub alias: String,
    /// Public API or webhook.
    pub context: EventContext,
    /// The fields the event carries.
    pub fields: Vec<EventField>,
    /// Name of the field holding the contact's email.
    pub email_field: String,
    /// Name of the field that identifies the event (repeated keys are acknowledged, not rerun).
    pub primary_key: String,
}

/// How a connector authenticates; the secret part is never in here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[ts(export)]
pub enum ConnectorAuth {
    /// HTTP Basic: the login is stored, the password is the secret.
    Basic {
        /// The login sent with the password.
        username: String,
    },
    /// `Authorization: Bearer <secret>`.
    Bearer,
    /// An API key sent in a header or a query parameter.
    ApiKey {
        /// Header or query parameter.
        placement: ApiKeyPlacement,
        /// The header or query parameter name.
        param_name: String,
    },
}

/// Where an API key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ApiKeyPlacement {
    /// In a request header.
    Header,
    /// In a query parameter.
    Query,
}

/// An authentication connector; its secret lives in the keyring or the server's secret source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Connector {
    /// Connector name; also the key of its secret.
    pub name: String,
    /// Authentication type and its non-secret settings.
    pub auth: ConnectorAuth,
}

/// HTTP methods a webhook may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "UPPERCASE")]
#[ts(export)]
pub enum HttpMethod {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl HttpMethod {
    /// The method name as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    /// Whether repeating the request is safe without the webhook's explicit consent.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, HttpMethod::Post | HttpMethod::Patch)
    }
}

/// A name/value pair whose value is a template (query parameters, headers, form fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct KeyValue {
    /// Parameter or header name.
    pub name: String,
    /// Value template, e.g. `${contact.email}`.
    pub value: String,
}

/// The kind of request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BodyKind {
    /// No body.
    #[default]
    None,
    /// A JSON template: the structure is fixed, values are inserted as JSON.
    Json,
    /// An XML template: values are XML-escaped.
    Xml,
    /// Plain text.
    Text,
    /// `application/x-www-form-urlencoded` from `form` pairs.
    Form,
}

/// A request body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Body {
    /// What kind of body is sent.
    #[serde(default)]
    pub kind: BodyKind,
    /// The body template (JSON, XML, text).
    #[serde(default)]
    pub template: String,
    /// Form fields (form bodies).
    #[serde(default)]
    pub form: Vec<KeyValue>,
}

/// How a response body is parsed into values later steps can read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
#[ts(export)]
pub enum ResponseParsing {
    /// JSON into a value tree.
    #[default]
    Json,
    /// XML into a value tree (elements, attributes as `@name`, text as `#text`).
    Xml,
    /// The body as a string.
    Text,
    /// A regular expression with named groups; each group becomes a value.
    Custom {
        /// The regular expression.
        pattern: String,
    },
}

/// When and how often a failed request is repeated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 = no retry).
    pub max_attempts: u32,
    /// First backoff delay; doubles on each retry, with full jitter.
    pub initial_backoff_ms: u64,
    /// Upper bound of one backoff delay (and of an honoured `Retry-After`).
    pub max_backoff_ms: u64,
    /// Retry POST and PATCH too (the receiver de-duplicates by `Idempotency-Key`).
    #[serde(default)]
    pub retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff_ms: 500,
            max_backoff_ms: 30_000,
            retry_non_idempotent: false,
        }
    }
}

fn default_timeout_ms() -> u64 {
    30_000
}

/// A named, reusable outbound HTTP request. Its name is the data-source name
/// (`${data.NAME.field}`) later steps read its parsed response by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Webhook {
    /// Unique name; also the data-source name.
    pub name: String,
    /// What the request is for.
    #[serde(default)]
    pub description: String,
    /// HTTP method.
    pub method: HttpMethod,
    /// URL template; interpolated values are percent-encoded.
    pub url: String,
    /// Query parameters (value templates).
    #[serde(default)]
    pub query: Vec<KeyValue>,
    /// Request headers (value templates; CR/LF refused).
    #[serde(default)]
    pub headers: Vec<KeyValue>,
    /// Send the query parameters as headers instead of in the URL.
    #[serde(default)]
    pub params_in_headers: bool,
    /// Request body.
    #[serde(default)]
    pub body: Body,
    /// `Content-Type` override; defaults follow the body kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub content_type: Option<String>,
    /// Name of the connector that authenticates the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub connector: Option<String>,
    /// How the response body is parsed.
    #[serde(default)]
    pub response: ResponseParsing,
    /// Per-attempt timeout.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Retry policy.
    #[serde(default)]
    pub retry: RetryPolicy,
}

/// Where a node sits on the canvas.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Position {
    /// Horizontal position.
    pub x: f64,
    /// Vertical position.
    pub y: f64,
}

/// One node of a workflow graph; its `params` are checked against its type's declaration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Node {
    /// Identifier unique within the workflow.
    pub id: String,
    /// Node type, one of the catalogue's kinds (`http_request`, ...).
    pub kind: String,
    /// Label shown on the canvas; defaults to the node type's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub title: Option<String>,
    /// Canvas position.
    #[serde(default)]
    pub position: Position,
    /// Parameter values by name.
    #[serde(default)]
    #[ts(type = "Record<string, unknown>")]
    pub params: BTreeMap<String, Value>,
}

/// A connection from one node's output port to another node's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Edge {
    /// Source node id.
    pub from: String,
    /// Source output port (`next`, `response`, `error`, a switch path, ...).
    pub port: String,
    /// Target node id.
    pub to: String,
}

/// A directed graph of nodes and edges between named ports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Workflow {
    /// Unique workflow name.
    pub name: String,
    /// What the workflow does.
    #[serde(default)]
    pub description: String,
    /// The nodes, in the order they were added.
    #[serde(default)]
    pub nodes: Vec<Node>,
    /// The edges.
    #[serde(default)]
    pub edges: Vec<Edge>,
}

impl Workflow {
    /// The node with this id, if any.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

/// A contact: standard fields, custom fields and the groups it belongs to.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Contact {
    /// Stable identifier.
    #[serde(default)]
    pub id: String,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// Birthday (ISO 8601 date).
    #[serde(default)]
    pub birthday: Option<String>,
    /// Custom fields, free-form JSON values.
    #[serde(default)]
    #[ts(type = "Record<string, unknown>")]
    pub custom: BTreeMap<String, Value>,
    /// Names of the groups the contact belongs to.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// The standard contact fields a Set field node may write besides `custom.*`.
pub const STANDARD_CONTACT_FIELDS: &[&str] = &[
    "email",
    "phone",
    "first_name",
    "last_name",
    "city",
    "birthday",
];

impl Contact {
    /// Writes a standard field (`city`) or a custom one (`custom.score`).
    /// Returns an error message naming the field when it is neither.
    pub fn set_field(&mut self, field: &str, value: Value) -> Result<(), String> {
        if let Some(custom) = field.strip_prefix("custom.") {
            if custom.is_empty() {
                return Err("custom field name is empty".to_string());
            }
            self.custom.insert(custom.to_string(), value);
            return Ok(());
        }
        let text = match value {
            Value::Null => None,
            Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            other => Some(other.to_string()),
        };
        if let Some(problem) = text.as_deref().and_then(|t| field_problem(field, t)) {
            return Err(format!("field `{field}`: {problem}"));
        }
        let slot = match field {
            "email" => &mut self.email,
            "phone" => &mut self.phone,
            "first_name" => &mut self.first_name,
            "last_name" => &mut self.last_name,
            "city" => &mut self.city,
            "birthday" => &mut self.birthday,
            _ => {
                return Err(format!(
                    "unknown contact field `{field}`: use one of {} or custom.NAME",
                    STANDARD_CONTACT_FIELDS.join(", ")
                ));
            }
        };
        *slot = text;
        Ok(())
    }
}

/// Whether `email` looks like a deliverable address: `local@domain.tld`, no spaces or control
/// characters, sane dots and hyphens. The one rule for contacts, whoever writes them.
pub fn is_valid_email(email: &str) -> bool {
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let dots_ok = |s: &str| !s.is_empty() && !s.starts_with('.') && !s.ends_with('.');
    if !dots_ok(local) || local.len() > 64 || local.contains("..") || local.contains('@') {
        return false;
    }
    if !dots_ok(domain) || !domain.contains('.') {
        return false;
    }
    domain.split('.').all(|label| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    })
}

/// Why `value` cannot be a contact's standard `field` (email, phone and birthday have a
/// format; the other fields take any text); `None` when it can.
pub fn field_problem(field: &str, value: &str) -> Option<String> {
    match field {
        "email" if !is_valid_email(value) => Some(format!(
            "`{}` is not a valid email address",
            value.escape_debug()
        )),
        "phone" => {
            let digits = value.chars().filter(char::is_ascii_digit).count();
            let allowed = value
                .chars()
                .all(|c| c.is_ascii_digit() || " +-.()/".contains(c));
            (!allowed || digits < 3)
                .then(|| format!("`{}` is not a phone number", value.escape_debug()))
        }
        "birthday" if chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_err() => {
            Some(format!(
                "`{}` is not a date (expected YYYY-MM-DD)",
                value.escape_debug()
            ))
        }
        _ => None,
    }
}

/// An inbound event a run starts from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Event {
    /// Event alias.
    #[serde(default)]
    pub alias: String,
    /// Where it came from (`public_api`, `webhook`, `subscription`, `manual`).
    #[serde(default)]
    pub source: String,
    /// The payload, read as `${event.FIELD}`.
    #[serde(default)]
    #[ts(type = "unknown")]
    pub payload: Value,
}
