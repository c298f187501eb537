//! Where connector secrets live: one trait, with the OS keyring for the desktop,
//! environment variables and a secrets file for the server, and memory for tests.
//!
//! | store | use | writes |
//! |---|---|---|
//! | [`KeyringSecretStore`] (feature `keyring`) | desktop app | yes |
//! | [`EnvSecretStore`] (`HOOKBOARD_SECRET_<CONNECTOR>`) | server | read-only |
//! | [`FileSecretStore`] (`--secrets-file`) | server | read-only |
//! | [`ChainSecretStore`] | server: env, then file | to its first store |
//! | [`MemorySecretStore`] | tests, one-shot runs | yes |
//!
//! No store, error or `Debug` output ever contains a secret value: values are
//! [`SecretString`]s and error messages only name connectors, variables and files.
//!
//! The keyring tests need a real Secret Service; `tests/with-keyring.sh` (repository
//! root) provides a private, unlocked GNOME Keyring on a private D-Bus session:
//!
//! ```sh
//! tests/with-keyring.sh cargo test -p hookboard-secrets --features keyring
//! ```
//!
//! Without one they print `SKIPPED: no Secret Service` and pass, or fail when `CI` is set.

#![warn(missing_docs)]

use std::fmt;
use std::sync::Arc;

pub use secrecy::{ExposeSecret, SecretString};

mod chain;
mod env;
mod file;
#[cfg(feature = "keyring")]
mod keyring_store;

pub use chain::ChainSecretStore;
pub use env::{ENV_PREFIX, EnvSecretStore, env_var_name};
pub use file::FileSecretStore;
#[cfg(feature = "keyring")]
pub use keyring_store::{KEYRING_SERVICE, KEYRING_UNAVAILABLE, KeyringSecretStore};

/// Why a secret could not be read or written. Never contains the secret itself.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The backing store (keyring, file) cannot be reached or used.
    #[error("secret store unavailable: {0}")]
    Unavailable(String),
    /// The store refused the operation.
    #[error("secret store error: {0}")]
    Store(String),
}

/// A store of connector secrets, keyed by connector name.
pub trait SecretStore: Send + Sync {
    /// The secret of this connector, or `None` when none is stored.
    fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError>;
    /// Stores (or replaces) the secret of this connector.
    fn set(&self, name: &str, value: &SecretString) -> Result<(), SecretError>;
    /// Removes the secret of this connector; removing a missing secret is not an error.
    fn delete(&self, name: &str) -> Result<(), SecretError>;
}

impl<S: SecretStore + ?Sized> SecretStore for Box<S> {
    fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        (**self).get(name)
    }

    fn set(&self, name: &str, value: &SecretString) -> Result<(), SecretError> {
        (**self).set(name, value)
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        (**self).delete(name)
    }
}

impl<S: SecretStore + ?Sized> SecretStore for Arc<S> {
    fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        (**self).get(name)
    }

    fn set(&self, name: &str, value: &SecretString) -> Result<(), SecretError> {
        (**self).set(name, value)
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        (**self).delete(name)
    }
}

/// Secrets held in memory: for tests and one-shot runs.
#[derive(Default)]
pub struct MemorySecretStore {
    secrets: std::sync::Mutex<std::collections::BTreeMap<String, SecretString>>,
}

impl MemorySecretStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Shows the connector names only, never the secrets.
impl fmt::Debug for MemorySecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("MemorySecretStore");
        match self.secrets.lock() {
            Ok(secrets) => debug.field("connectors", &secrets.keys().collect::<Vec<_>>()),
            Err(_) => debug.field("connectors", &"<poisoned>"),
        };
        debug.finish()
    }
}

impl SecretStore for MemorySecretStore {
    fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        let secrets = self
            .secrets
            .lock()
            .map_err(|_| SecretError::Store("memory store poisoned".into()))?;
        Ok(secrets.get(name).cloned())
    }

    fn set(&self, name: &str, value: &SecretString) -> Result<(), SecretError> {
        let mut secrets = self
            .secrets
            .lock()
            .map_err(|_| SecretError::Store("memory store poisoned".into()))?;
        secrets.insert(name.to_string(), value.clone());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        let mut secrets = self
            .secrets
            .lock()
            .map_err(|_| SecretError::Store("memory store poisoned".into()))?;
        secrets.remove(name);
        Ok(())
    }
}
