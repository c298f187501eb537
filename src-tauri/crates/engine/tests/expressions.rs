//! Expressions: variables, filters, escaping by context, and unknown-variable errors.

use hookboard_engine::expr::{Escape, Expressions, Scope};
use hookboard_engine::model::Contact;
use proptest::prelude::*;
use serde_json::{Value, json};

fn scope_with(event: Value) -> Scope {
    let mut scope = Scope {
        event,
        contact: Contact {
            id: "c1".into(),
            email: Some("ada@example.com".into()),
            city: Some("Paris".into()),
            ..Contact::default()
        },
        run: json!({"id": "run-1", "workflow": "demo"}),
        response: json!({"status": 200}),
        ..Scope::default()
    };
    scope
        .contact
        .custom
        .insert("messenger_id".into(), json!("m-42"));
    scope.data.insert(
        "WH5".into(),
        json!({"promocode": "SAVE10", "status": "active"}),
    );
    scope
        .env
        .insert("base_url".into(), "https://api.example.com/v2".into());
    scope
}

#[test]
fn every_documented_variable_renders() {
    let ex = Expressions::new();
    let ctx = scope_with(json!({"email": "a@b.c", "order": {"id": 17}})).to_context();
    let out = ex
        .render(
            "${event.email}|${event.order.id}|${contact.city}|${contact.custom.messenger_id}|${data.WH5.promocode}|${response.status}|${run.id}|${env.base_url}",
            &ctx,
            Escape::Plain,
        )
        .expect("renders");
    assert_eq!(
        out,
        "a@b.c|17|Paris|m-42|SAVE10|200|run-1|https://api.example.com/v2"
    );
}

#[test]
fn filters_default_urlencode_json_upper_lower_date() {
    let ex = Expressions::new();
    let ctx = scope_with(
        json!({"name": "Ada Lovelace", "tags": ["a", "b"], "at": "2026-03-04T10:00:00Z"}),
    )
    .to_context();
    let render = |t: &str| ex.render(t, &ctx, Escape::Plain).expect(t);
    assert_eq!(render("${event.missing | default(\"none\")}"), "none");
    assert_eq!(render("${event.name | urlencode}"), "Ada%20Lovelace");
    assert_eq!(render("${event.tags | json}"), "[\"a\",\"b\"]");
    assert_eq!(render("${event.name | upper}"), "ADA LOVELACE");
    assert_eq!(render("${event.name | lower}"), "ada lovelace");
    assert_eq!(render("${event.at | date(\"%d/%m/%Y\")}"), "04/03/2026");
}

