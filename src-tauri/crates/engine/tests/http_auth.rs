//! Connector authentication checked by a real loopback server, and masking of the secrets
//! in a dump of the request.

mod support;

use hookboard_engine::auth::{apply_auth, mask};
use hookboard_engine::http::{HttpResponse, OutboundRequest};
use hookboard_engine::model::{ApiKeyPlacement, Connector, ConnectorAuth, HttpMethod};
use hookboard_engine::trace::MASK;
use proptest::prelude::*;
use support::{
    API_KEY_HEADER, API_KEY_PARAM, BASIC_USER, SECRET, TIMEOUT, TestServer, client, fast_retry,
};

fn connector(auth: ConnectorAuth) -> Connector {
    Connector {
        name: "crm".into(),
        auth,
    }
}

/// The request as a trace or a preview would show it.
fn dump(req: &OutboundRequest) -> String {
    let mut out = format!("{} {}\n", req.method.as_str(), req.url);
    for (name, value) in &req.headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    if let Some(body) = &req.body {
        out.push_str(&String::from_utf8_lossy(body));
    }
    out
}

async fn send(req: &OutboundRequest) -> HttpResponse {
    client()
        .send(req, TIMEOUT, &fast_retry(1))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
}

/// Sends the request without and with auth, checks the server's verdict and the masking.
async fn check(server: &TestServer, path: &str, auth: ConnectorAuth) -> Vec<String> {
    let mut url = server.url(path);
    url.query_pairs_mut().append_pair("contact", "c-1");
    let mut req = OutboundRequest::new(HttpMethod::Post, url);
    req.headers
        .push(("Content-Type".into(), "application/json".into()));
    req.body = Some(br#"{"hello":"world"}"#.to_vec());

    assert_eq!(send(&req).await.status, 401, "{path} without credentials");

    let masks = apply_auth(&mut req, &connector(auth), SECRET);
    let resp = send(&req).await;
    assert_eq!(
        resp.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&resp.body)
    );
    assert!(masks.iter().any(|m| m == SECRET), "{masks:?}");
    assert!(masks.iter().all(|m| !m.is_empty()));

    let raw = dump(&req);
    let masked = mask(&raw, &masks);
    assert!(masked.contains(MASK), "{masked}");
    for m in &masks {
        assert!(!masked.contains(m.as_str()), "{m} left in {masked}");
    }
    // The rest of the request is still readable.
    assert!(masked.contains("contact=c-1"), "{masked}");
    assert!(masked.contains(r#"{"hello":"world"}"#), "{masked}");
    masks
}

#[tokio::test]
async fn basic_auth() {
    let server = TestServer::start().await;
    let masks = check(
        &server,
        "/auth/basic",
        ConnectorAuth::Basic {
            username: BASIC_USER.into(),
        },
    )
    .await;
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{BASIC_USER}:{SECRET}"));
    assert!(masks.contains(&b64), "{masks:?}");
}

#[tokio::test]
async fn bearer_token() {
    let server = TestServer::start().await;
    check(&server, "/auth/bearer", ConnectorAuth::Bearer).await;
}

#[tokio::test]
async fn api_key_in_a_header() {
    let server = TestServer::start().await;
    check(
        &server,
        "/auth/header",
        ConnectorAuth::ApiKey {
            placement: ApiKeyPlacement::Header,
            param_name: API_KEY_HEADER.into(),
        },
    )
    .await;
}

#[tokio::test]
async fn api_key_in_the_query() {
    let server = TestServer::start().await;
    let masks = check(
        &server,
        "/auth/query",
        ConnectorAuth::ApiKey {
            placement: ApiKeyPlacement::Query,
            param_name: API_KEY_PARAM.into(),
        },
    )
    .await;
    // The encoded form, as it appears in the URL, is masked too.
    let encoded: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    assert_ne!(encoded, SECRET);
    assert!(masks.contains(&encoded), "{masks:?}");
    let seen = server.requests_to("/auth/query");
    assert!(
        seen[1]
            .query
            .as_deref()
            .is_some_and(|q| q.starts_with("contact=c-1&api_key=")),
        "{:?}",
        seen[1].query
    );
}

#[test]
fn auth_replaces_an_existing_authorization_header() {
    let url = url::Url::parse("https://api.example.com/x").expect("url");
    let mut req = OutboundRequest::new(HttpMethod::Get, url);
    req.headers
        .push(("authorization".into(), "Bearer stale".into()));
    apply_auth(&mut req, &connector(ConnectorAuth::Bearer), "fresh");
    let auth: Vec<&(String, String)> = req
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .collect();
    assert_eq!(auth.len(), 1);
    assert_eq!(auth[0].1, "Bearer fresh");
}

#[test]
fn an_empty_secret_has_nothing_to_mask() {
    let url = url::Url::parse("https://api.example.com/x").expect("url");
    let mut req = OutboundRequest::new(HttpMethod::Get, url);
    let masks = apply_auth(&mut req, &connector(ConnectorAuth::Bearer), "");
    assert!(masks.is_empty());
    assert_eq!(mask("Bearer ", &masks), "Bearer ");
}

#[test]
fn mask_prefers_the_longest_secret() {
    let secrets = vec!["abc".to_string(), "abcdef".to_string(), String::new()];
    assert_eq!(
        mask("x abcdef y abc z", &secrets),
        format!("x {MASK} y {MASK} z")
    );
}

proptest! {
    #[test]
    fn mask_leaves_no_occurrence_of_the_secret(
        secret in "[^•]{1,24}",
        pieces in prop::collection::vec(".{0,12}", 0..8),
        other in "[a-z0-9]{0,6}",
    ) {
        // The secret placed between random pieces of text, and next to itself.
        let mut text = String::new();
        for piece in &pieces {
            text.push_str(piece);
            text.push_str(&secret);
        }
        text.push_str(&secret);
        let masked = mask(&text, &[other.clone(), secret.clone()]);
        prop_assert!(!masked.contains(secret.as_str()), "{:?} in {:?}", secret, masked);
        if !other.is_empty() {
            prop_assert!(!masked.contains(other.as_str()));
        }
    }

    #[test]
    fn apply_auth_masks_cover_every_form_in_the_dump(secret in "[^•]{1,24}") {
        let url = url::Url::parse("https://api.example.com/x?a=1").expect("url");
        for auth in [
            ConnectorAuth::Basic { username: "u".into() },
            ConnectorAuth::Bearer,
            ConnectorAuth::ApiKey { placement: ApiKeyPlacement::Header, param_name: "X-Key".into() },
            ConnectorAuth::ApiKey { placement: ApiKeyPlacement::Query, param_name: "key".into() },
        ] {
            let mut req = OutboundRequest::new(HttpMethod::Get, url.clone());
            let masks = apply_auth(&mut req, &connector(auth), &secret);
            let masked = mask(&dump(&req), &masks);
            for m in &masks {
                prop_assert!(!masked.contains(m.as_str()), "{:?} in {:?}", m, masked);
            }
        }
    }
}
