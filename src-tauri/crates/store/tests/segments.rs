//! Segments: saved filters over contact fields and groups, and searching contacts by them.

mod common;

use common::{TestResult, contact, temp_store};
use hookboard_engine::model::Contact;
use hookboard_store::{
    ConditionOp, ContactQuery, SCHEMA_VERSION, Segment, SegmentCondition, Store, StoreError,
    migrations,
};
use rusqlite::{Connection, params};
use serde_json::json;

fn cond(field: &str, op: ConditionOp, value: Option<&str>) -> SegmentCondition {
    SegmentCondition {
        field: field.to_string(),
        op,
        value: value.map(str::to_string),
    }
}

fn segment(name: &str, groups: &[&str], conditions: Vec<SegmentCondition>) -> Segment {
    Segment {
        name: name.to_string(),
        description: None,
        groups: groups.iter().map(|g| g.to_string()).collect(),
        conditions,
    }
}

/// Emails of the contacts in segment `name` (search order), at most `limit`.
fn members(store: &Store, name: &str, text: Option<&str>, limit: usize) -> Vec<String> {
    store
        .search_contacts(&ContactQuery {
            text: text.map(str::to_string),
            segment: Some(name.to_string()),
            limit,
            ..ContactQuery::default()
        })
        .unwrap_or_else(|e| panic!("search by segment `{name}`: {e}"))
        .into_iter()
        .map(|c| c.email.unwrap_or_default())
        .collect()
}

/// Four contacts: Ada (London, vip, score 12, Lovelace), Grace (Arlington, newsletter, no
/// phone), Élodie (Paris, vip + newsletter, `vip: true`), Alan (no city, no groups).
fn people(store: &Store) -> TestResult {
    let mut ada = contact("ada@example.com", "Ada", "Lovelace");
    ada.city = Some("London".into());
    ada.phone = Some("+44 20 7946 0000".into());
    ada.birthday = Some("1815-12-10".into());
    ada.custom.insert("score".into(), json!(12));
    ada.custom.insert("plan".into(), json!("Pro"));
    ada.groups = vec!["vip".into()];
    store.create_contact(&ada)?;
    let mut grace = contact("grace@navy.mil", "Grace", "Hopper");
    grace.city = Some("Arlington".into());
    grace.custom.insert("plan".into(), json!(""));
    grace.groups = vec!["newsletter".into()];
    store.create_contact(&grace)?;
    let mut elodie = contact("elodie@exemple.fr", "Élodie", "Zoé");
    elodie.city = Some("PARIS".into());
    elodie.phone = Some("+33 1 23 45 67 89".into());
    elodie.custom.insert("vip".into(), json!(true));
    elodie.custom.insert("plan".into(), json!("pro annual"));
    elodie.groups = vec!["vip".into(), "newsletter".into()];
    store.create_contact(&elodie)?;
    store.create_contact(&contact("alan@example.com", "Alan", "Turing"))?;
    Ok(())
}

#[test]
fn save_get_list_rename_delete() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let mut s = segment(
        "  Londoners ",
        &[" vip ", "", "vip", "newsletter"],
        vec![cond(" city ", ConditionOp::Equals, Some(" london "))],
    );
    s.description = Some("   ".into());
    let saved = store.upsert_segment(&s, None)?;
    assert_eq!(saved.name, "Londoners");
    assert_eq!(saved.description, None);
    assert_eq!(
        saved.groups,
        vec!["vip".to_string(), "newsletter".to_string()]
    );
    assert_eq!(
        saved.conditions,
        vec![cond("city", ConditionOp::Equals, Some("london"))]
    );
    assert_eq!(store.get_segment("Londoners")?, saved);

    // Upsert replaces; a value given to an operator that takes none is dropped.
    let mut replaced = saved.clone();
    replaced.description = Some("people in London".into());
    replaced.conditions = vec![cond("phone", ConditionOp::IsSet, Some("ignored"))];
    let replaced = store.upsert_segment(&replaced, None)?;
    assert_eq!(
        replaced.conditions,
        vec![cond("phone", ConditionOp::IsSet, None)]
    );
    store.upsert_segment(&segment("A first", &["vip"], vec![]), None)?;
    let names: Vec<_> = store.list_segments()?.into_iter().map(|s| s.name).collect();
    assert_eq!(names, vec!["A first", "Londoners"]);

    // Rename: the old name goes, the new one must be free.
    let mut renamed = replaced.clone();
    renamed.name = "London".into();
    let renamed = store.upsert_segment(&renamed, Some("Londoners"))?;
    assert_eq!(renamed.description.as_deref(), Some("people in London"));
    assert!(matches!(
        store.get_segment("Londoners"),
        Err(StoreError::NotFound {
            entity: "segment",
            ..
        })
    ));
    let mut clash = renamed.clone();
    clash.name = "A first".into();
    assert!(matches!(
        store.upsert_segment(&clash, Some("London")),
        Err(StoreError::AlreadyExists {
            entity: "segment",
            ..
        })
    ));
    assert!(matches!(
        store.upsert_segment(&segment("X", &["vip"], vec![]), Some("nope")),
        Err(StoreError::NotFound {
            entity: "segment",
            ..
        })
    ));

    store.delete_segment("London")?;
    assert!(matches!(
        store.delete_segment("London"),
        Err(StoreError::NotFound {
            entity: "segment",
            ..
        })
    ));
    assert_eq!(store.list_segments()?.len(), 1);
    Ok(())
}

