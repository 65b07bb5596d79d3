//! `leakhound ci`: what a GitHub Actions job runs. It reads the event the workflow runs for
//! and scans what that event adds: a pull request's own commits (from the merge base of its
//! base and head, computed locally: an API list of a pull request's commits is paged and drops
//! commits on long pull requests), a push's `before..after`, and the whole history otherwise.
//! It prints annotations, writes SARIF for code scanning and a job summary, and exits like
//! every scan. The range scan itself is `leakhound git --range`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use git2::{Oid, Repository};
use serde_json::Value;

use crate::cli::CiArgs;
use crate::emit::Emitter;
use crate::finding::Finding;
use crate::report::Format;
use crate::run::{self, Outcome, Output};
use crate::source::git::Mode;

/// What the event asks to scan.
#[derive(Debug, PartialEq, Eq)]
enum Scope {
    /// `BASE..HEAD`, and what to call it in messages.
    Range(String, &'static str),
    /// The commits HEAD reaches that no other ref does (a force-push whose `before` is gone).
    New(String, &'static str),
    Full(&'static str),
    /// A push that deleted a branch adds nothing.
    Nothing,
}

/// The Actions environment, read once.
struct Env {
    event_name: String,
    event: Value,
    workspace: PathBuf,
    sha: Option<String>,
    step_summary: Option<PathBuf>,
}

pub fn run(args: &CiArgs) -> Result<u8> {
    let env = Env::read()?;
    let scope = scope(&env)?;
    let common = &args.common;
    let outcome = match &scope {
        Scope::Nothing => run::nothing(&env.workspace, common)?,
        Scope::Range(range, _) => run::git(&env.workspace, Mode::Range(range.clone()), common)?,
        Scope::New(head, _) => run::git(&env.workspace, Mode::NewCommits(head.clone()), common)?,
        Scope::Full(_) => run::git(&env.workspace, Mode::Full, common)?,
    };
    let output = Output::from_args(common);
    let emitter = outcome.emitter(&output);
    emitter.diagnostics(&outcome.diags);
    let status = outcome.status(&output);
    let written = write_all(args, &env, &scope, &outcome, &emitter, &output);
    match written {
        Err(e) if run::is_broken_pipe(&e) => return Ok(status),
        other => other?,
    }
    if !output.verbosity.quiet {
        eprintln!(
            "leakhound: {} finding(s) in {} ({} commit(s) scanned); SARIF in {}",
            outcome.findings.len(),
            describe(&scope),
            outcome.summary.commits_scanned,
            emitter.line(&args.sarif.display().to_string())
        );
    }
    Ok(status)
}

/// Annotations on standard output, SARIF to its file, the `-o` report, the job summary. The
/// annotations and the summary are public in the job's log: redacted whatever `--no-redact`.
fn write_all(
    args: &CiArgs,
    env: &Env,
    scope: &Scope,
    outcome: &Outcome,
    emitter: &Emitter,
    output: &Output,
) -> Result<()> {
    let strict = Emitter::new(output.verbosity, false, outcome.secrets.clone());
    run::write_report(outcome, &strict, Format::Github, None, false)?;
    run::write_report(outcome, &strict, Format::Sarif, Some(&args.sarif), false)?;
    if let Some(path) = &output.file {
        run::write_report(outcome, emitter, output.format, Some(path), false)?;
    }
    if let Some(path) = &env.step_summary {
        let findings = strict.findings(outcome.findings.clone());
        append_summary(path, scope, &findings)?;
    }
    Ok(())
}

impl Env {
    fn read() -> Result<Env> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let Some(event_name) = var("GITHUB_EVENT_NAME") else {
            bail!("GITHUB_EVENT_NAME is not set: `leakhound ci` runs inside GitHub Actions");
        };
        let event = match var("GITHUB_EVENT_PATH") {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read the event file {path}"))?;
                serde_json::from_str(&text)
                    .with_context(|| format!("the event file {path} is not JSON"))?
            }
            None => Value::Null,
        };
        Ok(Env {
            event_name,
            event,
            workspace: var("GITHUB_WORKSPACE").map_or_else(|| PathBuf::from("."), PathBuf::from),
            sha: var("GITHUB_SHA"),
            step_summary: var("GITHUB_STEP_SUMMARY").map(PathBuf::from),
        })
    }

    /// A string field of the event, by JSON pointer.
    fn field(&self, pointer: &str) -> Option<&str> {
        self.event.pointer(pointer).and_then(Value::as_str)
    }
}

fn scope(env: &Env) -> Result<Scope> {
    match env.event_name.as_str() {
        "pull_request" | "pull_request_target" => pull_request(env),
        "push" => push(env),
        _ => Ok(Scope::Full("the whole history")),
    }
}

fn pull_request(env: &Env) -> Result<Scope> {
    let need = |pointer: &str| {
        env.field(pointer)
            .ok_or_else(|| anyhow!("the {} event has no {pointer}", env.event_name))
    };
    let (base, head) = (
        need("/pull_request/base/sha")?,
        need("/pull_request/head/sha")?,
    );
    let repo = open(&env.workspace)?;
    let base_oid = commit(&repo, base, "the pull request's base")?;
    let head_oid = commit(&repo, head, "the pull request's head")?;
    let merge_base = repo
        .merge_base(base_oid, head_oid)
        .map_err(|_| missing(&format!("a merge base of {base} and {head}")))?;
    Ok(Scope::Range(
        format!("{merge_base}..{head_oid}"),
        "the commits this pull request adds",
    ))
}

fn push(env: &Env) -> Result<Scope> {
    let after = env.field("/after").or(env.sha.as_deref());
    let Some(after) = after else {
        bail!("the push event has no `after` commit and GITHUB_SHA is not set");
    };
    if is_zero(after) {
        return Ok(Scope::Nothing);
    }
    let repo = open(&env.workspace)?;
    // A pushed annotated tag's `after` is the tag object: what it tags is the commit.
    let after_oid = commit(&repo, after, "the pushed commit")?;
    let new = match env.field("/ref") {
        Some(r) if r.starts_with("refs/tags/") => "the whole history (a new tag)",
        _ => "the whole history (a new branch)",
    };
    match env.field("/before") {
        // A force-push rewrote history: the old tip is gone from the checkout.
        Some(before) if !is_zero(before) && !has_commit(&repo, before) => Ok(Scope::New(
            after_oid.to_string(),
            "the commits the force-push made reachable that no other ref has",
        )),
        Some(before) if !is_zero(before) => {
            let before_oid = commit(&repo, before, "the commit before the push")?;
            Ok(Scope::Range(
                format!("{before_oid}..{after_oid}"),
                "the pushed commits",
            ))
        }
        _ => Ok(Scope::Full(new)),
    }
}

fn has_commit(repo: &Repository, sha: &str) -> bool {
    Oid::from_str(sha).is_ok_and(|oid| peel_to_commit(repo, oid).is_ok())
}

/// The commit `oid` names: itself, or the commit an annotated tag (of a tag…) tags.
fn peel_to_commit(repo: &Repository, oid: Oid) -> Result<git2::Commit<'_>, git2::Error> {
    repo.find_object(oid, None)?.peel_to_commit()
}

