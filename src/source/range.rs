//! `--range BASE..HEAD` and `--since REV`: the commits a pull request or a push adds, and of
//! them only the lines each commit adds. Each commit is diffed against its parent (the empty
//! tree for a root commit); a merge contributes only the lines that differ from all of its
//! parents, since the lines it takes from a side were added, and are reported, by that side's
//! own commits. Commits are taken oldest first; ranges are small, so one thread does it.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use git2::{Commit, Oid, Repository, Sort};

use super::Collected;
use super::diff::{self, Changes};
use super::git::{FirstSeen, Tally, commit_info, scan_change};
use crate::scan::{AddedLines, Scanner, Stats};

pub fn scan_range(
    repo: &Repository,
    spec: &str,
    scanner: &Scanner,
    out: &Collected,
    tally: &Tally,
) -> Result<()> {
    if !spec.contains("..") || spec.contains("...") {
        bail!("--range wants BASE..HEAD (two dots), got {spec:?}");
    }
    let mut walk = repo.revwalk()?;
    walk.push_range(spec)
        .with_context(|| format!("cannot resolve the range {spec:?}"))?;
    scan_commits(repo, walk, scanner, out, tally)
}

pub fn scan_since(
    repo: &Repository,
    rev: &str,
    scanner: &Scanner,
    out: &Collected,
    tally: &Tally,
) -> Result<()> {
    let base = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .with_context(|| format!("cannot resolve the revision {rev:?}"))?;
    let mut walk = repo.revwalk()?;
    walk.push_head().context("HEAD does not name a commit")?;
    walk.hide(base.id())?;
    scan_commits(repo, walk, scanner, out, tally)
}

fn scan_commits(
    repo: &Repository,
    mut walk: git2::Revwalk,
    scanner: &Scanner,
    out: &Collected,
    tally: &Tally,
) -> Result<()> {
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)?;
    let odb = repo.odb()?;
    let first = FirstSeen::default();
    for (seq, oid) in walk.enumerate() {
        let oid = oid.context("cannot walk the commits")?;
        let Some(commit) = find_commit(repo, oid, out) else {
            continue;
        };
        Stats::add(&scanner.stats.commits, 1);
        let info = Arc::new(commit_info(&commit));
        for (path, change) in commit_changes(repo, &commit, scanner, out, tally) {
            let added = AddedLines(change.lines);
            let commit = Some(info.clone());
            let found = scan_change(
                &odb,
                change.blob,
                &path,
                commit,
                &added,
                scanner,
                out,
                tally,
            );
            first.offer(seq as u64, found);
        }
    }
    first.into_findings(out);
    Ok(())
}

fn find_commit<'r>(repo: &'r Repository, oid: Oid, out: &Collected) -> Option<Commit<'r>> {
    repo.find_commit(oid)
        .map_err(|e| out.error(format!("commit {oid}"), e.message()))
        .ok()
}

/// The lines one commit adds, per file.
fn commit_changes(
    repo: &Repository,
    commit: &Commit,
    scanner: &Scanner,
    out: &Collected,
    tally: &Tally,
) -> Changes {
    let what = || format!("commit {}", commit.id());
    let tree = match commit.tree() {
        Ok(tree) => tree,
        Err(e) => {
            out.error(what(), e.message());
            return Changes::new();
        }
    };
    let mut parents: Vec<Option<git2::Tree>> = Vec::new();
    for parent in commit.parents() {
        match parent.tree() {
            Ok(t) => parents.push(Some(t)),
            Err(e) => out.error(format!("{} (parent {})", what(), parent.id()), e.message()),
        }
    }
    if commit.parent_count() == 0 {
        parents.push(None);
    }
    let mut per_parent = Vec::new();
    for parent in &parents {
        let mut opts = diff::options(scanner.max_file_size);
        match repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), Some(&mut opts)) {
            Ok(mut d) => per_parent.push(diff::changes(&mut d, out, tally)),
            Err(e) => out.error(what(), e.message()),
        }
    }
    diff::merge(per_parent)
}
