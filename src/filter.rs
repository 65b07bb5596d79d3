//! What turns a match into a non-finding: the global allowlist, placeholder values, an inline
//! `leakhound:allow` comment, and fingerprints the user has accepted (baseline,
//! `.leakhoundignore`). Kept apart from the engine so that every source and every rule goes
//! through the same gate.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::rules::Allowlist;
use crate::rules::gitleaks::location_key;

/// Markers that, on the line of a match, tell us the user has looked and accepts it. The last
/// two let users of gitleaks and detect-secrets migrate without touching their code.
const INLINE_ALLOW: &[&str] = &[
    "leakhound:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
];

/// Substrings (lowercase) of values that cannot be real secrets.
const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "replaceme",
    "replace_me",
    "replace-me",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "yourpassword",
    "placeholder",
    "xxxx",
    "****",
    "redacted",
    "dummy",
    "example",
    "notreal",
    "not_real",
    "not-a-real",
    "fake",
    "insert_",
    "insert-",
    "put_your",
    "todo",
];

/// Code that reads a secret from elsewhere instead of holding one.
const REFERENCE_MARKERS: &[&str] = &[
    "os.environ",
    "os.getenv",
    "getenv(",
    "process.env",
    "env::var",
    "environ[",
    "env[",
    "system.getenv",
    "secrets.",
    "vault:",
    "ref+vault",
    "op://",
    "arn:aws:secretsmanager",
];

/// Values published on purpose: the Azure storage emulator's account key (Azurite) and the
/// jwt.io sample token's signature are in every tutorial; no one can be harmed by them.
const KNOWN_PUBLIC: &[&str] = &[
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
];

/// Prefixes of keys that are public by design: Stripe publishable keys and Mapbox public
/// tokens ship in every web page that uses them.
const PUBLIC_PREFIXES: &[&str] = &["pk_live_", "pk_test_", "pk.eyJ"];

/// Values that name the field instead of filling it: `"password": "Password"`.
const LABELS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "clientsecret",
    "accesstoken",
    "authtoken",
    "passwort",
    "kennwort",
    "motdepasse",
    "contrasena",
    "senha",
    "wachtwoord",
    "salasana",
    "haslo",
    "losenord",
];

/// Words that make a kebab-case value the *name* of a secret (`billing-db-credentials`, a
/// Kubernetes Secret or vault path), not its content.
const NAME_WORDS: &[&str] = &["secret", "credential", "token", "key", "password", "auth"];

/// Whether a captured value is a placeholder, template or reference rather than a secret.
pub fn is_placeholder(secret: &str) -> bool {
    let trimmed = secret.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
    if trimmed.is_empty() || secret.contains("EXAMPLE") || is_known_public(trimmed) {
        return true;
    }
    if is_template(trimmed) || all_same_char(trimmed) || is_sequence(trimmed) {
        return true;
    }
    if is_label(trimmed) || is_path(trimmed) || is_secret_name(trimmed) {
        return true;
    }
    let lower = trimmed.to_ascii_lowercase();
    PLACEHOLDER_WORDS
        .iter()
        .any(|w| has_placeholder_word(trimmed, &lower, w))
        || REFERENCE_MARKERS.iter().any(|w| lower.contains(w))
}

/// Short words (`todo`, `fake`, `xxxx`) turn up by chance inside random tokens: about one
/// 40-character AWS secret in 3,000 contains `todo` or `fake` in some mix of cases. A short
/// word therefore counts only where it stands apart (`sk_live_xxxx`, `fake-token`) or where
/// the value reads as words rather than a token (no digits, one case: `dummypassword`).
fn has_placeholder_word(value: &str, lower: &str, word: &str) -> bool {
    if word.len() >= 6 {
        return lower.contains(word);
    }
    let has = |class: fn(&u8) -> bool| value.as_bytes().iter().any(class);
    let mixed_case = has(u8::is_ascii_lowercase) && has(u8::is_ascii_uppercase);
    let wordy = !has(u8::is_ascii_digit) && !mixed_case;
    lower.match_indices(word).any(|(i, _)| {
        let apart = |b: Option<&u8>| b.is_none_or(|b| !b.is_ascii_alphanumeric());
        wordy
            || apart(value.as_bytes().get(i.wrapping_sub(1)))
            || apart(value.as_bytes().get(i + word.len()))
    })
}

