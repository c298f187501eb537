//! `KeyringSecretStore` against a real Secret Service (GNOME Keyring), checked with
//! the `secret-tool` CLI. Linux only. Run:
//!
//! ```sh
//! tests/with-keyring.sh cargo test -p hookboard-secrets --features keyring
//! ```
//!
//! Without a reachable Secret Service each test prints a loud `SKIPPED` line and
//! passes, except under `CI` (set and not `0`/`false`), where it fails.
#![cfg(target_os = "linux")]

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};

use hookboard_secrets::{
    ExposeSecret, KEYRING_SERVICE, KEYRING_UNAVAILABLE, KeyringSecretStore, SecretError,
    SecretStore, SecretString,
};

/// One keyring test at a time: `connect_leaves_no_probe_entry` must not see the
/// probe of another test, and the keyring is shared state.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| {
        let v = v.trim();
        !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false")
    })
}

/// The store, or `None` after a loud skip message (a failure under CI).
fn connect_or_skip(test: &str) -> Option<KeyringSecretStore> {
    match KeyringSecretStore::connect() {
        Ok(store) => Some(store),
        Err(err) => {
            assert!(
                !is_ci(),
                "CI is set but no Secret Service is reachable ({err}); \
                 run the keyring tests under tests/with-keyring.sh"
            );
            // Written to the real stderr, not through the test harness's capture,
            // so that the skip shows even for a passing test.
            let line = format!(
                "\n*** SKIPPED: no Secret Service: keyring test `{test}` did not run ({err}); \
                 run it under tests/with-keyring.sh ***\n\n"
            );
            let _ = std::io::stderr().write_all(line.as_bytes());
            None
        }
    }
}

/// A connector name of this test run, with a space and non-ASCII characters.
fn connector(test: &str) -> String {
    format!("hookboard test {test} {} é", std::process::id())
}

fn secret(value: &str) -> SecretString {
    SecretString::from(value.to_string())
}

fn exposed(value: Option<SecretString>) -> Option<String> {
    value.map(|v| v.expose_secret().to_string())
}

