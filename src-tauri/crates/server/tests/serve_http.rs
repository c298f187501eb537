//! `hookboard-server serve` as a client sees it: the real binary on a loopback port with a
//! temporary database, the demo bundle pointed at a loopback CRM stand-in.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use hookboard_store::Store;
use serde_json::{Value, json};

const SECRET: &str = "crm-token-7f3a9c-SECRET";
const LIMIT: usize = 512 * 1024;

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

/// A CRM stand-in on 127.0.0.1 that records each body and answers 201 `{"id": "crm-42"}`.
struct Crm {
    addr: SocketAddr,
    seen: Seen,
    _runtime: tokio::runtime::Runtime,
}

impl Crm {
    fn start() -> Crm {
        Crm::start_slow(0)
    }

    /// A stand-in that takes `delay_ms` to answer each call.
    fn start_slow(delay_ms: u64) -> Crm {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let seen = Seen::default();
        let app = Router::new()
            .route(
                "/contacts",
                post(move |State(seen): State<Seen>, req: Request| async move {
                    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                        .await
                        .unwrap_or_default();
                    seen.0
                        .lock()
                        .expect("lock")
                        .push(String::from_utf8_lossy(&body).into_owned());
                    (StatusCode::CREATED, axum::Json(json!({"id": "crm-42"}))).into_response()
                }),
            )
            .with_state(seen.clone());
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Crm {
            addr,
            seen,
            _runtime: runtime,
        }
    }

    fn calls(&self) -> Vec<String> {
        self.seen.0.lock().expect("lock").clone()
    }
}

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("hookboard-server")
}

fn demo() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tests/fixtures/demo.bundle.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("demo")).expect("json")
}

/// The demo bundle for `crm`, with `signup` received as a webhook (email at /customer/email)
/// when `webhook` is set, and a second scope `others` that does not cover `signup`.
fn bundle_file(dir: &Path, crm: &Crm, webhook: bool) -> PathBuf {
    let mut bundle = demo();
    bundle["environments"][0]["variables"]["base_url"] = json!(format!("http://{}", crm.addr));
    if webhook {
        bundle["event_definitions"][0]["context"] = json!("webhook");
        bundle["event_definitions"][0]["fields"][0]["pointer"] = json!("/customer/email");
    }
    bundle["event_definitions"]
        .as_array_mut()
        .expect("definitions")
        .push(json!({"alias": "other", "context": "public_api",
            "fields": [{"name": "email", "type": "email", "required": true},
                       {"name": "id", "type": "text", "required": true}],
            "email_field": "email", "primary_key": "id"}));
    bundle["api_key_scopes"]
        .as_array_mut()
        .expect("scopes")
        .push(json!({"name": "others", "aliases": ["other"]}));
    let path = dir.join("bundle.json");
    std::fs::write(&path, serde_json::to_string_pretty(&bundle).expect("json")).expect("write");
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The server process, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    db: PathBuf,
}

impl Server {
    fn start(bundle: &Path, db: &Path) -> Server {
        Server::start_with(bundle, db, 2)
    }

    fn start_with(bundle: &Path, db: &Path, workers: usize) -> Server {
        Server::spawn(bundle, db, workers, Stdio::null(), &[], &[])
    }

    /// Starts the server with its stderr going to `stderr`, extra arguments and variables,
    /// allowed to call the loopback CRM stand-in (`--allow-private-network`).
    fn spawn(
        bundle: &Path,
        db: &Path,
        workers: usize,
        stderr: Stdio,
        extra: &[&str],
        vars: &[(&str, &str)],
    ) -> Server {
        let mut args = vec!["--allow-private-network"];
        args.extend_from_slice(extra);
        Server::spawn_exactly(bundle, db, workers, stderr, &args, vars)
    }

