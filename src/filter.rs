//! The one gate between a candidate secret and a finding. Every decision that is not the
//! rule's own test is taken here, with the whole origin in hand (path, commit, the lines a
//! change adds): allowlists (global and per rule, by path and by secret), the placeholder
//! model, inline allow comments, accepted fingerprints (baseline, `.leakhoundignore`) and
//! `.gitleaksignore` locations. The content checks run once per blob; the path checks once
//! per appearance of the blob, so a history audit judges a secret copied out of an
//! allowlisted folder where it lands, not where it started.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::blob::Origin;
use crate::context;
use crate::finding::{Candidate, Confidence, fingerprint};
use crate::placeholder::{has_words, is_placeholder, names_a_secret};
use crate::rules::gitleaks::location_key;
use crate::rules::{Check, Rule, RuleSet, Tier};

/// Markers that, on the line of a match, tell us the user has looked and accepts it. The last
/// two let users of gitleaks and detect-secrets migrate without touching their code.
const INLINE_ALLOW: &[&str] = &[
    "leakhound:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
];

/// Whether this line carries an inline allow comment.
pub fn inline_allowed(line: &[u8]) -> bool {
    INLINE_ALLOW
        .iter()
        .any(|m| memchr::memmem::find(line, m.as_bytes()).is_some())
}

/// The decision for one candidate at one appearance.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A finding, with its fingerprint and how sure it is.
    Report(String, Confidence),
    /// Not a finding at all: an allowlisted path, or outside the lines a change adds.
    Drop,
    /// A finding the user has accepted (inline comment, baseline, ignore file): counted.
    Suppress(String),
}

/// Everything about a path that changes the filter's verdicts: appearances of one blob under
/// paths of the same class are judged alike, so a history audit keeps one of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FilterClass {
    skipped: bool,
    /// Rules whose own allowlist names the path.
    allowed_rules: Vec<u32>,
    /// Paths that an accepted fingerprint or an ignore entry names are judged one by one.
    exact: Option<Box<str>>,
    /// Tests, docs, examples: the confidence of a finding depends on it.
    context: context::PathContext,
}

#[derive(Default)]
pub struct Filter {
    ignored: HashSet<String>,
    /// leakhound's own files at the scan root. They are scanned like any file (a secret
    /// committed in the config is still committed), except that the config's own rule
    /// examples, which match by design, are not findings there.
    own_files: Vec<String>,
    /// Accepted locations from `.gitleaksignore`: `path:rule:line`, `commit:path:rule:line`.
    ignored_at: HashSet<String>,
    /// The paths that entries of `ignored` and `ignored_at` name.
    named_paths: HashSet<String>,
    /// The accepted fingerprints that suppressed a match in this scan: the rest are stale
    /// baseline entries, and `leakhound baseline` keeps only these.
    used: Mutex<HashSet<String>>,
}

impl Filter {
    pub fn new(ignored: HashSet<String>, own_files: Vec<String>) -> Filter {
        let named_paths = ignored
            .iter()
            .filter_map(|fp| fingerprint_path(fp))
            .map(str::to_string)
            .collect();
        Filter {
            ignored,
            own_files,
            named_paths,
            ..Filter::default()
        }
    }