#[test]
fn invalid_segments_name_the_field() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let field_of = |s: &Segment| match store.upsert_segment(s, None) {
        Err(StoreError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid segment, got {other:?}"),
    };
    assert_eq!(field_of(&segment(" ", &["vip"], vec![])), "name");
    assert_eq!(field_of(&segment("empty", &[" "], vec![])), "conditions");
    let city = cond("city", ConditionOp::Equals, Some("Paris"));
    assert_eq!(
        field_of(&segment(
            "s",
            &[],
            vec![city.clone(), cond("nickname", ConditionOp::IsSet, None)]
        )),
        "conditions[1].field"
    );
    assert_eq!(
        field_of(&segment(
            "s",
            &[],
            vec![cond("custom.", ConditionOp::IsSet, None)]
        )),
        "conditions[0].field"
    );
    assert_eq!(
        field_of(&segment("s", &[], vec![cond("", ConditionOp::IsSet, None)])),
        "conditions[0].field"
    );
    for op in [
        ConditionOp::Equals,
        ConditionOp::Contains,
        ConditionOp::StartsWith,
    ] {
        assert_eq!(
            field_of(&segment(
                "s",
                &[],
                vec![city.clone(), cond("email", op, Some("  "))]
            )),
            "conditions[1].value"
        );
        assert_eq!(
            field_of(&segment("s", &[], vec![cond("email", op, None)])),
            "conditions[0].value"
        );
    }
    // An unknown operator does not even deserialize, and says which.
    let err = serde_json::from_value::<Segment>(json!({
        "name": "s", "conditions": [{"field": "email", "op": "matches", "value": "x"}]
    }))
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(err.contains("matches"), "{err}");
    assert!(store.list_segments()?.is_empty());
    Ok(())
}

#[test]
fn search_by_segment_combines_groups_any_of_and_conditions_all_of() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    people(&store)?;

    // Groups: any of.
    store.upsert_segment(&segment("either", &["vip", "newsletter"], vec![]), None)?;
    assert_eq!(
        members(&store, "either", None, 100),
        ["grace@navy.mil", "ada@example.com", "elodie@exemple.fr"]
    );
    // Conditions: all of, case-insensitive (Unicode too).
    store.upsert_segment(
        &segment(
            "vip in paris",
            &["vip"],
            vec![
                cond("city", ConditionOp::Equals, Some("paris")),
                cond("first_name", ConditionOp::StartsWith, Some("élo")),
            ],
        ),
        None,
    )?;
    assert_eq!(
        members(&store, "vip in paris", None, 100),
        ["elodie@exemple.fr"]
    );
    store.upsert_segment(
        &segment(
            "example.com",
            &[],
            vec![cond("email", ConditionOp::Contains, Some("EXAMPLE.COM"))],
        ),
        None,
    )?;
    assert_eq!(
        members(&store, "example.com", None, 100),
        ["ada@example.com", "alan@example.com"]
    );
    // LIKE wildcards in a value are literal.
    store.upsert_segment(
        &segment(
            "percent",
            &[],
            vec![cond("email", ConditionOp::Contains, Some("%"))],
        ),
        None,
    )?;
    assert!(members(&store, "percent", None, 100).is_empty());
    // Set / not set: missing and blank are both "not set".
    store.upsert_segment(
        &segment(
            "no phone",
            &[],
            vec![cond("phone", ConditionOp::IsNotSet, None)],
        ),
        None,
    )?;
    assert_eq!(
        members(&store, "no phone", None, 100),
        ["grace@navy.mil", "alan@example.com"]
    );
    store.upsert_segment(
        &segment(
            "has plan",
            &[],
            vec![cond("custom.plan", ConditionOp::IsSet, None)],
        ),
        None,
    )?;
    assert_eq!(
        members(&store, "has plan", None, 100),
        ["ada@example.com", "elodie@exemple.fr"]
    );
    // Custom fields: text, numbers and booleans compare by their text.
    store.upsert_segment(
        &segment(
            "pro",
            &[],
            vec![cond("custom.plan", ConditionOp::StartsWith, Some("PRO"))],
        ),
        None,
    )?;
    assert_eq!(
        members(&store, "pro", None, 100),
        ["ada@example.com", "elodie@exemple.fr"]
    );
    store.upsert_segment(
        &segment(
            "score 12",
            &[],
            vec![cond("custom.score", ConditionOp::Equals, Some("12"))],
        ),
        None,
    )?;
    assert_eq!(members(&store, "score 12", None, 100), ["ada@example.com"]);
    store.upsert_segment(
        &segment(
            "flag",
            &[],
            vec![cond("custom.vip", ConditionOp::Equals, Some("true"))],
        ),
        None,
    )?;
    assert_eq!(members(&store, "flag", None, 100), ["elodie@exemple.fr"]);
    store.upsert_segment(
        &segment(
            "born 1815",
            &[],
            vec![cond("birthday", ConditionOp::StartsWith, Some("1815-"))],
        ),
        None,
    )?;
    assert_eq!(members(&store, "born 1815", None, 100), ["ada@example.com"]);
    // A segment naming a group nobody is in matches nobody.
    store.upsert_segment(&segment("ghost", &["nobody here"], vec![]), None)?;
    assert!(members(&store, "ghost", None, 100).is_empty());
    Ok(())
}

