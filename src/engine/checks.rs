//! Offline checks a captured secret must pass before it is reported: checksums that token
//! formats carry and structural checks. They raise precision without any network call.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Every check a rule may name in its `check` field.
pub const CHECKS: &[&str] = &["base62-crc32", "jwt", "pem-body"];

pub fn is_known(name: &str) -> bool {
    CHECKS.contains(&name)
}

/// Whether `secret` passes the named check. An unknown name passes (rules are validated at
/// load time, so this does not happen).
pub fn passes(name: &str, secret: &str) -> bool {
    match name {
        "base62-crc32" => base62_crc32(secret),
        "jwt" => jwt_structure(secret),
        "pem-body" => pem_has_body(secret),
        _ => true,
    }
}

/// GitHub's (and npm's) token format: `<prefix>_` + 30 random base62 characters + the CRC32
/// of those 30 characters in 6 base62 digits, zero-padded.
pub fn base62_crc32(token: &str) -> bool {
    let body = token.rsplit('_').next().unwrap_or(token).as_bytes();
    if body.len() != 36 {
        return false;
    }
    let (random, sum) = body.split_at(30);
    base62_encode6(crc32fast::hash(random)).as_bytes() == sum
}

/// The 6-digit base62 encoding GitHub's checksum uses; public so fixtures can be generated.
pub fn base62_encode6(mut n: u32) -> String {
    let mut digits = [b'0'; 6];
    for d in digits.iter_mut().rev() {
        *d = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(digits.to_vec()).expect("ASCII")
}

/// A JWT's header and payload are base64url JSON objects, and the header names an algorithm.
fn jwt_structure(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return false;
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .or_else(|_| STANDARD_NO_PAD.decode(part.trim_end_matches('=')))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    };
    let header_ok = decode(header).is_some_and(|h| h.get("alg").is_some());
    header_ok && decode(payload).is_some_and(|p| p.is_object())
}

/// A PEM private key block with an actual body (not `-----BEGIN…----- ... -----END…-----`).
fn pem_has_body(block: &str) -> bool {
    let body: usize = block
        .lines()
        .filter(|l| !l.contains("-----") && !l.contains(':'))
        .map(|l| {
            l.trim()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/')
                .count()
        })
        .sum();
    body >= 64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base62_checksum_roundtrip() {
        let random = "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ";
        let token = format!(
            "ghp_{random}{}",
            base62_encode6(crc32fast::hash(random.as_bytes()))
        );
        assert!(base62_crc32(&token));
        let mut broken = token.clone();
        broken.replace_range(5..6, "X");
        assert!(!base62_crc32(&broken));
    }

    #[test]
    fn jwt_needs_json_header_with_alg() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"42"}"#);
        assert!(jwt_structure(&format!("{header}.{payload}.c2lnbmF0dXJl")));
        assert!(!jwt_structure("eyJub3Rqc29u.eyJ4.sig"));
    }
}
