//! Retries against a real loopback server: which statuses and methods are retried,
//! `Retry-After`, the attempt count and the shared `Idempotency-Key`.

mod support;

use std::time::Duration;

use hookboard_engine::http::{HttpErrorKind, OutboundRequest, ensure_idempotency_key};
use hookboard_engine::model::{HttpMethod, RetryPolicy};
use support::{TIMEOUT, TestServer, client, fast_retry};

#[tokio::test]
async fn retry_after_is_honoured_on_429() {
    let server = TestServer::start().await;
    let req = OutboundRequest::new(HttpMethod::Get, server.url("/status/429?retry_after=1"));
    let retry = RetryPolicy {
        max_attempts: 2,
        initial_backoff_ms: 10,
        max_backoff_ms: 3_000,
        retry_non_idempotent: false,
    };
    let resp = client().send(&req, TIMEOUT, &retry).await.expect("429");
    assert_eq!(resp.status, 429, "the last response is returned as-is");
    assert_eq!(resp.attempts, 2);
    let seen = server.requests_to("/status/429");
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at.duration_since(seen[0].at);
    assert!(gap >= Duration::from_millis(950), "gap {gap:?}");
    assert!(resp.elapsed >= Duration::from_millis(950));
}

#[tokio::test]
async fn retry_after_is_capped_at_the_maximum_backoff() {
    let server = TestServer::start().await;
    let req = OutboundRequest::new(HttpMethod::Get, server.url("/status/503?retry_after=120"));
    let resp = client()
        .send(&req, TIMEOUT, &fast_retry(2))
        .await
        .expect("503");
    assert_eq!(resp.status, 503);
    assert_eq!(resp.attempts, 2);
    assert!(resp.elapsed < Duration::from_secs(5), "{:?}", resp.elapsed);
}

#[tokio::test]
async fn server_errors_are_retried_up_to_max_attempts() {
    let server = TestServer::start().await;
    for code in [500u16, 502, 503, 504, 429] {
        let path = format!("/status/{code}");
        let req = OutboundRequest::new(HttpMethod::Get, server.url(&path));
        let resp = client()
            .send(&req, TIMEOUT, &fast_retry(3))
            .await
            .expect("status");
        assert_eq!(resp.status, code);
        assert_eq!(resp.attempts, 3, "{code}");
        assert_eq!(server.requests_to(&path).len(), 3, "{code}");
    }
    // Other statuses are final.
    for code in [400u16, 404, 501] {
        let path = format!("/status/{code}");
        let req = OutboundRequest::new(HttpMethod::Get, server.url(&path));
        let resp = client()
            .send(&req, TIMEOUT, &fast_retry(3))
            .await
            .expect("status");
        assert_eq!(resp.attempts, 1, "{code}");
        assert_eq!(server.requests_to(&path).len(), 1, "{code}");
    }
}

#[tokio::test]
async fn a_retry_can_succeed() {
    let server = TestServer::start().await;
    let req = OutboundRequest::new(HttpMethod::Put, server.url("/flaky/2"));
    let resp = client()
        .send(&req, TIMEOUT, &fast_retry(5))
        .await
        .expect("flaky");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"finally");
    assert_eq!(resp.attempts, 3);
    assert_eq!(server.requests_to("/flaky/2").len(), 3);
}

#[tokio::test]
async fn post_and_patch_are_retried_only_when_allowed() {
    let server = TestServer::start().await;
    for (method, path) in [
        (HttpMethod::Post, "/status/500"),
        (HttpMethod::Patch, "/status/502"),
    ] {
        let req = OutboundRequest::new(method, server.url(path));
        let resp = client()
            .send(&req, TIMEOUT, &fast_retry(3))
            .await
            .expect("status");
        assert_eq!(resp.attempts, 1);
        assert_eq!(server.requests_to(path).len(), 1);

        let allowed = RetryPolicy {
            retry_non_idempotent: true,
            ..fast_retry(3)
        };
        let resp = client()
            .send(&req, TIMEOUT, &allowed)
            .await
            .expect("status");
        assert_eq!(resp.attempts, 3);
        assert_eq!(server.requests_to(path).len(), 4);
    }
    // PUT and DELETE are idempotent: retried without consent.
    for (method, path) in [
        (HttpMethod::Put, "/status/503"),
        (HttpMethod::Delete, "/status/504"),
    ] {
        let req = OutboundRequest::new(method, server.url(path));
        let resp = client()
            .send(&req, TIMEOUT, &fast_retry(2))
            .await
            .expect("status");
        assert_eq!(resp.attempts, 2);
    }
}

#[tokio::test]
async fn every_attempt_carries_the_same_idempotency_key() {
    let server = TestServer::start().await;
    let allowed = RetryPolicy {
        retry_non_idempotent: true,
        ..fast_retry(3)
    };
    let req = OutboundRequest::new(HttpMethod::Post, server.url("/status/503"));
    client()
        .send(&req, TIMEOUT, &allowed)
        .await
        .expect("first call");
    client()
        .send(&req, TIMEOUT, &allowed)
        .await
        .expect("second call");
    let keys: Vec<String> = server
        .requests_to("/status/503")
        .iter()
        .map(|r| r.header("idempotency-key").expect("key").to_string())
        .collect();
    assert_eq!(keys.len(), 6);
    assert!(keys[..3].iter().all(|k| k == &keys[0]), "{keys:?}");
    assert!(keys[3..].iter().all(|k| k == &keys[3]), "{keys:?}");
    assert_ne!(keys[0], keys[3], "each call has its own key");
    assert!(uuid::Uuid::parse_str(&keys[0]).is_ok());

    // A key the request already has is kept (and not sent twice).
    let mut req = OutboundRequest::new(HttpMethod::Post, server.url("/status/500"));
    req.headers
        .push(("idempotency-key".into(), "order-1234".into()));
    client()
        .send(&req, TIMEOUT, &allowed)
        .await
        .expect("own key");
    for r in server.requests_to("/status/500") {
        let sent: Vec<&str> = r
            .headers
            .iter()
            .filter(|(n, _)| n == "idempotency-key")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(sent, ["order-1234"]);
    }

    // ensure_idempotency_key lets the caller trace the key that will be sent.
    let mut req = OutboundRequest::new(HttpMethod::Post, server.url("/status/502"));
    let key = ensure_idempotency_key(&mut req);
    assert_eq!(ensure_idempotency_key(&mut req), key);
    client()
        .send(&req, TIMEOUT, &allowed)
        .await
        .expect("traced key");
    for r in server.requests_to("/status/502") {
        assert_eq!(r.header("idempotency-key"), Some(key.as_str()));
    }
}

#[tokio::test]
async fn timeouts_are_retried_for_idempotent_methods() {
    let server = TestServer::start().await;
    let req = OutboundRequest::new(HttpMethod::Get, server.url("/sleep/2000"));
    let err = client()
        .send(&req, Duration::from_millis(150), &fast_retry(2))
        .await
        .expect_err("timeout");
    assert_eq!(err.kind, HttpErrorKind::Timeout);
    assert_eq!(err.attempts, 2);
    assert_eq!(server.requests_to("/sleep/2000").len(), 2);

    let post = OutboundRequest::new(HttpMethod::Post, server.url("/sleep/1500"));
    let err = client()
        .send(&post, Duration::from_millis(150), &fast_retry(3))
        .await
        .expect_err("timeout");
    assert_eq!(err.attempts, 1, "a POST that timed out is not repeated");
}
