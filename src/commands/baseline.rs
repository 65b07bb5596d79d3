//! `leakhound baseline scan|git`: accept what is there today so that a scan fails only on new
//! secrets. It runs the scan, then writes every finding's fingerprint to `.leakhoundignore` at
//! the scan root (or `-o FILE`), one per line with a comment saying what it was. Entries of the
//! existing file (or of `--baseline`) that still suppress something are kept with their
//! comments; entries that match nothing any more are dropped.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

use crate::cli::{BaselineArgs, BaselineCommand, CommonArgs};
use crate::config::{IGNORE_FILE, escape_entry, split_entry};
use crate::emit::{EXIT_CLEAN, EXIT_ERROR};
use crate::finding::{Finding, split_fingerprint};
use crate::run::{self, Output};

pub fn run(args: &BaselineArgs) -> Result<u8> {
    let (common, root, outcome) = match &args.command {
        BaselineCommand::Scan(a) => (
            &a.common,
            run::scan_root(&a.paths),
            run::files(&a.paths, a.no_ignore, &a.common)?,
        ),
        BaselineCommand::Git(a) => (
            &a.common,
            repo_root(&a.repo)?,
            run::git(&a.repo, super::git::mode(a), &a.common)?,
        ),
    };
    let output = Output::from_args(common);
    let emitter = outcome.emitter(&output);
    emitter.diagnostics(&outcome.diags);
    let kept = outcome.scanner.filter.used();
    let target = target(common, &root);
    let old = existing_lines(&target);
    let mut entries: BTreeMap<String, String> = kept
        .into_iter()
        .map(|fp| {
            let line = old.get(&fp).cloned().unwrap_or_else(|| accepted_line(&fp));
            (fp, line)
        })
        .collect();
    let today = today();
    // Written as the reports show them: a path that holds another finding's secret is
    // masked there too (the filter matches such an entry to the paths it stands for).
    let shown = emitter.findings(outcome.findings.clone());
    let new = (shown.iter())
        .filter(|s| !entries.contains_key(&s.fingerprint))
        .map(|s| (s.fingerprint.clone(), line_for(s, &today)))
        .collect::<BTreeMap<_, _>>();
    let added = new.len();
    entries.extend(new);
    write(&target, &entries, &today)?;
    if !common.quiet {
        let text = format!(
            "wrote {} fingerprint(s) to {} ({added} new)",
            entries.len(),
            target.display()
        );
        eprintln!("leakhound: {}", emitter.line(&text));
    }
    let errors = crate::emit::Emitter::status(&outcome.diags, 0, 0);
    Ok(if errors == EXIT_CLEAN {
        EXIT_CLEAN
    } else {
        EXIT_ERROR
    })
}

/// The work tree of the repository `leakhound git` scans: where its `.leakhoundignore` lives.
fn repo_root(path: &Path) -> Result<PathBuf> {
    let repo = git2::Repository::discover(path)
        .with_context(|| format!("{}: not a git repository", path.display()))?;
    Ok(repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf())
}

fn target(common: &CommonArgs, root: &Path) -> PathBuf {
    common
        .output
        .clone()
        .unwrap_or_else(|| root.join(IGNORE_FILE))
}

/// The current file's lines by fingerprint, so kept entries keep their comments and dates.
fn existing_lines(path: &Path) -> HashMap<String, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    text.lines()
        .filter_map(|line| {
            let (fp, _) = split_entry(line);
            (!fp.is_empty()).then(|| (fp, line.trim_end().to_string()))
        })
        .collect()
}

/// A kept entry from a baseline that had no comment for it (a JSON report).
/// Kept entries matched a finding, so they are well formed; anything else is named whole.
fn accepted_line(fp: &str) -> String {
    let (rule, path) = split_fingerprint(fp).map_or((fp, ""), |(rule, path, _)| (rule, path));
    let path = path.replace(['\n', '\r'], " ");
    format!("{}  # {rule}, {path}, accepted earlier", escape_entry(fp))
}

/// The entry for a new finding, redacted: its fingerprint, and a comment.
fn line_for(f: &Finding, today: &str) -> String {
    let commit = f
        .commit
        .as_deref()
        .map(|c| format!(", commit {}", &c.id[..c.id.len().min(12)]))
        .unwrap_or_default();
    let path = f.named_path().replace(['\n', '\r'], " ");
    format!(
        "{}  # {}, {path}:{}{commit}, {today}",
        escape_entry(&f.fingerprint),
        f.rule_id,
        f.location.line
    )
}

fn write(path: &Path, entries: &BTreeMap<String, String>, today: &str) -> Result<()> {
    let mut text = format!(
        "# leakhound baseline, written {today} by `leakhound baseline`: findings accepted as they\n\
         # are. One fingerprint (rule:path:hash of the secret) per line; a new secret still fails.\n"
    );
    for line in entries.values() {
        text += line;
        text.push('\n');
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Today's UTC date, `YYYY-MM-DD`.
fn today() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    crate::source::git::rfc3339(now, 0)[..10].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_line_names_rule_and_path() {
        assert_eq!(
            accepted_line("aws-access-key-id:src/a:b.py:0123456789abcdef"),
            "aws-access-key-id:src/a:b.py:0123456789abcdef  # aws-access-key-id, src/a:b.py, accepted earlier"
        );
    }
}