#[test]
fn unknown_variable_is_an_error_naming_it() {
    let ex = Expressions::new();
    let ctx = scope_with(json!({"email": "a@b.c"})).to_context();
    let err = ex
        .render("hello ${event.order.id}", &ctx, Escape::Plain)
        .expect_err("unknown variable must fail");
    assert!(
        err.message.contains("event.order"),
        "message should name the variable: {}",
        err.message
    );
    let err = ex
        .render("${nothing_here}", &ctx, Escape::Plain)
        .expect_err("unknown root must fail");
    assert_eq!(err.variable.as_deref(), Some("nothing_here"));
    let err = ex
        .render_json(r#"{"a": "${contact.nickname}"}"#, &ctx)
        .expect_err("unknown in JSON must fail");
    assert!(err.message.contains("contact.nickname"), "{}", err.message);
}

#[test]
fn the_unknown_variable_is_named_exactly_wherever_the_error_points() {
    let ex = Expressions::new();
    let ctx = scope_with(json!({"order": {"id": 1}, "promo": null})).to_context();
    let named = |result: Result<String, hookboard_engine::expr::ExprError>| {
        let err = result.expect_err("unknown variable must fail");
        assert_eq!(
            err.message,
            format!(
                "unknown variable `{}`",
                err.variable.as_deref().unwrap_or("?")
            ),
        );
        err.variable.unwrap_or_default()
    };
    let plain = |template: &str| named(ex.render(template, &ctx, Escape::Plain));
    assert_eq!(plain("${event.nope | upper}"), "event.nope");
    assert_eq!(plain("${event.nope ~ 'x'}"), "event.nope");
    assert_eq!(plain("${event.order.nope.deeper}"), "event.order.nope");
    assert_eq!(
        plain("${event.gone | default('x')} and ${event.nope}"),
        "event.nope",
        "a variable with a default is not the one missing"
    );
    assert_eq!(
        plain("${event.order | default('')}${event.order_id}"),
        "event.order_id",
        "a name is not mistaken for the start of a longer one"
    );
    let err = ex
        .render(
            "${event.gone | default('')} ${event.tags[9]}",
            &ctx,
            Escape::Plain,
        )
        .expect_err("fails");
    assert_ne!(
        err.variable.as_deref(),
        Some("event.gone"),
        "a variable with a default elsewhere is not blamed: {}",
        err.message
    );
    let condition = |text: &str| named(ex.eval_condition(text, &ctx).map(|b| b.to_string()));
    assert_eq!(condition("abc"), "abc");
    assert_eq!(condition("${event.missing} == \"x\""), "event.missing");
    assert_eq!(condition("event.missing == \"x\""), "event.missing");
    let value = |text: &str| named(ex.eval_value(text, &ctx).map(|v| v.to_string()));
    assert_eq!(value("${event.nope | upper}"), "event.nope");
    assert_eq!(
        named(ex.render_json_text(r#"{"a": "x ${event.nope | lower} y"}"#, &ctx)),
        "event.nope"
    );
}

#[test]
fn json_body_keeps_types_of_single_expressions() {
    let ex = Expressions::new();
    let ctx = scope_with(json!({"total": 12.5, "paid": true, "items": [1, 2]})).to_context();
    let out = ex
        .render_json(
            r#"{"total": "${event.total}", "paid": "${event.paid}", "items": "${event.items}", "label": "Total ${event.total}"}"#,
            &ctx,
        )
        .expect("renders");
    assert_eq!(
        out,
        json!({"total": 12.5, "paid": true, "items": [1, 2], "label": "Total 12.5"})
    );
}

#[test]
fn json_body_escapes_trusted_env_values_and_nulls_too() {
    let ex = Expressions::new();
    let mut scope = scope_with(json!({"none": null, "n": 3}));
    scope.env.insert("tricky".into(), "a\"b\\c\n}".into());
    let ctx = scope.to_context();
    let out = ex
        .render_json(
            r#"{"raw": "${env.tricky}", "mixed": "<${env.tricky}>", "none": "${event.none}", "${event.n}": "${event.n | default(0)}"}"#,
            &ctx,
        )
        .expect("renders");
    assert_eq!(
        out,
        json!({"raw": "a\"b\\c\n}", "mixed": "<a\"b\\c\n}>", "none": null, "3": 3})
    );
}

#[test]
fn json_body_that_is_not_json_says_where() {
    let ex = Expressions::new();
    let ctx = scope_with(json!({})).to_context();
    let err = ex
        .render_json("{\n  \"a\": ${event.x}\n}", &ctx)
        .expect_err("not JSON");
    assert!(err.message.contains("line 2"), "{}", err.message);
}

#[test]
fn url_values_are_percent_encoded_but_env_base_is_not() {
    let ex = Expressions::new();
    let ctx = scope_with(json!({"q": "a b/c?d=e&f"})).to_context();
    let out = ex
        .render("${env.base_url}/search/${event.q}", &ctx, Escape::Url)
        .expect("renders");
    assert_eq!(
        out,
        "https://api.example.com/v2/search/a%20b%2Fc%3Fd%3De%26f"
    );
}

#[test]
fn header_values_refuse_line_breaks() {
    let ex = Expressions::new();
    let ctx = scope_with(json!({"v": "ok\r\nX-Evil: 1"})).to_context();
    let err = ex
        .render("${event.v}", &ctx, Escape::Header)
        .expect_err("CRLF refused");
    assert!(err.message.contains("line break"));
}

#[test]
fn conditions_with_and_without_placeholders() {
    let ex = Expressions::new();
    let ctx = scope_with(json!({"n": 3})).to_context();
    assert!(
        ex.eval_condition("${data.WH5.status} == \"active\"", &ctx)
            .expect("evaluates")
    );
    assert!(
        !ex.eval_condition("${event.n} > 5", &ctx)
            .expect("evaluates")
    );
    assert!(
        ex.eval_condition("contact.city == \"Paris\" and event.n == 3", &ctx)
            .expect("evaluates")
    );
    assert!(
        ex.eval_condition("\"${x}\" == \"${x}\"", &ctx)
            .expect("literal strings are kept")
    );
    let err = ex
        .eval_condition("${data.WH9.status} == \"x\"", &ctx)
        .expect_err("unknown data source");
    assert!(err.message.contains("data.WH9"), "{}", err.message);
}

#[test]
fn template_braces_in_text_are_literal() {
    let ex = Expressions::new();
    let ctx = scope_with(json!({"a": "x"})).to_context();
    let out = ex
        .render("{{ not }} {% neither %} ${event.a}", &ctx, Escape::Plain)
        .expect("renders");
    assert_eq!(out, "{{ not }} {% neither %} x");
}

fn nasty() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "\"",
        "\\",
        "\n",
        "\r",
        "</x>",
        "<x>",
        "&",
        "&amp;",
        "{{",
        "}}",
        "${",
        "}",
        "${event.a}",
        "'",
        "=",
        "?",
        "#",
        "%",
        "/",
        " ",
        "a",
        "é",
        "\u{0}",
        "]]>",
        "{%",
        ",",
        ":",
    ]);
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn values_stay_inert_in_json(value in nasty()) {
        let ex = Expressions::new();
        let ctx = scope_with(json!({"v": value.clone(), "a": "A"})).to_context();
        let out = ex
            .render_json(r#"{"greeting": "hi ${event.v}!", "raw": "${event.v}", "n": 1}"#, &ctx)
            .expect("renders");
        let text = serde_json::to_string(&out).expect("serializes");
        let back: Value = serde_json::from_str(&text).expect("valid JSON");
        let obj = back.as_object().expect("object");
        prop_assert_eq!(obj.len(), 3);
        prop_assert_eq!(&obj["greeting"], &json!(format!("hi {value}!")));
        prop_assert_eq!(&obj["raw"], &json!(value));
        prop_assert_eq!(&obj["n"], &json!(1));
    }

    #[test]
    fn values_stay_inert_in_xml(value in nasty()) {
        let ex = Expressions::new();
        let ctx = scope_with(json!({"v": value.clone(), "a": "A"})).to_context();
        let out = ex
            .render("<r a=\"${event.v}\"><n>${event.v}</n></r>", &ctx, Escape::Xml)
            .expect("renders");
        let inner = out
            .strip_prefix("<r a=\"").and_then(|s| s.strip_suffix("</n></r>"))
            .expect("frame intact");
        prop_assert!(!inner.contains('<') || inner.contains("\"><n>"));
        let escaped = hookboard_engine::expr::xml_escape(&value);
        prop_assert_eq!(out, format!("<r a=\"{escaped}\"><n>{escaped}</n></r>"));
    }

    #[test]
    fn values_stay_inert_in_urls(value in nasty()) {
        let ex = Expressions::new();
        let ctx = scope_with(json!({"v": value.clone(), "a": "A"})).to_context();
        let out = ex
            .render("https://h.example/p/${event.v}?x=1", &ctx, Escape::Url)
            .expect("renders");
        let url = url::Url::parse(&out).expect("still a URL");
        prop_assert_eq!(url.host_str(), Some("h.example"));
        prop_assert_eq!(url.query(), Some("x=1"));
        let segment = url.path().strip_prefix("/p/").expect("one segment").to_string();
        prop_assert!(!segment.contains('/'));
        let decoded = percent_encoding::percent_decode_str(&segment).decode_utf8().expect("utf8");
        prop_assert_eq!(decoded.as_ref(), value.as_str());
    }

    #[test]
    fn header_values_never_split(value in nasty()) {
        let ex = Expressions::new();
        let ctx = scope_with(json!({"v": value.clone(), "a": "A"})).to_context();
        match ex.render("Bearer ${event.v}", &ctx, Escape::Header) {
            Ok(out) => {
                prop_assert!(!out.contains('\r') && !out.contains('\n'));
                prop_assert_eq!(out, format!("Bearer {value}"));
            }
            Err(err) => {
                prop_assert!(value.contains('\r') || value.contains('\n'));
                prop_assert!(err.message.contains("line break"));
            }
        }
    }
}
