//! The server's hot paths: accepting events and recording runs in batches with one commit,
//! read-only connections, and `synchronous=NORMAL`.

mod common;

use chrono::Utc;
use common::{TestResult, trace};
use hookboard_engine::model::{Contact, Event};
use hookboard_engine::trace::{RunStatus, RunTrace};
use hookboard_store::{
    AcceptedEvent, ContactQuery, Durability, NewEvent, RunMeta, RunRecord, Store, StoreOptions,
};
use serde_json::json;

fn new_event(email: &str, key: &str, create_contact: bool) -> NewEvent {
    NewEvent {
        event: Event {
            alias: "signup".to_string(),
            source: "webhook".to_string(),
            payload: json!({"email": email, "id": key}),
        },
        primary_key: key.to_string(),
        email: email.to_string(),
        create_contact,
    }
}

fn stored(outcome: &AcceptedEvent) -> (String, bool, String) {
    match outcome {
        AcceptedEvent::Stored {
            inserted,
            contact_id,
            ..
        } => (inserted.id.clone(), inserted.duplicate, contact_id.clone()),
        AcceptedEvent::NoContact => panic!("expected a stored event"),
    }
}

#[test]
fn a_batch_commits_every_good_item_and_answers_each_failure_alone() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("hookboard.db");
    let options = StoreOptions {
        durability: Durability::Normal,
        readers: 2,
    };
    let store = Store::open_with(&path, options)?;
    let events = [
        new_event("ada@example.com", "k1", true),
        new_event("bob@example.com", "", true), // empty primary key: refused
        new_event("cy@example.com", "k3", false), // no contact, not created
        new_event("ADA@example.com", "k1", true), // same key again: a duplicate
        new_event("ada@example.com", "k4", true), // same contact, created above
    ];
    let (accepted, recorded) = store.commit_batch(&events, &[])?;
    assert!(recorded.is_empty());
    assert_eq!(accepted.len(), 5);
    let (first, dup, ada) = stored(accepted[0].as_ref().map_err(|e| e.to_string())?);
    assert!(!dup);
    assert_eq!(
        accepted[1].as_ref().err().map(|e| e.code()),
        Some("invalid")
    );
    assert!(matches!(accepted[2], Ok(AcceptedEvent::NoContact)));
    let (again, dup, same) = stored(accepted[3].as_ref().map_err(|e| e.to_string())?);
    assert!(dup);
    assert_eq!(
        (again.as_str(), same.as_str()),
        (first.as_str(), ada.as_str())
    );
    let (fourth, dup, same) = stored(accepted[4].as_ref().map_err(|e| e.to_string())?);
    assert!(!dup);
    assert_eq!(same, ada);
    assert!(store.find_contact_by_email("bob@example.com")?.is_none());
    assert!(store.find_contact_by_email("cy@example.com")?.is_none());

    // Read back on the read-only connections, and on a second store (another process).
    assert_eq!(
        store.get_event(&fourth)?.contact_id.as_deref(),
        Some(ada.as_str())
    );
    let other = Store::open(&path)?;
    assert_eq!(other.get_event(&first)?.primary_key, "k1");

    // A run recorded with the contact's changes and the processed mark; a second run with
    // the same id fails alone.
    let mut run = trace(&uuid(), "welcome", RunStatus::Completed, &ada);
    run.contact.email = Some("ada@example.com".to_string());
    run.contact.groups.clear();
    run.contact
        .custom
        .insert("crm_id".to_string(), json!("crm-1"));
    let meta = RunMeta {
        event_id: Some(first.clone()),
        started_at: Utc::now(),
        finished_at: Some(Utc::now()),
    };
    let record = RunRecord {
        trace: run.clone(),
        meta: meta.clone(),
        update_contact: true,
        processed_event: Some(first.clone()),
        resumes: None,
        wake_at: None,
        journey: None,
    };
    let (_, recorded) = store.commit_batch(&[], &[record.clone(), record])?;
    let done = recorded[0].as_ref().map_err(|e| e.to_string())?;
    assert!(done.contact_error.is_none(), "{:?}", done.contact_error);
    assert_eq!(done.contact.custom["crm_id"], json!("crm-1"));
    assert_eq!(
        recorded[1].as_ref().err().map(|e| e.code()),
        Some("already_exists")
    );
    assert_eq!(store.get_contact(&ada)?.custom["crm_id"], json!("crm-1"));
    assert_eq!(store.get_run(&run.run_id)?.trace.run_id, run.run_id);
    let context = store.run_context(Some(&ada), Some(&first))?;
    assert_eq!(context.done, ["welcome"]);
    assert_eq!(
        context.contact.map(|c| c.custom["crm_id"].clone()),
        Some(json!("crm-1"))
    );

    // A contact that cannot be saved does not stop the run.
    let mut bad = trace(&uuid(), "welcome", RunStatus::Completed, &ada);
    bad.contact.email = Some("not an email".to_string());
    let recorded = store.record_run(&RunRecord {
        trace: bad.clone(),
        meta,
        update_contact: true,
        processed_event: None,
        resumes: None,
        wake_at: None,
        journey: None,
    })?;
    assert!(recorded.contact_error.is_some());
    assert!(store.run_stored(&bad.run_id)?);
    assert_eq!(
        store.get_contact(&ada)?.email.as_deref(),
        Some("ada@example.com")
    );
    Ok(())
}

