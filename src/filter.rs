//! The one gate between a candidate secret and a finding. Every decision that is not the
//! rule's own test is taken here, with the whole origin in hand (path, commit, the lines a
//! change adds): allowlists (global and per rule, by path and by secret), the placeholder
//! model, inline allow comments, accepted fingerprints (baseline, `.leakhoundignore`) and
//! `.gitleaksignore` locations. The content checks run once per blob; the path checks once
//! per appearance of the blob, so a history audit judges a secret copied out of an
//! allowlisted folder where it lands, not where it started.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use crate::blob::Origin;
use crate::context;
use crate::finding::{Candidate, Confidence, MASK, Secret, fingerprint, split_fingerprint};
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
    /// Accepted fingerprints whose path is masked (`github-pat:keys/AKIA….txt:…`): a report
    /// masks in every path the secrets the scan found, so the path of one finding can hold
    /// another's token. By rule id and secret hash, the masked paths and the entries.
    masked: HashMap<(String, String), Vec<(String, String)>>,
    /// The accepted fingerprints that suppressed a match in this scan: the rest are stale
    /// baseline entries, and `leakhound baseline` keeps only these.
    used: Mutex<HashSet<String>>,
}

impl Filter {
    pub fn new(ignored: HashSet<String>, own_files: Vec<String>) -> Filter {
        let mut named_paths = HashSet::new();
        let mut masked: HashMap<_, Vec<_>> = HashMap::new();
        for fp in &ignored {
            let Some((rule, path, hash)) = split_fingerprint(fp) else {
                continue;
            };
            if path.contains(MASK) {
                let key = (rule.to_string(), hash.to_string());
                masked
                    .entry(key)
                    .or_default()
                    .push((path.to_string(), fp.clone()));
            } else {
                named_paths.insert(path.to_string());
            }
        }
        Filter {
            ignored,
            own_files,
            named_paths,
            masked,
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
            exact: (self.named_paths.contains(path) || self.masked_names(path))
                .then(|| path.into()),
            context: context::of_path(path),
        }
    }

    /// The verdict on one candidate where the blob appears at `origin`.
    pub fn judge(&self, rules: &RuleSet, c: &Candidate, origin: &Origin) -> Verdict {
        let rule = &rules.rules[c.rule];
        let blob_path = &*origin.path;
        // A secret in an archive member is named `archive!member`: path allowlists apply to
        // the archive's own path and to that name, fingerprints and ignore entries use the name.
        let named;
        let path = match &c.member {
            Some(member) => {
                named = crate::finding::member_path(blob_path, member);
                named.as_str()
            }
            None => blob_path,
        };
        let skipped = |path: &str| {
            self.skips_path(rules, path)
                || rule.allowlist.allows_path(path)
                || self.is_own_example(rules, path, c.secret.expose())
        };
        if skipped(blob_path) || (c.member.is_some() && skipped(path)) {
            return Verdict::Drop;
        }
        let (first, last) = (c.location.line, c.location.end_line);
        // A member's lines are not the archive's: a changed archive is new content whole.
        if c.member.is_none()
            && origin
                .added
                .as_ref()
                .is_some_and(|a| !a.overlaps(first, last))
        {
            return Verdict::Drop;
        }
        let fingerprint = fingerprint(&rule.id, path, &c.secret);
        let accepted = if self.ignored.contains(&fingerprint) {
            Some(fingerprint.clone())
        } else {
            self.accepted_masked(&rule.id, path, &c.secret)
        };
        if let Some(entry) = accepted {
            let mut used = self.used.lock().expect("no panics while holding");
            used.insert(entry);
            return Verdict::Suppress(fingerprint);
        }
        let commit = origin.commit.as_deref().map(|c| c.id.as_str());
        if c.inline_allowed || self.ignores_location(commit, path, &rule.id, first) {
            return Verdict::Suppress(fingerprint);
        }
        Verdict::Report(fingerprint, confidence(rule, c, path))
    }

    /// The accepted entry with a masked path that stands for this rule, path and secret.
    fn accepted_masked(&self, rule: &str, path: &str, secret: &Secret) -> Option<String> {
        if self.masked.is_empty() {
            return None;
        }
        let entries = self.masked.get(&(rule.to_string(), secret.hash16()))?;
        (entries.iter())
            .find(|(pattern, _)| masked_path_matches(pattern, path))
            .map(|(_, entry)| entry.clone())
    }

