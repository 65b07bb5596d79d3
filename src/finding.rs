//! A finding is a match that survived every filter, located and fingerprinted, ready for a
//! reporter. Its secret redacts itself, so a stray `{:?}` or log line cannot leak it.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::blob::CommitInfo;

/// How many leading characters of a secret a redacted report may show.
const SHOWN_CHARS: usize = 4;

/// The longest value [`Secret::is_word`] calls a word.
const LONGEST_WORD: usize = 12;

/// A secret value. `Display` and `Debug` redact; only [`Secret::expose`] gives the full value,
/// and reporters call it only when the user passed `--no-redact`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The full secret. Callers must have a user's explicit `--no-redact` behind them.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// At most the first four characters, then `…`; short secrets show less so that at least
    /// half of the value stays hidden.
    pub fn redacted(&self) -> String {
        let count = self.0.chars().count();
        let shown = SHOWN_CHARS.min(count / 2);
        let head: String = self.0.chars().take(shown).collect();
        format!("{head}{MASK}")
    }

    /// Whether the value is a plain word: ASCII letters only, at most 12 of them (`grafana`,
    /// `changeme`, `PASSWORD`), the weak defaults that values files and playbooks are full of.
    ///
    /// Text that quotes content (snippets, commit summaries, messages) masks a word like any
    /// secret. Names (file paths, key paths, the path in a fingerprint) do not: there a word is
    /// the name of a chart, a role or a key far more often than the secret, and masking it
    /// hides nothing (`charts/gra…/values.yaml` next to a `gra…` password is as plain to a
    /// reader as the word itself) while it breaks what names are for: the path no longer
    /// exists, so code scanning cannot place the alert, and a fingerprint would change with
    /// what else the scan found, so a report stops working as a baseline. A token in a file
    /// name (`keys/AKIA….txt`) is no word and is masked there too.
    pub fn is_word(&self) -> bool {
        self.0.len() <= LONGEST_WORD && self.0.bytes().all(|b| b.is_ascii_alphabetic())
    }

    /// The text a report shows: redacted unless `reveal`.
    pub fn shown(&self, reveal: bool) -> String {
        if reveal {
            self.0.clone()
        } else {
            self.redacted()
        }
    }

    /// First 16 hex characters of the SHA-256 of the secret: stable across line moves.
    pub fn hash16(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        hex::encode(&digest[..8])
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

/// 1-based positions of a secret in its blob. Columns count characters (as editors and SARIF
/// viewers do), not bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

/// How loudly a finding should be raised. Weak defaults in values files are still findings
/// under the policy, but they are reported as warnings.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Error,
    Warning,
}

/// A secret in a blob that passed every content test; whether it is reported depends on where
/// the blob appears.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// Index into the rule set.
    pub rule: usize,
    pub secret: Secret,
    pub location: Location,
    pub snippet: Snippet,
    pub key_path: Option<String>,
    pub entropy: Option<f64>,
    pub severity: Option<Severity>,
    /// An inline allow comment on the secret's first or last line.
    pub inline_allowed: bool,
    /// The secret's line is a comment, or inside documentation written in code (an Ansible
    /// module's `EXAMPLES` string): an illustration, whatever the path.
    pub illustrative: bool,
    /// The archive member the secret is in (`app/values.yaml`, `layer.tar!etc/app.conf`
    /// nested), when the blob is an archive.
    pub member: Option<Arc<str>>,
}

/// How sure a finding is (SPEC.md): `high` for a distinctive format that passed its offline
/// check (or a vendor prefix) anywhere; `medium` for structure-aware or strongly contextual
/// literals in deployable code and config; `low` for the rest, including generic matches in
/// tests, docs, examples and comments. `--confidence` sets the lowest shown.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    #[default]
    Medium,
    High,
}

impl Confidence {
    pub fn name(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule_id: String,
    pub description: String,
    /// The file (or, for history, the blob's path) the secret is in.
    pub path: String,
    /// The member of the archive at `path` that holds the secret, if `path` is an archive;
    /// `location` is then in the member.
    pub member: Option<String>,
    pub location: Location,
    pub secret: Secret,
    pub fingerprint: String,
    pub key_path: Option<String>,
    pub entropy: Option<f64>,
    pub commit: Option<Arc<CommitInfo>>,
    pub severity: Severity,
    pub confidence: Confidence,
    /// The part of the source line around the start of the secret, for the human report.
    pub snippet: Snippet,
}

/// The part of a source line around a secret, and where in it every secret the scan found in
/// that blob sits (byte ranges), so the [emitter](crate::emit) can mask them all, including
/// encoded ones and ones other findings reported or suppressed. The window never cuts a secret.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    pub secrets: Vec<std::ops::Range<usize>>,
}

/// What a redaction leaves in place of the hidden part of a secret.
pub const MASK: char = '…';

/// The rule id, path and hash of a fingerprint (`<rule>:<path>:<hash>`; the path may hold
/// `:`).
pub fn split_fingerprint(fp: &str) -> Option<(&str, &str, &str)> {
    let (rule, rest) = fp.split_once(':')?;
    let (path, hash) = rest.rsplit_once(':')?;
    Some((rule, path, hash))
}