    /// Starts the server with exactly these extra arguments (private networks blocked unless
    /// they allow them).
    fn spawn_exactly(
        bundle: &Path,
        db: &Path,
        workers: usize,
        stderr: Stdio,
        extra: &[&str],
        vars: &[(&str, &str)],
    ) -> Server {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
        let child = Command::new(binary())
            .arg("serve")
            .arg("--bundle")
            .arg(bundle)
            .arg("--db")
            .arg(db)
            .args(["--listen", &addr.to_string(), "--env", "local"])
            .arg("--workers")
            .arg(workers.to_string())
            .env_remove("HOOKBOARD_SECRETS_FILE")
            .env("HOOKBOARD_SECRET_CRM", SECRET)
            .stdout(Stdio::null())
            .args(extra)
            .envs(vars.iter().copied())
            .stderr(stderr)
            .spawn()
            .expect("spawn");
        let mut server = Server {
            child,
            addr,
            db: db.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200, _)) = server.try_request("GET", "/healthz", &[], b"") {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server exited at start: {status}");
            }
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// One HTTP/1.1 request on a fresh connection; the body is written on its own thread so
    /// that an early answer (413) is read even when the server stops reading.
    fn try_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<(u16, String)> {
        send(self.addr, method, path, headers, body)
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, Value) {
        let (status, body) = self
            .try_request(method, path, headers, body)
            .expect("request");
        (
            status,
            serde_json::from_str(&body).unwrap_or(Value::String(body)),
        )
    }

    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.request("POST", path, &[], body.to_string().as_bytes())
    }

    /// `POST /api/v1/rejected/{id}/replay` with an API key.
    fn replay_rejected(&self, key: &str, id: &str) -> (u16, Value) {
        let auth = format!("ApiKey {key}");
        self.request(
            "POST",
            &format!("/api/v1/rejected/{id}/replay"),
            &[("Authorization", &auth)],
            b"",
        )
    }

    fn key(&self, scope: &str) -> String {
        let output = Command::new(binary())
            .args(["keys", "create", "--scope", scope, "--db"])
            .arg(&self.db)
            .output()
            .expect("keys create");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// Runs listed by the API, waiting until at least `count` are there.
    fn runs(&self, key: &str, count: usize) -> Vec<Value> {
        let auth = format!("ApiKey {key}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, body) =
                self.request("GET", "/api/v1/runs", &[("Authorization", &auth)], b"");
            assert_eq!(status, 200, "{body}");
            let runs = body["runs"].as_array().cloned().unwrap_or_default();
            if runs.len() >= count || Instant::now() > deadline {
                return runs;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn webhook_server(dir: &tempfile::TempDir, crm: &Crm) -> Server {
    let bundle = bundle_file(dir.path(), crm, true);
    Server::start(&bundle, &dir.path().join("hookboard.db"))
}

/// [`webhook_server`] without `--allow-private-network`, with these variables.
fn webhook_server_with(dir: &tempfile::TempDir, crm: &Crm, vars: &[(&str, &str)]) -> Server {
    let bundle = bundle_file(dir.path(), crm, true);
    let db = dir.path().join("hookboard.db");
    Server::spawn_exactly(&bundle, &db, 2, Stdio::null(), &[], vars)
}

fn order(email: &str, id: &str) -> Value {
    json!({"customer": {"email": email}, "signup_id": id, "first_name": "Ada", "plan": "pro",
           "unknown": {"ignored": true}})
}

fn rejected(db: &Path) -> Vec<hookboard_store::RejectedEvent> {
    Store::open(db)
        .expect("store")
        .list_rejected_events(None, 100)
        .expect("rejected")
}

#[test]
fn a_webhook_event_is_acknowledged_with_its_id_and_runs_the_workflow() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = webhook_server(&dir, &crm);
    let (status, body) = server.post("/hooks/signup", &order("ada@example.com", "s-1"));
    assert_eq!(status, 202, "{body}");
    let event_id = body["event_id"].as_str().expect("event id").to_string();
    let key = server.key("signups");
    let runs = server.runs(&key, 1);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["workflow"], "welcome");
    assert_eq!(runs[0]["status"], "completed");
    assert_eq!(runs[0]["meta"]["event_id"], event_id.as_str());
    let run_id = runs[0]["id"].as_str().expect("run id");
    let auth = format!("ApiKey {key}");
    let (status, run) = server.request(
        "GET",
        &format!("/api/v1/runs/{run_id}"),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(status, 200, "{run}");
    let kinds: Vec<&str> = run["trace"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "trigger_event",
            "http_request",
            "response_switch",
            "set_field"
        ]
    );
    assert_eq!(run["trace"]["contact"]["email"], "ada@example.com");
    assert_eq!(run["trace"]["contact"]["custom"]["crm_id"], "crm-42");
    let calls = crm.calls();
    assert_eq!(calls.len(), 1);
    assert!(calls[0].contains(r#""signup":"s-1""#), "{}", calls[0]);
    let (status, _) = server.request(
        "GET",
        "/api/v1/runs/no-such-run",
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(status, 404);
    let (status, _) = server.request("GET", "/api/v1/runs", &[], b"");
    assert_eq!(status, 401);
}

#[test]
fn without_allow_private_network_a_step_to_loopback_fails_as_blocked_address() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = webhook_server_with(&dir, &crm, &[]);
    let (status, body) = server.post("/hooks/signup", &order("ada@example.com", "s-1"));
    assert_eq!(status, 202, "{body}");
    let key = server.key("signups");
    let runs = server.runs(&key, 1);
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run_id = runs[0]["id"].as_str().expect("run id");
    let auth = format!("ApiKey {key}");
    let (status, run) = server.request(
        "GET",
        &format!("/api/v1/runs/{run_id}"),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(status, 200, "{run}");
    let steps = run["trace"]["steps"].as_array().expect("steps");
    let http = steps
        .iter()
        .find(|s| s["kind"] == "http_request")
        .expect("an http_request step");
    assert_eq!(http["branch"], "error", "{http}");
    assert_eq!(http["error"]["kind"], "blocked_address", "{http}");
    assert!(crm.calls().is_empty(), "the CRM received {:?}", crm.calls());
}

#[test]
fn a_full_queue_makes_new_events_wait_then_answers_503_and_keeps_nothing() {
    let crm = Crm::start_slow(4000);
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = bundle_file(dir.path(), &crm, true);
    let server = Server::spawn(
        &bundle,
        &dir.path().join("hookboard.db"),
        1,
        Stdio::null(),
        &["--max-queue", "1"],
        &[],
    );
    let (status, body) = server.post("/hooks/signup", &order("ada@example.com", "q-1"));
    assert_eq!(status, 202, "{body}");
    // The one worker is in the slow CRM call: the queue is full, the next event waits for
    // room (2 s) and is refused.
    let started = Instant::now();
    let (status, body) = server.post("/hooks/signup", &order("bob@example.com", "q-2"));
    assert_eq!(status, 503, "{body}");
    assert!(started.elapsed() >= Duration::from_millis(1900));
    assert!(
        body["error"].as_str().unwrap_or("").contains("full"),
        "{body}"
    );
    let (_, metrics) = server
        .try_request("GET", "/metrics", &[], b"")
        .expect("metrics");
    assert!(
        metrics.contains("hookboard_events_rejected_total{reason=\"queue_full\"} 1"),
        "{metrics}"
    );
    // Once the run is done there is room again; the refused event was not kept.
    let key = server.key("signups");
    assert_eq!(server.runs(&key, 1).len(), 1);
    let (status, body) = server.post("/hooks/signup", &order("bob@example.com", "q-2"));
    assert_eq!(status, 202, "{body}");
    assert_eq!(server.runs(&key, 2).len(), 2);
    assert_eq!(crm.calls().len(), 2);
}

#[test]
fn bodies_up_to_512_kib_are_accepted_and_one_byte_more_is_413() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = webhook_server(&dir, &crm);
    let sized = |id: &str, size: usize| {
        let mut event = order("ada@example.com", id);
        event["pad"] = json!("");
        let base = event.to_string().len();
        event["pad"] = json!("x".repeat(size - base));
        let text = event.to_string();
        assert_eq!(text.len(), size);
        text
    };
    let (status, body) =
        server.request("POST", "/hooks/signup", &[], sized("s-1", LIMIT).as_bytes());
    assert_eq!(status, 202, "{body}");
    let (status, body) = server.request(
        "POST",
        "/hooks/signup",
        &[],
        sized("s-2", LIMIT + 1).as_bytes(),
    );
    assert_eq!(status, 413, "{body}");
    let message = body["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("larger than 512 KiB"),
        "a JSON error body: {body}"
    );
}

#[test]
fn malformed_json_is_a_400_naming_line_and_column() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = webhook_server(&dir, &crm);
    let (status, body) = server.request(
        "POST",
        "/hooks/signup",
        &[],
        b"{\n  \"signup_id\": \"s-1\",\n  oops\n}",
    );
    assert_eq!(status, 400, "{body}");
    let message = body["error"].as_str().expect("error");
    assert!(message.contains("line 3 column 3"), "{message}");
}

#[test]
fn a_missing_email_or_primary_key_is_a_422_and_the_body_is_kept_as_rejected() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = webhook_server(&dir, &crm);
    let (status, body) = server.post("/hooks/signup", &json!({"signup_id": "s-1"}));
    assert_eq!(status, 422, "{body}");
    let problems = body["problems"].to_string();
    assert!(problems.contains("email"), "{problems}");
    let (status, body) = server.post(
        "/hooks/signup",
        &json!({"customer": {"email": "ada@example.com"}}),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body["problems"].to_string().contains("signup_id"), "{body}");
    let kept = rejected(&server.db);
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(|r| r.alias == "signup"));
    assert!(kept.iter().any(|r| r.raw_body == br#"{"signup_id":"s-1"}"#));
    assert!(kept.iter().any(|r| r.reason.contains("signup_id")));
}

#[test]
fn a_repeated_primary_key_is_acknowledged_again_with_the_same_id_and_runs_once() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = webhook_server(&dir, &crm);
    let (status, first) = server.post("/hooks/signup", &order("ada@example.com", "s-1"));
    assert_eq!(status, 202, "{first}");
    let (status, second) = server.post("/hooks/signup", &order("ada@example.com", "s-1"));
    assert_eq!(status, 202, "{second}");
    assert_eq!(first["event_id"], second["event_id"]);
    let key = server.key("signups");
    assert_eq!(server.runs(&key, 1).len(), 1);
    // The same key from another address is the same event: acknowledged, no new contact.
    let (status, third) = server.post("/hooks/signup", &order("bob@example.com", "s-1"));
    assert_eq!(status, 202, "{third}");
    assert_eq!(first["event_id"], third["event_id"]);
    assert_eq!(third["duplicate"], true);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(server.runs(&key, 1).len(), 1);
    assert_eq!(crm.calls().len(), 1);
    let store = Store::open(&server.db).expect("store");
    assert!(
        store
            .find_contact_by_email("bob@example.com")
            .expect("lookup")
            .is_none(),
        "a repeat creates no contact"
    );
}

#[test]
fn an_address_contacts_cannot_have_is_a_422_and_the_body_is_kept_as_rejected() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = webhook_server(&dir, &crm);
    let addresses = ["a@b..co", ".a@b.co", "a@-b.co", "n\u{0}@example.com"];
    for (at, address) in addresses.iter().enumerate() {
        let (status, body) = server.post("/hooks/signup", &order(address, &format!("s-{at}")));
        assert_eq!(status, 422, "{address}: {body}");
        let problems = body["problems"].to_string();
        assert!(problems.contains("email address"), "{address}: {problems}");
        assert!(body["rejected_id"].is_string(), "{body}");
    }
    assert_eq!(rejected(&server.db).len(), addresses.len());
    let (status, body) = server.post("/hooks/signup", &order("ada@example.com", "s-ok"));
    assert_eq!(status, 202, "a good address still goes through: {body}");
    assert_eq!(server.runs(&server.key("signups"), 1).len(), 1);
}

#[test]
fn the_public_api_needs_a_key_of_the_right_scope_and_validates_strictly() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = bundle_file(dir.path(), &crm, false);
    let server = Server::start(&bundle, &dir.path().join("hookboard.db"));
    let signups = format!("ApiKey {}", server.key("signups"));
    let others = format!("ApiKey {}", server.key("others"));
    let path = "/api/v1/custom-events/alias/signup";
    let event = json!({"email": "ada@example.com", "signup_id": "s-1", "plan": "pro"});
    let body = event.to_string();
    let (status, _) = server.request("POST", path, &[], body.as_bytes());
    assert_eq!(status, 401);
    let (status, _) = server.request(
        "POST",
        path,
        &[("Authorization", "ApiKey hbk_wrong")],
        body.as_bytes(),
    );
    assert_eq!(status, 401);
    let (status, _) = server.request("POST", path, &[("Authorization", &others)], body.as_bytes());
    assert_eq!(status, 403);
    let bad = json!({"email": "not-an-email", "plan": 3, "extra": true}).to_string();
    let (status, answer) =
        server.request("POST", path, &[("Authorization", &signups)], bad.as_bytes());
    assert_eq!(status, 422, "{answer}");
    let problems = answer["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 4, "{problems:?}");
    let (status, answer) = server.request(
        "POST",
        path,
        &[("Authorization", &signups)],
        body.as_bytes(),
    );
    assert_eq!(status, 404, "no contact without createContact: {answer}");
    let (status, answer) = server.request(
        "POST",
        &format!("{path}?createContact=true"),
        &[("Authorization", &signups)],
        body.as_bytes(),
    );
    assert_eq!(status, 202, "{answer}");
    assert!(answer["event_id"].is_string());
    let (status, answer) = server.request(
        "POST",
        path,
        &[("Authorization", &signups)],
        body.as_bytes(),
    );
    assert_eq!(status, 202, "the contact exists now: {answer}");
    let repeat = json!({"email": "bob@example.com", "signup_id": "s-1", "plan": "pro"});
    let (status, again) = server.request(
        "POST",
        path,
        &[("Authorization", &signups)],
        repeat.to_string().as_bytes(),
    );
    assert_eq!(
        status, 202,
        "a repeated key is acknowledged, contact or not: {again}"
    );
    assert_eq!(again["event_id"], answer["event_id"]);
    assert_eq!(server.runs(&signups["ApiKey ".len()..], 1).len(), 1);
}

#[test]
fn bundle_problems_stop_the_start_with_exit_2_and_their_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bundle = demo();
    bundle["workflows"][0]["edges"][0]["to"] = json!("nowhere");
    let path = dir.path().join("broken.json");
    std::fs::write(&path, bundle.to_string()).expect("write");
    // `serve` on the broken bundle, after the global flags `before`.
    let serve = |before: &[&str]| {
        Command::new(binary())
            .args(before)
            .args(["serve", "--bundle"])
            .arg(&path)
            .arg("--db")
            .arg(dir.path().join("hookboard.db"))
            .args(["--listen", &format!("127.0.0.1:{}", free_port())])
            .output()
            .expect("runs")
    };
    let output = serve(&[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.json"), "{stderr}");
    assert!(stderr.contains("workflows"), "{stderr}");

    // With JSON logs the refusal is one more JSON line.
    let output = serve(&["--log-format", "json"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: not JSON: {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["level"] == "ERROR"
            && l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("broken.json"))),
        "{stderr}"
    );
}

#[test]
fn http_to_a_host_beyond_loopback_needs_allow_insecure_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bundle = demo();
    bundle["webhooks"][0]["url"] = json!("http://192.0.2.1:9/contacts");
    bundle["event_definitions"][0]["context"] = json!("webhook");
    bundle["event_definitions"][0]["fields"][0]["pointer"] = json!("/customer/email");
    let path = dir.path().join("plain-http.json");
    std::fs::write(&path, bundle.to_string()).expect("write");
    let db = dir.path().join("hookboard.db");
    let output = Command::new(binary())
        .arg("serve")
        .arg("--bundle")
        .arg(&path)
        .arg("--db")
        .arg(&db)
        .args(["--listen", &format!("127.0.0.1:{}", free_port())])
        .args(["--env", "local"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("http://192.0.2.1:9"), "{stderr}");

    let server = Server::spawn_exactly(
        &path,
        &db,
        1,
        Stdio::null(),
        &["--allow-insecure-http"],
        &[],
    );
    let (status, body) = server.post("/hooks/signup", &order("ada@example.com", "s-1"));
    assert_eq!(status, 202, "starts with the flag: {body}");
    let key = server.key("signups");
    let id = server.runs(&key, 1)[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let run = wait_for_run(&server, &key, &id);
    // Past the https rule, the request meets the next one: a documentation address is not
    // public (without the flag it would have stopped at `insecure_url`).
    let error = &run["trace"]["steps"][1]["error"];
    assert_eq!(error["kind"], "blocked_address", "{run}");
}

/// One HTTP/1.1 request on a fresh connection; the body is written on its own thread so that
/// an early answer (413) is read even when the server stops reading.
fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        addr,
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut writer = stream.try_clone()?;
    let mut data = head.into_bytes();
    data.extend_from_slice(body);
    let write = std::thread::spawn(move || {
        let _ = writer.write_all(&data);
    });
    let mut response = Vec::new();
    let read = stream.read_to_end(&mut response);
    let _ = write.join();
    if read.is_err() && response.is_empty() {
        return Err(read
            .err()
            .unwrap_or_else(|| std::io::Error::other("no answer")));
    }
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

fn stored_runs(db: &Path) -> Vec<hookboard_store::RunSummary> {
    Store::open(db)
        .expect("store")
        .list_runs(&hookboard_store::RunFilter {
            limit: 100_000,
            ..hookboard_store::RunFilter::default()
        })
        .expect("runs")
}

#[test]
fn after_kill_9_every_acknowledged_event_runs_exactly_once() {
    kill_9_in_the_middle(120, 1, 30);
}

/// The crash test at 2,000 events: four clients post at once, the CRM answers in 5 ms, the
/// server is killed once half are acknowledged.
#[test]
fn after_kill_9_under_load_2000_acknowledged_events_each_run_exactly_once() {
    kill_9_in_the_middle(2000, 4, 5);
}

/// Posts `events` webhook events from `clients` threads to a server with 2 workers whose CRM
/// takes `crm_delay_ms`, kills it with SIGKILL once half are acknowledged, restarts it, and
/// checks that every committed event (every acknowledged one among them) ran exactly once.
fn kill_9_in_the_middle(events: usize, clients: usize, crm_delay_ms: u64) {
    let crm = Crm::start_slow(crm_delay_ms);
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = bundle_file(dir.path(), &crm, true);
    let db = dir.path().join("hookboard.db");
    let mut server = Server::start_with(&bundle, &db, 2);
    // A client posts every event while the server is killed after the first half is
    // acknowledged; events posted after the kill are not acknowledged.
    let addr = server.addr;
    let (ack, acks) = std::sync::mpsc::channel::<String>();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let posting: Vec<_> = (0..clients)
        .map(|_| {
            let (ack, next) = (ack.clone(), next.clone());
            std::thread::spawn(move || {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= events {
                        return;
                    }
                    let event = order(&format!("u{i}@example.com"), &format!("s-{i}")).to_string();
                    match send(addr, "POST", "/hooks/signup", &[], event.as_bytes()) {
                        Ok((202, body)) => {
                            let body: Value = serde_json::from_str(&body).expect("json");
                            let _ = ack.send(body["event_id"].as_str().expect("id").to_string());
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    drop(ack);
    let mut acknowledged = std::collections::BTreeSet::new();
    while acknowledged.len() < events / 2 {
        acknowledged.insert(acks.recv().expect("acknowledged"));
    }
    let _ = server.child.kill();
    let _ = server.child.wait();
    for client in posting {
        let _ = client.join();
    }
    acknowledged.extend(acks.try_iter());
    let before = stored_runs(&db).len();
    assert!(
        before < events,
        "every event ran before the kill; nothing to resume"
    );
    let _restarted = Server::start_with(&bundle, &db, 4);
    let deadline = Instant::now() + Duration::from_secs(60);
    // Every committed event runs (one committed just before the kill but not yet
    // acknowledged runs too): wait until every committed event has its run.
    let committed = Store::open(&db)
        .expect("store")
        .list_events("signup", 100_000)
        .expect("events")
        .len();
    assert!(committed >= acknowledged.len());
    let runs = loop {
        let runs = stored_runs(&db);
        if runs.len() >= committed || Instant::now() > deadline {
            break runs;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        stored_runs(&db).len(),
        committed,
        "one run per committed event"
    );
    let mut per_event = std::collections::BTreeMap::<String, usize>::new();
    for run in &runs {
        *per_event
            .entry(run.meta.event_id.clone().expect("event id"))
            .or_default() += 1;
    }
    assert!(per_event.values().all(|&n| n == 1), "no event ran twice");
    for id in &acknowledged {
        assert_eq!(
            per_event.get(id),
            Some(&1),
            "acknowledged event {id} ran once"
        );
    }
    assert!(
        runs.iter()
            .all(|r| r.status == hookboard_engine::trace::RunStatus::Completed)
    );
}

#[test]
fn sigterm_lets_the_run_in_flight_finish_and_exits_0() {
    let crm = Crm::start_slow(1500);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = webhook_server(&dir, &crm);
    let (status, body) = server.post("/hooks/signup", &order("ada@example.com", "s-1"));
    assert_eq!(status, 202, "{body}");
    // The run is waiting for the slow CRM when the signal comes.
    std::thread::sleep(Duration::from_millis(500));
    assert!(stored_runs(&server.db).is_empty());
    terminate(&server.child);
    let status = exit_within(&mut server.child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(0));
    let runs = stored_runs(&server.db);
    assert_eq!(runs.len(), 1, "the run in flight was finished and stored");
    assert_eq!(crm.calls().len(), 1);
}

/// Sends SIGTERM to the server.
fn terminate(child: &Child) {
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(term.success());
}

/// Waits for the process to end, failing the test past `limit`.
fn exit_within(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_client_that_never_finishes_its_request_cannot_hold_sigterm_past_the_grace_period() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = bundle_file(dir.path(), &crm, true);
    let log = dir.path().join("server.log");
    let mut server = Server::spawn(
        &bundle,
        &dir.path().join("hookboard.db"),
        2,
        Stdio::from(std::fs::File::create(&log).expect("log file")),
        &["--shutdown-grace", "2"],
        &[],
    );
    let (status, body) = server.post("/hooks/signup", &order("ada@example.com", "s-1"));
    assert_eq!(status, 202, "{body}");
    let mut slow = std::net::TcpStream::connect(server.addr).expect("connect");
    slow.write_all(
        b"POST /hooks/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"signup_id\":",
    )
    .expect("half a request");
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    terminate(&server.child);
    let status = exit_within(&mut server.child, Duration::from_secs(15));
    assert_eq!(status.code(), Some(0));
    assert!(
        signalled.elapsed() >= Duration::from_secs(2),
        "the open request had its grace period"
    );
    let log = std::fs::read_to_string(&log).expect("log");
    assert!(log.contains("stopped waiting for open requests"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "no colour codes in a log file: {log:?}"
    );
    assert!(
        log.contains("stopped; queued events run at the next start"),
        "no run was in flight, and the idle workers stopped: {log}"
    );
    assert_eq!(
        stored_runs(&server.db).len(),
        1,
        "the acknowledged event ran"
    );
}

#[test]
fn a_rejected_event_is_replayed_once_the_definition_is_fixed() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("hookboard.db");
    let server = webhook_server(&dir, &crm);
    // The sender puts the email at /email, the definition expects /customer/email.
    let (status, body) = server.post(
        "/hooks/signup",
        &json!({"email": "ada@example.com", "signup_id": "s-1"}),
    );
    assert_eq!(status, 422, "{body}");
    let fixable = body["rejected_id"]
        .as_str()
        .expect("rejected id")
        .to_string();
    let (status, body) = server.post("/hooks/signup", &json!({"signup_id": "s-2"}));
    assert_eq!(status, 422, "{body}");
    let hopeless = body["rejected_id"]
        .as_str()
        .expect("rejected id")
        .to_string();
    let key = server.key("signups");
    drop(server);
    // The definition is fixed: the email is read at its default pointer /email.
    let mut bundle: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("bundle.json")).expect("read"),
    )
    .expect("json");
    bundle["event_definitions"][0]["fields"][0]
        .as_object_mut()
        .expect("field")
        .remove("pointer");
    let fixed = dir.path().join("fixed.json");
    std::fs::write(&fixed, bundle.to_string()).expect("write");
    let server = Server::start(&fixed, &db);
    let (status, body) = server.replay_rejected(&key, &fixable);
    assert_eq!(status, 202, "{body}");
    let event_id = body["event_id"].as_str().expect("event id").to_string();
    let runs = server.runs(&key, 1);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["meta"]["event_id"], event_id.as_str());
    let (status, _) = server.replay_rejected(&key, &fixable);
    assert_eq!(
        status, 404,
        "a replayed event is no longer in the rejected list"
    );
    let (status, body) = server.replay_rejected(&key, &hopeless);
    assert_eq!(status, 422, "{body}");
    let kept: Vec<String> = rejected(&db).into_iter().map(|r| r.id).collect();
    assert_eq!(kept, [hopeless]);
    let (status, _) = server.request(
        "POST",
        &format!("/api/v1/rejected/{fixable}/replay"),
        &[],
        b"",
    );
    assert_eq!(status, 401);
}

#[test]
fn rejected_bodies_and_runs_are_shown_only_within_a_keys_scope() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = webhook_server(&dir, &crm);
    let signups = format!("ApiKey {}", server.key("signups"));
    let others = format!("ApiKey {}", server.key("others"));
    let ghost = format!("ApiKey {}", server.key("ghost"));
    let get = |path: &str, auth: &str| server.request("GET", path, &[("Authorization", auth)], b"");

    let (status, body) = server.post("/hooks/signup", &json!({"signup_id": "s-1"}));
    assert_eq!(status, 422, "{body}");
    let rejected_id = body["rejected_id"]
        .as_str()
        .expect("rejected id")
        .to_string();
    let (status, listed) = get("/api/v1/rejected?alias=signup", &signups);
    assert_eq!(status, 200, "{listed}");
    let first = &listed["rejected"][0];
    assert_eq!(first["id"], rejected_id.as_str());
    assert_eq!(first["body"], r#"{"signup_id":"s-1"}"#);
    assert!(
        first["reason"]
            .as_str()
            .is_some_and(|r| r.contains("email")),
        "{first}"
    );
    let (status, one) = get(&format!("/api/v1/rejected/{rejected_id}"), &signups);
    assert_eq!(status, 200, "{one}");
    assert_eq!(&one, first);
    // `signups` lists only `signup`: every alias at once is beyond it.
    assert_eq!(get("/api/v1/rejected", &signups).0, 403);
    assert_eq!(get("/api/v1/rejected?alias=signup", &others).0, 403);
    assert_eq!(
        get(&format!("/api/v1/rejected/{rejected_id}"), &others).0,
        403
    );
    let (status, body) = server.request(
        "POST",
        &format!("/api/v1/rejected/{rejected_id}/replay"),
        &[("Authorization", &others)],
        b"",
    );
    assert_eq!(status, 403, "replaying needs the alias in scope: {body}");
    assert_eq!(
        get("/api/v1/rejected?alias=signup&limit=x", &signups).0,
        400
    );

    let (status, body) = server.post("/hooks/signup", &order("ada@example.com", "s-2"));
    assert_eq!(status, 202, "{body}");
    let runs = server.runs(&signups["ApiKey ".len()..], 1);
    let run_id = runs[0]["id"].as_str().expect("run id").to_string();
    assert_eq!(get(&format!("/api/v1/runs/{run_id}"), &signups).0, 200);
    assert_eq!(get(&format!("/api/v1/runs/{run_id}"), &others).0, 403);
    assert_eq!(get(&format!("/api/v1/runs/{run_id}"), &ghost).0, 403);
    let (status, listed) = get("/api/v1/runs", &others);
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["runs"], json!([]), "no workflow of `others` ran");
    let (_, listed) = get("/api/v1/runs", &ghost);
    assert_eq!(
        listed["runs"],
        json!([]),
        "a scope the bundle lacks covers nothing"
    );

    // A key learns nothing about aliases beyond its scope, not even which exist.
    let event = json!({"email": "ada@example.com", "id": "x"}).to_string();
    let (status, _) = server.request(
        "POST",
        "/api/v1/custom-events/alias/no-such-alias",
        &[("Authorization", &others)],
        event.as_bytes(),
    );
    assert_eq!(status, 403);
}

#[test]
fn metrics_count_events_by_outcome_runs_steps_and_the_queue() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = webhook_server(&dir, &crm);
    let event = order("ada@example.com", "s-1");
    assert_eq!(server.post("/hooks/signup", &event).0, 202);
    assert_eq!(server.post("/hooks/signup", &event).0, 202);
    assert_eq!(
        server.post("/hooks/signup", &json!({"signup_id": "s-2"})).0,
        422
    );
    assert_eq!(server.request("POST", "/hooks/signup", &[], b"{").0, 400);
    let big = vec![b' '; LIMIT + 1];
    assert_eq!(server.request("POST", "/hooks/signup", &[], &big).0, 413);
    let key = server.key("signups");
    assert_eq!(server.runs(&key, 1).len(), 1);
    // The worker marks the event processed just after storing its run.
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        let (status, text) = server
            .try_request("GET", "/metrics", &[], b"")
            .expect("metrics");
        assert_eq!(status, 200);
        if text.contains("hookboard_queue_depth 0") || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    for line in [
        "hookboard_events_accepted_total{alias=\"signup\"} 1",
        "hookboard_events_duplicate_total{alias=\"signup\"} 1",
        "hookboard_events_rejected_total{reason=\"invalid\"} 1",
        "hookboard_events_rejected_total{reason=\"malformed_json\"} 1",
        "hookboard_events_rejected_total{reason=\"too_large\"} 1",
        "hookboard_runs_total{status=\"completed\"} 1",
        "hookboard_step_duration_seconds_count 4",
        "hookboard_queue_depth 0",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
}

#[test]
fn json_logs_carry_event_and_run_ids_and_no_secret() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = bundle_file(dir.path(), &crm, true);
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let server = Server::spawn(
        &bundle,
        &dir.path().join("hookboard.db"),
        2,
        Stdio::from(log),
        &["--log-format", "json"],
        &[],
    );
    let (status, body) = server.post("/hooks/signup", &order("ada@example.com", "s-1"));
    assert_eq!(status, 202, "{body}");
    let event_id = body["event_id"].as_str().expect("event id").to_string();
    let key = server.key("signups");
    let runs = server.runs(&key, 1);
    let run_id = runs[0]["id"].as_str().expect("run id").to_string();
    assert_eq!(crm.calls().len(), 1);
    let mut server = server;
    terminate(&server.child);
    exit_within(&mut server.child, Duration::from_secs(20));
    let text = std::fs::read_to_string(&log_path).expect("log");
    assert!(!text.contains(SECRET), "a secret in the log:\n{text}");
    // Every line, the start and the shutdown included, is one JSON object.
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: not JSON: {l}")))
        .collect();
    let message = |line: &Value| line["fields"]["message"].as_str().unwrap_or("").to_string();
    assert!(
        lines.iter().any(|l| message(l).starts_with("listening on")),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| message(l).starts_with("stopped")),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| message(l) == "run stored" && l["fields"]["status"] == "completed"),
        "the run's status as the API spells it:\n{text}"
    );
    let field = |line: &Value, name: &str| line["fields"][name].as_str().map(str::to_string);
    assert!(
        lines
            .iter()
            .any(|l| field(l, "event_id").as_deref() == Some(event_id.as_str())),
        "no line with the event id:\n{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| field(l, "run_id").as_deref() == Some(run_id.as_str())
                && field(l, "event_id").as_deref() == Some(event_id.as_str())),
        "no line with the run and event ids:\n{text}"
    );
}

#[test]
fn signed_webhooks_need_a_valid_recent_signature() {
    use base64::Engine as _;
    use hookboard_server::signature::sign;
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = bundle_file(dir.path(), &crm, true);
    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(b"signing-key-1234")
    );
    let server = Server::spawn(
        &bundle,
        &dir.path().join("hookboard.db"),
        2,
        Stdio::null(),
        &[],
        &[("HOOKBOARD_SECRET_WEBHOOK_SIGNUP", &secret)],
    );
    let body = order("ada@example.com", "s-1").to_string();
    let now = chrono::Utc::now().timestamp();
    let post = |timestamp: i64, signature: &str| {
        let timestamp = timestamp.to_string();
        server
            .request(
                "POST",
                "/hooks/signup",
                &[
                    ("webhook-id", "msg_1"),
                    ("webhook-timestamp", &timestamp),
                    ("webhook-signature", signature),
                ],
                body.as_bytes(),
            )
            .0
    };
    let good = |timestamp: i64| sign(b"signing-key-1234", "msg_1", timestamp, body.as_bytes());
    let wrong = sign(b"another-key", "msg_1", now, body.as_bytes());
    assert_eq!(post(now, &wrong), 401, "wrong signature");
    assert_eq!(
        post(now - 600, &good(now - 600)),
        401,
        "timestamp 10 minutes old"
    );
    assert_eq!(
        server
            .request("POST", "/hooks/signup", &[], body.as_bytes())
            .0,
        401
    );
    assert_eq!(
        post(now, &format!("{wrong} {}", good(now))),
        202,
        "key rotation"
    );
    let key = server.key("signups");
    assert_eq!(server.runs(&key, 1).len(), 1);
}

#[test]
fn runs_of_one_contact_take_turns_and_keep_each_others_changes() {
    let crm = Crm::start_slow(300);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bundle = demo();
    bundle["environments"][0]["variables"]["base_url"] = json!(format!("http://{}", crm.addr));
    let welcome = bundle["workflows"][0].clone();
    let definition = bundle["event_definitions"][0].clone();
    let mut workflows = Vec::new();
    let mut definitions = Vec::new();
    for alias in ["a", "b"] {
        let mut d = definition.clone();
        d["alias"] = json!(alias);
        d["context"] = json!("webhook");
        definitions.push(d);
        let mut w = welcome.clone();
        w["name"] = json!(format!("mark_{alias}"));
        for node in w["nodes"].as_array_mut().expect("nodes") {
            if node["id"] == "signup" {
                node["params"]["alias"] = json!(alias);
            }
            if node["id"] == "synced" {
                node["params"]["mappings"] =
                    json!([{"field": format!("custom.{alias}"), "value": "done"}]);
            }
        }
        workflows.push(w);
    }
    bundle["event_definitions"] = json!(definitions);
    bundle["workflows"] = json!(workflows);
    bundle["api_key_scopes"] = json!([{"name": "any", "aliases": []}]);
    let path = dir.path().join("bundle.json");
    std::fs::write(&path, bundle.to_string()).expect("write");
    let db = dir.path().join("hookboard.db");
    let server = Server::start_with(&path, &db, 4);
    let event = json!({"email": "ada@example.com", "signup_id": "s-1"});
    assert_eq!(server.post("/hooks/a", &event).0, 202);
    assert_eq!(server.post("/hooks/b", &event).0, 202);
    let key = server.key("any");
    assert_eq!(server.runs(&key, 2).len(), 2);
    std::thread::sleep(Duration::from_millis(200));
    let contact = Store::open(&db)
        .expect("store")
        .find_contact_by_email("ada@example.com")
        .expect("find")
        .expect("contact");
    assert_eq!(contact.custom.get("a"), Some(&json!("done")), "{contact:?}");
    assert_eq!(contact.custom.get("b"), Some(&json!("done")), "{contact:?}");
}

/// `GET /api/v1/runs?{query}` with this key.
fn list_runs(server: &Server, key: &str, query: &str) -> (u16, Value) {
    server.request(
        "GET",
        &format!("/api/v1/runs?{query}"),
        &[("Authorization", &format!("ApiKey {key}"))],
        b"",
    )
}

/// Waits until the run with this id is stored and returns it.
fn wait_for_run(server: &Server, key: &str, id: &str) -> Value {
    let auth = format!("ApiKey {key}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, run) = server.request(
            "GET",
            &format!("/api/v1/runs/{id}"),
            &[("Authorization", &auth)],
            b"",
        );
        if status == 200 {
            return run;
        }
        assert_eq!(status, 404, "{run}");
        assert!(Instant::now() < deadline, "run {id} was never stored");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_run_is_replayed_as_a_new_run_with_the_same_event() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = webhook_server(&dir, &crm);
    let (status, body) = server.post("/hooks/signup", &order("ada@example.com", "s-1"));
    assert_eq!(status, 202, "{body}");
    let event_id = body["event_id"].as_str().expect("event id").to_string();
    let key = server.key("signups");
    let first = server.runs(&key, 1)[0]["id"]
        .as_str()
        .expect("run id")
        .to_string();
    let replay = |id: &str, key: &str| {
        server.request(
            "POST",
            &format!("/api/v1/runs/{id}/replay"),
            &[("Authorization", &format!("ApiKey {key}"))],
            b"",
        )
    };
    let (status, body) = replay(&first, &key);
    assert_eq!(status, 202, "{body}");
    let second = body["run_id"].as_str().expect("new run id").to_string();
    assert_ne!(second, first);
    let run = wait_for_run(&server, &key, &second);
    assert_eq!(run["trace"]["workflow"], "welcome");
    assert_eq!(run["trace"]["status"], "completed");
    assert_eq!(run["meta"]["event_id"], event_id.as_str());
    assert_eq!(run["trace"]["contact"]["email"], "ada@example.com");
    assert_eq!(crm.calls().len(), 2, "the replay called the CRM again");
    assert!(
        crm.calls()[1].contains(r#""signup":"s-1""#),
        "{:?}",
        crm.calls()
    );
    assert_eq!(server.runs(&key, 2).len(), 2);
    let (status, body) = replay("no-such-run", &key);
    assert_eq!(status, 404, "{body}");
    let others = server.key("others");
    let (status, body) = replay(&first, &others);
    assert_eq!(status, 403, "a scope without `signup`: {body}");
    let (status, _) = server.request("POST", &format!("/api/v1/runs/{first}/replay"), &[], b"");
    assert_eq!(status, 401);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(crm.calls().len(), 2, "refused replays ran nothing");
}

#[test]
fn runs_are_listed_by_start_time_range_with_the_other_filters() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = webhook_server(&dir, &crm);
    let key = server.key("signups");
    let stamp = || {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        std::thread::sleep(Duration::from_millis(30));
        now
    };
    let before = stamp();
    assert_eq!(
        server
            .post("/hooks/signup", &order("a@example.com", "s-1"))
            .0,
        202
    );
    server.runs(&key, 1);
    let between = stamp();
    assert_eq!(
        server
            .post("/hooks/signup", &order("b@example.com", "s-2"))
            .0,
        202
    );
    server.runs(&key, 2);
    let after = stamp();
    let emails = |query: &str| -> Vec<String> {
        let (status, body) = list_runs(&server, &key, query);
        assert_eq!(status, 200, "{query}: {body}");
        let ids: Vec<String> = body["runs"]
            .as_array()
            .expect("runs")
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_string())
            .collect();
        ids.iter()
            .map(|id| {
                wait_for_run(&server, &key, id)["trace"]["contact"]["email"]
                    .as_str()
                    .expect("email")
                    .to_string()
            })
            .collect()
    };
    assert_eq!(
        emails(&format!("from={before}")),
        ["b@example.com", "a@example.com"]
    );
    assert_eq!(emails(&format!("from={between}")), ["b@example.com"]);
    assert_eq!(emails(&format!("to={between}")), ["a@example.com"]);
    assert_eq!(
        emails(&format!("from={before}&to={between}")),
        ["a@example.com"]
    );
    assert!(emails(&format!("from={after}")).is_empty());
    assert_eq!(
        emails(&format!(
            "from={before}&workflow=welcome&status=completed&limit=1&offset=1"
        )),
        ["a@example.com"]
    );
    assert!(emails(&format!("from={before}&workflow=other")).is_empty());
    for (query, name) in [
        ("from=yesterday", "from"),
        ("to=2025-13-01T00:00:00Z", "to"),
    ] {
        let (status, body) = list_runs(&server, &key, query);
        assert_eq!(status, 400, "{query}: {body}");
        let message = body["error"].as_str().expect("error");
        assert!(
            message.starts_with(&format!("{name} must be an RFC 3339 time")),
            "{message}"
        );
    }
    let (status, body) = list_runs(&server, &key, "status=bogus");
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"],
        "status must be completed, failed, waiting or aborted, not `bogus`"
    );
}

