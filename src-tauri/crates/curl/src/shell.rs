//! From pasted text to the words curl would receive, and back: a word quoted for a POSIX shell.
//!
//! Splitting is `shell_words::split` (POSIX rules). Before it, two shapes it does not know are
//! rewritten into ones it does: bash's ANSI-C quoting (`$'a\nb'`, what Chrome's "copy as cURL
//! (bash)" writes for bodies with quotes or control characters) becomes a single-quoted word, and
//! a Windows `cmd` copy (lines continued with `^`, every special character escaped by `^`) loses
//! its carets. CR LF line ends outside quotes count as LF, so a `\` continuation copied from
//! Windows still continues the line.

use crate::error::{CurlError, CurlErrorCode};

/// The words of `command`, as a POSIX shell would pass them to curl (no expansion of `$VAR`).
pub(crate) fn split(command: &str) -> Result<Vec<String>, CurlError> {
    let text = if is_cmd_copy(command) {
        strip_carets(command)
    } else {
        command.to_string()
    };
    let posix = rewrite_ansi_c(&text)?;
    shell_words::split(&posix).map_err(|_| {
        CurlError::new(
            CurlErrorCode::Syntax,
            "a quote is not closed: check that every ' and \" in the command has its pair",
        )
    })
}

/// Whether `command` looks like a Windows `cmd` copy: a line continued with `^`, or the
/// URL written as `^"...^"` (Chrome's "copy as cURL (cmd)").
fn is_cmd_copy(command: &str) -> bool {
    let continued = command
        .lines()
        .any(|line| line.trim_end_matches('\r').ends_with(" ^"));
    let rest = command.trim_start();
    let after_program = rest
        .strip_prefix("curl.exe")
        .or_else(|| rest.strip_prefix("curl"))
        .map(str::trim_start);
    continued || after_program.is_some_and(|r| r.starts_with("^\""))
}

/// Undoes `cmd` escaping: `^` + newline continues the line (`^` + two newlines is one newline
/// kept in a quoted value), `^c` is `c`.
fn strip_carets(command: &str) -> String {
    let mut out = String::with_capacity(command.len());
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '^' {
            out.push(c);
            continue;
        }
        if chars.next_if_eq(&'\r').is_some() || chars.peek() == Some(&'\n') {
            chars.next_if_eq(&'\n');
            chars.next_if_eq(&'\r');
            if chars.next_if_eq(&'\n').is_some() {
                out.push('\n');
            } else {
                out.push(' ');
            }
        } else if let Some(next) = chars.next() {
            out.push(next);
        }
    }
    out
}

/// Replaces every `$'...'` word part (outside other quotes) with the same text single-quoted,
/// and drops the CR of CR LF outside quotes.
fn rewrite_ansi_c(text: &str) -> Result<String, CurlError> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Outside,
        Single,
        Double,
    }
    let mut out = String::with_capacity(text.len());
    let mut state = State::Outside;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match state {
            State::Outside => match c {
                '\\' => {
                    out.push(c);
                    if chars.next_if_eq(&'\r').is_some() && chars.peek() != Some(&'\n') {
                        out.push('\r');
                    } else if let Some(next) = chars.next() {
                        out.push(next);
                    }
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                '\'' => {
                    state = State::Single;
                    out.push(c);
                }
                '"' => {
                    state = State::Double;
                    out.push(c);
                }
                '$' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    let decoded = decode_ansi_c(&mut chars)?;
                    out.push_str(&single_quote(&decoded));
                }
                _ => out.push(c),
            },
            State::Single => {
                if c == '\'' {
                    state = State::Outside;
                }
                out.push(c);
            }
            State::Double => {
                out.push(c);
                if c == '\\' {
                    if let Some(next) = chars.next() {
                        out.push(next);
                    }
                } else if c == '"' {
                    state = State::Outside;
                }
            }
        }
    }
    Ok(out)
}

