//! `MemorySecretStore`, and the `SecretStore` impls of `Box` and `Arc`.

use std::sync::Arc;

use hookboard_secrets::{ExposeSecret, MemorySecretStore, SecretError, SecretStore, SecretString};

fn secret(value: &str) -> SecretString {
    SecretString::from(value.to_string())
}

fn exposed(value: Option<SecretString>) -> Option<String> {
    value.map(|v| v.expose_secret().to_string())
}

#[test]
fn set_get_replace_delete() -> Result<(), SecretError> {
    let store = MemorySecretStore::new();
    assert!(store.get("crm")?.is_none());
    store.set("crm", &secret("first-value"))?;
    assert_eq!(exposed(store.get("crm")?).as_deref(), Some("first-value"));
    store.set("crm", &secret("second-value"))?;
    assert_eq!(exposed(store.get("crm")?).as_deref(), Some("second-value"));
    assert!(store.get("other")?.is_none());
    store.delete("crm")?;
    assert!(store.get("crm")?.is_none());
    // Deleting a missing secret is not an error.
    store.delete("crm")?;
    store.delete("never-set")?;
    Ok(())
}

#[test]
fn names_are_exact() -> Result<(), SecretError> {
    let store = MemorySecretStore::new();
    store.set("Mailchimp prod", &secret("a"))?;
    store.set("mailchimp prod", &secret("b"))?;
    assert_eq!(exposed(store.get("Mailchimp prod")?).as_deref(), Some("a"));
    assert_eq!(exposed(store.get("mailchimp prod")?).as_deref(), Some("b"));
    assert!(store.get("Mailchimp_prod")?.is_none());
    Ok(())
}

#[test]
fn debug_shows_names_not_secrets() -> Result<(), SecretError> {
    let store = MemorySecretStore::new();
    store.set("crm", &secret("hunter2-memory"))?;
    let debug = format!("{store:?}");
    assert!(debug.contains("crm"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
    let value = store.get("crm")?;
    assert!(!format!("{value:?}").contains("hunter2"));
    Ok(())
}

#[test]
fn boxed_and_shared_stores_work_across_threads() -> Result<(), SecretError> {
    let shared: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::new());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let store = Arc::clone(&shared);
            std::thread::spawn(move || store.set(&format!("c{i}"), &secret(&format!("v{i}"))))
        })
        .collect();
    for handle in handles {
        handle
            .join()
            .map_err(|_| SecretError::Store("thread panicked".into()))??;
    }
    for i in 0..4 {
        assert_eq!(
            exposed(shared.get(&format!("c{i}"))?),
            Some(format!("v{i}"))
        );
    }
    let boxed: Box<dyn SecretStore> = Box::new(MemorySecretStore::new());
    boxed.set("x", &secret("y"))?;
    assert_eq!(exposed(boxed.get("x")?).as_deref(), Some("y"));
    boxed.delete("x")?;
    assert!(boxed.get("x")?.is_none());
    Ok(())
}
