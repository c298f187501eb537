//! `hookboard-server serve`: the durable receiver. Inbound events are validated, committed to
//! the store, acknowledged, then run by N workers; every committed event not yet processed is
//! picked up again after a restart.

use std::collections::HashMap;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hookboard_engine::http::HttpPolicy;
use hookboard_engine::model::{Bundle, Contact, Event, EventContext, EventDefinition, Workflow};
use hookboard_engine::runner::{Engine, RunOptions, SUBSCRIPTION_EVENT_SOURCE, WaitMode};
use hookboard_engine::trace::{RunStatus, RunTrace};
use hookboard_engine::validate::ValidationOptions;
use hookboard_secrets::{ChainSecretStore, SecretStore};
use hookboard_store::{
    AcceptedEvent, Durability, NewEvent, NewRejectedEvent, QueuedRun, RunFilter, RunMeta,
    RunRecord, StartedBetween, Store, StoreOptions, StoredEvent,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bundle::{environment_variables, load_bundle, secret_sources};
use crate::commit::Committer;
use crate::inbound::{Accepted, Refusal, check, create_contact_flag, parse_json};
use crate::keys::ServerDb;
use crate::metrics::Metrics;

/// Largest inbound body accepted, in bytes (SPEC 6); larger bodies get 413.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// What `serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Bundle file or directory.
    pub bundle: PathBuf,
    /// SQLite database file.
    pub db: PathBuf,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Number of worker tasks running workflows.
    pub workers: usize,
    /// Environment of the bundle whose variables `${env.NAME}` reads.
    pub env: Option<String>,
    /// Secrets file (JSON object: connector name → secret).
    pub secrets_file: Option<PathBuf>,
    /// Allow outbound requests to private, loopback and link-local addresses.
    pub allow_private_network: bool,
    /// Allow http:// URLs to hosts other than loopback (SPEC 8: refused unless a server flag
    /// says so).
    pub allow_insecure_http: bool,
    /// How long, after SIGTERM, open requests and runs in flight may take before the process
    /// exits anyway ([`DEFAULT_SHUTDOWN_GRACE`]).
    pub shutdown_grace: std::time::Duration,
    /// Most events and runs waiting for a worker; past it, new events wait up to
    /// [`ACCEPT_WAIT`] for room, then get 503 with `Retry-After` (backpressure).
    pub max_queue: usize,
}

/// Default of [`ServeConfig::max_queue`].
pub const DEFAULT_MAX_QUEUE: usize = 10_000;

/// How long an event waits for room in a full queue before the 503.
pub const ACCEPT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Read-only database connections for the workers' and the API's reads.
const READERS: usize = 2;

/// Why the server could not start; [`StartError::exit_code`] says how the process ends.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Bad input (bundle, environment, secrets file): exit status 2.
    #[error("{0}")]
    Input(String),
    /// The database or the listening socket failed: exit status 1.
    #[error("{0}")]
    Runtime(String),
}

impl StartError {
    /// 2 for bad input, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            StartError::Input(_) => 2,
            StartError::Runtime(_) => 1,
        }
    }
}

/// Everything the handlers and workers share.
pub struct AppState {
    pub(crate) bundle: Bundle,
    pub(crate) store: Arc<Store>,
    pub(crate) db: Arc<ServerDb>,
    pub(crate) engine: Engine,
    pub(crate) secrets: ChainSecretStore,
    pub(crate) env: std::collections::BTreeMap<String, String>,
    pub(crate) queue: mpsc::UnboundedSender<Work>,
    pub(crate) committer: Committer,
    pub(crate) max_queue: usize,
    /// Woken when a worker finishes an item (room in a full queue).
    pub(crate) room: tokio::sync::Notify,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) contact_turns: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Runs whose wait is due and queued to be woken (not queued twice).
    pub(crate) waking: std::sync::Mutex<std::collections::HashSet<String>>,
    /// The aliases some Wait for event of the bundle waits for: only their events are
    /// looked up for waiting runs.
    pub(crate) awaited_aliases: std::collections::HashSet<String>,
}

impl AppState {
    /// The lock that makes runs of one contact take turns. Locks nobody holds or waits for
    /// are dropped from the map as it grows.
    pub(crate) fn contact_turn(&self, contact_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut turns = self
            .contact_turns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if turns.len() > 1024 {
            turns.retain(|_, turn| Arc::strong_count(turn) > 1);
        }
        turns.entry(contact_id.to_string()).or_default().clone()
    }
}

pub(crate) type App = Arc<AppState>;

/// One item of the workers' queue; every kind is kept in the store until done.
#[derive(Debug, Clone)]
pub(crate) enum Work {
    /// A received event, by id (queued at start or by a replay): deliver it to the runs
    /// waiting for it, then run every workflow its alias triggers (or apply its subscription's
    /// journey behaviour).
    Event(String),
    /// [`Work::Event`] for an event just committed, handed over whole (nothing to read back,
    /// and no run can exist for it yet).
    Received(Box<StoredEvent>),
    /// A queued run (replay, contact entering a group), by the id the run will have.
    Run(String),
    /// A waiting run whose Wait ended or whose Wait for event timed out.
    Wake(String),
}

