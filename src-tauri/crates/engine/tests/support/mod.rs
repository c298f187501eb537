//! A real HTTP server on 127.0.0.1 for integration tests (`mod support;` in a test file).
//!
//! Every request is recorded (method, path, query, headers, body, arrival time). Routes:
//! - `ANY /echo`: JSON with the method, query pairs, lower-cased headers, content type,
//!   the raw body and the body as the server parses it by content type (JSON, form, XML,
//!   text);
//! - `ANY /status/{code}[?retry_after=V]`: that status, body `status N`, optional
//!   `Retry-After: V`;
//! - `ANY /redirect/{code}?to=URL`: a redirect of that status to `URL`;
//! - `ANY /sleep/{ms}`: waits, then 200;
//! - `ANY /flaky/{n}`: 503 for the first `n` requests to that path, then 200;
//! - `GET /big/{bytes}[?length=1]`: streams that many bytes in 64 KiB chunks, with a
//!   `Content-Length` only when `length=1`;
//! - `ANY /auth/basic`, `/auth/bearer`, `/auth/header`, `/auth/query`: 200 when the
//!   credentials below arrive as expected, 401 otherwise.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::{Value, json};
use url::Url;

use hookboard_engine::http::{HttpClient, HttpPolicy};
use hookboard_engine::model::RetryPolicy;

/// A client with the default policy.
pub fn client() -> HttpClient {
    HttpClient::new(HttpPolicy::default()).expect("HTTP client")
}

/// A client with a given policy.
pub fn client_with(policy: HttpPolicy) -> HttpClient {
    HttpClient::new(policy).expect("HTTP client")
}

/// A retry policy with `max_attempts` and tiny backoffs (10 ms, at most 50 ms).
pub fn fast_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff_ms: 10,
        max_backoff_ms: 50,
        retry_non_idempotent: false,
    }
}

/// A generous per-attempt timeout for requests that should not time out.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Login the `/auth/basic` route expects.
pub const BASIC_USER: &str = "hook user";
/// The secret every `/auth/*` route expects (password, token or API key); it has characters
/// that need encoding in a query string.
pub const SECRET: &str = "s3cr3t/+&= x%41?#";
/// Header name `/auth/header` reads the API key from.
pub const API_KEY_HEADER: &str = "X-Api-Key";
/// Query parameter `/auth/query` reads the API key from.
pub const API_KEY_PARAM: &str = "api_key";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Headers, names lower-case, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// When it arrived.
    pub at: Instant,
}

impl Recorded {
    /// First value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Recorded>>,
}

/// A running test server; it stops when the test's runtime ends.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl TestServer {
    /// Starts the server on 127.0.0.1 with a free port.
    pub async fn start() -> TestServer {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/echo", any(echo))
            .route("/status/{code}", any(status))
            .route("/redirect/{code}", any(redirect))
            .route("/sleep/{ms}", any(sleep))
            .route("/flaky/{n}", any(flaky))
            .route("/big/{bytes}", get(big))
            .route("/auth/{kind}", any(auth))
            .layer(middleware::from_fn_with_state(shared.clone(), record))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer { addr, shared }
    }

    /// `http://127.0.0.1:PORT` + `path_and_query`.
    pub fn url(&self, path_and_query: &str) -> Url {
        Url::parse(&format!("http://{}{}", self.addr, path_and_query)).expect("test URL")
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().expect("lock").clone()
    }

    /// The requests received for one path.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }
}

/// A loopback port nothing listens on (bound, then released).
pub async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    port
}

async fn record(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let at = Instant::now();
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .unwrap_or_default();
    let rec = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: bytes.to_vec(),
        at,
    };
    shared.requests.lock().expect("lock").push(rec);
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// Element names and their text, in document order (independent of the engine's parser).
fn parse_xml_simple(body: &[u8]) -> Value {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut names = Vec::new();
    let mut texts = BTreeMap::new();
    let mut current: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(s)) => {
                let n = s.name().as_ref().to_string();
                names.push(n.clone());
                current = Some(n);
            }
            Ok(Event::Empty(s)) => names.push(s.name().as_ref().to_string()),
            Ok(Event::Text(t)) => {
                if let Some(c) = &current {
                    let t = t.xml10_content().trim().to_string();
                    if !t.is_empty() {
                        texts.insert(c.clone(), Value::String(t));
                    }
                }
            }
            Ok(Event::End(_)) => current = None,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return json!({ "error": e.to_string() }),
        }
    }
    json!({ "elements": names, "texts": texts })
}

