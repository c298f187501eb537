//! Webhooks (with soft delete), connectors, event definitions and environments.

mod common;

use std::collections::BTreeMap;

use common::{TestResult, temp_store, webhook};
use hookboard_engine::model::{
    Connector, ConnectorAuth, Environment, EventContext, EventDefinition, EventField, FieldType,
};
use hookboard_store::StoreError;

#[test]
fn webhooks_upsert_get_list() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    store.upsert_webhook(&webhook("WH2", "https://b.example.com"))?;
    store.upsert_webhook(&webhook("WH1", "https://a.example.com"))?;
    store.upsert_webhook(&webhook("WH1", "https://a2.example.com"))?;
    assert_eq!(
        store.get_webhook("WH1")?,
        webhook("WH1", "https://a2.example.com")
    );
    let names: Vec<_> = store.list_webhooks()?.into_iter().map(|w| w.name).collect();
    assert_eq!(names, vec!["WH1", "WH2"]);

    let err = store
        .create_webhook(&webhook("WH1", "https://x.example.com"))
        .unwrap_err();
    assert_eq!(err.to_string(), "webhook `WH1` already exists");
    store.create_webhook(&webhook("WH3", "https://c.example.com"))?;
    assert_eq!(
        store.get_webhook("nope").unwrap_err().to_string(),
        "no webhook named `nope`"
    );
    Ok(())
}

#[test]
fn webhook_soft_delete_and_restore() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    store.upsert_webhook(&webhook("WH5", "https://old.example.com"))?;
    let id = store.delete_webhook("WH5")?;
    assert!(store.list_webhooks()?.is_empty());
    assert!(matches!(
        store.get_webhook("WH5"),
        Err(StoreError::NotFound { .. })
    ));
    let deleted = store.list_deleted_webhooks()?;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].id, id);
    assert_eq!(
        deleted[0].webhook,
        webhook("WH5", "https://old.example.com")
    );

    // A new webhook takes the name: restoring the old one must fail and change nothing.
    store.upsert_webhook(&webhook("WH5", "https://new.example.com"))?;
    let err = store.restore_webhook(&id).unwrap_err();
    assert_eq!(err.to_string(), "webhook `WH5` already exists");
    assert_eq!(store.list_deleted_webhooks()?.len(), 1);
    assert_eq!(store.get_webhook("WH5")?.url, "https://new.example.com");

    // Once the name is free again, the restore works.
    let newer = store.delete_webhook("WH5")?;
    assert_eq!(store.list_deleted_webhooks()?.len(), 2);
    let restored = store.restore_webhook(&id)?;
    assert_eq!(restored.url, "https://old.example.com");
    assert_eq!(store.get_webhook("WH5")?.url, "https://old.example.com");
    assert_eq!(store.list_deleted_webhooks()?.len(), 1);
    assert!(matches!(
        store.restore_webhook(&id),
        Err(StoreError::IdNotFound { .. })
    ));
    store.purge_webhook(&newer)?;
    assert!(store.list_deleted_webhooks()?.is_empty());
    assert!(store.delete_webhook("missing").is_err());
    Ok(())
}

#[test]
fn connectors_crud() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let basic = Connector {
        name: "crm".into(),
        auth: ConnectorAuth::Basic {
            username: "svc".into(),
        },
    };
    store.upsert_connector(&basic)?;
    assert_eq!(store.get_connector("crm")?, basic);
    let bearer = Connector {
        name: "crm".into(),
        auth: ConnectorAuth::Bearer,
    };
    store.upsert_connector(&bearer)?;
    assert_eq!(store.list_connectors()?, vec![bearer]);
    store.delete_connector("crm")?;
    assert!(store.list_connectors()?.is_empty());
    assert_eq!(
        store.delete_connector("crm").unwrap_err().to_string(),
        "no connector named `crm`"
    );
    Ok(())
}

#[test]
fn event_definitions_and_environments_crud() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let def = EventDefinition {
        alias: "signup".into(),
        context: EventContext::Webhook,
        fields: vec![
            EventField {
                name: "email".into(),
                field_type: FieldType::Email,
                required: true,
                pointer: Some("/user/email".into()),
            },
            EventField {
                name: "order".into(),
                field_type: FieldType::Text,
                required: true,
                pointer: Some("/id".into()),
            },
        ],
        email_field: "email".into(),
        primary_key: "order".into(),
    };
    store.upsert_event_definition(&def)?;
    assert_eq!(store.get_event_definition("signup")?, def);
    let mut changed = def.clone();
    changed.context = EventContext::PublicApi;
    store.upsert_event_definition(&changed)?;
    assert_eq!(store.list_event_definitions()?, vec![changed]);
    store.delete_event_definition("signup")?;
    assert_eq!(
        store
            .get_event_definition("signup")
            .unwrap_err()
            .to_string(),
        "no event definition named `signup`"
    );

    let mut variables = BTreeMap::new();
    variables.insert(
        "base_url".to_string(),
        "https://sandbox.example.com".to_string(),
    );
    let sandbox = Environment {
        name: "sandbox".into(),
        variables,
    };
    let production = Environment {
        name: "production".into(),
        variables: BTreeMap::new(),
    };
    store.upsert_environment(&sandbox)?;
    store.upsert_environment(&production)?;
    assert_eq!(store.get_environment("sandbox")?, sandbox);
    assert_eq!(store.list_environments()?, vec![production, sandbox]);
    store.delete_environment("sandbox")?;
    assert_eq!(store.list_environments()?.len(), 1);
    assert!(matches!(
        store.get_environment("sandbox"),
        Err(StoreError::NotFound { .. })
    ));
    Ok(())
}
