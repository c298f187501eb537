//! `FileSecretStore`: good files, bad files, and no secret in any message.

use std::io::Write;

use hookboard_secrets::{ExposeSecret, FileSecretStore, SecretError, SecretStore, SecretString};

/// Appears in every secret of the bad files below; must never be printed.
const LEAK: &str = "hunter2";

fn secrets_file(json: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(json.as_bytes()).expect("write temp file");
    file
}

fn exposed(value: Option<SecretString>) -> Option<String> {
    value.map(|v| v.expose_secret().to_string())
}

/// Opens `json` as a secrets file, expects it to be refused, and checks the message:
/// it names the file, contains every `expected` fragment and no secret.
fn refused(json: &str, expected: &[&str]) -> String {
    let file = secrets_file(json);
    let err = FileSecretStore::open(file.path()).expect_err("a bad secrets file was accepted");
    assert!(matches!(err, SecretError::Unavailable(_)), "{err:?}");
    let message = err.to_string();
    let debug = format!("{err:?}");
    let path = file.path().display().to_string();
    assert!(message.contains(&path), "no file name in: {message}");
    for fragment in expected {
        assert!(message.contains(fragment), "no {fragment:?} in: {message}");
    }
    assert!(!message.contains(LEAK), "secret leaked in: {message}");
    assert!(!debug.contains(LEAK), "secret leaked in: {debug}");
    message
}

#[test]
fn reads_a_good_file() -> Result<(), SecretError> {
    let file = secrets_file(
        r#"{
  "crm": "crm-secret",
  "Mailchimp prod": "abc123-us21",
  "café ☕": "with \"quotes\" and \\ and \n newline"
}
"#,
    );
    let store = FileSecretStore::open(file.path())?;
    assert_eq!(store.path(), file.path());
    assert_eq!(exposed(store.get("crm")?).as_deref(), Some("crm-secret"));
    assert_eq!(
        exposed(store.get("Mailchimp prod")?).as_deref(),
        Some("abc123-us21")
    );
    assert_eq!(
        exposed(store.get("café ☕")?).as_deref(),
        Some("with \"quotes\" and \\ and \n newline")
    );
    // Names are exact: no env-style mangling.
    assert!(store.get("mailchimp prod")?.is_none());
    assert!(store.get("missing")?.is_none());
    Ok(())
}

#[test]
fn empty_object_and_byte_order_mark_are_fine() -> Result<(), SecretError> {
    let empty = secrets_file("{}");
    assert!(FileSecretStore::open(empty.path())?.get("crm")?.is_none());
    let bom = secrets_file("\u{feff}{\"crm\": \"x\"}");
    assert_eq!(
        exposed(FileSecretStore::open(bom.path())?.get("crm")?).as_deref(),
        Some("x")
    );
    Ok(())
}

#[test]
fn is_read_only_and_names_the_file() -> Result<(), SecretError> {
    let file = secrets_file(r#"{"crm": "hunter2-file"}"#);
    let store = FileSecretStore::open(file.path())?;
    for err in [
        store.set("crm", &SecretString::from("hunter2-new".to_string())),
        store.delete("crm"),
    ] {
        let Err(err) = err else {
            panic!("the file store accepted a write");
        };
        assert!(matches!(err, SecretError::Store(_)), "{err:?}");
        let text = format!("{err} {err:?}");
        assert!(text.contains("read-only"), "{text}");
        assert!(text.contains(&file.path().display().to_string()), "{text}");
        assert!(!text.contains(LEAK), "{text}");
    }
    // Still readable afterwards.
    assert_eq!(exposed(store.get("crm")?).as_deref(), Some("hunter2-file"));
    Ok(())
}

#[test]
fn debug_shows_path_and_names_only() -> Result<(), SecretError> {
    let file = secrets_file(r#"{"crm": "hunter2-file"}"#);
    let store = FileSecretStore::open(file.path())?;
    let debug = format!("{store:?} {:?}", store.get("crm")?);
    assert!(debug.contains("crm"), "{debug}");
    assert!(
        debug.contains(&file.path().display().to_string()),
        "{debug}"
    );
    assert!(!debug.contains(LEAK), "{debug}");
    Ok(())
}

#[test]
fn missing_file_names_the_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("no-such-secrets.json");
    let err = FileSecretStore::open(&path).expect_err("a missing file was accepted");
    assert!(matches!(err, SecretError::Unavailable(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("cannot read secrets file"), "{message}");
}

#[test]
fn bad_json_gives_line_and_column_without_the_secret() {
    // A missing comma after the secret on line 2.
    let message = refused(
        "{\n  \"crm\": \"hunter2-crm\"\n  \"mail\": \"hunter2-mail\"\n}\n",
        &["line 3 column 3", "expected `,` or `}`"],
    );
    assert!(message.contains("invalid secrets file"), "{message}");
    // A missing value.
    refused(
        "{\n  \"crm\": \"hunter2\",\n  \"x\": \n}",
        &["line 4 column 1"],
    );
    // Cut off inside a secret.
    refused("{\"crm\": \"hunter2-cut", &["line 1", "EOF"]);
    // An invalid escape and a raw control character inside a secret.
    refused("{\"crm\": \"hunter2\\q\"}", &["line 1", "escape"]);
    refused(
        "{\"crm\": \"hunter2\u{1}\"}",
        &["line 1", "control character"],
    );
    // Trailing garbage after the object.
    refused(
        "{\"crm\": \"hunter2\"}\nhunter2",
        &["line 2 column 1", "trailing"],
    );
    // Not JSON at all.
    refused("hunter2", &["line 1 column 1"]);
    refused("", &["EOF"]);
}

#[test]
fn wrong_kinds_are_named_without_their_value() {
    refused(
        "\"hunter2\"",
        &["expected an object", "found a string", "line 1"],
    );
    refused("[\"hunter2\"]", &["found an array", "line 1"]);
    refused("12345", &["found a number"]);
    refused(
        "{\n\"crm\": 2147483647\n}",
        &["\"crm\"", "must be a string", "a number", "line 2"],
    );
    refused("{\"crm\": -1.5e3}", &["\"crm\"", "a number"]);
    refused("{\"crm\": true}", &["\"crm\"", "a boolean"]);
    refused("{\"crm\": null}", &["\"crm\"", "null"]);
    refused("{\"crm\": [\"hunter2\"]}", &["\"crm\"", "an array"]);
    refused(
        "{\"crm\": {\"token\": \"hunter2\"}}",
        &["\"crm\"", "an object"],
    );
    // No secret value in numbers either.
    let message = refused("{\"crm\": 2147483647}", &[]);
    assert!(!message.contains("2147483647"), "{message}");
}

#[test]
fn empty_and_duplicate_secrets_are_refused() {
    refused("{\n  \"crm\": \"\"\n}", &["\"crm\"", "empty", "line 2"]);
    refused(
        "{\n  \"crm\": \"hunter2-a\",\n  \"crm\": \"hunter2-b\"\n}",
        &["\"crm\"", "more than once", "line 3"],
    );
}
