//! The copied command, run by the real curl against a loopback server, delivers the request
//! the engine sends for the same webhook: method, path, query, every header, and the body.
//! Skipped (with a note) where no `curl` is installed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::thread;
use std::time::Duration;

use hookboard_curl::{CurlAuth, parse_curl, to_curl};
use hookboard_engine::auth::apply_auth;
use hookboard_engine::http::HttpPolicy;
use hookboard_engine::model::Connector;
use hookboard_engine::runner::Engine;

/// A request as it arrived.
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Reads one request from `stream` and answers 200.
fn read_request(stream: TcpStream) -> Option<Seen> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let mut stream = reader.into_inner();
    stream
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .ok()?;
    Some(Seen {
        method,
        target,
        headers,
        body,
    })
}

/// What curl sends for `command` (with its URL pointing at a loopback server).
fn run_curl(command: &str, listener: &TcpListener) -> Option<Seen> {
    let server = listener.try_clone().ok()?;
    let handle = thread::spawn(move || server.accept().ok().and_then(|(s, _)| read_request(s)));
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} -s -o /dev/null --max-time 10"))
        .status();
    if !status.is_ok_and(|s| s.success()) {
        // Unblock the server thread.
        let _ = TcpStream::connect(listener.local_addr().ok()?);
    }
    handle.join().ok().flatten()
}

fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

#[test]
fn curl_sends_what_the_engine_sends() {
    if Command::new("curl").arg("--version").output().is_err() {
        // CI must run this test; a laptop without curl skips it, loudly.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "curl is not installed (apt-get install curl): this test cannot run"
        );
        eprintln!("#### no curl installed: curl_sends_what_the_engine_sends did NOT run ####");
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("{e}"))
        .port();
    let engine = Engine::new(HttpPolicy {
        allow_insecure_http: true,
        ..HttpPolicy::default()
    })
    .unwrap_or_else(|e| panic!("{e:?}"));
    let ctx = minijinja::Value::from_serialize(serde_json::json!({}));

    let corpus = include_str!("corpus/commands.txt");
    let mut checked = 0;
    for chunk in corpus.split("\n### ").skip(1) {
        let Some((title, command)) = chunk.split_once('\n') else {
            continue;
        };
        let import = parse_curl(command).unwrap_or_else(|e| panic!("{title}: {e}"));
        let mut webhook = import.webhook.clone();
        if serde_json::to_string(&webhook).is_ok_and(|s| s.contains("${")) {
            continue; // templates need a contact and an event to render
        }
        let mut url = url::Url::parse(&webhook.url).unwrap_or_else(|e| panic!("{title}: {e}"));
        let moved = url.set_scheme("http").is_ok()
            && url.set_host(Some("127.0.0.1")).is_ok()
            && url.set_port(Some(port)).is_ok();
        assert!(moved, "{title}: cannot point {url} at the loopback server");
        webhook.url = url.to_string();

        let mut request = engine
            .render_request(&webhook, &ctx)
            .unwrap_or_else(|e| panic!("{title}: {e:?}"));
        let copied = match &import.credentials {
            Some(credentials) => {
                webhook.connector = Some("imported".into());
                let connector = Connector {
                    name: "imported".into(),
                    auth: credentials.connector_auth(),
                };
                apply_auth(&mut request, &connector, credentials.secret());
                to_curl(
                    &webhook,
                    CurlAuth::WithSecret(&connector.auth, credentials.secret()),
                )
            }
            None => to_curl(&webhook, CurlAuth::Omit),
        };
        let seen = run_curl(&copied, &listener)
            .unwrap_or_else(|| panic!("{title}: curl failed\n{copied}"));

        assert_eq!(seen.method, request.method.as_str(), "{title}\n{copied}");
        let (path, query) = seen.target.split_once('?').unwrap_or((&seen.target, ""));
        assert_eq!(path, request.url.path(), "{title}\n{copied}");
        let engine_query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        assert_eq!(
            form_pairs(query.as_bytes()),
            engine_query,
            "{title}\n{copied}"
        );
        for (name, value) in &request.headers {
            assert!(
                seen.headers
                    .iter()
                    .any(|(n, v)| n.eq_ignore_ascii_case(name) && v == value),
                "{title}: curl did not send `{name}: {value}`\n{copied}\n{:?}",
                seen.headers
            );
        }
        let engine_body = request.body.clone().unwrap_or_default();
        let content_type = request
            .header("Content-Type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.contains("json") && engine_body.first() != Some(&b'{') {
            assert_eq!(seen.body, engine_body, "{title}\n{copied}");
        } else if content_type.contains("json") {
            let a: serde_json::Value = serde_json::from_slice(&seen.body).unwrap_or_default();
            let b: serde_json::Value = serde_json::from_slice(&engine_body).unwrap_or_default();
            assert_eq!(a, b, "{title}\n{copied}");
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            assert_eq!(
                form_pairs(&seen.body),
                form_pairs(&engine_body),
                "{title}\n{copied}"
            );
        } else {
            assert_eq!(seen.body, engine_body, "{title}\n{copied}");
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} commands checked");
}
