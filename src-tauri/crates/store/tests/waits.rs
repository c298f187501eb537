//! Waiting runs and subscription journeys: a run that stops at a wait keeps it with the run,
//! is found when due, by event and by journey, and goes on with its steps added after the
//! stored ones.

mod common;

use chrono::{Duration, Utc};
use common::{TestResult, temp_store, trace};
use hookboard_engine::model::{Contact, Event};
use hookboard_engine::trace::{RunStatus, Suspension};
use hookboard_store::{AcceptedEvent, NewEvent, RunMeta, RunRecord};
use serde_json::json;

fn record(trace: hookboard_engine::trace::RunTrace) -> RunRecord {
    let meta = RunMeta {
        event_id: None,
        started_at: Utc::now(),
        finished_at: None,
    };
    RunRecord::new(trace, meta)
}

#[test]
fn a_waiting_run_keeps_its_wait_until_it_goes_on() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let accepted = store.accept_event(&NewEvent {
        event: Event {
            alias: "signup".into(),
            source: "webhook".into(),
            payload: json!({}),
        },
        primary_key: "k1".into(),
        email: "ada@example.com".into(),
        create_contact: true,
    })?;
    let AcceptedEvent::Stored { contact_id, .. } = accepted else {
        return Err("no contact".into());
    };
    let mut waiting = trace("run-1", "welcome", RunStatus::Waiting, &contact_id);
    waiting.contact = Contact {
        id: contact_id.clone(),
        email: Some("ada@example.com".into()),
        ..Contact::default()
    };
    waiting.suspension = Some(Suspension {
        node: "reply".into(),
        wait_ms: 60_000,
        alias: Some("answered".into()),
        state: json!({"event": {"city": "Lyon"}}),
    });
    let steps_before = waiting.steps.len();
    let wake_at = Utc::now() + Duration::minutes(1);
    store.record_run(&RunRecord {
        wake_at: Some(wake_at),
        journey: Some(("welcome".into(), "order-7".into())),
        ..record(waiting.clone())
    })?;

    let wait = store.get_wait("run-1")?.ok_or("no wait kept")?;
    assert_eq!(wait.node, "reply");
    assert_eq!(wait.alias.as_deref(), Some("answered"));
    assert_eq!(wait.contact_id.as_deref(), Some(contact_id.as_str()));
    assert_eq!(wait.suspension.state["event"]["city"], json!("Lyon"));
    assert!(store.due_waits(Utc::now(), 10)?.is_empty());
    assert_eq!(store.due_waits(wake_at, 10)?, ["run-1"]);
    let later = Utc::now() + Duration::seconds(1);
    assert_eq!(
        store.waits_for_event("answered", &contact_id, later)?.len(),
        1
    );
    assert!(
        store
            .waits_for_event("other", &contact_id, later)?
            .is_empty()
    );
    assert!(
        store
            .waits_for_event("answered", &contact_id, Utc::now() - Duration::hours(1))?
            .is_empty(),
        "an event received before the wait began is not delivered to it"
    );
    assert_eq!(
        store.journey_wait("welcome", "order-7")?.map(|w| w.run_id),
        Some("run-1".to_string())
    );
    assert!(store.journey_wait("welcome", "order-8")?.is_none());

    let mut went_on = trace("run-1", "welcome", RunStatus::Completed, &contact_id);
    went_on.contact = waiting.contact.clone();
    went_on.steps.truncate(1);
    let wait = store.get_wait("run-1")?.ok_or("no wait")?;
    let stale = wait.since - Duration::seconds(1);
    let superseded = store.record_run(&RunRecord {
        resumes: Some(stale),
        ..record(went_on.clone())
    })?;
    assert!(superseded.superseded, "a wait the run no longer has");
    assert!(store.get_wait("run-1")?.is_some(), "nothing written");
    assert_eq!(store.get_run("run-1")?.trace.status, RunStatus::Waiting);
    let recorded = store.record_run(&RunRecord {
        resumes: Some(wait.since),
        meta: RunMeta {
            event_id: None,
            started_at: Utc::now(),
            finished_at: Some(Utc::now()),
        },
        ..record(went_on.clone())
    })?;
    assert!(!recorded.superseded);
    assert!(store.get_wait("run-1")?.is_none());
    assert!(store.journey_wait("welcome", "order-7")?.is_none());
    let run = store.get_run("run-1")?;
    assert_eq!(run.trace.status, RunStatus::Completed);
    assert_eq!(run.trace.steps.len(), steps_before + 1);
    assert!(run.meta.finished_at.is_some());

    let again = store.record_run(&RunRecord {
        resumes: Some(wait.since),
        ..record(went_on)
    })?;
    assert!(again.superseded, "a run goes on once from one wait");
    assert_eq!(store.get_run("run-1")?.trace.steps.len(), steps_before + 1);
    Ok(())
}
