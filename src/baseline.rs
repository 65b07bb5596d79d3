//! `leakhound baseline scan|git`: accept what is there today so that a scan fails only on new
//! secrets. It runs the scan, then writes every finding's fingerprint to `.leakhoundignore` at
//! the scan root (or `-o FILE`), one per line with a comment saying what it was. Entries of the
//! existing file (or of `--baseline`) that still suppress something are kept with their
//! comments; entries that match nothing any more are dropped.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

use crate::app;
use crate::cli::{BaselineArgs, BaselineCommand, CommonArgs};
use crate::config::IGNORE_FILE;
use crate::finding::Finding;

pub fn run(args: &BaselineArgs) -> Result<u8> {
    let start = Instant::now();
    let (common, root, (scanner, collected)) = match &args.command {
        BaselineCommand::Scan(a) => (&a.common, app::scan_root(&a.paths), app::file_scan(a)?),
        BaselineCommand::Git(a) => (&a.common, repo_root(&a.repo)?, app::git_scan(a)?),
    };
    let kept = scanner.filter.used();
    let outcome = app::outcome(&scanner, collected, start);
    for err in &outcome.errors {
        eprintln!("leakhound: warning: {err}");
    }
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
    let new = outcome
        .findings
        .iter()
        .filter(|f| !entries.contains_key(&f.fingerprint))
        .map(|f| (f.fingerprint.clone(), line_for(f, &today)))
        .collect::<BTreeMap<_, _>>();
    let added = new.len();
    entries.extend(new);
    write(&target, &entries, &today)?;
    if !common.quiet {
        eprintln!(
            "leakhound: wrote {} fingerprint(s) to {} ({added} new)",
            entries.len(),
            target.display()
        );
    }
    Ok(if outcome.errors.is_empty() {
        app::EXIT_CLEAN
    } else {
        app::EXIT_ERROR
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
            let fp = line.split('#').next().unwrap_or("").trim();
            (!fp.is_empty()).then(|| (fp.to_string(), line.trim_end().to_string()))
        })
        .collect()
}

/// A kept entry from a baseline that had no comment for it (a JSON report).
fn accepted_line(fp: &str) -> String {
    let mut parts = fp.splitn(2, ':');
    let rule = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("");
    let path = rest.rsplit_once(':').map_or(rest, |(p, _)| p);
    format!("{fp}  # {rule}, {path}, accepted earlier")
}

fn line_for(f: &Finding, today: &str) -> String {
    let commit = f
        .commit
        .as_deref()
        .map(|c| format!(", commit {}", &c.id[..c.id.len().min(12)]))
        .unwrap_or_default();
    format!(
        "{}  # {}, {}:{}{commit}, {today}",
        f.fingerprint, f.rule_id, f.path, f.location.line
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
