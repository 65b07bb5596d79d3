//! The one way out of the process. Every finding and every diagnostic passes through the
//! [`Emitter`], which
//! - masks every secret the scan found (reported or suppressed) wherever it appears: source
//!   snippets, key paths, commit summaries and authors, file names, messages;
//! - escapes control characters, so a file name cannot move the cursor of a terminal or start
//!   a GitHub workflow command (`::`) at the beginning of a log line;
//! - applies `-q`/`-v` to diagnostics;
//! - and decides the exit status: 2 when input could not be read, else the findings' status.
//!
//! Redaction lives here and nowhere else, so that a new report field or message cannot forget
//! it; `--no-redact` turns it off for the terminal, JSON and annotations (SARIF always redacts).

use std::io::Write;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::diag::{Diag, Kind};
use crate::finding::{Finding, MASK, Secret, Snippet, fingerprint};

/// Exit statuses (SPEC.md): 0 clean, 1 (or `--exit-code`) findings, 2 error.
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_ERROR: u8 = 2;

/// Secrets shorter than this are masked only where their position is known (the snippet of
/// their own finding): masking every `abc` in every message would mangle text, and a value
/// that short is guessable anyway. (Longer words are masked in text, not in names:
/// [`Secret::is_word`].)
const MIN_MASKED_ANYWHERE: usize = 4;

/// Masks known secrets in any string.
pub struct Redactor {
    secrets: Vec<Secret>,
    automaton: Option<AhoCorasick>,
}

impl Redactor {
    /// A redactor for every secret the scan found; `None` of them means nothing is masked.
    pub fn new(mut secrets: Vec<Secret>) -> Redactor {
        secrets.retain(|s| s.expose().chars().count() >= MIN_MASKED_ANYWHERE);
        Redactor::of(secrets)
    }

    /// A redactor for names (file paths, key paths, a fingerprint's path): every secret
    /// [`Redactor::new`] masks but words ([`Secret::is_word`]).
    pub fn for_names(mut secrets: Vec<Secret>) -> Redactor {
        secrets.retain(|s| !s.is_word());
        Redactor::new(secrets)
    }

    fn of(mut secrets: Vec<Secret>) -> Redactor {
        secrets.sort_by(|a, b| a.expose().cmp(b.expose()));
        secrets.dedup();
        let automaton = (!secrets.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(secrets.iter().map(Secret::expose))
                .expect("literal patterns build")
        });
        Redactor { secrets, automaton }
    }

    pub fn none() -> Redactor {
        Redactor::new(Vec::new())
    }

    /// `text` with every known secret replaced by its redaction.
    pub fn mask(&self, text: &str) -> String {
        let Some(ac) = &self.automaton else {
            return text.to_string();
        };
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for m in ac.find_iter(text) {
            out.push_str(&text[last..m.start()]);
            out.push_str(&self.secrets[m.pattern().as_usize()].redacted());
            last = m.end();
        }
        out.push_str(&text[last..]);
        out
    }
}

/// A snippet with each located secret replaced by its redaction, then every other known
/// secret masked wherever it appears.
fn mask_snippet(snippet: &Snippet, redactor: &Redactor) -> String {
    let text = &snippet.text;
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for range in &snippet.secrets {
        let (Some(before), Some(secret)) = (text.get(last..range.start), text.get(range.clone()))
        else {
            // Not a boundary of the text: fail closed, show nothing from here on.
            out.push(MASK);
            return redactor.mask(&out);
        };
        out.push_str(before);
        out.push_str(&Secret::new(secret).redacted());
        last = range.end;
    }
    out.push_str(text.get(last..).unwrap_or(""));
    redactor.mask(&out)
}

/// Control characters shown as escapes (`\n`, `\x1b`), so that text from a file or a file name
/// is one inert line on a terminal or in a CI log.
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// How diagnostics are shown.
#[derive(Clone, Copy, Debug, Default)]
pub struct Verbosity {
    pub quiet: bool,
    pub verbose: bool,
}

pub struct Emitter {
    pub verbosity: Verbosity,
    /// `--no-redact`.
    pub reveal: bool,
    /// For text that quotes content: snippets, commit summaries and authors, messages.
    redactor: Redactor,
    /// For names: file paths, key paths, the path in a fingerprint.
    names: Redactor,
}

impl Emitter {
    /// An emitter that masks `secrets` (every secret the scan found) unless `reveal`.
    pub fn new(verbosity: Verbosity, reveal: bool, secrets: Vec<Secret>) -> Emitter {
        let (redactor, names) = if reveal {
            (Redactor::none(), Redactor::none())
        } else {
            (Redactor::new(secrets.clone()), Redactor::for_names(secrets))
        };
        Emitter {
            verbosity,
            reveal,
            redactor,
            names,
        }
    }

