//! `hookboard-server run` as a user calls it: the demo bundle against a loopback CRM stand-in.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use assert_cmd::Command;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};

const SECRET: &str = "crm-token-7f3a9c-SECRET";

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, String)>>>);

/// A CRM stand-in on 127.0.0.1: records the Authorization header and body of each call and
/// answers with the given status.
struct Crm {
    addr: SocketAddr,
    seen: Seen,
    _runtime: tokio::runtime::Runtime,
}

impl Crm {
    fn start(status: u16) -> Crm {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let seen = Seen::default();
        let app = Router::new()
            .route(
                "/contacts",
                post(move |State(seen): State<Seen>, req: Request| async move {
                    let auth = req
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                        .await
                        .unwrap_or_default();
                    seen.0
                        .lock()
                        .expect("lock")
                        .push((auth, String::from_utf8_lossy(&body).into_owned()));
                    let code = StatusCode::from_u16(status).expect("status");
                    (code, axum::Json(json!({"id": "crm-42"}))).into_response()
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

    fn calls(&self) -> Vec<(String, String)> {
        self.seen.0.lock().expect("lock").clone()
    }
}

fn demo_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tests/fixtures/demo.bundle.json")
}

/// The demo bundle with its `local` environment pointed at `base_url`, written to `dir`.
fn demo_for(dir: &tempfile::TempDir, base_url: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut bundle: Value =
        serde_json::from_str(&std::fs::read_to_string(demo_path()).expect("demo")).expect("json");
    bundle["environments"][0]["variables"]["base_url"] = json!(base_url);
    edit(&mut bundle);
    let path = dir.path().join("bundle.json");
    std::fs::write(&path, serde_json::to_string_pretty(&bundle).expect("json")).expect("write");
    path
}

fn event_file(dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("event.json");
    std::fs::write(
        &path,
        r#"{"email": "ada@example.com", "signup_id": "s-1", "first_name": "Ada", "plan": "pro"}"#,
    )
    .expect("write");
    path
}

fn cli() -> Command {
    let mut cmd = Command::cargo_bin("hookboard-server").expect("binary");
    cmd.env_remove("HOOKBOARD_SECRET_CRM")
        .env_remove("HOOKBOARD_ENV")
        .env_remove("HOOKBOARD_SECRETS_FILE");
    cmd
}

fn trace_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn the_demo_workflow_runs_and_prints_its_trace() {
    let crm = Crm::start(201);
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = demo_for(&dir, &format!("http://{}", crm.addr), |_| {});
    let output = cli()
        .arg("run")
        .arg(&bundle)
        .args(["--workflow", "welcome", "--env", "local", "--event"])
        .arg(event_file(&dir))
        .env("HOOKBOARD_SECRET_CRM", SECRET)
        .env("HOOKBOARD_LOG", "trace")
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let trace = trace_of(&output);
    for key in ["run_id", "workflow", "status", "steps"] {
        assert!(trace.get(key).is_some(), "trace has no `{key}`");
    }
    assert_eq!(trace["status"], "completed");
    let steps = trace["steps"].as_array().expect("steps");
    let kinds: Vec<&str> = steps.iter().filter_map(|s| s["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "trigger_event",
            "http_request",
            "response_switch",
            "set_field"
        ]
    );
    let http = &steps[1];
    for key in [
        "node",
        "kind",
        "status",
        "branch",
        "request",
        "response",
        "duration_ms",
        "error",
    ] {
        assert!(http.get(key).is_some(), "step has no `{key}`");
    }
    assert_eq!(http["request"]["method"], "POST");
    assert_eq!(http["response"]["status"], 201);
    assert_eq!(http["response"]["parsed"]["id"], "crm-42");
    assert_eq!(steps[2]["branch"], "ok");
    assert_eq!(trace["contact"]["custom"]["crm_status"], "synced");
    assert_eq!(trace["contact"]["custom"]["crm_id"], "crm-42");

    let calls = crm.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].0,
        format!("Bearer {SECRET}"),
        "the CRM got the token"
    );
    let body: Value = serde_json::from_str(&calls[0].1).expect("JSON body");
    assert_eq!(
        body,
        json!({"email": "ada@example.com", "first_name": "Ada", "plan": "pro", "signup": "s-1"})
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stdout.contains(SECRET), "secret in the trace");
    assert!(!stderr.contains(SECRET), "secret in the logs");
    assert!(stdout.contains("Bearer •••"));
}

#[test]
fn a_404_takes_the_not_found_path() {
    let crm = Crm::start(404);
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = demo_for(&dir, &format!("http://{}", crm.addr), |_| {});
    let output = cli()
        .arg("run")
        .arg(&bundle)
        .args(["--workflow", "welcome", "--env", "local", "--event"])
        .arg(event_file(&dir))
        .env("HOOKBOARD_SECRET_CRM", SECRET)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let trace = trace_of(&output);
    assert_eq!(trace["steps"][2]["branch"], "not_found");
    assert_eq!(trace["contact"]["custom"]["crm_status"], "missing");
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[test]
fn an_error_port_taken_exits_0_and_an_unhandled_error_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let down = format!("http://127.0.0.1:{}", closed_port());
    let bundle = demo_for(&dir, &down, |_| {});
    let output = cli()
        .arg("run")
        .arg(&bundle)
        .args(["--workflow", "welcome", "--env", "local", "--event"])
        .arg(event_file(&dir))
        .env("HOOKBOARD_SECRET_CRM", SECRET)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "the error port handles it");
    let trace = trace_of(&output);
    assert_eq!(trace["steps"][1]["branch"], "error");
    assert_eq!(
        trace["contact"]["custom"]["crm_status"],
        "failed: connection_refused"
    );

