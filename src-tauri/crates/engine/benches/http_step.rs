//! One HTTP step through the engine (render, send, parse, route) against a bare reqwest call
//! to the same loopback server, in the same run; and rendering a typical JSON body.
//!
//! `cargo bench -p hookboard-engine --bench http_step`. Goals: the engine step within 10% of
//! the bare call for a 1 KiB JSON body; rendering a typical body under 5 µs.
//!
//! Both calls send the same 1 KiB JSON body to the same server over one pooled connection and
//! read and parse the JSON answer; the bare call has no timeout (the engine must have one).
//! Criterion measures the benchmarks one after the other, so on a busy machine their ratio
//! drifts with the load; the last part therefore alternates the two calls in rounds and
//! prints the ratio of their medians, which is the figure to compare with the goal.
//! The process uses mimalloc, as `hookboard-server` does.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use criterion::{Criterion, criterion_group, criterion_main};
use hookboard_engine::expr::{Expressions, Scope};
use hookboard_engine::http::HttpPolicy;
use hookboard_engine::model::{
    Body, BodyKind, Bundle, Contact, Edge, Event, HttpMethod, Node, Position, ResponseParsing,
    RetryPolicy, Webhook, Workflow,
};
use hookboard_engine::runner::{Engine, RunOptions};
use hookboard_engine::trace::RunStatus;
use hookboard_secrets::MemorySecretStore;
use serde_json::{Value, json};

/// The allocator `hookboard-server` runs the engine with; both calls use it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A typical body: ten fields from the event, the contact and an earlier response.
const BODY_TEMPLATE: &str = r#"{
  "email": "${contact.email}",
  "first_name": "${contact.first_name}",
  "city": "${contact.city}",
  "order_id": "${event.order.id}",
  "total": "${event.order.total}",
  "currency": "${event.order.currency | upper}",
  "items": "${event.order.items}",
  "promo": "${event.promo | default('none')}",
  "note": "Order ${event.order.id} for ${contact.first_name}",
  "padding": "PADDING"
}"#;

fn scope() -> Scope {
    Scope {
        event: json!({"order": {"id": "o-123", "total": 99.5, "currency": "eur", "items": [1, 2, 3]}}),
        contact: Contact {
            id: "c1".into(),
            email: Some("ada@example.com".into()),
            first_name: Some("Ada".into()),
            city: Some("London".into()),
            ..Contact::default()
        },
        run: json!({"id": "r1", "workflow": "bench"}),
        error: json!({}),
        ..Scope::default()
    }
}

/// The body template padded so that the rendered body is about 1 KiB.
fn one_kib_template() -> String {
    let rendered_len = 260;
    BODY_TEMPLATE.replace("PADDING", &"x".repeat(1024 - rendered_len))
}

fn node(id: &str, kind: &str, params: Value) -> Node {
    Node {
        id: id.into(),
        kind: kind.into(),
        title: None,
        position: Position::default(),
        params: serde_json::from_value::<BTreeMap<String, Value>>(params).unwrap_or_default(),
    }
}

