//! Offline checks a captured secret must pass before it is reported: checksums that token
//! formats carry and structural checks. They raise precision without any network call.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// An offline check a rule may name in its `check` field. An unknown name is an error when
/// the rules load, so a typo cannot silently turn a check off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    Base62Crc32,
    Jwt,
    PemBody,
    Bech32,
    BasicAuthB64,
    B64Json,
    NkeySeed,
}

impl Check {
    const ALL: [(Check, &'static str); 7] = [
        (Check::Base62Crc32, "base62-crc32"),
        (Check::Jwt, "jwt"),
        (Check::PemBody, "pem-body"),
        (Check::Bech32, "bech32"),
        (Check::BasicAuthB64, "basic-auth-b64"),
        (Check::B64Json, "b64-json"),
        (Check::NkeySeed, "nkey-seed"),
    ];

    /// The check a rule file names, or `None` for a name no check has.
    pub fn named(name: &str) -> Option<Check> {
        Check::ALL.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
    }

    pub fn name(self) -> &'static str {
        Check::ALL
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("", |(_, n)| n)
    }

    /// A checksum that random text passes by chance once in millions (GitHub's CRC32, bech32),
    /// unlike a structural check (a JWT's shape, a PEM body) that any sample or test value
    /// passes: only a checksum keeps a finding at high confidence in tests and docs.
    pub fn is_checksum(self) -> bool {
        matches!(self, Check::Base62Crc32 | Check::Bech32)
    }

    /// Whether `secret` passes this check.
    pub fn passes(self, secret: &str) -> bool {
        match self {
            Check::Base62Crc32 => base62_crc32(secret),
            Check::Jwt => jwt_structure(secret),
            Check::PemBody => pem_has_body(secret),
            Check::Bech32 => bech32_valid(secret),
            Check::BasicAuthB64 => basic_auth_b64(secret),
            Check::B64Json => has_b64_json_segment(secret),
            Check::NkeySeed => nkey_seed(secret),
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A NATS NKEY seed, as the nkeys libraries encode one: RFC 4648 base32 without padding of
/// two prefix bytes (the first five bits 18, which spell `S`, then the key type's), the 32-byte
/// Ed25519 seed, and the CRC-16/XMODEM of those 34 bytes, little-endian. A 58-character
/// base32 run that passes is key material, whatever the file around it.
pub fn nkey_seed(seed: &str) -> bool {
    let Ok(raw) = data_encoding::BASE32_NOPAD.decode(seed.as_bytes()) else {
        return false;
    };
    let [body @ .., lo, hi] = raw.as_slice() else {
        return false;
    };
    body.len() == 34
        && body[0] >> 3 == 18
        && NKEY_CRC.checksum(body) == u16::from_le_bytes([*lo, *hi])
}

/// The checksum the nkeys libraries append to every key they encode.
const NKEY_CRC: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_XMODEM);

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

/// Base64 (URL-safe or standard, padding optional) of a JSON value.
fn decode_json(part: &str) -> Option<serde_json::Value> {
    let part = part.trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(part)
        .or_else(|_| STANDARD_NO_PAD.decode(part))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
}

/// A JWT's header and payload are base64url JSON objects, the header names an algorithm and
/// the payload carries at least one registered claim (RFC 7519 §4.1) or a `role`: tokens that
/// systems issue always do, documentation samples like `{"some":"payload"}` do not.
/// Supabase's `anon` key is a JWT that is public by design (it ships in every web client), so
/// a payload whose `role` is `anon` does not pass.
fn jwt_structure(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return false;
    };
    let header_ok = decode_json(header).is_some_and(|h| h.get("alg").is_some());
    let payload = decode_json(payload);
    let public = payload
        .as_ref()
        .and_then(|p| p.get("role"))
        .is_some_and(|r| r == "anon");
    let claims = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "role"];
    let has_claim = payload
        .as_ref()
        .and_then(|p| p.as_object())
        .is_some_and(|p| claims.iter().any(|c| p.contains_key(*c)));
    header_ok && has_claim && !public
}

