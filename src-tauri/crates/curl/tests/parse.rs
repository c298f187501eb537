//! Hand-checked imports: each kind of option gives the webhook a person would expect.

use hookboard_curl::{CurlAuth, CurlCredentials, CurlImport, parse_curl, to_curl};
use hookboard_engine::model::{BodyKind, HttpMethod, KeyValue, Webhook};

fn parse(command: &str) -> CurlImport {
    parse_curl(command).unwrap_or_else(|e| panic!("{e}\n{command}"))
}

fn pairs(list: &[KeyValue]) -> Vec<(&str, &str)> {
    list.iter()
        .map(|kv| (kv.name.as_str(), kv.value.as_str()))
        .collect()
}

#[test]
fn data_urlencode_keeps_the_value_whole() {
    let w = parse("curl --data-urlencode 'name=a b&c' https://x.example/").webhook;
    assert_eq!(w.method, HttpMethod::Post);
    assert_eq!(w.body.kind, BodyKind::Form);
    assert_eq!(pairs(&w.body.form), [("name", "a b&c")]);
    assert_eq!(w.content_type, None);
}

#[test]
fn basic_auth_becomes_credentials_and_stays_out_of_copies() {
    let import = parse("curl -u alice:s3cret https://x.example/private");
    assert_eq!(
        import.credentials,
        Some(CurlCredentials::Basic {
            username: "alice".into(),
            password: "s3cret".into()
        })
    );
    assert!(import.webhook.headers.is_empty());
    let mut webhook = import.webhook.clone();
    webhook.connector = Some("x".into());
    let auth = import
        .credentials
        .as_ref()
        .map(CurlCredentials::connector_auth);
    let auth = auth.as_ref().map_or(CurlAuth::Omit, CurlAuth::Masked);
    let copied = to_curl(&webhook, auth);
    assert!(copied.contains("-u 'alice:•••'"), "{copied}");
    assert!(!copied.contains("s3cret"));
    assert!(!to_curl(&webhook, CurlAuth::Omit).contains("alice"));
    assert!(!format!("{import:?}").contains("s3cret"));
}

#[test]
fn authorization_headers_become_credentials() {
    let bearer = parse("curl -H 'authorization: Bearer tok.en' -H 'X-A: 1' https://x.example/");
    assert_eq!(
        bearer.credentials,
        Some(CurlCredentials::Bearer {
            token: "tok.en".into()
        })
    );
    assert_eq!(pairs(&bearer.webhook.headers), [("X-A", "1")]);
    // Basic YWxpY2U6czNjcmV0 is alice:s3cret.
    let basic = parse("curl -H 'Authorization: Basic YWxpY2U6czNjcmV0' https://x.example/");
    assert_eq!(
        basic.credentials.map(|c| c.secret().to_string()),
        Some("s3cret".to_string())
    );
    // Another scheme stays a header.
    let other = parse("curl -H 'Authorization: Token abc' https://x.example/");
    assert_eq!(other.credentials, None);
    assert_eq!(
        pairs(&other.webhook.headers),
        [("Authorization", "Token abc")]
    );
}

#[test]
fn methods_follow_curl() {
    let method = |c: &str| parse(c).webhook.method;
    assert_eq!(method("curl https://x.example/"), HttpMethod::Get);
    assert_eq!(method("curl -d a=1 https://x.example/"), HttpMethod::Post);
    assert_eq!(method("curl -G -d a=1 https://x.example/"), HttpMethod::Get);
    assert_eq!(
        method("curl -XPUT -d a=1 https://x.example/"),
        HttpMethod::Put
    );
    assert_eq!(
        method("curl -X patch https://x.example/"),
        HttpMethod::Patch
    );
    assert_eq!(
        method("curl -sX DELETE https://x.example/"),
        HttpMethod::Delete
    );
    assert_eq!(
        method("curl --json '{}' https://x.example/"),
        HttpMethod::Post
    );
    assert_eq!(method("curl -F a=1 https://x.example/"), HttpMethod::Post);
    let head = parse("curl -I https://x.example/");
    assert_eq!(head.webhook.method, HttpMethod::Get);
    assert!(head.warnings[0].message.contains("HEAD"));
}

#[test]
fn query_is_split_and_get_appends_data() {
    let w =
        parse("curl -G --data-urlencode 'q=a b' -d n=2 'https://x.example/s?lang=fr&x=%26#top'")
            .webhook;
    assert_eq!(w.url, "https://x.example/s");
    assert_eq!(
        pairs(&w.query),
        [("lang", "fr"), ("x", "&"), ("q", "a b"), ("n", "2")]
    );
    assert_eq!(w.body.kind, BodyKind::None);
}