fn is_known_public(v: &str) -> bool {
    KNOWN_PUBLIC.iter().any(|k| v.contains(k)) || PUBLIC_PREFIXES.iter().any(|p| v.starts_with(p))
}

fn is_label(v: &str) -> bool {
    let squashed: String = v
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    LABELS.contains(&squashed.as_str())
}

/// `billing-db-credentials`, `platform-jwt-secret`: lower-case words joined by hyphens, one
/// of which says what the named thing holds.
fn is_secret_name(v: &str) -> bool {
    let words: Vec<&str> = v.split('-').collect();
    words.len() >= 3
        && words
            .iter()
            .all(|w| w.len() >= 2 && w.bytes().all(|b| b.is_ascii_lowercase()))
        && words
            .iter()
            .any(|w| NAME_WORDS.iter().any(|n| w.starts_with(n)))
}

/// `/etc/keys/private.pem`, `./certs/tls.key`: where a secret lives, not the secret. Random
/// base64 has upper-case letters, so it does not pass for a path.
fn is_path(v: &str) -> bool {
    let rest = ["/", "./", "../", "~/"]
        .iter()
        .find_map(|p| v.strip_prefix(p));
    rest.is_some_and(|r| {
        r.contains('/')
            && r.split('/').all(|seg| {
                !seg.is_empty()
                    && seg.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)
                    })
            })
    })
}

/// `${VAR}`, `$(VAR)`, `$VAR`, `{{ .Values.x }}`, `%(name)s`, `<your-key>`, `#{x}`.
fn is_template(v: &str) -> bool {
    is_format_slot(v)
        || v.contains("${")
        || v.contains("$(")
        || v.contains("{{")
        || v.contains("%(")
        || v.contains("#{")
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with('$')
            && v[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// `{}`, `{0}`, `{password}`, `{db.pass}` (format strings) and `%s`, `%v` (printf): the value
/// is filled in at runtime, as in `f"postgres://app:{pw}@db/app"`.
fn is_format_slot(v: &str) -> bool {
    let braced = v.len() >= 2
        && v.starts_with('{')
        && v.ends_with('}')
        && v[1..v.len() - 1]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '!' | '[' | ']'));
    braced || matches!(v, "%s" | "%v" | "%d" | "%q" | "?")
}

fn all_same_char(v: &str) -> bool {
    let mut chars = v.chars();
    let first = chars.next();
    v.len() >= 3 && chars.all(|c| Some(c) == first)
}

/// `12345678`, `abcdefgh`, `0123456789abcdef`: keyboard-run values.
fn is_sequence(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 6
        && b.windows(2)
            .all(|w| w[1] == w[0].wrapping_add(1) || (w[0] == b'9' && w[1] == b'a'))
}

/// Whether this line carries an inline allow comment.
pub fn inline_allowed(line: &[u8]) -> bool {
    INLINE_ALLOW
        .iter()
        .any(|m| memchr::memmem::find(line, m.as_bytes()).is_some())
}

/// The decision for one match.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Report,
    /// Allowlisted: not a finding at all.
    Drop,
    /// A finding the user has accepted (inline comment, baseline, ignore file): counted.
    Suppress,
}

/// The gate every match passes through after the engine.
#[derive(Default)]
pub struct Filter {
    ignored: HashSet<String>,
    /// leakhound's own files at the scan root (the config, whose rule examples match by
    /// design, and the ignore file): never findings.
    own_files: Vec<String>,
    /// Accepted locations from `.gitleaksignore`: `path:rule:line`, `commit:path:rule:line`.
    ignored_at: HashSet<String>,
    /// The accepted fingerprints that suppressed a match in this scan: the rest are stale
    /// baseline entries, and `leakhound baseline` keeps only these.
    used: Mutex<HashSet<String>>,
}

impl Filter {
    pub fn new(ignored: HashSet<String>, own_files: Vec<String>) -> Filter {
        Filter {
            ignored,
            own_files,
            ignored_at: HashSet::new(),
            used: Mutex::default(),
        }
    }

    /// Accepted fingerprints that matched something in this scan.
    pub fn used(&self) -> HashSet<String> {
        self.used.lock().expect("no panics while holding").clone()
    }