    /// Whether an accepted entry with a masked path may name `path`.
    fn masked_names(&self, path: &str) -> bool {
        (self.masked.values().flatten()).any(|(pattern, _)| masked_path_matches(pattern, path))
    }

    /// Whether some verdicts depend on a finding's line (gitleaks-style ignore entries name
    /// lines): then a secret on a line a version did not change can be judged anew there.
    pub fn judges_lines(&self) -> bool {
        !self.ignored_at.is_empty()
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
    let context = context::of_path(path);
    let illustrative = c.illustrative
        || context.is_illustrative()
        || context.is_plugin_doc_example(c.key_path.as_deref());
    match (illustrative, base) {
        (false, _) => base,
        (true, _) if rule.check.is_some_and(Check::is_checksum) => base,
        (true, Confidence::High) => Confidence::Medium,
        (true, _) => Confidence::Low,
    }
}

/// Whether `path` is one that a masked path can stand for: each `…` hides at least one
/// character (a redaction shows at most half of a secret). The pieces between masks are
/// found leftmost, which is exact for patterns with one kind of wildcard. A real `…` in a
/// path matches itself, and a match also needs the same rule and the same secret's hash.
fn masked_path_matches(pattern: &str, path: &str) -> bool {
    let pieces: Vec<&str> = pattern.split(MASK).collect();
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if pieces.len() == 1 {
        return pattern == path;
    }
    if !path.starts_with(first) || !path.ends_with(last) || path.len() < first.len() + last.len() {
        return false;
    }
    // The part between the first and last piece: one hidden run before each middle piece
    // and one after the last of them.
    let mid = &path[first.len()..path.len() - last.len()];
    let mut at = 0;
    for piece in &pieces[1..pieces.len() - 1] {
        let Some(c) = mid[at..].chars().next() else {
            return false;
        };
        at += c.len_utf8();
        match mid[at..].find(piece) {
            Some(i) => at += i + piece.len(),
            None => return false,
        }
    }
    at < mid.len()
}

fn is_commit_id(s: &str) -> bool {
    s.len() >= 7 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_paths_stand_for_the_paths_they_hide() {
        let m = masked_path_matches;
        assert!(m("keys/AKIA….txt", "keys/AKIAQWERTYUIOPASDF12.txt"));
        assert!(m("a/ghp_…/b/AKIA….txt", "a/ghp_x/b/AKIAZ.txt"));
        assert!(m("…", "x") && m("k/…", "k/é"));
        // Each mask hides at least one character.
        assert!(!m("keys/AKIA….txt", "keys/AKIA.txt"));
        assert!(!m("a…b…c", "abc") && !m("a…b…c", "axbc") && m("a…b…c", "axbyc"));
        // The visible pieces must all be there, in order.
        assert!(!m("keys/AKIA….txt", "keys/AKIAX.json"));
        assert!(!m("x/AKIA….txt", "keys/AKIAX.txt"));
        assert!(!m("a…b…c", "abyc") && !m("a…b…c", "axcyb"));
        // Without a mask, only the path itself.
        assert!(m("a.txt", "a.txt") && !m("a.txt", "b.txt"));
    }

    #[test]
    fn an_accepted_masked_fingerprint_needs_rule_and_secret_too() {
        let token = Secret::new("ghp_0123456789abcdefABCDEF0123456789abcd".to_string());
        let entry = format!("github-pat:keys/AKIA….txt:{}", token.hash16());
        let filter = Filter::new(HashSet::from([entry.clone()]), Vec::new());
        let path = "keys/AKIAQWERTYUIOPASDF12.txt";
        assert_eq!(
            filter.accepted_masked("github-pat", path, &token),
            Some(entry)
        );
        assert_eq!(filter.accepted_masked("other-rule", path, &token), None);
        let other = Secret::new("ghp_X123456789abcdefABCDEF0123456789abcd".to_string());
        assert_eq!(filter.accepted_masked("github-pat", path, &other), None);
        assert!(filter.masked_names(path) && !filter.masked_names("keys/a.txt"));
    }

    #[test]
    fn inline_markers() {
        assert!(inline_allowed(b"key = 'abc' # leakhound:allow"));
        assert!(inline_allowed(b"key = 'abc' // gitleaks:allow"));
        assert!(inline_allowed(b"key = 'abc'  # pragma: allowlist secret"));
        assert!(!inline_allowed(b"key = 'abc'"));
    }
}
