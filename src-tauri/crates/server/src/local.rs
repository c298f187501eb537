//! The local receiver (SPEC 6): the desktop app runs the server's inbound endpoints on a
//! loopback port while designing, so that curl, Postman or another system can send events.
//!
//! It applies the server's rules through [`crate::inbound`] (same validation, status codes and
//! rejected-event keeping) and stores accepted events, with their source and contact, in the
//! given [`Store`]. It differs from `serve` on purpose:
//!
//! - it reads the reception event definitions from the store at each request (they change
//!   while designing), not from a bundle;
//! - it listens on 127.0.0.1 only and asks for no API key (only this computer can reach it);
//! - it verifies no webhook signature (the desktop keeps no signing secrets);
//! - it runs no workflow: events are stored to be picked for tests (a subscription message is
//!   read with its Subscription trigger's expressions and stored, but no journey behaviour
//!   applies).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hookboard_engine::expr::Expressions;
use hookboard_engine::model::{Event, EventContext, EventDefinition};
use hookboard_engine::runner::SUBSCRIPTION_EVENT_SOURCE;
use hookboard_store::{AcceptedEvent, NewEvent, NewRejectedEvent, Store};
use serde_json::json;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::inbound::{Accepted, Refusal, check, create_contact_flag};
use crate::serve::{MAX_BODY_BYTES, too_large_as_json};

/// How long [`LocalReceiver::stop`] lets requests in flight finish before cutting them off.
pub const STOP_GRACE: Duration = Duration::from_secs(2);

/// What the receiver did with one request that reached the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// The event was stored (or its primary key was already stored: `duplicate`).
    Accepted {
        /// The stored event's id.
        event_id: String,
        /// Alias it was posted to.
        alias: String,
        /// `webhook`, `public_api` or `subscription`.
        source: String,
        /// An event with the same alias and primary key was already stored.
        duplicate: bool,
    },
    /// The body failed its checks and was kept in the rejected list.
    Rejected {
        /// The rejected event's id.
        rejected_id: String,
        /// Alias it was posted to.
        alias: String,
        /// `webhook`, `public_api` or `subscription`.
        source: String,
        /// The status code answered: 400 (malformed JSON) or 422 (not valid).
        status: u16,
        /// The reason kept with it.
        reason: String,
    },
}

/// Called after each event the receiver stored or rejected (on a blocking thread).
pub type OnReceived = Arc<dyn Fn(Received) + Send + Sync>;

/// Why the receiver could not start.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// Something else listens on the port.
    #[error(
        "port {port} is already in use on 127.0.0.1; stop what uses it, pick another port, or \
         leave the port empty for any free one"
    )]
    PortInUse {
        /// The port asked for.
        port: u16,
    },
    /// Any other failure to listen.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Listen {
        /// The port asked for.
        port: u16,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// A running local receiver. [`LocalReceiver::stop`] (or dropping it) stops it and frees the
/// port.
#[derive(Debug)]
pub struct LocalReceiver {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// What the handlers share.
struct Local {
    store: Arc<Store>,
    on_received: OnReceived,
    expressions: Expressions,
}

type Shared = Arc<Local>;

impl LocalReceiver {
    /// Listens on 127.0.0.1:`port` (0: any free port) and serves `POST /hooks/{alias}` and
    /// `POST /api/v1/custom-events/alias/{alias}` over `store` until stopped. Must be called
    /// inside a Tokio runtime, which runs the receiver.
    pub async fn start(
        store: Arc<Store>,
        port: u16,
        on_received: OnReceived,
    ) -> Result<LocalReceiver, LocalError> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::AddrInUse => LocalError::PortInUse { port },
                _ => LocalError::Listen { port, source },
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| LocalError::Listen { port, source })?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(Arc::new(Local {
            store,
            on_received,
            expressions: Expressions::new(),
        }));
        let task = tokio::spawn(async move {
            // A dropped handle stops the receiver too (the channel then closes).
            let shutdown = async {
                let _ = stopped.await;
            };
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await;
        });
        Ok(LocalReceiver {
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address it listens on (127.0.0.1 and the port, the one chosen when 0 was given).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish (up to [`STOP_GRACE`]) and returns once
    /// the port is free.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(STOP_GRACE, &mut task).await.is_err()
        {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for LocalReceiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The two inbound routes, with the server's 512 KiB body limit (413 past it).
fn router(local: Shared) -> Router {
    Router::new()
        .route("/hooks/{alias}", post(webhook_event))
        .route("/subscriptions/{name}", post(subscription_event))
        .route(
            "/api/v1/custom-events/alias/{alias}",
            post(public_api_event),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(too_large_as_json))
        .with_state(local)
}

/// `POST /hooks/{alias}`: JSON Pointer mapping, the contact created when missing.
async fn webhook_event(
    State(local): State<Shared>,
    Path(alias): Path<String>,
    body: Bytes,
) -> Response {
    receive(local, alias, EventContext::Webhook, true, body).await
}

/// `POST /api/v1/custom-events/alias/{alias}[?createContact=true]`: strict validation; without
/// `createContact=true` an unknown contact is a 404. No API key is asked for.
async fn public_api_event(
    State(local): State<Shared>,
    Path(alias): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let create_contact = match create_contact_flag(&query) {
        Ok(create) => create,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    receive(local, alias, EventContext::PublicApi, create_contact, body).await
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": message.into()}))).into_response()
}

fn internal(e: impl std::fmt::Display) -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("the local receiver could not use the workspace database: {e}"),
    )
}

/// The source recorded for events of a context.
fn source_of(context: EventContext) -> &'static str {
    match context {
        EventContext::Webhook => "webhook",
        EventContext::PublicApi => "public_api",
    }
}

/// The path events of `alias` are posted to in a context.
fn path_of(context: EventContext, alias: &str) -> String {
    match context {
        EventContext::Webhook => format!("/hooks/{alias}"),
        EventContext::PublicApi => format!("/api/v1/custom-events/alias/{alias}"),
    }
}

/// How a context is named in messages.
fn label_of(context: EventContext) -> &'static str {
    match context {
        EventContext::Webhook => "webhook",
        EventContext::PublicApi => "public API",
    }
}

/// The definition of `alias` for `context`, read from the store now; `Err` is the 404 (or
/// 500) to answer. A definition of the other context says where to post instead.
async fn definition_of(
    local: &Local,
    alias: &str,
    context: EventContext,
) -> Result<EventDefinition, Response> {
    let store = local.store.clone();
    let wanted = alias.to_string();
    let found = tokio::task::spawn_blocking(move || store.get_event_definition(&wanted))
        .await
        .map_err(internal)?;
    let label = label_of(context);
    match found {
        Ok(definition) if definition.context == context => Ok(definition),
        Ok(definition) => Err(error(
            StatusCode::NOT_FOUND,
            format!(
                "no {label} event `{alias}`: `{alias}` is received as a {} event, at {}",
                label_of(definition.context),
                path_of(definition.context, alias)
            ),
        )),
        Err(e) if e.code() == "not_found" => Err(error(
            StatusCode::NOT_FOUND,
            format!("no {label} event `{alias}`; define it in Events > Definitions"),
        )),
        Err(e) => Err(internal(e)),
    }
}

/// `POST /subscriptions/{name}`: the message is read with the Subscription trigger of a saved
/// workflow (email, primary key), then stored with source `subscription` or kept as rejected.
async fn subscription_event(
    State(local): State<Shared>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let store = local.store.clone();
    let workflows = tokio::task::spawn_blocking(move || {
        store
            .list_workflows()?
            .into_iter()
            .map(|summary| store.get_workflow(&summary.name))
            .collect::<hookboard_store::Result<Vec<_>>>()
    })
    .await;
    let workflows = match workflows {
        Ok(Ok(workflows)) => workflows,
        Ok(Err(e)) => return internal(e),
        Err(e) => return internal(e),
    };
    let listeners = crate::journeys::listeners(&workflows, &name);
    let Some(listener) = listeners.first() else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no workflow has a Subscription trigger named `{name}`"),
        );
    };
    let source = SUBSCRIPTION_EVENT_SOURCE;
    match crate::journeys::check_message(&local.expressions, listener, &body) {
        Ok((accepted, _)) => store_event(local.clone(), name, source, accepted, true).await,
        Err(refusal) => reject(local.clone(), name, source, refusal, body).await,
    }
}