async fn echo(method: Method, headers: HeaderMap, req: Request) -> Response {
    let query = req.uri().query().map(str::to_string);
    let body = axum::body::to_bytes(req.into_body(), 1024 * 1024)
        .await
        .unwrap_or_default();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let parsed = match mime.as_str() {
        "application/json" => {
            serde_json::from_slice(&body).unwrap_or_else(|e| json!({ "error": e.to_string() }))
        }
        "application/x-www-form-urlencoded" => {
            let map: BTreeMap<String, String> =
                url::form_urlencoded::parse(&body).into_owned().collect();
            json!(map)
        }
        "application/xml" | "text/xml" => parse_xml_simple(&body),
        "text/plain" => Value::String(String::from_utf8_lossy(&body).into_owned()),
        _ => Value::Null,
    };
    let header_map: BTreeMap<String, String> = headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let query_map: Vec<Value> = query_pairs(query.as_deref())
        .into_iter()
        .map(|(k, v)| json!([k, v]))
        .collect();
    axum::Json(json!({
        "method": method.as_str(),
        "query": query_map,
        "headers": header_map,
        "content_type": content_type,
        "body": String::from_utf8_lossy(&body),
        "parsed": parsed,
    }))
    .into_response()
}

async fn status(Path(code): Path<u16>, Query(q): Query<BTreeMap<String, String>>) -> Response {
    let code = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = (code, format!("status {}", code.as_u16())).into_response();
    if let Some(v) = q.get("retry_after")
        && let Ok(value) = HeaderValue::from_str(v)
    {
        resp.headers_mut().insert(header::RETRY_AFTER, value);
    }
    resp
}

async fn redirect(Path(code): Path<u16>, Query(q): Query<BTreeMap<String, String>>) -> Response {
    let code = StatusCode::from_u16(code).unwrap_or(StatusCode::MOVED_PERMANENTLY);
    let to = q.get("to").cloned().unwrap_or_else(|| "/echo".to_string());
    let mut resp = (code, "moved").into_response();
    if let Ok(v) = HeaderValue::from_str(&to) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

async fn flaky(State(shared): State<Arc<Shared>>, Path(n): Path<usize>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let seen = shared
        .requests
        .lock()
        .expect("lock")
        .iter()
        .filter(|r| r.path == path)
        .count();
    if seen <= n {
        (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
    } else {
        (StatusCode::OK, "finally").into_response()
    }
}

async fn sleep(Path(ms): Path<u64>) -> &'static str {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "slept"
}

async fn big(Path(bytes): Path<usize>, Query(q): Query<BTreeMap<String, String>>) -> Response {
    const CHUNK: usize = 64 * 1024;
    let chunks = bytes.div_ceil(CHUNK);
    let stream = futures_util::stream::iter((0..chunks).map(move |i| {
        let len = CHUNK.min(bytes - i * CHUNK);
        Ok::<Bytes, std::io::Error>(Bytes::from(vec![b'x'; len]))
    }));
    let mut resp = Response::new(Body::from_stream(stream));
    if q.get("length").is_some_and(|v| v == "1")
        && let Ok(v) = HeaderValue::from_str(&bytes.to_string())
    {
        resp.headers_mut().insert(header::CONTENT_LENGTH, v);
    }
    resp
}

async fn auth(Path(kind): Path<String>, headers: HeaderMap, req: Request) -> Response {
    use base64::Engine as _;
    let header_value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let ok = match kind.as_str() {
        "basic" => header_value("authorization")
            .and_then(|v| v.strip_prefix("Basic ").map(str::to_string))
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .is_some_and(|raw| raw == format!("{BASIC_USER}:{SECRET}").as_bytes()),
        "bearer" => header_value("authorization").is_some_and(|v| v == format!("Bearer {SECRET}")),
        "header" => header_value(API_KEY_HEADER).is_some_and(|v| v == SECRET),
        "query" => query_pairs(req.uri().query())
            .iter()
            .any(|(k, v)| k == API_KEY_PARAM && v == SECRET),
        _ => false,
    };
    if ok {
        (StatusCode::OK, "welcome").into_response()
    } else {
        (StatusCode::UNAUTHORIZED, "who are you?").into_response()
    }
}
