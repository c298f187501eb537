//! The OpenAPI description of the HTTP API, served at `GET /openapi.json`. The paths come from
//! the `#[utoipa::path]` attributes on the handlers in [`crate::serve`], collected by the router
//! itself (a route is only served through them); the bodies are described by the types here,
//! which mirror the JSON the handlers write, so the engine and the store carry no OpenAPI code.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// The name of the API key security scheme in the document.
pub const API_KEY_SCHEME: &str = "api_key";

/// The document's fixed parts; paths are added by the router.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "hookboard-server",
        description = "Receives events over HTTP, stores them, and runs the Hookboard workflows \
                       they trigger. An event is acknowledged (202) only once it is committed.",
    ),
    modifiers(&ApiKeyScheme),
    tags(
        (name = "inbound", description = "Events and contacts coming in"),
        (name = "runs", description = "Runs of workflows"),
        (name = "operations", description = "Health, metrics and this document"),
    )
)]
pub struct ApiDoc;

/// Adds the `Authorization: ApiKey <key>` scheme.
struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            API_KEY_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`ApiKey <key>`, a key made with `hookboard-server keys create --scope NAME`",
            ))),
        );
    }
}

/// An error answer.
#[derive(ToSchema)]
pub struct ErrorBody {
    /// What went wrong and what to do.
    pub error: String,
    /// Every problem found in the input, each with its path (422).
    pub problems: Option<Vec<String>>,
    /// Id under which a refused event body was kept for replay (400, 422).
    pub rejected_id: Option<String>,
}

/// An event committed and queued.
#[derive(ToSchema)]
pub struct EventAccepted {
    /// The event's id (the first one's, for a repeated primary key).
    pub event_id: String,
    /// The primary key had been accepted before; nothing new runs.
    pub duplicate: bool,
}

/// When a run started and ended, and the event it ran with.
#[derive(ToSchema)]
pub struct RunMetaDoc {
    /// The received event the run started from, if any.
    pub event_id: Option<String>,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time; null while the run waits.
    pub finished_at: Option<String>,
}

/// A run as listed.
#[derive(ToSchema)]
pub struct RunSummaryDoc {
    /// Run id.
    pub id: String,
    /// Workflow name.
    pub workflow: String,
    /// `completed`, `failed` or `waiting`.
    pub status: String,
    /// The contact it ran for.
    pub contact_id: Option<String>,
    /// Event id, start and end times.
    pub meta: RunMetaDoc,
    /// Number of steps.
    pub steps: u64,
}

/// One page of runs, newest first.
#[derive(ToSchema)]
pub struct RunList {
    /// The runs.
    pub runs: Vec<RunSummaryDoc>,
}

/// A run with its steps, as `hookboard-server run` prints its trace.
#[derive(ToSchema)]
pub struct RunDoc {
    /// `run_id`, `workflow`, `status`, `steps` (request, response, branch, changes, error of
    /// each node passed) and the contact after the run.
    #[schema(value_type = Object)]
    pub trace: serde_json::Value,
    /// Event id, start and end times.
    pub meta: RunMetaDoc,
}

/// A replay queued.
#[derive(ToSchema)]
pub struct RunReplayed {
    /// Id the new run will have.
    pub run_id: String,
    /// The run replayed.
    pub replay_of: String,
}

/// A body the server refused, kept for replay.
#[derive(ToSchema)]
pub struct RejectedDoc {
    /// Id to read or replay it by.
    pub id: String,
    /// Alias (or subscription name) it was posted to.
    pub alias: String,
    /// `public_api`, `webhook` or `subscription`.
    pub source: String,
    /// Why it was refused: the message, then every problem.
    pub reason: String,
    /// The body as received (invalid UTF-8 replaced by U+FFFD).
    pub body: String,
    /// RFC 3339 time it arrived.
    pub received_at: String,
}

/// Refused bodies, newest first.
#[derive(ToSchema)]
pub struct RejectedList {
    /// The refused bodies.
    pub rejected: Vec<RejectedDoc>,
}

/// A contact to add to a group: by id, by email, or both; a missing contact with an email is
/// created.
#[derive(ToSchema)]
pub struct GroupContact {
    /// Contact id.
    pub id: Option<String>,
    /// Contact email.
    pub email: Option<String>,
}

/// What happened to one contact of a group request.
#[derive(ToSchema)]
pub struct GroupEntryDoc {
    /// The contact's id.
    pub contact_id: String,
    /// The contact was created.
    pub created: bool,
    /// The contact was not a member before (only then do runs start).
    pub added: bool,
    /// Ids of the runs queued for it.
    pub run_ids: Vec<String>,
}

/// The answer to a group request, contacts in the order given.
#[derive(ToSchema)]
pub struct GroupEntered {
    /// Group name.
    pub group: String,
    /// One entry per contact given.
    pub contacts: Vec<GroupEntryDoc>,
}

/// `GET /healthz`.
#[derive(ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}