/// Some tokens embed a base64 JSON object after their prefix (Mapbox `sk.eyJ…`, 1Password
/// `ops_eyJ…`, Sentry `sntrys_eyJ…_…`). One `.`- or `_`-separated piece starting with `eyJ`
/// must decode to a JSON object.
fn has_b64_json_segment(token: &str) -> bool {
    token.split('.').any(|part| {
        let from = part.find("eyJ").map(|i| &part[i..]);
        from.is_some_and(|p| {
            decode_json(p).is_some_and(|v| v.is_object())
                || p.split('_')
                    .any(|piece| decode_json(piece).is_some_and(|v| v.is_object()))
        })
    })
}

/// Docker's `config.json` `auth` and npm's `_auth` hold base64 of `user:password`.
fn basic_auth_b64(value: &str) -> bool {
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(value) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return false;
    };
    let printable = text.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    matches!(text.split_once(':'), Some((user, pass)) if printable && !user.is_empty() && !pass.is_empty())
}

const BECH32: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// Bech32 (BIP 173) checksum, as age uses for `AGE-SECRET-KEY-1…` identities. Case-insensitive.
pub fn bech32_valid(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let Some((hrp, data)) = lower.rsplit_once('1') else {
        return false;
    };
    let Some(values) = data
        .bytes()
        .map(|c| BECH32.iter().position(|&b| b == c).map(|v| v as u32))
        .collect::<Option<Vec<u32>>>()
    else {
        return false;
    };
    if hrp.is_empty() || values.len() < 6 {
        return false;
    }
    let expanded = hrp
        .bytes()
        .map(|c| u32::from(c) >> 5)
        .chain([0])
        .chain(hrp.bytes().map(|c| u32::from(c) & 31));
    bech32_polymod(expanded.chain(values)) == 1
}

fn bech32_polymod(values: impl Iterator<Item = u32>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    values.fold(1, |chk, v| {
        let top = chk >> 25;
        let chk = ((chk & 0x01ff_ffff) << 5) ^ v;
        (0..5).fold(chk, |c, i| if (top >> i) & 1 == 1 { c ^ GEN[i] } else { c })
    })
}

/// A PEM private key block with an actual body (not `-----BEGIN…----- ... -----END…-----`),
/// and not a public key under a private key's header.
fn pem_has_body(block: &str) -> bool {
    let mut body = block
        .lines()
        .filter(|l| !l.contains("-----") && !l.contains(':'))
        .flat_map(|l| {
            l.trim()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/')
        });
    // The DER header is in the first 12 bytes: 16 base64 characters are all that is decoded.
    let head: String = body.by_ref().take(16).collect();
    head.len() + body.count() >= 64 && !is_public_key_der(&head)
}

