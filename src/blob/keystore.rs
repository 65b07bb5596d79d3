//! Binary key stores and private keys, recognised by their structure rather than a regex:
//! PKCS#12 (`.p12`, `.pfx`), Java KeyStore and JCEKS (`.jks`, `.keystore`, `.jceks`) and
//! DER-encoded private keys (PKCS#8, PKCS#1 RSA, SEC1 EC). They are binary, so the text
//! rules never see them; a committed key store is still a committed private key, and its
//! password is often the default or sits in the same repository.
//!
//! Only structure is read, never decrypted: the outer ASN.1 header must span the whole file
//! (random binary starting with `0x30` does not), and a Java key store is walked entry by
//! entry until one holds a key. A store with certificates only (a trust store) is not a
//! secret and is not reported; a PKCS#12 file whose contents are all encrypted may be either,
//! so it is reported under its own, lower-confidence rule.

/// What kind of key material a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// PKCS#12 with a key bag readable without the password.
    Pkcs12Key,
    /// PKCS#12 whose bags are all encrypted: a key store or a trust store.
    Pkcs12Sealed,
    /// Java KeyStore or JCEKS with a private-key or secret-key entry.
    JavaKeyStore,
    /// A DER private key: PKCS#8 (plain or encrypted), PKCS#1 RSA or SEC1 EC.
    DerPrivateKey,
}

impl Kind {
    /// The id of the rule (`analyzer = "keystore"`, rules/keystore.toml) that reports it.
    pub fn rule_id(self) -> &'static str {
        match self {
            Kind::Pkcs12Key => "keystore-pkcs12",
            Kind::Pkcs12Sealed => "keystore-pkcs12-sealed",
            Kind::JavaKeyStore => "keystore-java",
            Kind::DerPrivateKey => "private-key-der",
        }
    }

    /// What a report says instead of a snippet of binary.
    pub fn describe(self, len: usize) -> String {
        let what = match self {
            Kind::Pkcs12Key => "PKCS#12 key store holding a private key",
            Kind::Pkcs12Sealed => "PKCS#12 key store (contents encrypted; may be a trust store)",
            Kind::JavaKeyStore => "Java key store holding a private or secret key",
            Kind::DerPrivateKey => "DER-encoded private key",
        };
        format!("[binary: {what}, {len} bytes]")
    }
}

/// Whether `head` (the first bytes of a file) starts like a key store or DER key: the reader
/// then reads the whole file instead of skipping it as binary.
pub fn maybe(head: &[u8]) -> bool {
    matches!(
        head,
        [0xFE, 0xED, 0xFE, 0xED, ..] | [0xCE, 0xCE, 0xCE, 0xCE, ..]
    ) || der_sequence(head, true).is_some()
}

/// The key material `bytes` is, if it is a whole key store or DER private key.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    match bytes {
        [0xFE, 0xED, 0xFE, 0xED, rest @ ..] | [0xCE, 0xCE, 0xCE, 0xCE, rest @ ..] => {
            java_has_key(rest).then_some(Kind::JavaKeyStore)
        }
        _ => der(bytes),
    }
}

// ---------------------------------------------------------------------------------------
// ASN.1 DER

/// PKCS#7 `data` and `signedData` content types (1.2.840.113549.1.7.1 and .2) without the
/// last byte.
const PKCS7: &[u8] = &[0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07];
/// PKCS#12 `keyBag` and `pkcs8ShroudedKeyBag` (1.2.840.113549.1.12.10.1.1 and .2) without the
/// last byte.
const KEY_BAG: &[u8] = &[
    0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x0A, 0x01,
];
/// PKCS#7 `encryptedData` (1.2.840.113549.1.7.6): PKCS#12 bags encrypted with the password.
const ENCRYPTED_DATA: &[u8] = &[
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x06,
];
/// Key algorithms of a PKCS#8 `PrivateKeyInfo`: rsaEncryption, id-ecPublicKey, id-dsa,
/// RSASSA-PSS, Ed25519, Ed448, X25519, X448 (the OID with its tag and length).
const KEY_ALGORITHMS: &[&[u8]] = &[
    &[
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01,
    ],
    &[0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01],
    &[0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x38, 0x04, 0x01],
    &[
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A,
    ],
    &[0x06, 0x03, 0x2B, 0x65, 0x70],
    &[0x06, 0x03, 0x2B, 0x65, 0x71],
    &[0x06, 0x03, 0x2B, 0x65, 0x6E],
    &[0x06, 0x03, 0x2B, 0x65, 0x6F],
];
/// PKCS#5 encryption schemes of an `EncryptedPrivateKeyInfo` (1.2.840.113549.1.5.*: PBES1
/// and PBES2) and the PKCS#12 PBE schemes (1.2.840.113549.1.12.1.*), without the last byte.
const PBE: &[&[u8]] = &[
    &[0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05],
    &[
        0x06, 0x0A, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x01,
    ],
];

