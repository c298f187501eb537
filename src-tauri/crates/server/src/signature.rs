//! Standard Webhooks 1.0 signatures on inbound webhooks (SPEC 6): HMAC-SHA256 over
//! `id.timestamp.body`, several space-separated `v1,<base64>` signatures accepted (key
//! rotation), timestamps older or newer than five minutes refused.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far a `webhook-timestamp` may be from the server's clock, in seconds.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

/// The signing key of a secret: the base64 after `whsec_`, or the secret's bytes as they are.
pub fn key_of(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix("whsec_")
        .and_then(|b64| STANDARD.decode(b64).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

/// The `v1,<base64>` signature of a message.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    format!("v1,{}", STANDARD.encode(mac(key, id, timestamp, body)))
}

fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length: new_from_slice cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Checks the three headers against the body; `Err` says what is wrong (no secret in it).
pub fn verify(
    key: &[u8],
    id: Option<&str>,
    timestamp: Option<&str>,
    signatures: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), String> {
    let (Some(id), Some(timestamp), Some(signatures)) = (id, timestamp, signatures) else {
        return Err(
            "missing webhook-id, webhook-timestamp or webhook-signature header".to_string(),
        );
    };
    let timestamp: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| "webhook-timestamp is not a number of seconds".to_string())?;
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return Err("webhook-timestamp is more than 5 minutes away from now".to_string());
    }
    let expected = mac(key, id, timestamp, body);
    let mut matched = false;
    for signature in signatures.split_whitespace() {
        if let Some(b64) = signature.strip_prefix("v1,")
            && let Ok(given) = STANDARD.decode(b64)
            && bool::from(given.ct_eq(&expected))
        {
            matched = true;
        }
    }
    if matched {
        Ok(())
    } else {
        Err("no valid webhook-signature".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_changed_body_or_old_timestamp_does_not() {
        let key = key_of(&format!("whsec_{}", STANDARD.encode(b"key")));
        assert_eq!(key, b"key");
        let good = sign(&key, "msg_1", 1000, b"{}");
        let both = format!("v1,AAAA {good}");
        assert!(verify(&key, Some("msg_1"), Some("1000"), Some(&both), b"{}", 1010).is_ok());
        assert!(verify(&key, Some("msg_1"), Some("1000"), Some(&good), b"{ }", 1010).is_err());
        assert!(verify(&key, Some("msg_1"), Some("1000"), Some(&good), b"{}", 1400).is_err());
        assert!(verify(&key, None, Some("1000"), Some(&good), b"{}", 1010).is_err());
    }
}