/// Reads the body of a `$'...'` string (after the opening quote, through the closing one) and
/// returns its value with bash's escapes applied.
fn decode_ansi_c(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
) -> Result<String, CurlError> {
    let unclosed = || {
        CurlError::new(
            CurlErrorCode::Syntax,
            "a $'...' string is not closed: check the command was copied whole",
        )
    };
    let mut bytes: Vec<u8> = Vec::new();
    loop {
        let c = chars.next().ok_or_else(unclosed)?;
        match c {
            '\'' => break,
            '\\' => {
                let e = chars.next().ok_or_else(unclosed)?;
                match e {
                    'a' => bytes.push(0x07),
                    'b' => bytes.push(0x08),
                    'e' | 'E' => bytes.push(0x1b),
                    'f' => bytes.push(0x0c),
                    'n' => bytes.push(b'\n'),
                    'r' => bytes.push(b'\r'),
                    't' => bytes.push(b'\t'),
                    'v' => bytes.push(0x0b),
                    '\\' | '\'' | '"' | '?' => push_char(&mut bytes, e),
                    '0'..='7' => {
                        let mut value = e.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            match chars.peek().and_then(|d| d.to_digit(8)) {
                                Some(d) => {
                                    value = value * 8 + d;
                                    chars.next();
                                }
                                None => break,
                            }
                        }
                        // Bash keeps the low byte of an octal escape above \377.
                        bytes.push((value & 0xff) as u8);
                    }
                    'x' => match read_hex(chars, 2) {
                        Some(value) => bytes.push((value & 0xff) as u8),
                        None => bytes.extend_from_slice(b"\\x"),
                    },
                    'u' | 'U' => {
                        let digits = if e == 'u' { 4 } else { 8 };
                        match read_hex(chars, digits) {
                            Some(value) => {
                                let ch = char::from_u32(value).ok_or_else(|| {
                                    CurlError::new(
                                        CurlErrorCode::Syntax,
                                        format!(
                                            "a $'...' string has \\{e}{value:X}, which is not a Unicode character"
                                        ),
                                    )
                                })?;
                                push_char(&mut bytes, ch);
                            }
                            None => {
                                bytes.push(b'\\');
                                push_char(&mut bytes, e);
                            }
                        }
                    }
                    'c' => {
                        let x = chars.next().ok_or_else(unclosed)?;
                        bytes.push((u32::from(x) & 0x1f) as u8);
                    }
                    other => {
                        bytes.push(b'\\');
                        push_char(&mut bytes, other);
                    }
                }
            }
            other => push_char(&mut bytes, other),
        }
    }
    String::from_utf8(bytes).map_err(|_| {
        CurlError::new(
            CurlErrorCode::Syntax,
            "a $'...' string holds bytes that are not UTF-8 text; a webhook body must be text",
        )
    })
}

/// Up to `max` hex digits as a number; `None` when there is none.
fn read_hex(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, max: usize) -> Option<u32> {
    let mut value: Option<u32> = None;
    for _ in 0..max {
        match chars.peek().and_then(|d| d.to_digit(16)) {
            Some(d) => {
                value = Some(value.unwrap_or(0) * 16 + d);
                chars.next();
            }
            None => break,
        }
    }
    value
}

fn push_char(bytes: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// `text` single-quoted for a POSIX shell (`'` written as `'\''`).
fn single_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `word` as one POSIX shell word: bare when it only holds characters no shell treats
/// specially, single-quoted otherwise (control characters and newlines included as they are:
/// `$'...'` would be shorter for them but is not POSIX, and `sh` on Debian does not read it).
pub(crate) fn quote(word: &str) -> String {
    let bare = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b));
    if bare {
        word.to_string()
    } else {
        single_quote(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        split(s).unwrap_or_else(|e| vec![format!("ERROR {e}")])
    }

    #[test]
    fn posix_quotes_and_continuations() {
        assert_eq!(
            words("curl 'a b' \\\n  -H \"x: \\\"y\\\"\" \\\r\n -d c"),
            ["curl", "a b", "-H", "x: \"y\"", "-d", "c"]
        );
    }

    #[test]
    fn ansi_c_strings() {
        assert_eq!(
            words(r#"curl --data-raw $'{\"a\":\"it\'s\\n\u0021\x41\101\u00e9\'}' x"#),
            ["curl", "--data-raw", "{\"a\":\"it's\\n!AA\u{e9}'}", "x"]
        );
        assert_eq!(words(r#"echo "$'x'" '$'"#), ["echo", "$'x'", "$"]);
        assert_eq!(words(r"a $'tab\there\r\n'"), ["a", "tab\there\r\n"]);
        assert!(words("a $'open").join("").starts_with("ERROR"));
    }

    #[test]
    fn cmd_copies() {
        let cmd = "curl ^\"https://example.com/a?b=1^&c=2^\" ^\r\n  -H ^\"accept: */*^\" ^\n  --data-raw ^\"^{^\\^\"a^\\^\":1^}^\"";
        assert_eq!(
            words(cmd),
            [
                "curl",
                "https://example.com/a?b=1&c=2",
                "-H",
                "accept: */*",
                "--data-raw",
                "{\"a\":1}"
            ]
        );
    }

    #[test]
    fn quoting_round_trips() {
        for w in [
            "plain",
            "a b",
            "it's",
            "x\ny",
            "tab\there",
            "cr\r\n",
            "",
            "${contact.email}",
            "\u{1}",
            "•••",
        ] {
            assert_eq!(words(&format!("x {}", quote(w))), ["x", w], "{w:?}");
        }
        assert_eq!(quote("-XPOST"), "-XPOST");
        assert_eq!(quote("a'b"), r"'a'\''b'");
    }
}
