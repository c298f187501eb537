//! The desktop's local receiver as a client sees it: real HTTP on a loopback port over a
//! temporary SQLite file, the event definitions read from that file at each request.

use std::sync::{Arc, Mutex};

use hookboard_engine::model::{EventContext, EventDefinition, EventField, FieldType};
use hookboard_server::local::{LocalError, LocalReceiver, OnReceived, Received};
use hookboard_store::Store;
use serde_json::{Value, json};

const LIMIT: usize = 512 * 1024;

fn field(name: &str, field_type: FieldType, pointer: Option<&str>) -> EventField {
    EventField {
        name: name.into(),
        field_type,
        required: true,
        pointer: pointer.map(str::to_string),
    }
}

/// `order`, a webhook event with its email at /customer/email.
fn order_definition() -> EventDefinition {
    EventDefinition {
        alias: "order".into(),
        context: EventContext::Webhook,
        fields: vec![
            field("email", FieldType::Email, Some("/customer/email")),
            field("order_id", FieldType::Text, None),
        ],
        email_field: "email".into(),
        primary_key: "order_id".into(),
    }
}

/// `signup`, a public API event.
fn signup_definition() -> EventDefinition {
    EventDefinition {
        alias: "signup".into(),
        context: EventContext::PublicApi,
        fields: vec![
            field("email", FieldType::Email, None),
            field("signup_id", FieldType::Text, None),
        ],
        email_field: "email".into(),
        primary_key: "signup_id".into(),
    }
}

/// A receiver on a free port over a store in a temporary folder, with what it notified.
struct Local {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    receiver: LocalReceiver,
    notices: Arc<Mutex<Vec<Received>>>,
    client: reqwest::Client,
}

impl Local {
    async fn start() -> Local {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(dir.path().join("hookboard.db")).expect("store"));
        store
            .upsert_event_definition(&order_definition())
            .expect("order");
        store
            .upsert_event_definition(&signup_definition())
            .expect("signup");
        let notices = Arc::new(Mutex::new(Vec::new()));
        let seen = notices.clone();
        let on_received: OnReceived =
            Arc::new(move |received| seen.lock().expect("lock").push(received));
        let receiver = LocalReceiver::start(store.clone(), 0, on_received)
            .await
            .expect("start");
        Local {
            _dir: dir,
            store,
            receiver,
            notices,
            client: reqwest::Client::new(),
        }
    }

    async fn post_bytes(&self, path: &str, body: Vec<u8>) -> (u16, Value) {
        let response = self
            .client
            .post(format!("http://{}{path}", self.receiver.addr()))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("send");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.post_bytes(path, body.to_string().into_bytes()).await
    }

    fn notices(&self) -> Vec<Received> {
        self.notices.lock().expect("lock").clone()
    }
}

fn order(email: &str, id: &str) -> Value {
    json!({"customer": {"email": email}, "order_id": id, "ignored": true})
}

