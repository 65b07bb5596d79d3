//! The full-history audit: every blob that any ref reaches is scanned exactly once.
//!
//! One thread walks the commit graph oldest first (topological, then by time) and, for each
//! commit, the parts of its tree not seen before: a subtree whose id was already walked holds
//! only blobs already met, so it is skipped whole. A blob met for the first time is therefore
//! met at the commit and path that introduced it; it is sent, with that commit and path, to
//! the scanning threads (rayon, each with its own `git2::Repository`, which is not `Sync`).
//! A secret that stays in a file for 100 commits is one finding, at the commit that added it.
//! Memory holds the ids of the trees and blobs seen and a bounded queue, never the contents.
//! Each blob is scanned under the first path it had: a later copy under another name is the
//! same content and is not reported again.

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::{Context, Result};
use crossbeam_channel::{Sender, bounded};
use git2::{Oid, Repository, Sort};
use rayon::iter::{ParallelBridge, ParallelIterator};

use super::Collected;
use super::git::{
    FirstSeen, MODE_GITLINK, MODE_SYMLINK, MODE_TREE, Shared, commit_info, join_path, pool,
    read_blob,
};
use crate::blob::Origin;
use crate::finding::Finding;
use crate::scan::Stats;

/// A blob to scan, with where it first appeared.
struct Job {
    blob: Oid,
    path: String,
    commit: Oid,
    /// The commit's position in the walk, oldest first.
    seq: u64,
}

/// How many blobs may wait between the walk and the scanners: enough to keep them busy,
/// small enough that memory does not grow with the repository.
const QUEUE: usize = 1024;

pub fn audit(repo: Repository, sh: &Shared) -> Result<()> {
    let git_dir = repo.path().to_path_buf();
    let pool = pool(sh.threads)?;
    let (tx, rx) = bounded::<Job>(QUEUE);
    let first = FirstSeen::default();
    let walked = std::thread::scope(|s| {
        let walker = s.spawn(move || Walker::new(&repo, sh, tx).walk());
        pool.install(|| {
            rx.into_iter().par_bridge().for_each_init(
                || Repository::open(&git_dir),
                |repo, job| scan_job(repo, &job, sh, &first),
            )
        });
        walker.join().expect("the walker does not panic")
    });
    first.into_findings(sh.out);
    walked
}

fn scan_job(repo: &mut Result<Repository, git2::Error>, job: &Job, sh: &Shared, first: &FirstSeen) {
    let what = || format!("blob {} ({})", job.blob, job.path);
    let repo = match repo {
        Ok(repo) => &*repo,
        Err(e) => return sh.out.error(what(), e.message()),
    };
    let odb = match repo.odb() {
        Ok(odb) => odb,
        Err(e) => return sh.out.error(what(), e.message()),
    };
    let Some(object) = read_blob(&odb, job.blob, &job.path, sh) else {
        return;
    };
    let origin = Origin::file(job.path.as_str());
    if let Ok(mut found) = sh.scanner.scan_blob(&origin, object.data(), None)
        && !found.is_empty()
    {
        attribute(repo, job, &mut found, sh.out);
        first.offer(job.seq, found);
    }
    if Stats::get(&sh.scanner.stats.files).is_multiple_of(64) {
        sh.progress.update(&sh.scanner.stats);
    }
}

/// Sets the introducing commit on a blob's findings; looked up only for blobs with findings.
fn attribute(repo: &Repository, job: &Job, found: &mut [Finding], out: &Collected) {
    match repo.find_commit(job.commit) {
        Ok(commit) => {
            let info = Arc::new(commit_info(&commit));
            for finding in found {
                finding.commit = Some(info.clone());
            }
        }
        Err(e) => out.error(format!("commit {}", job.commit), e.message()),
    }
}

struct Walker<'a> {
    repo: &'a Repository,
    sh: &'a Shared<'a>,
    tx: Sender<Job>,
    trees: HashSet<Oid>,
    blobs: HashSet<Oid>,
    seq: u64,
}

impl<'a> Walker<'a> {
    fn new(repo: &'a Repository, sh: &'a Shared<'a>, tx: Sender<Job>) -> Walker<'a> {
        Walker {
            repo,
            sh,
            tx,
            trees: HashSet::new(),
            blobs: HashSet::new(),
            seq: 0,
        }
    }

    /// Every commit reachable from any ref and from HEAD, parents before children.
    fn walk(mut self) -> Result<()> {
        let mut revwalk = self.repo.revwalk()?;
        revwalk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)?;
        revwalk.push_glob("*").context("cannot list the refs")?;
        // An unborn HEAD (no commit yet) has nothing to push.
        let _ = revwalk.push_head();
        for oid in revwalk {
            match oid {
                Ok(oid) => self.commit(oid),
                Err(e) => {
                    self.sh.out.error("commit graph", e.message());
                    break;
                }
            }
        }
        self.sh.progress.update(&self.sh.scanner.stats);
        Ok(())
    }

    fn commit(&mut self, oid: Oid) {
        let tree = match self.repo.find_commit(oid) {
            Ok(commit) => commit.tree_id(),
            Err(e) => return self.sh.out.error(format!("commit {oid}"), e.message()),
        };
        let seq = self.seq;
        self.seq += 1;
        Stats::add(&self.sh.scanner.stats.commits, 1);
        if seq.is_multiple_of(64) {
            self.sh.progress.update(&self.sh.scanner.stats);
        }
        self.tree(tree, oid, seq);
    }

    /// The part of a commit's tree not seen before; new blobs go to the scanners.
    fn tree(&mut self, root: Oid, commit: Oid, seq: u64) {
        let mut stack = vec![(root, String::new())];
        while let Some((id, prefix)) = stack.pop() {
            if !self.trees.insert(id) {
                continue;
            }
            let tree = match self.repo.find_tree(id) {
                Ok(tree) => tree,
                Err(e) => {
                    let at = if prefix.is_empty() { "/" } else { &prefix };
                    let what = format!("tree {id} ({at} in commit {commit})");
                    self.sh.out.error(what, e.message());
                    continue;
                }
            };
            for entry in tree.iter() {
                let path = join_path(&prefix, entry.name_bytes());
                match entry.filemode() {
                    MODE_TREE => stack.push((entry.id(), path)),
                    MODE_GITLINK => self.sh.tally.submodule(&path),
                    MODE_SYMLINK => {}
                    _ => self.blob(Job {
                        blob: entry.id(),
                        path,
                        commit,
                        seq,
                    }),
                }
            }
        }
    }

    fn blob(&mut self, job: Job) {
        if self.blobs.insert(job.blob) {
            // The scanners outlive the walk, so the queue cannot be closed under us.
            let _ = self.tx.send(job);
        }
    }
}
