//! Response parsing in every mode, and JSON Pointer look-ups.

use hookboard_engine::model::ResponseParsing;
use hookboard_engine::parse::{ParseError, check_pattern, parse_response, pointer};
use serde_json::{Value, json};

fn parse_ok(mode: &ResponseParsing, body: &str) -> Value {
    parse_response(mode, body.as_bytes()).unwrap_or_else(|e| panic!("{body}: {e}"))
}

fn parse_err(mode: &ResponseParsing, body: &str) -> ParseError {
    match parse_response(mode, body.as_bytes()) {
        Ok(v) => panic!("{body} parsed as {v}"),
        Err(e) => e,
    }
}

fn xml(body: &str) -> Value {
    parse_ok(&ResponseParsing::Xml, body)
}

#[test]
fn json_values() {
    let mode = ResponseParsing::Json;
    assert_eq!(
        parse_ok(
            &mode,
            r#"{"status":"active","promocode":"SUMMER","items":[1,{"a":null}]}"#
        ),
        json!({"status": "active", "promocode": "SUMMER", "items": [1, {"a": null}]})
    );
    assert_eq!(parse_ok(&mode, "[1,2]"), json!([1, 2]));
    assert_eq!(parse_ok(&mode, "\"text\""), json!("text"));
    assert_eq!(parse_ok(&mode, ""), Value::Null);
    assert_eq!(parse_ok(&mode, " \n\t"), Value::Null);
}

#[test]
fn invalid_json_names_the_position() {
    let err = parse_err(&ResponseParsing::Json, "{\n  \"a\": 1,\n  \"b\" 2\n}");
    assert!(
        err.message.starts_with("invalid JSON at line 3 column 7: "),
        "{}",
        err.message
    );
    let err = parse_err(&ResponseParsing::Json, "{\"a\": 1");
    assert!(
        err.message.starts_with("invalid JSON at line 1 column "),
        "{}",
        err.message
    );
    let err = parse_err(&ResponseParsing::Json, "<html>");
    assert!(
        err.message.starts_with("invalid JSON at line 1 column 1: "),
        "{}",
        err.message
    );
}

#[test]
fn xml_soap_with_namespaces() {
    let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="urn:crm">
  <soap:Header/>
  <soap:Body>
    <m:GetContactResponse m:version="2">
      <m:Status>active</m:Status>
      <m:Id>42</m:Id>
    </m:GetContactResponse>
  </soap:Body>
</soap:Envelope>"#;
    assert_eq!(
        xml(body),
        json!({
            "soap:Envelope": {
                "@xmlns:soap": "http://schemas.xmlsoap.org/soap/envelope/",
                "@xmlns:m": "urn:crm",
                "soap:Header": "",
                "soap:Body": {
                    "m:GetContactResponse": {
                        "@m:version": "2",
                        "m:Status": "active",
                        "m:Id": "42"
                    }
                }
            }
        })
    );
}

#[test]
fn xml_default_namespace_attributes_and_text() {
    let body = r#"<order xmlns="urn:shop" id="A-1" paid='true'><total currency="EUR">12.50</total><note>  spaced  </note><empty/><empty2></empty2></order>"#;
    assert_eq!(
        xml(body),
        json!({
            "order": {
                "@xmlns": "urn:shop",
                "@id": "A-1",
                "@paid": "true",
                "total": {"@currency": "EUR", "#text": "12.50"},
                "note": "spaced",
                "empty": "",
                "empty2": ""
            }
        })
    );
    // A text-only root is a string.
    assert_eq!(xml("<ok>yes</ok>"), json!({"ok": "yes"}));
    assert_eq!(xml("<ok/>"), json!({"ok": ""}));
}

#[test]
fn xml_repeated_elements_become_an_array_in_order() {
    let body = "<list><item>a</item><other>x</other><item id=\"2\">b</item><item>c</item></list>";
    let v = xml(body);
    assert_eq!(
        v,
        json!({
            "list": {
                "item": ["a", {"@id": "2", "#text": "b"}, "c"],
                "other": "x"
            }
        })
    );
    assert_eq!(
        pointer(&v, "/list/item/1/@id").expect("pointer"),
        Some(&json!("2"))
    );
    // A single child stays a single value.
    assert_eq!(
        xml("<list><item>a</item></list>"),
        json!({"list": {"item": "a"}})
    );
}

#[test]
fn xml_cdata_entities_and_mixed_text() {
    let body = "<m><code><![CDATA[<b>5 < 6 & \"x\"</b>]]></code><t>Tom &amp; Jerry &lt;3 &#65;&#x42; &quot;q&quot; &apos;a&apos;</t><a title=\"x &amp; y &lt; z\"/><mixed>one <b>bold</b> two</mixed></m>";
    assert_eq!(
        xml(body),
        json!({
            "m": {
                "code": "<b>5 < 6 & \"x\"</b>",
                "t": "Tom & Jerry <3 AB \"q\" 'a'",
                "a": {"@title": "x & y < z"},
                "mixed": {"b": "bold", "#text": "one  two"}
            }
        })
    );
}