#[test]
fn segment_filter_combines_with_text_group_and_limit() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    people(&store)?;
    store.upsert_segment(&segment("either", &["vip", "newsletter"], vec![]), None)?;
    // The limit counts segment members only, in search order.
    assert_eq!(
        members(&store, "either", None, 2),
        ["grace@navy.mil", "ada@example.com"]
    );
    assert_eq!(members(&store, "either", None, 1), ["grace@navy.mil"]);
    // Text narrows the segment.
    assert_eq!(
        members(&store, "either", Some("zoé"), 100),
        ["elodie@exemple.fr"]
    );
    // A group narrows it too.
    let in_vip = store.search_contacts(&ContactQuery {
        group: Some("vip".into()),
        segment: Some("either".into()),
        ..ContactQuery::default()
    })?;
    let emails: Vec<_> = in_vip.iter().filter_map(|c| c.email.as_deref()).collect();
    assert_eq!(emails, ["ada@example.com", "elodie@exemple.fr"]);
    // An unknown segment is an error that names it.
    match store.search_contacts(&ContactQuery {
        segment: Some("nope".into()),
        ..ContactQuery::default()
    }) {
        Err(StoreError::NotFound { entity, name }) => {
            assert_eq!((entity, name.as_str()), ("segment", "nope"))
        }
        other => panic!("expected not found, got {other:?}"),
    }
    // Membership follows the contacts: a contact leaving the group leaves the segment.
    let ada = store
        .find_contact_by_email("ada@example.com")?
        .ok_or("ada is missing")?;
    store.remove_from_group(&ada.id, "vip")?;
    assert_eq!(
        members(&store, "either", None, 100),
        ["grace@navy.mil", "elodie@exemple.fr"]
    );
    // Deleting a segment leaves its contacts alone.
    store.delete_segment("either")?;
    assert_eq!(store.search_contacts(&ContactQuery::default())?.len(), 4);
    Ok(())
}

/// A database at schema version 3 (before segments) keeps its contacts and groups when the
/// segments migration runs, and can then save segments over them.
#[test]
fn upgrade_from_schema_3_keeps_contacts_and_adds_segments() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("v3.db");
    {
        let mut raw = Connection::open(&path)?;
        raw.pragma_update(None, "foreign_keys", "ON")?;
        migrations().to_version(&mut raw, 3)?;
        let t = "2024-05-01T10:00:00.000Z";
        raw.execute(
            "INSERT INTO contacts (id, email, first_name, last_name, city, custom, created_at,
                                   updated_at)
             VALUES ('c1', 'ada@example.com', 'Ada', 'Lovelace', 'London', '{\"score\":3}', ?1, ?1)",
            [t],
        )?;
        raw.execute(
            "INSERT INTO groups (id, name, created_at) VALUES (1, 'vip', ?1)",
            [t],
        )?;
        raw.execute(
            "INSERT INTO contact_groups (contact_id, group_id, added_at) VALUES ('c1', 1, ?1)",
            params![t],
        )?;
        let version: i64 = raw.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        assert_eq!(version, 3);
        assert!(raw.prepare("SELECT * FROM segments").is_err());
    }
    let store = Store::open(&path)?;
    assert_eq!(store.schema_version()?, SCHEMA_VERSION);
    const { assert!(SCHEMA_VERSION >= 4) };
    let ada: Contact = store.get_contact("c1")?;
    assert_eq!(ada.email.as_deref(), Some("ada@example.com"));
    assert_eq!(ada.custom["score"], json!(3));
    assert_eq!(ada.groups, vec!["vip".to_string()]);
    assert!(store.list_segments()?.is_empty());
    store.upsert_segment(
        &segment(
            "scored",
            &["vip"],
            vec![cond("custom.score", ConditionOp::Equals, Some("3"))],
        ),
        None,
    )?;
    assert_eq!(members(&store, "scored", None, 10), ["ada@example.com"]);
    Ok(())
}
