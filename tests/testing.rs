//! Sending tests, test runs, webhooks, connectors, events and cURL through the desktop
//! workspace, against a real SQLite file and a real HTTP server on loopback.

use std::sync::{Arc, Mutex};

use hookboard_app::workspace::{TestSubject, TestTarget, TypedEvent, Workspace, WorkspaceError};
use hookboard_engine::model::{Connector, ConnectorAuth, Webhook};
use hookboard_engine::trace::{RunStatus, StepStatus};
use hookboard_secrets::{MemorySecretStore, SecretStore, SecretString};
use hookboard_store::ContactQuery;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the loopback server received: request line, headers and body, as text.
type Received = Arc<Mutex<Vec<String>>>;

/// A loopback HTTP server answering every request with `status` and a JSON body.
async fn serve(status: u16, body: &'static str) -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let received: Received = Arc::default();
    let log = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&data).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if data.len() >= end + 4 + length {
                            log.lock().expect("log").push(text);
                            break;
                        }
                    }
                }
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    (url, received)
}

fn seeded() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let ws = Workspace::open(dir.path()).expect("workspace opens");
    ws.seed_demo_if_new().expect("demo seeds");
    (dir, ws)
}

/// Points the demo's `local` environment at `url` and makes it active.
fn point_demo_at(ws: &Workspace, url: &str) {
    let mut env = ws.store().get_environment("local").expect("local env");
    env.variables.insert("base_url".into(), url.into());
    ws.save_environment(&env).expect("save env");
    ws.set_active_environment(Some("local")).expect("activate");
}

fn ada(ws: &Workspace) -> String {
    ws.search_contacts(&ContactQuery {
        text: Some("lovelace".into()),
        ..ContactQuery::default()
    })
    .expect("search")
    .remove(0)
    .id
}

/// Every file of the data folder contains no occurrence of `needle`.
fn assert_not_in_files(dir: &std::path::Path, needle: &str) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read file");
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{} contains the secret",
            path.display()
        );
    }
}