#[test]
fn xml_comments_and_processing_instructions_are_ignored() {
    let body =
        "<?xml version=\"1.0\"?><!-- hi --><!DOCTYPE r><r><!-- inside --><?pi data?><v>1</v></r>";
    assert_eq!(xml(body), json!({"r": {"v": "1"}}));
}

#[test]
fn malformed_xml_is_rejected_with_the_position() {
    let body = "<a><b>text</c></a>";
    let err = parse_err(&ResponseParsing::Xml, body);
    assert!(
        err.message.starts_with("invalid XML at byte "),
        "{}",
        err.message
    );
    let pos: usize = err
        .message
        .trim_start_matches("invalid XML at byte ")
        .split(':')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no byte position in {}", err.message));
    assert_eq!(
        pos,
        body.find("</c>").unwrap_or(usize::MAX),
        "{}",
        err.message
    );

    for bad in [
        "<a><b></a>",
        "<a>",
        "<a></a><b></b>",
        "<a>&nbsp;</a>",
        "<a x=\"1\" x=\"2\"/>",
        "<a>fish & chips</a>",
        "text only",
        "<a><b>1</b>",
    ] {
        let err = parse_err(&ResponseParsing::Xml, bad);
        assert!(
            err.message.starts_with("invalid XML"),
            "{bad}: {}",
            err.message
        );
    }
    assert_eq!(parse_ok(&ResponseParsing::Xml, ""), Value::Null);
}

#[test]
fn text_is_the_body_as_a_string() {
    assert_eq!(
        parse_ok(&ResponseParsing::Text, "OK: 42\n"),
        json!("OK: 42\n")
    );
    let v = parse_response(&ResponseParsing::Text, b"caf\xc3\xa9 \xff").expect("text");
    assert_eq!(v, json!("café \u{fffd}"));
}

#[test]
fn custom_pattern_named_groups() {
    let mode = ResponseParsing::Custom {
        pattern: r"status=(?P<status>\w+);\s*code=(?<code>[A-Z0-9]+)(?:;\s*extra=(?P<extra>\w+))?"
            .into(),
    };
    assert_eq!(
        parse_ok(&mode, "result: status=active; code=SUMMER24 trailing"),
        json!({"status": "active", "code": "SUMMER24", "extra": null})
    );
    let err = parse_err(&mode, "nothing here");
    assert_eq!(
        err.message,
        format!(
            "pattern `{}` did not match the response",
            r"status=(?P<status>\w+);\s*code=(?<code>[A-Z0-9]+)(?:;\s*extra=(?P<extra>\w+))?"
        )
    );

    let bad = ResponseParsing::Custom {
        pattern: "(?P<x>unclosed".into(),
    };
    let err = parse_err(&bad, "anything");
    assert!(
        err.message.starts_with("invalid pattern `(?P<x>unclosed`"),
        "{}",
        err.message
    );
    assert!(check_pattern("(?P<x>unclosed").is_err());
    assert!(check_pattern(r"(?P<x>\d+)").is_ok());
}

#[test]
fn json_pointer_lookups() {
    let v = json!({"data": {"items": [{"id": 7}], "a/b": 1, "m~n": 2}, "": 3});
    assert_eq!(
        pointer(&v, "/data/items/0/id").expect("ok"),
        Some(&json!(7))
    );
    assert_eq!(pointer(&v, "/data/a~1b").expect("ok"), Some(&json!(1)));
    assert_eq!(pointer(&v, "/data/m~0n").expect("ok"), Some(&json!(2)));
    assert_eq!(pointer(&v, "/").expect("ok"), Some(&json!(3)));
    assert_eq!(pointer(&v, "").expect("ok"), Some(&v));
    assert_eq!(pointer(&v, "/data/missing").expect("ok"), None);
    assert_eq!(pointer(&v, "/data/items/5").expect("ok"), None);
    assert_eq!(pointer(&v, "/data/items/x").expect("ok"), None);
    let err = pointer(&v, "data/items").expect_err("no leading slash");
    assert!(err.message.contains("`data/items`"), "{}", err.message);
    let err = pointer(&v, "/bad~2escape").expect_err("bad escape");
    assert!(err.message.contains("`/bad~2escape`"), "{}", err.message);
}

#[test]
fn xml_nested_past_the_limit_is_refused_not_a_crash() {
    use hookboard_engine::parse::MAX_XML_DEPTH;
    let nested = |depth: usize| format!("{}x{}", "<a>".repeat(depth), "</a>".repeat(depth));
    let deepest = xml(&nested(MAX_XML_DEPTH));
    let mut value = &deepest;
    for _ in 0..MAX_XML_DEPTH - 1 {
        value = &value["a"];
    }
    assert_eq!(value, &json!({"a": "x"}), "the limit itself is read");
    // 50,000 levels used to overflow the stack and abort the process.
    let err = parse_err(&ResponseParsing::Xml, &nested(50_000));
    assert!(
        err.message
            .contains(&format!("nested more than {MAX_XML_DEPTH} deep")),
        "{}",
        err.message
    );
}
