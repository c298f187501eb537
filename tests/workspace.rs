//! The desktop workspace without Tauri: a real SQLite file in a temporary folder.

use hookboard_app::error::ApiError;
use hookboard_app::workspace::{DEMO_BUNDLE, Workspace, WorkspaceError};
use hookboard_engine::catalogue::kinds;
use hookboard_engine::model::{Environment, Node, Workflow};
use hookboard_engine::validate::{self, Severity};
use hookboard_secrets::{MemorySecretStore, SecretStore, SecretString};
use hookboard_store::{ContactQuery, StoreError};

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}

fn open(dir: &tempfile::TempDir) -> Workspace {
    Workspace::open(dir.path()).expect("workspace opens")
}

fn seeded(dir: &tempfile::TempDir) -> Workspace {
    let ws = open(dir);
    assert!(ws.seed_demo_if_new().expect("demo seeds"));
    ws
}

fn demo_workflow() -> Workflow {
    validate::parse_bundle(DEMO_BUNDLE)
        .expect("demo bundle parses")
        .workflows
        .remove(0)
}

#[test]
fn first_start_seeds_the_demo_workspace_once() {
    let dir = temp();
    let ws = seeded(&dir);
    assert!(ws.is_new());
    let names: Vec<_> = ws
        .list_workflows()
        .expect("list")
        .into_iter()
        .map(|w| w.name)
        .collect();
    assert_eq!(names, ["welcome"]);
    assert_eq!(
        ws.store().get_workflow("welcome").expect("get"),
        demo_workflow()
    );
    assert_eq!(ws.store().list_webhooks().expect("webhooks").len(), 1);
    assert_eq!(ws.store().list_connectors().expect("connectors").len(), 1);
    assert_eq!(ws.store().list_event_definitions().expect("defs").len(), 1);
    assert_eq!(ws.store().list_environments().expect("envs").len(), 2);
    let groups: Vec<_> = ws
        .store()
        .list_groups()
        .expect("groups")
        .into_iter()
        .map(|g| (g.name, g.members))
        .collect();
    assert_eq!(
        groups,
        [("customers".to_string(), 3), ("newsletter".to_string(), 2)]
    );
    drop(ws);

    let again = open(&dir);
    assert!(!again.is_new());
    assert!(!again.seed_demo_if_new().expect("no second seed"));
    assert_eq!(again.list_workflows().expect("list").len(), 1);
}

#[test]
fn the_demo_workspace_can_be_deleted_and_stays_deleted() {
    let dir = temp();
    let ws = seeded(&dir);
    ws.set_active_environment(Some("local")).expect("activate");
    let deleted = ws.delete_demo().expect("delete demo");
    assert!(deleted >= 10, "deleted {deleted} items");
    assert!(ws.list_workflows().expect("list").is_empty());
    assert!(ws.store().list_webhooks().expect("webhooks").is_empty());
    assert!(
        ws.store()
            .list_deleted_webhooks()
            .expect("deleted webhooks")
            .is_empty()
    );
    assert!(ws.store().list_connectors().expect("connectors").is_empty());
    assert!(ws.store().list_environments().expect("envs").is_empty());
    assert!(ws.store().list_groups().expect("groups").is_empty());
    let contacts = ws
        .store()
        .search_contacts(&ContactQuery::default())
        .expect("contacts");
    assert!(contacts.is_empty());
    assert_eq!(ws.active_environment(), None);
    assert_eq!(ws.delete_demo().expect("twice"), 0);
    drop(ws);
    let again = open(&dir);
    assert!(!again.seed_demo_if_new().expect("not reseeded"));
    assert!(again.list_workflows().expect("list").is_empty());
}

#[test]
fn a_new_workflow_has_a_manual_trigger_and_names_are_unique() {
    let dir = temp();
    let ws = open(&dir);
    let workflow = ws.create_workflow("onboarding").expect("create");
    assert_eq!(workflow.nodes.len(), 1);
    assert_eq!(workflow.nodes[0].kind, kinds::TRIGGER_MANUAL);
    assert_eq!(
        ws.store().get_workflow("onboarding").expect("get"),
        workflow
    );
    let err = ws.create_workflow("onboarding").expect_err("duplicate");
    assert_eq!(ApiError::from(err).code, "already_exists");
    let err = ws.create_workflow("  ").expect_err("empty name");
    let err = ApiError::from(err);
    assert_eq!(err.code, "invalid");
    assert_eq!(err.path.as_deref(), Some("workflow name"));
}

#[test]
fn autosave_keeps_invalid_workflows_and_reports_their_issues() {
    let dir = temp();
    let ws = seeded(&dir);
    let mut workflow = demo_workflow();
    // An HTTP request node without its webhook: an error, but the save is kept.
    workflow.nodes.push(Node {
        id: "extra".into(),
        kind: kinds::HTTP_REQUEST.into(),
        title: None,
        position: Default::default(),
        params: Default::default(),
    });
    let saved = ws.save_workflow(&workflow).expect("save");
    assert_eq!(saved.revision, 2);
    assert!(
        saved
            .issues
            .iter()
            .any(|i| i.severity == Severity::Error && i.node.as_deref() == Some("extra")),
        "{:?}",
        saved.issues
    );
    assert_eq!(ws.store().get_workflow("welcome").expect("get"), workflow);
    assert_eq!(
        ws.validate_workflow(&workflow).expect("validate"),
        saved.issues
    );

    // Export refuses a workspace with errors, with every issue.
    let err = ws.export_bundle().expect_err("refused");
    let api = ApiError::from(err);
    assert_eq!(api.code, "invalid_bundle");
    assert!(api.issues.iter().any(|i| i.path.contains("workflows[0]")));
    assert!(api.path.is_some());

    // History: restoring revision 1 brings the demo back as revision 3.
    let revisions: Vec<_> = ws
        .list_revisions("welcome")
        .expect("revisions")
        .into_iter()
        .map(|r| r.number)
        .collect();
    assert_eq!(revisions, [2, 1]);
    assert_eq!(
        ws.restore_revision("welcome", 1).expect("restore"),
        demo_workflow()
    );
    assert_eq!(ws.list_workflows().expect("list")[0].revision, 3);
    assert!(ws.export_bundle().is_ok());
}

