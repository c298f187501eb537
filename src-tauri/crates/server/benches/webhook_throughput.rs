//! Throughput of the "webhook workflow" against a bare axum + reqwest program.
//!
//! `cargo bench -p hookboard-server --bench webhook_throughput` starts a loopback mock API
//! (every tenth request answers 404, the others 201 `{"id": ...}`), then the real
//! `hookboard-server serve` on a temporary SQLite file with the demo bundle (webhook trigger ->
//! HTTP request to the mock -> Response switch on the status -> Set field). A loopback client
//! posts `BENCH_EVENTS` events (default 2000) to `/hooks/signup`, `BENCH_CONCURRENCY` at a time
//! (default 32), and the bench reports accepted events/s, end-to-end runs/s (until every run is
//! stored) and p50/p99 acknowledgement latency. It then does the same against a bare axum
//! handler that makes the same outbound call and answers after it, without persistence, and
//! prints the ratio. `BENCH_WORKERS` sets the server's workers (default 16).
//!
//! It also prints the CPU time per event of the server process and of the bench process (client
//! and mock; in the bare round also the bare program), which is what decides the ratio on a
//! machine with few cores.
//!
//! `SOAK_SECS=300` adds a soak: events are posted without pause for that long while the
//! server's resident memory is sampled every 10 s. A 503 (the server's queue is full) is
//! retried after its `Retry-After`; `BENCH_MAX_QUEUE` sets the server's `--max-queue`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The mock API: 404 for every tenth request, else 201 with an id.
async fn mock_api() -> Result<SocketAddr, Error> {
    let count = Arc::new(AtomicU64::new(0));
    let app = Router::new()
        .route(
            "/contacts",
            post(
                |State(count): State<Arc<AtomicU64>>, _body: axum::body::Bytes| async move {
                    let n = count.fetch_add(1, Ordering::Relaxed);
                    if n % 10 == 9 {
                        (
                            StatusCode::NOT_FOUND,
                            axum::Json(json!({"error": "no such list"})),
                        )
                            .into_response()
                    } else {
                        (
                            StatusCode::CREATED,
                            axum::Json(json!({"id": format!("crm-{n}")})),
                        )
                            .into_response()
                    }
                },
            ),
        )
        .with_state(count);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}

/// The demo bundle, `signup` received as a webhook, its CRM at the mock.
fn bundle(dir: &Path, mock: SocketAddr) -> Result<PathBuf, Error> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tests/fixtures/demo.bundle.json");
    let mut bundle: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    bundle["environments"][0]["variables"]["base_url"] = json!(format!("http://{mock}"));
    bundle["event_definitions"][0]["context"] = json!("webhook");
    let file = dir.join("bench.bundle.json");
    std::fs::write(&file, serde_json::to_string_pretty(&bundle)?)?;
    Ok(file)
}

