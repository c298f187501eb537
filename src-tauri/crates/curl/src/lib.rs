//! Paste a cURL command to create a webhook; copy any webhook as a cURL command.
//!
//! [`parse_curl`] reads a command as a POSIX shell would split it (with bash's `$'...'`
//! strings, `\` line continuations, and Windows `cmd` copies continued with `^`), declares
//! curl's options once with clap, and builds a [`Webhook`] (its name and connector are left for
//! the caller) plus, separately, the [`CurlCredentials`] it found, so that the UI can offer to
//! create a connector and keep the secret in the keyring rather than in the webhook.
//! [`to_curl`] writes a webhook back as one command that curl sends as the same request.
//!
//! # How a command becomes a webhook
//!
//! - **Method**: `-X` (case-insensitive); otherwise POST with data or `-F`, GET with `-G` or
//!   without data. `-I` and `-X HEAD` become GET with a warning (a webhook has no HEAD); other
//!   methods than GET, POST, PUT, PATCH and DELETE are refused.
//! - **URL and query**: the one URL (a word or `--url`) is cut at `?`; its query string becomes
//!   the `query` pairs, form-decoded (`+` and `%20` are spaces), in order; a piece without `=`
//!   becomes a name with an empty value. `#fragment` is dropped (curl does not send it). A URL
//!   without a scheme gets `http://`, as curl does; `http://` to a host other than loopback gives
//!   a warning (the HTTPS rule refuses it when saved). `-G` moves the data into the query.
//! - **Headers** from `-H`, `-A`, `-e` and `-b` (several `-b` join into one `Cookie`), in the
//!   order written. `Content-Type` is taken out of the headers into `content_type`, left empty
//!   when it is the body kind's default. `-H 'Name;'` is an empty header; `-H 'Name:'` (which
//!   only removes one of curl's own headers) is left out with a warning.
//! - **Body**: the data options are joined as curl joins them (`&` between `-d`, `--data-raw`,
//!   `--data-binary`, `--data-urlencode` pieces; `--json` pieces are appended as they are;
//!   `--data-urlencode` encodes its content like curl). The kind then follows the content type
//!   curl sends (the written one; `application/json` with `--json`; else curl's default
//!   `application/x-www-form-urlencoded`): **JSON** for a JSON type when the data is valid JSON;
//!   **XML** for `*/xml` and `*+xml`; **form** for the form type when the data reads as
//!   `name=value&...`; **text** otherwise, with the content type kept, so `-d '{"a":1}'` without
//!   a header stays text sent as a form type, exactly as curl sends it (with a warning that
//!   suggests `--json`). `--json` also adds `Accept: application/json`, as curl does.
//! - **`-F` (multipart)**: the model has no multipart body, so text fields (`-F name=value`,
//!   `--form-string name=value`) become a form body sent as `application/x-www-form-urlencoded`,
//!   with a warning saying so; `;type=` and other part attributes are dropped with a warning;
//!   `-F name=@file` and `name=<file` are refused (files cannot be read), and so is `-F` mixed
//!   with `-d` (curl refuses that too).
//! - **Credentials**: `-u login:password`, `--oauth2-bearer TOKEN` and an
//!   `Authorization: Basic ...` or `Bearer ...` header become [`CurlCredentials`] and are not
//!   left in the webhook's headers. A written `Authorization` header wins over `-u`, as in curl.
//!   `-u login` without a password is refused (curl would prompt for it).
//! - **`--max-time SECONDS`** becomes the timeout; without it the model's default (30 s) stays.
//! - **Files** are never read: `-d @file`, `--data-binary @file`, `--json @file`,
//!   `--data-urlencode name@file`, `-H @file`, `-b file`, `-T`, `-K`, `--netrc` are refused with
//!   an error that names the option. `--data-raw '@x'` sends `@x` as curl does.
//! - **Ignored options** (each listed in [`CurlImport::warnings`] with the reason): output and
//!   progress options (`-s`, `-S`, `-v`, `-i`, `-o`, `-w`, ...), `--compressed` (the engine asks
//!   for gzip itself), `-L` (the engine follows redirects under its own rules), `-k` (the engine
//!   always verifies certificates), HTTP version options, `--retry`, `--connect-timeout`, `-x`.
//!   Any other option is refused as unknown, naming it. Digest, NTLM and client certificates are
//!   refused as unsupported.
//! - **Template expressions**: text like `${contact.email}` is kept as it is, so it becomes a
//!   template expression of the webhook (in a shell, single quotes keep it literal too).
//!
//! Errors ([`CurlError`]) carry a stable code, the option as written and the index of its word
//! (0 is `curl`); parsing never panics.
//!
//! # How a webhook becomes a command
//!
//! [`to_curl`] writes `curl [-X METHOD] 'URL?query'` and one option per line after a `\`:
//! `--globoff` when the URL holds braces or brackets (templates do; curl would glob them),
//! the headers (`params_in_headers` query pairs first, as the engine sends them), an explicit
//! `Content-Type` (the webhook's, else the body kind's default; left out only for a form body,
//! which curl types the same way), the connector's authentication, the body (`--data-raw` for
//! JSON, XML and text; one `--data-urlencode name=value` per form field), and `--max-time` when
//! the timeout is not the default. Every word is single-quoted for a POSIX shell when it needs
//! quoting, control characters included (bash's `$'...'` is read when pasted, but not written:
//! it is not POSIX, and `sh` on Debian does not know it). Query values and form
//! field names are form-encoded like the engine encodes them, except inside `${...}`, which is
//! kept literally: a command with templates shows where values go and is run once they are
//! replaced. The engine's per-call `Idempotency-Key` header and curl's own `User-Agent` and
//! `Accept: */*` are not part of the comparison. A JSON body is sent by the engine re-serialized
//! (same JSON, whitespace may differ).
//!
//! Authentication is written only when the webhook names a connector and the caller passes its
//! settings ([`CurlAuth`]): with the secret, the command can be run as it is; masked, the secret
//! is `•••` (`-u 'alice:•••'`, `-H 'Authorization: Bearer •••'`, `-H 'X-Api-Key: •••'`, or
//! `?key=•••`), so the command can be shown or shared without it.
//!
//! The round trip `parse_curl(to_curl(parse_curl(c)))` gives the same webhook and credentials
//! for every command of the test corpus (`tests/corpus/commands.txt`).

