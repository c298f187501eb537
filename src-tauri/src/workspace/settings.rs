//! Desktop settings kept in a small JSON file beside the database: they belong to this
//! desktop, not to the workspace's data (an export never carries them).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Result, WorkspaceError};

/// The contents of the settings file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Settings {
    /// The environment whose variables `${env.NAME}` reads while testing.
    pub active_environment: Option<String>,
    /// Accept `http://` URLs to non-loopback hosts (SPEC 8: an explicit workspace opt-in).
    pub allow_insecure_http: bool,
}

impl Settings {
    /// Reads the settings file; a missing file gives the defaults.
    pub(crate) fn load(path: &Path) -> Result<Settings> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => return Err(settings_error(path, format!("cannot read it: {e}"))),
        };
        serde_json::from_str(&text).map_err(|e| {
            settings_error(
                path,
                format!("it is not valid settings JSON ({e}); fix or delete the file"),
            )
        })
    }

    /// Writes the settings file (to a temporary file first, then renamed over the old one).
    pub(crate) fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| settings_error(path, format!("cannot encode: {e}")))?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| settings_error(path, format!("cannot write it: {e}")))
    }
}

fn settings_error(path: &Path, message: String) -> WorkspaceError {
    WorkspaceError::Settings {
        path: path.to_path_buf(),
        message,
    }
}
