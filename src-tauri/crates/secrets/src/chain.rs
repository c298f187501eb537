//! Several stores consulted in order (the server: environment, then secrets file).

use std::fmt;

use crate::{SecretError, SecretStore, SecretString};

/// Tries its stores in order: `get` returns the first secret found.
///
/// An error from a store stops the lookup (it is returned, not skipped), so a broken
/// store never silently lets a later one supply a different secret. `set` and
/// `delete` go to the first store only, which `get` also consults first, so a
/// stored secret is read back at once; an empty chain finds nothing and refuses writes.
pub struct ChainSecretStore {
    stores: Vec<Box<dyn SecretStore>>,
}

impl ChainSecretStore {
    /// A chain of these stores, consulted first to last.
    pub fn new(stores: Vec<Box<dyn SecretStore>>) -> Self {
        Self { stores }
    }

    /// Appends a store, consulted after the ones already in the chain.
    pub fn with(mut self, store: impl SecretStore + 'static) -> Self {
        self.stores.push(Box::new(store));
        self
    }

    /// How many stores the chain holds.
    pub fn len(&self) -> usize {
        self.stores.len()
    }

    /// Whether the chain holds no store.
    pub fn is_empty(&self) -> bool {
        self.stores.is_empty()
    }

    fn first(&self, name: &str) -> Result<&dyn SecretStore, SecretError> {
        self.stores
            .first()
            .map(|store| store.as_ref())
            .ok_or_else(|| {
                SecretError::Store(format!(
                    "no secret store is configured to hold the secret of connector {name:?}"
                ))
            })
    }
}

/// Shows the number of stores only (a store's own `Debug` never shows secrets either).
impl fmt::Debug for ChainSecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainSecretStore")
            .field("stores", &self.stores.len())
            .finish()
    }
}

impl SecretStore for ChainSecretStore {
    fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        for store in &self.stores {
            if let Some(secret) = store.get(name)? {
                return Ok(Some(secret));
            }
        }
        Ok(None)
    }

    fn set(&self, name: &str, value: &SecretString) -> Result<(), SecretError> {
        self.first(name)?.set(name, value)
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.first(name)?.delete(name)
    }
}
