//! The runner end to end against a real HTTP server on loopback: routing, retries, errors,
//! data of earlier steps, contact writes and secret masking.

mod support;

use std::collections::BTreeMap;

use hookboard_engine::http::HttpPolicy;
use hookboard_engine::model::{
    Body, BodyKind, Bundle, Connector, ConnectorAuth, Contact, Edge, Event, HttpMethod, Node,
    Position, ResponseParsing, RetryPolicy, Webhook, Workflow,
};
use hookboard_engine::runner::{Engine, RunOptions, WaitMode};
use hookboard_engine::trace::{RunStatus, RunTrace, StepStatus};
use hookboard_engine::validate::{Severity, ValidationOptions, validate_bundle};
use hookboard_secrets::{MemorySecretStore, SecretStore, SecretString};
use serde_json::{Value, json};
use support::TestServer;

fn node(id: &str, kind: &str, params: Value) -> Node {
    let params: BTreeMap<String, Value> = serde_json::from_value(params).expect("params object");
    Node {
        id: id.into(),
        kind: kind.into(),
        title: None,
        position: Position::default(),
        params,
    }
}

fn edge(from: &str, port: &str, to: &str) -> Edge {
    Edge {
        from: from.into(),
        port: port.into(),
        to: to.into(),
    }
}

fn webhook(name: &str, path: &str) -> Webhook {
    Webhook {
        name: name.into(),
        description: String::new(),
        method: HttpMethod::Get,
        url: format!("${{env.base}}{path}"),
        query: vec![],
        headers: vec![],
        params_in_headers: false,
        body: Body::default(),
        content_type: None,
        connector: None,
        response: ResponseParsing::Json,
        timeout_ms: 5_000,
        retry: RetryPolicy {
            max_attempts: 1,
            initial_backoff_ms: 10,
            max_backoff_ms: 2_000,
            retry_non_idempotent: false,
        },
    }
}

/// trigger → call → switch (ok: 200-299, moved: 301, not_found: 404, slow_down: 429, fallback)
/// → one Set field per path writing `custom.path`; `error` → Set field writing the error kind.
fn routing_workflow() -> Workflow {
    let mark = |id: &str, value: &str| {
        node(
            id,
            "set_field",
            json!({"mappings": [{"field": "custom.path", "value": value}]}),
        )
    };
    Workflow {
        name: "route".into(),
        description: String::new(),
        nodes: vec![
            node("start", "trigger_manual", json!({})),
            node("call", "http_request", json!({"webhook": "WH"})),
            node(
                "switch",
                "response_switch",
                json!({"paths": [
                    {"name": "ok", "when": "200-299"},
                    {"name": "moved", "when": "301"},
                    {"name": "not_found", "when": "404"},
                    {"name": "slow_down", "when": "429"}
                ]}),
            ),
            mark("on_ok", "ok"),
            mark("on_moved", "moved"),
            mark("on_not_found", "not_found"),
            mark("on_slow_down", "slow_down"),
            mark("on_fallback", "fallback ${response.status}"),
            mark("on_error", "error ${error.kind}"),
        ],
        edges: vec![
            edge("start", "next", "call"),
            edge("call", "response", "switch"),
            edge("call", "error", "on_error"),
            edge("switch", "ok", "on_ok"),
            edge("switch", "moved", "on_moved"),
            edge("switch", "not_found", "on_not_found"),
            edge("switch", "slow_down", "on_slow_down"),
            edge("switch", "fallback", "on_fallback"),
        ],
    }
}

fn bundle(webhooks: Vec<Webhook>, workflow: Workflow) -> Bundle {
    Bundle {
        webhooks,
        workflows: vec![workflow],
        connectors: vec![Connector {
            name: "crm".into(),
            auth: ConnectorAuth::Bearer,
        }],
        ..Bundle::default()
    }
}

fn options(server: &TestServer) -> RunOptions {
    let mut env = BTreeMap::new();
    env.insert("base".into(), format!("http://{}", server.addr));
    RunOptions {
        env,
        ..RunOptions::default()
    }
}

