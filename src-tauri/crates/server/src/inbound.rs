//! Reading an inbound body against its event definition (SPEC 6): lenient JSON Pointer mapping
//! for webhooks, strict validation for the public API. Every problem is listed, not only the first.

use std::collections::HashMap;

use axum::http::StatusCode;
use hookboard_engine::model::is_valid_email;
use hookboard_engine::model::{EventContext, EventDefinition, FieldType};
use serde_json::{Map, Value};

/// An inbound body that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// The event payload (`${event.NAME}`).
    pub payload: Value,
    /// The contact's email.
    pub email: String,
    /// The event's primary key, as text.
    pub primary_key: String,
}

/// Parses a body as JSON; the error names the line and column (serde_json's message ends
/// with them).
pub fn parse_json(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("malformed JSON: {e}"))
}

fn type_name(field_type: FieldType) -> &'static str {
    match field_type {
        FieldType::Email => "an email address",
        FieldType::Text => "text",
        FieldType::Number => "a number",
        FieldType::Boolean => "true or false",
        FieldType::Date => "an ISO 8601 date or date-time",
        FieldType::Json => "JSON",
    }
}

fn is_date(text: &str) -> bool {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
        || chrono::DateTime::parse_from_rfc3339(text).is_ok()
        || chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").is_ok()
}

fn type_ok(field_type: FieldType, value: &Value) -> bool {
    match field_type {
        FieldType::Email => value.as_str().is_some_and(is_valid_email),
        FieldType::Text => value.is_string(),
        FieldType::Number => value.is_number(),
        FieldType::Boolean => value.is_boolean(),
        FieldType::Date => value.as_str().is_some_and(is_date),
        FieldType::Json => true,
    }
}

/// The primary key as text: a non-empty string or a number.
fn key_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Checks the email and primary key of a payload whose fields are already typed.
fn finish(
    definition: &EventDefinition,
    payload: Map<String, Value>,
    mut problems: Vec<String>,
) -> Result<Accepted, Vec<String>> {
    let email = payload
        .get(&definition.email_field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if let Some(email) = &email
        && !is_valid_email(email)
    {
        problems.push(format!(
            "field `{}`: `{}` is not a valid email address",
            definition.email_field,
            email.escape_debug()
        ));
    }
    if email.is_none()
        && !problems
            .iter()
            .any(|p| p.contains(&format!("`{}`", definition.email_field)))
    {
        problems.push(format!("missing email field `{}`", definition.email_field));
    }
    let primary_key = payload.get(&definition.primary_key).and_then(key_text);
    if primary_key.is_none()
        && !problems
            .iter()
            .any(|p| p.contains(&format!("`{}`", definition.primary_key)))
    {
        problems.push(format!("missing primary key `{}`", definition.primary_key));
    }
    match (email, primary_key) {
        (Some(email), Some(primary_key)) if problems.is_empty() => Ok(Accepted {
            payload: Value::Object(payload),
            email,
            primary_key,
        }),
        _ => Err(problems),
    }
}

/// Webhook context: each field is read at its JSON Pointer (default `/<name>`), unknown fields
/// are ignored, present fields are type-checked, required ones must be there.
pub fn map_webhook(definition: &EventDefinition, body: &Value) -> Result<Accepted, Vec<String>> {
    let mut payload = Map::new();
    let mut problems = Vec::new();
    for field in &definition.fields {
        let pointer = field
            .pointer
            .clone()
            .unwrap_or_else(|| format!("/{}", field.name.replace('~', "~0").replace('/', "~1")));
        match body.pointer(&pointer).filter(|v| !v.is_null()) {
            Some(value) if type_ok(field.field_type, value) => {
                payload.insert(field.name.clone(), value.clone());
            }
            Some(_) => problems.push(format!(
                "field `{}` (at {pointer}) must be {}",
                field.name,
                type_name(field.field_type)
            )),
            None if field.required => problems.push(format!(
                "missing required field `{}` (at {pointer})",
                field.name
            )),
            None => {}
        }
    }
    finish(definition, payload, problems)
}

/// Public API context: the body is an object whose keys are the defined fields; unknown
/// fields, missing required fields and wrong types are all rejected.
pub fn validate_strict(
    definition: &EventDefinition,
    body: &Value,
) -> Result<Accepted, Vec<String>> {
    let Some(object) = body.as_object() else {
        return Err(vec!["the body must be a JSON object".to_string()]);
    };
    let mut problems = Vec::new();
    for key in object.keys() {
        if !definition.fields.iter().any(|f| &f.name == key) {
            problems.push(format!("unknown field `{key}`"));
        }
    }
    let mut payload = Map::new();
    for field in &definition.fields {
        match object.get(&field.name).filter(|v| !v.is_null()) {
            Some(value) if type_ok(field.field_type, value) => {
                payload.insert(field.name.clone(), value.clone());
            }
            Some(_) => problems.push(format!(
                "field `{}` must be {}",
                field.name,
                type_name(field.field_type)
            )),
            None if field.required => {
                problems.push(format!("missing required field `{}`", field.name))
            }
            None => {}
        }
    }
    finish(definition, payload, problems)
}

/// Why an inbound body was refused: 400 (malformed JSON) or 422 (not valid for its
/// definition), a message and every problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The answer's status code.
    pub status: StatusCode,
    /// What is wrong, for people (a malformed-JSON message names the line and column).
    pub message: String,
    /// Every problem found against the definition (empty for malformed JSON).
    pub problems: Vec<String>,
}

