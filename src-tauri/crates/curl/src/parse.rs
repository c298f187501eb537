//! `parse_curl`: curl's options declared once, as a table turned into a clap command; the
//! matched options, taken in the order they were written, become a webhook.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, ColorChoice, Command};
use hookboard_engine::model::{Body, BodyKind, HttpMethod, KeyValue, Webhook};

use crate::encode::{curl_escape, parse_pairs, split_once_outside, template_ranges};
use crate::error::{CurlError, CurlErrorCode, CurlWarning};
use crate::shell;
use crate::{CurlCredentials, CurlImport, DEFAULT_TIMEOUT_MS, default_content_type};

/// What the importer does with an option.
#[derive(Clone, Copy)]
enum Role {
    /// Read by the importer.
    Used,
    /// Accepted and left out of the webhook; the reason becomes a warning.
    Ignored(&'static str),
    /// Refused with this code and reason.
    Refused(CurlErrorCode, &'static str),
}

/// One curl option: its clap id, spellings, whether it takes a value, and its role.
struct Opt {
    id: &'static str,
    short: Option<char>,
    long: &'static str,
    value: bool,
    role: Role,
}

const fn used(id: &'static str, short: Option<char>, value: bool) -> Opt {
    Opt {
        id,
        short,
        long: id,
        value,
        role: Role::Used,
    }
}

const fn ignored(id: &'static str, short: Option<char>, value: bool, why: &'static str) -> Opt {
    Opt {
        id,
        short,
        long: id,
        value,
        role: Role::Ignored(why),
    }
}

const fn refused(
    id: &'static str,
    short: Option<char>,
    value: bool,
    code: CurlErrorCode,
    why: &'static str,
) -> Opt {
    Opt {
        id,
        short,
        long: id,
        value,
        role: Role::Refused(code, why),
    }
}

const OUTPUT: &str = "it only changes what curl prints or saves, not the request";
const TRANSPORT: &str =
    "Hookboard's HTTP client chooses the protocol version and connection itself";
const READS_FILE: &str =
    "curl would read a local file, which a webhook cannot do; paste the content instead";

/// Every option the importer knows. An option missing here is refused as unknown.
const OPTS: &[Opt] = &[
    used("url", None, true),
    used("request", Some('X'), true),
    used("header", Some('H'), true),
    used("data", Some('d'), true),
    used("data-ascii", None, true),
    used("data-binary", None, true),
    used("data-raw", None, true),
    used("data-urlencode", None, true),
    used("json", None, true),
    used("form", Some('F'), true),
    used("form-string", None, true),
    used("get", Some('G'), false),
    used("head", Some('I'), false),
    used("user", Some('u'), true),
    used("oauth2-bearer", None, true),
    used("user-agent", Some('A'), true),
    used("referer", Some('e'), true),
    used("cookie", Some('b'), true),
    used("max-time", Some('m'), true),
    used("globoff", Some('g'), false),
    ignored(
        "basic",
        None,
        false,
        "Basic is the only password scheme a webhook uses, so it is implied",
    ),
    ignored(
        "location",
        Some('L'),
        false,
        "Hookboard always follows redirects (at most 10, HTTPS only, credentials dropped on another origin)",
    ),
    ignored(
        "location-trusted",
        None,
        false,
        "Hookboard always follows redirects and never sends credentials to another origin",
    ),
    ignored(
        "max-redirs",
        None,
        true,
        "Hookboard's redirect limit is its own (10)",
    ),
    ignored(
        "insecure",
        Some('k'),
        false,
        "Hookboard always verifies TLS certificates; a server with a self-signed certificate will fail",
    ),
    ignored(
        "compressed",
        None,
        false,
        "Hookboard asks for gzip and decompresses responses itself",
    ),
    ignored("silent", Some('s'), false, OUTPUT),
    ignored("show-error", Some('S'), false, OUTPUT),
    ignored("verbose", Some('v'), false, OUTPUT),
    ignored("include", Some('i'), false, OUTPUT),
    ignored("progress-bar", Some('#'), false, OUTPUT),
    ignored("no-progress-meter", None, false, OUTPUT),
    ignored("no-buffer", Some('N'), false, OUTPUT),
    ignored("output", Some('o'), true, OUTPUT),
    ignored("remote-name", Some('O'), false, OUTPUT),
    ignored("write-out", Some('w'), true, OUTPUT),
    ignored("dump-header", Some('D'), true, OUTPUT),
    ignored("cookie-jar", Some('c'), true, OUTPUT),
    ignored(
        "fail",
        Some('f'),
        false,
        "route error statuses with a Response switch node instead",
    ),
    ignored(
        "fail-with-body",
        None,
        false,
        "route error statuses with a Response switch node instead",
    ),
    ignored("http1.1", None, false, TRANSPORT),
    ignored("http2", None, false, TRANSPORT),
    ignored("http2-prior-knowledge", None, false, TRANSPORT),
    ignored("ipv4", Some('4'), false, TRANSPORT),
    ignored("ipv6", Some('6'), false, TRANSPORT),
    ignored("tlsv1.2", None, false, TRANSPORT),
    ignored("tlsv1.3", None, false, TRANSPORT),
    ignored("path-as-is", None, false, TRANSPORT),
    ignored("ssl-no-revoke", None, false, TRANSPORT),
    ignored(
        "connect-timeout",
        None,
        true,
        "only the whole request's timeout (--max-time) is part of a webhook",
    ),
    ignored(
        "retry",
        None,
        true,
        "set the webhook's retry policy instead (attempts, backoff)",
    ),
    ignored(
        "retry-delay",
        None,
        true,
        "set the webhook's retry policy instead (attempts, backoff)",
    ),
    ignored(
        "retry-max-time",
        None,
        true,
        "set the webhook's retry policy instead (attempts, backoff)",
    ),
    ignored(
        "proxy",
        Some('x'),
        true,
        "a webhook is sent directly, not through a proxy",
    ),
    refused(
        "upload-file",
        Some('T'),
        true,
        CurlErrorCode::ReadsFile,
        READS_FILE,
    ),
    refused(
        "config",
        Some('K'),
        true,
        CurlErrorCode::ReadsFile,
        "curl would read more options from a file; paste them into the command instead",
    ),
    refused(
        "netrc",
        Some('n'),
        false,
        CurlErrorCode::ReadsFile,
        "curl would read the password from ~/.netrc; write it with -u login:password instead",
    ),
    refused(
        "netrc-file",
        None,
        true,
        CurlErrorCode::ReadsFile,
        "curl would read the password from a file; write it with -u login:password instead",
    ),
    refused(
        "cert",
        Some('E'),
        true,
        CurlErrorCode::Unsupported,
        "client certificates are not supported by webhooks",
    ),
    refused(
        "digest",
        None,
        false,
        CurlErrorCode::Unsupported,
        "a webhook authenticates with Basic, Bearer or an API key, not Digest",
    ),
    refused(
        "ntlm",
        None,
        false,
        CurlErrorCode::Unsupported,
        "a webhook authenticates with Basic, Bearer or an API key, not NTLM",
    ),
    refused(
        "negotiate",
        None,
        false,
        CurlErrorCode::Unsupported,
        "a webhook authenticates with Basic, Bearer or an API key, not Negotiate",
    ),
    refused(
        "anyauth",
        None,
        false,
        CurlErrorCode::Unsupported,
        "a webhook authenticates with Basic, Bearer or an API key; drop --anyauth to use Basic",
    ),
    refused(
        "aws-sigv4",
        None,
        true,
        CurlErrorCode::Unsupported,
        "AWS request signing is not supported by webhooks",
    ),
];

fn opt(id: &str) -> Option<&'static Opt> {
    OPTS.iter().find(|o| o.id == id)
}

/// The clap command declaring [`OPTS`] and the URL positionals.
fn command() -> Command {
    let mut cmd = Command::new("curl")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args_override_self(true)
        .color(ColorChoice::Never)
        .arg(
            Arg::new("urls")
                .value_name("URL")
                .num_args(1..)
                .action(ArgAction::Append),
        );
    for o in OPTS {
        let mut arg = Arg::new(o.id).long(o.long);
        if let Some(s) = o.short {
            arg = arg.short(s);
        }
        arg = if o.value {
            // curl takes the next word as the value whatever it looks like (`-d -1`).
            arg.num_args(1)
                .action(ArgAction::Append)
                .allow_hyphen_values(true)
        } else {
            arg.action(ArgAction::Count)
        };
        cmd = cmd.arg(arg);
    }
    cmd
}

/// The words of the command, and which option spelling sits where.
struct Words {
    tokens: Vec<String>,
}

impl Words {
    /// Where option `o` is written (with `value`, for one taking a value), as written:
    /// `("-d", Some(3))`. Falls back to the long spelling when it cannot be found.
    fn locate(&self, o: &Opt, value: Option<&str>) -> (String, Option<usize>) {
        let long = format!("--{}", o.long);
        let next_is = |i: usize| match value {
            None => true,
            Some(v) => self.tokens.get(i + 1).is_some_and(|t| t == v),
        };
        for (i, t) in self.tokens.iter().enumerate().skip(1) {
            if *t == long && next_is(i) {
                return (long, Some(i));
            }
            if let Some(v) = value
                && t.strip_prefix(&long)
                    .and_then(|rest| rest.strip_prefix('='))
                    .is_some_and(|rest| rest == v)
            {
                return (long, Some(i));
            }
            let (Some(short), Some(letters)) = (o.short, t.strip_prefix('-')) else {
                continue;
            };
            if letters.starts_with('-') || letters.is_empty() {
                continue;
            }
            let written = format!("-{short}");
            match value {
                None if letters.contains(short) => return (written, Some(i)),
                Some(v) => {
                    if let Some(pos) = letters.find(short) {
                        let attached = &letters[pos + short.len_utf8()..];
                        if attached == v || (attached.is_empty() && next_is(i)) {
                            return (written, Some(i));
                        }
                    }
                }
                None => {}
            }
        }
        (long, None)
    }

