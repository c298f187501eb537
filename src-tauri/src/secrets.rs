//! The connector secret store of the desktop: the OS keyring, connected on first use.

use std::sync::{Arc, Mutex, PoisonError};

use hookboard_secrets::{KeyringSecretStore, SecretError};

/// The OS keyring, connected (and checked with a probe entry) the first time it is needed and
/// kept once it works; while no keyring is reachable every use says so
/// ([`SecretError::Unavailable`]) instead of pretending.
#[derive(Debug, Default)]
pub struct Keyring {
    store: Mutex<Option<Arc<KeyringSecretStore>>>,
}

impl Keyring {
    /// The connected keyring, connecting now if needed.
    pub fn get(&self) -> Result<Arc<KeyringSecretStore>, SecretError> {
        let mut slot = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(store) = slot.as_ref() {
            return Ok(Arc::clone(store));
        }
        let store = Arc::new(KeyringSecretStore::connect()?);
        *slot = Some(Arc::clone(&store));
        Ok(store)
    }
}