#[tokio::test]
async fn accepted_events_are_stored_with_their_source_and_contact() {
    let local = Local::start().await;
    assert_eq!(local.receiver.addr().ip().to_string(), "127.0.0.1");

    let (status, body) = local
        .post("/hooks/order", &order("ada@example.com", "o-1"))
        .await;
    assert_eq!(status, 202, "{body}");
    let id = body["event_id"].as_str().expect("event id").to_string();
    assert_eq!(body["duplicate"], json!(false));
    let stored = local.store.get_event(&id).expect("stored");
    assert_eq!(stored.event.source, "webhook");
    assert_eq!(stored.primary_key, "o-1");
    assert_eq!(
        stored.event.payload,
        json!({"email": "ada@example.com", "order_id": "o-1"})
    );
    let ada = local
        .store
        .find_contact_by_email("ada@example.com")
        .expect("find")
        .expect("the webhook created the contact");
    assert_eq!(stored.contact_id.as_deref(), Some(ada.id.as_str()));

    // The same primary key again: acknowledged with the same id, nothing stored twice.
    let (status, again) = local
        .post("/hooks/order", &order("ada@example.com", "o-1"))
        .await;
    assert_eq!(status, 202, "{again}");
    assert_eq!(again["event_id"], json!(id));
    assert_eq!(again["duplicate"], json!(true));

    // Public API: no key asked for; an unknown contact needs createContact=true.
    let signup = json!({"email": "grace@example.com", "signup_id": "s-1"});
    let (status, body) = local
        .post("/api/v1/custom-events/alias/signup", &signup)
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"]
            .as_str()
            .expect("error")
            .contains("createContact"),
        "{body}"
    );
    let (status, body) = local
        .post(
            "/api/v1/custom-events/alias/signup?createContact=yes",
            &signup,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = local
        .post(
            "/api/v1/custom-events/alias/signup?createContact=true",
            &signup,
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let stored = local
        .store
        .get_event(body["event_id"].as_str().expect("id"))
        .expect("stored");
    assert_eq!(stored.event.source, "public_api");
    assert!(stored.contact_id.is_some());

    let notices = local.notices();
    assert_eq!(notices.len(), 3, "{notices:?}");
    assert_eq!(
        notices[0],
        Received::Accepted {
            event_id: id.clone(),
            alias: "order".into(),
            source: "webhook".into(),
            duplicate: false,
        }
    );
    assert!(matches!(
        &notices[1],
        Received::Accepted {
            duplicate: true,
            ..
        }
    ));
    assert!(matches!(&notices[2], Received::Accepted { source, .. } if source == "public_api"));
    local.receiver.stop().await;
}

#[tokio::test]
async fn definitions_are_read_at_each_request() {
    let local = Local::start().await;
    let body = json!({"email": "ada@example.com", "ref": "r-1"});
    let (status, answer) = local.post("/hooks/refund", &body).await;
    assert_eq!(status, 404, "{answer}");
    // A definition of the other context says where to post instead.
    let (status, answer) = local.post("/hooks/signup", &body).await;
    assert_eq!(status, 404, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .expect("error")
            .contains("/api/v1/custom-events/alias/signup"),
        "{answer}"
    );
    local
        .store
        .upsert_event_definition(&EventDefinition {
            alias: "refund".into(),
            context: EventContext::Webhook,
            fields: vec![
                field("email", FieldType::Email, None),
                field("ref", FieldType::Text, None),
            ],
            email_field: "email".into(),
            primary_key: "ref".into(),
        })
        .expect("define");
    let (status, answer) = local.post("/hooks/refund", &body).await;
    assert_eq!(status, 202, "{answer}");
    local.receiver.stop().await;
}

#[tokio::test]
async fn an_invalid_event_is_a_422_with_every_problem_and_is_kept_as_rejected() {
    let local = Local::start().await;
    let (status, body) = local
        .post(
            "/api/v1/custom-events/alias/signup",
            &json!({"email": "nope", "extra": 1}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let problems: Vec<String> = serde_json::from_value(body["problems"].clone()).expect("list");
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("unknown field `extra`")));
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`email` must be an email"))
    );
    assert!(problems.iter().any(|p| p.contains("`signup_id`")));
    let rejected_id = body["rejected_id"].as_str().expect("rejected id");

    let kept = local
        .store
        .list_rejected_events(None, 10)
        .expect("rejected");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].id, rejected_id);
    assert_eq!(kept[0].alias, "signup");
    assert_eq!(kept[0].source, "public_api");
    assert_eq!(kept[0].raw_body, br#"{"email":"nope","extra":1}"#);
    assert!(
        kept[0].reason.contains("unknown field `extra`"),
        "{}",
        kept[0].reason
    );
    assert!(
        local
            .store
            .list_recent_events(10)
            .expect("events")
            .is_empty()
    );
    assert_eq!(
        local.notices(),
        vec![Received::Rejected {
            rejected_id: rejected_id.to_string(),
            alias: "signup".into(),
            source: "public_api".into(),
            status: 422,
            reason: kept[0].reason.clone(),
        }]
    );
    local.receiver.stop().await;
}

#[tokio::test]
async fn malformed_json_is_a_400_naming_line_and_column_and_is_kept() {
    let local = Local::start().await;
    let raw = b"{\n  \"order_id\": \"o-1\",\n  oops\n}".to_vec();
    let (status, body) = local.post_bytes("/hooks/order", raw.clone()).await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"].as_str().expect("error");
    assert!(message.contains("line 3 column 3"), "{message}");
    let kept = local
        .store
        .list_rejected_events(Some("order"), 10)
        .expect("rejected");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].raw_body, raw);
    assert_eq!(kept[0].source, "webhook");
    assert!(
        kept[0].reason.contains("line 3 column 3"),
        "{}",
        kept[0].reason
    );
    assert!(matches!(
        &local.notices()[..],
        [Received::Rejected { status: 400, .. }]
    ));
    local.receiver.stop().await;
}