/// A DER value's header: the length of its content and where the content starts. BER's
/// indefinite length (`0x80`, some PKCS#12 writers use it) gives `None` for the length.
fn header(bytes: &[u8], tag: u8) -> Option<(Option<usize>, usize)> {
    if *bytes.first()? != tag {
        return None;
    }
    let first = *bytes.get(1)?;
    match first {
        0x00..=0x7F => Some((Some(first as usize), 2)),
        0x80 => Some((None, 2)),
        0x81..=0x84 => {
            let n = (first & 0x7F) as usize;
            let digits = bytes.get(2..2 + n)?;
            let len = digits.iter().fold(0usize, |acc, &b| acc << 8 | b as usize);
            Some((Some(len), 2 + n))
        }
        _ => None,
    }
}

/// The content of a SEQUENCE that is the whole of `bytes` (a trailing newline allowed, as
/// editors add one), or `None`. With an indefinite length, the rest of `bytes`. When `bytes`
/// is only the `head` of a file, a length past its end is accepted. No key or key store is
/// under 16 bytes long.
fn der_sequence(bytes: &[u8], head: bool) -> Option<&[u8]> {
    let (len, at) = header(bytes, 0x30)?;
    let Some(len) = len else {
        return (bytes.len() >= 64).then(|| &bytes[at..]);
    };
    let end = at.checked_add(len)?;
    if len < 16 {
        return None;
    }
    match bytes.get(end..) {
        Some([] | [b'\n'] | [b'\r', b'\n']) => Some(&bytes[at..end]),
        None if head => Some(&bytes[at..]),
        _ => None,
    }
}

/// The first element of a SEQUENCE's content, if it has `tag`: its bytes and the rest.
fn element(content: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (len, at) = header(content, tag)?;
    let end = at.checked_add(len?)?;
    Some((content.get(at..end)?, content.get(end..)?))
}