/// Loads the bundle, environment and secrets, opens the database and binds the address;
/// then serves until the process ends.
pub async fn serve(config: ServeConfig) -> Result<(), StartError> {
    let options = ValidationOptions {
        allow_insecure_http: config.allow_insecure_http,
    };
    let (bundle, warnings) =
        load_bundle(&config.bundle, options).map_err(|e| StartError::Input(e.to_string()))?;
    for warning in warnings {
        tracing::warn!(path = %warning.path, "{}", warning.message);
    }
    let env = environment_variables(&bundle, config.env.as_deref(), &config.bundle)
        .map_err(StartError::Input)?;
    let secrets = secret_sources(config.secrets_file.as_deref()).map_err(StartError::Input)?;
    // synchronous=NORMAL in WAL mode: a commit survives the process being killed (kill -9),
    // not a power loss or an OS crash; see the README.
    let options = StoreOptions {
        durability: Durability::Normal,
        readers: READERS,
    };
    let store = Arc::new(
        Store::open_with(&config.db, options).map_err(|e| StartError::Runtime(e.to_string()))?,
    );
    let db = ServerDb::open(&config.db)
        .map_err(|e| StartError::Runtime(format!("cannot open {}: {e}", config.db.display())))?;
    // SPEC 8: no outbound request reaches a private, loopback or link-local address (resolved
    // address and redirects included) unless `--allow-private-network` says so.
    let policy = HttpPolicy {
        block_private_networks: !config.allow_private_network,
        allow_insecure_http: config.allow_insecure_http,
        ..HttpPolicy::default()
    };
    let engine = Engine::new(policy).map_err(|e| StartError::Runtime(e.to_string()))?;
    if config.allow_private_network {
        tracing::info!("private network addresses allowed for outbound requests");
    }
    if config.allow_insecure_http {
        tracing::warn!(
            "http:// allowed to any host: requests and their credentials are not encrypted"
        );
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| StartError::Runtime(format!("cannot listen on {}: {e}", config.listen)))?;
    let (sender, receiver) = mpsc::unbounded_channel();
    let metrics = Arc::new(Metrics::default());
    let on_accepted = {
        let (queue, metrics) = (sender.clone(), metrics.clone());
        Box::new(move |new: &NewEvent, accepted: &AcceptedEvent| {
            if let AcceptedEvent::Stored {
                inserted,
                contact_id,
                received_at,
            } = accepted
                && !inserted.duplicate
            {
                metrics.accepted(&new.event.alias);
                let _ = queue.send(Work::Received(Box::new(StoredEvent {
                    id: inserted.id.clone(),
                    event: new.event.clone(),
                    contact_id: Some(contact_id.clone()),
                    primary_key: new.primary_key.clone(),
                    received_at: *received_at,
                })));
            }
        })
    };
    let committer = Committer::start(store.clone(), on_accepted)
        .map_err(|e| StartError::Runtime(format!("cannot start the commit thread: {e}")))?;
    let app: App = Arc::new(AppState {
        store,
        db: Arc::new(db),
        engine,
        secrets,
        env,
        queue: sender,
        committer,
        max_queue: config.max_queue.max(1),
        room: tokio::sync::Notify::new(),
        metrics,
        contact_turns: Default::default(),
        waking: Default::default(),
        awaited_aliases: crate::journeys::awaited_aliases(&bundle),
        bundle,
    });
    let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..config.workers.max(1) {
        workers.spawn(worker(app.clone(), receiver.clone(), stopped.clone()));
    }
    let pending = {
        let db = app.db.clone();
        let store = app.store.clone();
        tokio::task::spawn_blocking(move || {
            let events = db.pending_events().map_err(|e| e.to_string())?;
            let runs = store.pending_queued_runs().map_err(|e| e.to_string())?;
            Ok::<_, String>((events, runs))
        })
        .await
        .map_err(|e| StartError::Runtime(e.to_string()))?
        .map_err(|e| StartError::Runtime(format!("cannot read the queue: {e}")))?
    };
    let (events, runs) = pending;
    if !events.is_empty() || !runs.is_empty() {
        tracing::info!(
            events = events.len(),
            runs = runs.len(),
            "resuming queued events and runs"
        );
    }
    app.metrics.resumed(events.len() + runs.len());
    for id in events {
        let _ = app.queue.send(Work::Event(id));
    }
    for id in runs {
        let _ = app.queue.send(Work::Run(id));
    }
    // Waits whose time comes (and those that came while the server was stopped) are woken.
    tokio::spawn(crate::journeys::wake_due_runs(app.clone(), stopped.clone()));
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Runtime(e.to_string()))?;
    tracing::info!(%addr, "listening on http://{addr}");
    let (signalled, mut on_signal) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, router(app))
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = signalled.send(());
        })
        .into_future();
    let mut server = std::pin::pin!(server);
    let served = tokio::select! {
        served = &mut server => Some(served),
        _ = &mut on_signal => None,
    };
    // The grace period counts from the signal: requests still being received or answered,
    // then the runs in flight, share it; a client that never finishes its request cannot
    // hold the server up.
    let grace = config.shutdown_grace;
    let deadline = tokio::time::Instant::now() + grace;
    let connections_closed = match served {
        Some(served) => {
            served.map_err(|e| StartError::Runtime(format!("the server stopped: {e}")))?;
            true
        }
        None => matches!(
            tokio::time::timeout_at(deadline, &mut server).await,
            Ok(Ok(()))
        ),
    };
    // No new events arrive now; workers finish the run they are in, the rest stays queued in
    // the database for the next start.
    let _ = stop.send(true);
    // What is left of the grace, and at least a moment: idle workers stop at once even when
    // open requests used the whole grace.
    let drain_until = deadline.max(tokio::time::Instant::now() + std::time::Duration::from_secs(1));
    let drained = tokio::time::timeout_at(drain_until, async {
        while workers.join_next().await.is_some() {}
    })
    .await;
    if !connections_closed {
        tracing::warn!(
            "stopped waiting for open requests after {}s; their clients get no answer",
            grace.as_secs_f64()
        );
    }
    match drained {
        Ok(()) => tracing::info!("stopped; queued events run at the next start"),
        Err(_) => tracing::warn!(
            "stopped after {}s with runs in flight; their events run again at the next start",
            grace.as_secs_f64()
        ),
    }
    Ok(())
}

/// Default of [`ServeConfig::shutdown_grace`].
pub const DEFAULT_SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down: no new requests; runs in flight may finish");
}

/// The HTTP routes, with the 512 KiB body limit. Every route is registered with its
/// `#[utoipa::path]` description, so `GET /openapi.json` documents each one.
pub fn router(app: App) -> Router {
    let (router, api) = OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(metrics))
        .routes(routes!(openapi_json))
        .routes(routes!(webhook_event))
        .routes(routes!(public_api_event))
        .routes(routes!(replay_rejected))
        .routes(routes!(list_rejected))
        .routes(routes!(get_rejected))
        .routes(routes!(list_runs))
        .routes(routes!(get_run))
        .routes(routes!(replay_run))
        .routes(routes!(enter_group))
        .routes(routes!(crate::journeys::subscription_event))
        .split_for_parts();
    router
        .layer(axum::Extension(Arc::new(api)))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response_with_state(
            app.clone(),
            count_too_large,
        ))
        .with_state(app)
}

/// `GET /healthz`.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The server is up", body = crate::openapi::Health)))]
async fn healthz() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

/// `GET /openapi.json`: this API's OpenAPI document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI document of this server", body = Object)))]
async fn openapi_json(
    axum::Extension(api): axum::Extension<Arc<utoipa::openapi::OpenApi>>,
) -> Response {
    axum::Json(api.as_ref().clone()).into_response()
}

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format: events accepted, duplicated and rejected by reason, runs by status, step duration histogram, queue depth", content_type = "text/plain", body = String)))]
async fn metrics(State(app): State<App>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}

/// Counts the 413 answers the body limit makes before any handler runs, and gives them the
/// JSON error body every other refusal has.
async fn count_too_large(State(app): State<App>, response: Response) -> Response {
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        app.metrics.rejected("too_large");
    }
    too_large_as_json(response).await
}

/// A 413 of the body limit (plain text from axum) as a JSON error body; other answers as
/// they are.
pub(crate) async fn too_large_as_json(response: Response) -> Response {
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the body is larger than {} KiB; nothing was stored",
            MAX_BODY_BYTES / 1024
        ),
    )
}

pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": message.into()}))).into_response()
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!("{e}");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error; see the server log",
    )
}

/// An error response made inside blocking work (boxed: responses are large).
type Failure = Box<Response>;

fn failed(e: impl std::fmt::Display) -> Failure {
    Box::new(internal(e))
}

/// A failed look-up by id: 404 when nothing has the id, else 500.
fn missing_or_failed(e: hookboard_store::StoreError) -> Failure {
    if e.code() == "not_found" {
        Box::new(error(StatusCode::NOT_FOUND, e.to_string()))
    } else {
        failed(e)
    }
}

/// Runs blocking store work off the async threads; `Err` is the response to send.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(|response| *response),
        Err(e) => Err(internal(e)),
    }
}

fn definition(app: &AppState, alias: &str, context: EventContext) -> Option<EventDefinition> {
    app.bundle
        .event_definitions
        .iter()
        .find(|d| d.alias == alias && d.context == context)
        .cloned()
}

/// Keeps a rejected body with its reason, then answers with the refusal's status.
pub(crate) async fn reject(
    app: &App,
    alias: &str,
    source: &str,
    refusal: Refusal,
    body: Bytes,
) -> Response {
    let status = refusal.status;
    app.metrics.rejected(if status == StatusCode::BAD_REQUEST {
        "malformed_json"
    } else {
        "invalid"
    });
    let store = app.store.clone();
    let rejected = NewRejectedEvent {
        alias: alias.to_string(),
        source: source.to_string(),
        reason: refusal.reason(),
        raw_body: body.to_vec(),
    };
    match blocking(move || store.insert_rejected_event(&rejected).map_err(failed)).await {
        Ok(id) => {
            tracing::info!(alias, rejected_id = %id, status = status.as_u16(), "event rejected");
            let mut out = json!({"error": refusal.message, "rejected_id": id});
            if !refusal.problems.is_empty() {
                out["problems"] = json!(refusal.problems);
            }
            (status, axum::Json(out)).into_response()
        }
        Err(response) => response,
    }
}

/// Parses and validates a body; `Err` is the response already made (and the rejection kept).
async fn accept(
    app: &App,
    definition: &EventDefinition,
    source: &str,
    body: Bytes,
) -> Result<Accepted, Response> {
    match check(definition, &body) {
        Ok(accepted) => Ok(accepted),
        Err(refusal) => Err(reject(app, &definition.alias, source, refusal, body).await),
    }
}

/// A rejected body as the API shows it.
fn rejected_json(rejected: &hookboard_store::RejectedEvent) -> Value {
    json!({
        "id": rejected.id,
        "alias": rejected.alias,
        "source": rejected.source,
        "reason": rejected.reason,
        "body": String::from_utf8_lossy(&rejected.raw_body),
        "received_at": rejected.received_at.to_rfc3339(),
    })
}

/// The rejected event `id`, if the key's scope covers the alias it was posted to; `Err` is
/// the answer (404, 403).
async fn rejected_in_scope(
    app: &App,
    scope: &str,
    id: String,
) -> Result<hookboard_store::RejectedEvent, Response> {
    let store = app.store.clone();
    let rejected =
        blocking(move || store.get_rejected_event(&id).map_err(missing_or_failed)).await?;
    if !scope_covers(&app.bundle, scope, &rejected.alias) {
        return Err(error(
            StatusCode::FORBIDDEN,
            format!(
                "this API key's scope `{scope}` does not cover `{}`, which this body was posted to",
                rejected.alias
            ),
        ));
    }
    Ok(rejected)
}

/// `GET /api/v1/rejected` (API key): the bodies the server refused, newest first, with why.
#[utoipa::path(get, path = "/api/v1/rejected", tag = "inbound",
    params(
        ("alias" = Option<String>, Query, description = "Only those posted to this alias"),
        ("limit" = Option<usize>, Query, description = "At most this many (default 100, at most 1000)"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Refused bodies, newest first", body = crate::openapi::RejectedList),
        (status = 400, description = "limit is not a whole number", body = crate::openapi::ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = crate::openapi::ErrorBody),
        (status = 403, description = "The key's scope does not cover the alias (without `alias`: does not cover every event)", body = crate::openapi::ErrorBody),
    ))]
async fn list_rejected(
    State(app): State<App>,
    Query(query): Query<HashMap<String, String>>,
    ApiScope(scope): ApiScope,
) -> Response {
    let alias = query.get("alias").cloned();
    let allowed = match &alias {
        Some(alias) => scope_covers(&app.bundle, &scope, alias),
        None => scope_covers_everything(&app.bundle, &scope),
    };
    if !allowed {
        return error(
            StatusCode::FORBIDDEN,
            format!(
                "this API key's scope `{scope}` does not cover {}",
                alias.map_or(
                    "every event; ask for one alias with ?alias=".to_string(),
                    |a| { format!("`{a}`") }
                )
            ),
        );
    }
    let limit = match query.get("limit").map(|text| text.parse::<usize>()) {
        None => 100,
        Some(Ok(limit)) => limit.min(1000),
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "limit must be a whole number"),
    };
    let store = app.store.clone();
    match blocking(move || {
        store
            .list_rejected_events(alias.as_deref(), limit)
            .map_err(failed)
    })
    .await
    {
        Ok(rejected) => axum::Json(json!({
            "rejected": rejected.iter().map(rejected_json).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(response) => response,
    }
}

/// `GET /api/v1/rejected/{id}` (API key): one refused body, with why.
#[utoipa::path(get, path = "/api/v1/rejected/{id}", tag = "inbound",
    params(("id" = String, Path, description = "Id of a rejected event")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The refused body and why", body = crate::openapi::RejectedDoc),
        (status = 401, description = "Missing or unknown API key", body = crate::openapi::ErrorBody),
        (status = 403, description = "The key's scope does not cover the alias it was posted to", body = crate::openapi::ErrorBody),
        (status = 404, description = "No rejected event with this id", body = crate::openapi::ErrorBody),
    ))]
async fn get_rejected(
    State(app): State<App>,
    Path(id): Path<String>,
    ApiScope(scope): ApiScope,
) -> Response {
    match rejected_in_scope(&app, &scope, id).await {
        Ok(rejected) => axum::Json(rejected_json(&rejected)).into_response(),
        Err(response) => response,
    }
}

