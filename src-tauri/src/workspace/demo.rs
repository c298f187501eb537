//! The demo workspace seeded on first start: the demo bundle and a few contacts.

use hookboard_engine::model::Contact;
use hookboard_engine::validate;
use hookboard_store::{Store, StoreError};

use super::Result;

/// The demo bundle (`tests/fixtures/demo.bundle.json`), embedded at build time.
pub const DEMO_BUNDLE: &str = include_str!("../../../tests/fixtures/demo.bundle.json");

/// The groups the demo contacts belong to.
pub const DEMO_GROUPS: [&str; 2] = ["customers", "newsletter"];

/// Demo contacts: email, first name, last name, city, groups.
const DEMO_CONTACTS: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "ada.lovelace@example.com",
        "Ada",
        "Lovelace",
        "London",
        &["customers", "newsletter"],
    ),
    (
        "alan.turing@example.com",
        "Alan",
        "Turing",
        "Manchester",
        &["customers"],
    ),
    (
        "grace.hopper@example.com",
        "Grace",
        "Hopper",
        "New York",
        &["newsletter"],
    ),
    (
        "katherine.johnson@example.com",
        "Katherine",
        "Johnson",
        "Hampton",
        &["customers"],
    ),
];

/// Creates the demo contacts (skipping any whose email is already taken).
pub(super) fn add_contacts(store: &Store) -> Result<()> {
    for (email, first, last, city, groups) in DEMO_CONTACTS {
        if store.find_contact_by_email(email)?.is_some() {
            continue;
        }
        store.create_contact(&Contact {
            email: Some((*email).to_string()),
            first_name: Some((*first).to_string()),
            last_name: Some((*last).to_string()),
            city: Some((*city).to_string()),
            groups: groups.iter().map(|g| (*g).to_string()).collect(),
            ..Contact::default()
        })?;
    }
    Ok(())
}

/// Counts a deletion, treating "already gone" as nothing to do.
fn count(result: std::result::Result<impl Sized, StoreError>) -> Result<usize> {
    match result {
        Ok(_) => Ok(1),
        Err(StoreError::NotFound { .. } | StoreError::IdNotFound { .. }) => Ok(0),
        Err(err) => Err(err.into()),
    }
}

/// Deletes every demo item that still exists; returns how many were deleted.
pub(super) fn delete(store: &Store) -> Result<usize> {
    // The embedded bundle is ours and checked by tests; if it ever failed to parse there is
    // simply nothing to recognise as demo data.
    let Ok(bundle) = validate::parse_bundle(DEMO_BUNDLE) else {
        return Ok(0);
    };
    let mut deleted = 0;
    for workflow in &bundle.workflows {
        deleted += count(store.delete_workflow(&workflow.name))?;
    }
    for webhook in &bundle.webhooks {
        // Demo webhooks go for good rather than to the "deleted" list.
        match store.delete_webhook(&webhook.name) {
            Ok(id) => deleted += count(store.purge_webhook(&id))?,
            Err(err) => deleted += count(Err::<(), _>(err))?,
        }
    }
    for connector in &bundle.connectors {
        deleted += count(store.delete_connector(&connector.name))?;
    }
    for definition in &bundle.event_definitions {
        deleted += count(store.delete_event_definition(&definition.alias))?;
    }
    for environment in &bundle.environments {
        deleted += count(store.delete_environment(&environment.name))?;
    }
    for (email, ..) in DEMO_CONTACTS {
        if let Some(contact) = store.find_contact_by_email(email)? {
            deleted += count(store.delete_contact(&contact.id))?;
        }
    }
    for group in DEMO_GROUPS {
        let empty = store
            .list_groups()?
            .iter()
            .any(|g| g.name == group && g.members == 0);
        if empty {
            deleted += count(store.delete_group(group))?;
        }
    }
    Ok(deleted)
}