    /// Where the first word equal to `word` is.
    fn position(&self, word: &str) -> Option<usize> {
        self.tokens
            .iter()
            .skip(1)
            .position(|t| t == word)
            .map(|i| i + 1)
    }
}

/// Turns a clap error into one that names the option and its word.
fn from_clap(err: &clap::Error, words: &Words) -> CurlError {
    let invalid = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.split_whitespace().next().map(str::to_string),
        _ => None,
    };
    let suggestion = match err.get(ContextKind::SuggestedArg) {
        Some(ContextValue::String(s)) => format!(" (did you mean `{s}`?)"),
        _ => String::new(),
    };
    match (err.kind(), invalid) {
        (ErrorKind::UnknownArgument, Some(flag)) => {
            let token = words.position(&flag).or_else(|| {
                let letter = flag.strip_prefix('-').filter(|l| !l.starts_with('-'))?;
                words
                    .tokens
                    .iter()
                    .skip(1)
                    .position(|t| t.starts_with('-') && !t.starts_with("--") && t.contains(letter))
                    .map(|i| i + 1)
            });
            CurlError::at(
                CurlErrorCode::UnknownOption,
                &flag,
                token,
                format!(
                    "curl has no such option, or Hookboard does not import it{suggestion}; remove it and paste again"
                ),
            )
        }
        (_, Some(flag)) => {
            let found = flag
                .strip_prefix("--")
                .and_then(opt)
                .map(|o| words.locate(o, None));
            let (written, token) = found.unwrap_or((flag, None));
            CurlError::at(
                CurlErrorCode::MissingValue,
                &written,
                token,
                "this option needs a value after it",
            )
        }
        (_, None) => CurlError::new(
            CurlErrorCode::Syntax,
            err.to_string()
                .trim_start_matches("error: ")
                .lines()
                .next()
                .unwrap_or("the command could not be read")
                .to_string(),
        ),
    }
}