/// `POST /api/v1/rejected/{id}/replay` (API key): validates a rejected body again against the
/// current definition; when it passes, the event is committed and run as if just received, and
/// the rejected copy is deleted. Webhook events create their contact; public API events follow
/// `createContact`. A body that still fails gets the same answer as before and is kept.
#[utoipa::path(post, path = "/api/v1/rejected/{id}/replay", tag = "inbound",
    params(
        ("id" = String, Path, description = "Id of a rejected event"),
        ("createContact" = Option<bool>, Query, description = "For a public API event: create a missing contact"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 202, description = "Valid now: committed, queued and removed from the rejected list", body = crate::openapi::EventAccepted),
        (status = 400, description = "The body is still malformed JSON, or createContact is not true or false", body = crate::openapi::ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = crate::openapi::ErrorBody),
        (status = 403, description = "The key's scope does not cover the alias it was posted to", body = crate::openapi::ErrorBody),
        (status = 404, description = "No rejected event with this id, or its alias is gone", body = crate::openapi::ErrorBody),
        (status = 422, description = "Still not valid; it stays in the rejected list", body = crate::openapi::ErrorBody),
        (status = 503, description = "The queue is full; retry after Retry-After seconds", body = crate::openapi::ErrorBody),
    ))]
async fn replay_rejected(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    ApiScope(scope): ApiScope,
) -> Response {
    let rejected = match rejected_in_scope(&app, &scope, id.clone()).await {
        Ok(rejected) => rejected,
        Err(response) => return response,
    };
    let checked = if rejected.source == SUBSCRIPTION_EVENT_SOURCE {
        match crate::journeys::listeners(&app.bundle.workflows, &rejected.alias).first() {
            Some(listener) => crate::journeys::check_message(
                app.engine.expressions(),
                listener,
                &rejected.raw_body,
            )
            .map(|(accepted, _)| (accepted, true)),
            None => {
                return error(
                    StatusCode::NOT_FOUND,
                    format!(
                        "no workflow listens to the subscription `{}` any more",
                        rejected.alias
                    ),
                );
            }
        }
    } else {
        let (context, create_contact) = if rejected.source == "public_api" {
            match create_contact_flag(&query) {
                Ok(create) => (EventContext::PublicApi, create),
                Err(message) => return error(StatusCode::BAD_REQUEST, message),
            }
        } else {
            (EventContext::Webhook, true)
        };
        let Some(definition) = definition(&app, &rejected.alias, context) else {
            return error(
                StatusCode::NOT_FOUND,
                format!("the bundle has no event `{}` any more", rejected.alias),
            );
        };
        check(&definition, &rejected.raw_body).map(|accepted| (accepted, create_contact))
    };
    let (accepted, create_contact) = match checked {
        Ok(checked) => checked,
        Err(refusal) => {
            return (
                refusal.status,
                axum::Json(json!({
                    "error": refusal.message,
                    "problems": refusal.problems,
                    "rejected_id": id,
                })),
            )
                .into_response();
        }
    };
    let response = commit(
        &app,
        &rejected.alias,
        &rejected.source,
        accepted,
        create_contact,
    )
    .await;
    if response.status() == StatusCode::ACCEPTED {
        let store = app.store.clone();
        if let Err(response) =
            blocking(move || store.delete_rejected_event(&id).map_err(failed)).await
        {
            return response;
        }
    }
    response
}

/// Waits (up to [`ACCEPT_WAIT`]) while the queue is full; `Err` is the 503 to send.
async fn room_in_queue(app: &App) -> Result<(), Response> {
    let deadline = tokio::time::Instant::now() + ACCEPT_WAIT;
    while app.metrics.queue_depth() >= app.max_queue {
        let now = tokio::time::Instant::now();
        if now >= deadline {
            app.metrics.rejected("queue_full");
            let mut response = error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the queue of events to run is full; retry later",
            );
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
            return Err(response);
        }
        // Woken by a worker finishing; the timeout covers a wake-up missed between the check
        // and the wait.
        let nap = (deadline - now).min(std::time::Duration::from_millis(50));
        let _ = tokio::time::timeout(nap, app.room.notified()).await;
    }
    Ok(())
}

/// Commits the event (with its contact, created when missing and `create_contact` is set)
/// and queues it; answers 202 with the event id once committed. With a full queue, waits for
/// room or answers 503.
pub(crate) async fn commit(
    app: &App,
    alias: &str,
    source: &str,
    accepted: Accepted,
    create_contact: bool,
) -> Response {
    match commit_event(app, alias, source, accepted, create_contact).await {
        Ok(inserted) => (
            StatusCode::ACCEPTED,
            axum::Json(json!({"event_id": inserted.id, "duplicate": inserted.duplicate})),
        )
            .into_response(),
        Err(response) => response,
    }
}

/// [`commit`], returning the stored event's id (and whether it was a repeat) instead of the
/// 202; `Err` is the response to send (503, 404 without a contact, 500).
pub(crate) async fn commit_event(
    app: &App,
    alias: &str,
    source: &str,
    accepted: Accepted,
    create_contact: bool,
) -> Result<hookboard_store::InsertedEvent, Response> {
    room_in_queue(app).await?;
    let new = NewEvent {
        event: Event {
            alias: alias.to_string(),
            source: source.to_string(),
            payload: accepted.payload,
        },
        primary_key: accepted.primary_key,
        email: accepted.email,
        create_contact,
    };
    let email = new.email.clone();
    // Queued for the workers by the committer, right after the commit.
    match app.committer.accept(new).await {
        Ok(AcceptedEvent::NoContact) => Err(error(
            StatusCode::NOT_FOUND,
            format!("no contact with email {email}; add ?createContact=true to create it"),
        )),
        Ok(AcceptedEvent::Stored { inserted, .. }) => {
            if inserted.duplicate {
                app.metrics.duplicate(alias);
                tracing::info!(event_id = %inserted.id, alias, "repeated primary key acknowledged");
            } else {
                tracing::info!(event_id = %inserted.id, alias, "event accepted");
            }
            Ok(inserted)
        }
        Err(e) => Err(internal(e)),
    }
}

#[utoipa::path(post, path = "/hooks/{alias}", tag = "inbound",
    params(
        ("alias" = String, Path, description = "Alias of a webhook event definition"),
        ("webhook-id" = Option<String>, Header, description = "Standard Webhooks message id (when the alias has a signing secret)"),
        ("webhook-timestamp" = Option<String>, Header, description = "Unix seconds; at most 5 minutes old"),
        ("webhook-signature" = Option<String>, Header, description = "`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, several separated by spaces"),
    ),
    request_body(content = Object, description = "Any JSON object of at most 512 KiB; fields are read by the definition's JSON Pointers, unknown fields ignored"),
    responses(
        (status = 202, description = "Committed and queued (or a repeated primary key acknowledged again)", body = crate::openapi::EventAccepted),
        (status = 400, description = "Malformed JSON, with line and column; the body is kept as rejected", body = crate::openapi::ErrorBody),
        (status = 401, description = "Missing or wrong signature, or timestamp too old", body = crate::openapi::ErrorBody),
        (status = 404, description = "No webhook event with this alias", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body larger than 512 KiB"),
        (status = 422, description = "Email or primary key missing; the body is kept as rejected", body = crate::openapi::ErrorBody),
    ))]
