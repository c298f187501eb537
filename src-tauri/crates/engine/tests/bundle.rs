//! Bundle import, export and validation: every problem reported with its JSON path.

use hookboard_engine::model::Bundle;
use hookboard_engine::validate::{
    Issue, Severity, ValidationOptions, export_bundle, import_bundle, parse_bundle, validate_bundle,
};
use serde_json::{Value, json};

const DEMO: &str = include_str!("../../../../tests/fixtures/demo.bundle.json");

fn demo() -> Value {
    serde_json::from_str(DEMO).expect("demo bundle is JSON")
}

fn issues_of(value: &Value) -> Vec<Issue> {
    let bundle: Bundle = serde_json::from_value(value.clone()).expect("bundle shape");
    validate_bundle(&bundle, ValidationOptions::default())
}

fn find<'a>(issues: &'a [Issue], code: &str) -> &'a Issue {
    issues
        .iter()
        .find(|i| i.code == code)
        .unwrap_or_else(|| panic!("no `{code}` issue in {issues:#?}"))
}

#[test]
fn the_demo_bundle_is_valid_and_round_trips_byte_for_byte() {
    let (bundle, warnings) =
        import_bundle(DEMO, ValidationOptions::default()).expect("demo imports");
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(export_bundle(&bundle), DEMO, "export(import(x)) == x");
}

#[test]
fn export_is_stable_whatever_the_key_order_of_the_input() {
    let mut shuffled = demo();
    let object = shuffled.as_object_mut().expect("object");
    let workflows = object.remove("workflows").expect("workflows");
    object.insert("workflows".into(), workflows);
    let text = serde_json::to_string(&shuffled).expect("json");
    let (bundle, _) = import_bundle(&text, ValidationOptions::default()).expect("imports");
    assert_eq!(export_bundle(&bundle), DEMO);
}

#[test]
fn an_unknown_node_type_is_reported_with_its_path() {
    let mut b = demo();
    b["workflows"][0]["nodes"][2]["kind"] = json!("teleport");
    let issue = find(&issues_of(&b), "unknown_node_type").clone();
    assert_eq!(issue.path, "workflows[0].nodes[2].kind");
    assert_eq!(issue.severity, Severity::Error);
    assert!(issue.message.contains("teleport"));
}

#[test]
fn a_dangling_edge_names_the_missing_node() {
    let mut b = demo();
    b["workflows"][0]["edges"][1]["to"] = json!("ghost");
    let issue = find(&issues_of(&b), "dangling_edge").clone();
    assert_eq!(issue.path, "workflows[0].edges[1].to");
    assert!(issue.message.contains("ghost"));
}

#[test]
fn a_missing_required_parameter_is_an_error_on_that_parameter() {
    let mut b = demo();
    b["workflows"][0]["nodes"][0]["params"] = json!({});
    let issue = find(&issues_of(&b), "missing_param").clone();
    assert_eq!(issue.path, "workflows[0].nodes[0].params.alias");
    assert_eq!(issue.node.as_deref(), Some("signup"));
}

#[test]
fn a_response_switch_without_fallback_is_refused() {
    let mut b = demo();
    let edges = b["workflows"][0]["edges"].as_array_mut().expect("edges");
    edges.retain(|e| e["port"] != "fallback");
    let issue = find(&issues_of(&b), "missing_fallback").clone();
    assert_eq!(issue.path, "workflows[0].nodes[2]");
    assert_eq!(issue.severity, Severity::Error);
}

#[test]
fn an_edge_into_a_trigger_is_refused() {
    let mut b = demo();
    b["workflows"][0]["edges"]
        .as_array_mut()
        .expect("edges")
        .push(json!({"from": "synced", "port": "next", "to": "signup"}));
    let issue = find(&issues_of(&b), "edge_into_trigger").clone();
    assert_eq!(issue.path, "workflows[0].edges[6].to");
}

#[test]
fn a_loop_needs_a_wait_node() {
    let mut b = demo();
    b["workflows"][0]["edges"]
        .as_array_mut()
        .expect("edges")
        .push(json!({"from": "missing", "port": "next", "to": "upsert"}));
    let issue = find(&issues_of(&b), "loop_without_wait").clone();
    assert_eq!(issue.severity, Severity::Error);
    assert!(issue.message.contains("upsert"), "{}", issue.message);

    // The same loop through a Wait node is allowed.
    b["workflows"][0]["nodes"]
        .as_array_mut()
        .expect("nodes")
        .push(json!({"id": "pause", "kind": "wait", "position": {"x": 0.0, "y": 0.0}, "params": {"duration": "1h"}}));
    let edges = b["workflows"][0]["edges"].as_array_mut().expect("edges");
    edges.pop();
    edges.push(json!({"from": "missing", "port": "next", "to": "pause"}));
    edges.push(json!({"from": "pause", "port": "next", "to": "upsert"}));
    assert!(
        !issues_of(&b).iter().any(|i| i.code == "loop_without_wait"),
        "a loop through Wait is fine"
    );
}

