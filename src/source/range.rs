//! `--range BASE..HEAD` and `--since REV`: the commits a pull request or a push adds, and of
//! them only the lines each commit adds. Each commit is diffed against its parent (the empty
//! tree for a root commit); a merge contributes only the lines that differ from all of its
//! parents, since the lines it takes from a side were added, and are reported, by that side's
//! own commits. Commits are diffed and scanned in parallel (each thread with its own
//! `git2::Repository`); a secret added twice in the range is reported at the older commit.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use git2::{Commit, Odb, Oid, Repository, Sort};
use rayon::iter::{IndexedParallelIterator, IntoParallelRefIterator, ParallelIterator};

use super::Sink;
use super::diff::{self, Change, Changes};
use super::git::{commit_info, max_tree, pool, read_blob, tree_too_large};
use crate::blob::{AddedLines, BlobId, CommitInfo, MESSAGE_PATH, Origin};

pub fn scan_range(repo: &Repository, spec: &str, threads: usize, sink: &impl Sink) -> Result<()> {
    if !spec.contains("..") || spec.contains("...") {
        bail!("--range wants BASE..HEAD (two dots), got {spec:?}");
    }
    let mut walk = repo.revwalk()?;
    walk.push_range(spec)
        .with_context(|| format!("cannot resolve the range {spec:?}"))?;
    let before = sink.diagnostics().has_errors();
    let scanned = scan_commits(repo, walk, threads, sink)?;
    if scanned == 0 && !before {
        sink.diagnostics().warning(format!(
            "the range {spec} holds no commits (BASE..HEAD: is it the wrong way round?)"
        ));
    }
    Ok(())
}

pub fn scan_since(repo: &Repository, rev: &str, threads: usize, sink: &impl Sink) -> Result<()> {
    let base = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .with_context(|| format!("cannot resolve the revision {rev:?}"))?;
    let mut walk = repo.revwalk()?;
    walk.push_head().context("HEAD does not name a commit")?;
    walk.hide(base.id())?;
    scan_commits(repo, walk, threads, sink).map(drop)
}

/// The commits `head` reaches that no ref pointing elsewhere reaches: for a force-push, what
/// it made reachable. With no other ref, that is the whole history.
pub fn scan_new(repo: &Repository, head: &str, threads: usize, sink: &impl Sink) -> Result<()> {
    let head = repo
        .revparse_single(head)
        .and_then(|o| o.peel_to_commit())
        .with_context(|| format!("cannot resolve the commit {head:?}"))?;
    let mut walk = repo.revwalk()?;
    walk.push(head.id())?;
    let mut hidden = 0;
    for reference in repo.references()?.flatten() {
        if let Ok(commit) = reference.peel_to_commit()
            && commit.id() != head.id()
            && walk.hide(commit.id()).is_ok()
        {
            hidden += 1;
        }
    }
    sink.diagnostics().warning(format!(
        "the commit before the push is not in the checkout (a force-push?): scanning the commits {} reaches that {hidden} other ref(s) do not",
        head.id()
    ));
    scan_commits(repo, walk, threads, sink).map(drop)
}

/// Scans the walk's commits; returns how many there were.
fn scan_commits(
    repo: &Repository,
    mut walk: git2::Revwalk,
    threads: usize,
    sink: &impl Sink,
) -> Result<usize> {
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)?;
    let oids: Vec<Oid> = walk
        .collect::<Result<_, _>>()
        .context("cannot walk the commits")?;
    let git_dir = repo.path().to_path_buf();
    pool(threads)?.install(|| {
        oids.par_iter().enumerate().for_each_init(
            || Repository::open(&git_dir),
            |repo, (seq, &oid)| match repo {
                Ok(repo) => scan_commit(repo, oid, seq as u64, sink),
                Err(e) => sink
                    .diagnostics()
                    .error(format!("commit {oid}"), e.message()),
            },
        )
    });
    Ok(oids.len())
}