#[tokio::test]
async fn a_node_test_sends_the_templated_request_and_reports_the_switch_branch() {
    let (dir, ws) = seeded();
    let (url, received) = serve(201, r#"{"id": "crm-7", "status": "active"}"#).await;
    point_demo_at(&ws, &url);
    let secrets = MemorySecretStore::new();
    ws.set_connector_secret(&secrets, "crm", &SecretString::from("tok-123".to_string()))
        .expect("secret");
    let workflow = ws.store().get_workflow("welcome").expect("demo workflow");
    let target = TestTarget::Node {
        workflow,
        node: "upsert".into(),
    };
    let subject = TestSubject {
        contact_id: Some(ada(&ws)),
        event: Some(TypedEvent {
            alias: "signup".into(),
            json: r#"{"signup_id": "S-1", "plan": "pro"}"#.into(),
        }),
        ..TestSubject::default()
    };

    let preview = ws
        .preview_request(&target, &subject)
        .expect("preview")
        .expect("renders");
    assert!(
        preview
            .headers
            .contains(&("Authorization".into(), "Bearer •••".into()))
    );
    assert!(
        received.lock().expect("log").is_empty(),
        "preview sent nothing"
    );

    let outcome = ws
        .send_test(&target, &subject, &secrets)
        .await
        .expect("test");
    assert_eq!(outcome.step.status, StepStatus::Ok);
    let response = outcome.step.response.expect("response");
    assert_eq!(response.status, 201);
    assert_eq!(response.parsed["id"], "crm-7");
    let switch = outcome.switch.expect("the switch after the node");
    assert_eq!(switch.node, "route");
    assert_eq!(switch.step.branch.as_deref(), Some("ok"));

    let got = received.lock().expect("log").join("\n");
    assert!(got.starts_with("POST /contacts?source=hookboard "), "{got}");
    assert!(
        got.to_ascii_lowercase()
            .contains("authorization: bearer tok-123")
    );
    assert!(
        got.contains(r#""email":"ada.lovelace@example.com""#),
        "{got}"
    );
    assert!(got.contains(r#""plan":"pro""#), "{got}");
    let shown = serde_json::to_string(&response.headers).expect("json")
        + &serde_json::to_string(&outcome.step.request).expect("json");
    assert!(!shown.contains("tok-123"), "the trace shows the secret");
    assert_not_in_files(dir.path(), "tok-123");
}

#[tokio::test]
async fn a_404_takes_the_not_found_path_and_a_refused_connection_says_so() {
    let (_dir, ws) = seeded();
    let (url, _) = serve(404, r#"{"error": "missing"}"#).await;
    point_demo_at(&ws, &url);
    let secrets = MemorySecretStore::new();
    ws.set_connector_secret(&secrets, "crm", &SecretString::from("t".to_string()))
        .expect("secret");
    let target = TestTarget::Node {
        workflow: ws.store().get_workflow("welcome").expect("demo"),
        node: "upsert".into(),
    };
    let subject = TestSubject {
        contact_id: Some(ada(&ws)),
        ..TestSubject::default()
    };
    // The demo body reads ${event.signup_id}: without an event the template names it.
    let outcome = ws
        .send_test(&target, &subject, &secrets)
        .await
        .expect("test");
    let error = outcome.step.error.expect("template error");
    assert_eq!(error.kind, "template");
    assert!(error.message.contains("signup_id"), "{}", error.message);

    let subject = TestSubject {
        event: Some(TypedEvent {
            alias: String::new(),
            json: r#"{"signup_id": "S-2"}"#.into(),
        }),
        ..subject
    };
    let outcome = ws
        .send_test(&target, &subject, &secrets)
        .await
        .expect("test");
    assert_eq!(outcome.step.response.expect("response").status, 404);
    assert_eq!(
        outcome.switch.expect("switch").step.branch.as_deref(),
        Some("not_found")
    );

    // Nothing listens on the closed port.
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    point_demo_at(&ws, &format!("http://127.0.0.1:{port}"));
    let mut webhook = ws.store().get_webhook("crm_upsert").expect("webhook");
    webhook.retry.max_attempts = 1;
    ws.save_webhook(&webhook, false).expect("save");
    let outcome = ws
        .send_test(&target, &subject, &secrets)
        .await
        .expect("test");
    assert_eq!(
        outcome.step.error.expect("error").kind,
        "connection_refused"
    );
}

#[tokio::test]
async fn a_test_run_marks_every_step_and_is_kept_for_the_contact() {
    let (_dir, ws) = seeded();
    let (url, _) = serve(200, r#"{"id": "crm-9"}"#).await;
    point_demo_at(&ws, &url);
    let secrets = MemorySecretStore::new();
    ws.set_connector_secret(&secrets, "crm", &SecretString::from("t".to_string()))
        .expect("secret");
    let contact = ada(&ws);
    let subject = TestSubject {
        contact_id: Some(contact.clone()),
        event: Some(TypedEvent {
            alias: "signup".into(),
            json: r#"{"signup_id": "S-3"}"#.into(),
        }),
        ..TestSubject::default()
    };
    let workflow = ws.store().get_workflow("welcome").expect("demo");
    let trace = ws
        .test_run(&workflow, &subject, &secrets)
        .await
        .expect("run");
    assert_eq!(trace.status, RunStatus::Completed);
    let nodes: Vec<_> = trace
        .steps
        .iter()
        .map(|s| (s.node.as_str(), s.branch.as_deref()))
        .collect();
    assert_eq!(
        nodes,
        [
            ("signup", Some("next")),
            ("upsert", Some("response")),
            ("route", Some("ok")),
            ("synced", Some("next"))
        ]
    );
    // Shown, not written: the stored contact is unchanged.
    let card = ws.contact_card(&contact).expect("card");
    assert!(!card.contact.custom.contains_key("crm_id"));
    assert_eq!(card.runs.len(), 1);
    assert_eq!(card.runs[0].id, trace.run_id);
}

#[test]
fn a_webhook_save_names_the_refused_field_and_keeps_the_stored_one() {
    let (_dir, ws) = seeded();
    let before = ws.store().get_webhook("crm_upsert").expect("webhook");
    let mut webhook = before.clone();
    webhook.url = "http://crm.example.com/contacts".into();
    let err = ws.save_webhook(&webhook, false).expect_err("HTTPS rule");
    let WorkspaceError::Invalid { field, message } = err else {
        panic!("not an input error: {err:?}");
    };
    assert_eq!(field, "url");
    assert!(message.contains("https"), "{message}");
    assert_eq!(ws.store().get_webhook("crm_upsert").expect("kept"), before);

    let err = ws.save_webhook(&before, true).expect_err("name taken");
    assert!(err.to_string().contains("crm_upsert"), "{err}");
}

#[test]
fn connectors_keep_their_secret_in_the_secret_store_only() {
    let (dir, ws) = seeded();
    let secrets = MemorySecretStore::new();
    let connector = Connector {
        name: "billing".into(),
        auth: ConnectorAuth::Basic {
            username: "api".into(),
        },
    };
    let err = ws
        .save_connector(&connector, None)
        .expect_err("needs a secret");
    assert!(matches!(err, WorkspaceError::Invalid { ref field, .. } if field == "secret"));
    assert!(
        ws.store().get_connector("billing").is_err(),
        "nothing saved"
    );

    let secret = SecretString::from("pa55-billing".to_string());
    ws.save_connector(&connector, Some((&secret, &secrets)))
        .expect("saved");
    assert!(secrets.get("billing").expect("get").is_some());
    let infos = ws.list_connector_infos(Some(&secrets)).expect("list");
    let info = infos
        .iter()
        .find(|i| i.connector.name == "billing")
        .expect("listed");
    assert_eq!(info.has_secret, Some(true));
    assert_not_in_files(dir.path(), "pa55-billing");

    // The demo webhook uses `crm`: deleting it is refused and keeps it.
    let err = ws
        .delete_connector("crm", Some(&secrets))
        .expect_err("in use");
    assert!(err.to_string().contains("crm_upsert"), "{err}");
    ws.delete_connector("billing", Some(&secrets))
        .expect("deleted");
    assert!(secrets.get("billing").expect("get").is_none());
}

#[test]
fn events_typed_by_hand_are_checked_and_linked_to_their_contact() {
    let (_dir, ws) = seeded();
    let err = ws
        .create_manual_event("signup", "{\n  \"signup_id\": \"S-1\",\n  oops\n}")
        .expect_err("bad JSON");
    let message = err.to_string();
    assert!(message.contains("line 3"), "{message}");
    let err = ws
        .create_manual_event("signup", r#"{"email": "ada.lovelace@example.com"}"#)
        .expect_err("no primary key");
    assert!(err.to_string().contains("signup_id"), "{err}");

    let stored = ws
        .create_manual_event(
            "signup",
            r#"{"email": "ada.lovelace@example.com", "signup_id": "S-9"}"#,
        )
        .expect("stored");
    assert_eq!(stored.primary_key, "S-9");
    assert_eq!(stored.contact_id, Some(ada(&ws)));
    assert_eq!(stored.event.source, "manual");
    assert_eq!(
        ws.store().list_recent_events(10).expect("list")[0].id,
        stored.id
    );
}

#[test]
fn a_pasted_curl_keeps_its_secret_out_of_the_webhook_and_the_copy() {
    let (dir, ws) = seeded();
    let command = "curl -u 'api:hunter2-curl' -H 'Content-Type: application/json' \
                   -d '{\"email\": \"${contact.email}\"}' https://api.example.com/contacts";
    let pasted = ws.paste_curl(command).expect("parses");
    let credentials = pasted.credentials.expect("credentials found");
    assert_eq!(credentials.kind, "basic");
    assert_eq!(credentials.username.as_deref(), Some("api"));
    let json = serde_json::to_string(&pasted.webhook).expect("json");
    assert!(!json.contains("hunter2-curl"));

    let secrets = MemorySecretStore::new();
    ws.save_curl_credentials(command, "example", &secrets)
        .expect("connector saved");
    let webhook = Webhook {
        name: "pasted".into(),
        connector: Some("example".into()),
        ..pasted.webhook
    };
    ws.save_webhook(&webhook, true).expect("webhook saved");
    let copy = ws.webhook_to_curl(&webhook).expect("copy");
    assert!(copy.contains("api:•••"), "{copy}");
    assert!(!copy.contains("hunter2-curl"), "{copy}");
    assert_not_in_files(dir.path(), "hunter2-curl");

    let err = ws
        .paste_curl("curl --frobnicate https://x.example")
        .expect_err("unknown option");
    assert!(err.to_string().contains("--frobnicate"), "{err}");
}