/// Runs `secret-tool` with `args` (and `stdin`), returning (success, stdout, stderr).
fn secret_tool(args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new("secret-tool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("secret-tool not found: install libsecret-tools");
    {
        let mut input = child.stdin.take().expect("secret-tool stdin");
        if let Some(stdin) = stdin {
            input
                .write_all(stdin.as_bytes())
                .expect("write to secret-tool");
        }
    }
    let output = child.wait_with_output().expect("secret-tool output");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// What `secret-tool lookup service hookboard username NAME` finds, if anything.
fn lookup(name: &str) -> Option<String> {
    let (ok, stdout, _) = secret_tool(
        &["lookup", "service", KEYRING_SERVICE, "username", name],
        None,
    );
    ok.then_some(stdout)
}

/// What `secret-tool search --all` finds for these attributes: the number of items,
/// and the `attribute.KEY = VALUE` pairs of all of them (meaningful for one item).
///
/// secret-tool prints item headers (`[/1]`) on stdout but attributes on stderr, so
/// the two cannot be interleaved reliably.
fn search(attributes: &[&str]) -> (usize, Vec<(String, String)>) {
    let mut args = vec!["search", "--all"];
    args.extend_from_slice(attributes);
    let (_, stdout, stderr) = secret_tool(&args, None);
    let count = stdout.lines().filter(|line| line.starts_with('[')).count();
    let pairs = stdout
        .lines()
        .chain(stderr.lines())
        .filter_map(|line| line.strip_prefix("attribute.")?.split_once(" = "))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    (count, pairs)
}

#[test]
fn set_get_replace_delete_in_the_real_keyring() -> Result<(), SecretError> {
    let _serial = serial();
    let Some(store) = connect_or_skip("set_get_replace_delete_in_the_real_keyring") else {
        return Ok(());
    };
    let name = connector("round trip");
    store.delete(&name)?;
    assert!(store.get(&name)?.is_none());
    assert_eq!(lookup(&name), None);

    let first = "first secret: spaces, ünïcødé, \"quotes\" ✓";
    store.set(&name, &secret(first))?;
    assert_eq!(exposed(store.get(&name)?).as_deref(), Some(first));
    assert_eq!(
        lookup(&name).as_deref(),
        Some(first),
        "secret-tool sees another value"
    );

    // Replacing updates the one item, it does not add a second.
    store.set(&name, &secret("second secret"))?;
    assert_eq!(exposed(store.get(&name)?).as_deref(), Some("second secret"));
    assert_eq!(lookup(&name).as_deref(), Some("second secret"));
    assert_eq!(
        search(&["service", KEYRING_SERVICE, "username", &name]).0,
        1
    );

    // A fresh store (as after a restart) reads what is in the keyring.
    let again = KeyringSecretStore::connect()?;
    assert_eq!(exposed(again.get(&name)?).as_deref(), Some("second secret"));

    store.delete(&name)?;
    assert!(store.get(&name)?.is_none());
    assert_eq!(
        lookup(&name),
        None,
        "secret-tool still finds a deleted secret"
    );
    assert_eq!(
        search(&["service", KEYRING_SERVICE, "username", &name]).0,
        0
    );
    // Deleting a missing secret is not an error.
    store.delete(&name)?;
    Ok(())
}

#[test]
fn items_carry_the_service_and_username_attributes() -> Result<(), SecretError> {
    let _serial = serial();
    let Some(store) = connect_or_skip("items_carry_the_service_and_username_attributes") else {
        return Ok(());
    };
    let name = connector("attributes");
    store.set(&name, &secret("attribute check"))?;
    let (count, attributes) = search(&["service", KEYRING_SERVICE, "username", &name]);
    store.delete(&name)?;
    assert_eq!(count, 1, "{attributes:?}");
    let get = |key: &str| {
        attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("service"), Some("hookboard"), "{attributes:?}");
    assert_eq!(get("username"), Some(name.as_str()), "{attributes:?}");
    // What keyring v3 adds on Linux.
    assert_eq!(get("target"), Some("default"), "{attributes:?}");
    assert_eq!(get("application"), Some("rust-keyring"), "{attributes:?}");
    Ok(())
}

#[test]
fn reads_and_deletes_a_secret_stored_by_secret_tool() -> Result<(), SecretError> {
    let _serial = serial();
    let Some(store) = connect_or_skip("reads_and_deletes_a_secret_stored_by_secret_tool") else {
        return Ok(());
    };
    let name = connector("from secret-tool");
    let (ok, _, stderr) = secret_tool(
        &[
            "store",
            "--label=hookboard test item",
            "service",
            KEYRING_SERVICE,
            "username",
            &name,
        ],
        Some("stored by secret-tool"),
    );
    assert!(ok, "secret-tool store failed: {stderr}");
    assert_eq!(
        exposed(store.get(&name)?).as_deref(),
        Some("stored by secret-tool")
    );
    store.delete(&name)?;
    assert_eq!(lookup(&name), None);
    Ok(())
}

#[test]
fn connect_leaves_no_probe_entry() {
    let _serial = serial();
    if connect_or_skip("connect_leaves_no_probe_entry").is_none() {
        return;
    }
    let (count, attributes) = search(&["service", "hookboard.probe"]);
    assert_eq!(count, 0, "probe entries left behind: {attributes:?}");
}

#[test]
fn works_from_threads_and_from_inside_tokio_runtimes() -> Result<(), SecretError> {
    let _serial = serial();
    let Some(store) = connect_or_skip("works_from_threads_and_from_inside_tokio_runtimes") else {
        return Ok(());
    };
    let store = std::sync::Arc::new(store);

    // Plain threads, concurrently.
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let store = std::sync::Arc::clone(&store);
            std::thread::spawn(move || -> Result<(), SecretError> {
                let name = connector(&format!("thread {i}"));
                store.set(&name, &secret(&format!("thread secret {i}")))?;
                let read = exposed(store.get(&name)?);
                store.delete(&name)?;
                assert_eq!(read, Some(format!("thread secret {i}")));
                Ok(())
            })
        })
        .collect();
    for handle in handles {
        handle
            .join()
            .map_err(|_| SecretError::Store("keyring thread panicked".into()))??;
    }

    // Directly from async code on a current-thread runtime (no spawn_blocking).
    let current = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    let name = connector("current-thread runtime");
    current.block_on(async {
        store.set(&name, &secret("from async"))?;
        let read = exposed(store.get(&name)?);
        store.delete(&name)?;
        assert_eq!(read.as_deref(), Some("from async"));
        Ok::<_, SecretError>(())
    })?;

    // From a multi-thread runtime: directly, and the recommended spawn_blocking.
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("tokio runtime");
    let name = connector("multi-thread runtime");
    let shared = std::sync::Arc::clone(&store);
    multi.block_on(async move {
        shared.set(&name, &secret("direct"))?;
        let blocking = std::sync::Arc::clone(&shared);
        let blocking_name = name.clone();
        let read = tokio::task::spawn_blocking(move || blocking.get(&blocking_name))
            .await
            .map_err(|_| SecretError::Store("spawn_blocking failed".into()))??;
        shared.delete(&name)?;
        assert_eq!(exposed(read).as_deref(), Some("direct"));
        Ok::<_, SecretError>(())
    })?;
    Ok(())
}