async fn webhook_event(
    State(app): State<App>,
    Path(alias): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(definition) = definition(&app, &alias, EventContext::Webhook) else {
        return error(StatusCode::NOT_FOUND, format!("no webhook event `{alias}`"));
    };
    if let Err(response) = check_signature(&app, &signing_secret_name(&alias), &headers, &body) {
        return response;
    }
    match accept(&app, &definition, "webhook", body).await {
        Ok(accepted) => commit(&app, &alias, "webhook", accepted, true).await,
        Err(response) => response,
    }
}

/// Name of the secret that signs the webhooks of `alias`: `webhook <alias>`, so read from
/// `HOOKBOARD_SECRET_WEBHOOK_<ALIAS>` or the secrets file. No secret: no signature required.
pub fn signing_secret_name(alias: &str) -> String {
    format!("webhook {alias}")
}

/// With a signing secret for this alias, the Standard Webhooks headers must verify (401 if not).
#[allow(clippy::result_large_err)]
pub(crate) fn check_signature(
    app: &App,
    secret_name: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Response> {
    use secrecy::ExposeSecret;
    let secret = match app.secrets.get(secret_name) {
        Ok(Some(secret)) => secret,
        Ok(None) => return Ok(()),
        Err(e) => return Err(internal(e)),
    };
    let key = crate::signature::key_of(secret.expose_secret());
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    crate::signature::verify(
        &key,
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
        body,
        chrono::Utc::now().timestamp(),
    )
    .map_err(|reason| {
        tracing::info!(secret = secret_name, "webhook signature refused: {reason}");
        error(StatusCode::UNAUTHORIZED, reason)
    })
}

/// Checks `Authorization: ApiKey <key>`; returns the key's scope or the 401 response.
/// The scope of the request's API key (`Authorization: ApiKey <key>`), for handlers that need
/// one: a missing or unknown key is answered 401 before the handler runs.
struct ApiScope(String);

impl axum::extract::FromRequestParts<App> for ApiScope {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &App,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = || {
            error(
                StatusCode::UNAUTHORIZED,
                "missing or unknown API key (header `Authorization: ApiKey <key>`)",
            )
        };
        let key = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("ApiKey "))
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .ok_or_else(unauthorized)?;
        let db = app.db.clone();
        blocking(move || db.scope_of(&key).map_err(failed))
            .await?
            .ok_or_else(unauthorized)
            .map(ApiScope)
    }
}

#[utoipa::path(post, path = "/api/v1/custom-events/alias/{alias}", tag = "inbound",
    params(
        ("alias" = String, Path, description = "Alias of a public API event definition"),
        ("createContact" = Option<bool>, Query, description = "Create the contact when no contact has the event's email"),
    ),
    request_body(content = Object, description = "The event's fields, validated strictly (unknown fields, missing required fields and wrong types are refused)"),
    security(("api_key" = [])),
    responses(
        (status = 202, description = "Committed and queued (or a repeated primary key acknowledged again)", body = crate::openapi::EventAccepted),
        (status = 400, description = "Malformed JSON or createContact", body = crate::openapi::ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = crate::openapi::ErrorBody),
        (status = 403, description = "The key's scope does not cover this alias", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such event, or no contact and createContact is not set", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body larger than 512 KiB"),
        (status = 422, description = "Every problem of the event; the body is kept as rejected", body = crate::openapi::ErrorBody),
    ))]
async fn public_api_event(
    State(app): State<App>,
    Path(alias): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    ApiScope(scope): ApiScope,
    body: Bytes,
) -> Response {
    // The scope first: a key learns nothing about aliases beyond its scope, not even which
    // exist.
    if !scope_covers(&app.bundle, &scope, &alias) {
        return error(
            StatusCode::FORBIDDEN,
            format!("this API key's scope `{scope}` does not cover the event `{alias}`"),
        );
    }
    let Some(definition) = definition(&app, &alias, EventContext::PublicApi) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no public API event `{alias}`"),
        );
    };
    let create_contact = match create_contact_flag(&query) {
        Ok(create) => create,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    match accept(&app, &definition, "public_api", body).await {
        Ok(accepted) => commit(&app, &alias, "public_api", accepted, create_contact).await,
        Err(response) => response,
    }
}

#[utoipa::path(get, path = "/api/v1/runs", tag = "runs",
    params(
        ("workflow" = Option<String>, Query, description = "Only runs of this workflow"),
        ("status" = Option<String>, Query, description = "`completed`, `failed`, `waiting` or `aborted`"),
        ("contact" = Option<String>, Query, description = "Only runs for this contact id"),
        ("from" = Option<String>, Query, description = "RFC 3339; runs started at or after it"),
        ("to" = Option<String>, Query, description = "RFC 3339; runs started before it"),
        ("limit" = Option<u64>, Query, description = "Page size, default 50, at most 1000"),
        ("offset" = Option<u64>, Query, description = "Runs to skip"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "One page of runs, newest first; a key whose scope lists aliases sees the runs of the workflows those events and groups start", body = crate::openapi::RunList),
        (status = 400, description = "A parameter is malformed; the message names it", body = crate::openapi::ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = crate::openapi::ErrorBody),
    ))]
async fn list_runs(
    State(app): State<App>,
    Query(query): Query<HashMap<String, String>>,
    ApiScope(scope): ApiScope,
) -> Response {
    let workflows = readable_workflows(&app.bundle, &scope);
    let mut filter = RunFilter {
        workflow: query.get("workflow").cloned(),
        contact_id: query.get("contact").cloned(),
        ..RunFilter::default()
    };
    if let Some(status) = query.get("status") {
        match serde_json::from_value::<RunStatus>(Value::String(status.clone())) {
            Ok(status) => filter.status = Some(status),
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("status must be completed, failed, waiting or aborted, not `{status}`"),
                );
            }
        }
    }
    for (name, slot) in [("limit", &mut filter.limit), ("offset", &mut filter.offset)] {
        if let Some(text) = query.get(name) {
            match text.parse::<usize>() {
                Ok(n) => *slot = n,
                Err(_) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        format!("{name} must be a whole number"),
                    );
                }
            }
        }
    }
    filter.limit = filter.limit.min(1000);
    let mut started = StartedBetween::default();
    for (name, slot) in [("from", &mut started.from), ("to", &mut started.to)] {
        if let Some(text) = query.get(name) {
            match chrono::DateTime::parse_from_rfc3339(text) {
                Ok(time) => *slot = Some(time.with_timezone(&chrono::Utc)),
                Err(e) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "{name} must be an RFC 3339 time such as 2025-01-31T09:00:00Z, \
                             not `{text}` ({e})"
                        ),
                    );
                }
            }
        }
    }
    let store = app.store.clone();
    match blocking(move || {
        store
            .list_runs_started(&filter, &started, workflows.as_deref())
            .map_err(failed)
    })
    .await
    {
        Ok(runs) => axum::Json(json!({"runs": runs})).into_response(),
        Err(response) => response,
    }
}

