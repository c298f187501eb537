//! Sending requests to a real loopback server: methods, query, headers, bodies, statuses,
//! redirects, timeouts, the size limit and transport errors.

mod support;

use std::time::{Duration, Instant};

use hookboard_engine::http::{
    HttpErrorKind, HttpPolicy, HttpResponse, OutboundRequest, check_url_allowed,
};
use hookboard_engine::model::HttpMethod;
use serde_json::{Value, json};
use support::{TIMEOUT, TestServer, client, client_with, closed_port, fast_retry};
use url::Url;

fn json_body(resp: &HttpResponse) -> Value {
    serde_json::from_slice(&resp.body).unwrap_or_else(|e| {
        panic!(
            "echo answered with non-JSON ({e}): {}",
            String::from_utf8_lossy(&resp.body)
        )
    })
}

async fn send_ok(req: &OutboundRequest) -> HttpResponse {
    match client().send(req, TIMEOUT, &fast_retry(1)).await {
        Ok(r) => r,
        Err(e) => panic!("{} failed: {:?}", req.url, e),
    }
}

#[tokio::test]
async fn each_method_reaches_the_server_as_itself() {
    let server = TestServer::start().await;
    let methods = [
        (HttpMethod::Get, "GET"),
        (HttpMethod::Post, "POST"),
        (HttpMethod::Put, "PUT"),
        (HttpMethod::Patch, "PATCH"),
        (HttpMethod::Delete, "DELETE"),
    ];
    for (method, name) in methods {
        let resp = send_ok(&OutboundRequest::new(method, server.url("/echo"))).await;
        assert_eq!(resp.status, 200);
        assert_eq!(resp.attempts, 1);
        assert_eq!(json_body(&resp)["method"], name);
    }
    let seen: Vec<String> = server.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(seen, ["GET", "POST", "PUT", "PATCH", "DELETE"]);
}

#[tokio::test]
async fn query_parameters_and_headers_arrive() {
    let server = TestServer::start().await;
    let mut url = server.url("/echo");
    url.query_pairs_mut()
        .append_pair("email", "ann+test@example.com")
        .append_pair("tag", "a b&c")
        .append_pair("tag", "second");
    let mut req = OutboundRequest::new(HttpMethod::Get, url);
    req.headers.push(("X-Contact-Id".into(), "c-42".into()));
    req.headers.push(("X-Multi".into(), "one".into()));
    req.headers.push(("X-Multi".into(), "two".into()));
    let resp = send_ok(&req).await;
    let echo = json_body(&resp);
    assert_eq!(
        echo["query"],
        json!([
            ["email", "ann+test@example.com"],
            ["tag", "a b&c"],
            ["tag", "second"]
        ])
    );
    assert_eq!(echo["headers"]["x-contact-id"], "c-42");

    let rec = &server.requests_to("/echo")[0];
    let multi: Vec<&str> = rec
        .headers
        .iter()
        .filter(|(n, _)| n == "x-multi")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(multi, ["one", "two"]);
    // Every call carries an Idempotency-Key, generated when the request has none.
    let key = rec.header("idempotency-key").expect("idempotency key");
    assert!(uuid::Uuid::parse_str(key).is_ok(), "{key}");
}

fn with_body(server: &TestServer, content_type: &str, body: &str) -> OutboundRequest {
    let mut req = OutboundRequest::new(HttpMethod::Post, server.url("/echo"));
    req.headers
        .push(("Content-Type".into(), content_type.to_string()));
    req.body = Some(body.as_bytes().to_vec());
    req
}