/// The server process, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_server(bundle: &Path, db: &Path, workers: usize) -> Result<Server, Error> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let child = Command::new(env!("CARGO_BIN_EXE_hookboard-server"))
        .arg("serve")
        .arg("--bundle")
        .arg(bundle)
        .arg("--db")
        .arg(db)
        .args(["--listen", &addr.to_string(), "--env", "local"])
        .args(["--workers", &workers.to_string(), "--allow-private-network"])
        .args([
            "--max-queue",
            &env_number("BENCH_MAX_QUEUE", 10_000).to_string(),
        ])
        .env("HOOKBOARD_SECRET_CRM", "bench-token")
        .env("HOOKBOARD_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let server = Server { child, addr };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("http://{addr}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(server);
        }
        if Instant::now() > deadline {
            return Err("the server did not start".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The bare program: one handler that makes the same outbound call and answers after it.
async fn bare_program(mock: SocketAddr) -> Result<SocketAddr, Error> {
    let client = reqwest::Client::new();
    let app = Router::new()
        .route(
            "/hooks/signup",
            post(
                move |State(client): State<reqwest::Client>, body: axum::body::Bytes| async move {
                    let Ok(event) = serde_json::from_slice::<Value>(&body) else {
                        return StatusCode::BAD_REQUEST.into_response();
                    };
                    let outbound = json!({
                        "email": event["email"], "first_name": event["first_name"],
                        "plan": event["plan"], "signup": event["signup_id"],
                    });
                    let sent = client
                        .post(format!("http://{mock}/contacts?source=hookboard"))
                        .bearer_auth("bench-token")
                        .json(&outbound)
                        .send()
                        .await;
                    let field = match sent {
                        Ok(r) if r.status().is_success() => {
                            let parsed: Value = r.json().await.unwrap_or(Value::Null);
                            parsed["id"].clone()
                        }
                        Ok(r) if r.status() == StatusCode::NOT_FOUND => json!("missing"),
                        _ => json!("failed"),
                    };
                    (StatusCode::ACCEPTED, axum::Json(json!({"crm": field}))).into_response()
                },
            ),
        )
        .with_state(client);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}

fn event(i: usize, round: &str) -> String {
    json!({"email": format!("u{i}-{round}@example.com"), "signup_id": format!("{round}-{i}"),
           "first_name": "Ada", "plan": "pro"})
    .to_string()
}

/// Posts `count` events, `concurrency` at a time; returns each acknowledgement's latency.
async fn post_events(
    addr: SocketAddr,
    count: usize,
    concurrency: usize,
    round: &str,
) -> Result<Vec<Duration>, Error> {
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, next, round) = (client.clone(), next.clone(), round.to_string());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = usize::try_from(next.fetch_add(1, Ordering::Relaxed)).unwrap_or(usize::MAX);
                if i >= count {
                    return Ok::<_, Error>(latencies);
                }
                let started = Instant::now();
                let body = event(i, &round);
                let response = loop {
                    let response = client
                        .post(format!("http://{addr}/hooks/signup"))
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await?;
                    // Backpressure: the server's queue is full; wait as told, then again.
                    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
                        let wait = response
                            .headers()
                            .get("retry-after")
                            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                            .unwrap_or(1);
                        tokio::time::sleep(Duration::from_secs(wait)).await;
                        continue;
                    }
                    break response;
                };
                if response.status() != StatusCode::ACCEPTED {
                    return Err(format!("event {i}: status {}", response.status()).into());
                }
                latencies.push(started.elapsed());
            }
        });
    }
    let mut all = Vec::with_capacity(count);
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    Ok(all)
}