fn edge(from: &str, port: &str, to: &str) -> Edge {
    Edge {
        from: from.into(),
        port: port.into(),
        to: to.into(),
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = Router::new().route(
        "/orders",
        post(|body: axum::body::Bytes| async move {
            axum::Json(json!({"accepted": true, "bytes": body.len(), "status": "active"}))
        }),
    );
    runtime.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let ex = Expressions::new();
    let ctx = scope().to_context();
    let template = one_kib_template();
    let rendered = ex.render_json(&template, &ctx).expect("renders");
    let rendered_bytes = serde_json::to_vec(&rendered).expect("bytes");
    assert!(
        (900..1200).contains(&rendered_bytes.len()),
        "body is about 1 KiB"
    );

    c.bench_function("render typical JSON body", |b| {
        b.iter(|| ex.render_json_text(BODY_TEMPLATE, &ctx).expect("renders"))
    });

    let url = format!("http://{addr}/orders");
    let bare = reqwest::Client::new();
    c.bench_function("bare reqwest POST 1 KiB JSON", |b| {
        b.to_async(&runtime).iter(|| async {
            let response = bare
                .post(&url)
                .header("content-type", "application/json")
                .body(rendered_bytes.clone())
                .send()
                .await
                .expect("sends");
            let status = response.status();
            let bytes = response.bytes().await.expect("body");
            let parsed: Value = serde_json::from_slice(&bytes).expect("json");
            assert!(status.is_success() && parsed["accepted"] == true);
        })
    });

    // The engine's HTTP client alone (no rendering, no trace): tells the client's share of
    // the step's overhead from the runner's.
    let client = hookboard_engine::http::HttpClient::new(HttpPolicy::default()).expect("client");
    let request = hookboard_engine::http::OutboundRequest {
        method: HttpMethod::Post,
        url: url::Url::parse(&url).expect("url"),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Some(rendered_bytes.clone()),
    };
    let once = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    c.bench_function("engine HttpClient::send only", |b| {
        b.to_async(&runtime).iter(|| async {
            let response = client
                .send(&request, std::time::Duration::from_secs(5), &once)
                .await
                .expect("sends");
            assert_eq!(response.status, 200);
        })
    });

    let webhook = Webhook {
        name: "ORDERS".into(),
        description: String::new(),
        method: HttpMethod::Post,
        url: "${env.base}/orders".into(),
        query: vec![],
        headers: vec![],
        params_in_headers: false,
        body: Body {
            kind: BodyKind::Json,
            template,
            form: vec![],
        },
        content_type: None,
        connector: None,
        response: ResponseParsing::Json,
        timeout_ms: 5_000,
        retry: RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
    };
    let workflow = Workflow {
        name: "bench".into(),
        description: String::new(),
        nodes: vec![
            node("start", "trigger_manual", json!({})),
            node("call", "http_request", json!({"webhook": "ORDERS"})),
            node(
                "route",
                "response_switch",
                json!({"paths": [{"name": "ok", "when": "200-299"}]}),
            ),
            node("done", "end", json!({})),
        ],
        edges: vec![
            edge("start", "next", "call"),
            edge("call", "response", "route"),
            edge("call", "error", "done"),
            edge("route", "ok", "done"),
            edge("route", "fallback", "done"),
        ],
    };
    let bundle = Bundle {
        webhooks: vec![webhook],
        workflows: vec![workflow],
        ..Bundle::default()
    };
    let engine = Engine::new(HttpPolicy::default()).expect("engine");
    let secrets = MemorySecretStore::new();
    let mut env = BTreeMap::new();
    env.insert("base".to_string(), format!("http://{addr}"));
    let options = RunOptions {
        env,
        ..RunOptions::default()
    };
    let base = scope();
    let step = || async {
        engine
            .run(
                &bundle,
                &bundle.workflows[0],
                &secrets,
                base.contact.clone(),
                Event {
                    alias: String::new(),
                    source: "bench".into(),
                    payload: base.event.clone(),
                },
                &options,
            )
            .await
    };
    let bare_call = || async {
        let response = bare
            .post(&url)
            .header("content-type", "application/json")
            .body(rendered_bytes.clone())
            .send()
            .await
            .expect("sends");
        let bytes = response.bytes().await.expect("body");
        let parsed: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(parsed["accepted"], true);
    };
    c.bench_function("engine HTTP step (render, send, parse, route)", |b| {
        b.to_async(&runtime).iter(|| async {
            let trace = step().await;
            assert_eq!(
                trace.status,
                RunStatus::Completed,
                "{:?}",
                trace.steps.last()
            );
        })
    });

    let send_only = || async {
        let response = client
            .send(&request, std::time::Duration::from_secs(5), &once)
            .await
            .expect("sends");
        assert_eq!(response.status, 200);
    };
    let (bare_us, send_us) = median_pair(&runtime, 300, bare_call, send_only);
    println!(
        "interleaved, medians: bare reqwest {bare_us:.1} µs, engine HttpClient::send {send_us:.1} µs, \
         send/bare {:.3}",
        send_us / bare_us
    );
    let (bare_us, step_us) = median_pair(&runtime, 300, bare_call, step);
    println!(
        "interleaved, medians: bare reqwest {bare_us:.1} µs, engine step {step_us:.1} µs, \
         engine/bare {:.3}",
        step_us / bare_us
    );
}

/// Runs `a` and `b` alternately, ten calls of each per round, and returns the median time
/// of each in microseconds.
fn median_pair<A, FA, B, FB, T>(
    runtime: &tokio::runtime::Runtime,
    rounds: usize,
    a: A,
    b: B,
) -> (f64, f64)
where
    A: Fn() -> FA,
    FA: Future<Output = ()>,
    B: Fn() -> FB,
    FB: Future<Output = T>,
{
    let time = |f: &dyn Fn()| {
        let started = Instant::now();
        f();
        started.elapsed()
    };
    let mut times_a: Vec<Duration> = Vec::with_capacity(rounds * 10);
    let mut times_b: Vec<Duration> = Vec::with_capacity(rounds * 10);
    for round in 0..rounds {
        for turn in 0..2 {
            for _ in 0..10 {
                if (round + turn) % 2 == 0 {
                    times_a.push(time(&|| runtime.block_on(a())));
                } else {
                    times_b.push(time(&|| {
                        runtime.block_on(b());
                    }));
                }
            }
        }
    }
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2].as_secs_f64() * 1e6
    };
    (median(&mut times_a), median(&mut times_b))
}

criterion_group!(benches, bench);
criterion_main!(benches);