fn uuid() -> String {
    format!(
        "run-{}",
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    )
}

/// A run's contact changes are written field by field: a changed name is found by search, a
/// custom field alone leaves the rest as stored, groups stay, and an email of another contact
/// is refused without writing anything.
#[test]
fn a_runs_contact_changes_are_saved_and_an_email_of_another_contact_is_refused() -> TestResult {
    let store = Store::open_in_memory()?;
    let contact = |email: &str, first: &str, last: &str| Contact {
        email: Some(email.to_string()),
        first_name: Some(first.to_string()),
        last_name: Some(last.to_string()),
        ..Contact::default()
    };
    let ada = store.create_contact(&contact("ada@example.com", "Ada", "Lovelace"))?;
    store.create_contact(&contact("bob@example.com", "Bob", "Builder"))?;
    store.add_to_group(&ada.id, "vip")?;
    let record = |changed: Contact| RunRecord {
        update_contact: true,
        ..RunRecord::new(
            RunTrace {
                contact: changed,
                ..trace(&uuid(), "welcome", RunStatus::Completed, &ada.id)
            },
            RunMeta {
                event_id: None,
                started_at: Utc::now(),
                finished_at: Some(Utc::now()),
            },
        )
    };

    let mut renamed = store.get_contact(&ada.id)?;
    renamed.last_name = Some("Byron".to_string());
    renamed.city = Some("London".to_string());
    renamed.groups.clear();
    let recorded = store.record_run(&record(renamed))?;
    assert!(
        recorded.contact_error.is_none(),
        "{:?}",
        recorded.contact_error
    );
    assert_eq!(recorded.contact.groups, ["vip"], "groups stay as stored");
    let found = store.search_contacts(&ContactQuery {
        text: Some("byron".to_string()),
        ..ContactQuery::default()
    })?;
    assert_eq!(found.len(), 1, "the new name is in the name index");
    assert_eq!(found[0].city.as_deref(), Some("London"));
    assert_eq!(
        found[0], recorded.contact,
        "the answer is the contact as stored"
    );

    let mut custom_only = store.get_contact(&ada.id)?;
    custom_only
        .custom
        .insert("crm_id".to_string(), json!("crm-9"));
    store.record_run(&record(custom_only))?;
    let stored = store.get_contact(&ada.id)?;
    assert_eq!(stored.custom["crm_id"], json!("crm-9"));
    assert_eq!(stored.last_name.as_deref(), Some("Byron"));
    assert_eq!(stored.email.as_deref(), Some("ada@example.com"));

    let mut taken = store.get_contact(&ada.id)?;
    taken.email = Some("BOB@example.com".to_string());
    taken.city = Some("Paris".to_string());
    let recorded = store.record_run(&record(taken))?;
    assert_eq!(
        recorded.contact_error.as_ref().map(|e| e.code()),
        Some("already_exists")
    );
    assert_eq!(
        store.get_contact(&ada.id)?,
        stored,
        "nothing of it is written"
    );
    Ok(())
}