#[tokio::test]
async fn bodies_arrive_with_their_content_type() {
    let server = TestServer::start().await;

    let resp = send_ok(&with_body(
        &server,
        "application/json",
        r#"{"email":"ann@example.com","items":[1,2],"quote":"say \"hi\""}"#,
    ))
    .await;
    let echo = json_body(&resp);
    assert_eq!(echo["content_type"], "application/json");
    assert_eq!(
        echo["parsed"],
        json!({"email": "ann@example.com", "items": [1, 2], "quote": "say \"hi\""})
    );

    let resp = send_ok(&with_body(
        &server,
        "application/xml; charset=utf-8",
        "<?xml version=\"1.0\"?><contact><email>ann@example.com</email><city>Köln &amp; Bonn</city></contact>",
    ))
    .await;
    let echo = json_body(&resp);
    assert_eq!(echo["content_type"], "application/xml; charset=utf-8");
    assert_eq!(
        echo["parsed"]["elements"],
        json!(["contact", "email", "city"])
    );
    assert_eq!(echo["parsed"]["texts"]["email"], "ann@example.com");

    let resp = send_ok(&with_body(&server, "text/plain", "hello, Wörld\nline 2")).await;
    let echo = json_body(&resp);
    assert_eq!(echo["parsed"], "hello, Wörld\nline 2");

    let form: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("email", "ann+x@example.com")
        .append_pair("note", "a&b=c d")
        .finish();
    let resp = send_ok(&with_body(
        &server,
        "application/x-www-form-urlencoded",
        &form,
    ))
    .await;
    let echo = json_body(&resp);
    assert_eq!(
        echo["parsed"],
        json!({"email": "ann+x@example.com", "note": "a&b=c d"})
    );

    let bodies: Vec<Vec<u8>> = server.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies[2], b"hello, W\xc3\xb6rld\nline 2");
    assert_eq!(bodies[3], form.as_bytes());
}

#[tokio::test]
async fn statuses_are_returned_as_they_are() {
    let server = TestServer::start().await;
    for code in [200u16, 201, 299, 404, 500] {
        let req = OutboundRequest::new(HttpMethod::Get, server.url(&format!("/status/{code}")));
        let resp = send_ok(&req).await;
        assert_eq!(resp.status, code);
        assert_eq!(resp.body, format!("status {code}").as_bytes());
        assert!(resp.header("content-type").is_some());
    }
}

#[tokio::test]
async fn redirects_follow_the_limit() {
    let server = TestServer::start().await;
    let req = OutboundRequest::new(HttpMethod::Get, server.url("/redirect/301?to=/echo"));

    let none = client_with(HttpPolicy {
        max_redirects: 0,
        ..HttpPolicy::default()
    });
    let err = none
        .send(&req, TIMEOUT, &fast_retry(3))
        .await
        .expect_err("redirect with limit 0");
    assert_eq!(err.kind, HttpErrorKind::Redirects, "{err:?}");
    assert_eq!(err.kind.as_str(), "redirects");
    assert_eq!(err.attempts, 1, "a redirect error is not retried");

    let resp = send_ok(&req).await;
    assert_eq!(resp.status, 200);
    assert_eq!(json_body(&resp)["method"], "GET");

    // A chain longer than the limit.
    let two_hops = server.url("/redirect/302?to=%2Fredirect%2F301%3Fto%3D%252Fecho");
    let one = client_with(HttpPolicy {
        max_redirects: 1,
        ..HttpPolicy::default()
    });
    let err = one
        .send(
            &OutboundRequest::new(HttpMethod::Get, two_hops.clone()),
            TIMEOUT,
            &fast_retry(1),
        )
        .await
        .expect_err("two redirects with limit 1");
    assert_eq!(err.kind, HttpErrorKind::Redirects);
    let resp = send_ok(&OutboundRequest::new(HttpMethod::Get, two_hops)).await;
    assert_eq!(resp.status, 200);
}

