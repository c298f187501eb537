//! Why a pasted command could not become a webhook, and what was imported with a caveat.

use serde::Serialize;

/// A stable code for each kind of [`CurlError`], for the UI to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CurlErrorCode {
    /// The text does not start with `curl`.
    NotCurl,
    /// A quote is not closed, or a `$'...'` string is malformed.
    Syntax,
    /// An option curl does not have, or one Hookboard does not import.
    UnknownOption,
    /// An option without its value.
    MissingValue,
    /// An option whose value is malformed (a header without `:`, a negative `--max-time`, ...).
    InvalidValue,
    /// An option that would read a local file (`-d @file`, `-T`, `-F name=@file`, `-K`, ...).
    ReadsFile,
    /// Something a webhook cannot express (a HEAD-only or OPTIONS method, digest auth, ...).
    Unsupported,
    /// No URL, several URLs, a URL curl or Hookboard cannot use, or a pipe or redirection.
    Url,
}

impl CurlErrorCode {
    /// The code as a string (`curl.reads_file`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            CurlErrorCode::NotCurl => "curl.not_curl",
            CurlErrorCode::Syntax => "curl.syntax",
            CurlErrorCode::UnknownOption => "curl.unknown_option",
            CurlErrorCode::MissingValue => "curl.missing_value",
            CurlErrorCode::InvalidValue => "curl.invalid_value",
            CurlErrorCode::ReadsFile => "curl.reads_file",
            CurlErrorCode::Unsupported => "curl.unsupported",
            CurlErrorCode::Url => "curl.url",
        }
    }
}

/// Why a cURL command could not be imported. The message says what is wrong and what to do,
/// and names the offending option as written (`-d`, `--data-binary`) and its word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct CurlError {
    /// What kind of problem it is.
    pub code: CurlErrorCode,
    /// The message for the user; it never contains a secret.
    pub message: String,
    /// The option at fault, as written in the command (`-d`, `--form`), if an option is.
    pub flag: Option<String>,
    /// Index of the word at fault in the command (0 is `curl`), when it is known.
    pub token: Option<usize>,
}

impl CurlError {
    /// An error about the whole command, not one option.
    pub(crate) fn new(code: CurlErrorCode, message: impl Into<String>) -> Self {
        CurlError {
            code,
            message: message.into(),
            flag: None,
            token: None,
        }
    }

    /// An error about `flag` at word `token`; the message is prefixed with both.
    pub(crate) fn at(
        code: CurlErrorCode,
        flag: &str,
        token: Option<usize>,
        message: impl AsRef<str>,
    ) -> Self {
        let place = match token {
            Some(i) => format!("`{flag}` (word {i})"),
            None => format!("`{flag}`"),
        };
        CurlError {
            code,
            message: format!("{place}: {}", message.as_ref()),
            flag: Some(flag.to_string()),
            token,
        }
    }
}

/// Something that was imported with a caveat, or an option that was ignored, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurlWarning {
    /// The option concerned, as written (`--compressed`, `-k`), if one is.
    pub flag: Option<String>,
    /// What happened and what it means for the request.
    pub message: String,
}