    /// Accepted fingerprints that matched nothing in this scan, sorted.
    pub fn stale(&self) -> Vec<String> {
        let used = self.used.lock().expect("no panics while holding");
        let mut stale: Vec<String> = self.ignored.difference(&used).cloned().collect();
        stale.sort();
        stale
    }

    pub fn with_locations(mut self, ignored_at: HashSet<String>) -> Filter {
        self.ignored_at = ignored_at;
        self
    }

    /// Whether the user accepted a finding at this place (gitleaks-style ignore entry).
    pub fn ignores_location(
        &self,
        commit: Option<&str>,
        path: &str,
        rule: &str,
        line: u32,
    ) -> bool {
        !self.ignored_at.is_empty()
            && (self
                .ignored_at
                .contains(&location_key(None, path, rule, line))
                || commit.is_some_and(|c| {
                    self.ignored_at
                        .contains(&location_key(Some(c), path, rule, line))
                }))
    }

    /// Paths never scanned: allowlisted globally, or leakhound's own files at the root. Checked
    /// once per blob, before the engine runs, so nothing there costs time or raises warnings.
    pub fn skips_path(&self, global: &Allowlist, path: &str) -> bool {
        global.allows_path(path) || self.own_files.iter().any(|f| f == path)
    }

    pub fn judge(
        &self,
        global: &Allowlist,

        secret: &str,
        lines: &[&[u8]],
        fingerprint: &str,
    ) -> Verdict {
        if global.allows_secret(secret) {
            return Verdict::Drop;
        }
        if self.ignored.contains(fingerprint) {
            let mut used = self.used.lock().expect("no panics while holding");
            used.insert(fingerprint.to_string());
            return Verdict::Suppress;
        }
        if lines.iter().any(|l| inline_allowed(l)) {
            return Verdict::Suppress;
        }
        Verdict::Report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised() {
        for v in [
            "changeme",
            "<your-api-key>",
            "${DB_PASSWORD}",
            "$(DB_PASSWORD)",
            "{{ .Values.pw }}",
            "xxxxxxxxxxxx",
            "AKIAIOSFODNN7EXAMPLE",
            "os.environ['X']",
            "12345678",
            "$SECRET",
            "YOUR_API_KEY",
            "{}",
            "{0}",
            "{password}",
            "%s",
            "********",
            "Password",
            "Passwort",
            "billing-db-credentials",
            "/etc/keys/private.pem",
            "pk_live_hGAkWvj7FAc9QeWJKY40uvSw",
        ] {
            assert!(is_placeholder(v), "{v} should be a placeholder");
        }
    }

    /// Regression: random tokens that happen to contain a short placeholder word were
    /// dropped (one CI run lost an AWS key id `AKIA…FAKE…`).
    #[test]
    fn short_words_inside_random_tokens_do_not_make_placeholders() {
        for v in [
            "AKIA5FAKESZWQBVVGF3Q", // leakhound:allow
            "UimlIYAaHPt9qtOdowHnBXKxd",
            "AAbBDadWkRVyYCF7oYUlz+4r1XXxXL0+JmVDxKeL", // leakhound:allow
        ] {
            assert!(!is_placeholder(v), "{v} is a token, not a placeholder");
        }
        for v in [
            "sk_live_xxxxxxxxxxxxxxxx",
            "fake-token-for-tests",
            "dummypassword",
            "TODO",
        ] {
            assert!(is_placeholder(v), "{v} should be a placeholder");
        }
    }

    #[test]
    fn real_looking_values_are_not_placeholders() {
        for v in [
            "dev-password-123",
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc", // leakhound:allow
            "hunter2",
            "Tr0ub4dor&3",
            "/K7MDENG/bPxRfiCYzXAMPLEKEYwJalrXUtnFEM",
            "password-1977-Xq",
            "correct-horse-battery-staple",
        ] {
            assert!(!is_placeholder(v), "{v} should not be a placeholder");
        }
    }

    #[test]
    fn inline_markers() {
        assert!(inline_allowed(b"key = 'abc' # leakhound:allow"));
        assert!(inline_allowed(b"key = 'abc' // gitleaks:allow"));
        assert!(inline_allowed(b"key = 'abc'  # pragma: allowlist secret"));
        assert!(!inline_allowed(b"key = 'abc'"));
    }
}