async fn run(bundle: &Bundle, server: &TestServer, secrets: &dyn SecretStore) -> RunTrace {
    let issues = validate_bundle(bundle, ValidationOptions::default());
    assert!(
        !issues.iter().any(|i| i.severity == Severity::Error),
        "test bundle is invalid: {issues:?}"
    );
    let engine = Engine::new(HttpPolicy::default()).expect("engine");
    engine
        .run(
            bundle,
            &bundle.workflows[0],
            secrets,
            Contact {
                id: "c1".into(),
                email: Some("ada@example.com".into()),
                ..Contact::default()
            },
            Event {
                alias: "signup".into(),
                source: "manual".into(),
                payload: json!({"email": "ada@example.com", "total": 42}),
            },
            &options(server),
        )
        .await
}

/// Runs [`routing_workflow`] with `webhook` as its call, without secrets.
async fn run_routing(webhook: Webhook, server: &TestServer) -> RunTrace {
    run(
        &bundle(vec![webhook], routing_workflow()),
        server,
        &MemorySecretStore::new(),
    )
    .await
}

fn path_taken(trace: &RunTrace) -> String {
    trace
        .contact
        .custom
        .get("path")
        .and_then(Value::as_str)
        .unwrap_or("<none>")
        .to_string()
}

fn switch_branch(trace: &RunTrace) -> Option<String> {
    trace
        .steps
        .iter()
        .find(|s| s.node == "switch")
        .and_then(|s| s.branch.clone())
}

#[tokio::test]
async fn status_codes_route_to_their_paths() {
    let server = TestServer::start().await;
    let secrets = MemorySecretStore::new();
    for (code, expected) in [
        (200, "ok"),
        (201, "ok"),
        (299, "ok"),
        (301, "moved"),
        (404, "not_found"),
        (418, "fallback 418"),
    ] {
        let b = bundle(
            vec![webhook("WH", &format!("/status/{code}"))],
            routing_workflow(),
        );
        let mut b = b;
        b.webhooks[0].response = ResponseParsing::Text;
        let trace = run(&b, &server, &secrets).await;
        assert_eq!(trace.status, RunStatus::Completed, "{code}: {trace:#?}");
        assert_eq!(path_taken(&trace), expected, "status {code}");
        let branch = expected.split(' ').next().unwrap_or_default();
        assert_eq!(
            switch_branch(&trace).as_deref(),
            Some(branch),
            "status {code}"
        );
        let call = &trace.steps[1];
        assert_eq!(call.response.as_ref().map(|r| r.status), Some(code));
    }
}