fn is_zero(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

fn open(path: &Path) -> Result<Repository> {
    Repository::discover(path).with_context(|| format!("{}: not a git repository", path.display()))
}

fn commit(repo: &Repository, sha: &str, what: &str) -> Result<Oid> {
    let oid = Oid::from_str(sha).with_context(|| format!("{what} {sha:?} is not a commit id"))?;
    peel_to_commit(repo, oid)
        .map(|c| c.id())
        .map_err(|_| missing(&format!("{what} ({sha})")))
}

/// A commit the event names is not in the checkout: nearly always a shallow clone.
fn missing(what: &str) -> anyhow::Error {
    anyhow!(
        "{what} is not in the checkout. actions/checkout fetches a single commit by default; \
         give it `fetch-depth: 0` so the history leakhound scans is there"
    )
}

fn describe(scope: &Scope) -> String {
    match scope {
        Scope::Range(range, what) => format!("{what} ({})", short_range(range)),
        Scope::New(head, what) => format!("{what} (up to {})", &head[..head.len().min(12)]),
        Scope::Full(what) => what.to_string(),
        Scope::Nothing => "a push that deleted a branch (nothing to scan)".into(),
    }
}

fn short_range(range: &str) -> String {
    range
        .split("..")
        .map(|sha| &sha[..sha.len().min(12)])
        .collect::<Vec<_>>()
        .join("..")
}

fn append_summary(path: &Path, scope: &Scope, findings: &[Finding]) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot append the job summary to {}", path.display()))?;
    file.write_all(summary_markdown(scope, findings).as_bytes())
        .with_context(|| format!("cannot append the job summary to {}", path.display()))
}

/// The job summary: what was scanned, and a table of findings (no secret, not even redacted).
fn summary_markdown(scope: &Scope, findings: &[Finding]) -> String {
    let mut md = String::from("## leakhound\n\n");
    let scanned = describe(scope);
    if findings.is_empty() {
        md += &format!("No secrets found in {scanned}.\n\n");
        return md;
    }
    md += &format!(
        "**{} secret(s) found** in {scanned}.\n\n| File | Line | Rule | Commit | Author |\n|---|---|---|---|---|\n",
        findings.len()
    );
    for f in findings {
        let (commit, author) = f
            .commit
            .as_deref()
            .map_or((String::new(), String::new()), |c| {
                (
                    format!("`{}`", &c.id[..c.id.len().min(12)]),
                    cell(&c.author),
                )
            });
        md += &format!(
            "| {} | {} | `{}` | {commit} | {author} |\n",
            cell(&f.named_path()),
            f.location.line,
            f.rule_id
        );
    }
    md + "\n"
}

/// A path or a name from the repository as the text of a table cell, never markdown: GitHub
/// renders the summary, so an author named `![x](https://…)` would show an image, `@team`
/// notify a team, `<b>` or `|` change the table. The characters that open such constructs are
/// escaped, and control characters (a line break ends the row) are shown as escapes.
fn cell(text: &str) -> String {
    let text = crate::emit::escape_controls(text);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if "\\`*_[]<>!|#~&@".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_sha_means_no_commit() {
        assert!(is_zero("0000000000000000000000000000000000000000"));
        assert!(!is_zero("0000000000000000000000000000000000000001"));
        assert!(!is_zero(""));
    }

    #[test]
    fn table_cells_are_escaped() {
        assert_eq!(cell("a|b\nc"), "a\\|b\\\\nc");
        assert_eq!(
            cell("![x](https://e.example/t.png) @team <b>`x`</b> \u{1b}[31m"),
            "\\!\\[x\\](https://e.example/t.png) \\@team \\<b\\>\\`x\\`\\</b\\> \\\\u{1b}\\[31m"
        );
        assert_eq!(cell("deploy/app_config.yaml"), "deploy/app\\_config.yaml");
        assert_eq!(
            short_range(&format!("{}..{}", "a".repeat(40), "b".repeat(40))).len(),
            26
        );
    }
}
