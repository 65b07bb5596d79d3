//! `--range BASE..HEAD` and `--since REV`: the commits a pull request or a push adds, and of
//! them only the lines each commit adds. Each commit is diffed against its parent (the empty
//! tree for a root commit); a merge contributes only the lines that differ from all of its
//! parents, since the lines it takes from a side were added, and are reported, by that side's
//! own commits. Commits are diffed and scanned in parallel (each thread with its own
//! `git2::Repository`); a secret added twice in the range is reported at the older commit.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use git2::{Commit, Oid, Repository, Sort};
use rayon::iter::{IndexedParallelIterator, IntoParallelRefIterator, ParallelIterator};

use super::Collected;
use super::diff::{self, Changes};
use super::git::{FirstSeen, Shared, commit_info, pool, scan_change};
use crate::scan::Stats;

pub fn scan_range(repo: &Repository, spec: &str, sh: &Shared) -> Result<()> {
    if !spec.contains("..") || spec.contains("...") {
        bail!("--range wants BASE..HEAD (two dots), got {spec:?}");
    }
    let mut walk = repo.revwalk()?;
    walk.push_range(spec)
        .with_context(|| format!("cannot resolve the range {spec:?}"))?;
    scan_commits(repo, walk, sh)
}

pub fn scan_since(repo: &Repository, rev: &str, sh: &Shared) -> Result<()> {
    let base = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .with_context(|| format!("cannot resolve the revision {rev:?}"))?;
    let mut walk = repo.revwalk()?;
    walk.push_head().context("HEAD does not name a commit")?;
    walk.hide(base.id())?;
    scan_commits(repo, walk, sh)
}

fn scan_commits(repo: &Repository, mut walk: git2::Revwalk, sh: &Shared) -> Result<()> {
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)?;
    let oids: Vec<Oid> = walk
        .collect::<Result<_, _>>()
        .context("cannot walk the commits")?;
    let git_dir = repo.path().to_path_buf();
    let first = FirstSeen::default();
    pool(sh.threads)?.install(|| {
        oids.par_iter().enumerate().for_each_init(
            || Repository::open(&git_dir),
            |repo, (seq, &oid)| match repo {
                Ok(repo) => scan_commit(repo, oid, seq as u64, sh, &first),
                Err(e) => sh.out.error(format!("commit {oid}"), e.message()),
            },
        )
    });
    first.into_findings(sh.out);
    Ok(())
}

/// The lines one commit adds, scanned; findings go to `first` under the commit's position.
fn scan_commit(repo: &Repository, oid: Oid, seq: u64, sh: &Shared, first: &FirstSeen) {
    let (Some(commit), Ok(odb)) = (find_commit(repo, oid, sh.out), repo.odb()) else {
        return;
    };
    Stats::add(&sh.scanner.stats.commits, 1);
    let info = Arc::new(commit_info(&commit));
    for (path, change) in commit_changes(repo, &commit, sh) {
        let found = scan_change(&odb, path, change, Some(info.clone()), sh);
        first.offer(seq, found);
    }
}

fn find_commit<'r>(repo: &'r Repository, oid: Oid, out: &Collected) -> Option<Commit<'r>> {
    repo.find_commit(oid)
        .map_err(|e| out.error(format!("commit {oid}"), e.message()))
        .ok()
}

/// The lines one commit adds, per file.
fn commit_changes(repo: &Repository, commit: &Commit, sh: &Shared) -> Changes {
    let out = sh.out;
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
        let mut opts = diff::options(sh.scanner.max_file_size);
        match repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), Some(&mut opts)) {
            Ok(mut d) => per_parent.push(diff::changes(&mut d, sh)),
            Err(e) => out.error(what(), e.message()),
        }
    }
    diff::merge(per_parent)
}