    /// A message that never carries a secret (it is masked all the same).
    pub fn line(&self, text: &str) -> String {
        escape_controls(&self.redactor.mask(text))
    }

    /// Findings as reports may show them: every string masked, snippets with each secret of
    /// their line replaced by its redaction. With `--no-redact` they pass unchanged.
    pub fn findings(&self, findings: Vec<Finding>) -> Vec<Finding> {
        if self.reveal {
            return findings;
        }
        findings.into_iter().map(|f| self.finding(f)).collect()
    }

    /// Findings for a terminal or a CI log (the human report, annotations): every string
    /// with control characters escaped, so a file name cannot move the cursor or put a
    /// workflow command (`::`) at the start of a line. JSON and SARIF escape by their own rules.
    pub fn for_log(findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .map(|mut f| {
                // The human report starts a line with the path: `./` keeps a file named
                // `::warning::…` from being read as a workflow command by the runner.
                f.path = escape_controls(&f.path);
                if f.path.starts_with("::") {
                    f.path.insert_str(0, "./");
                }
                f.member = f.member.as_deref().map(escape_controls);
                f.secret = Secret::new(escape_controls(f.secret.expose()));
                f.description = escape_controls(&f.description);
                f.rule_id = escape_controls(&f.rule_id);
                f.key_path = f.key_path.as_deref().map(escape_controls);
                f.snippet.text = escape_controls(&f.snippet.text);
                if let Some(c) = &f.commit {
                    let mut c = (**c).clone();
                    c.summary = escape_controls(&c.summary);
                    c.author = escape_controls(&c.author);
                    c.email = escape_controls(&c.email);
                    f.commit = Some(std::sync::Arc::new(c));
                }
                f
            })
            .collect()
    }

    /// The same finding, fully redacted whatever `--no-redact` says: for SARIF, which is
    /// uploaded and kept.
    pub fn always_redacted(&self, findings: &[Finding], secrets: Vec<Secret>) -> Vec<Finding> {
        let strict = Emitter::new(self.verbosity, false, secrets);
        findings
            .iter()
            .cloned()
            .map(|f| strict.finding(f))
            .collect()
    }

    fn finding(&self, mut f: Finding) -> Finding {
        let mask = |s: &str| self.redactor.mask(s);
        f.snippet = Snippet {
            text: escape_controls(&mask_snippet(&f.snippet, &self.redactor)),
            secrets: Vec::new(),
        };
        f.path = self.names.mask(&f.path);
        f.member = f.member.as_deref().map(|m| self.names.mask(m));
        // Built again from the masked path, not masked whole: the rule id and the hash are
        // leakhound's own text, and masking a secret that occurs in them (a password `secret`
        // in `k8s-literal-secret`) made a fingerprint that named no rule and matched no
        // baseline entry.
        f.fingerprint = fingerprint(&f.rule_id, &f.named_path(), &f.secret);
        f.key_path = f.key_path.as_deref().map(|k| self.names.mask(k));
        if let Some(c) = &f.commit {
            let mut c = (**c).clone();
            c.summary = mask(&c.summary);
            c.author = mask(&c.author);
            c.email = mask(&c.email);
            f.commit = Some(std::sync::Arc::new(c));
        }
        f
    }

    /// Prints diagnostics on standard error: errors and warnings always (warnings not with
    /// `-q`), notes with `-v`, YAML read line by line as one summary line unless `-v`.
    pub fn diagnostics(&self, diags: &[Diag]) {
        let stderr = std::io::stderr();
        let mut err = stderr.lock();
        let v = self.verbosity;
        let mut unparsed = 0;
        for d in diags {
            let text = match d {
                // `what` names the input (a path, a commit): masked as names are, so that a
                // word that is also a secret (`test`) does not cut a path into pieces.
                Diag::Error { what, message } => {
                    let what = escape_controls(&self.names.mask(what));
                    let _ = writeln!(err, "leakhound: warning: {what}: {}", self.line(message));
                    continue;
                }
                Diag::Warning(_) | Diag::Unparsed { .. } if v.quiet => continue,
                Diag::Warning(text) => format!("warning: {text}"),
                Diag::Unparsed { text, .. } if v.verbose => format!("note: {text}"),
                Diag::Unparsed { template, .. } => {
                    unparsed += usize::from(!template);
                    continue;
                }
                Diag::Note(text) | Diag::PartlyDecoded(text) if v.verbose && !v.quiet => {
                    format!("note: {text}")
                }
                Diag::NoteAt { what, text } if v.verbose && !v.quiet => {
                    let what = escape_controls(&self.names.mask(what));
                    let _ = writeln!(err, "leakhound: note: {what}: {}", self.line(text));
                    continue;
                }
                Diag::Note(_) | Diag::NoteAt { .. } | Diag::PartlyDecoded(_) => continue,
                Diag::More { kind, count } => match self.more(*kind, *count, &mut unparsed) {
                    Some(text) => text,
                    None => continue,
                },
            };
            let _ = writeln!(err, "leakhound: {}", self.line(&text));
        }
        if unparsed > 0 {
            let _ = writeln!(
                err,
                "leakhound: warning: {unparsed} YAML file(s) did not parse and were read line by line; -v lists them"
            );
        }
    }