    /// Adds `.gitleaksignore` entries (keys made by `gitleaks::location_key`).
    pub fn with_locations(mut self, ignored_at: HashSet<String>) -> Filter {
        for key in &ignored_at {
            let head = key.rsplitn(3, ':').nth(2).unwrap_or("");
            let path = match head.split_once(':') {
                Some((commit, path)) if is_commit_id(commit) => path,
                _ => head,
            };
            self.named_paths.insert(path.to_string());
        }
        self.ignored_at = ignored_at;
        self
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

    /// Whether a secret can be one: not allowlisted (globally or by its rule) and not a
    /// placeholder. Content only, so checked once per blob.
    /// The Kubernetes analyzer has judged references, templates and weak defaults by the
    /// structure it read; only the shared placeholder vocabulary applies to its findings.
    pub fn admits_content(&self, rules: &RuleSet, rule: &Rule, secret: &str) -> bool {
        let placeholder = match rule.tier {
            Tier::Analyzer => has_words(secret) || names_a_secret(secret),
            _ => is_placeholder(secret),
        };
        !rules.allowlist.allows_secret(secret)
            && !rule.allowlist.allows_secret(secret)
            && !placeholder
    }

    /// Paths never reported: allowlisted globally. A tree scan does not read them at all.
    pub fn skips_path(&self, rules: &RuleSet, path: &str) -> bool {
        rules.allowlist.allows_path(path)
    }

    /// A rule's example or counter-example in leakhound's own config, where it is written on
    /// purpose to test the rule.
    fn is_own_example(&self, rules: &RuleSet, path: &str, secret: &str) -> bool {
        self.own_files.iter().any(|f| f == path)
            && (rules.rules.iter())
                .flat_map(|r| r.examples.iter().chain(&r.counter_examples))
                .any(|e| e.contains(secret))
    }

    pub fn class_of(&self, rules: &RuleSet, path: &str) -> FilterClass {
        FilterClass {
            skipped: self.skips_path(rules, path),
            allowed_rules: (rules.rules.iter().enumerate())
                .filter(|(_, r)| r.allowlist.allows_path(path))
                .map(|(i, _)| i as u32)
                .collect(),
            exact: self.named_paths.contains(path).then(|| path.into()),
            context: context::of_path(path),
        }
    }

    /// The verdict on one candidate where the blob appears at `origin`.
    pub fn judge(&self, rules: &RuleSet, c: &Candidate, origin: &Origin) -> Verdict {
        let rule = &rules.rules[c.rule];
        let path = &*origin.path;
        if self.skips_path(rules, path)
            || rule.allowlist.allows_path(path)
            || self.is_own_example(rules, path, c.secret.expose())
        {
            return Verdict::Drop;
        }
        let (first, last) = (c.location.line, c.location.end_line);
        if origin
            .added
            .as_ref()
            .is_some_and(|a| !a.overlaps(first, last))
        {
            return Verdict::Drop;
        }
        let fingerprint = fingerprint(&rule.id, path, &c.secret);
        if self.ignored.contains(&fingerprint) {
            let mut used = self.used.lock().expect("no panics while holding");
            used.insert(fingerprint.clone());
            return Verdict::Suppress(fingerprint);
        }
        let commit = origin.commit.as_deref().map(|c| c.id.as_str());
        if c.inline_allowed || self.ignores_location(commit, path, &rule.id, first) {
            return Verdict::Suppress(fingerprint);
        }
        Verdict::Report(fingerprint, confidence(rule, c, path))
    }

    /// Whether the user accepted a finding at this place (gitleaks-style ignore entry).
    fn ignores_location(&self, commit: Option<&str>, path: &str, rule: &str, line: u32) -> bool {
        !self.ignored_at.is_empty()
            && (self
                .ignored_at
                .contains(&location_key(None, path, rule, line))
                || commit.is_some_and(|c| {
                    self.ignored_at
                        .contains(&location_key(Some(c), path, rule, line))
                }))
    }
}

/// A finding's confidence: the rule's own (its `confidence`, else by tier: vendor high,
/// analyzer and generic medium), lowered where the context says the literal is likely an
/// illustration (tests, docs, examples, vendored code, comments): high to medium, the rest to
/// low. A format whose checksum passed stays as it is anywhere: a real token in a test is
/// still a leak, and random text does not pass a checksum by chance.
fn confidence(rule: &Rule, c: &Candidate, path: &str) -> Confidence {
    let base = rule.confidence.unwrap_or(match rule.tier {
        Tier::Vendor => Confidence::High,
        Tier::Analyzer | Tier::Generic => Confidence::Medium,
    });
    let illustrative = c.in_comment || context::of_path(path).is_illustrative();
    match (illustrative, base) {
        (false, _) => base,
        (true, _) if rule.check.is_some_and(Check::is_checksum) => base,
        (true, Confidence::High) => Confidence::Medium,
        (true, _) => Confidence::Low,
    }
}

/// The path in `<rule>:<path>:<hash>`.
fn fingerprint_path(fp: &str) -> Option<&str> {
    let (_, rest) = fp.split_once(':')?;
    Some(rest.rsplit_once(':')?.0)
}

fn is_commit_id(s: &str) -> bool {
    s.len() >= 7 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markers() {
        assert!(inline_allowed(b"key = 'abc' # leakhound:allow"));
        assert!(inline_allowed(b"key = 'abc' // gitleaks:allow"));
        assert!(inline_allowed(b"key = 'abc'  # pragma: allowlist secret"));
        assert!(!inline_allowed(b"key = 'abc'"));
    }
}
