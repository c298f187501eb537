//! `ChainSecretStore`: order, errors, writes.

use std::io::Write;

use hookboard_secrets::{
    ChainSecretStore, EnvSecretStore, ExposeSecret, FileSecretStore, MemorySecretStore,
    SecretError, SecretStore, SecretString,
};

fn secret(value: &str) -> SecretString {
    SecretString::from(value.to_string())
}

fn exposed(value: Option<SecretString>) -> Option<String> {
    value.map(|v| v.expose_secret().to_string())
}

/// A store that always fails.
struct Broken;

impl SecretStore for Broken {
    fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        Err(SecretError::Unavailable(format!(
            "broken store, asked for {name}"
        )))
    }
    fn set(&self, _: &str, _: &SecretString) -> Result<(), SecretError> {
        Err(SecretError::Unavailable("broken store".into()))
    }
    fn delete(&self, _: &str) -> Result<(), SecretError> {
        Err(SecretError::Unavailable("broken store".into()))
    }
}

fn secrets_file(json: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(json.as_bytes()).expect("write temp file");
    file
}

#[test]
fn server_chain_env_first_then_file() -> Result<(), SecretError> {
    let file = secrets_file(r#"{ "crm": "from-file", "billing": "billing-from-file" }"#);
    let chain = ChainSecretStore::new(vec![
        Box::new(EnvSecretStore::from_vars([
            ("HOOKBOARD_SECRET_CRM", "from-env"),
            ("HOOKBOARD_SECRET_MAIL", "mail-from-env"),
        ])),
        Box::new(FileSecretStore::open(file.path())?),
    ]);
    assert_eq!(chain.len(), 2);
    assert_eq!(exposed(chain.get("crm")?).as_deref(), Some("from-env"));
    assert_eq!(
        exposed(chain.get("billing")?).as_deref(),
        Some("billing-from-file")
    );
    assert_eq!(
        exposed(chain.get("mail")?).as_deref(),
        Some("mail-from-env")
    );
    assert!(chain.get("nowhere")?.is_none());
    // Both are read-only: the write goes to the first store, which refuses it.
    let err = chain.set("crm", &secret("x")).expect_err("refused");
    assert!(err.to_string().contains("read-only"), "{err}");
    Ok(())
}

#[test]
fn order_decides_and_with_appends() -> Result<(), SecretError> {
    let first = MemorySecretStore::new();
    first.set("a", &secret("a-first"))?;
    let second = MemorySecretStore::new();
    second.set("a", &secret("a-second"))?;
    second.set("b", &secret("b-second"))?;
    let chain = ChainSecretStore::new(Vec::new()).with(first).with(second);
    assert_eq!(exposed(chain.get("a")?).as_deref(), Some("a-first"));
    assert_eq!(exposed(chain.get("b")?).as_deref(), Some("b-second"));
    Ok(())
}

#[test]
fn an_error_stops_the_lookup() {
    let later = MemorySecretStore::new();
    later.set("a", &secret("never-used")).expect("memory set");
    let chain = ChainSecretStore::new(vec![Box::new(Broken), Box::new(later)]);
    let err = chain.get("a").expect_err("the broken store's error");
    assert!(matches!(err, SecretError::Unavailable(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("never-used"));
}

#[test]
fn writes_go_to_the_first_store() -> Result<(), SecretError> {
    let chain = ChainSecretStore::new(vec![
        Box::new(MemorySecretStore::new()),
        Box::new(EnvSecretStore::from_vars([("HOOKBOARD_SECRET_A", "a-env")])),
    ]);
    assert_eq!(exposed(chain.get("a")?).as_deref(), Some("a-env"));
    chain.set("a", &secret("a-memory"))?;
    assert_eq!(exposed(chain.get("a")?).as_deref(), Some("a-memory"));
    chain.delete("a")?;
    assert_eq!(exposed(chain.get("a")?).as_deref(), Some("a-env"));
    Ok(())
}

#[test]
fn empty_chain_finds_nothing_and_refuses_writes() -> Result<(), SecretError> {
    let chain = ChainSecretStore::new(Vec::new());
    assert!(chain.is_empty());
    assert!(chain.get("a")?.is_none());
    assert!(matches!(
        chain.set("a", &secret("x")),
        Err(SecretError::Store(_))
    ));
    assert!(matches!(chain.delete("a"), Err(SecretError::Store(_))));
    Ok(())
}

#[test]
fn debug_shows_no_secret() -> Result<(), SecretError> {
    let memory = MemorySecretStore::new();
    memory.set("a", &secret("hunter2-chain"))?;
    let chain = ChainSecretStore::new(vec![Box::new(memory)]);
    let debug = format!("{chain:?} {:?}", chain.get("a")?);
    assert!(!debug.contains("hunter2"), "{debug}");
    Ok(())
}
