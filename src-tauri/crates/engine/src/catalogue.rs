//! The node catalogue: every node type declared once, as data. The validator, the runner and
//! the editor's generic inspector all read these declarations (exported to TypeScript).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ts_rs::TS;

/// Node type identifiers, as they appear in a node's `kind`.
pub mod kinds {
    /// Starts on an inbound event of a given alias.
    pub const TRIGGER_EVENT: &str = "trigger_event";
    /// Starts when a contact is added to a group.
    pub const TRIGGER_GROUP: &str = "trigger_group";
    /// Starts or routes on an external system's webhook.
    pub const TRIGGER_SUBSCRIPTION: &str = "trigger_subscription";
    /// Starts by hand, for tests and one-shot runs.
    pub const TRIGGER_MANUAL: &str = "trigger_manual";
    /// Sends a webhook and records the response.
    pub const HTTP_REQUEST: &str = "http_request";
    /// Routes on the last response.
    pub const RESPONSE_SWITCH: &str = "response_switch";
    /// If/else on an expression.
    pub const CONDITION: &str = "condition";
    /// Writes contact fields.
    pub const SET_FIELD: &str = "set_field";
    /// Waits a duration.
    pub const WAIT: &str = "wait";
    /// Waits for an event of an alias for this contact.
    pub const WAIT_FOR_EVENT: &str = "wait_for_event";
    /// Ends the path.
    pub const END: &str = "end";
}

/// The group a node type is listed under in the palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum NodeCategory {
    /// Starts a run; has no input.
    Trigger,
    /// Talks to the outside world or changes data.
    Action,
    /// Routes or waits.
    Flow,
}

/// The language of a code parameter, for highlighting and syntax checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CodeLanguage {
    /// JSON.
    Json,
    /// XML.
    Xml,
    /// Plain text.
    Text,
}

/// The type of a parameter: decides the editor widget and the validation applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum ParamKind {
    /// A plain string.
    Text,
    /// A template with `${…}` expressions, rendered to a string.
    Expression,
    /// A boolean expression, `${…}` optional: `${data.WH5.status} == "active"`.
    Condition,
    /// A number.
    Number,
    /// `true` / `false`.
    Boolean,
    /// One of a fixed list of values.
    Select {
        /// Allowed values.
        options: Vec<String>,
    },
    /// A duration such as `30s`, `5m`, `2h`, `1d`.
    Duration,
    /// The alias of a reception event definition.
    EventAlias,
    /// The name of a webhook of the bundle.
    WebhookRef,
    /// A whole webhook definition, inline.
    InlineWebhook,
    /// Ordered switch paths: `[{ "name", "when" }]`; `when` is a status range (`200-299`),
    /// an exact code (`404`) or a condition.
    SwitchPaths,
    /// Field writes: `[{ "field", "value" }]`; `field` is a standard field or `custom.NAME`.
    FieldMappings,
    /// A code editor with highlighting.
    Code {
        /// Language of the code.
        language: CodeLanguage,
    },
}

/// One parameter of a node type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ParamSpec {
    /// Key in the node's `params`.
    pub name: String,
    /// Label shown in the inspector.
    pub label: String,
    /// Type of the value.
    pub kind: ParamKind,
    /// Whether a value must be given.
    pub required: bool,
    /// Value a new node starts with.
    #[ts(type = "unknown")]
    pub default: Option<Value>,
    /// One line of help under the field.
    pub help: String,
}

/// One output port of a node type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PortSpec {
    /// Port name used in edges.
    pub name: String,
    /// Label shown on the canvas.
    pub label: String,
}

/// The declaration of a node type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NodeTypeSpec {
    /// Identifier used in a node's `kind`.
    pub kind: String,
    /// Name shown in the palette.
    pub title: String,
    /// What the node does, one sentence.
    pub description: String,
    /// Palette group.
    pub category: NodeCategory,
    /// Whether the node has an input (triggers have none).
    pub has_input: bool,
    /// Fixed output ports.
    pub ports: Vec<PortSpec>,
    /// If set, the `name` of each entry of this parameter is an extra output port
    /// (the Response switch's paths), listed before the fixed ports.
    pub ports_from_param: Option<String>,
    /// Parameters, in inspector order.
    pub params: Vec<ParamSpec>,
}

impl NodeTypeSpec {
    /// Whether this node type starts runs.
    pub fn is_trigger(&self) -> bool {
        self.category == NodeCategory::Trigger
    }

    /// The output port names of a node of this type with the given params.
    pub fn port_names(&self, params: &std::collections::BTreeMap<String, Value>) -> Vec<String> {
        let mut names = Vec::new();
        if let Some(param) = &self.ports_from_param
            && let Some(Value::Array(items)) = params.get(param)
        {
            names.extend(
                items
                    .iter()
                    .filter_map(|item| item.get("name").and_then(Value::as_str))
                    .map(str::to_string),
            );
        }
        names.extend(self.ports.iter().map(|p| p.name.clone()));
        names
    }

