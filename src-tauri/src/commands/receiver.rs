//! The local receiver (SPEC 6): the server's inbound endpoints on a loopback port, so that
//! curl, Postman or another system can send events to the desktop while designing. Each event
//! it stores or rejects is announced to the window as [`RECEIVED_EVENT`].

use std::path::PathBuf;
use std::sync::Arc;

use hookboard_server::local::{LocalError, LocalReceiver, OnReceived, Received};
use hookboard_store::Store;
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use ts_rs::TS;

use super::CommandResult;
use crate::AppState;
use crate::error::ApiError;

/// Name of the Tauri event sent with a [`ReceivedNotice`] for each event the receiver stored
/// or rejected.
pub const RECEIVED_EVENT: &str = "local-receiver-received";

/// Whether the local receiver runs, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LocalReceiverStatus {
    /// The port it listens on (on 127.0.0.1), when it runs.
    pub port: Option<u16>,
    /// `http://127.0.0.1:<port>`, when it runs.
    pub url: Option<String>,
}

/// What the local receiver did with one event (the payload of [`RECEIVED_EVENT`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum ReceivedNotice {
    /// Stored (or acknowledged again for a repeated primary key).
    Accepted {
        /// The stored event's id.
        event_id: String,
        /// Alias it was posted to.
        alias: String,
        /// `webhook` or `public_api`.
        source: String,
        /// The primary key was already stored; nothing new was stored.
        duplicate: bool,
    },
    /// Kept in the rejected list.
    Rejected {
        /// The rejected event's id.
        rejected_id: String,
        /// Alias it was posted to.
        alias: String,
        /// `webhook` or `public_api`.
        source: String,
        /// 400 (malformed JSON) or 422 (not valid).
        status: u16,
        /// Why.
        reason: String,
    },
}

impl From<Received> for ReceivedNotice {
    fn from(received: Received) -> Self {
        match received {
            Received::Accepted {
                event_id,
                alias,
                source,
                duplicate,
            } => ReceivedNotice::Accepted {
                event_id,
                alias,
                source,
                duplicate,
            },
            Received::Rejected {
                rejected_id,
                alias,
                source,
                status,
                reason,
            } => ReceivedNotice::Rejected {
                rejected_id,
                alias,
                source,
                status,
                reason,
            },
        }
    }
}

impl From<LocalError> for ApiError {
    fn from(err: LocalError) -> Self {
        let code = match err {
            LocalError::PortInUse { .. } => "port_in_use",
            LocalError::Listen { .. } => "io",
        };
        ApiError {
            path: Some("port".to_string()),
            ..ApiError::new(code, err.to_string())
        }
    }
}

/// The desktop's local receiver: none, or one running over its own connection to the
/// workspace database.
#[derive(Debug)]
pub struct LocalReceiverState {
    db: PathBuf,
    running: tokio::sync::Mutex<Option<LocalReceiver>>,
}

impl LocalReceiverState {
    /// A stopped receiver that, once started, stores events in the database file `db` (the
    /// workspace's).
    pub fn new(db: PathBuf) -> Self {
        LocalReceiverState {
            db,
            running: tokio::sync::Mutex::new(None),
        }
    }

    /// Starts the receiver on `port` (`None` or 0: any free port); when it already runs,
    /// reports where. `notify` is called for each event stored or rejected.
    pub async fn start(
        &self,
        port: Option<u16>,
        notify: OnReceived,
    ) -> Result<LocalReceiverStatus, ApiError> {
        let mut running = self.running.lock().await;
        if let Some(receiver) = running.as_ref() {
            return Ok(status_of(Some(receiver)));
        }
        let store = Arc::new(Store::open(&self.db)?);
        let receiver = LocalReceiver::start(store, port.unwrap_or(0), notify).await?;
        let status = status_of(Some(&receiver));
        *running = Some(receiver);
        Ok(status)
    }

