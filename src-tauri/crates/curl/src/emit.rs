//! `to_curl`: a webhook as the curl command that sends the same request.

use hookboard_engine::model::{ApiKeyPlacement, BodyKind, ConnectorAuth, HttpMethod, Webhook};
use hookboard_engine::trace::MASK;

use crate::encode::form_encode;
use crate::shell::quote;
use crate::{CurlAuth, DEFAULT_TIMEOUT_MS, default_content_type};

/// See [`crate::to_curl`].
pub(crate) fn to_curl(webhook: &Webhook, auth: CurlAuth<'_>) -> String {
    // The engine only authenticates a webhook that names a connector.
    let auth = match (&webhook.connector, auth) {
        (None, _) | (_, CurlAuth::Omit) => None,
        (Some(_), CurlAuth::Masked(kind)) => Some((kind, MASK)),
        (Some(_), CurlAuth::WithSecret(kind, secret)) => Some((kind, secret)),
    };
    let mut options: Vec<String> = Vec::new();

    let mut query: Vec<String> = Vec::new();
    let mut header_lines: Vec<(String, String)> = Vec::new();
    for pair in &webhook.query {
        if webhook.params_in_headers {
            header_lines.push((pair.name.clone(), pair.value.clone()));
        } else {
            query.push(format!(
                "{}={}",
                form_encode(&pair.name),
                form_encode(&pair.value)
            ));
        }
    }
    header_lines.extend(
        webhook
            .headers
            .iter()
            .map(|h| (h.name.clone(), h.value.clone())),
    );

    // The header the connector sets replaces one of the same name, as in the engine.
    let mut auth_options: Vec<String> = Vec::new();
    if let Some((kind, secret)) = auth {
        let replaced = match kind {
            ConnectorAuth::Basic { username } => {
                auth_options.push(format!("-u {}", quote(&format!("{username}:{secret}"))));
                Some("Authorization")
            }
            ConnectorAuth::Bearer => {
                auth_options.push(header(&(
                    "Authorization".into(),
                    format!("Bearer {secret}"),
                )));
                Some("Authorization")
            }
            ConnectorAuth::ApiKey {
                placement: ApiKeyPlacement::Header,
                param_name,
            } => {
                auth_options.push(header(&(param_name.clone(), secret.to_string())));
                Some(param_name.as_str())
            }
            ConnectorAuth::ApiKey {
                placement: ApiKeyPlacement::Query,
                param_name,
            } => {
                let value = if secret == MASK {
                    MASK.to_string()
                } else {
                    form_encode(secret)
                };
                query.push(format!("{}={value}", form_encode(param_name)));
                None
            }
        };
        if let Some(name) = replaced {
            header_lines.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        }
    }

    let mut url = webhook.url.clone();
    if !query.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query.join("&"));
    }
    let has_body = webhook.body.kind != BodyKind::None;
    let implied = if has_body {
        HttpMethod::Post
    } else {
        HttpMethod::Get
    };
    let mut first = String::from("curl");
    if webhook.method != implied {
        first.push_str(" -X ");
        first.push_str(webhook.method.as_str());
    }
    first.push(' ');
    first.push_str(&quote(&url));
    if url.contains(['[', ']', '{', '}']) {
        // Braces and brackets are curl's URL globbing; templates hold braces.
        options.push("--globoff".to_string());
    }

    let has_type_header = header_lines
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    options.extend(header_lines.iter().map(header));
    if !has_type_header {
        let content_type = webhook
            .content_type
            .as_deref()
            .or(has_body.then(|| default_content_type(webhook.body.kind)));
        // curl's own type for data is the form type: only a form body can leave it out.
        let implied_by_curl = webhook.body.kind == BodyKind::Form
            && content_type
                .is_some_and(|t| t.eq_ignore_ascii_case(default_content_type(BodyKind::Form)));
        if let (Some(t), false) = (content_type, implied_by_curl) {
            options.push(header(&("Content-Type".into(), t.to_string())));
        }
    }
    options.extend(auth_options);

    match webhook.body.kind {
        BodyKind::None => {}
        BodyKind::Json | BodyKind::Xml | BodyKind::Text => {
            options.push(format!("--data-raw {}", quote(&webhook.body.template)));
        }
        BodyKind::Form if webhook.body.form.is_empty() => options.push("--data-raw ''".to_string()),
        BodyKind::Form => {
            for pair in &webhook.body.form {
                options.push(if pair.name.is_empty() {
                    // `--data-urlencode '=v'` would send `v` without the `=`.
                    format!(
                        "--data-raw {}",
                        quote(&format!("={}", form_encode(&pair.value)))
                    )
                } else {
                    format!(
                        "--data-urlencode {}",
                        quote(&format!("{}={}", form_encode(&pair.name), pair.value))
                    )
                });
            }
        }
    }

    if webhook.timeout_ms != DEFAULT_TIMEOUT_MS {
        options.push(format!("--max-time {}", seconds(webhook.timeout_ms)));
    }

    let mut out = first;
    for option in options {
        out.push_str(" \\\n  ");
        out.push_str(&option);
    }
    out
}

/// `-H 'Name: value'`, or `-H 'Name;'` for an empty value (curl's spelling of it).
fn header((name, value): &(String, String)) -> String {
    if value.is_empty() {
        format!("-H {}", quote(&format!("{name};")))
    } else {
        format!("-H {}", quote(&format!("{name}: {value}")))
    }
}

/// Milliseconds as curl's `--max-time` seconds (`2.5`, `30`).
fn seconds(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        (ms / 1000).to_string()
    } else {
        format!("{}.{:03}", ms / 1000, ms % 1000)
            .trim_end_matches('0')
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::seconds;

    #[test]
    fn seconds_are_exact() {
        assert_eq!(seconds(30_000), "30");
        assert_eq!(seconds(2_500), "2.5");
        assert_eq!(seconds(1), "0.001");
        assert_eq!(seconds(10_010), "10.01");
    }
}