#[test]
fn an_unwired_error_port_and_an_unreachable_node_are_warnings() {
    let mut b = demo();
    let edges = b["workflows"][0]["edges"].as_array_mut().expect("edges");
    edges.retain(|e| !(e["from"] == "upsert" && e["port"] == "error"));
    b["workflows"][0]["nodes"]
        .as_array_mut()
        .expect("nodes")
        .push(
            json!({"id": "island", "kind": "end", "position": {"x": 0.0, "y": 0.0}, "params": {}}),
        );
    let issues = issues_of(&b);
    let unwired = find(&issues, "unwired_error");
    assert_eq!(unwired.severity, Severity::Warning);
    assert_eq!(unwired.path, "workflows[0].nodes[1]");
    let unreachable = find(&issues, "unreachable_node");
    assert_eq!(unreachable.severity, Severity::Warning);
    assert_eq!(unreachable.path, "workflows[0].nodes[6]");
    assert!(
        issues.iter().all(|i| i.severity == Severity::Warning),
        "{issues:#?}"
    );
}

#[test]
fn an_unknown_port_lists_the_ports_there_are() {
    let mut b = demo();
    b["workflows"][0]["edges"][1]["port"] = json!("success");
    let issue = find(&issues_of(&b), "unknown_port").clone();
    assert_eq!(issue.path, "workflows[0].edges[1].port");
    assert!(
        issue.message.contains("response, error"),
        "{}",
        issue.message
    );
}

#[test]
fn plain_http_to_a_public_host_is_refused_unless_allowed() {
    let mut b = demo();
    b["webhooks"][0]["url"] = json!("http://crm.example.com/contacts");
    let bundle: Bundle = serde_json::from_value(b.clone()).expect("shape");
    let issues = validate_bundle(&bundle, ValidationOptions::default());
    let issue = find(&issues, "insecure_url");
    assert_eq!(issue.path, "webhooks[0].url");
    let allowed = validate_bundle(
        &bundle,
        ValidationOptions {
            allow_insecure_http: true,
        },
    );
    assert!(!allowed.iter().any(|i| i.code == "insecure_url"));
    b["webhooks"][0]["url"] = json!("http://127.0.0.1:9000/contacts");
    assert!(
        !issues_of(&b).iter().any(|i| i.code == "insecure_url"),
        "loopback is fine"
    );
}

#[test]
fn every_problem_is_reported_at_once_and_nothing_is_imported() {
    let mut b = demo();
    b["workflows"][0]["nodes"][2]["kind"] = json!("teleport");
    b["workflows"][0]["edges"][0]["to"] = json!("ghost");
    b["webhooks"][0]["connector"] = json!("nobody");
    let text = serde_json::to_string(&b).expect("json");
    let err = import_bundle(&text, ValidationOptions::default()).expect_err("invalid");
    let codes: Vec<&str> = err.issues.iter().map(|i| i.code.as_str()).collect();
    for code in ["unknown_node_type", "dangling_edge", "unknown_connector"] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    let shown = err.to_string();
    assert!(shown.contains("webhooks[0].connector"), "{shown}");
}

#[test]
fn malformed_json_and_wrong_shapes_name_line_column_and_path() {
    let issue = parse_bundle("{\n  \"format\": \"hookboard.bundle/v1\",\n  \"workflows\": [\n}")
        .expect_err("malformed");
    assert_eq!(issue.code, "invalid_json");
    assert!(issue.message.contains("line 4"), "{}", issue.message);

    let mut b = demo();
    b["webhooks"][0]["method"] = json!("FETCH");
    let issue = parse_bundle(&b.to_string()).expect_err("bad method");
    assert_eq!(issue.path, "webhooks[0].method");
    assert!(issue.message.contains("FETCH"), "{}", issue.message);

    let mut b = demo();
    b["workflows"][0]["nodes"][0]["colour"] = json!("red");
    let issue = parse_bundle(&b.to_string()).expect_err("unknown field");
    assert!(
        issue.path.starts_with("workflows[0].nodes[0]"),
        "{}",
        issue.path
    );
    assert!(issue.message.contains("colour"), "{}", issue.message);
}

#[test]
fn a_wrong_format_tag_is_refused() {
    let mut b = demo();
    b["format"] = json!("hookboard.bundle/v9");
    let issue = find(&issues_of(&b), "unknown_format").clone();
    assert_eq!(issue.path, "format");
}

