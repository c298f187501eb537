//! Workflows and revisions.

mod common;

use common::{TestResult, temp_store, workflow};
use hookboard_store::StoreError;

#[test]
fn each_save_appends_a_revision() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    let first = store.save_workflow(&workflow("welcome", "v1"))?;
    let second = store.save_workflow(&workflow("welcome", "v2"))?;
    assert_eq!((first.number, second.number), (1, 2));
    assert!(second.saved_at >= first.saved_at);

    assert_eq!(store.get_workflow("welcome")?, workflow("welcome", "v2"));
    let revisions = store.list_revisions("welcome")?;
    assert_eq!(
        revisions,
        vec![second.clone(), first.clone()],
        "newest first"
    );
    assert_eq!(store.get_revision("welcome", 1)?.description, "v1");

    let list = store.list_workflows()?;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "welcome");
    assert_eq!(list[0].description, "v2");
    assert_eq!(list[0].current_revision, 2);
    Ok(())
}

#[test]
fn restoring_a_revision_appends_a_copy_of_it() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    store.save_workflow(&workflow("welcome", "v1"))?;
    store.save_workflow(&workflow("welcome", "v2"))?;
    let restored = store.restore_revision("welcome", 1)?;
    assert_eq!(restored.number, 3);
    assert_eq!(store.get_workflow("welcome")?, workflow("welcome", "v1"));
    assert_eq!(
        store.get_revision("welcome", 2)?.description,
        "v2",
        "history kept"
    );
    assert_eq!(store.list_revisions("welcome")?.len(), 3);

    let err = store.restore_revision("welcome", 9).unwrap_err();
    assert_eq!(err.to_string(), "workflow `welcome` has no revision 9");
    Ok(())
}

#[test]
fn rename_duplicate_and_delete() -> TestResult {
    let (_dir, _path, store) = temp_store()?;
    store.save_workflow(&workflow("welcome", "v1"))?;
    store.save_workflow(&workflow("welcome", "v2"))?;
    store.save_workflow(&workflow("other", ""))?;

    store.rename_workflow("welcome", "onboarding")?;
    assert_eq!(store.get_workflow("onboarding")?.name, "onboarding");
    assert_eq!(store.get_revision("onboarding", 1)?.name, "onboarding");
    assert_eq!(
        store.list_revisions("onboarding")?.len(),
        2,
        "revisions follow"
    );
    assert_eq!(
        store.get_workflow("welcome").unwrap_err().to_string(),
        "no workflow named `welcome`"
    );
    let taken = store.rename_workflow("onboarding", "other").unwrap_err();
    assert_eq!(taken.to_string(), "workflow `other` already exists");
    assert_eq!(taken.code(), "already_exists");

    let copy = store.duplicate_workflow("onboarding", "onboarding copy")?;
    assert_eq!(copy.number, 1);
    let dup = store.get_workflow("onboarding copy")?;
    assert_eq!(dup.description, "v2");
    assert_eq!(dup.nodes, workflow("x", "").nodes);
    assert!(matches!(
        store.duplicate_workflow("onboarding", "other"),
        Err(StoreError::AlreadyExists { .. })
    ));

    store.delete_workflow("onboarding")?;
    let names: Vec<_> = store
        .list_workflows()?
        .into_iter()
        .map(|w| w.name)
        .collect();
    assert_eq!(names, vec!["onboarding copy", "other"]);
    assert!(matches!(
        store.list_revisions("onboarding"),
        Err(StoreError::NotFound { .. })
    ));
    assert!(store.delete_workflow("onboarding").is_err());
    assert!(matches!(
        store.save_workflow(&workflow("  ", "")),
        Err(StoreError::Invalid { .. })
    ));
    Ok(())
}