#[utoipa::path(get, path = "/api/v1/runs/{id}", tag = "runs",
    params(("id" = String, Path, description = "Run id")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The run with its steps", body = crate::openapi::RunDoc),
        (status = 401, description = "Missing or unknown API key", body = crate::openapi::ErrorBody),
        (status = 403, description = "The key's scope lists aliases, and none of them (or of its groups) starts the run's workflow", body = crate::openapi::ErrorBody),
        (status = 404, description = "No run with this id", body = crate::openapi::ErrorBody),
    ))]
async fn get_run(
    State(app): State<App>,
    Path(id): Path<String>,
    ApiScope(scope): ApiScope,
) -> Response {
    let run = match stored_run(&app, id).await {
        Ok(run) => run,
        Err(response) => return response,
    };
    // The rule `GET /api/v1/runs` lists by, so that a key opens exactly the runs it is shown.
    if readable_workflows(&app.bundle, &scope)
        .is_some_and(|workflows| !workflows.contains(&run.trace.workflow))
    {
        return error(
            StatusCode::FORBIDDEN,
            format!(
                "this API key's scope `{scope}` does not cover workflow `{}`, which this run is of",
                run.trace.workflow
            ),
        );
    }
    axum::Json(run).into_response()
}

/// The stored run `id`; `Err` is the answer (404).
async fn stored_run(app: &App, id: String) -> Result<hookboard_store::StoredRun, Response> {
    let store = app.store.clone();
    blocking(move || store.get_run(&id).map_err(missing_or_failed)).await
}

/// The stored run `id` and the event it ran with (the received one, or the one it was queued
/// with), if the key's scope covers that event's alias (or group); `Err` is the answer (404,
/// 403).
async fn run_with_event(
    app: &App,
    scope: &str,
    id: String,
) -> Result<(hookboard_store::StoredRun, Event), Response> {
    let run = stored_run(app, id.clone()).await?;
    let store = app.store.clone();
    let (run, event) = blocking(move || {
        let event = match &run.meta.event_id {
            Some(event_id) => store.get_event(event_id).map_err(failed)?.event,
            None => match store.get_queued_run(&id) {
                Ok(queued) => queued.event,
                Err(e) if e.code() == "not_found" => Event::default(),
                Err(e) => return Err(failed(e)),
            },
        };
        Ok((run, event))
    })
    .await?;
    let subject = subject_of(&event);
    if !scope_covers(&app.bundle, scope, &subject) {
        return Err(error(
            StatusCode::FORBIDDEN,
            format!(
                "this API key's scope `{scope}` does not cover `{subject}`, which this run started from"
            ),
        ));
    }
    Ok((run, event))
}

/// Whether a key of `scope` may act on `subject` (an event alias, or `group:<name>`): the
/// scope is in the bundle and lists the subject, or lists nothing (which means everything).
fn scope_covers(bundle: &Bundle, scope: &str, subject: &str) -> bool {
    bundle.api_key_scopes.iter().any(|s| {
        s.name == scope && (s.aliases.is_empty() || s.aliases.iter().any(|a| a == subject))
    })
}

/// Whether a key of `scope` may act on every event: the scope is in the bundle and lists no
/// aliases. Listing runs or rejected bodies of every alias needs such a key.
fn scope_covers_everything(bundle: &Bundle, scope: &str) -> bool {
    bundle
        .api_key_scopes
        .iter()
        .any(|s| s.name == scope && s.aliases.is_empty())
}

/// The workflows whose runs a key of `scope` may read: `None` for all of them (a scope that
/// lists no aliases), else those with an event trigger of an alias, or a group trigger of a
/// `group:<name>`, that the scope lists.
fn readable_workflows(bundle: &Bundle, scope: &str) -> Option<Vec<String>> {
    if scope_covers_everything(bundle, scope) {
        return None;
    }
    use hookboard_engine::catalogue::kinds;
    let param = |node: &hookboard_engine::model::Node, name: &str| {
        node.params
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let workflows = bundle
        .workflows
        .iter()
        .filter(|workflow| {
            workflow.nodes.iter().any(|node| {
                let subject = match node.kind.as_str() {
                    kinds::TRIGGER_EVENT => param(node, "alias"),
                    kinds::TRIGGER_GROUP => format!("group:{}", param(node, "group")),
                    _ => return false,
                };
                scope_covers(bundle, scope, &subject)
            })
        })
        .map(|workflow| workflow.name.clone())
        .collect();
    Some(workflows)
}

/// Source of the events a contact entering a group starts runs with.
pub const GROUP_SOURCE: &str = "group";

/// What a run's scope check is about: `group:<name>` for a run started by a contact entering
/// a group, else the alias of its event (empty for a run without one).
fn subject_of(event: &Event) -> String {
    if event.source == GROUP_SOURCE {
        let group = event
            .payload
            .get("group")
            .and_then(Value::as_str)
            .unwrap_or("");
        format!("group:{group}")
    } else {
        event.alias.clone()
    }
}

/// `POST /api/v1/runs/{id}/replay` (API key whose scope covers the run's event alias, or
/// `group:<name>` for a run started by a group entry): queues a new run of the same workflow
/// with the same event, for the contact as it is now; 202 with the new run's id.
#[utoipa::path(post, path = "/api/v1/runs/{id}/replay", tag = "runs",
    params(("id" = String, Path, description = "Id of the run to replay")),
    security(("api_key" = [])),
    responses(
        (status = 202, description = "A new run of the same workflow with the same event is queued", body = crate::openapi::RunReplayed),
        (status = 401, description = "Missing or unknown API key", body = crate::openapi::ErrorBody),
        (status = 403, description = "The key's scope does not cover the run's event alias (or group)", body = crate::openapi::ErrorBody),
        (status = 404, description = "No run with this id", body = crate::openapi::ErrorBody),
        (status = 409, description = "The bundle no longer has the run's workflow", body = crate::openapi::ErrorBody),
    ))]