#[tokio::test]
async fn redirects_keep_or_change_the_method_like_browsers() {
    let server = TestServer::start().await;
    let post = |path: &str| {
        let mut req = OutboundRequest::new(HttpMethod::Post, server.url(path));
        req.headers
            .push(("Content-Type".into(), "application/json".into()));
        req.body = Some(br#"{"a":1}"#.to_vec());
        req
    };
    for (code, method, body) in [
        (307, "POST", r#"{"a":1}"#),
        (308, "POST", r#"{"a":1}"#),
        (303, "GET", ""),
        (302, "GET", ""),
        (301, "GET", ""),
    ] {
        let resp = send_ok(&post(&format!("/redirect/{code}?to=/echo"))).await;
        let echo = json_body(&resp);
        assert_eq!(echo["method"], method, "{code}");
        assert_eq!(echo["body"], body, "{code}");
    }
    let mut put = post("/redirect/301?to=/echo");
    put.method = HttpMethod::Put;
    assert_eq!(json_body(&send_ok(&put).await)["method"], "PUT");
}

#[tokio::test]
async fn credentials_do_not_follow_a_redirect_to_another_origin() {
    let server = TestServer::start().await;
    let headers = [
        ("Authorization", "Bearer top-secret"),
        ("X-Api-Key", "key-secret"),
        ("X-Custom", "custom"),
        ("Accept", "application/json"),
    ];
    let request = |path: &str| {
        let mut req = OutboundRequest::new(HttpMethod::Get, server.url(path));
        for (n, v) in headers {
            req.headers.push((n.into(), v.into()));
        }
        req
    };

    // Same origin: everything is kept.
    let resp = send_ok(&request("/redirect/302?to=/echo")).await;
    let echo = json_body(&resp);
    assert_eq!(echo["headers"]["authorization"], "Bearer top-secret");
    assert_eq!(echo["headers"]["x-api-key"], "key-secret");

    // 127.0.0.1 -> localhost is another origin.
    let other = format!("http://localhost:{}/echo", server.addr.port());
    let encoded: String = url::form_urlencoded::byte_serialize(other.as_bytes()).collect();
    let resp = send_ok(&request(&format!("/redirect/307?to={encoded}"))).await;
    let echo = json_body(&resp);
    let sent = echo["headers"].as_object().expect("headers");
    assert!(!sent.contains_key("authorization"), "{sent:?}");
    assert!(!sent.contains_key("x-api-key"), "{sent:?}");
    assert!(!sent.contains_key("x-custom"), "{sent:?}");
    assert_eq!(sent["accept"], "application/json");
    assert!(sent.contains_key("idempotency-key"));
    // The key is the same on both hops.
    let hops = server.requests();
    let last_two: Vec<Option<&str>> = hops[hops.len() - 2..]
        .iter()
        .map(|r| r.header("idempotency-key"))
        .collect();
    assert_eq!(last_two[0], last_two[1]);
}

#[tokio::test]
async fn redirect_to_plain_http_is_refused() {
    let server = TestServer::start().await;
    let req = OutboundRequest::new(
        HttpMethod::Get,
        server.url("/redirect/302?to=http%3A%2F%2Fexample.com%2Fsteal"),
    );
    let err = client()
        .send(&req, TIMEOUT, &fast_retry(1))
        .await
        .expect_err("redirect to http://example.com");
    assert_eq!(err.kind, HttpErrorKind::InsecureUrl, "{err:?}");
    assert!(
        err.message.contains("http://example.com"),
        "{}",
        err.message
    );
    assert!(!err.message.contains("steal"), "{}", err.message);
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let server = TestServer::start().await;
    let req = OutboundRequest::new(HttpMethod::Get, server.url("/sleep/3000"));
    let started = Instant::now();
    let err = client()
        .send(&req, Duration::from_millis(200), &fast_retry(1))
        .await
        .expect_err("timeout");
    assert_eq!(err.kind, HttpErrorKind::Timeout, "{err:?}");
    assert_eq!(err.message, "no response within 200 ms");
    assert_eq!(err.attempts, 1);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_is_refused() {
    let server = TestServer::start().await;
    let twenty_mib = 20 * 1024 * 1024;
    for query in ["", "?length=1"] {
        let req = OutboundRequest::new(
            HttpMethod::Get,
            server.url(&format!("/big/{twenty_mib}{query}")),
        );
        let err = client()
            .send(&req, TIMEOUT, &fast_retry(3))
            .await
            .expect_err("20 MiB at a 10 MiB limit");
        assert_eq!(err.kind, HttpErrorKind::TooLarge, "{query}: {err:?}");
        assert_eq!(err.kind.as_str(), "too_large");
        assert_eq!(err.attempts, 1, "too large is not retried");
        assert!(err.message.contains("10485760"), "{}", err.message);
    }
    // Under the limit, the whole body arrives.
    let req = OutboundRequest::new(HttpMethod::Get, server.url("/big/300000"));
    let resp = send_ok(&req).await;
    assert_eq!(resp.body.len(), 300_000);
    // A smaller limit applies too.
    let small = client_with(HttpPolicy {
        max_response_bytes: 1000,
        ..HttpPolicy::default()
    });
    let err = small
        .send(&req, TIMEOUT, &fast_retry(1))
        .await
        .expect_err("300 kB at a 1000 byte limit");
    assert_eq!(err.kind, HttpErrorKind::TooLarge);
}

#[tokio::test]
async fn a_closed_port_refuses_the_connection() {
    let port = closed_port().await;
    let url = Url::parse(&format!("http://127.0.0.1:{port}/x?api_key=hidden")).expect("url");
    let req = OutboundRequest::new(HttpMethod::Get, url);
    let err = client()
        .send(&req, TIMEOUT, &fast_retry(2))
        .await
        .expect_err("connection refused");
    assert_eq!(err.kind, HttpErrorKind::ConnectionRefused, "{err:?}");
    assert_eq!(
        err.message,
        format!("connection refused by 127.0.0.1:{port}")
    );
    assert_eq!(err.attempts, 2, "a refused connection is retried");
    assert!(!err.message.contains("hidden"));
}

#[tokio::test]
async fn an_unknown_host_is_a_dns_error() {
    // `.invalid` never resolves (RFC 6761).
    let url = Url::parse("https://no-such-host.invalid/hook?api_key=hidden").expect("url");
    let err = client()
        .send(
            &OutboundRequest::new(HttpMethod::Get, url),
            Duration::from_secs(20),
            &fast_retry(1),
        )
        .await
        .expect_err("unknown host");
    assert_eq!(err.kind, HttpErrorKind::Dns, "{err:?}");
    assert_eq!(err.message, "could not resolve host no-such-host.invalid");
}

#[tokio::test]
async fn https_to_a_plain_server_is_a_tls_error() {
    let server = TestServer::start().await;
    let url = Url::parse(&format!("https://127.0.0.1:{}/echo", server.addr.port())).expect("url");
    let err = client()
        .send(
            &OutboundRequest::new(HttpMethod::Get, url),
            TIMEOUT,
            &fast_retry(1),
        )
        .await
        .expect_err("TLS to a plain HTTP server");
    assert_eq!(err.kind, HttpErrorKind::Tls, "{err:?}");
}

#[tokio::test]
async fn invalid_header_is_refused_before_sending() {
    let server = TestServer::start().await;
    let mut req = OutboundRequest::new(HttpMethod::Get, server.url("/echo"));
    req.headers
        .push(("X-Bad".into(), "secret-value\r\nInjected: yes".into()));
    let err = client()
        .send(&req, TIMEOUT, &fast_retry(1))
        .await
        .expect_err("CR/LF in a header");
    assert!(err.message.contains("X-Bad"), "{}", err.message);
    assert!(!err.message.contains("secret-value"), "{}", err.message);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn plain_http_is_refused_except_for_loopback() {
    let parse = |s: &str| Url::parse(s).expect("url");
    let err = check_url_allowed(&parse("http://example.com/hook?key=1"), false)
        .expect_err("http://example.com");
    assert_eq!(err.kind, HttpErrorKind::InsecureUrl);
    assert_eq!(err.kind.as_str(), "insecure_url");
    assert!(err.message.contains("https://"), "{}", err.message);
    assert!(!err.message.contains("key=1"), "{}", err.message);

    for ok in [
        "http://127.0.0.1/",
        "http://127.0.0.1:8080/x",
        "http://127.9.9.9/",
        "http://localhost:3000/",
        "http://[::1]:8080/",
        "https://example.com/",
    ] {
        assert!(check_url_allowed(&parse(ok), false).is_ok(), "{ok}");
    }
    assert!(check_url_allowed(&parse("http://example.com/"), true).is_ok());
    for bad in [
        "ftp://example.com/",
        "file:///etc/passwd",
        "ws://example.com/",
    ] {
        let err = check_url_allowed(&parse(bad), true).expect_err(bad);
        assert_eq!(err.kind, HttpErrorKind::InsecureUrl);
    }

    // `send` applies the rule before connecting.
    let req = OutboundRequest::new(HttpMethod::Get, parse("http://example.com/"));
    let err = client()
        .send(&req, TIMEOUT, &fast_retry(3))
        .await
        .expect_err("send to http://example.com");
    assert_eq!(err.kind, HttpErrorKind::InsecureUrl);
    assert_eq!(err.attempts, 0);
}