fn der(bytes: &[u8]) -> Option<Kind> {
    let whole = der_sequence(bytes, false)?;
    let Some((version, rest)) = element(whole, 0x02) else {
        // EncryptedPrivateKeyInfo: no version; an AlgorithmIdentifier with a PBE scheme,
        // then the encrypted key as an OCTET STRING.
        let (algorithm, data) = element(whole, 0x30)?;
        let pbe = PBE.iter().any(|oid| algorithm.starts_with(oid));
        let (encrypted, end) = element(data, 0x04)?;
        return (pbe && encrypted.len() >= 16 && end.is_empty()).then_some(Kind::DerPrivateKey);
    };
    match version {
        // PFX: version 3, then a ContentInfo of type data or signedData.
        [3] => {
            let (_, at) = header(rest, 0x30)?;
            let oid = rest.get(at..at + PKCS7.len() + 1)?;
            if !oid.starts_with(PKCS7) || !matches!(oid[PKCS7.len()], 1 | 2) {
                return None;
            }
            let bag = memchr::memmem::find_iter(bytes, KEY_BAG)
                .any(|i| matches!(bytes.get(i + KEY_BAG.len()), Some(1 | 2)));
            // Neither a readable key bag nor an encrypted one: certificates only.
            let sealed = memchr::memmem::find(bytes, ENCRYPTED_DATA).is_some();
            match (bag, sealed) {
                (true, _) => Some(Kind::Pkcs12Key),
                (false, true) => Some(Kind::Pkcs12Sealed),
                (false, false) => None,
            }
        }
        // PrivateKeyInfo (v1 / v2): an AlgorithmIdentifier with a key algorithm, then the key
        // as an OCTET STRING. PKCS#1 RSAPrivateKey: version 0, the modulus, then seven more
        // INTEGERs (exponents, primes, CRT values).
        [0] | [1] => {
            if let Some((algorithm, key)) = element(rest, 0x30) {
                let known = KEY_ALGORITHMS.iter().any(|oid| algorithm.starts_with(oid));
                return (known && key.first() == Some(&0x04)).then_some(Kind::DerPrivateKey);
            }
            if version == [0] {
                // The modulus is at least 512 bits; multi-prime keys add a SEQUENCE.
                let (modulus, mut rest) = element(rest, 0x02)?;
                for _ in 0..7 {
                    rest = element(rest, 0x02)?.1;
                }
                let done = matches!(rest.first(), None | Some(0x30));
                return (modulus.len() >= 64 && done).then_some(Kind::DerPrivateKey);
            }
            // SEC1 ECPrivateKey: version 1, the key as an OCTET STRING, then [0] parameters
            // or [1] public key.
            let (key, params) = element(rest, 0x04)?;
            (key.len() >= 16 && matches!(params.first(), Some(0xA0 | 0xA1)))
                .then_some(Kind::DerPrivateKey)
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Java KeyStore / JCEKS

/// Entry tags of the Java key store formats.
const PRIVATE_KEY: u32 = 1;
const TRUSTED_CERT: u32 = 2;
const SECRET_KEY: u32 = 3;

/// A cursor over big-endian fields; every read is bounds-checked.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn u16(&mut self) -> Option<usize> {
        self.take(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Java's modified UTF-8: a 16-bit length, then the bytes.
    fn utf(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(n)
    }

    /// A certificate: its type (version 2 only), a 32-bit length, the DER bytes.
    fn certificate(&mut self, version: u32) -> Option<()> {
        if version == 2 {
            self.utf()?;
        }
        let n = self.u32()? as usize;
        self.take(n).map(|_| ())
    }
}

/// Whether a JKS/JCEKS body (after the magic) has a private- or secret-key entry before its
/// end or its first unreadable entry. Trust stores hold only certificates.
fn java_has_key(body: &[u8]) -> bool {
    let mut r = Reader(body);
    let (Some(version @ (1 | 2)), Some(count)) = (r.u32(), r.u32()) else {
        return false;
    };
    // Each entry takes at least 14 bytes, so a hostile count ends with the data.
    for _ in 0..count.min(body.len() as u32 / 14) {
        let tag = r.u32();
        if r.utf().is_none() || r.take(8).is_none() {
            return false;
        }
        match tag {
            Some(PRIVATE_KEY | SECRET_KEY) => return true,
            Some(TRUSTED_CERT) if r.certificate(version).is_some() => {}
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(content: &[u8]) -> Vec<u8> {
        tlv(0x30, content)
    }

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match content.len() {
            n @ 0..=0x7F => out.push(n as u8),
            n @ 0x80..=0xFF => out.extend([0x81, n as u8]),
            n => out.extend([0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend(content);
        out
    }

    fn pkcs8(algorithm: &[u8]) -> Vec<u8> {
        let mut body = tlv(0x02, &[0]);
        body.extend(seq(&[algorithm, &[0x05, 0x00]].concat()));
        body.extend(tlv(0x04, &[0x5A; 48]));
        seq(&body)
    }

    fn jks(magic: [u8; 4], entries: &[(u32, &[u8])]) -> Vec<u8> {
        let mut out = magic.to_vec();
        out.extend(2u32.to_be_bytes());
        out.extend((entries.len() as u32).to_be_bytes());
        for (tag, body) in entries {
            out.extend(tag.to_be_bytes());
            out.extend([0, 5]);
            out.extend(b"alias");
            out.extend([0; 8]);
            out.extend(*body);
        }
        out
    }

    fn cert_entry() -> Vec<u8> {
        let mut out = vec![0, 5];
        out.extend(b"X.509");
        out.extend(3u32.to_be_bytes());
        out.extend([0x30, 0x01, 0x00]);
        out
    }

    #[test]
    fn pkcs8_keys_by_algorithm() {
        for oid in KEY_ALGORITHMS {
            assert_eq!(sniff(&pkcs8(oid)), Some(Kind::DerPrivateKey), "{oid:02x?}");
        }
        // A public key (SubjectPublicKeyInfo) has no version and a BIT STRING.
        let spki = seq(&[seq(KEY_ALGORITHMS[0]), tlv(0x03, &[0x11; 40])].concat());
        assert_eq!(sniff(&spki), None);
        // An unknown algorithm is not a key.
        assert_eq!(sniff(&pkcs8(&[0x06, 0x03, 0x55, 0x04, 0x03])), None);
    }

    #[test]
    fn encrypted_pkcs8() {
        let pbes2 = [PBE[0], &[0x0D]].concat();
        let key = seq(&[seq(&pbes2), tlv(0x04, &[0x44; 64])].concat());
        assert_eq!(sniff(&key), Some(Kind::DerPrivateKey));
        let other = seq(&[seq(KEY_ALGORITHMS[0]), tlv(0x04, &[0x44; 64])].concat());
        assert_eq!(sniff(&other), None);
    }

    #[test]
    fn der_must_span_the_file() {
        let mut key = pkcs8(KEY_ALGORITHMS[1]);
        key.push(b'\n');
        assert_eq!(sniff(&key), Some(Kind::DerPrivateKey));
        key.extend(b"more");
        assert_eq!(sniff(&key), None);
        assert_eq!(sniff(&key[..20]), None);
        assert_eq!(sniff(b"0,1,2,3\n4,5,6,7\n"), None);
    }

    #[test]
    fn java_stores_with_and_without_keys() {
        let key = jks([0xFE, 0xED, 0xFE, 0xED], &[(PRIVATE_KEY, b"")]);
        assert_eq!(sniff(&key), Some(Kind::JavaKeyStore));
        let cert = cert_entry();
        let trust = jks([0xFE, 0xED, 0xFE, 0xED], &[(TRUSTED_CERT, &cert)]);
        assert_eq!(sniff(&trust), None);
        let both = jks(
            [0xCE, 0xCE, 0xCE, 0xCE],
            &[(TRUSTED_CERT, &cert), (SECRET_KEY, b"")],
        );
        assert_eq!(sniff(&both), Some(Kind::JavaKeyStore));
        // A count far beyond the data, or a truncated entry, ends the walk.
        let mut hostile = vec![0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0xFF, 0xFF, 0xFF, 0xFF];
        hostile.extend(&cert[..4]);
        assert_eq!(sniff(&hostile), None);
    }

    #[test]
    fn pkcs12_with_and_without_visible_key_bags() {
        let content_info = |bags: &[u8]| {
            let mut ci = PKCS7.to_vec();
            ci.push(1);
            ci.extend(tlv(0xA0, &tlv(0x04, bags)));
            seq(&ci)
        };
        let pfx = |bags: &[u8]| {
            let mut body = tlv(0x02, &[3]);
            body.extend(content_info(bags));
            body.extend(seq(&[0x11; 40]));
            seq(&body)
        };
        let mut bag = KEY_BAG.to_vec();
        bag.push(2);
        bag.extend([0x22; 40]);
        assert_eq!(sniff(&pfx(&bag)), Some(Kind::Pkcs12Key));
        let mut sealed = ENCRYPTED_DATA.to_vec();
        sealed.extend([0x33; 60]);
        assert_eq!(sniff(&pfx(&sealed)), Some(Kind::Pkcs12Sealed));
        assert_eq!(sniff(&pfx(&[0x33; 60])), None);
        assert!(maybe(&pfx(&bag)[..32]));
    }
}