#[test]
fn switch_paths_and_field_mappings_are_checked() {
    let mut b = demo();
    b["workflows"][0]["nodes"][2]["params"]["paths"][1]["when"] = json!("${data.crm_upsert.ok ==");
    let issue = find(&issues_of(&b), "invalid_expression").clone();
    assert_eq!(issue.path, "workflows[0].nodes[2].params.paths");
    // Shaped like a status rule but met by no response: refused, not read as a condition
    // (`300-200` would be the number 100, which is truthy: every response would match).
    for (when, says) in [
        ("300-200", "empty range"),
        ("99", "not an HTTP status"),
        ("600-700", "not an HTTP status"),
        ("9xx", "not an HTTP status"),
    ] {
        let mut b = demo();
        b["workflows"][0]["nodes"][2]["params"]["paths"][0]["when"] = json!(when);
        let issue = find(&issues_of(&b), "invalid_status").clone();
        assert_eq!(issue.path, "workflows[0].nodes[2].params.paths", "{when}");
        assert!(issue.message.contains(says), "{when}: {}", issue.message);
    }
    for when in ["100-599", "4xx", "204", " 200 - 299 "] {
        let mut b = demo();
        b["workflows"][0]["nodes"][2]["params"]["paths"][0]["when"] = json!(when);
        assert!(
            !issues_of(&b).iter().any(|i| i.code == "invalid_status"),
            "{when}"
        );
    }
    let mut b = demo();
    b["workflows"][0]["nodes"][3]["params"]["mappings"][0]["field"] = json!("shoe_size");
    let issue = find(&issues_of(&b), "unknown_field").clone();
    assert_eq!(issue.path, "workflows[0].nodes[3].params.mappings");
    assert!(issue.message.contains("custom.NAME"));
}

#[test]
fn an_expression_mistake_in_a_json_body_is_found_before_any_run() {
    let mut b = demo();
    b["webhooks"][0]["body"]["template"] =
        json!(r#"{"a": "${ event.a | }", "${contact.email": 1, "ok": "${contact.email}"}"#);
    let issues: Vec<Issue> = issues_of(&b)
        .into_iter()
        .filter(|i| i.code == "invalid_expression")
        .collect();
    assert_eq!(issues.len(), 2, "{issues:#?}");
    assert!(issues.iter().all(|i| i.path == "webhooks[0].body.template"));
    let messages: Vec<&str> = issues.iter().map(|i| i.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with(r#"in "${ event.a | }": "#)),
        "the user's own text, not the compiled one: {messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with(r#"in "${contact.email": "#)),
        "a key is a template too: {messages:?}"
    );
}

#[test]
fn every_wrong_shape_is_reported_at_once_with_its_path() {
    let mut b = demo();
    b["extra"] = json!(true);
    b["webhooks"][0]["method"] = json!("FETCH");
    b["webhooks"][0]["timeout_ms"] = json!("x");
    b["connectors"][0]["auth"] = json!({"type": "oauth"});
    b["workflows"][0]["nodes"][0]["colour"] = json!("red");
    let err = import_bundle(&b.to_string(), ValidationOptions::default()).expect_err("invalid");
    let paths: Vec<&str> = err.issues.iter().map(|i| i.path.as_str()).collect();
    assert!(paths.contains(&"extra"), "{paths:?}");
    assert!(
        paths.iter().any(|p| p.starts_with("webhooks[0].")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.starts_with("connectors[0]")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.starts_with("workflows[0].nodes[0]")),
        "{paths:?}"
    );
    assert!(
        err.issues.iter().all(|i| i.code == "invalid_shape"),
        "{:#?}",
        err.issues
    );

    // Every wrong value of one item, not only the first.
    let mut b = demo();
    b["webhooks"][0]["method"] = json!("FETCH");
    b["webhooks"][0]["timeout_ms"] = json!("x");
    b["webhooks"][0]["colour"] = json!("red");
    b["workflows"][0]["nodes"][1]["position"] = json!({"x": "left", "y": 0});
    b["workflows"][0]["nodes"][2]["position"] = json!("here");
    let err = import_bundle(&b.to_string(), ValidationOptions::default()).expect_err("invalid");
    let mut paths: Vec<&str> = err.issues.iter().map(|i| i.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "webhooks[0].colour",
            "webhooks[0].method",
            "webhooks[0].timeout_ms",
            "workflows[0].nodes[1].position.x",
            "workflows[0].nodes[2].position",
        ],
        "{:#?}",
        err.issues
    );
    assert!(
        err.issues
            .iter()
            .any(|i| i.path == "webhooks[0].colour" && i.message.contains("unknown field")),
        "{:#?}",
        err.issues
    );

    let text = r#"{"workflows": [{"bogus": 1}]}"#;
    let err = import_bundle(text, ValidationOptions::default()).expect_err("invalid");
    let paths: Vec<&str> = err.issues.iter().map(|i| i.path.as_str()).collect();
    assert!(
        paths.contains(&"format"),
        "a missing format is named too: {paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.starts_with("workflows[0]")),
        "{paths:?}"
    );
}