/// `<rule_id>:<path>:<first 16 hex chars of sha256(secret)>`: independent of the line, so a
/// baseline survives unrelated edits and `scan` and `git` agree.
///
/// A path that holds the secret itself (`keys/AKIA….txt`) holds it redacted here: fingerprints
/// are written to baseline files and logs. A word is not masked in a path ([`Secret::is_word`]):
/// `password: grafana` in `charts/grafana/values.yaml` keeps its path.
pub fn fingerprint(rule_id: &str, path: &str, secret: &Secret) -> String {
    let value = secret.expose();
    let path = if value.len() >= 4 && !secret.is_word() && path.contains(value) {
        std::borrow::Cow::Owned(path.replace(value, &secret.redacted()))
    } else {
        std::borrow::Cow::Borrowed(path)
    };
    format!("{rule_id}:{path}:{}", secret.hash16())
}

/// The name of `member` inside what sits at `path` (an archive, or a member that is one):
/// `archive!member`, one `!` a level. Fingerprints, path allowlists, notes and the human
/// report all use this name.
pub fn member_path(path: &str, member: &str) -> String {
    format!("{path}!{member}")
}

impl Finding {
    /// Where a finding is, said in words for reports whose location cannot show it: an
    /// archive member (code scanning opens the archive, not the member) or a commit message
    /// (no file holds it).
    pub fn place_note(&self) -> Option<String> {
        let line = self.location.line;
        if let Some(member) = &self.member {
            return Some(format!(" (in the archive's {member}, line {line})"));
        }
        let object = crate::blob::message_of(&self.path)?;
        let id = &self.commit.as_ref()?.id;
        let short = &id[..id.len().min(12)];
        Some(format!(
            " (in the message of {object} {short}, line {line})"
        ))
    }

    /// What the fingerprint names: the path, or `archive!member` for a member.
    pub fn named_path(&self) -> std::borrow::Cow<'_, str> {
        match &self.member {
            Some(member) => member_path(&self.path, member).into(),
            None => self.path.as_str().into(),
        }
    }

    /// The order reports use: parallel scans produce findings in random order.
    pub fn sort_key(&self) -> (&str, Option<&str>, Location, &str, Option<&str>) {
        (
            &self.path,
            self.member.as_deref(),
            self.location,
            &self.rule_id,
            self.commit.as_deref().map(|c| c.id.as_str()),
        )
    }
}

/// Serializes a finding the way SPEC.md's JSON shape says, redacting unless told otherwise.
pub struct FindingJson<'a> {
    pub finding: &'a Finding,
    pub reveal: bool,
}

impl Serialize for FindingJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let f = self.finding;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("rule_id", &f.rule_id)?;
        map.serialize_entry("description", &f.description)?;
        map.serialize_entry("path", &f.path)?;
        if let Some(member) = &f.member {
            map.serialize_entry("member", member)?;
        }
        map.serialize_entry("line", &f.location.line)?;
        map.serialize_entry("column", &f.location.column)?;
        map.serialize_entry("end_line", &f.location.end_line)?;
        map.serialize_entry("end_column", &f.location.end_column)?;
        map.serialize_entry("secret", &f.secret.shown(self.reveal))?;
        map.serialize_entry("fingerprint", &f.fingerprint)?;
        map.serialize_entry("severity", &f.severity)?;
        map.serialize_entry("confidence", &f.confidence)?;
        if let Some(key_path) = &f.key_path {
            map.serialize_entry("key_path", key_path)?;
        }
        if let Some(entropy) = f.entropy {
            map.serialize_entry("entropy", &((entropy * 100.0).round() / 100.0))?;
        }
        if let Some(commit) = &f.commit {
            map.serialize_entry("commit", commit.as_ref())?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_letters_only_and_short() {
        for w in ["cisco", "changeme", "PASSWORD", "testSnmp", "abcdefghijkl"] {
            assert!(Secret::new(w).is_word(), "{w}");
        }
        for s in [
            "Altus123",
            "dev-password-123",
            "S0meP@ss",
            "abcdefghijklm",
            "AKIAQWERTYUIOPASDFGH", // leakhound:allow
        ] {
            assert!(!Secret::new(s).is_word(), "{s}");
        }
        let grafana = Secret::new("grafana");
        assert_eq!(
            fingerprint("r", "charts/grafana/values.yaml", &grafana),
            format!("r:charts/grafana/values.yaml:{}", grafana.hash16())
        );
        let key = Secret::new("AKIAQWERTYUIOPASDFGH"); // leakhound:allow
        assert_eq!(
            fingerprint("r", "keys/AKIAQWERTYUIOPASDFGH.txt", &key), // leakhound:allow
            format!("r:keys/AKIA….txt:{}", key.hash16())
        );
    }

    #[test]
    fn secret_never_displays_in_full() {
        let s = Secret::new("sk_live_abcdefghijklmnop");
        assert_eq!(s.to_string(), "sk_l…");
        assert_eq!(format!("{s:?}"), "Secret(sk_l…)");
        assert_eq!(s.shown(true), "sk_live_abcdefghijklmnop");
    }

    #[test]
    fn short_secret_shows_at_most_half() {
        assert_eq!(Secret::new("abc").redacted(), "a…");
        assert_eq!(Secret::new("").redacted(), "…");
    }

    #[test]
    fn fingerprint_ignores_line() {
        let s = Secret::new("hunter2");
        let fp = fingerprint("generic-password", "app/config.py", &s);
        assert!(fp.starts_with("generic-password:app/config.py:"));
        assert_eq!(fp.rsplit(':').next().unwrap().len(), 16);
    }
}