    let bundle = demo_for(&dir, &down, |b| {
        let edges = b["workflows"][0]["edges"].as_array_mut().expect("edges");
        edges.retain(|e| e["port"] != "error");
    });
    let output = cli()
        .arg("run")
        .arg(&bundle)
        .args(["--workflow", "welcome", "--env", "local", "--event"])
        .arg(event_file(&dir))
        .env("HOOKBOARD_SECRET_CRM", SECRET)
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "an unhandled error fails the run"
    );
    let trace = trace_of(&output);
    assert_eq!(trace["status"], "failed");
    assert_eq!(trace["steps"][1]["error"]["kind"], "connection_refused");
}

#[test]
fn the_event_can_come_from_stdin_and_the_secret_from_a_file() {
    let crm = Crm::start(200);
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = demo_for(&dir, &format!("http://{}", crm.addr), |_| {});
    let secrets = dir.path().join("secrets.json");
    std::fs::write(&secrets, format!(r#"{{"crm": "{SECRET}"}}"#)).expect("write");
    let output = cli()
        .arg("run")
        .arg(&bundle)
        .args([
            "--workflow",
            "welcome",
            "--env",
            "local",
            "--event",
            "-",
            "--secrets-file",
        ])
        .arg(&secrets)
        .write_stdin(r#"{"email": "grace@example.com", "signup_id": "s-2"}"#)
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(crm.calls()[0].0, format!("Bearer {SECRET}"));
    assert_eq!(trace_of(&output)["contact"]["email"], "grace@example.com");
}

fn bad_input(args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = cli();
    cmd.args(args);
    if let Some(stdin) = stdin {
        cmd.write_stdin(stdin);
    }
    let output = cmd.output().expect("runs");
    assert_eq!(
        output.status.code(),
        Some(2),
        "bad input exits 2: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stdout.is_empty(), "no trace on bad input");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let demo = demo_path();
    let demo = demo.to_str().expect("utf8 path");

    let stderr = bad_input(
        &["run", "/nowhere/bundle.json", "--workflow", "welcome"],
        None,
    );
    assert!(stderr.contains("/nowhere/bundle.json"), "{stderr}");

    let empty = tempfile::tempdir().expect("tempdir");
    let empty = empty.path().to_str().expect("utf8 path");
    let stderr = bad_input(&["run", empty, "--workflow", "welcome"], None);
    assert!(
        stderr.contains(empty) && stderr.contains("no bundle file (*.json)"),
        "{stderr}"
    );

    let stderr = bad_input(&["run", demo, "--workflow", "nope"], None);
    assert!(
        stderr.contains("no workflow named `nope`") && stderr.contains("welcome"),
        "{stderr}"
    );

    let stderr = bad_input(
        &["run", demo, "--workflow", "welcome", "--event", "-"],
        Some("{\n  \"email\": oops\n}"),
    );
    assert!(stderr.contains("line 2 column"), "{stderr}");

    let stderr = bad_input(
        &["run", demo, "--workflow", "welcome", "--env", "staging"],
        None,
    );
    assert!(
        stderr.contains("staging") && stderr.contains("production"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let broken = demo_for(&dir, "http://127.0.0.1:1", |b| {
        b["workflows"][0]["nodes"][2]["kind"] = json!("teleport");
        b["workflows"][0]["edges"][0]["to"] = json!("ghost");
    });
    let stderr = bad_input(
        &[
            "run",
            broken.to_str().expect("utf8"),
            "--workflow",
            "welcome",
        ],
        None,
    );
    assert!(stderr.contains("workflows[0].nodes[2].kind"), "{stderr}");
    assert!(stderr.contains("workflows[0].edges[0].to"), "{stderr}");

    let stderr = bad_input(&["run", demo], None);
    assert!(
        stderr.contains("--workflow"),
        "clap names the missing flag: {stderr}"
    );
}

#[test]
fn a_closed_stdout_is_an_error_message_not_a_panic() {
    let crm = Crm::start(201);
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = demo_for(&dir, &format!("http://{}", crm.addr), |_| {});
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let output = std::process::Command::new(assert_cmd::cargo::cargo_bin!("hookboard-server"))
        .arg("run")
        .arg(&bundle)
        .args(["--workflow", "welcome", "--env", "local", "--event"])
        .arg(event_file(&dir))
        .env("HOOKBOARD_SECRET_CRM", SECRET)
        .stdout(writer)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot print the trace"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