impl Refusal {
    /// The reason kept with the rejected event: the message, then every problem.
    pub fn reason(&self) -> String {
        if self.problems.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.message, self.problems.join("; "))
        }
    }
}

/// Parses a body and validates it against its definition, by the definition's context:
/// JSON Pointer mapping for webhooks, strict validation for the public API.
pub fn check(definition: &EventDefinition, body: &[u8]) -> Result<Accepted, Refusal> {
    let value = parse_json(body).map_err(|message| Refusal {
        status: StatusCode::BAD_REQUEST,
        message,
        problems: vec![],
    })?;
    let checked = match definition.context {
        EventContext::Webhook => map_webhook(definition, &value),
        EventContext::PublicApi => validate_strict(definition, &value),
    };
    checked.map_err(|problems| Refusal {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message: "the event is not valid".to_string(),
        problems,
    })
}

/// The public API's `createContact` query parameter: absent or `false`, or `true`.
pub fn create_contact_flag(query: &HashMap<String, String>) -> Result<bool, String> {
    match query.get("createContact").map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(format!(
            "createContact must be true or false, not `{other}`"
        )),
    }
}

/// Reads the body of `POST /api/v1/groups/{group}/contacts`: a JSON array of contacts, each
/// `{"id": "..."}`, `{"email": "..."}` or both. Every problem is listed with its path.
pub fn group_members(value: &Value) -> Result<Vec<hookboard_store::GroupMember>, Vec<String>> {
    let Some(items) = value.as_array() else {
        return Err(vec![
            "the body must be a JSON array of contacts, e.g. [{\"email\": \"ada@example.com\"}]"
                .to_string(),
        ]);
    };
    let mut problems = Vec::new();
    let mut members = Vec::with_capacity(items.len());
    for (at, item) in items.iter().enumerate() {
        let Some(object) = item.as_object() else {
            problems.push(format!(
                "[{at}]: must be an object with `id` and/or `email`"
            ));
            continue;
        };
        let mut text = |name: &str| match object.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(_) => {
                problems.push(format!("[{at}].{name}: must be a non-empty string"));
                None
            }
        };
        let member = hookboard_store::GroupMember {
            id: text("id"),
            email: text("email"),
        };
        for name in object.keys().filter(|k| *k != "id" && *k != "email") {
            problems.push(format!(
                "[{at}].{name}: unknown field (only `id` and `email`)"
            ));
        }
        if let Some(email) = &member.email
            && !is_valid_email(email)
        {
            problems.push(format!("[{at}].email: `{email}` is not an email address"));
        }
        if member.id.is_none()
            && member.email.is_none()
            && object.keys().all(|k| k == "id" || k == "email")
        {
            problems.push(format!("[{at}]: give the contact's `id` or `email`"));
        }
        members.push(member);
    }
    if problems.is_empty() {
        Ok(members)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookboard_engine::model::EventField;
    use serde_json::json;

    fn definition() -> EventDefinition {
        EventDefinition {
            alias: "order".into(),
            context: EventContext::Webhook,
            fields: vec![
                EventField {
                    name: "email".into(),
                    field_type: FieldType::Email,
                    required: true,
                    pointer: Some("/customer/email".into()),
                },
                EventField {
                    name: "order_id".into(),
                    field_type: FieldType::Text,
                    required: true,
                    pointer: None,
                },
                EventField {
                    name: "total".into(),
                    field_type: FieldType::Number,
                    required: false,
                    pointer: None,
                },
            ],
            email_field: "email".into(),
            primary_key: "order_id".into(),
        }
    }

    #[test]
    fn webhook_fields_come_from_pointers_and_unknown_fields_are_ignored() {
        let body = json!({"customer": {"email": "a@b.co"}, "order_id": "o-1", "x": 1});
        let accepted = map_webhook(&definition(), &body).expect("accepted");
        assert_eq!(
            accepted.payload,
            json!({"email": "a@b.co", "order_id": "o-1"})
        );
        assert_eq!(accepted.email, "a@b.co");
        assert_eq!(accepted.primary_key, "o-1");
    }

    #[test]
    fn strict_validation_lists_every_problem() {
        let body = json!({"email": "nope", "total": "3", "extra": true});
        let problems = validate_strict(&definition(), &body).expect_err("rejected");
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("unknown field `extra`")));
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`total` must be a number"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`email` must be an email"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("missing required field `order_id`"))
        );
    }

    #[test]
    fn an_email_field_typed_as_text_must_still_hold_an_address_contacts_can_have() {
        let mut definition = definition();
        definition.fields[0].field_type = FieldType::Text;
        let body = json!({"customer": {"email": "a@b..co"}, "order_id": "o-1"});
        let problems = map_webhook(&definition, &body).expect_err("refused");
        assert_eq!(
            problems,
            vec!["field `email`: `a@b..co` is not a valid email address".to_string()]
        );
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let message = parse_json(b"{\n  \"a\": 1,\n  oops\n}").expect_err("malformed");
        assert!(message.contains("line 3 column 3"), "{message}");
    }

    #[test]
    fn check_answers_400_for_malformed_json_and_422_with_every_problem() {
        let malformed = check(&definition(), b"{oops").expect_err("malformed");
        assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
        assert!(
            malformed.reason().contains("line 1 column 2"),
            "{malformed:?}"
        );
        let invalid = check(&definition(), br#"{"customer": {}}"#).expect_err("invalid");
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(invalid.problems.len(), 2, "{invalid:?}");
        assert_eq!(
            invalid.reason(),
            format!("the event is not valid: {}", invalid.problems.join("; "))
        );
    }
}