/// Sum of `hookboard_runs_total` over every status.
async fn runs_stored(client: &reqwest::Client, addr: SocketAddr) -> Result<u64, Error> {
    let text = client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    Ok(text
        .lines()
        .filter(|l| l.starts_with("hookboard_runs_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

struct Figures {
    accepted_per_s: f64,
    runs_per_s: f64,
    p50: Duration,
    p99: Duration,
}

fn report(name: &str, f: &Figures) {
    println!(
        "{name:<18} accepted {:>8.0} events/s   runs {:>8.0} runs/s   ack p50 {:>7.2} ms   p99 {:>7.2} ms",
        f.accepted_per_s,
        f.runs_per_s,
        f.p50.as_secs_f64() * 1000.0,
        f.p99.as_secs_f64() * 1000.0
    );
}

/// CPU time (user + system) a process has used so far, from `/proc/<pid>/stat`.
fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports clock ticks of 1/100 s (USER_HZ) on every common platform.
    Some(Duration::from_millis(ticks * 10))
}

/// CPU time used per event by the server process and by this process (client and mock, plus
/// the bare program in its round) between two readings.
fn cpu_per_event(
    before: (Duration, Duration),
    after: (Duration, Duration),
    count: usize,
) -> String {
    let per =
        |a: Duration, b: Duration| a.saturating_sub(b).as_secs_f64() * 1e6 / count.max(1) as f64;
    format!(
        "CPU per event: server {:>6.0} us, bench process {:>6.0} us",
        per(after.0, before.0),
        per(after.1, before.1)
    )
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

async fn measure_server(
    server: &Server,
    count: usize,
    concurrency: usize,
    round: &str,
    runs_before: u64,
) -> Result<Figures, Error> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut latencies = post_events(server.addr, count, concurrency, round).await?;
    let accepted = started.elapsed();
    let target = runs_before + count as u64;
    let deadline = Instant::now() + Duration::from_secs(600);
    while runs_stored(&client, server.addr).await? < target {
        if Instant::now() > deadline {
            return Err("the runs did not finish within 10 minutes".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let finished = started.elapsed();
    latencies.sort_unstable();
    Ok(Figures {
        accepted_per_s: count as f64 / accepted.as_secs_f64(),
        runs_per_s: count as f64 / finished.as_secs_f64(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
    })
}

async fn bench() -> Result<(), Error> {
    let count = env_number("BENCH_EVENTS", 2000);
    let concurrency = env_number("BENCH_CONCURRENCY", 32).max(1);
    let workers = env_number("BENCH_WORKERS", 16).max(1);
    let soak = env_number("SOAK_SECS", 0);
    let dir = tempfile::tempdir()?;
    let mock = mock_api().await?;
    let bundle = bundle(dir.path(), mock)?;
    let server = start_server(&bundle, &dir.path().join("bench.db"), workers).await?;
    println!(
        "webhook workflow: {count} events, concurrency {concurrency}, {workers} workers, \
         {} CPUs",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    // A short warm-up (connections, SQLite pages), not counted.
    let warm = count.min(200);
    measure_server(&server, warm, concurrency, "warm", 0).await?;
    let server_pid = server.child.id().to_string();
    let cpu = || {
        (
            cpu_time(&server_pid).unwrap_or_default(),
            cpu_time("self").unwrap_or_default(),
        )
    };
    let before = cpu();
    let ours = measure_server(&server, count, concurrency, "main", warm as u64).await?;
    let ours_cpu = cpu_per_event(before, cpu(), count);
    report("hookboard-server", &ours);
    println!("{:<18} {ours_cpu}", "");
    let bare_addr = bare_program(mock).await?;
    post_events(bare_addr, warm, concurrency, "warm").await?;
    let before = cpu();
    let started = Instant::now();
    let mut latencies = post_events(bare_addr, count, concurrency, "main").await?;
    let elapsed = started.elapsed();
    let bare_cpu = cpu_per_event(before, cpu(), count);
    latencies.sort_unstable();
    let bare = Figures {
        accepted_per_s: count as f64 / elapsed.as_secs_f64(),
        runs_per_s: count as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
    };
    report("bare axum+reqwest", &bare);
    println!("{:<18} {bare_cpu}", "");
    println!(
        "ratio: end-to-end runs/s {:.0}% of the bare program's (goal >= 50%), accepted events/s {:.0}%",
        100.0 * ours.runs_per_s / bare.runs_per_s,
        100.0 * ours.accepted_per_s / bare.accepted_per_s
    );
    if soak > 0 {
        soak_test(&server, soak, concurrency, count + warm).await?;
    }
    Ok(())
}

/// Posts events without pause for `secs` seconds, printing the server's RSS every 10 s.
async fn soak_test(
    server: &Server,
    secs: usize,
    concurrency: usize,
    runs_before: usize,
) -> Result<(), Error> {
    let pid = server.child.id();
    println!("soak: {secs} s, RSS of pid {pid} every 10 s");
    let started = Instant::now();
    let end = started + Duration::from_secs(secs as u64);
    let mut posted = 0usize;
    let mut round = 0usize;
    let mut next_sample = started;
    let client = reqwest::Client::new();
    while Instant::now() < end {
        if Instant::now() >= next_sample {
            let runs = runs_stored(&client, server.addr).await?;
            println!(
                "soak t={:>4}s rss={:>8} KiB posted={posted} runs={}",
                started.elapsed().as_secs(),
                rss_kib(pid).unwrap_or(0),
                runs.saturating_sub(runs_before as u64)
            );
            next_sample += Duration::from_secs(10);
        }
        let batch = 500;
        post_events(server.addr, batch, concurrency, &format!("soak{round}")).await?;
        posted += batch;
        round += 1;
    }
    println!(
        "soak end t={}s rss={} KiB posted={posted}",
        started.elapsed().as_secs(),
        rss_kib(pid).unwrap_or(0)
    );
    Ok(())
}

fn main() {
    // `cargo bench` passes `--bench`; with any other filter argument there is nothing to run.
    if std::env::args().skip(1).any(|a| a != "--bench") {
        return;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(bench()) {
        eprintln!("bench failed: {e}");
        std::process::exit(1);
    }
}
