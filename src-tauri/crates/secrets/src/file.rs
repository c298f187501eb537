//! Secrets from a JSON file (the server's `--secrets-file`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::zeroize::Zeroize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::{SecretError, SecretStore, SecretString};

/// Read-only secrets from a JSON file mapping connector names to secrets:
///
/// ```json
/// { "Mailchimp prod": "abc123-us21", "crm": "s3cret" }
/// ```
///
/// The file is read once, by [`FileSecretStore::open`]; restart to pick up changes.
/// Every value must be a non-empty JSON string and every name may appear once.
/// Errors name the file and, for bad JSON, the line and column, but never echo a
/// value from the file. `set` and `delete` fail with [`SecretError::Store`]: edit the
/// file instead (and keep it private, e.g. mode `0600`).
pub struct FileSecretStore {
    path: PathBuf,
    secrets: BTreeMap<String, SecretString>,
}

impl FileSecretStore {
    /// Reads and checks the secrets file at `path`.
    ///
    /// Fails with [`SecretError::Unavailable`] when the file cannot be read or is not
    /// a valid secrets file; the message names the file (and line/column for bad JSON).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SecretError> {
        let path = path.as_ref().to_path_buf();
        let mut text = std::fs::read_to_string(&path).map_err(|err| {
            SecretError::Unavailable(format!(
                "cannot read secrets file {}: {err}",
                path.display()
            ))
        })?;
        let parsed = parse(text.strip_prefix('\u{feff}').unwrap_or(&text));
        text.zeroize();
        // Syntax errors carry fixed messages and our own visitors never echo a
        // value, so the error names the problem and its position only.
        let secrets = parsed.map_err(|err| {
            SecretError::Unavailable(format!("invalid secrets file {}: {err}", path.display()))
        })?;
        Ok(Self { path, secrets })
    }

    /// The file this store was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read_only(&self, name: &str) -> SecretError {
        SecretError::Store(format!(
            "the secrets file {} is read-only for Hookboard: edit the file to change the secret of connector {name:?}",
            self.path.display()
        ))
    }
}

/// Shows the file and the connector names, never the secrets.
impl fmt::Debug for FileSecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSecretStore")
            .field("path", &self.path)
            .field("connectors", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl SecretStore for FileSecretStore {
    fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        Ok(self.secrets.get(name).cloned())
    }

    fn set(&self, name: &str, _value: &SecretString) -> Result<(), SecretError> {
        Err(self.read_only(name))
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        Err(self.read_only(name))
    }
}

/// Parses the whole text as one secrets object.
fn parse(text: &str) -> Result<BTreeMap<String, SecretString>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let secrets = deserializer.deserialize_any(FileVisitor)?;
    deserializer.end()?;
    Ok(secrets)
}

/// Rejects every JSON value but the expected one, naming only its kind: serde's
/// default `invalid_type` errors would quote strings and numbers, i.e. secrets.
macro_rules! reject_other_kinds {
    ($error:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Err(E::custom($error(&self, "null")))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(E::custom($error(&self, "a boolean")))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(E::custom($error(&self, "a number")))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(E::custom($error(&self, "a number")))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(E::custom($error(&self, "a number")))
        }
        fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
            Err(E::custom($error(&self, "bytes")))
        }
    };
}

/// The whole file: an object of connector name → secret.
struct FileVisitor;

impl FileVisitor {
    fn wrong_kind(&self, kind: &str) -> String {
        format!("expected an object mapping connector names to secrets, found {kind}")
    }
}

impl<'de> Visitor<'de> for FileVisitor {
    type Value = BTreeMap<String, SecretString>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object mapping connector names to secrets")
    }

    reject_other_kinds!(Self::wrong_kind);

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(E::custom(self.wrong_kind("a string")))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(self.wrong_kind("an array")))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut secrets = BTreeMap::new();
        while let Some(name) = map.next_key::<String>()? {
            if secrets.contains_key(&name) {
                return Err(de::Error::custom(format!(
                    "connector {name:?} appears more than once"
                )));
            }
            let secret = map.next_value_seed(SecretSeed { name: &name })?;
            secrets.insert(name, secret);
        }
        Ok(secrets)
    }
}

/// One secret: a non-empty string.
struct SecretSeed<'a> {
    name: &'a str,
}

impl SecretSeed<'_> {
    fn wrong_kind(&self, kind: &str) -> String {
        format!(
            "the secret of connector {:?} must be a string, found {kind}",
            self.name
        )
    }

    fn accept<E: de::Error>(&self, value: String) -> Result<SecretString, E> {
        if value.is_empty() {
            Err(E::custom(format!(
                "the secret of connector {:?} is empty",
                self.name
            )))
        } else {
            Ok(SecretString::from(value))
        }
    }
}

impl<'de> DeserializeSeed<'de> for SecretSeed<'_> {
    type Value = SecretString;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SecretSeed<'_> {
    type Value = SecretString;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the secret of connector {:?} as a string", self.name)
    }

    reject_other_kinds!(Self::wrong_kind);

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        self.accept(value.to_owned())
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        self.accept(value)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(self.wrong_kind("an array")))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(self.wrong_kind("an object")))
    }
}