async fn replay_run(
    State(app): State<App>,
    Path(id): Path<String>,
    ApiScope(scope): ApiScope,
) -> Response {
    let (run, event) = match run_with_event(&app, &scope, id.clone()).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if app.bundle.workflow(&run.trace.workflow).is_none() {
        return error(
            StatusCode::CONFLICT,
            format!(
                "the bundle has no workflow `{}` any more",
                run.trace.workflow
            ),
        );
    }
    let queued = QueuedRun {
        run_id: uuid::Uuid::new_v4().to_string(),
        workflow: run.trace.workflow.clone(),
        contact_id: Some(run.trace.contact.id.clone()).filter(|c| !c.is_empty()),
        event_id: run.meta.event_id.clone(),
        event,
        reason: "replay".to_string(),
        replay_of: Some(id.clone()),
    };
    let new_id = queued.run_id.clone();
    let store = app.store.clone();
    if let Err(response) = blocking(move || store.queue_run(&queued).map_err(failed)).await {
        return response;
    }
    tracing::info!(run_id = %new_id, replay_of = %id, "replay queued");
    app.metrics.queued(1);
    let _ = app.queue.send(Work::Run(new_id.clone()));
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({"run_id": new_id, "replay_of": id})),
    )
        .into_response()
}

/// Names of the workflows an "Enters group" trigger of `group` starts.
fn group_workflows(bundle: &Bundle, group: &str) -> Vec<String> {
    bundle
        .workflows
        .iter()
        .filter(|w| {
            w.nodes.iter().any(|n| {
                n.kind == hookboard_engine::catalogue::kinds::TRIGGER_GROUP
                    && n.params.get("group").and_then(Value::as_str).map(str::trim) == Some(group)
            })
        })
        .map(|w| w.name.clone())
        .collect()
}

/// `POST /api/v1/groups/{group}/contacts` (API key whose scope lists `group:<group>` or
/// everything): adds the contacts of the body (a JSON array of `{"id"}` / `{"email"}`; a
/// missing contact with an email is created) to the group, and for each contact that was not
/// a member queues a run of every workflow with an "Enters group" trigger for it. 202 with
/// what happened to each contact; nothing is written when one of them is wrong (422).
#[utoipa::path(post, path = "/api/v1/groups/{group}/contacts", tag = "inbound",
    params(("group" = String, Path, description = "Group name; a key's scope must list `group:<name>` or no alias at all")),
    request_body(content = Vec<crate::openapi::GroupContact>, description = "Contacts to add"),
    security(("api_key" = [])),
    responses(
        (status = 202, description = "Contacts added; a run of each Enters group workflow queued per new member", body = crate::openapi::GroupEntered),
        (status = 400, description = "Malformed JSON", body = crate::openapi::ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = crate::openapi::ErrorBody),
        (status = 403, description = "The key's scope does not cover this group", body = crate::openapi::ErrorBody),
        (status = 413, description = "Body larger than 512 KiB"),
        (status = 422, description = "Every problem of the contacts; nothing was written", body = crate::openapi::ErrorBody),
    ))]
async fn enter_group(
    State(app): State<App>,
    Path(group): Path<String>,
    ApiScope(scope): ApiScope,
    body: Bytes,
) -> Response {
    let group = group.trim().to_string();
    let subject = format!("group:{group}");
    if !scope_covers(&app.bundle, &scope, &subject) {
        return error(
            StatusCode::FORBIDDEN,
            format!("this API key's scope `{scope}` does not cover `{subject}`"),
        );
    }
    let value = match parse_json(&body) {
        Ok(value) => value,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let members = match crate::inbound::group_members(&value) {
        Ok(members) => members,
        Err(problems) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(json!({"error": "the contacts are not valid", "problems": problems})),
            )
                .into_response();
        }
    };
    let workflows = group_workflows(&app.bundle, &group);
    let event = Event {
        alias: String::new(),
        source: GROUP_SOURCE.to_string(),
        payload: json!({"group": group}),
    };
    let store = app.store.clone();
    let name = group.clone();
    let entered = blocking(
        move || match store.enter_group(&name, &members, &workflows, &event) {
            Ok(entries) => Ok(entries),
            Err(e) if e.code() == "invalid" => Err(Box::new(
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    axum::Json(
                        json!({"error": "the contacts are not valid", "problems": [e.to_string()]}),
                    ),
                )
                    .into_response(),
            )),
            Err(e) => Err(failed(e)),
        },
    )
    .await;
    let entries = match entered {
        Ok(entries) => entries,
        Err(response) => return response,
    };
    let queued: Vec<String> = entries.iter().flat_map(|e| e.run_ids.clone()).collect();
    tracing::info!(group = %group, contacts = entries.len(), runs = queued.len(), "contacts entered group");
    app.metrics.queued(queued.len());
    for run_id in queued {
        let _ = app.queue.send(Work::Run(run_id));
    }
    let contacts: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({"contact_id": e.contact_id, "created": e.created, "added": e.added,
                   "run_ids": e.run_ids})
        })
        .collect();
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({"group": group, "contacts": contacts})),
    )
        .into_response()
}

/// Takes work off the queue and does it, one item at a time.
async fn worker(
    app: App,
    receiver: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Work>>>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if *stopped.borrow() {
            return;
        }
        let next = tokio::select! {
            next = async { receiver.lock().await.recv().await } => next,
            _ = stopped.changed() => return,
        };
        let Some(work) = next else { return };
        match work {
            Work::Event(event_id) => {
                let store = app.store.clone();
                let id = event_id.clone();
                let processed = match off_thread(move || store.get_event(&id)).await {
                    Ok(stored) => process(&app, stored, false).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = processed {
                    tracing::error!(event_id = %event_id, "event not processed: {e}");
                }
            }
            Work::Received(stored) => {
                let event_id = stored.id.clone();
                if let Err(e) = process(&app, *stored, true).await {
                    tracing::error!(event_id = %event_id, "event not processed: {e}");
                }
            }
            Work::Run(run_id) => {
                if let Err(e) = process_queued(&app, &run_id).await {
                    tracing::error!(run_id = %run_id, "queued run not made: {e}");
                }
            }
            Work::Wake(run_id) => {
                if let Err(e) = crate::journeys::wake(&app, &run_id).await {
                    tracing::error!(run_id = %run_id, "waiting run not woken: {e}");
                }
            }
        }
        app.metrics.processed();
        app.room.notify_waiters();
    }
}

