//! `hookboard-server publish` / `unpublish`: registers the server's subscription endpoints at
//! the external systems (or removes the registration) by sending each Subscription trigger's
//! registration (or unregistration) webhook, with `${event.url}` the public URL of
//! `POST /subscriptions/{name}` and `${event.subscription}` the name.

use std::path::PathBuf;

use hookboard_engine::expr::Scope;
use hookboard_engine::http::HttpPolicy;
use hookboard_engine::runner::{DEFAULT_TRACE_BODY_LIMIT, Engine};
use hookboard_engine::trace::Step;
use hookboard_engine::validate::ValidationOptions;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde_json::json;

use crate::bundle::{environment_variables, load_bundle, secret_sources};
use crate::journeys::Listener;
use crate::run::InputError;

/// Register or remove the registrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Send the registration webhooks (`register_webhook`).
    Publish,
    /// Send the unregistration webhooks (`unregister_webhook`).
    Unpublish,
}

impl Direction {
    fn param(self) -> &'static str {
        match self {
            Direction::Publish => "register_webhook",
            Direction::Unpublish => "unregister_webhook",
        }
    }
}

/// What `publish` or `unpublish` was asked to do.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    /// Bundle file or directory.
    pub bundle: PathBuf,
    /// The server's public base URL, e.g. `https://hooks.example.com`.
    pub public_url: String,
    /// Only this subscription (all that name a webhook when `None`).
    pub subscription: Option<String>,
    /// Environment of the bundle whose variables `${env.NAME}` reads.
    pub env: Option<String>,
    /// Secrets file (JSON object: connector name → secret).
    pub secrets_file: Option<PathBuf>,
    /// Allow requests to private, loopback and link-local addresses.
    pub allow_private_network: bool,
    /// Register or remove.
    pub direction: Direction,
}

/// What was sent for one subscription, as printed.
#[derive(Debug, Clone, Serialize)]
pub struct Publication {
    /// Subscription name.
    pub subscription: String,
    /// The workflow whose trigger names the webhook.
    pub workflow: String,
    /// The webhook sent.
    pub webhook: String,
    /// The endpoint registered (or unregistered).
    pub url: String,
    /// Whether the external system answered with a 2xx status.
    pub ok: bool,
    /// The request and response, secrets masked, as in a run's trace.
    pub step: Step,
}

/// What is percent-encoded in a path segment: all but RFC 3986's unreserved characters.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The public URL of a subscription's endpoint under `base`.
fn endpoint(base: &str, name: &str) -> String {
    format!(
        "{}/subscriptions/{}",
        base.trim_end_matches('/'),
        utf8_percent_encode(name, PATH_SEGMENT)
    )
}

/// Sends the (un)registration webhook of every subscription that names one (or of the one
/// asked for) and returns what each answered. Bad input (bundle, environment, secrets, URL,
/// an unknown subscription or one without the webhook) is an [`InputError`].
pub async fn publish(request: &PublishRequest) -> Result<Vec<Publication>, InputError> {
    let options = ValidationOptions {
        allow_insecure_http: false,
    };
    let (bundle, _) =
        load_bundle(&request.bundle, options).map_err(|e| InputError(e.to_string()))?;
    let uri: axum::http::Uri = request.public_url.parse().map_err(|e| {
        InputError(format!(
            "--public-url `{}` is not a URL: {e}",
            request.public_url
        ))
    })?;
    if !matches!(uri.scheme_str(), Some("https" | "http")) || uri.host().is_none() {
        return Err(InputError(format!(
            "--public-url `{}` must be an http(s) URL with a host, e.g. https://hooks.example.com",
            request.public_url
        )));
    }
    let env = environment_variables(&bundle, request.env.as_deref(), &request.bundle)
        .map_err(InputError)?;
    let secrets = secret_sources(request.secrets_file.as_deref()).map_err(InputError)?;
    let param = request.direction.param();
    let mut names: Vec<String> = bundle
        .workflows
        .iter()
        .flat_map(|w| &w.nodes)
        .filter(|n| n.kind == hookboard_engine::catalogue::kinds::TRIGGER_SUBSCRIPTION)
        .filter_map(|n| n.params.get("subscription").and_then(|v| v.as_str()))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    let mut chosen: Vec<(String, Listener<'_>)> = Vec::new();
    for name in &names {
        if request
            .subscription
            .as_ref()
            .is_some_and(|wanted| wanted != name)
        {
            continue;
        }
        let listeners = crate::journeys::listeners(&bundle.workflows, name);
        let with_webhook = listeners
            .into_iter()
            .find(|l| !l.text(param).trim().is_empty());
        match with_webhook {
            Some(listener) => chosen.push((name.clone(), listener)),
            None if request.subscription.is_some() => {
                return Err(InputError(format!(
                    "the subscription `{name}` names no {} (parameter `{param}` of its trigger)",
                    param.replace('_', " ")
                )));
            }
            None => {}
        }
    }
    if let Some(wanted) = &request.subscription
        && !names.contains(wanted)
    {
        return Err(InputError(format!(
            "no Subscription trigger is named `{wanted}`; the bundle has: {}",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    if chosen.is_empty() {
        return Err(InputError(format!(
            "no Subscription trigger of the bundle names a {} (parameter `{param}`)",
            param.replace('_', " ")
        )));
    }
    let engine = Engine::new(HttpPolicy {
        block_private_networks: !request.allow_private_network,
        ..HttpPolicy::default()
    })
    .map_err(|e| InputError(e.to_string()))?;
    let mut out = Vec::with_capacity(chosen.len());
    for (name, listener) in chosen {
        let webhook_name = listener.text(param).to_string();
        let Some(webhook) = bundle.webhook(&webhook_name) else {
            return Err(InputError(format!(
                "the subscription `{name}` names the webhook `{webhook_name}`, which the bundle does not have"
            )));
        };
        let url = endpoint(&request.public_url, &name);
        let scope = Scope {
            event: json!({"url": url, "subscription": name}),
            run: json!({"id": uuid::Uuid::new_v4().to_string(), "workflow": listener.workflow.name}),
            env: env.clone(),
            error: json!({}),
            ..Scope::default()
        };
        let outcome = engine
            .send_webhook(
                &bundle,
                webhook,
                &scope.to_context(),
                &secrets,
                DEFAULT_TRACE_BODY_LIMIT,
            )
            .await;
        let status = outcome.step.response.as_ref().map(|r| r.status);
        let ok = outcome.step.error.is_none() && status.is_some_and(|s| (200..300).contains(&s));
        out.push(Publication {
            subscription: name,
            workflow: listener.workflow.name.clone(),
            webhook: webhook_name,
            url,
            ok,
            step: outcome.step,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::endpoint;

    #[test]
    fn the_endpoint_url_encodes_the_name_as_one_path_segment() {
        assert_eq!(
            endpoint("https://hooks.example.com/", "order_paid"),
            "https://hooks.example.com/subscriptions/order_paid"
        );
        assert_eq!(
            endpoint("https://hooks.example.com/base", "a b/c?d"),
            "https://hooks.example.com/base/subscriptions/a%20b%2Fc%3Fd"
        );
    }
}