#[tokio::test]
async fn too_many_requests_honours_retry_after_then_routes() {
    let server = TestServer::start().await;
    let mut wh = webhook("WH", "/status/429?retry_after=1");
    wh.response = ResponseParsing::Text;
    wh.retry.max_attempts = 2;
    let trace = run_routing(wh, &server).await;
    assert_eq!(path_taken(&trace), "slow_down");
    let hits = server.requests_to("/status/429");
    assert_eq!(hits.len(), 2, "one retry after Retry-After");
    let gap = hits[1].at.duration_since(hits[0].at);
    assert!(
        gap.as_millis() >= 900,
        "Retry-After: 1 was not honoured ({gap:?})"
    );
    assert_eq!(
        trace.steps[1].response.as_ref().map(|r| r.attempts),
        Some(2)
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_take_the_fallback() {
    let server = TestServer::start().await;
    let mut wh = webhook("WH", "/status/500");
    wh.response = ResponseParsing::Text;
    wh.retry.max_attempts = 3;
    let trace = run_routing(wh, &server).await;
    assert_eq!(
        server.requests_to("/status/500").len(),
        3,
        "3 attempts reach the server"
    );
    assert_eq!(path_taken(&trace), "fallback 500");
    let keys: Vec<_> = server
        .requests_to("/status/500")
        .iter()
        .map(|r| r.header("idempotency-key").map(str::to_string))
        .collect();
    assert!(keys[0].is_some());
    assert!(
        keys.iter().all(|k| k == &keys[0]),
        "same Idempotency-Key on every attempt"
    );
}

#[tokio::test]
async fn a_timeout_takes_the_error_port_with_its_kind() {
    let server = TestServer::start().await;
    let mut wh = webhook("WH", "/sleep/3000");
    wh.timeout_ms = 200;
    let trace = run_routing(wh, &server).await;
    assert_eq!(
        trace.status,
        RunStatus::Completed,
        "an error port taken completes the run"
    );
    assert_eq!(path_taken(&trace), "error timeout");
    let call = &trace.steps[1];
    assert_eq!(call.branch.as_deref(), Some("error"));
    assert_eq!(
        call.error.as_ref().map(|e| e.kind.as_str()),
        Some("timeout")
    );
}

#[tokio::test]
async fn a_parse_failure_takes_the_error_port() {
    let server = TestServer::start().await;
    let wh = webhook("WH", "/status/200");
    let trace = run_routing(wh, &server).await;
    assert_eq!(path_taken(&trace), "error parse");
    let call = &trace.steps[1];
    assert!(call.response.is_some(), "the response is still shown");
    assert!(
        call.error
            .as_ref()
            .is_some_and(|e| e.message.contains("JSON"))
    );
}

#[tokio::test]
async fn an_error_answer_whose_body_does_not_parse_is_still_routed_by_its_status() {
    let server = TestServer::start().await;
    // `status 404` as text, like the HTML error pages many APIs answer with.
    let wh = webhook("WH", "/status/404");
    let trace = run_routing(wh, &server).await;
    assert_eq!(path_taken(&trace), "not_found", "{trace:#?}");
    let call = &trace.steps[1];
    assert!(call.error.is_none(), "{call:#?}");
    let response = call.response.as_ref().expect("response");
    assert_eq!(response.body, "status 404");
    assert_eq!(response.parsed, Value::Null);
}

#[tokio::test]
async fn an_unwired_error_port_fails_the_run_visibly() {
    let server = TestServer::start().await;
    let port = support::closed_port().await;
    let mut wh = webhook("WH", "/x");
    wh.url = format!("http://127.0.0.1:{port}/x");
    let mut wf = routing_workflow();
    wf.edges.retain(|e| e.port != "error");
    wf.nodes.retain(|n| n.id != "on_error");
    let trace = run(&bundle(vec![wh], wf), &server, &MemorySecretStore::new()).await;
    assert_eq!(trace.status, RunStatus::Failed);
    let last = trace.steps.last().expect("steps");
    assert_eq!(last.node, "call");
    assert_eq!(last.status, StepStatus::Error);
    assert_eq!(
        last.error.as_ref().map(|e| e.kind.as_str()),
        Some("connection_refused")
    );
}

#[tokio::test]
async fn later_steps_read_parsed_data_and_conditions_route() {
    let server = TestServer::start().await;
    let mut wh = webhook("ECHO", "/echo?tag=${event.total}");
    wh.method = HttpMethod::Post;
    wh.body = Body {
        kind: BodyKind::Json,
        template: r#"{"email": "${contact.email}", "total": "${event.total}"}"#.into(),
        form: vec![],
    };
    let wf = Workflow {
        name: "data".into(),
        description: String::new(),
        nodes: vec![
            node("start", "trigger_manual", json!({})),
            node("call", "http_request", json!({"webhook": "ECHO"})),
            node(
                "check",
                "condition",
                json!({"expression": "${data.ECHO.method} == \"POST\" and ${data.ECHO.parsed.total} == 42"}),
            ),
            node(
                "yes",
                "set_field",
                json!({"mappings": [
                    {"field": "city", "value": "${data.ECHO.parsed.email | upper}"},
                    {"field": "custom.total", "value": "${data.ECHO.parsed.total}"}
                ]}),
            ),
            node("no", "end", json!({})),
        ],
        edges: vec![
            edge("start", "next", "call"),
            edge("call", "response", "check"),
            edge("call", "error", "no"),
            edge("check", "true", "yes"),
            edge("check", "false", "no"),
        ],
    };
    let trace = run(&bundle(vec![wh], wf), &server, &MemorySecretStore::new()).await;
    assert_eq!(trace.status, RunStatus::Completed, "{trace:#?}");
    assert_eq!(trace.steps[2].branch.as_deref(), Some("true"));
    assert_eq!(trace.contact.city.as_deref(), Some("ADA@EXAMPLE.COM"));
    assert_eq!(
        trace.contact.custom.get("total"),
        Some(&json!(42)),
        "numbers keep their type"
    );
    let got = &server.requests_to("/echo")[0];
    assert_eq!(got.query.as_deref(), Some("tag=42"));
    let body: Value = serde_json::from_slice(&got.body).expect("JSON body");
    assert_eq!(body, json!({"email": "ada@example.com", "total": 42}));
}

#[tokio::test]
async fn an_unknown_variable_fails_naming_it_and_the_node() {
    let server = TestServer::start().await;
    let mut wh = webhook("WH", "/echo");
    wh.headers = vec![hookboard_engine::model::KeyValue {
        name: "X-Order".into(),
        value: "${event.order.id}".into(),
    }];
    let trace = run_routing(wh, &server).await;
    assert_eq!(trace.status, RunStatus::Failed);
    let err = trace.steps[1].error.as_ref().expect("error");
    assert_eq!(err.kind, "template");
    assert_eq!(
        err.message,
        "node `call`, webhook `WH`, header `X-Order`: unknown variable `event.order`"
    );
    assert!(server.requests_to("/echo").is_empty(), "nothing was sent");
}

#[tokio::test]
async fn the_secret_reaches_the_server_but_not_the_trace() {
    let server = TestServer::start().await;
    let secrets = MemorySecretStore::new();
    secrets
        .set("crm", &SecretString::from(support::SECRET.to_string()))
        .expect("store secret");
    let mut wh = webhook("WH", "/auth/bearer");
    wh.connector = Some("crm".into());
    wh.response = ResponseParsing::Text;
    let trace = run(&bundle(vec![wh], routing_workflow()), &server, &secrets).await;
    assert_eq!(
        path_taken(&trace),
        "ok",
        "the server accepted the token: {trace:#?}"
    );
    let hit = &server.requests_to("/auth/bearer")[0];
    assert_eq!(
        hit.header("authorization"),
        Some(format!("Bearer {}", support::SECRET).as_str())
    );
    let text = serde_json::to_string(&trace).expect("trace JSON");
    assert!(
        !text.contains(support::SECRET),
        "secret leaked into the trace"
    );
    assert!(text.contains("Bearer •••"), "the header is shown masked");
}

#[tokio::test]
async fn a_missing_secret_is_a_clear_error() {
    let server = TestServer::start().await;
    let mut wh = webhook("WH", "/auth/bearer");
    wh.connector = Some("crm".into());
    let trace = run_routing(wh, &server).await;
    assert_eq!(trace.status, RunStatus::Failed);
    let err = trace.steps[1].error.as_ref().expect("error");
    assert_eq!(err.kind, "secret");
    assert!(
        err.message.contains("HOOKBOARD_SECRET_CRM"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_wait_suspends_the_run_where_it_stopped() {
    let server = TestServer::start().await;
    let wf = Workflow {
        name: "wait".into(),
        description: String::new(),
        nodes: vec![
            node("start", "trigger_manual", json!({})),
            node("pause", "wait", json!({"duration": "1h"})),
            node("done", "end", json!({})),
        ],
        edges: vec![
            edge("start", "next", "pause"),
            edge("pause", "next", "done"),
        ],
    };
    let b = bundle(vec![], wf);
    let trace = run(&b, &server, &MemorySecretStore::new()).await;
    assert_eq!(trace.status, RunStatus::Waiting);
    assert_eq!(trace.resume_at.as_deref(), Some("pause"));

    let engine = Engine::new(HttpPolicy::default()).expect("engine");
    let mut b = b;
    b.workflows[0].nodes[1]
        .params
        .insert("duration".into(), json!("10ms"));
    let slept = engine
        .run(
            &b,
            &b.workflows[0],
            &MemorySecretStore::new(),
            Contact::default(),
            Event::default(),
            &RunOptions {
                wait_mode: WaitMode::Sleep,
                ..RunOptions::default()
            },
        )
        .await;
    assert_eq!(slept.status, RunStatus::Completed);
    assert_eq!(slept.steps.len(), 3);
}

#[tokio::test]
async fn a_suspended_run_resumes_by_the_port_it_is_woken_on_with_what_it_had_read() {
    let wf = Workflow {
        name: "journey".into(),
        description: String::new(),
        nodes: vec![
            node("start", "trigger_manual", json!({})),
            node(
                "note",
                "set_field",
                json!({"mappings": [{"field": "city", "value": "${event.city}"}]}),
            ),
            node(
                "reply",
                "wait_for_event",
                json!({"alias": "answered", "timeout": "2d"}),
            ),
            node(
                "got",
                "set_field",
                json!({"mappings": [{"field": "custom.answer", "value": "${event.answer} from ${run.journey}"}]}),
            ),
            node(
                "late",
                "set_field",
                json!({"mappings": [{"field": "custom.answer", "value": "none (${contact.city})"}]}),
            ),
        ],
        edges: vec![
            edge("start", "next", "note"),
            edge("note", "next", "reply"),
            edge("reply", "event", "got"),
            edge("reply", "timeout", "late"),
        ],
    };
    let b = bundle(vec![], wf);
    let engine = Engine::new(HttpPolicy::default()).expect("engine");
    let secrets = MemorySecretStore::new();
    let mut run_vars = serde_json::Map::new();
    run_vars.insert("journey".into(), json!("order-7"));
    let options = RunOptions {
        run_vars,
        ..RunOptions::default()
    };
    let workflow = &b.workflows[0];
    let first = engine
        .run(
            &b,
            workflow,
            &secrets,
            Contact::default(),
            Event {
                payload: json!({"city": "Lyon"}),
                ..Event::default()
            },
            &options,
        )
        .await;
    assert_eq!(first.status, RunStatus::Waiting, "{first:#?}");
    let suspension = first.suspension.clone().expect("suspension");
    assert_eq!(suspension.node, "reply");
    assert_eq!(suspension.alias.as_deref(), Some("answered"));
    assert_eq!(suspension.wait_ms, 2 * 24 * 3600 * 1000);

    let answered = engine
        .resume(
            &b,
            workflow,
            &secrets,
            first.contact.clone(),
            &first.run_id,
            &suspension,
            "event",
            Some(Event {
                alias: "answered".into(),
                source: "webhook".into(),
                payload: json!({"answer": "yes"}),
            }),
            &RunOptions::default(),
        )
        .await;
    assert_eq!(answered.status, RunStatus::Completed, "{answered:#?}");
    assert_eq!(answered.run_id, first.run_id);
    let nodes: Vec<_> = answered.steps.iter().map(|s| s.node.as_str()).collect();
    assert_eq!(nodes, ["reply", "got"]);
    assert_eq!(answered.steps[0].branch.as_deref(), Some("event"));
    assert_eq!(answered.contact.custom["answer"], json!("yes from order-7"));
    assert_eq!(answered.contact.city.as_deref(), Some("Lyon"));

    let timed_out = engine
        .resume(
            &b,
            workflow,
            &secrets,
            first.contact.clone(),
            &first.run_id,
            &suspension,
            "timeout",
            None,
            &RunOptions::default(),
        )
        .await;
    let nodes: Vec<_> = timed_out.steps.iter().map(|s| s.node.as_str()).collect();
    assert_eq!(nodes, ["reply", "late"]);
    assert_eq!(timed_out.contact.custom["answer"], json!("none (Lyon)"));

    let mut changed = b.clone();
    changed.workflows[0].nodes.retain(|n| n.id != "reply");
    let orphan = engine
        .resume(
            &changed,
            &changed.workflows[0],
            &secrets,
            first.contact.clone(),
            &first.run_id,
            &suspension,
            "event",
            None,
            &RunOptions::default(),
        )
        .await;
    assert_eq!(orphan.status, RunStatus::Failed);
    let error = orphan.steps[0].error.as_ref().expect("error");
    assert!(error.message.contains("no longer has"), "{}", error.message);
}

#[tokio::test]
async fn a_contact_entering_a_group_starts_from_that_groups_trigger() {
    let mark = |id: &str, value: &str| {
        node(
            id,
            "set_field",
            json!({"mappings": [{"field": "custom.started_by", "value": value}]}),
        )
    };
    let workflow = Workflow {
        name: "two triggers".into(),
        description: String::new(),
        nodes: vec![
            node("on_signup", "trigger_event", json!({"alias": "signup"})),
            node("on_vip", "trigger_group", json!({"group": "vip"})),
            mark("by_event", "event"),
            mark("by_group", "group"),
        ],
        edges: vec![
            edge("on_signup", "next", "by_event"),
            edge("on_vip", "next", "by_group"),
        ],
    };
    let bundle = bundle(Vec::new(), workflow);
    let engine = Engine::new(HttpPolicy::default()).expect("engine");
    let started_by = |event: Event| {
        let (bundle, engine) = (&bundle, &engine);
        async move {
            let trace = engine
                .run(
                    bundle,
                    &bundle.workflows[0],
                    &MemorySecretStore::new(),
                    Contact::default(),
                    event,
                    &RunOptions::default(),
                )
                .await;
            (
                trace.steps[0].node.clone(),
                trace.contact.custom["started_by"].clone(),
            )
        }
    };
    let group = started_by(Event {
        alias: String::new(),
        source: hookboard_engine::runner::GROUP_EVENT_SOURCE.into(),
        payload: json!({"group": "vip"}),
    })
    .await;
    assert_eq!(group, ("on_vip".to_string(), json!("group")));
    let signup = started_by(Event {
        alias: "signup".into(),
        source: "webhook".into(),
        payload: json!({}),
    })
    .await;
    assert_eq!(signup, ("on_signup".to_string(), json!("event")));
}

#[tokio::test]
async fn a_line_break_in_a_query_value_is_percent_encoded_and_refused_only_in_a_header() {
    let server = TestServer::start().await;
    let mut wh = webhook("WH", "/echo");
    wh.query = vec![hookboard_engine::model::KeyValue {
        name: "note".into(),
        value: "${ 'first\\nsecond' }".into(),
    }];
    let trace = run_routing(wh.clone(), &server).await;
    assert_eq!(path_taken(&trace), "ok", "{trace:#?}");
    let got = &server.requests_to("/echo")[0];
    assert_eq!(got.query.as_deref(), Some("note=first%0Asecond"));

    wh.params_in_headers = true;
    let trace = run_routing(wh, &server).await;
    assert_eq!(trace.status, RunStatus::Failed);
    let err = trace.steps[1].error.as_ref().expect("error");
    assert!(
        err.message
            .contains("query `note`: a header value may not contain a line break"),
        "{}",
        err.message
    );
    assert_eq!(
        server.requests_to("/echo").len(),
        1,
        "nothing more was sent"
    );
}

#[tokio::test]
async fn set_field_refuses_a_value_the_contact_field_cannot_hold() {
    let server = TestServer::start().await;
    let workflow = |field: &str, value: &str| Workflow {
        name: "set".into(),
        description: String::new(),
        nodes: vec![
            node("start", "trigger_manual", json!({})),
            node(
                "set",
                "set_field",
                json!({"mappings": [{"field": field, "value": value}]}),
            ),
        ],
        edges: vec![edge("start", "next", "set")],
    };
    for (field, value, says) in [
        (
            "birthday",
            "not-a-date",
            "`not-a-date` is not a date (expected YYYY-MM-DD)",
        ),
        (
            "email",
            "${event.total}",
            "`42` is not a valid email address",
        ),
        ("phone", "call me", "`call me` is not a phone number"),
    ] {
        let trace = run(
            &bundle(vec![], workflow(field, value)),
            &server,
            &MemorySecretStore::new(),
        )
        .await;
        assert_eq!(trace.status, RunStatus::Failed, "{field}");
        let err = trace.steps[1].error.as_ref().expect("error");
        assert_eq!(err.message, format!("node `set`: field `{field}`: {says}"));
        assert_eq!(trace.contact.email.as_deref(), Some("ada@example.com"));
        assert_eq!(trace.contact.birthday, None, "nothing was written");
    }
    let trace = run(
        &bundle(vec![], workflow("birthday", "1815-12-10")),
        &server,
        &MemorySecretStore::new(),
    )
    .await;
    assert_eq!(trace.status, RunStatus::Completed);
    assert_eq!(trace.contact.birthday.as_deref(), Some("1815-12-10"));
}
