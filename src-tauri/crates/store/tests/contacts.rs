//! Contacts, search and groups.

mod common;

use common::{TestResult, contact, temp_store};
use hookboard_engine::model::Contact;
use hookboard_store::{ContactQuery, GroupInfo, StoreError};
use serde_json::json;

#[test]
fn create_get_update_delete() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let mut ada = contact(" ada@example.com ", "Ada", "Lovelace");
    ada.city = Some("London".into());
    ada.birthday = Some("1815-12-10".into());
    ada.custom.insert("score".into(), json!(12));
    ada.custom.insert("vip".into(), json!(true));
    ada.groups = vec!["newsletter".into(), "vip".into(), "vip".into()];
    let created = store.create_contact(&ada)?;
    assert!(!created.id.is_empty());
    assert_eq!(created.email.as_deref(), Some("ada@example.com"), "trimmed");
    assert_eq!(created.groups, vec!["newsletter", "vip"]);
    assert_eq!(store.get_contact(&created.id)?, created);

    let mut changed = created.clone();
    changed.city = None;
    changed.phone = Some("+44 20 7946 0000".into());
    changed.custom.remove("vip");
    changed.groups = vec!["customers".into()];
    let updated = store.update_contact(&changed)?;
    assert_eq!(updated, changed);
    assert_eq!(store.get_contact(&created.id)?, changed);

    store.delete_contact(&created.id)?;
    let err = store.get_contact(&created.id).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("no contact with id `{}`", created.id)
    );
    assert!(store.delete_contact(&created.id).is_err());
    assert!(matches!(
        store.update_contact(&changed),
        Err(StoreError::IdNotFound { .. })
    ));
    Ok(())
}

#[test]
fn invalid_contacts_are_refused() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let nobody = Contact {
        first_name: Some("Nobody".into()),
        ..Contact::default()
    };
    assert_eq!(
        store.create_contact(&nobody).unwrap_err().to_string(),
        "invalid contact: missing both email and phone"
    );
    let bad = contact("not-an-email", "A", "B");
    assert_eq!(
        store.create_contact(&bad).unwrap_err().to_string(),
        "invalid email: `not-an-email` is not a valid email address"
    );
    let mut bad_day = contact("a@example.com", "A", "B");
    bad_day.birthday = Some("10/12/1815".into());
    assert!(matches!(
        store.create_contact(&bad_day),
        Err(StoreError::Invalid { field, .. }) if field == "birthday"
    ));

    let phone_only = Contact {
        phone: Some("+33 6 12 34 56 78".into()),
        ..Contact::default()
    };
    store.create_contact(&phone_only)?;

    store.create_contact(&contact("ada@example.com", "Ada", "L"))?;
    let dup = store
        .create_contact(&contact("ADA@example.com", "Other", "L"))
        .unwrap_err();
    assert_eq!(
        dup.to_string(),
        "contact with email `ADA@example.com` already exists"
    );
    Ok(())
}

#[test]
fn find_by_email_ignores_case() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let ada = store.create_contact(&contact("Ada@Example.com", "Ada", "Lovelace"))?;
    assert_eq!(store.find_contact_by_email("ada@example.COM")?, Some(ada));
    assert_eq!(store.find_contact_by_email("grace@example.com")?, None);
    Ok(())
}

#[test]
fn search_by_text_group_and_limit() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let ada = store.create_contact(&contact("ada@example.com", "Ada", "Lovelace"))?;
    let mut grace = contact("grace@navy.mil", "Grace", "Hopper");
    grace.phone = Some("+1 555 0100".into());
    let grace = store.create_contact(&grace)?;
    let elodie = store.create_contact(&contact("elodie@example.fr", "Élodie", "Ébrard"))?;
    store.create_contact(&contact("under_score@example.com", "Un", "Derscore"))?;

    let search = |text: &str| -> Result<Vec<String>, StoreError> {
        Ok(store
            .search_contacts(&ContactQuery {
                text: Some(text.to_string()),
                ..ContactQuery::default()
            })?
            .into_iter()
            .map(|c| c.id)
            .collect())
    };
    assert_eq!(search("LOVE")?, vec![ada.id.clone()], "last name, any case");
    assert_eq!(search("grace@")?, vec![grace.id.clone()], "email");
    assert_eq!(search("555 01")?, vec![grace.id.clone()], "phone");
    assert_eq!(
        search("élodie")?,
        vec![elodie.id.clone()],
        "Unicode case folding"
    );
    assert_eq!(search("ÉBRARD")?, vec![elodie.id.clone()]);
    assert_eq!(search("ada lovelace")?, vec![ada.id.clone()], "full name");
    assert_eq!(search("_")?.len(), 1, "LIKE wildcards are literal");
    assert!(search("zzz")?.is_empty());

    let all = store.search_contacts(&ContactQuery::default())?;
    assert_eq!(all.len(), 4);
    let two = store.search_contacts(&ContactQuery {
        limit: 2,
        ..ContactQuery::default()
    })?;
    assert_eq!(two.len(), 2);

    store.add_to_group(&ada.id, "vip")?;
    store.add_to_group(&elodie.id, "vip")?;
    let vip_with_example = store.search_contacts(&ContactQuery {
        text: Some("example".into()),
        group: Some("vip".into()),
        segment: None,
        limit: 10,
    })?;
    let mut ids: Vec<_> = vip_with_example.into_iter().map(|c| c.id).collect();
    ids.sort();
    let mut expected = vec![elodie.id.clone(), ada.id.clone()];
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(
        store
            .search_contacts(&ContactQuery {
                group: Some("nope".into()),
                ..ContactQuery::default()
            })
            .unwrap_err()
            .to_string(),
        "no group named `nope`"
    );
    Ok(())
}

#[test]
fn group_membership_and_counts() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let ada = store.create_contact(&contact("ada@example.com", "Ada", "Lovelace"))?;
    let grace = store.create_contact(&contact("grace@example.com", "Grace", "Hopper"))?;
    assert!(store.add_to_group(&ada.id, "vip")?);
    assert!(!store.add_to_group(&ada.id, "vip")?, "already a member");
    assert!(store.add_to_group(&grace.id, "vip")?);
    assert!(store.add_to_group(&grace.id, "newsletter")?);
    store.create_group("empty")?;
    assert!(matches!(
        store.create_group("vip"),
        Err(StoreError::AlreadyExists { .. })
    ));

    let group = |name: &str, members| GroupInfo {
        name: name.to_string(),
        members,
    };
    assert_eq!(
        store.list_groups()?,
        vec![group("empty", 0), group("newsletter", 1), group("vip", 2)]
    );
    assert_eq!(
        store.get_contact(&grace.id)?.groups,
        vec!["newsletter", "vip"]
    );

    assert!(store.remove_from_group(&grace.id, "vip")?);
    assert!(!store.remove_from_group(&grace.id, "vip")?);
    assert!(store.remove_from_group(&grace.id, "nope").is_err());
    assert!(store.add_to_group("missing", "vip").is_err());

    store.delete_contact(&ada.id)?;
    store.delete_group("newsletter")?;
    assert_eq!(
        store.list_groups()?,
        vec![group("empty", 0), group("vip", 0)]
    );
    assert!(store.get_contact(&grace.id)?.groups.is_empty());
    Ok(())
}