#[tokio::test]
async fn bodies_up_to_512_kib_are_accepted_and_one_byte_more_is_413() {
    let local = Local::start().await;
    let sized = |id: &str, size: usize| {
        let mut event = order("ada@example.com", id);
        event["pad"] = json!("");
        let base = event.to_string().len();
        event["pad"] = json!("x".repeat(size - base));
        let text = event.to_string();
        assert_eq!(text.len(), size);
        text.into_bytes()
    };
    let (status, body) = local.post_bytes("/hooks/order", sized("o-1", LIMIT)).await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = local
        .post_bytes("/hooks/order", sized("o-2", LIMIT + 1))
        .await;
    assert_eq!(status, 413);
    let message = body["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("larger than 512 KiB"),
        "a JSON error body: {body}"
    );
    assert_eq!(local.store.list_recent_events(10).expect("events").len(), 1);
    local.receiver.stop().await;
}

#[tokio::test]
async fn stopping_frees_the_port_and_a_port_in_use_is_refused() {
    let local = Local::start().await;
    let addr = local.receiver.addr();
    assert_ne!(addr.port(), 0);

    // While it runs, a second receiver on the same port is refused.
    let refused = LocalReceiver::start(local.store.clone(), addr.port(), Arc::new(|_| {})).await;
    match refused {
        Err(error @ LocalError::PortInUse { .. }) => {
            assert!(
                error.to_string().contains(&addr.port().to_string()),
                "{error}"
            );
        }
        other => panic!("expected PortInUse, got {other:?}"),
    }

    let (status, _) = local
        .post("/hooks/order", &order("ada@example.com", "o-1"))
        .await;
    assert_eq!(status, 202);
    let Local {
        receiver,
        store,
        client,
        _dir,
        ..
    } = local;
    receiver.stop().await;

    let refused = client
        .post(format!("http://{addr}/hooks/order"))
        .body(order("ada@example.com", "o-2").to_string())
        .send()
        .await;
    assert!(refused.is_err(), "nothing answers after stop: {refused:?}");
    // The port is free: something else can listen on it, then the receiver again.
    drop(std::net::TcpListener::bind(addr).expect("the port is free after stop"));
    let again = LocalReceiver::start(store, addr.port(), Arc::new(|_| {}))
        .await
        .expect("start again on the same port");
    assert_eq!(again.addr(), addr);
    again.stop().await;
}

#[tokio::test]
async fn subscription_messages_are_read_with_their_trigger_and_stored() {
    let local = Local::start().await;
    let workflow: hookboard_engine::model::Workflow = serde_json::from_value(json!({
        "name": "orders",
        "description": "",
        "nodes": [{"id": "start", "kind": "trigger_subscription", "position": {"x": 0.0, "y": 0.0},
                   "params": {"subscription": "order_paid", "email": "${event.buyer.email}",
                              "primary_key": "${event.payment_id}"}}],
        "edges": []
    }))
    .expect("workflow");
    local.store.save_workflow(&workflow).expect("save");

    let message = json!({"buyer": {"email": "bo@example.com"}, "payment_id": "p-1"});
    let (status, body) = local.post("/subscriptions/order_paid", &message).await;
    assert_eq!(status, 202, "{body}");
    let stored = local
        .store
        .get_event(body["event_id"].as_str().expect("event id"))
        .expect("stored");
    assert_eq!(
        (stored.event.source.as_str(), stored.primary_key.as_str()),
        ("subscription", "p-1")
    );
    assert_eq!(stored.event.payload, message);

    let (status, body) = local
        .post("/subscriptions/order_paid", &json!({"payment_id": "p-2"}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["problems"][0].as_str().unwrap_or("").contains("email"),
        "{body}"
    );
    let (status, body) = local.post("/subscriptions/nobody", &message).await;
    assert_eq!(status, 404, "{body}");
    let rejected = local
        .store
        .list_rejected_events(None, 10)
        .expect("rejected");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].source, "subscription");
}