    /// Whether a parameter that has a default is missing (or null) in `params`, i.e. whether
    /// [`NodeTypeSpec::params_with_defaults`] would change anything.
    pub fn lacks_defaults(&self, params: &std::collections::BTreeMap<String, Value>) -> bool {
        self.params.iter().any(|param| {
            param.default.is_some() && params.get(&param.name).is_none_or(Value::is_null)
        })
    }

    /// The node's parameters with every missing one that has a default filled in.
    pub fn params_with_defaults(
        &self,
        params: &std::collections::BTreeMap<String, Value>,
    ) -> std::collections::BTreeMap<String, Value> {
        let mut merged = params.clone();
        for param in &self.params {
            if let Some(default) = &param.default {
                let missing = merged.get(&param.name).is_none_or(Value::is_null);
                if missing {
                    merged.insert(param.name.clone(), default.clone());
                }
            }
        }
        merged
    }

    /// The declaration of the parameter with this name, if any.
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }
}

fn port(name: &str, label: &str) -> PortSpec {
    PortSpec {
        name: name.to_string(),
        label: label.to_string(),
    }
}

fn param(name: &str, label: &str, kind: ParamKind, required: bool, help: &str) -> ParamSpec {
    ParamSpec {
        name: name.to_string(),
        label: label.to_string(),
        kind,
        required,
        default: None,
        help: help.to_string(),
    }
}

fn with_default(mut spec: ParamSpec, default: Value) -> ParamSpec {
    spec.default = Some(default);
    spec
}

#[allow(clippy::too_many_arguments)]
fn node(
    kind: &str,
    title: &str,
    description: &str,
    category: NodeCategory,
    ports: Vec<PortSpec>,
    ports_from_param: Option<&str>,
    params: Vec<ParamSpec>,
) -> NodeTypeSpec {
    NodeTypeSpec {
        kind: kind.to_string(),
        title: title.to_string(),
        description: description.to_string(),
        category,
        has_input: category != NodeCategory::Trigger,
        ports,
        ports_from_param: ports_from_param.map(str::to_string),
        params,
    }
}