/// Finds the definition, checks the body, and stores the event or keeps it as rejected.
async fn receive(
    local: Shared,
    alias: String,
    context: EventContext,
    create_contact: bool,
    body: Bytes,
) -> Response {
    let definition = match definition_of(&local, &alias, context).await {
        Ok(definition) => definition,
        Err(response) => return response,
    };
    let source = source_of(context);
    match check(&definition, &body) {
        Ok(accepted) => store_event(local, alias, source, accepted, create_contact).await,
        Err(refusal) => reject(local, alias, source, refusal, body).await,
    }
}

/// Keeps a refused body with its reason; answers the refusal's status with the rejected id.
async fn reject(
    local: Shared,
    alias: String,
    source: &'static str,
    refusal: Refusal,
    body: Bytes,
) -> Response {
    let rejected = NewRejectedEvent {
        alias,
        source: source.to_string(),
        reason: refusal.reason(),
        raw_body: body.to_vec(),
    };
    let status = refusal.status;
    let kept = tokio::task::spawn_blocking(move || {
        let id = local.store.insert_rejected_event(&rejected)?;
        (local.on_received)(Received::Rejected {
            rejected_id: id.clone(),
            alias: rejected.alias,
            source: rejected.source,
            status: status.as_u16(),
            reason: rejected.reason,
        });
        Ok::<_, hookboard_store::StoreError>(id)
    })
    .await;
    match kept {
        Ok(Ok(id)) => {
            let mut out = json!({"error": refusal.message, "rejected_id": id});
            if !refusal.problems.is_empty() {
                out["problems"] = json!(refusal.problems);
            }
            (status, axum::Json(out)).into_response()
        }
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

/// Stores a valid event with its contact (created when missing and `create_contact` is set);
/// 202 with the event id, as the server answers.
async fn store_event(
    local: Shared,
    alias: String,
    source: &'static str,
    accepted: Accepted,
    create_contact: bool,
) -> Response {
    let email = accepted.email.clone();
    let new = NewEvent {
        event: Event {
            alias,
            source: source.to_string(),
            payload: accepted.payload,
        },
        primary_key: accepted.primary_key,
        email: accepted.email,
        create_contact,
    };
    let stored = tokio::task::spawn_blocking(move || {
        let outcome = local.store.accept_event(&new)?;
        if let AcceptedEvent::Stored { inserted, .. } = &outcome {
            (local.on_received)(Received::Accepted {
                event_id: inserted.id.clone(),
                alias: new.event.alias.clone(),
                source: new.event.source.clone(),
                duplicate: inserted.duplicate,
            });
        }
        Ok::<_, hookboard_store::StoreError>(outcome)
    })
    .await;
    match stored {
        Ok(Ok(AcceptedEvent::Stored { inserted, .. })) => (
            StatusCode::ACCEPTED,
            axum::Json(json!({"event_id": inserted.id, "duplicate": inserted.duplicate})),
        )
            .into_response(),
        Ok(Ok(AcceptedEvent::NoContact)) => error(
            StatusCode::NOT_FOUND,
            format!("no contact with email {email}; add ?createContact=true to create it"),
        ),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}