    /// The line for `count` messages of `kind` that were not kept, if this verbosity shows
    /// that kind; unparsed files that are not templates add to the summed-up count.
    fn more(&self, kind: Kind, count: u64, unparsed: &mut usize) -> Option<String> {
        let v = self.verbosity;
        let (level, what) = match kind {
            Kind::Error => ("warning", "inputs that could not be read"),
            Kind::Warning if !v.quiet => ("warning", "warnings"),
            Kind::Unparsed if !v.quiet && !v.verbose => {
                *unparsed += count as usize;
                return None;
            }
            Kind::Unparsed | Kind::UnparsedTemplate if v.verbose && !v.quiet => {
                ("note", "files that did not parse")
            }
            Kind::Note | Kind::PartlyDecoded if v.verbose && !v.quiet => ("note", "notes"),
            _ => return None,
        };
        Some(format!(
            "{level}: {count} more {what} not listed (each kind of message lists up to {} KiB)",
            crate::diag::KEPT_PER_KIND >> 10
        ))
    }

    /// The exit status for a scan: 2 if any input could not be read, else `exit_code` when
    /// findings remain, else 0.
    pub fn status(diags: &[Diag], findings: usize, exit_code: u8) -> u8 {
        if diags.iter().any(|d| d.counts().0 == Kind::Error) {
            EXIT_ERROR
        } else if findings > 0 {
            exit_code
        } else {
            EXIT_CLEAN
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_known_secret_anywhere() {
        let r = Redactor::new(vec![Secret::new("AKIAABCDEFGHIJKLMNOP"), Secret::new("ab")]); // leakhound:allow
        assert_eq!(
            r.mask("x AKIAABCDEFGHIJKLMNOP y ab"), // leakhound:allow
            "x AKIA… y ab",
            "short secrets are masked only where located"
        );
    }

    #[test]
    fn names_keep_words_and_fingerprints_keep_their_rule() {
        let token = "ghp_x7Kq2LmN9pR4sT6vW8yZ0aB3cD5eF7gH1jK2"; // leakhound:allow
        let e = Emitter::new(
            Verbosity::default(),
            false,
            vec![
                Secret::new("secret"),
                Secret::new("cisco"),
                Secret::new(token),
            ],
        );
        let f = Finding {
            rule_id: "k8s-literal-secret".into(),
            path: format!("cisco/{token}/v.yaml"),
            member: None,
            fingerprint: fingerprint(
                "k8s-literal-secret",
                &format!("cisco/{token}/v.yaml"),
                &Secret::new("cisco"),
            ),
            key_path: Some("cisco.secret.password".into()),
            description: String::new(),
            location: crate::finding::Location {
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 6,
            },
            secret: Secret::new("cisco"),
            entropy: None,
            commit: None,
            severity: Default::default(),
            confidence: Default::default(),
            snippet: Default::default(),
        };
        let f = e.finding(f);
        assert_eq!(f.path, "cisco/ghp_…/v.yaml");
        assert_eq!(f.key_path.as_deref(), Some("cisco.secret.password"));
        assert_eq!(
            f.fingerprint,
            format!(
                "k8s-literal-secret:cisco/ghp_…/v.yaml:{}",
                Secret::new("cisco").hash16()
            )
        );
        assert_eq!(e.line("set cisco to secret"), "set ci… to sec…");
    }

    #[test]
    fn control_characters_cannot_start_a_workflow_command() {
        assert_eq!(
            escape_controls("evil\n::stop-commands::x\x1b[31m"),
            "evil\\n::stop-commands::x\\u{1b}[31m"
        );
    }
}