/// Every node type Hookboard knows, in palette order.
pub fn catalogue() -> Vec<NodeTypeSpec> {
    use NodeCategory::*;
    use kinds::*;
    let next = || vec![port("next", "Next")];
    vec![
        node(
            TRIGGER_EVENT,
            "Event received",
            "Starts when an inbound event of the given alias arrives.",
            Trigger,
            next(),
            None,
            vec![param(
                "alias",
                "Event alias",
                ParamKind::EventAlias,
                true,
                "The reception event definition that starts this workflow.",
            )],
        ),
        node(
            TRIGGER_GROUP,
            "Enters group",
            "Starts when a contact is added to a group.",
            Trigger,
            next(),
            None,
            vec![param(
                "group",
                "Group",
                ParamKind::Text,
                true,
                "Name of the group to watch.",
            )],
        ),
        node(
            TRIGGER_SUBSCRIPTION,
            "Subscription",
            "Starts or routes runs on an external system's webhook, by journey identifier.",
            Trigger,
            next(),
            None,
            vec![
                param(
                    "subscription",
                    "Subscription name",
                    ParamKind::Text,
                    true,
                    "Receives POST /subscriptions/{name}; signed with the secret `subscription NAME` when the server has one.",
                ),
                with_default(
                    param(
                        "email",
                        "Contact email",
                        ParamKind::Expression,
                        true,
                        "The contact the run is for (created when missing), read from the body.",
                    ),
                    json!("${event.email}"),
                ),
                with_default(
                    param(
                        "primary_key",
                        "Primary key",
                        ParamKind::Expression,
                        true,
                        "Identifies a message: a repeated one is acknowledged again, not run twice.",
                    ),
                    json!("${event.id}"),
                ),
                param(
                    "journey_id",
                    "Journey identifier",
                    ParamKind::Expression,
                    false,
                    "Expression identifying the run, e.g. ${event.order_id}; read by runs as ${run.journey}.",
                ),
                with_default(
                    param(
                        "journey_kind",
                        "The identifier is",
                        ParamKind::Select {
                            options: vec!["text".into(), "run_id".into(), "phone".into()],
                        },
                        true,
                        "text: any text; run_id: the id of a run of this workflow; phone: a phone number (spaces and dashes ignored).",
                    ),
                    json!("text"),
                ),
                with_default(
                    param(
                        "behaviour",
                        "Journey behaviour",
                        ParamKind::Select {
                            options: vec![
                                "start".into(),
                                "replace".into(),
                                "abort".into(),
                                "deliver".into(),
                            ],
                        },
                        true,
                        "start: a new run; replace: abort the waiting run with this identifier, then start a new one; abort: abort it; deliver: the waiting run's Wait for event receives the message.",
                    ),
                    json!("start"),
                ),
                param(
                    "start_params",
                    "Start parameters",
                    ParamKind::Code {
                        language: CodeLanguage::Json,
                    },
                    false,
                    "A JSON template read from the body; a started run reads it as ${run.params.NAME}.",
                ),
                param(
                    "response_body",
                    "Response body",
                    ParamKind::Code {
                        language: CodeLanguage::Json,
                    },
                    false,
                    "A JSON template answered to the sender (${event.…}, ${run.id}, ${run.journey}); by default the event id.",
                ),
                param(
                    "register_webhook",
                    "Registration webhook",
                    ParamKind::WebhookRef,
                    false,
                    "Sent by `hookboard-server publish` to register this endpoint (${event.url}, ${event.subscription}).",
                ),
                param(
                    "unregister_webhook",
                    "Unregistration webhook",
                    ParamKind::WebhookRef,
                    false,
                    "Sent by `hookboard-server unpublish` to remove the registration.",
                ),
            ],
        ),
        node(
            TRIGGER_MANUAL,
            "Manual",
            "Starts by hand, for tests and one-shot runs.",
            Trigger,
            next(),
            None,
            vec![],
        ),
        node(
            HTTP_REQUEST,
            "HTTP request",
            "Sends a webhook and records the response; network, timeout, TLS and parse errors take the error port.",
            Action,
            vec![port("response", "Response"), port("error", "Error")],
            None,
            vec![
                param(
                    "webhook",
                    "Webhook",
                    ParamKind::WebhookRef,
                    false,
                    "A webhook of the workspace; its name is the data source (${data.NAME}).",
                ),
                param(
                    "inline",
                    "Inline request",
                    ParamKind::InlineWebhook,
                    false,
                    "A request defined on this node instead of a named webhook.",
                ),
                with_default(
                    param(
                        "identify_by",
                        "Identify contact by",
                        ParamKind::Select {
                            options: vec!["contact_id".into(), "email".into(), "phone".into()],
                        },
                        true,
                        "Which contact field identifies the contact in the external system.",
                    ),
                    json!("email"),
                ),
                with_default(
                    param(
                        "identifier",
                        "Identifier",
                        ParamKind::Expression,
                        false,
                        "Expression giving the identifier, e.g. ${contact.email}.",
                    ),
                    json!("${contact.email}"),
                ),
            ],
        ),
        node(
            RESPONSE_SWITCH,
            "Response switch",
            "Routes on the last response: status ranges, exact codes or conditions, in order; otherwise the fallback.",
            Flow,
            vec![port("fallback", "Fallback")],
            Some("paths"),
            vec![with_default(
                param(
                    "paths",
                    "Paths",
                    ParamKind::SwitchPaths,
                    true,
                    "Checked in order: 200-299, 404, or ${data.WH5.status} == \"active\".",
                ),
                json!([{"name": "success", "when": "200-299"}]),
            )],
        ),
        node(
            CONDITION,
            "Condition",
            "If/else on an expression.",
            Flow,
            vec![port("true", "True"), port("false", "False")],
            None,
            vec![param(
                "expression",
                "Condition",
                ParamKind::Condition,
                true,
                "e.g. ${contact.city} == \"Paris\"",
            )],
        ),
        node(
            SET_FIELD,
            "Set field",
            "Writes expressions into contact fields, standard or custom.",
            Action,
            next(),
            None,
            vec![param(
                "mappings",
                "Fields",
                ParamKind::FieldMappings,
                true,
                "field: city, phone, custom.NAME, ...; value: an expression.",
            )],
        ),
        node(
            WAIT,
            "Wait",
            "Waits a duration before going on.",
            Flow,
            next(),
            None,
            vec![with_default(
                param(
                    "duration",
                    "Duration",
                    ParamKind::Duration,
                    true,
                    "e.g. 30s, 5m, 2h, 1d",
                ),
                json!("1h"),
            )],
        ),
        node(
            WAIT_FOR_EVENT,
            "Wait for event",
            "Waits for an event of an alias for this contact, up to a timeout.",
            Flow,
            vec![port("event", "Event"), port("timeout", "Timeout")],
            None,
            vec![
                param(
                    "alias",
                    "Event alias",
                    ParamKind::EventAlias,
                    true,
                    "The event to wait for.",
                ),
                with_default(
                    param("timeout", "Timeout", ParamKind::Duration, true, "e.g. 1d"),
                    json!("1d"),
                ),
            ],
        ),
        node(END, "End", "Ends the path.", Flow, vec![], None, vec![]),
    ]
}

/// The declaration of one node type, if the kind is known. The catalogue is built once.
pub fn node_type(kind: &str) -> Option<&'static NodeTypeSpec> {
    static CATALOGUE: std::sync::OnceLock<Vec<NodeTypeSpec>> = std::sync::OnceLock::new();
    CATALOGUE
        .get_or_init(catalogue)
        .iter()
        .find(|spec| spec.kind == kind)
}

/// Parses a duration such as `500ms`, `30s`, `5m`, `2h`, `1d` into milliseconds.
pub fn parse_duration_ms(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let amount: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write e.g. 30s, 5m, 2h or 1d"))?;
    let factor = match unit {
        "ms" => 1,
        "s" | "" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(format!(
                "`{text}` has an unknown unit `{unit}`: use ms, s, m, h or d"
            ));
        }
    };
    amount
        .checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too long a duration"))
}