#[test]
fn body_kinds_follow_the_content_type() {
    let body = |c: &str| {
        let w: Webhook = parse(c).webhook;
        (w.body.kind, w.body.template, w.content_type)
    };
    assert_eq!(
        body("curl --json '{\"a\": 1}' https://x.example/"),
        (BodyKind::Json, "{\"a\": 1}".into(), None)
    );
    assert_eq!(
        body("curl -H 'Content-Type: application/json' -d '[1,2]' https://x.example/"),
        (BodyKind::Json, "[1,2]".into(), None)
    );
    assert_eq!(
        body("curl -H 'Content-Type: application/json' -d 'not json' https://x.example/"),
        (
            BodyKind::Text,
            "not json".into(),
            Some("application/json".into())
        )
    );
    assert_eq!(
        body("curl -H 'content-type: application/soap+xml' -d '<a/>' https://x.example/"),
        (
            BodyKind::Xml,
            "<a/>".into(),
            Some("application/soap+xml".into())
        )
    );
    assert_eq!(
        body("curl -H 'Content-Type: text/plain; charset=utf-8' -d 'hi' https://x.example/"),
        (BodyKind::Text, "hi".into(), None)
    );
    // Without a type, curl sends the form type: JSON-looking data stays text, with a warning.
    let json_as_form = parse("curl -d '{\"a\":1}' https://x.example/");
    assert_eq!(json_as_form.webhook.body.kind, BodyKind::Text);
    assert_eq!(
        json_as_form.webhook.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert!(
        json_as_form
            .warnings
            .iter()
            .any(|w| w.message.contains("--json"))
    );
    // --json adds the Accept header curl adds.
    let json = parse("curl --json '{}' https://x.example/").webhook;
    assert_eq!(pairs(&json.headers), [("Accept", "application/json")]);
}

#[test]
fn repeated_data_is_joined_with_ampersands() {
    let w = parse("curl -d a=1 --data-raw 'b=@x' --data-binary c=3 https://x.example/").webhook;
    assert_eq!(pairs(&w.body.form), [("a", "1"), ("b", "@x"), ("c", "3")]);
}

#[test]
fn form_fields_map_to_a_form_body() {
    let import =
        parse("curl -F 'name=Jo Do' -F 'note=\"a;b\"' -F 'x=1;type=text/plain' https://x.example/");
    let w = import.webhook;
    assert_eq!(w.body.kind, BodyKind::Form);
    assert_eq!(
        pairs(&w.body.form),
        [("name", "Jo Do"), ("note", "a;b"), ("x", "1")]
    );
    assert!(
        import
            .warnings
            .iter()
            .any(|w| w.message.contains("multipart"))
    );
}

#[test]
fn browser_headers_agent_referer_and_cookies() {
    let w = parse(
        "curl 'https://x.example/' -A 'UA/1' -H 'cookie: a=1' -e 'https://r.example/;auto' -b 'b=2' -b 'c=3' -H 'X-Empty;'",
    )
    .webhook;
    assert_eq!(
        pairs(&w.headers),
        [
            ("User-Agent", "UA/1"),
            ("cookie", "a=1"),
            ("Referer", "https://r.example/"),
            ("Cookie", "b=2; c=3"),
            ("X-Empty", ""),
        ]
    );
}

#[test]
fn chrome_ansi_c_and_continuations() {
    let w = parse(
        "curl 'https://x.example/api' \\\r\n  -H 'content-type: application/json' \\\n  --data-raw $'{\"q\":\"it\\'s\"}' \\\n  --compressed",
    )
    .webhook;
    assert_eq!(w.body.kind, BodyKind::Json);
    assert_eq!(w.body.template, "{\"q\":\"it's\"}");
}

#[test]
fn timeout_and_ignored_options() {
    let import = parse("curl -sSLk --compressed -v -i --max-time 1.5 https://x.example/");
    assert_eq!(import.webhook.timeout_ms, 1500);
    let flags: Vec<_> = import
        .warnings
        .iter()
        .filter_map(|w| w.flag.as_deref())
        .collect();
    for flag in ["-s", "-S", "-L", "-k", "--compressed", "-v", "-i"] {
        assert!(flags.contains(&flag), "{flag} not in {flags:?}");
    }
    assert!(
        import
            .warnings
            .iter()
            .any(|w| w.message.contains("verifies TLS"))
    );
}

#[test]
fn http_urls_warn_except_loopback() {
    assert!(
        parse("curl http://api.example.com/").warnings[0]
            .message
            .contains("HTTPS")
    );
    assert!(parse("curl http://127.0.0.1:8080/x").warnings.is_empty());
}

#[test]
fn copies_keep_templates_and_glob_off() {
    let w = Webhook {
        query: vec![KeyValue {
            name: "email".into(),
            value: "${contact.email}".into(),
        }],
        ..parse("curl 'https://x.example/c/${contact.id}'").webhook
    };
    let copied = to_curl(&w, CurlAuth::Omit);
    assert_eq!(
        copied,
        "curl 'https://x.example/c/${contact.id}?email=${contact.email}' \\\n  --globoff"
    );
}