#[test]
fn yes_no_variables_take_1_for_yes() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = webhook_server_with(&dir, &crm, &[("HOOKBOARD_ALLOW_PRIVATE_NETWORK", "1")]);
    let (status, body) = server.post("/hooks/signup", &order("ada@example.com", "s-1"));
    assert_eq!(status, 202, "{body}");
    let runs = server.runs(&server.key("signups"), 1);
    assert_eq!(
        runs[0]["status"], "completed",
        "the loopback CRM was allowed: {runs:?}"
    );
    assert_eq!(crm.calls().len(), 1);
}

/// The demo bundle plus a workflow started when a contact enters `vip` (it posts the contact's
/// email and the group to the CRM) and one for `other`; scope `groups` covers `group:vip`.
fn group_bundle(dir: &Path, crm: &Crm) -> PathBuf {
    let mut bundle = demo();
    bundle["environments"][0]["variables"]["base_url"] = json!(format!("http://{}", crm.addr));
    let mut webhook = bundle["webhooks"][0].clone();
    webhook["name"] = json!("crm_group");
    webhook["body"]["template"] =
        json!(r#"{"email": "${contact.email}", "group": "${event.group}"}"#);
    bundle["webhooks"]
        .as_array_mut()
        .expect("webhooks")
        .push(webhook);
    for (name, group) in [("vip_welcome", "vip"), ("other_welcome", "other")] {
        let mut workflow = bundle["workflows"][0].clone();
        workflow["name"] = json!(name);
        for node in workflow["nodes"].as_array_mut().expect("nodes") {
            if node["id"] == "signup" {
                node["kind"] = json!("trigger_group");
                node["params"] = json!({"group": group});
            }
            if node["id"] == "upsert" {
                node["params"]["webhook"] = json!("crm_group");
            }
            if node["id"] == "synced" {
                node["params"]["mappings"][0]["value"] = json!("${data.crm_group.id}");
            }
        }
        bundle["workflows"]
            .as_array_mut()
            .expect("workflows")
            .push(workflow);
    }
    bundle["api_key_scopes"]
        .as_array_mut()
        .expect("scopes")
        .push(json!({"name": "groups", "aliases": ["group:vip"]}));
    let path = dir.join("bundle.json");
    std::fs::write(&path, serde_json::to_string_pretty(&bundle).expect("json")).expect("write");
    path
}

/// Waits until the CRM has seen `count` calls, then a little longer for any extra one.
fn settled_calls(crm: &Crm, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while crm.calls().len() < count && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(400));
    crm.calls()
        .iter()
        .map(|c| serde_json::from_str(c).expect("CRM body"))
        .collect()
}