#[test]
fn debug_shows_no_secret() -> Result<(), SecretError> {
    let _serial = serial();
    let Some(store) = connect_or_skip("debug_shows_no_secret") else {
        return Ok(());
    };
    let name = connector("debug");
    store.set(&name, &secret("hunter2-keyring"))?;
    let read = store.get(&name);
    store.delete(&name)?;
    let debug = format!("{store:?} {read:?}");
    assert!(debug.contains("hookboard"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
    Ok(())
}

#[test]
fn empty_connector_name_is_refused() {
    let _serial = serial();
    let Some(store) = connect_or_skip("empty_connector_name_is_refused") else {
        return;
    };
    assert!(matches!(
        store.set("", &secret("x")),
        Err(SecretError::Store(_))
    ));
}

/// Runs `child_connect_without_a_bus` in a child process (this test binary again)
/// whose session bus address leads nowhere: this always runs, Secret Service or not.
#[test]
fn no_secret_service_means_unavailable() {
    let exe = std::env::current_exe().expect("test binary path");
    let output = Command::new(exe)
        .args([
            "--exact",
            "child_connect_without_a_bus",
            "--ignored",
            "--test-threads=1",
        ])
        .env("HOOKBOARD_KEYRING_TEST_CHILD", "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/hookboard-test/bus",
        )
        .env("XDG_RUNTIME_DIR", "/nonexistent/hookboard-test")
        .output()
        .expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The child half of `no_secret_service_means_unavailable`; does nothing when run directly.
#[test]
#[ignore = "run by no_secret_service_means_unavailable in a child process"]
fn child_connect_without_a_bus() {
    if std::env::var_os("HOOKBOARD_KEYRING_TEST_CHILD").is_none() {
        return;
    }
    match KeyringSecretStore::connect() {
        Ok(store) => panic!("connected without a session bus: {store:?}"),
        Err(SecretError::Unavailable(message)) => {
            assert!(message.starts_with(KEYRING_UNAVAILABLE), "{message}");
            let shown = SecretError::Unavailable(message).to_string();
            assert!(
                shown.contains(
                    "No OS keyring (Secret Service) is reachable: secrets cannot be saved"
                ),
                "{shown}"
            );
        }
        Err(other) => panic!("expected Unavailable, got {other:?}"),
    }
}
