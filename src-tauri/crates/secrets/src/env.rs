//! Secrets from environment variables (`HOOKBOARD_SECRET_<CONNECTOR>`), for the server.

use std::collections::BTreeMap;
use std::fmt;

use crate::{SecretError, SecretStore, SecretString};

/// The prefix of every secret variable: `HOOKBOARD_SECRET_`.
pub const ENV_PREFIX: &str = "HOOKBOARD_SECRET_";

/// The environment variable holding the secret of connector `name`.
///
/// `HOOKBOARD_SECRET_` followed by the name with ASCII letters upper-cased and
/// every other character (anything not an ASCII letter or digit: spaces, `-`, `.`,
/// accented letters...) replaced by one `_`:
/// `"Mailchimp prod"` → `HOOKBOARD_SECRET_MAILCHIMP_PROD`,
/// `"stripe-live.v2"` → `HOOKBOARD_SECRET_STRIPE_LIVE_V2`.
///
/// Different names can share a variable (`a-b` and `a_b` both give `HOOKBOARD_SECRET_A_B`).
pub fn env_var_name(name: &str) -> String {
    let mut var = String::with_capacity(ENV_PREFIX.len() + name.len());
    var.push_str(ENV_PREFIX);
    var.extend(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
    var
}

/// Where an [`EnvSecretStore`] reads its variables.
enum Source {
    /// The process environment, read at each lookup.
    Process,
    /// A fixed set of variables (tests, or a snapshot).
    Map(BTreeMap<String, SecretString>),
}

/// Read-only secrets from `HOOKBOARD_SECRET_<CONNECTOR>` variables (see [`env_var_name`]).
///
/// An empty variable counts as unset, so `HOOKBOARD_SECRET_X=` falls through to the
/// next store of a [`ChainSecretStore`](crate::ChainSecretStore). `set` and `delete`
/// fail with [`SecretError::Store`]: the environment is read-only.
pub struct EnvSecretStore {
    source: Source,
}

impl EnvSecretStore {
    /// Reads the process environment (at each lookup, not once).
    pub fn new() -> Self {
        Self {
            source: Source::Process,
        }
    }

    /// Reads the given variables instead of the process environment: `(variable, value)`
    /// pairs, e.g. `[("HOOKBOARD_SECRET_CRM", "s3cret")]`. For tests, which then need
    /// not touch the process environment.
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let map = vars
            .into_iter()
            .map(|(k, v)| (k.into(), SecretString::from(v.into())))
            .collect();
        Self {
            source: Source::Map(map),
        }
    }
}

impl Default for EnvSecretStore {
    fn default() -> Self {
        Self::new()
    }
}

/// Shows the source only, never a value.
impl fmt::Debug for EnvSecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Process => "process environment".to_string(),
            Source::Map(map) => format!("{} injected variables", map.len()),
        };
        f.debug_struct("EnvSecretStore")
            .field("source", &source)
            .finish()
    }
}

impl SecretStore for EnvSecretStore {
    fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        let var = env_var_name(name);
        match &self.source {
            Source::Map(map) => Ok(map
                .get(&var)
                .filter(|v| !secrecy::ExposeSecret::expose_secret(*v).is_empty())
                .cloned()),
            Source::Process => match std::env::var_os(&var) {
                None => Ok(None),
                Some(value) if value.is_empty() => Ok(None),
                Some(value) => match value.into_string() {
                    Ok(value) => Ok(Some(SecretString::from(value))),
                    Err(_) => Err(SecretError::Store(format!(
                        "environment variable {var} (secret of connector {name:?}) is not valid UTF-8"
                    ))),
                },
            },
        }
    }

    fn set(&self, name: &str, _value: &SecretString) -> Result<(), SecretError> {
        Err(read_only(name))
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        Err(read_only(name))
    }
}

fn read_only(name: &str) -> SecretError {
    SecretError::Store(format!(
        "environment secrets are read-only: set {} in the server's environment instead",
        env_var_name(name)
    ))
}
