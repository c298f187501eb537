//! Received and rejected events, runs and their steps.

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::{TestResult, contact, temp_store, trace};
use hookboard_engine::model::Event;
use hookboard_engine::trace::RunStatus;
use hookboard_store::{NewRejectedEvent, RunFilter, RunMeta, StoreError};
use serde_json::json;

fn event(alias: &str, order: &str) -> Event {
    Event {
        alias: alias.to_string(),
        source: "webhook".to_string(),
        payload: json!({"order": order, "email": "ada@example.com", "total": 12.5}),
    }
}

#[test]
fn a_repeated_primary_key_returns_the_existing_event() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let ada = store.create_contact(&contact("ada@example.com", "Ada", "Lovelace"))?;
    let first = store.insert_event(&event("order", "A-1"), "A-1", Some(&ada.id))?;
    assert!(!first.duplicate);
    let again = store.insert_event(&event("order", "A-1"), "A-1", None)?;
    assert!(again.duplicate);
    assert_eq!(again.id, first.id);
    // The same key under another alias is another event.
    let other = store.insert_event(&event("refund", "A-1"), "A-1", None)?;
    assert!(!other.duplicate);
    assert_ne!(other.id, first.id);

    let stored = store.get_event(&first.id)?;
    assert_eq!(stored.event, event("order", "A-1"));
    assert_eq!(stored.contact_id.as_deref(), Some(ada.id.as_str()));
    assert_eq!(stored.primary_key, "A-1");
    assert_eq!(store.list_events("order", 10)?.len(), 1);

    assert!(matches!(
        store.insert_event(&event("order", "A-2"), "A-2", Some("no-such-contact")),
        Err(StoreError::IdNotFound {
            entity: "contact",
            ..
        })
    ));
    Ok(())
}

#[test]
fn recent_events_by_alias_newest_first() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let ada = store.create_contact(&contact("ada@example.com", "Ada", "Lovelace"))?;
    let mut ids = Vec::new();
    for n in 0..5 {
        let key = format!("A-{n}");
        ids.push(
            store
                .insert_event(&event("order", &key), &key, Some(&ada.id))?
                .id,
        );
    }
    store.insert_event(&event("refund", "R-1"), "R-1", None)?;
    let recent: Vec<_> = store
        .list_events("order", 3)?
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(recent, vec![ids[4].clone(), ids[3].clone(), ids[2].clone()]);
    // Across aliases: the refund came last.
    let across: Vec<_> = store
        .list_recent_events(2)?
        .into_iter()
        .map(|e| e.event.alias)
        .collect();
    assert_eq!(across, vec!["refund".to_string(), "order".to_string()]);

    // Deleting the contact keeps its events, unlinked.
    store.delete_contact(&ada.id)?;
    assert!(
        store
            .list_events("order", 10)?
            .iter()
            .all(|e| e.contact_id.is_none())
    );
    Ok(())
}

#[test]
fn rejected_events_insert_list_delete() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let body = b"{\"email\": 42, \xff}".to_vec();
    let id = store.insert_rejected_event(&NewRejectedEvent {
        alias: "order".into(),
        source: "public_api".into(),
        reason: "field `email` must be an email".into(),
        raw_body: body.clone(),
    })?;
    store.insert_rejected_event(&NewRejectedEvent {
        alias: "refund".into(),
        source: "webhook".into(),
        reason: "missing field `order`".into(),
        raw_body: Vec::new(),
    })?;
    let all = store.list_rejected_events(None, 10)?;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].alias, "refund", "newest first");
    let orders = store.list_rejected_events(Some("order"), 10)?;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].raw_body, body, "bytes kept exactly");
    assert_eq!(store.get_rejected_event(&id)?, orders[0]);

    store.delete_rejected_event(&id)?;
    assert_eq!(store.list_rejected_events(None, 10)?.len(), 1);
    assert_eq!(
        store.delete_rejected_event(&id).unwrap_err().to_string(),
        format!("no rejected event with id `{id}`")
    );
    Ok(())
}