#[test]
fn contacts_entering_a_group_start_its_workflows_once_per_new_member() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = group_bundle(dir.path(), &crm);
    let db = dir.path().join("hookboard.db");
    let server = Server::start(&bundle, &db);
    let key = server.key("groups");
    let auth = format!("ApiKey {key}");
    let enter = |auth: &str, group: &str, body: &str| {
        server.request(
            "POST",
            &format!("/api/v1/groups/{group}/contacts"),
            &[("Authorization", auth)],
            body.as_bytes(),
        )
    };
    let (status, body) = enter(&auth, "vip", r#"[{"email": "old@example.com"}]"#);
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["contacts"][0]["created"], true);
    assert_eq!(settled_calls(&crm, 1).len(), 1);
    let carol = Store::open(&db)
        .expect("store")
        .create_contact(&hookboard_engine::model::Contact {
            email: Some("carol@example.com".into()),
            ..Default::default()
        })
        .expect("contact");
    let request = json!([
        {"email": "OLD@example.com"},
        {"email": "new1@example.com"},
        {"id": carol.id},
        {"email": "new2@example.com"},
        {"email": "new1@example.com"}
    ]);
    let (status, body) = enter(&auth, "vip", &request.to_string());
    assert_eq!(status, 202, "{body}");
    let added: Vec<bool> = body["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .map(|c| c["added"].as_bool().expect("added"))
        .collect();
    assert_eq!(added, [false, true, true, true, false]);
    let calls = settled_calls(&crm, 4);
    let mut emails: Vec<&str> = calls
        .iter()
        .map(|c| c["email"].as_str().expect("email"))
        .collect();
    emails.sort_unstable();
    assert_eq!(
        emails,
        [
            "carol@example.com",
            "new1@example.com",
            "new2@example.com",
            "old@example.com"
        ],
        "one call per new member, none for a contact already in the group"
    );
    assert!(calls.iter().all(|c| c["group"] == "vip"), "{calls:?}");
    let runs = server.runs(&key, 4);
    assert_eq!(runs.len(), 4);
    assert!(
        runs.iter()
            .all(|r| r["workflow"] == "vip_welcome" && r["status"] == "completed"),
        "{runs:?}"
    );
    let members = Store::open(&db)
        .expect("store")
        .search_contacts(&hookboard_store::ContactQuery {
            group: Some("vip".into()),
            ..Default::default()
        })
        .expect("members");
    assert_eq!(members.len(), 4);
    // Refusals write nothing and run nothing.
    let (status, body) = enter(
        &auth,
        "vip",
        r#"[{"email": "x@example.com"}, {"id": "nobody"}]"#,
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["problems"].to_string().contains("contacts[1]"),
        "{body}"
    );
    let (status, body) = enter(&auth, "vip", r#"[{"email": "not-an-email"}, 3]"#);
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["problems"].as_array().expect("problems").len(),
        2,
        "{body}"
    );
    assert_eq!(enter(&auth, "vip", "[{").0, 400);
    assert_eq!(
        enter(&auth, "other", r#"[{"email": "y@example.com"}]"#).0,
        403
    );
    let signups = format!("ApiKey {}", server.key("signups"));
    assert_eq!(
        enter(&signups, "vip", r#"[{"email": "y@example.com"}]"#).0,
        403
    );
    assert_eq!(enter("", "vip", r#"[{"email": "y@example.com"}]"#).0, 401);
    assert_eq!(settled_calls(&crm, 4).len(), 4);
    assert!(
        Store::open(&db)
            .expect("store")
            .find_contact_by_email("x@example.com")
            .expect("find")
            .is_none(),
        "a refused request created no contact"
    );
}

/// Every route the server answers, as `METHOD path` with OpenAPI path templates.
const ROUTES: &[&str] = &[
    "GET /healthz",
    "GET /metrics",
    "GET /openapi.json",
    "POST /hooks/{alias}",
    "POST /api/v1/custom-events/alias/{alias}",
    "POST /api/v1/rejected/{id}/replay",
    "GET /api/v1/rejected",
    "GET /api/v1/rejected/{id}",
    "GET /api/v1/runs",
    "GET /api/v1/runs/{id}",
    "POST /api/v1/runs/{id}/replay",
    "POST /api/v1/groups/{group}/contacts",
    "POST /subscriptions/{name}",
];

/// Whether the router has a route for this request: axum's own "no route" answer is a 404
/// with an empty body (every handler's 404 has a JSON body), a wrong method a 405.
fn routed(server: &Server, method: &str, path: &str) -> bool {
    let (status, body) = server.try_request(method, path, &[], b"").expect("request");
    status != 405 && !(status == 404 && body.is_empty())
}

#[test]
fn openapi_json_is_a_valid_openapi_3_document_of_every_route() {
    let crm = Crm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = webhook_server(&dir, &crm);
    let (status, text) = server
        .try_request("GET", "/openapi.json", &[], b"")
        .expect("request");
    assert_eq!(status, 200, "{text}");
    let spec = oas3::from_json(&text).expect("an OpenAPI 3 document");
    let version = spec.validate_version().expect("OpenAPI version");
    assert_eq!(version.major, 3, "{}", spec.openapi);
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in spec.paths.clone().unwrap_or_default() {
        for (method, operation) in item.methods() {
            documented.insert(format!("{method} {path}"));
            for (code, response) in operation.responses.clone().unwrap_or_default() {
                let response = response
                    .resolve(&spec)
                    .unwrap_or_else(|e| panic!("{method} {path} {code}: {e}"));
                for media in response.content.values() {
                    if let Some(schema) = &media.schema {
                        schema
                            .resolve(&spec)
                            .unwrap_or_else(|e| panic!("{method} {path} {code} schema: {e}"));
                    }
                }
            }
            assert!(
                operation.responses.as_ref().is_some_and(|r| !r.is_empty()),
                "{method} {path} documents no response"
            );
        }
    }
    let expected: std::collections::BTreeSet<String> =
        ROUTES.iter().map(|r| r.to_string()).collect();
    assert_eq!(documented, expected);
    // Each documented route is served, and a route that is not documented is not.
    for route in ROUTES {
        let (method, path) = route.split_once(' ').expect("route");
        let concrete = path
            .replace("{alias}", "signup")
            .replace("{id}", "some-id")
            .replace("{group}", "vip");
        assert!(routed(&server, method, &concrete), "{route} is not served");
    }
    assert!(!routed(&server, "GET", "/api/v1/undocumented"));
    assert!(!routed(&server, "DELETE", "/api/v1/runs/some-id"));
    let security = spec
        .components
        .as_ref()
        .map(|c| c.security_schemes.contains_key("api_key"))
        .unwrap_or(false);
    assert!(security, "the API key scheme is described");
}

/// The demo bundle plus journeys: an order workflow started, replaced, aborted and delivered
/// to by four subscriptions (journey identifier `order_id`), waiting for `answered` events;
/// `reminder` waits `wait` then marks the contact; `quick` waits for `answered` up to `wait`.
fn journey_bundle(dir: &Path, crm: &Crm, wait: &str) -> PathBuf {
    let mut bundle = demo();
    bundle["environments"][0]["variables"]["base_url"] = json!(format!("http://{}", crm.addr));
    bundle["event_definitions"]
        .as_array_mut()
        .expect("definitions")
        .push(json!({"alias": "answered", "context": "webhook",
            "fields": [{"name": "email", "type": "email", "required": true, "pointer": "/email"},
                       {"name": "id", "type": "text", "required": true, "pointer": "/id"},
                       {"name": "amount", "type": "number", "required": false, "pointer": "/amount"}],
            "email_field": "email", "primary_key": "id"}));
    let at = |x: f64| json!({"x": x, "y": 0.0});
    let trigger = |id: &str, name: &str, behaviour: &str, extra: Value| {
        let mut params = json!({"subscription": name, "journey_id": "${event.order_id}",
                                "behaviour": behaviour});
        for (k, v) in extra.as_object().expect("extra") {
            params[k] = v.clone();
        }
        json!({"id": id, "kind": "trigger_subscription", "position": at(0.0), "params": params})
    };
    let set = |id: &str, field: &str, value: &str| {
        json!({"id": id, "kind": "set_field", "position": at(300.0),
               "params": {"mappings": [{"field": field, "value": value}]}})
    };
    let edge = |from: &str, port: &str, to: &str| json!({"from": from, "port": port, "to": to});
    let start_params = json!({"start_params": r#"{"plan": "${event.plan}"}"#});
    let order = json!({
        "name": "order_journey",
        "description": "Follows an order from creation to payment.",
        "nodes": [
            trigger("created", "order_created", "start", json!({
                "start_params": r#"{"plan": "${event.plan}"}"#,
                "response_body": r#"{"run": "${run.id}", "journey": "${run.journey}"}"#})),
            trigger("changed", "order_changed", "replace", start_params),
            trigger("cancelled", "order_cancelled", "abort", json!({})),
            trigger("paid", "order_paid", "deliver", json!({
                "response_body": r#"{"delivered_to": "${run.id}"}"#})),
            set("plan", "custom.plan", "${run.params.plan}"),
            {"id": "payment", "kind": "wait_for_event", "position": at(600.0),
             "params": {"alias": "answered", "timeout": "1d"}},
            set("got", "custom.paid", "${event.amount}"),
            set("late", "custom.paid", "never"),
        ],
        "edges": [
            edge("created", "next", "plan"), edge("changed", "next", "plan"),
            edge("plan", "next", "payment"), edge("payment", "event", "got"),
            edge("payment", "timeout", "late"),
        ],
    });
    let reminder = json!({
        "name": "reminder",
        "description": "",
        "nodes": [
            trigger("start", "reminder", "start", json!({})),
            {"id": "pause", "kind": "wait", "position": at(300.0), "params": {"duration": wait}},
            set("mark", "custom.reminded", "yes"),
        ],
        "edges": [edge("start", "next", "pause"), edge("pause", "next", "mark")],
    });
    let quick = json!({
        "name": "quick",
        "description": "",
        "nodes": [
            trigger("start", "quick", "start", json!({})),
            {"id": "answer", "kind": "wait_for_event", "position": at(300.0),
             "params": {"alias": "answered", "timeout": wait}},
            set("got", "custom.quick", "answered"),
            set("late", "custom.quick", "timed out"),
        ],
        "edges": [edge("start", "next", "answer"), edge("answer", "event", "got"),
                  edge("answer", "timeout", "late")],
    });
    let workflows = bundle["workflows"].as_array_mut().expect("workflows");
    workflows.extend([order, reminder, quick]);
    // Operations read every run: a scope that lists no aliases covers everything.
    bundle["api_key_scopes"]
        .as_array_mut()
        .expect("scopes")
        .push(json!({"name": "ops", "aliases": []}));
    let path = dir.join("bundle.json");
    std::fs::write(&path, serde_json::to_string_pretty(&bundle).expect("json")).expect("write");
    path
}

/// Waits until run `id` is stored with `status` and returns it.
fn run_with_status(server: &Server, key: &str, id: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let run = wait_for_run(server, key, id);
        if run["trace"]["status"] == status {
            return run;
        }
        assert!(
            Instant::now() < deadline,
            "run {id} never became {status}: {run:#}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn nodes_of(run: &Value) -> Vec<String> {
    run["trace"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["node"].as_str().unwrap_or("").to_string())
        .collect()
}

fn message(id: &str, order: &str, extra: Value) -> Value {
    let mut body = json!({"id": id, "email": "ada@example.com", "order_id": order});
    for (k, v) in extra.as_object().expect("extra") {
        body[k] = v.clone();
    }
    body
}

#[test]
fn subscription_journeys_start_replace_abort_and_deliver() {
    let dir = tempfile::tempdir().expect("tempdir");
    let crm = Crm::start();
    let bundle = journey_bundle(dir.path(), &crm, "1d");
    let server = Server::start(&bundle, &dir.path().join("hookboard.db"));
    let key = server.key("ops");

    let (status, body) = server.post("/subscriptions/nobody", &json!({}));
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"].as_str().unwrap_or("").contains("nobody"),
        "{body}"
    );

    // start: a new run per message, named in the configured response body.
    let created = message("m1", "o-1", json!({"plan": "pro"}));
    let (status, body) = server.post("/subscriptions/order_created", &created);
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["journey"], "o-1", "{body}");
    let first = body["run"].as_str().expect("run id").to_string();
    let run = run_with_status(&server, &key, &first, "waiting");
    assert_eq!(nodes_of(&run), ["created", "plan", "payment"]);
    assert_eq!(run["trace"]["contact"]["custom"]["plan"], "pro");
    // A repeated message is acknowledged with the same run and does not start another.
    let (status, again) = server.post("/subscriptions/order_created", &created);
    assert_eq!((status, &again["run"]), (202, &json!(first)));

    // deliver: the journey's waiting run takes the message at its Wait for event.
    let paid = message("m2", "o-1", json!({"amount": 42}));
    let (status, body) = server.post("/subscriptions/order_paid", &paid);
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["delivered_to"], json!(first), "{body}");
    let run = run_with_status(&server, &key, &first, "completed");
    assert_eq!(
        nodes_of(&run),
        ["created", "plan", "payment", "payment", "got"]
    );
    assert_eq!(run["trace"]["steps"][3]["branch"], "event");
    assert_eq!(run["trace"]["contact"]["custom"]["paid"], 42);
    // Nothing waits any more on o-1, nor on an unknown journey: acknowledged, nothing runs.
    let (status, body) = server.post(
        "/subscriptions/order_paid",
        &message("m3", "o-404", json!({})),
    );
    assert_eq!(
        (status, &body["delivered_to"]),
        (202, &Value::Null),
        "{body}"
    );

    // replace: the waiting run is aborted and a new one starts with the new parameters.
    let (_, body) = server.post(
        "/subscriptions/order_created",
        &message("m4", "o-2", json!({"plan": "pro"})),
    );
    let replaced = body["run"].as_str().expect("run id").to_string();
    run_with_status(&server, &key, &replaced, "waiting");
    let (status, body) = server.post(
        "/subscriptions/order_changed",
        &message("m5", "o-2", json!({"plan": "max"})),
    );
    assert_eq!(status, 202, "{body}");
    let old = run_with_status(&server, &key, &replaced, "aborted");
    let last = old["trace"]["steps"]
        .as_array()
        .expect("steps")
        .last()
        .cloned();
    let last = last.expect("a step says why");
    assert_eq!(last["node"], "payment");
    assert_eq!(last["error"]["kind"], "aborted");
    assert!(
        last["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("order_changed"),
        "{last}"
    );
    let runs = server.runs(&key, 3);
    let newer = runs
        .iter()
        .find(|r| r["workflow"] == "order_journey" && r["status"] == "waiting")
        .expect("the replacing run waits");
    let newer_id = newer["id"].as_str().expect("id").to_string();
    let run = wait_for_run(&server, &key, &newer_id);
    assert_eq!(run["trace"]["contact"]["custom"]["plan"], "max");
    assert_eq!(nodes_of(&run)[0], "changed");

    // abort: the journey's waiting run ends as aborted; nothing new starts.
    let (status, _) = server.post(
        "/subscriptions/order_cancelled",
        &message("m6", "o-2", json!({})),
    );
    assert_eq!(status, 202);
    run_with_status(&server, &key, &newer_id, "aborted");

    // A reception event of the awaited alias for the same contact is delivered too.
    let (_, body) = server.post(
        "/subscriptions/order_created",
        &message("m7", "o-3", json!({"plan": "pro"})),
    );
    let third = body["run"].as_str().expect("run id").to_string();
    run_with_status(&server, &key, &third, "waiting");
    let (status, body) = server.post(
        "/hooks/answered",
        &json!({"email": "ada@example.com", "id": "a1", "amount": 7}),
    );
    assert_eq!(status, 202, "{body}");
    let run = run_with_status(&server, &key, &third, "completed");
    assert_eq!(run["trace"]["contact"]["custom"]["paid"], 7);

    let total = server.runs(&key, 4).len();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(server.runs(&key, 4).len(), total, "no run started twice");
    assert_eq!(total, 4);

    // Bad messages: the same 400 and 422 rules as the other endpoints, kept as rejected.
    let (status, body) = server.request("POST", "/subscriptions/order_created", &[], b"{\"id\": ");
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap_or("").contains("line 1"),
        "{body}"
    );
    let (status, body) = server.post(
        "/subscriptions/order_created",
        &json!({"id": "m9", "order_id": "o-9"}),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["problems"][0].as_str().unwrap_or("").contains("email"),
        "{body}"
    );
    let kept = rejected(&dir.path().join("hookboard.db"));
    assert_eq!(kept.len(), 2);
    assert!(
        kept.iter()
            .all(|r| r.source == "subscription" && r.alias == "order_created")
    );

    // Once the trigger reads an email such messages have, the rejected one is replayed.
    drop(server);
    let mut fixed: Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle).expect("read")).expect("json");
    for workflow in fixed["workflows"].as_array_mut().expect("workflows") {
        for node in workflow["nodes"].as_array_mut().expect("nodes") {
            if node["id"] == "created" {
                node["params"]["email"] = json!("${event.email | default('orders@example.com')}");
            }
        }
    }
    std::fs::write(&bundle, fixed.to_string()).expect("write");
    let server = Server::start(&bundle, &dir.path().join("hookboard.db"));
    let missing_email = kept
        .iter()
        .find(|r| r.reason.contains("email"))
        .expect("the message without email");
    let (status, body) = server.replay_rejected(&key, &missing_email.id);
    assert_eq!(status, 202, "{body}");
    let malformed = kept
        .iter()
        .find(|r| r.id != missing_email.id)
        .expect("malformed");
    let (status, _) = server.replay_rejected(&key, &malformed.id);
    assert_eq!(status, 400, "still malformed");
    let runs = server.runs(&key, 5);
    assert_eq!(runs.len(), 5, "the replayed message started its run");
    assert_eq!(rejected(&dir.path().join("hookboard.db")).len(), 1);
}

#[test]
fn waits_end_and_wait_for_event_times_out_even_across_a_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let crm = Crm::start();
    let bundle = journey_bundle(dir.path(), &crm, "2s");
    let db = dir.path().join("hookboard.db");
    let server = Server::start(&bundle, &db);
    let key = server.key("ops");

    // While the server runs: the Wait ends, the Wait for event times out.
    let (_, body) = server.post("/subscriptions/reminder", &message("r1", "", json!({})));
    let reminder = body["event_id"].as_str().expect("event id").to_string();
    let (_, body) = server.post("/subscriptions/quick", &message("q1", "", json!({})));
    let quick = body["event_id"].as_str().expect("event id").to_string();
    let runs = server.runs(&key, 2);
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs.iter().all(|r| r["status"] == "waiting"), "{runs:?}");
    for run in &runs {
        let id = run["id"].as_str().expect("id");
        let done = run_with_status(&server, &key, id, "completed");
        let custom = &done["trace"]["contact"]["custom"];
        match done["trace"]["workflow"].as_str() {
            Some("reminder") => assert_eq!(custom["reminded"], "yes"),
            Some("quick") => {
                assert_eq!(custom["quick"], "timed out");
                assert_eq!(done["trace"]["steps"][2]["branch"], "timeout");
            }
            other => panic!("unexpected workflow {other:?}"),
        }
    }
    assert_ne!(reminder, quick);

    // Waits begun before a kill -9 end after the restart, once each.
    let (_, _) = server.post("/subscriptions/reminder", &message("r2", "", json!({})));
    let (_, _) = server.post("/subscriptions/quick", &message("q2", "", json!({})));
    let deadline = Instant::now() + Duration::from_secs(30);
    let waiting = loop {
        let (_, body) = list_runs(&server, &key, "status=waiting");
        let waiting = body["runs"].as_array().cloned().unwrap_or_default();
        if waiting.len() == 2 || Instant::now() > deadline {
            break waiting;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(waiting.len(), 2, "{waiting:?}");
    drop(server);
    std::thread::sleep(Duration::from_millis(2500));
    let server = Server::start(&bundle, &db);
    for run in &waiting {
        let id = run["id"].as_str().expect("id");
        let done = run_with_status(&server, &key, id, "completed");
        let nodes = nodes_of(&done);
        assert_eq!(nodes.len(), 4, "woken once: {nodes:?}");
    }
    let (_, body) = list_runs(&server, &key, "");
    assert_eq!(body["runs"].as_array().map(Vec::len), Some(4));
}

/// The journey bundle whose `order_created` subscription names registration and
/// unregistration webhooks (both to the CRM stand-in, with the CRM connector).
fn publishing_bundle(dir: &Path, crm: &Crm) -> PathBuf {
    let path = journey_bundle(dir, crm, "1d");
    let mut bundle: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    for (name, template) in [
        (
            "register_orders",
            r#"{"url": "${event.url}", "name": "${event.subscription}"}"#,
        ),
        ("unregister_orders", r#"{"remove": "${event.url}"}"#),
    ] {
        let mut webhook = bundle["webhooks"][0].clone();
        webhook["name"] = json!(name);
        webhook["body"]["template"] = json!(template);
        bundle["webhooks"]
            .as_array_mut()
            .expect("webhooks")
            .push(webhook);
    }
    let order = bundle["workflows"]
        .as_array_mut()
        .expect("workflows")
        .iter_mut()
        .find(|w| w["name"] == "order_journey")
        .expect("order journey");
    let created = order["nodes"]
        .as_array_mut()
        .expect("nodes")
        .iter_mut()
        .find(|n| n["id"] == "created")
        .expect("created trigger");
    created["params"]["register_webhook"] = json!("register_orders");
    created["params"]["unregister_webhook"] = json!("unregister_orders");
    std::fs::write(&path, serde_json::to_string_pretty(&bundle).expect("json")).expect("write");
    path
}

fn publish_command(bundle: &Path, verb: &str, extra: &[&str]) -> std::process::Output {
    Command::new(binary())
        .arg(verb)
        .arg("--bundle")
        .arg(bundle)
        .args(["--env", "local"])
        .args(extra)
        .env_remove("HOOKBOARD_SECRETS_FILE")
        .env("HOOKBOARD_SECRET_CRM", SECRET)
        .output()
        .expect("run")
}

#[test]
fn publish_registers_each_subscription_endpoint_and_unpublish_removes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let crm = Crm::start();
    let bundle = publishing_bundle(dir.path(), &crm);
    let public = ["--public-url", "https://hooks.example.com/"];

    let out = publish_command(
        &bundle,
        "publish",
        &[public[0], public[1], "--allow-private-network"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let sent: Vec<Value> = crm
        .calls()
        .iter()
        .map(|c| serde_json::from_str(c).expect("CRM body"))
        .collect();
    assert_eq!(
        sent,
        [
            json!({"url": "https://hooks.example.com/subscriptions/order_created",
                "name": "order_created"})
        ]
    );
    let printed: Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(printed[0]["subscription"], "order_created");
    assert_eq!(printed[0]["ok"], true);
    assert_eq!(printed[0]["step"]["response"]["status"], 201);
    assert!(
        stderr.contains("registered https://hooks.example.com/subscriptions/"),
        "{stderr}"
    );
    assert!(
        !stdout.contains(SECRET) && !stderr.contains(SECRET),
        "the secret leaked"
    );

    let out = publish_command(
        &bundle,
        "unpublish",
        &[
            public[0],
            public[1],
            "--allow-private-network",
            "--subscription",
            "order_created",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last: Value = serde_json::from_str(crm.calls().last().expect("a call")).expect("json");
    assert_eq!(
        last,
        json!({"remove": "https://hooks.example.com/subscriptions/order_created"})
    );

    // Private addresses stay refused without the flag: the step fails, exit 1.
    let out = publish_command(&bundle, "publish", &public);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not registered"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(crm.calls().len(), 2, "nothing reached the CRM");

    // Bad input: exit 2 with the reason.
    let out = publish_command(
        &bundle,
        "publish",
        &[public[0], public[1], "--subscription", "nope"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`nope`") && stderr.contains("order_created"),
        "{stderr}"
    );
    let out = publish_command(
        &bundle,
        "publish",
        &["--subscription", "reminder", public[0], public[1]],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("names no register webhook"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = publish_command(&bundle, "publish", &["--public-url", "hooks.example.com"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--public-url"));
}

/// `keys create --bundle` refuses a scope the bundle does not have (a key that would get 403 on
/// every call) and a blank scope, with exit 2, naming the scopes there are, and creates nothing;
/// a scope the bundle has gets a key.
#[test]
fn keys_create_checks_the_scope_against_the_bundle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("keys.db");
    let demo =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tests/fixtures/demo.bundle.json");
    let create = |scope: &str| {
        Command::new(binary())
            .args(["keys", "create", "--scope", scope, "--db"])
            .arg(&db)
            .arg("--bundle")
            .arg(&demo)
            .output()
            .expect("keys create")
    };

    let out = create("signup");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no API-key scope `signup`") && stderr.contains("`signups`"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "no key is printed");
    assert!(!db.exists(), "nothing was written");

    let out = create("  ");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--scope is empty"));
    assert!(!db.exists(), "nothing was written");

    let out = create("signups");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(key.starts_with("hbk_"), "{key}");

    // Nobody reads stdout (`keys create … | true`): the key cannot be shown, so none is kept.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = Command::new(binary())
        .args(["keys", "create", "--scope", "signups", "--db"])
        .arg(&db)
        .stdout(writer)
        .output()
        .expect("keys create");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no key created: cannot print it"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let keys: i64 = rusqlite::Connection::open(&db)
        .expect("db")
        .query_row("SELECT COUNT(*) FROM server_api_keys", [], |row| row.get(0))
        .expect("count");
    assert_eq!(keys, 1, "only the key that was shown is kept");
}
