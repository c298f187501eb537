//! Percent-encoding that leaves template expressions (`${...}`) as they are, so a webhook's
//! templates survive the trip through a query string or a form body.

use std::ops::Range;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// What `curl --data-urlencode` leaves unencoded: RFC 3986 unreserved characters.
const CURL_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `content` encoded as `curl --data-urlencode` encodes it (`%20` for a space).
pub(crate) fn curl_escape(content: &str) -> String {
    utf8_percent_encode(content, CURL_UNRESERVED).to_string()
}

/// Byte ranges of the `${...}` expressions in `text` (blocks `${% %}` and comments `${# #}`
/// too), braces balanced; an unclosed one runs to the end.
pub(crate) fn template_ranges(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'$' && bytes[i + 1] == b'{' {
            let start = i;
            let mut depth = 1usize;
            i += 2;
            while i < bytes.len() && depth > 0 {
                match bytes[i] {
                    b'{' => depth += 1,
                    b'}' => depth -= 1,
                    _ => {}
                }
                i += 1;
            }
            ranges.push(start..i);
        } else {
            i += 1;
        }
    }
    ranges
}

/// Splits `text` at every `sep` outside a template expression.
pub(crate) fn split_outside(text: &str, sep: char) -> Vec<&str> {
    let ranges = template_ranges(text);
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == sep && !ranges.iter().any(|r| r.contains(&i)) {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `text` split at its first `sep` outside a template expression.
pub(crate) fn split_once_outside(text: &str, sep: char) -> Option<(&str, &str)> {
    let ranges = template_ranges(text);
    text.char_indices()
        .find(|&(i, c)| c == sep && !ranges.iter().any(|r| r.contains(&i)))
        .map(|(i, c)| (&text[..i], &text[i + c.len_utf8()..]))
}

/// Applies `literal` to the text outside template expressions, keeping the expressions.
fn map_literals(text: &str, literal: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    for range in template_ranges(text) {
        out.push_str(&literal(&text[cursor..range.start]));
        out.push_str(&text[range.clone()]);
        cursor = range.end;
    }
    out.push_str(&literal(&text[cursor..]));
    out
}

/// `application/x-www-form-urlencoded` encoding (as the engine sends query values and form
/// fields) of the literal parts of `text`.
pub(crate) fn form_encode(text: &str) -> String {
    map_literals(text, |s| {
        url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
    })
}

/// Form decoding (`+` is a space, `%XX` a byte) of the literal parts of `text`.
pub(crate) fn form_decode(text: &str) -> String {
    map_literals(text, |s| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    })
}

/// `name=value&...` (a query string or a form body) as decoded pairs; empty pieces are skipped
/// and a piece without `=` is a name with an empty value.
pub(crate) fn parse_pairs(text: &str) -> Vec<(String, String)> {
    split_outside(text, '&')
        .into_iter()
        .filter(|piece| !piece.is_empty())
        .map(|piece| match split_once_outside(piece, '=') {
            Some((name, value)) => (form_decode(name), form_decode(value)),
            None => (form_decode(piece), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_kept() {
        assert_eq!(
            form_encode("a b&${x | default('a b')}"),
            "a+b%26${x | default('a b')}"
        );
        assert_eq!(form_decode("a+b%26${x + 1}"), "a b&${x + 1}");
        assert_eq!(
            parse_pairs("q=${a & b}&x=1+2&flag&&e="),
            [
                ("q".to_string(), "${a & b}".to_string()),
                ("x".to_string(), "1 2".to_string()),
                ("flag".to_string(), String::new()),
                ("e".to_string(), String::new()),
            ]
        );
        assert_eq!(curl_escape("a b&c~"), "a%20b%26c~");
        assert_eq!(template_ranges("${% if a %}x${b"), [0..11, 12..15]);
    }
}