/// Runs `f` on the blocking pool; both the join error and `f`'s error become text.
pub(crate) async fn off_thread<T: Send + 'static, E: std::fmt::Display + Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// Runs every workflow triggered by this event's alias (skipping those already run for it),
/// storing each trace with the contact's changes; the last one also marks the event processed.
/// A `fresh` event was just committed by this process: no run can exist for it yet.
async fn process(app: &App, stored: StoredEvent, fresh: bool) -> Result<(), String> {
    let event_id = stored.id.as_str();
    // Runs of one contact take turns, so that each starts from the contact as the previous
    // one left it and no change is overwritten.
    let turn = match &stored.contact_id {
        Some(contact_id) => Some(app.contact_turn(contact_id).lock_owned().await),
        None => None,
    };
    // A point read on a free reader connection, done here: handing it to the blocking pool
    // and back cost two thread switches, more than the read (webhook_throughput bench).
    let id = (!fresh).then_some(event_id);
    let context = app
        .store
        .run_context(stored.contact_id.as_deref(), id)
        .map_err(|e| e.to_string())?;
    let mut contact = context.contact.unwrap_or_default();
    contact = crate::journeys::deliver_to_waiting_runs(app, &stored, contact).await?;
    if stored.event.source == SUBSCRIPTION_EVENT_SOURCE {
        crate::journeys::apply_subscription(app, &stored, contact, &context.done).await?;
        let store = app.store.clone();
        let id = event_id.to_string();
        return off_thread(move || store.mark_event_processed(&id)).await;
    }
    let workflows: Vec<&Workflow> = app
        .bundle
        .workflows
        .iter()
        .filter(|w| {
            w.nodes.iter().any(|n| {
                n.kind == hookboard_engine::catalogue::kinds::TRIGGER_EVENT
                    && n.params.get("alias").and_then(Value::as_str)
                        == Some(stored.event.alias.as_str())
            }) && !context.done.contains(&w.name)
        })
        .collect();
    if workflows.is_empty() {
        let store = app.store.clone();
        let id = event_id.to_string();
        return off_thread(move || store.mark_event_processed(&id)).await;
    }
    let last = workflows.len() - 1;
    for (at, workflow) in workflows.into_iter().enumerate() {
        let start = RunStart {
            run_id: None,
            event_id: Some(event_id.to_string()),
            event: stored.event.clone(),
            ..RunStart::default()
        };
        let processed = (at == last).then(|| event_id.to_string());
        contact = run_and_store(app, workflow, contact, start, processed).await?;
    }
    drop(turn);
    Ok(())
}

/// Makes a queued run (a replay, a contact entering a group) unless it is stored already.
async fn process_queued(app: &App, run_id: &str) -> Result<(), String> {
    let store = app.store.clone();
    let id = run_id.to_string();
    let Some(queued) = off_thread(move || store.pending_queued_run(&id)).await? else {
        return Ok(());
    };
    let turn = match &queued.contact_id {
        Some(contact_id) => Some(app.contact_turn(contact_id).lock_owned().await),
        None => None,
    };
    let store = app.store.clone();
    let contact_id = queued.contact_id.clone();
    let contact = off_thread(move || store.run_context(contact_id.as_deref(), None))
        .await?
        .contact
        .unwrap_or_default();
    let start = RunStart {
        run_id: Some(queued.run_id.clone()),
        event_id: queued.event_id.clone(),
        event: queued.event.clone(),
        ..RunStart::default()
    };
    match app.bundle.workflow(&queued.workflow) {
        Some(workflow) => {
            run_and_store(app, workflow, contact, start, None).await?;
        }
        None => {
            // The bundle changed since the run was queued: the run is stored as failed so
            // that it shows up, and is not tried again at every start.
            tracing::warn!(run_id, workflow = %queued.workflow, "queued run of a workflow the bundle no longer has");
            let trace = RunTrace {
                run_id: queued.run_id.clone(),
                workflow: queued.workflow.clone(),
                status: RunStatus::Failed,
                steps: vec![],
                contact,
                resume_at: None,
                suspension: None,
            };
            let now = chrono::Utc::now();
            let meta = RunMeta {
                event_id: queued.event_id.clone(),
                started_at: now,
                finished_at: Some(now),
            };
            let store = app.store.clone();
            off_thread(move || store.insert_run(&trace, &meta)).await?;
            app.metrics.run("failed", []);
        }
    }
    drop(turn);
    Ok(())
}

/// How one run starts: its id (a new one when `None`), the event it reads, the stored event
/// it is recorded against, and for a subscription run its journey and `${run}` variables.
#[derive(Debug, Default)]
pub(crate) struct RunStart {
    pub(crate) run_id: Option<String>,
    pub(crate) event_id: Option<String>,
    pub(crate) event: Event,
    pub(crate) journey: Option<(String, String)>,
    pub(crate) run_vars: serde_json::Map<String, Value>,
}

/// Runs one workflow for `contact`; stores the trace, the contact's changes and (when
/// `processed` names it) the event's processed mark in one transaction, and returns the
/// contact as the run left it.
pub(crate) async fn run_and_store(
    app: &App,
    workflow: &Workflow,
    contact: Contact,
    start: RunStart,
    processed: Option<String>,
) -> Result<Contact, String> {
    let options = RunOptions {
        env: app.env.clone(),
        wait_mode: WaitMode::Suspend,
        // Time-ordered, so that runs stored one after the other share index pages.
        run_id: Some(
            start
                .run_id
                .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
        ),
        run_vars: start.run_vars,
        ..RunOptions::default()
    };
    let started_at = chrono::Utc::now();
    let trace = app
        .engine
        .run(
            &app.bundle,
            workflow,
            &app.secrets,
            contact.clone(),
            start.event,
            &options,
        )
        .await;
    let meta = RunMeta {
        event_id: start.event_id.clone(),
        started_at,
        finished_at: (trace.status != RunStatus::Waiting).then(chrono::Utc::now),
    };
    let event_id = start.event_id.as_deref().unwrap_or("");
    tracing::info!(event_id, run_id = %trace.run_id, workflow = %workflow.name, status = trace.status.as_str(), "run stored");
    let record = RunRecord {
        update_contact: trace.contact != contact && !trace.contact.id.is_empty(),
        wake_at: wake_at(&trace),
        trace,
        meta,
        processed_event: processed,
        resumes: None,
        journey: start.journey,
    };
    Ok(store_run(app, record, event_id).await?.contact)
}

/// When a run that stopped waiting is to be woken: its Wait's end, or its Wait for event's
/// timeout, from now.
pub(crate) fn wake_at(trace: &RunTrace) -> Option<chrono::DateTime<chrono::Utc>> {
    let suspension = trace.suspension.as_ref()?;
    let wait = i64::try_from(suspension.wait_ms).unwrap_or(i64::MAX);
    Some(
        chrono::Utc::now()
            .checked_add_signed(chrono::TimeDelta::milliseconds(wait))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC),
    )
}

/// Commits a run record through the commit thread and counts it; returns what was stored.
pub(crate) async fn store_run(
    app: &App,
    record: RunRecord,
    event_id: &str,
) -> Result<hookboard_store::RecordedRun, String> {
    let status = record.trace.status.as_str();
    let durations: Vec<u64> = record.trace.steps.iter().map(|s| s.duration_ms).collect();
    let run_id = record.trace.run_id.clone();
    let recorded = app.committer.record(record).await?;
    if let Some(e) = &recorded.contact_error {
        tracing::warn!(event_id, run_id = %run_id, "the run's changes to its contact were not saved: {e}");
    }
    if !recorded.superseded {
        app.metrics.run(status, durations);
    }
    Ok(recorded)
}
