//! The private-network rule (`HttpPolicy::block_private_networks`, the server's default):
//! requests to loopback addresses, by IP literal or by a name that resolves to one, are
//! refused before anything reaches the server; with the rule off they go through.

mod support;

use hookboard_engine::expr::Scope;
use hookboard_engine::http::{HttpErrorKind, HttpPolicy, OutboundRequest};
use hookboard_engine::model::{
    Body, BodyKind, Bundle, HttpMethod, ResponseParsing, RetryPolicy, Webhook,
};
use hookboard_engine::runner::Engine;
use hookboard_secrets::MemorySecretStore;
use support::{TIMEOUT, TestServer, client_with, fast_retry};
use url::Url;

fn blocking() -> HttpPolicy {
    HttpPolicy {
        block_private_networks: true,
        ..HttpPolicy::default()
    }
}

fn get(url: &str) -> OutboundRequest {
    OutboundRequest::new(
        HttpMethod::Get,
        Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}")),
    )
}

#[tokio::test]
async fn a_loopback_ip_is_refused_and_nothing_is_sent() {
    let server = TestServer::start().await;
    let port = server.addr.port();
    for url in [
        format!("http://127.0.0.1:{port}/echo?api_key=hidden"),
        format!("http://[::ffff:127.0.0.1]:{port}/echo"),
    ] {
        let err = client_with(blocking())
            .send(&get(&url), TIMEOUT, &fast_retry(3))
            .await
            .expect_err("a loopback address");
        assert_eq!(err.kind, HttpErrorKind::BlockedAddress, "{url}: {err:?}");
        assert!(
            err.message
                .contains("is a private, loopback or link-local address")
                && err.message.contains("--allow-private-network")
                && !err.message.contains("hidden"),
            "{}",
            err.message
        );
    }
    assert!(
        server.requests().is_empty(),
        "the server received a request"
    );
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_and_nothing_is_sent() {
    let server = TestServer::start().await;
    let url = format!("http://localhost:{}/echo", server.addr.port());
    let err = client_with(blocking())
        .send(&get(&url), TIMEOUT, &fast_retry(3))
        .await
        .expect_err("localhost");
    assert_eq!(err.kind, HttpErrorKind::BlockedAddress, "{err:?}");
    assert_eq!(
        err.message,
        "localhost resolves only to private, loopback or link-local addresses, and requests to \
         private networks are refused: start the server with --allow-private-network to allow them"
    );
    assert_eq!(err.attempts, 1, "a refused address is not retried");
    assert!(
        server.requests().is_empty(),
        "the server received a request"
    );
}

#[tokio::test]
async fn an_unknown_host_stays_a_dns_error_with_the_rule_on() {
    let err = client_with(blocking())
        .send(
            &get("https://no-such-host.invalid/"),
            std::time::Duration::from_secs(20),
            &fast_retry(1),
        )
        .await
        .expect_err("unknown host");
    assert_eq!(err.kind, HttpErrorKind::Dns, "{err:?}");
}

#[tokio::test]
async fn with_the_rule_off_local_services_are_reachable() {
    let server = TestServer::start().await;
    let port = server.addr.port();
    for url in [
        format!("http://127.0.0.1:{port}/echo"),
        format!("http://localhost:{port}/echo"),
    ] {
        let resp = client_with(HttpPolicy::default())
            .send(&get(&url), TIMEOUT, &fast_retry(1))
            .await
            .unwrap_or_else(|e| panic!("{url}: {e:?}"));
        assert_eq!(resp.status, 200, "{url}");
    }
    assert_eq!(server.requests_to("/echo").len(), 2);
}

#[tokio::test]
async fn the_step_error_names_the_kind_later_steps_read() {
    let server = TestServer::start().await;
    let webhook = Webhook {
        name: "LOCAL".into(),
        description: String::new(),
        method: HttpMethod::Post,
        url: format!("http://localhost:{}/echo", server.addr.port()),
        query: vec![],
        headers: vec![],
        params_in_headers: false,
        body: Body {
            kind: BodyKind::Json,
            template: r#"{"a": 1}"#.into(),
            form: vec![],
        },
        content_type: None,
        connector: None,
        response: ResponseParsing::Json,
        timeout_ms: 5_000,
        retry: RetryPolicy::default(),
    };
    let engine = Engine::new(blocking()).expect("engine");
    let ctx = Scope::default().to_context();
    let outcome = engine
        .send_webhook(
            &Bundle::default(),
            &webhook,
            &ctx,
            &MemorySecretStore::new(),
            1024,
        )
        .await;
    let error = outcome.step.error.expect("a step error");
    assert_eq!(error.kind, "blocked_address");
    assert!(
        error
            .message
            .starts_with("localhost resolves only to private")
    );
    assert!(
        server.requests().is_empty(),
        "the server received a request"
    );
}
