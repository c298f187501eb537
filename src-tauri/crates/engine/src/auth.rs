//! Connector authentication applied to a rendered request, and masking of secrets in
//! anything shown or stored (traces, previews, error messages).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::http::OutboundRequest;
use crate::model::{ApiKeyPlacement, Connector, ConnectorAuth};
use crate::trace::MASK;

/// Adds the connector's credentials to `req` (replacing any header of the same name) and
/// returns every string that must be masked wherever the request is shown: the secret
/// itself and the forms derived from it (Base64 credentials, URL-encoded secret).
/// Empty strings are never returned.
pub fn apply_auth(req: &mut OutboundRequest, connector: &Connector, secret: &str) -> Vec<String> {
    let mut masks = vec![secret.to_string()];
    match &connector.auth {
        ConnectorAuth::Basic { username } => {
            let credentials = STANDARD.encode(format!("{username}:{secret}"));
            req.set_header("Authorization", format!("Basic {credentials}"));
            masks.push(credentials);
        }
        ConnectorAuth::Bearer => {
            req.set_header("Authorization", format!("Bearer {secret}"));
        }
        ConnectorAuth::ApiKey {
            placement: ApiKeyPlacement::Header,
            param_name,
        } => {
            req.set_header(param_name, secret);
        }
        ConnectorAuth::ApiKey {
            placement: ApiKeyPlacement::Query,
            param_name,
        } => {
            req.url.query_pairs_mut().append_pair(param_name, secret);
            // As serialized in the query (`+` for spaces) and fully percent-encoded.
            masks.push(url::form_urlencoded::byte_serialize(secret.as_bytes()).collect());
            masks.push(utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string());
        }
    }
    let mut out: Vec<String> = Vec::with_capacity(masks.len());
    for m in masks {
        if !m.is_empty() && !out.contains(&m) {
            out.push(m);
        }
    }
    out
}

/// Replaces every occurrence of every secret in `text` with [`MASK`] (`•••`). Empty secrets
/// are ignored; overlapping or adjacent occurrences become a single mask. Longer secrets
/// win where secrets overlap.
pub fn mask(text: &str, secrets: &[String]) -> String {
    // Nearly every text holds no secret: one search per secret, one copy.
    if !secrets
        .iter()
        .any(|s| !s.is_empty() && text.contains(s.as_str()))
    {
        return text.to_string();
    }
    let mut secrets: Vec<&str> = secrets
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();

    let mut current = text.to_string();
    // One pass masks every occurrence unless a secret contains the mask's own characters
    // (then masking can form a new occurrence); a few more passes settle that case.
    for _ in 0..8 {
        let next = mask_once(&current, &secrets);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

/// Masks the union of all occurrences (byte ranges) of all secrets in one pass.
fn mask_once(text: &str, secrets: &[&str]) -> String {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for secret in secrets {
        // Every start position, so overlapping occurrences are covered too.
        let mut from = 0;
        while let Some(pos) = text[from..].find(secret) {
            let start = from + pos;
            ranges.push((start, start + secret.len()));
            // Advance by one character to find overlapping occurrences.
            let step = text[start..].chars().next().map_or(1, char::len_utf8);
            from = start + step;
            if from > text.len() {
                break;
            }
        }
    }
    if ranges.is_empty() {
        return text.to_string();
    }
    ranges.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    let mut i = 0;
    while i < ranges.len() {
        let (start, mut end) = ranges[i];
        i += 1;
        while i < ranges.len() && ranges[i].0 <= end {
            end = end.max(ranges[i].1);
            i += 1;
        }
        out.push_str(&text[cursor..start]);
        out.push_str(MASK);
        cursor = end;
    }
    out.push_str(&text[cursor..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_overlapping_and_adjacent() {
        let s = vec!["abc".to_string(), "bcd".to_string()];
        assert_eq!(mask("xabcdy", &s), "x•••y");
        assert_eq!(mask("abcabc", &s), "•••");
        assert_eq!(mask("aaa", &["aa".to_string()]), "•••");
        assert_eq!(mask("nothing", &["".to_string()]), "nothing");
    }

    #[test]
    fn secret_containing_the_mask_characters_is_gone() {
        let s = vec!["a•••".to_string()];
        let out = mask("aa•••", &s);
        assert!(!out.contains("a•••"), "{out}");
    }
}