/// Whether a PEM body decodes to a public key: DER whose outer SEQUENCE starts with a long
/// INTEGER (an RSA modulus, `MIIBCgKCAQEA…`). Every unencrypted private key format (PKCS#1,
/// PKCS#8, SEC 1, DSA) starts with a one-byte version number there, and an encrypted one with
/// a SEQUENCE; a tutorial or test that pastes a public key between `PRIVATE KEY` lines holds
/// nothing secret. A body that does not decode (cut short, re-wrapped) is judged a key.
/// `head` is the body's start, at least 16 characters when the body has them.
fn is_public_key_der(head: &str) -> bool {
    let Ok(der) = STANDARD_NO_PAD.decode(&head.as_bytes()[..head.len() / 4 * 4]) else {
        return false;
    };
    if der.first() != Some(&0x30) {
        return false;
    }
    // The SEQUENCE's length: one byte, or 0x8N and N bytes.
    let at = match der.get(1) {
        Some(&n) if n < 0x80 => 2,
        Some(&n) if (0x81..=0x84).contains(&n) => 2 + usize::from(n - 0x80),
        _ => return false,
    };
    let (Some(&tag), Some(&len)) = (der.get(at), der.get(at + 1)) else {
        return false;
    };
    tag == 0x02 && len != 0x01
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
    fn nkey_seeds_need_their_prefix_and_crc() {
        // A user seed (type byte 20 << 3) around 32 counted bytes.
        let mut raw = vec![(18 << 3) | (160 >> 5), (160 & 31) << 3];
        raw.extend(0..32u8);
        let mut whole = raw.clone();
        whole.extend(NKEY_CRC.checksum(&raw).to_le_bytes());
        let seed = data_encoding::BASE32_NOPAD.encode(&whole);
        assert_eq!((seed.len(), &seed[..2]), (58, "SU"));
        assert!(nkey_seed(&seed));
        let mut broken = seed.clone();
        broken.replace_range(20..21, if &seed[20..21] == "A" { "B" } else { "A" });
        assert!(!nkey_seed(&broken));
        // The same bytes under a public key's one-byte prefix, and short or non-base32 text.
        let mut public = vec![20 << 3];
        public.extend(0..32u8);
        public.extend(NKEY_CRC.checksum(&public).to_le_bytes());
        assert!(!nkey_seed(&data_encoding::BASE32_NOPAD.encode(&public)));
        assert!(!nkey_seed(&seed[..56]));
        assert!(!nkey_seed(&seed.to_ascii_lowercase()));
    }

    #[test]
    fn jwt_needs_json_header_with_alg() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"42"}"#);
        assert!(jwt_structure(&format!("{header}.{payload}.c2lnbmF0dXJl")));
        assert!(!jwt_structure("eyJub3Rqc29u.eyJ4.sig"));
        let sample = URL_SAFE_NO_PAD.encode(br#"{"some":"payload"}"#);
        assert!(!jwt_structure(&format!("{header}.{sample}.c2lnbmF0dXJl")));
        let anon = URL_SAFE_NO_PAD.encode(br#"{"role":"anon"}"#);
        assert!(!jwt_structure(&format!("{header}.{anon}.c2lnbmF0dXJl")));
    }

    #[test]
    fn bech32_checksum() {
        // BIP 173's valid test vectors.
        assert!(bech32_valid("A12UEL5L"));
        assert!(bech32_valid(
            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"
        ));
        assert!(!bech32_valid(
            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx"
        ));
        assert!(!bech32_valid("no-separator"));
    }

    #[test]
    fn basic_auth_needs_user_colon_password() {
        assert!(basic_auth_b64("dXNlcjpwYXNz")); // user:pass
        assert!(!basic_auth_b64("dXNlcg==")); // user
        assert!(!basic_auth_b64("not base64!"));
    }

    #[test]
    fn embedded_json_segment() {
        let json = STANDARD_NO_PAD.encode(br#"{"u":"someone","a":"x"}"#);
        assert!(has_b64_json_segment(&format!("sk.{json}.c2ln")));
        assert!(has_b64_json_segment(&format!("sntrys_{json}_abc")));
        assert!(!has_b64_json_segment("sk.eyJub3Rqc29u.c2ln"));
    }

    #[test]
    fn a_public_key_is_no_private_key_body() {
        use base64::engine::general_purpose::STANDARD;
        let rsa_public = [
            &[0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00][..],
            &[7u8; 256],
            &[0x02, 0x03, 0x01, 0x00, 0x01],
        ]
        .concat();
        let pkcs8 = [
            &[0x30, 0x82, 0x04, 0xbd, 0x02, 0x01, 0x00, 0x30, 0x0d][..],
            &[7u8; 300],
        ]
        .concat();
        let pem = |der: &[u8]| {
            let body = STANDARD.encode(der);
            let lines: Vec<&str> = (0..body.len())
                .step_by(64)
                .map(|i| &body[i..(i + 64).min(body.len())])
                .collect();
            format!(
                "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
                lines.join("\n")
            )
        };
        assert!(!pem_has_body(&pem(&rsa_public)));
        assert!(pem_has_body(&pem(&pkcs8)));
        // Indented in a string, as in a test's source: still decoded and judged.
        assert!(!pem_has_body(&pem(&rsa_public).replace('\n', "\n        ")));
        // A body that does not decode as DER is still a body.
        assert!(pem_has_body(&format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
            "Zm9v".repeat(20)
        )));
    }
}