mod emit;
mod encode;
mod error;
mod parse;
mod shell;

use std::fmt;

use hookboard_engine::model::{BodyKind, ConnectorAuth, Webhook};
use serde::Serialize;

pub use error::{CurlError, CurlErrorCode, CurlWarning};

/// The model's default per-attempt timeout, kept when a command has no `--max-time`.
pub(crate) const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// The `Content-Type` the engine sends for a body kind when the webhook sets none.
pub(crate) fn default_content_type(kind: BodyKind) -> &'static str {
    match kind {
        BodyKind::None => "",
        BodyKind::Json => "application/json",
        BodyKind::Xml => "application/xml",
        BodyKind::Text => "text/plain; charset=utf-8",
        BodyKind::Form => "application/x-www-form-urlencoded",
    }
}

/// What a pasted cURL command becomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurlImport {
    /// The request as a webhook; `name` is empty and `connector` is `None`, for the caller to set.
    pub webhook: Webhook,
    /// Credentials found in the command, kept out of the webhook.
    pub credentials: Option<CurlCredentials>,
    /// Options that were ignored and parts imported with a caveat, in the order met.
    pub warnings: Vec<CurlWarning>,
}

/// Credentials found in a command: what a connector needs, with its secret. `Debug` masks
/// the secret.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CurlCredentials {
    /// `-u login:password` or `Authorization: Basic ...`.
    Basic {
        /// The login.
        username: String,
        /// The password (the secret).
        password: String,
    },
    /// `--oauth2-bearer TOKEN` or `Authorization: Bearer TOKEN`.
    Bearer {
        /// The token (the secret).
        token: String,
    },
}

impl CurlCredentials {
    /// The connector settings these credentials need (without the secret).
    pub fn connector_auth(&self) -> ConnectorAuth {
        match self {
            CurlCredentials::Basic { username, .. } => ConnectorAuth::Basic {
                username: username.clone(),
            },
            CurlCredentials::Bearer { .. } => ConnectorAuth::Bearer,
        }
    }

    /// The secret part: the password or the token, for the keyring.
    pub fn secret(&self) -> &str {
        match self {
            CurlCredentials::Basic { password, .. } => password,
            CurlCredentials::Bearer { token } => token,
        }
    }
}

impl fmt::Debug for CurlCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CurlCredentials::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &hookboard_engine::trace::MASK)
                .finish(),
            CurlCredentials::Bearer { .. } => f
                .debug_struct("Bearer")
                .field("token", &hookboard_engine::trace::MASK)
                .finish(),
        }
    }
}

/// How [`to_curl`] writes the authentication of a webhook's connector.
#[derive(Debug, Clone, Copy)]
pub enum CurlAuth<'a> {
    /// Nothing is written, as if the webhook had no connector.
    Omit,
    /// The connector's settings, with `•••` in place of the secret.
    Masked(&'a ConnectorAuth),
    /// The connector's settings and its secret: the command runs as it is.
    WithSecret(&'a ConnectorAuth, &'a str),
}

/// Parses a pasted cURL command into a webhook and the credentials it carries.
///
/// # Errors
///
/// A [`CurlError`] naming the option at fault (and its word) for an unknown or unsupported
/// option, one that would read a file, a malformed value, a missing or second URL, an
/// unclosed quote, or text that is not a curl command.
pub fn parse_curl(command: &str) -> Result<CurlImport, CurlError> {
    parse::parse_curl(command)
}

/// Writes `webhook` as one curl command sending the same request, lines continued with `\`.
/// `auth` is used only when the webhook names a connector.
pub fn to_curl(webhook: &Webhook, auth: CurlAuth<'_>) -> String {
    emit::to_curl(webhook, auth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_timeout_is_the_model_default() {
        let webhook: Webhook = serde_json::from_value(serde_json::json!({
            "name": "w", "method": "GET", "url": "https://example.com/"
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(webhook.timeout_ms, DEFAULT_TIMEOUT_MS);
    }

    #[test]
    fn debug_masks_secrets() {
        let basic = CurlCredentials::Basic {
            username: "alice".into(),
            password: "s3cret".into(),
        };
        let bearer = CurlCredentials::Bearer {
            token: "t0ken".into(),
        };
        let shown = format!("{basic:?} {bearer:?}");
        assert!(shown.contains("alice") && !shown.contains("s3cret") && !shown.contains("t0ken"));
    }
}