#[test]
fn export_then_import_gives_back_identical_workflows() {
    let dir = temp();
    let ws = seeded(&dir);
    let copy = ws
        .duplicate_workflow("welcome", "welcome copy")
        .expect("dup");
    assert_eq!(copy.name, "welcome copy");
    let exported = ws.export_bundle().expect("export");
    let path = dir.path().join("out.bundle.json");
    ws.export_bundle_to(&path).expect("export to file");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), exported);

    let before = ws.snapshot().expect("snapshot");
    ws.delete_demo().expect("delete demo");
    ws.store()
        .delete_workflow("welcome copy")
        .expect("delete copy");
    assert!(ws.list_workflows().expect("list").is_empty());

    let secrets = MemorySecretStore::new();
    let report = ws
        .import_bundle_from(&path, Some(&secrets))
        .expect("import");
    assert_eq!(report.workflows, ["welcome", "welcome copy"]);
    assert_eq!(report.webhooks, ["crm_upsert"]);
    assert_eq!(report.connectors_needing_secret, ["crm"]);
    assert_eq!(ws.snapshot().expect("snapshot"), before);
    assert_eq!(ws.export_bundle().expect("export again"), exported);

    // With the secret stored, the connector no longer needs one; without a keyring, all do.
    ws.set_connector_secret(&secrets, "crm", &SecretString::from("t0ken"))
        .expect("secret");
    assert!(secrets.get("crm").expect("get").is_some());
    let report = ws.import_bundle(&exported, Some(&secrets)).expect("again");
    assert!(report.connectors_needing_secret.is_empty());
    let report = ws.import_bundle(&exported, None).expect("no keyring");
    assert_eq!(report.connectors_needing_secret, ["crm"]);
    // Importing an existing workflow adds a revision.
    assert_eq!(ws.list_revisions("welcome").expect("revisions").len(), 3);
}

#[test]
fn an_invalid_bundle_imports_nothing_and_reports_every_problem() {
    let dir = temp();
    let ws = open(&dir);
    let mut bundle = validate::parse_bundle(DEMO_BUNDLE).expect("parse");
    bundle.workflows[0].edges[0].to = "nowhere".into();
    bundle.webhooks[0].url = "ftp://example.com".into();
    let text = validate::export_bundle(&bundle);
    let err = ws.import_bundle(&text, None).expect_err("refused");
    let WorkspaceError::Import(import) = &err else {
        panic!("unexpected error {err}");
    };
    assert!(import.issues.len() >= 2, "{:?}", import.issues);
    let api = ApiError::from(err);
    assert_eq!(api.code, "invalid_bundle");
    assert!(
        api.message.contains("nothing was changed"),
        "{}",
        api.message
    );
    assert!(ws.store().list_webhooks().expect("webhooks").is_empty());
    assert!(ws.list_workflows().expect("workflows").is_empty());
    assert!(
        ws.store()
            .list_event_definitions()
            .expect("defs")
            .is_empty()
    );

    let err = ws.import_bundle("{ not json", None).expect_err("bad json");
    assert_eq!(ApiError::from(err).code, "invalid_bundle");
    let err = ws
        .import_bundle_from(&dir.path().join("missing.json"), None)
        .expect_err("missing file");
    assert_eq!(ApiError::from(err).code, "io");
}

#[test]
fn the_active_environment_is_remembered_and_checked() {
    let dir = temp();
    let ws = open(&dir);
    assert_eq!(ws.active_environment(), None);
    let err = ws
        .set_active_environment(Some("sandbox"))
        .expect_err("unknown");
    assert_eq!(ApiError::from(err).code, "not_found");
    ws.save_environment(&Environment {
        name: "sandbox".into(),
        variables: [(
            "base_url".to_string(),
            "https://sandbox.example.com".to_string(),
        )]
        .into_iter()
        .collect(),
    })
    .expect("save env");
    ws.set_active_environment(Some("sandbox"))
        .expect("activate");
    drop(ws);
    let ws = open(&dir);
    assert_eq!(ws.active_environment().as_deref(), Some("sandbox"));
    ws.delete_environment("sandbox").expect("delete");
    assert_eq!(ws.active_environment(), None);
}

#[test]
fn a_secret_needs_an_existing_connector() {
    let dir = temp();
    let ws = open(&dir);
    let secrets = MemorySecretStore::new();
    let err = ws
        .set_connector_secret(&secrets, "nope", &SecretString::from("x"))
        .expect_err("no connector");
    assert!(matches!(
        err,
        WorkspaceError::Store(StoreError::NotFound { .. })
    ));
    assert!(secrets.get("nope").expect("get").is_none());
}

#[test]
fn errors_reach_the_ui_as_code_and_message() {
    let err = ApiError::from(StoreError::NotFound {
        entity: "workflow",
        name: "x".into(),
    });
    let json = serde_json::to_value(&err).expect("serializes");
    assert_eq!(
        json,
        serde_json::json!({"code": "not_found", "message": "no workflow named `x`"})
    );
    let err = ApiError::from(hookboard_secrets::SecretError::Unavailable(
        "No OS keyring (Secret Service) is reachable: secrets cannot be saved".into(),
    ));
    assert_eq!(err.code, "keyring_unavailable");
    assert!(err.message.contains("No OS keyring"));
}
