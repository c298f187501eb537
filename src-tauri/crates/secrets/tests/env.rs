//! `env_var_name` and `EnvSecretStore`.

use hookboard_secrets::{
    ENV_PREFIX, EnvSecretStore, ExposeSecret, SecretError, SecretStore, SecretString, env_var_name,
};

fn exposed(value: Option<SecretString>) -> Option<String> {
    value.map(|v| v.expose_secret().to_string())
}

#[test]
fn variable_names() {
    assert_eq!(ENV_PREFIX, "HOOKBOARD_SECRET_");
    assert_eq!(env_var_name("crm"), "HOOKBOARD_SECRET_CRM");
    assert_eq!(
        env_var_name("Mailchimp prod"),
        "HOOKBOARD_SECRET_MAILCHIMP_PROD"
    );
    assert_eq!(
        env_var_name("stripe-live.v2"),
        "HOOKBOARD_SECRET_STRIPE_LIVE_V2"
    );
    assert_eq!(
        env_var_name("ALREADY_UPPER_9"),
        "HOOKBOARD_SECRET_ALREADY_UPPER_9"
    );
    assert_eq!(env_var_name("a  b"), "HOOKBOARD_SECRET_A__B");
    assert_eq!(env_var_name("x/y:z@w"), "HOOKBOARD_SECRET_X_Y_Z_W");
    // Non-ASCII characters become one `_` each (not one per byte).
    assert_eq!(env_var_name("café"), "HOOKBOARD_SECRET_CAF_");
    assert_eq!(env_var_name("日本"), "HOOKBOARD_SECRET___");
    assert_eq!(env_var_name(""), "HOOKBOARD_SECRET_");
    // Documented collision.
    assert_eq!(env_var_name("a-b"), env_var_name("a_b"));
}

#[test]
fn reads_injected_variables_by_connector_name() -> Result<(), SecretError> {
    let store = EnvSecretStore::from_vars([
        ("HOOKBOARD_SECRET_MAILCHIMP_PROD", "mc-secret"),
        ("HOOKBOARD_SECRET_CRM", "crm-secret"),
        ("HOOKBOARD_SECRET_EMPTY", ""),
        ("OTHER", "unrelated"),
    ]);
    assert_eq!(
        exposed(store.get("Mailchimp prod")?).as_deref(),
        Some("mc-secret")
    );
    assert_eq!(
        exposed(store.get("mailchimp-prod")?).as_deref(),
        Some("mc-secret")
    );
    assert_eq!(exposed(store.get("crm")?).as_deref(), Some("crm-secret"));
    assert!(store.get("missing")?.is_none());
    // An empty variable counts as unset.
    assert!(store.get("empty")?.is_none());
    assert!(store.get("OTHER")?.is_none());
    Ok(())
}

#[test]
fn is_read_only_and_says_so() {
    let store = EnvSecretStore::from_vars([("HOOKBOARD_SECRET_CRM", "hunter2-env")]);
    for err in [
        store.set("crm", &SecretString::from("hunter2-new".to_string())),
        store.delete("crm"),
    ] {
        let Err(err) = err else {
            panic!("the environment store accepted a write");
        };
        assert!(matches!(err, SecretError::Store(_)), "{err:?}");
        let text = format!("{err} {err:?}");
        assert!(text.contains("read-only"), "{text}");
        assert!(text.contains("HOOKBOARD_SECRET_CRM"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}

#[test]
fn debug_shows_no_value() -> Result<(), SecretError> {
    let store = EnvSecretStore::from_vars([("HOOKBOARD_SECRET_CRM", "hunter2-env")]);
    let debug = format!("{store:?} {:?}", store.get("crm")?);
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(format!("{:?}", EnvSecretStore::new()).contains("process environment"));
    Ok(())
}

/// Reads the real process environment, in a child process (this test binary again)
/// so that this process's environment is never modified.
#[test]
fn reads_the_process_environment() {
    let exe = std::env::current_exe().expect("test binary path");
    let output = std::process::Command::new(exe)
        .args([
            "--exact",
            "child_reads_process_env",
            "--ignored",
            "--test-threads=1",
        ])
        .env("HOOKBOARD_ENV_TEST_CHILD", "1")
        .env("HOOKBOARD_SECRET_SERVER_CRM", "from-process-env")
        .env("HOOKBOARD_SECRET_BLANK", "")
        .env_remove("HOOKBOARD_SECRET_NOT_SET")
        .output()
        .expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The child half of `reads_the_process_environment`; does nothing when run directly.
#[test]
#[ignore = "run by reads_the_process_environment in a child process"]
fn child_reads_process_env() -> Result<(), SecretError> {
    if std::env::var_os("HOOKBOARD_ENV_TEST_CHILD").is_none() {
        return Ok(());
    }
    let store = EnvSecretStore::new();
    assert_eq!(
        exposed(store.get("server.crm")?).as_deref(),
        Some("from-process-env")
    );
    assert!(store.get("blank")?.is_none());
    assert!(store.get("not set")?.is_none());
    Ok(())
}