/// The lines one commit adds, offered as appearances at the commit's position.
fn scan_commit(repo: &Repository, oid: Oid, seq: u64, sink: &impl Sink) {
    let commit = match repo.find_commit(oid) {
        Ok(commit) => commit,
        Err(e) => {
            return sink
                .diagnostics()
                .error(format!("commit {oid}"), e.message());
        }
    };
    let Ok(odb) = repo.odb() else { return };
    sink.commit();
    let info = commit_info(&commit);
    let at = (info.clone(), seq);
    for (path, change) in commit_changes(repo, &commit, &at, sink) {
        offer_change(&odb, path, change, Some(at.clone()), sink);
    }
    // The message is new with the commit: all of it is reported, as a new file's lines are.
    let origin = Origin {
        path: MESSAGE_PATH.into(),
        commit: Some(info),
        added: None,
        seq,
    };
    sink.message(origin, commit.message_bytes());
}

/// Offers one changed file: only the lines the change adds are reported.
pub fn offer_change(
    odb: &Odb<'_>,
    path: String,
    change: Change,
    commit: Option<(Arc<CommitInfo>, u64)>,
    sink: &impl Sink,
) {
    let (commit, seq) = commit.map_or((None, 0), |(c, s)| (Some(c), s));
    let origin = Origin {
        path: path.into(),
        commit,
        added: Some(Arc::new(AddedLines(change.lines))),
        seq,
    };
    let max = sink.max_read();
    sink.offer(BlobId::from_oid(change.blob), origin, || {
        read_blob(odb, None, change.blob, max)
    });
}

/// The lines one commit adds, per file. No tree over the size limit is read ([`max_tree`]):
/// such a folder is counted and said, and the rest of the commit is scanned.
fn commit_changes(
    repo: &Repository,
    commit: &Commit,
    at: &(Arc<CommitInfo>, u64),
    sink: &impl Sink,
) -> Changes {
    let diag = sink.diagnostics();
    let what = || format!("commit {}", commit.id());
    let mut parents: Vec<Option<Commit>> = commit.parents().map(Some).collect();
    if parents.is_empty() {
        parents.push(None);
    }
    let max = max_tree(sink.max_read());
    // A folder too large is said once, however many parents show it.
    let mut said = std::collections::HashSet::new();
    // Read once for every parent (a merge), and only if some parent needs a diff.
    let mut new: Option<git2::Tree> = None;
    let mut per_parent = Vec::new();
    for parent in &parents {
        let old = parent.as_ref().map(Commit::tree_id);
        let mut opts = diff::options(sink.max_read());
        // Only the changed paths, exactly: libgit2 then reads only the folders leading to
        // them (see `paths`). If the trees cannot be compared, libgit2 diffs them whole and
        // says why.
        if let Ok(changed) = super::paths::changed(repo, old, commit.tree_id(), max) {
            for (folder, tree, size) in changed.too_large {
                if said.insert(tree) {
                    let path = format!("{}/", String::from_utf8_lossy(&folder));
                    let origin = Origin {
                        path: path.into(),
                        commit: Some(at.0.clone()),
                        added: None,
                        seq: at.1,
                    };
                    sink.skip(&origin, tree_too_large(tree, size, &at.0.id));
                }
            }
            if changed.paths.is_empty() {
                per_parent.push(diff::Changes::new());
                continue;
            }
            diff::only(&mut opts, changed.paths);
        }
        let new = match &mut new {
            Some(tree) => &*tree,
            empty => match commit.tree() {
                Ok(tree) => &*empty.insert(tree),
                Err(e) => {
                    diag.error(what(), e.message());
                    break;
                }
            },
        };
        let diffed = (parent.as_ref().map(Commit::tree).transpose())
            .and_then(|old| repo.diff_tree_to_tree(old.as_ref(), Some(new), Some(&mut opts)));
        match diffed {
            Ok(mut d) => per_parent.push(diff::changes(&mut d, sink)),
            Err(e) => diag.error(what(), e.message()),
        }
    }
    diff::merge(per_parent)
}
