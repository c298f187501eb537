//! The node catalogue: well formed, and exported for the editor as `ui/src/bindings/catalogue.json`.

use std::collections::BTreeSet;

use hookboard_engine::catalogue::{NodeCategory, catalogue, parse_duration_ms};

#[test]
fn every_node_type_of_the_spec_is_declared_once() {
    let kinds: Vec<String> = catalogue().into_iter().map(|spec| spec.kind).collect();
    let unique: BTreeSet<&String> = kinds.iter().collect();
    assert_eq!(unique.len(), kinds.len(), "a kind is declared twice");
    for kind in [
        "trigger_event",
        "trigger_group",
        "trigger_subscription",
        "trigger_manual",
        "http_request",
        "response_switch",
        "condition",
        "set_field",
        "wait",
        "wait_for_event",
        "end",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} is missing");
    }
}

#[test]
fn triggers_have_no_input_and_ports_match_the_spec() {
    for spec in catalogue() {
        assert_eq!(
            spec.has_input,
            spec.category != NodeCategory::Trigger,
            "{}",
            spec.kind
        );
        let ports: Vec<&str> = spec.ports.iter().map(|p| p.name.as_str()).collect();
        let expected: &[&str] = match spec.kind.as_str() {
            "http_request" => &["response", "error"],
            "response_switch" => &["fallback"],
            "condition" => &["true", "false"],
            "wait_for_event" => &["event", "timeout"],
            "end" => &[],
            _ => &["next"],
        };
        assert_eq!(ports, expected, "{}", spec.kind);
    }
}

#[test]
fn durations_parse_and_bad_ones_say_why() {
    assert_eq!(parse_duration_ms("30s"), Ok(30_000));
    assert_eq!(parse_duration_ms("5m"), Ok(300_000));
    assert_eq!(parse_duration_ms("2h"), Ok(7_200_000));
    assert_eq!(parse_duration_ms("1d"), Ok(86_400_000));
    assert_eq!(parse_duration_ms("250ms"), Ok(250));
    let err = parse_duration_ms("5 weeks").expect_err("unknown unit");
    assert!(err.contains("unit"), "{err}");
    assert!(parse_duration_ms("soon").is_err());
}

/// Writes the catalogue where the editor reads it; CI fails when the committed copy is stale
/// (`git diff --exit-code ui/src/bindings` after the tests).
#[test]
fn catalogue_is_exported_for_the_editor() {
    let dir =
        std::env::var("TS_RS_EXPORT_DIR").expect("TS_RS_EXPORT_DIR is set by .cargo/config.toml");
    let path = std::path::Path::new(&dir).join("catalogue.json");
    let mut json = serde_json::to_string_pretty(&catalogue()).expect("catalogue serializes");
    json.push('\n');
    std::fs::create_dir_all(&dir).expect("bindings dir");
    std::fs::write(&path, json).expect("write catalogue.json");
}
