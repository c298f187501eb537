//! A run that authenticated with a secret is stored without it: the secret reached the
//! external system, but it is nowhere in the SQLite file or its write-ahead log.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;
use hookboard_engine::http::HttpPolicy;
use hookboard_engine::model::{
    Body, BodyKind, Bundle, Connector, ConnectorAuth, Contact, Edge, Event, HttpMethod, Node,
    Position, ResponseParsing, RetryPolicy, Webhook, Workflow,
};
use hookboard_engine::runner::{Engine, RunOptions};
use hookboard_engine::trace::RunStatus;
use hookboard_secrets::{MemorySecretStore, SecretStore, SecretString};
use hookboard_store::{RunMeta, Store};
use serde_json::json;

const SECRET: &str = "sk_live_9f8e7d6c5b4a-NEVER-STORE";

fn node(id: &str, kind: &str, params: serde_json::Value) -> Node {
    Node {
        id: id.into(),
        kind: kind.into(),
        title: None,
        position: Position::default(),
        params: serde_json::from_value::<BTreeMap<String, serde_json::Value>>(params)
            .expect("params"),
    }
}

#[tokio::test]
async fn the_secret_is_in_no_byte_of_the_database() {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = seen.clone();
    let app = Router::new().route(
        "/echo",
        post(move |headers: HeaderMap, body: String| {
            let record = record.clone();
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                record.lock().expect("lock").push(auth.clone());
                // An echoing server: the secret comes back in the response body too.
                axum::Json(json!({"you_sent": auth, "body": body}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let bundle = Bundle {
        connectors: vec![Connector {
            name: "crm".into(),
            auth: ConnectorAuth::Bearer,
        }],
        webhooks: vec![Webhook {
            name: "ECHO".into(),
            description: String::new(),
            method: HttpMethod::Post,
            url: format!("http://{addr}/echo"),
            query: vec![],
            headers: vec![],
            params_in_headers: false,
            body: Body {
                kind: BodyKind::Json,
                template: r#"{"email": "${contact.email}"}"#.into(),
                form: vec![],
            },
            content_type: None,
            connector: Some("crm".into()),
            response: ResponseParsing::Json,
            timeout_ms: 5_000,
            retry: RetryPolicy::default(),
        }],
        workflows: vec![Workflow {
            name: "w".into(),
            description: String::new(),
            nodes: vec![
                node("start", "trigger_manual", json!({})),
                node("call", "http_request", json!({"webhook": "ECHO"})),
                node(
                    "save",
                    "set_field",
                    json!({"mappings": [{"field": "custom.echo", "value": "${data.ECHO.you_sent}"}]}),
                ),
            ],
            edges: vec![
                Edge {
                    from: "start".into(),
                    port: "next".into(),
                    to: "call".into(),
                },
                Edge {
                    from: "call".into(),
                    port: "response".into(),
                    to: "save".into(),
                },
                Edge {
                    from: "call".into(),
                    port: "error".into(),
                    to: "save".into(),
                },
            ],
        }],
        ..Bundle::default()
    };
    let secrets = MemorySecretStore::new();
    secrets
        .set("crm", &SecretString::from(SECRET.to_string()))
        .expect("secret");
    let engine = Engine::new(HttpPolicy::default()).expect("engine");
    let contact = Contact {
        id: "c1".into(),
        email: Some("ada@example.com".into()),
        ..Contact::default()
    };
    let trace = engine
        .run(
            &bundle,
            &bundle.workflows[0],
            &secrets,
            contact.clone(),
            Event::default(),
            &RunOptions::default(),
        )
        .await;
    assert_eq!(trace.status, RunStatus::Completed, "{trace:#?}");
    assert_eq!(
        seen.lock().expect("lock").as_slice(),
        [format!("Bearer {SECRET}")],
        "the external system got the secret"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hookboard.db");
    let store = Store::open(&path).expect("store");
    store.create_contact(&trace.contact).expect("contact");
    store
        .insert_run(
            &trace,
            &RunMeta {
                event_id: None,
                started_at: chrono::Utc::now(),
                finished_at: Some(chrono::Utc::now()),
            },
        )
        .expect("run stored");
    let stored = store.get_run(&trace.run_id).expect("run read back");
    assert_eq!(stored.trace.steps.len(), 3);

    let mut bytes = std::fs::read(&path).expect("db file");
    if let Ok(wal) = std::fs::read(dir.path().join("hookboard.db-wal")) {
        bytes.extend(wal);
    }
    let haystack = String::from_utf8_lossy(&bytes);
    assert!(
        haystack.contains("Bearer •••"),
        "the masked request was written"
    );
    assert!(
        !haystack.contains(SECRET),
        "the secret reached the database file"
    );
}