#[test]
fn run_round_trip() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let ada = store.create_contact(&contact("ada@example.com", "Ada", "Lovelace"))?;
    let ev = store.insert_event(&event("order", "A-1"), "A-1", Some(&ada.id))?;
    let started = Utc
        .with_ymd_and_hms(2024, 5, 1, 10, 0, 0)
        .single()
        .ok_or("bad date")?
        + Duration::milliseconds(250);
    let meta = RunMeta {
        event_id: Some(ev.id.clone()),
        started_at: started,
        finished_at: Some(started + Duration::milliseconds(1500)),
    };
    let run = trace("run-1", "welcome", RunStatus::Failed, &ada.id);
    store.insert_run(&run, &meta)?;

    let back = store.get_run("run-1")?;
    assert_eq!(back.trace, run);
    assert_eq!(back.meta, meta);

    assert!(matches!(
        store.insert_run(&run, &meta),
        Err(StoreError::AlreadyExists { entity: "run", .. })
    ));
    let missing_event = RunMeta {
        event_id: Some("nope".into()),
        ..meta.clone()
    };
    assert!(matches!(
        store.insert_run(
            &trace("run-2", "welcome", RunStatus::Completed, ""),
            &missing_event
        ),
        Err(StoreError::IdNotFound {
            entity: "event",
            ..
        })
    ));
    assert!(store.get_run("run-2").is_err(), "nothing half-written");

    // A waiting run that moves on is updated in place.
    let mut waiting = trace("run-3", "welcome", RunStatus::Waiting, &ada.id);
    waiting.steps.truncate(1);
    waiting.resume_at = Some("wait".into());
    let waiting_meta = RunMeta {
        event_id: None,
        started_at: started,
        finished_at: None,
    };
    store.insert_run(&waiting, &waiting_meta)?;
    assert_eq!(store.get_run("run-3")?.trace, waiting);
    let done = trace("run-3", "welcome", RunStatus::Completed, &ada.id);
    let done_meta = RunMeta {
        finished_at: Some(started + Duration::seconds(60)),
        ..waiting_meta
    };
    store.update_run(&done, &done_meta)?;
    let back = store.get_run("run-3")?;
    assert_eq!(back.trace, done);
    assert_eq!(back.meta, done_meta);

    store.delete_run("run-3")?;
    assert!(matches!(
        store.get_run("run-3"),
        Err(StoreError::IdNotFound { entity: "run", .. })
    ));
    Ok(())
}

#[test]
fn list_runs_filters_and_pages_newest_first() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let t0 = Utc
        .with_ymd_and_hms(2024, 5, 1, 10, 0, 0)
        .single()
        .ok_or("bad date")?;
    let specs = [
        ("r0", "welcome", RunStatus::Completed, "c1"),
        ("r1", "welcome", RunStatus::Failed, "c2"),
        ("r2", "billing", RunStatus::Completed, "c1"),
        ("r3", "welcome", RunStatus::Completed, "c1"),
        ("r4", "welcome", RunStatus::Waiting, ""),
    ];
    for (i, (id, wf, status, contact)) in specs.iter().enumerate() {
        let started_at = t0 + Duration::minutes(i64::try_from(i)?);
        store.insert_run(
            &trace(id, wf, *status, contact),
            &RunMeta {
                event_id: None,
                started_at,
                finished_at: Some(started_at + Duration::seconds(1)),
            },
        )?;
    }
    let ids = |filter: RunFilter| -> Result<Vec<String>, StoreError> {
        Ok(store
            .list_runs(&filter)?
            .into_iter()
            .map(|r| r.id)
            .collect())
    };
    assert_eq!(
        ids(RunFilter::default())?,
        vec!["r4", "r3", "r2", "r1", "r0"]
    );
    assert_eq!(
        ids(RunFilter {
            workflow: Some("welcome".into()),
            ..RunFilter::default()
        })?,
        vec!["r4", "r3", "r1", "r0"]
    );
    assert_eq!(
        ids(RunFilter {
            status: Some(RunStatus::Completed),
            contact_id: Some("c1".into()),
            ..RunFilter::default()
        })?,
        vec!["r3", "r2", "r0"]
    );
    assert_eq!(
        ids(RunFilter {
            limit: 2,
            offset: 1,
            ..RunFilter::default()
        })?,
        vec!["r3", "r2"]
    );
    assert_eq!(
        ids(RunFilter {
            limit: 2,
            offset: 4,
            ..RunFilter::default()
        })?,
        vec!["r0"]
    );

    let summary = &store.list_runs(&RunFilter {
        limit: 1,
        ..RunFilter::default()
    })?[0];
    assert_eq!(summary.status, RunStatus::Waiting);
    assert_eq!(summary.contact_id, None, "an unsaved contact has no id");
    assert_eq!(summary.steps, 2);
    assert_eq!(summary.meta.started_at, t0 + Duration::minutes(4));
    Ok(())
}
