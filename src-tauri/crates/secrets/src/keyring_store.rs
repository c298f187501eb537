//! Secrets in the OS keyring: the Secret Service (GNOME Keyring, KWallet...) over
//! D-Bus on Linux, the Keychain on macOS, the Credential Manager on Windows.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use keyring::Entry;
use keyring::credential::CredentialPersistence;

use crate::{ExposeSecret, SecretError, SecretStore, SecretString};

/// The keyring service of every Hookboard secret; the user is the connector name.
///
/// On Linux an item carries the attributes `service` = `hookboard`,
/// `username` = connector name, `target` = `default` and `application` = `rust-keyring`,
/// so `secret-tool lookup service hookboard username NAME` prints the secret.
pub const KEYRING_SERVICE: &str = "hookboard";

/// The plain message of [`SecretError::Unavailable`] when there is no usable keyring.
pub const KEYRING_UNAVAILABLE: &str =
    "No OS keyring (Secret Service) is reachable: secrets cannot be saved";

/// The service of the throw-away entry written by [`KeyringSecretStore::connect`],
/// apart from connector secrets.
const PROBE_SERVICE: &str = "hookboard.probe";

/// Secrets in the OS keyring (feature `keyring`), under service [`KEYRING_SERVICE`].
///
/// A real store: [`connect`](Self::connect) fails when no keyring is reachable, and
/// every operation talks to the keyring (nothing is cached), so a secret reported
/// as saved really is.
///
/// # Threads and async
///
/// The methods block (a D-Bus round-trip, or an unlock prompt on a locked keyring).
/// Each call runs on a short-lived thread of its own, because the Linux backend drives
/// D-Bus with a private Tokio runtime that must not be started from inside another
/// one: calling from plain threads, from `tokio::task::spawn_blocking` or even
/// directly from async code is safe. Async callers should still prefer
/// `spawn_blocking` so as not to stall a runtime worker.
pub struct KeyringSecretStore {
    _private: (),
}

impl KeyringSecretStore {
    /// Checks that the OS keyring works, by storing, reading back and deleting a
    /// throw-away entry (service `hookboard.probe`), and returns the store.
    ///
    /// Fails with [`SecretError::Unavailable`] (message starting with
    /// [`KEYRING_UNAVAILABLE`]) when no Secret Service answers, when the keyring is
    /// locked and stays locked, or when this build only has keyring's non-persistent
    /// mock store (platform without keyring support).
    pub fn connect() -> Result<Self, SecretError> {
        off_runtime(probe)?;
        Ok(Self { _private: () })
    }
}

/// Shows the service only.
impl fmt::Debug for KeyringSecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringSecretStore")
            .field("service", &KEYRING_SERVICE)
            .finish()
    }
}

impl SecretStore for KeyringSecretStore {
    fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        off_runtime(|| match entry(KEYRING_SERVICE, name)?.get_password() {
            Ok(password) => Ok(Some(SecretString::from(password))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(map_error(err, name)),
        })
    }

    fn set(&self, name: &str, value: &SecretString) -> Result<(), SecretError> {
        off_runtime(|| {
            entry(KEYRING_SERVICE, name)?
                .set_password(value.expose_secret())
                .map_err(|err| map_error(err, name))
        })
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        off_runtime(|| match entry(KEYRING_SERVICE, name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(map_error(err, name)),
        })
    }
}

/// Runs `f` on a thread of its own, outside any async runtime of the caller.
fn off_runtime<T: Send>(
    f: impl FnOnce() -> Result<T, SecretError> + Send,
) -> Result<T, SecretError> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("hookboard-keyring".into())
            .spawn_scoped(scope, f)
            .map_err(|err| SecretError::Store(format!("cannot start a keyring thread: {err}")))?
            .join()
            .map_err(|_| SecretError::Store("the keyring call panicked".into()))?
    })
}

/// The keyring entry of `user` under `service`, in the platform's persistent store.
///
/// Built from the compile-time platform store rather than `Entry::new`, so that a
/// process-wide default set by some other code (e.g. keyring's mock) cannot replace it.
fn entry(service: &str, user: &str) -> Result<Entry, SecretError> {
    if user.is_empty() {
        return Err(SecretError::Store(
            "a connector needs a name before its secret can be stored in the keyring".into(),
        ));
    }
    let builder = keyring::default::default_credential_builder();
    if !matches!(builder.persistence(), CredentialPersistence::UntilDelete) {
        return Err(SecretError::Unavailable(format!(
            "{KEYRING_UNAVAILABLE} (this build has no OS keyring support for this platform)"
        )));
    }
    let credential = builder
        .build(None, service, user)
        .map_err(|err| map_error(err, user))?;
    Ok(Entry::new_with_credential(credential))
}

/// Stores, reads back and deletes a throw-away entry.
fn probe() -> Result<(), SecretError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let user = format!(
        "probe-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let unavailable =
        |detail: String| SecretError::Unavailable(format!("{KEYRING_UNAVAILABLE} ({detail})"));
    let probe = entry(PROBE_SERVICE, &user)?;
    let value = format!("hookboard keyring check {user}");
    probe
        .set_password(&value)
        .map_err(|err| unavailable(format!("storing a test entry failed: {err}")))?;
    let read = probe.get_password();
    let deleted = probe.delete_credential();
    match read {
        Ok(read) if read == value => {}
        Ok(_) => {
            return Err(unavailable(
                "the keyring returned another value than the one just stored".into(),
            ));
        }
        Err(err) => {
            return Err(unavailable(format!(
                "reading a test entry back failed: {err}"
            )));
        }
    }
    deleted.map_err(|err| unavailable(format!("deleting a test entry failed: {err}")))
}

/// A keyring error as a [`SecretError`] about connector `name`, without any secret.
fn map_error(err: keyring::Error, name: &str) -> SecretError {
    match err {
        keyring::Error::PlatformFailure(err) | keyring::Error::NoStorageAccess(err) => {
            SecretError::Unavailable(format!("{KEYRING_UNAVAILABLE} ({err})"))
        }
        keyring::Error::BadEncoding(_) => SecretError::Store(format!(
            "the keyring secret of connector {name:?} is not valid UTF-8"
        )),
        keyring::Error::Ambiguous(items) => SecretError::Store(format!(
            "{} keyring items match connector {name:?} (service {KEYRING_SERVICE:?}); remove the extra ones",
            items.len()
        )),
        keyring::Error::NoEntry => {
            SecretError::Store(format!("the keyring has no secret for connector {name:?}"))
        }
        err @ (keyring::Error::TooLong(..) | keyring::Error::Invalid(..)) => {
            SecretError::Store(format!("connector {name:?}: {err}"))
        }
        _ => SecretError::Store(format!("keyring error for connector {name:?}")),
    }
}