/// An option and the value it was written with.
type Written = (&'static Opt, String);

/// A piece of request data, as curl adds it to the body.
enum Piece {
    /// `-d`, `--data-raw`, `--data-urlencode`, ...: joined to the previous piece with `&`.
    Data(String),
    /// `--json`: appended to the previous piece as is.
    Json(String),
}

/// The state of one import: the words, the matches, and the warnings so far.
struct Import {
    words: Words,
    matches: ArgMatches,
    warnings: Vec<CurlWarning>,
}

impl Import {
    /// Whether option `id` was written.
    fn has(&self, id: &str) -> bool {
        self.matches.value_source(id) == Some(ValueSource::CommandLine)
    }

    /// Every value of option `id` with its clap index (the order it was written in).
    fn values(&self, id: &'static str) -> Vec<(usize, &'static Opt, String)> {
        let (Some(o), Some(values), Some(indices)) = (
            opt(id),
            self.matches.get_many::<String>(id),
            self.matches.indices_of(id),
        ) else {
            return Vec::new();
        };
        indices
            .zip(values)
            .map(|(i, v)| (i, o, v.clone()))
            .collect()
    }

    /// Every value of the options `ids`, in the order they were written.
    fn ordered(&self, ids: &[&'static str]) -> Vec<(usize, &'static Opt, String)> {
        let mut all: Vec<_> = ids.iter().flat_map(|id| self.values(id)).collect();
        all.sort_by_key(|(i, _, _)| *i);
        all
    }

    /// The last value of option `id`.
    fn last(&self, id: &'static str) -> Option<(&'static Opt, String)> {
        self.values(id).pop().map(|(_, o, v)| (o, v))
    }

    fn error(
        &self,
        code: CurlErrorCode,
        o: &Opt,
        value: Option<&str>,
        message: impl AsRef<str>,
    ) -> CurlError {
        let (flag, token) = self.words.locate(o, value);
        CurlError::at(code, &flag, token, message)
    }

    /// A warning about option `o` (with `value`, for one taking a value), named as written.
    fn note(&mut self, o: &Opt, value: Option<&str>, message: impl AsRef<str>) {
        let flag = self.words.locate(o, value).0;
        self.warnings.push(CurlWarning {
            message: format!("`{flag}`: {}", message.as_ref()),
            flag: Some(flag),
        });
    }

    /// A warning about something not tied to one option.
    fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(CurlWarning {
            flag: None,
            message: message.into(),
        });
    }
}

/// See [`crate::parse_curl`].
pub(crate) fn parse_curl(text: &str) -> Result<CurlImport, CurlError> {
    let mut tokens = shell::split(text)?;
    // A copied shell prompt.
    if tokens.first().is_some_and(|t| t == "$" || t == "%") {
        tokens.remove(0);
    }
    let program = tokens.first().map(String::as_str).unwrap_or("");
    let name = program.rsplit(['/', '\\']).next().unwrap_or(program);
    if !(name.eq_ignore_ascii_case("curl") || name.eq_ignore_ascii_case("curl.exe")) {
        return Err(CurlError::new(
            CurlErrorCode::NotCurl,
            if program.is_empty() {
                "the command is empty: paste a command that starts with `curl`".to_string()
            } else {
                format!("the command starts with `{program}`, not `curl`: paste a curl command")
            },
        ));
    }
    let words = Words { tokens };
    let matches = command()
        .try_get_matches_from(&words.tokens)
        .map_err(|e| from_clap(&e, &words))?;
    let mut import = Import {
        words,
        matches,
        warnings: Vec::new(),
    };
    import.run()
}

impl Import {
    fn run(&mut self) -> Result<CurlImport, CurlError> {
        self.refuse_and_ignore()?;
        let raw_url = self.url()?;
        let pieces = self.data()?;
        let (first_form, form) = self.form()?;
        let get = self.has("get");
        if let Some((o, raw)) = &first_form {
            let conflict = if !pieces.is_empty() {
                Some(
                    "a multipart form (-F) cannot be combined with -d/--data options in one request; use only one of them",
                )
            } else if get {
                Some("a form (-F) cannot be sent with -G/--get, which moves data into the URL")
            } else {
                None
            };
            if let Some(message) = conflict {
                return Err(self.error(CurlErrorCode::Unsupported, o, Some(raw), message));
            }
        }
        let data = join_pieces(&pieces);
        let (url, query_text) =
            self.split_url(&raw_url, if get { data.as_deref() } else { None })?;
        let query = parse_pairs(&query_text)
            .into_iter()
            .map(|(name, value)| KeyValue { name, value })
            .collect();

        let mut headers = self.headers()?;
        let is_json = pieces.iter().any(|p| matches!(p, Piece::Json(_)));
        // curl adds this header with --json unless the command writes one.
        if is_json
            && !get
            && !headers
                .iter()
                .any(|h| h.name.eq_ignore_ascii_case("accept"))
        {
            headers.push(KeyValue {
                name: "Accept".to_string(),
                value: "application/json".to_string(),
            });
        }
        let explicit_type = take_last_header(&mut headers, "content-type");
        let credentials = self.credentials(&mut headers)?;

        let has_body = !get && (data.is_some() || !form.is_empty());
        let method = self.method(has_body)?;
        let (body, content_type) = if !form.is_empty() {
            let content_type = explicit_type.filter(|t| {
                !media_type(t).starts_with("multipart/")
                    && !t.eq_ignore_ascii_case(default_content_type(BodyKind::Form))
            });
            (
                Body {
                    kind: BodyKind::Form,
                    template: String::new(),
                    form,
                },
                content_type,
            )
        } else if let (Some(data), false) = (data, get) {
            let content_type = explicit_type.unwrap_or_else(|| {
                if is_json {
                    "application/json".to_string()
                } else {
                    "application/x-www-form-urlencoded".to_string()
                }
            });
            let body = self.body(data, &content_type);
            let override_type = (!content_type
                .eq_ignore_ascii_case(default_content_type(body.kind)))
            .then_some(content_type);
            (body, override_type)
        } else {
            (Body::default(), explicit_type)
        };

        let timeout_ms = self.timeout()?;
        Ok(CurlImport {
            webhook: Webhook {
                name: String::new(),
                description: String::new(),
                method,
                url,
                query,
                headers,
                params_in_headers: false,
                body,
                content_type,
                connector: None,
                response: Default::default(),
                timeout_ms,
                retry: Default::default(),
            },
            credentials,
            warnings: std::mem::take(&mut self.warnings),
        })
    }

    /// Refuses the first refused option written, and warns about every ignored one.
    fn refuse_and_ignore(&mut self) -> Result<(), CurlError> {
        let mut refused: Vec<(usize, &Opt, CurlErrorCode, &str)> = OPTS
            .iter()
            .filter_map(|o| match o.role {
                Role::Refused(code, why) if self.has(o.id) => {
                    let index = self.matches.index_of(o.id).unwrap_or(usize::MAX);
                    Some((index, o, code, why))
                }
                _ => None,
            })
            .collect();
        refused.sort_by_key(|r| r.0);
        if let Some((_, o, code, why)) = refused.first() {
            return Err(self.error(*code, o, None, why));
        }
        for o in OPTS {
            if let Role::Ignored(why) = o.role
                && self.has(o.id)
            {
                self.note(o, None, format!("ignored: {why}"));
            }
        }
        Ok(())
    }

    /// The one URL of the command (a positional word or `--url`).
    fn url(&self) -> Result<String, CurlError> {
        let positional: Vec<String> = self
            .matches
            .get_many::<String>("urls")
            .map(|v| v.cloned().collect())
            .unwrap_or_default();
        for word in &positional {
            let operator = ["|", "||", "&&", ";", "&"].contains(&word.as_str())
                || word.starts_with('|')
                || word
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .starts_with(['>', '<']);
            if operator {
                return Err(CurlError::at(
                    CurlErrorCode::Url,
                    word,
                    self.words.position(word),
                    "pipes, redirections and several commands are not part of a request; paste a single curl command",
                ));
            }
        }
        let mut urls: Vec<String> = positional;
        urls.extend(self.values("url").into_iter().map(|(_, _, v)| v));
        match urls.as_slice() {
            [] => Err(CurlError::new(
                CurlErrorCode::Url,
                "the command has no URL: add the address to send the request to",
            )),
            [one] => Ok(one.trim().to_string()),
            [_, second, ..] => Err(CurlError::at(
                CurlErrorCode::Url,
                second,
                self.words.position(second),
                format!(
                    "a second URL; a webhook sends one request, so paste a command with one URL (there are {})",
                    urls.len()
                ),
            )),
        }
    }

    /// The URL template (no query, no fragment) and the query string, with the data of `-G`
    /// appended to the query.
    fn split_url(
        &mut self,
        raw: &str,
        get_data: Option<&str>,
    ) -> Result<(String, String), CurlError> {
        let token = self.words.position(raw);
        let bad = |message: String| CurlError::at(CurlErrorCode::Url, raw, token, message);
        let without_fragment = split_once_outside(raw, '#').map_or(raw, |(before, _)| before);
        let (base, query) =
            split_once_outside(without_fragment, '?').unwrap_or((without_fragment, ""));
        let mut base = base.to_string();
        match base.split_once("://") {
            Some((scheme, _)) => {
                if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
                    return Err(bad(format!(
                        "a webhook sends HTTP requests; `{scheme}://` URLs cannot be used, write an https:// URL"
                    )));
                }
            }
            None => {
                // What curl does with a URL without a scheme.
                base = format!("http://{base}");
                self.warn(format!(
                    "the URL has no scheme; curl sends it as `{base}`, and so does the webhook"
                ));
            }
        }
        if template_ranges(&base).is_empty() {
            let parsed =
                url::Url::parse(&base).map_err(|e| bad(format!("not a valid URL: {e}")))?;
            let loopback = match parsed.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => return Err(bad("the URL has no host".to_string())),
            };
            if parsed.scheme() == "http" && !loopback {
                self.warn("the URL is http://: Hookboard sends webhooks over HTTPS only, unless the workspace allows insecure URLs; change it to https:// if the server supports it");
            }
        }
        let query = match (query, get_data) {
            ("", Some(d)) => d.to_string(),
            (q, Some(d)) => format!("{q}&{d}"),
            (q, None) => q.to_string(),
        };
        Ok((base, query))
    }

    /// The data options, in order, as curl would send them.
    fn data(&self) -> Result<Vec<Piece>, CurlError> {
        let mut pieces = Vec::new();
        for (_, o, value) in self.ordered(&[
            "data",
            "data-ascii",
            "data-binary",
            "data-raw",
            "data-urlencode",
            "json",
        ]) {
            let reads_file = |v: &str| {
                self.error(
                    CurlErrorCode::ReadsFile,
                    o,
                    Some(v),
                    format!("{READS_FILE} (with --data-raw, an @ at the start is sent as is)"),
                )
            };
            match o.id {
                "data-raw" => pieces.push(Piece::Data(value)),
                "data-urlencode" => {
                    let encoded = match value.find('=') {
                        Some(0) => curl_escape(&value[1..]),
                        Some(eq) => format!("{}={}", &value[..eq], curl_escape(&value[eq + 1..])),
                        None if value.contains('@') => return Err(reads_file(&value)),
                        None => curl_escape(&value),
                    };
                    pieces.push(Piece::Data(encoded));
                }
                "json" if value.starts_with('@') => return Err(reads_file(&value)),
                "json" => pieces.push(Piece::Json(value)),
                _ if value.starts_with('@') => return Err(reads_file(&value)),
                _ => pieces.push(Piece::Data(value)),
            }
        }
        Ok(pieces)
    }

    /// The `-F`/`--form-string` fields, in order, and the first such option with its value
    /// (for errors about the form as a whole).
    fn form(&mut self) -> Result<(Option<Written>, Vec<KeyValue>), CurlError> {
        let entries = self.ordered(&["form", "form-string"]);
        let mut fields = Vec::new();
        let mut first: Option<Written> = None;
        for (_, o, raw) in entries {
            let Some((name, value)) = raw.split_once('=') else {
                return Err(self.error(
                    CurlErrorCode::InvalidValue,
                    o,
                    Some(&raw),
                    format!("`{raw}` is not name=value"),
                ));
            };
            let value = if o.id == "form-string" {
                value.to_string()
            } else if value.starts_with(['@', '<']) {
                return Err(self.error(
                    CurlErrorCode::ReadsFile,
                    o,
                    Some(&raw),
                    format!("{READS_FILE}; a webhook form has text fields only"),
                ));
            } else {
                self.form_value(o, value)
            };
            fields.push(KeyValue {
                name: name.to_string(),
                value,
            });
            if first.is_none() {
                first = Some((o, raw));
            }
        }
        if let Some((o, raw)) = first.clone() {
            self.note(o, Some(&raw), "the fields become a form body sent as application/x-www-form-urlencoded: a webhook has no multipart/form-data body; check the receiver accepts it");
        }
        Ok((first, fields))
    }

    /// A `-F name=value` value without curl's `;type=...` attributes (dropped with a
    /// warning) and with its double quotes removed.
    fn form_value(&mut self, o: &Opt, value: &str) -> String {
        if let Some(quoted) = value.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.extend(chars.next()),
                    '"' => break,
                    c => out.push(c),
                }
            }
            return out;
        }
        let attribute = [";type=", ";filename=", ";headers=", ";encoder="]
            .iter()
            .filter_map(|a| value.find(a))
            .min();
        match attribute {
            Some(at) => {
                self.note(
                    o,
                    None,
                    format!(
                        "the field attributes `{}` are dropped: they only apply to multipart forms",
                        &value[at..]
                    ),
                );
                value[..at].to_string()
            }
            None => value.to_string(),
        }
    }

    /// Headers from `-H`, `-A`, `-e` and `-b`, in the order they were written.
    fn headers(&mut self) -> Result<Vec<KeyValue>, CurlError> {
        let mut headers: Vec<KeyValue> = Vec::new();
        let mut cookie_at: Option<usize> = None;
        for (_, o, value) in self.ordered(&["header", "user-agent", "referer", "cookie"]) {
            if value.contains(['\r', '\n']) {
                return Err(self.error(
                    CurlErrorCode::InvalidValue,
                    o,
                    Some(&value),
                    "a header value cannot contain a line break",
                ));
            }
            match o.id {
                "user-agent" => headers.push(KeyValue {
                    name: "User-Agent".to_string(),
                    value,
                }),
                "referer" => headers.push(KeyValue {
                    name: "Referer".to_string(),
                    value: value.strip_suffix(";auto").unwrap_or(&value).to_string(),
                }),
                "cookie" => {
                    if !value.contains('=') {
                        return Err(self.error(
                            CurlErrorCode::ReadsFile,
                            o,
                            Some(&value),
                            "without `=`, curl reads cookies from a file; write them as `name=value; name2=value2`",
                        ));
                    }
                    match cookie_at {
                        Some(i) => {
                            headers[i].value = format!("{}; {value}", headers[i].value);
                        }
                        None => {
                            cookie_at = Some(headers.len());
                            headers.push(KeyValue {
                                name: "Cookie".to_string(),
                                value,
                            });
                        }
                    }
                }
                _ => {
                    if value.starts_with('@') {
                        return Err(self.error(
                            CurlErrorCode::ReadsFile,
                            o,
                            Some(&value),
                            format!("{READS_FILE}: write each header with its own -H"),
                        ));
                    }
                    let (name, header_value) = match (
                        value.split_once(':'),
                        value.strip_suffix(';'),
                    ) {
                        (Some((name, v)), _) if !v.trim().is_empty() => (name, v.trim()),
                        (Some((name, _)), _) => {
                            self.note(
                                o,
                                Some(&value),
                                format!("`{name}:` only removes a header curl would add itself; it is left out"),
                            );
                            continue;
                        }
                        (None, Some(name)) => (name, ""),
                        (None, None) => {
                            return Err(self.error(
                                CurlErrorCode::InvalidValue,
                                o,
                                Some(&value),
                                format!("`{value}` is not a header: write `Name: value`"),
                            ));
                        }
                    };
                    let name = name.trim();
                    if name.is_empty() || name.contains(char::is_whitespace) {
                        return Err(self.error(
                            CurlErrorCode::InvalidValue,
                            o,
                            Some(&value),
                            format!("`{name}` is not a header name: write `Name: value`"),
                        ));
                    }
                    headers.push(KeyValue {
                        name: name.to_string(),
                        value: header_value.to_string(),
                    });
                }
            }
        }
        Ok(headers)
    }

    /// Credentials from an `Authorization: Basic/Bearer` header (taken out of `headers`),
    /// `-u` or `--oauth2-bearer`. As curl does, a written `Authorization` header wins.
    fn credentials(
        &mut self,
        headers: &mut Vec<KeyValue>,
    ) -> Result<Option<CurlCredentials>, CurlError> {
        let user = self.last("user");
        let bearer = self.last("oauth2-bearer");
        let at = headers
            .iter()
            .position(|h| h.name.eq_ignore_ascii_case("authorization"));
        if let Some(i) = at {
            let from_header = parse_authorization(&headers[i].value);
            if from_header.is_some() {
                headers.remove(i);
            }
            for (o, _) in user.iter().chain(bearer.iter()) {
                self.note(
                    o,
                    None,
                    "ignored: the command's Authorization header is sent instead, as curl does",
                );
            }
            return Ok(from_header);
        }
        if let Some((o, value)) = user {
            let Some((username, password)) = value.split_once(':') else {
                return Err(self.error(
                    CurlErrorCode::InvalidValue,
                    o,
                    Some(&value),
                    "has a login but no password (curl would ask for it): write `-u login:password`",
                ));
            };
            if password.is_empty() {
                self.note(
                    o,
                    Some(&value),
                    "the password is empty: if the login is the API key (as some APIs use Basic auth), keep it secret with a Bearer or API-key connector instead of a Basic one, whose login is stored in the workspace",
                );
            }
            if let Some((b, _)) = bearer {
                self.note(b, None, "ignored: the -u login and password are used");
            }
            return Ok(Some(CurlCredentials::Basic {
                username: username.to_string(),
                password: password.to_string(),
            }));
        }
        Ok(bearer.map(|(_, token)| CurlCredentials::Bearer { token }))
    }

    /// The method: `-X` if written (HEAD becomes GET with a warning), else what curl infers.
    fn method(&mut self, has_body: bool) -> Result<HttpMethod, CurlError> {
        let (written, o) = match self.last("request") {
            Some((o, m)) => (m, o),
            None if self.has("head") => ("HEAD".to_string(), opt("head").unwrap_or(&OPTS[0])),
            None if has_body => return Ok(HttpMethod::Post),
            None => return Ok(HttpMethod::Get),
        };
        let method = match written.to_ascii_uppercase().as_str() {
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "PATCH" => HttpMethod::Patch,
            "DELETE" => HttpMethod::Delete,
            "HEAD" => {
                let value = (o.id == "request").then(|| written.clone());
                self.note(o, value.as_deref(), "a webhook cannot send HEAD; it is imported as GET, which also fetches the body");
                HttpMethod::Get
            }
            other => {
                return Err(self.error(
                    CurlErrorCode::Unsupported,
                    o,
                    Some(&written),
                    format!(
                        "a webhook cannot send {other}; it sends GET, POST, PUT, PATCH or DELETE"
                    ),
                ));
            }
        };
        Ok(method)
    }

    /// The body for `data` sent with `content_type`: JSON for a JSON type and valid JSON,
    /// XML for an XML type, a form for the form type and `name=value&...` data, else text.
    fn body(&mut self, data: String, content_type: &str) -> Body {
        let media = media_type(content_type);
        let is_json_type =
            media == "application/json" || media == "text/json" || media.ends_with("+json");
        let parses_as_json = serde_json::from_str::<serde_json::Value>(&data).is_ok();
        let kind = if is_json_type {
            if !parses_as_json {
                self.warn("the body is sent as JSON but is not valid JSON; it is imported as a text body with the same content type");
                BodyKind::Text
            } else {
                BodyKind::Json
            }
        } else if media.ends_with("/xml") || media.ends_with("+xml") {
            BodyKind::Xml
        } else if media == "application/x-www-form-urlencoded" && looks_like_form(&data) {
            BodyKind::Form
        } else {
            if media == "application/x-www-form-urlencoded"
                && parses_as_json
                && !data.trim().is_empty()
            {
                self.warn("the data looks like JSON, but without a Content-Type header curl sends it as application/x-www-form-urlencoded, and so does the webhook; add -H 'Content-Type: application/json' (or use --json) if the receiver expects JSON");
            }
            BodyKind::Text
        };
        match kind {
            BodyKind::Form => Body {
                kind,
                template: String::new(),
                form: parse_pairs(&data)
                    .into_iter()
                    .map(|(name, value)| KeyValue { name, value })
                    .collect(),
            },
            _ => Body {
                kind,
                template: data,
                form: Vec::new(),
            },
        }
    }

    /// `--max-time` in milliseconds, or the engine's default.
    fn timeout(&self) -> Result<u64, CurlError> {
        let Some((o, value)) = self.last("max-time") else {
            return Ok(DEFAULT_TIMEOUT_MS);
        };
        let seconds: f64 = value.trim().parse().unwrap_or(f64::NAN);
        let ms = (seconds * 1000.0).round();
        if !(1.0..=86_400_000.0).contains(&ms) {
            return Err(self.error(
                CurlErrorCode::InvalidValue,
                o,
                Some(&value),
                format!("`{value}` is not a number of seconds between 0.001 and 86400"),
            ));
        }
        Ok(ms as u64)
    }
}