    /// Stops the receiver (if it runs) once the requests in flight are answered; the port is
    /// free when this returns.
    pub async fn stop(&self) -> LocalReceiverStatus {
        let receiver = self.running.lock().await.take();
        if let Some(receiver) = receiver {
            receiver.stop().await;
        }
        status_of(None)
    }

    /// Whether it runs, and where.
    pub async fn status(&self) -> LocalReceiverStatus {
        status_of(self.running.lock().await.as_ref())
    }
}

fn status_of(receiver: Option<&LocalReceiver>) -> LocalReceiverStatus {
    let port = receiver.map(|r| r.addr().port());
    LocalReceiverStatus {
        port,
        url: receiver.map(|r| format!("http://{}", r.addr())),
    }
}

/// Starts the local receiver on 127.0.0.1:`port` (any free port when `None`); a port in use
/// is an error with code `port_in_use` and path `port`.
#[tauri::command]
pub async fn start_local_receiver(
    app: AppHandle,
    state: State<'_, AppState>,
    port: Option<u16>,
) -> CommandResult<LocalReceiverStatus> {
    let notify: OnReceived = Arc::new(move |received| {
        // A window that is gone cannot be told; the event is stored all the same.
        let _ = app.emit(RECEIVED_EVENT, ReceivedNotice::from(received));
    });
    state.receiver.start(port, notify).await
}

/// Stops the local receiver and frees its port.
#[tauri::command]
pub async fn stop_local_receiver(state: State<'_, AppState>) -> CommandResult<LocalReceiverStatus> {
    Ok(state.receiver.stop().await)
}

/// Whether the local receiver runs, and where.
#[tauri::command]
pub async fn local_receiver_status(
    state: State<'_, AppState>,
) -> CommandResult<LocalReceiverStatus> {
    Ok(state.receiver.status().await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookboard_engine::model::{EventContext, EventDefinition, EventField, FieldType};

    #[tokio::test]
    async fn starts_once_reports_a_port_in_use_on_the_port_field_and_stops() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("hookboard.db");
        Store::open(&db)
            .expect("store")
            .upsert_event_definition(&EventDefinition {
                alias: "order".into(),
                context: EventContext::Webhook,
                fields: vec![EventField {
                    name: "email".into(),
                    field_type: FieldType::Email,
                    required: true,
                    pointer: None,
                }],
                email_field: "email".into(),
                primary_key: "email".into(),
            })
            .expect("definition");
        let state = LocalReceiverState::new(db.clone());
        assert_eq!(state.status().await.port, None);
        let started = state.start(None, Arc::new(|_| {})).await.expect("start");
        let port = started.port.expect("port");
        assert_eq!(started.url, Some(format!("http://127.0.0.1:{port}")));
        // Starting again reports the running receiver.
        assert_eq!(
            state.start(Some(1), Arc::new(|_| {})).await.expect("again"),
            started
        );

        let other = LocalReceiverState::new(db);
        let error = other
            .start(Some(port), Arc::new(|_| {}))
            .await
            .expect_err("port in use");
        assert_eq!(error.code, "port_in_use");
        assert_eq!(error.path.as_deref(), Some("port"));
        assert!(
            error.message.contains(&port.to_string()),
            "{}",
            error.message
        );

        assert_eq!(state.stop().await.port, None);
        assert_eq!(state.status().await, status_of(None));
        let restarted = other.start(Some(port), Arc::new(|_| {})).await;
        assert_eq!(restarted.expect("the port is free").port, Some(port));
        other.stop().await;
    }

    #[test]
    fn notices_serialize_with_their_kind() {
        let notice = ReceivedNotice::from(Received::Rejected {
            rejected_id: "r-1".into(),
            alias: "order".into(),
            source: "webhook".into(),
            status: 422,
            reason: "the event is not valid".into(),
        });
        let value = serde_json::to_value(&notice).expect("json");
        assert_eq!(value["kind"], "rejected");
        assert_eq!(value["status"], 422);
    }
}