/// The data pieces joined as curl joins them, or `None` without any.
fn join_pieces(pieces: &[Piece]) -> Option<String> {
    let mut out: Option<String> = None;
    for piece in pieces {
        out = Some(match (out, piece) {
            (None, Piece::Data(s) | Piece::Json(s)) => s.clone(),
            (Some(before), Piece::Json(s)) => before + s,
            (Some(before), Piece::Data(s)) => format!("{before}&{s}"),
        });
    }
    out
}

/// Removes every header named `name` (any case) and returns the last one's value.
fn take_last_header(headers: &mut Vec<KeyValue>, name: &str) -> Option<String> {
    let mut last = None;
    headers.retain(|h| {
        if h.name.eq_ignore_ascii_case(name) {
            last = Some(h.value.clone());
            false
        } else {
            true
        }
    });
    last
}

/// `type/subtype` of a content type, lower-cased, without parameters.
fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether `data` reads as `name=value&...` form data (not JSON, XML or free text).
fn looks_like_form(data: &str) -> bool {
    let starts = data.trim_start().chars().next();
    !data.is_empty()
        && !matches!(starts, Some('{' | '[' | '<' | '"'))
        && !data.chars().any(char::is_control)
        && crate::encode::split_outside(data, '&')
            .iter()
            .all(|piece| split_once_outside(piece, '=').is_some())
}

/// Basic or Bearer credentials from an `Authorization` header value.
fn parse_authorization(value: &str) -> Option<CurlCredentials> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = STANDARD.decode(rest).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (username, password) = text.split_once(':')?;
        Some(CurlCredentials::Basic {
            username: username.to_string(),
            password: password.to_string(),
        })
    } else if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
        Some(CurlCredentials::Bearer {
            token: rest.to_string(),
        })
    } else {
        None
    }
}
