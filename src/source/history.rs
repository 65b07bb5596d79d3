//! The full-history audit: every blob that any ref reaches is scanned exactly once.
//!
//! One thread walks the commit graph oldest first (topological, then by time) and, for each
//! commit, the parts of its tree not seen before: a subtree whose id was already walked holds
//! only blobs already met, so it is skipped whole. A blob met for the first time is therefore
//! met at the commit and path that introduced it; it is sent, with that commit and path, to
//! the scanning threads (rayon, each with its own `git2::Repository`, which is not `Sync`).
//! A secret that stays in a file for 100 commits is one finding, at the commit that added it.
//! Each commit's message goes to the scanners too, as text of its own, and after the commits
//! each annotated tag's message, and any tree or blob a ref names with no commit.
//! A blob met again under a path of another class (copied out of an allowlisted folder,
//! renamed from `deploy.txt` to `deployment.yaml`) is an appearance that can change the
//! verdict, so it is sent again: the sink reads and scans its bytes again only if the new path
//! changes what the engine does, and judges it there. Memory holds the ids of the trees walked
//! lately and of the blobs seen (with interned paths and path classes) and a bounded queue,
//! never the contents.

use std::sync::Arc;

use anyhow::{Context, Result};
use crossbeam_channel::{Sender, bounded};
use git2::{Oid, Repository};
use rayon::iter::{ParallelBridge, ParallelIterator};

use super::Sink;
use super::git::{
    MODE_GITLINK, MODE_SYMLINK, MODE_TREE, Refused, commit_info, join_path, max_tree, pool,
    read_blob, read_within, tag_info, tree_too_large,
};
use super::pack::{self, Packs, Want};
use super::tree::Tree;
use crate::blob::{BlobId, CommitInfo, MESSAGE_PATH, Origin, Skip, TAG_MESSAGE_PATH};

/// The walk's sets are looked up once per tree entry of every new tree: foldhash is several
/// times cheaper per lookup than the standard SipHash, and seeded per process, so paths a
/// repository chooses cannot be made to collide.
type HashMap<K, V> = foldhash::HashMap<K, V>;
type HashSet<T> = foldhash::HashSet<T>;

/// An object id as the walk's sets hold it: compared as bytes, where `git2::Oid`'s equality
/// is a call into libgit2 (a sixtieth of a history audit's CPU, in the sets' probing).
type RawId = [u8; 20];

fn raw(id: Oid) -> RawId {
    let mut raw = [0; 20];
    raw.copy_from_slice(id.as_bytes());
    raw
}

/// A blob to scan, or a commit's message, with where it appeared.
struct Job {
    what: Work,
    origin: Origin,
}

enum Work {
    /// A blob, and the one sent last at the same path (an earlier version of the file).
    Blob(Oid, Option<RawId>),
    Message(Vec<u8>),
}

/// How many blobs may wait between the walk and the scanners: enough to keep them busy,
/// small enough that memory does not grow with the repository.
const QUEUE: usize = 1024;

pub fn audit(repo: Repository, threads: usize, sink: &impl Sink) -> Result<()> {
    let git_dir = repo.path().to_path_buf();
    let pool = pool(threads)?;
    let (tx, rx) = bounded::<Job>(QUEUE);
    let packs = Packs::open(&git_dir);
    std::thread::scope(|s| {
        let packs = &packs;
        let walker = s.spawn(move || Walker::new(&repo, packs, threads, sink, tx)?.walk());
        pool.install(|| {
            rx.into_iter().par_bridge().for_each_init(
                || Repository::open(&git_dir),
                |repo, job| scan_job(repo, packs, job, sink),
            )
        });
        walker.join().expect("the walker does not panic")
    })
}

fn scan_job(repo: &mut Result<Repository, git2::Error>, packs: &Packs, job: Job, sink: &impl Sink) {
    let (blob, base) = match job.what {
        Work::Blob(blob, base) => (blob, base.map(BlobId)),
        Work::Message(text) => return sink.message(job.origin, &text),
    };
    let opened = match repo {
        Ok(repo) => repo.odb(),
        Err(e) => Err(git2::Error::from_str(e.message())),
    };
    let odb = match opened {
        Ok(odb) => odb,
        Err(e) => {
            let skip = Skip::Unreadable(format!("blob {blob}: {}", e.message()));
            return sink.skip(&job.origin, skip);
        }
    };
    let max = sink.max_read();
    sink.offer_revision(BlobId::from_oid(blob), job.origin, base, || {
        read_blob(&odb, Some(packs), blob, max)
    });
}

/// Paths met in the walk, each stored once, with the sink's class for it and the blob sent
/// last at it: the next one sent there is a new version of the file, and the lines the two
/// share were judged at this path already.
#[derive(Default)]
struct Paths {
    ids: HashMap<Arc<str>, u32>,
    names: Vec<Arc<str>>,
    classes: Vec<Option<u32>>,
    sent: Vec<Option<RawId>>,
}

impl Paths {
    /// The id of `path`, storing it on first sight only: the walk builds each path in one
    /// reused buffer, so a path met again costs a hash lookup, not an allocation.
    fn intern(&mut self, path: &str) -> u32 {
        if let Some(&id) = self.ids.get(path) {
            return id;
        }
        let id = self.names.len() as u32;
        let path: Arc<str> = path.into();
        self.ids.insert(path.clone(), id);
        self.names.push(path);
        self.classes.push(None);
        self.sent.push(None);
        id
    }
}

/// The longest path walked, in bytes: Linux's `PATH_MAX`, past which git cannot check a file
/// out. Longer names exist only to be hostile: a tree can name 2,000 entries of 50 kB each in
/// a pack of kilobytes (deltas), and every path walked is kept once, so they were 100 MB of
/// memory per such tree, and a folder nested 10,000 deep was gigabytes of paths.
const MAX_PATH: usize = 4096;

/// The most bytes of trees [`Walker::last`] keeps. A folder's tree is a few kilobytes, so
/// this is every folder of any real repository; a tree past it is not kept, and the next
/// version of its folder is walked entry by entry (each blob still sent once). Without it, a
/// history of many folders with large trees (delta-compressed to nothing in the pack) kept
/// them all.
const LAST_TREES_BYTES: usize = 64 << 20;

/// How many trees [`Recent`] holds in each generation: seven eighths of 65,536, as many as a
/// table of that many slots holds before it grows (1.6 MB).
const RECENT_TREES: usize = 57_344;

/// The trees walked lately, in two generations of at most [`RECENT_TREES`] each: when the
/// current one is full it becomes the old one, and the old one is dropped. A tree forgotten
/// and met again at the same place is walked again: its entries are compared with the last
/// tree at that path, and its blobs were sent already (`Walker::blobs`), so nothing is sent
/// twice; only the tree is read again. A set of every tree ever walked grew with the history
/// (311,000 trees, 13 MB and twice that while it grew, on a 60,000-commit history), and the
/// trees met again are nearly all recent: the other side of a merge, a revert.
#[derive(Default)]
struct Recent {
    current: HashSet<(RawId, u32)>,
    old: HashSet<(RawId, u32)>,
}

impl Recent {
    /// Adds a tree at a path; false if it was there (walked lately).
    fn insert(&mut self, tree: (RawId, u32)) -> bool {
        if self.current.contains(&tree) || self.old.contains(&tree) {
            return false;
        }
        if self.current.len() == RECENT_TREES {
            self.old = std::mem::replace(
                &mut self.current,
                HashSet::with_capacity_and_hasher(RECENT_TREES, Default::default()),
            );
        }
        self.current.insert(tree)
    }
}

struct Walker<'a, S> {
    repo: &'a Repository,
    packs: &'a Packs,
    /// Threads the commit graph is read with, before the scanning threads have work.
    threads: usize,
    sink: &'a S,
    tx: Sender<Job>,
    paths: Paths,
    /// Trees walked lately, by id and the path they were at: the same tree at the same place
    /// holds only appearances already sent (a merge brings back the other branch's folders).
    trees: Recent,
    /// Blobs sent, by id and path class.
    blobs: HashSet<(RawId, u32)>,
    /// The last tree walked at each folder path (by path id): an entry of a new tree that
    /// the last one already had (same name, id and mode) was handled then, at the same path,
    /// so it is passed over without building its path or looking it up. Most entries of a new
    /// tree are such: a commit changes a few files of a folder. One tree per folder path ever
    /// met, so its entries are bounded by the paths already interned in `paths` (a history
    /// that renames a folder again and again keeps each old folder's last tree, as `paths`
    /// keeps each old path).
    last: HashMap<u32, Tree>,
    /// The bytes of the trees in `last`, at most [`LAST_TREES_BYTES`].
    kept: usize,
    seq: u64,
    /// For the size of a tree too large to read.
    odb: git2::Odb<'a>,
}

impl<'a, S: Sink> Walker<'a, S> {
    fn new(
        repo: &'a Repository,
        packs: &'a Packs,
        threads: usize,
        sink: &'a S,
        tx: Sender<Job>,
    ) -> Result<Walker<'a, S>> {
        Ok(Walker {
            repo,
            packs,
            threads,
            sink,
            tx,
            paths: Paths::default(),
            trees: Recent::default(),
            blobs: HashSet::default(),
            last: HashMap::default(),
            kept: 0,
            seq: 0,
            odb: repo.odb().context("cannot open the object database")?,
        })
    }

    /// Every commit reachable from any ref and from HEAD, parents before children; then what
    /// the refs name besides commits ([`Named`]). A ref that names a missing object is
    /// reported, and the others are walked.
    fn walk(mut self) -> Result<()> {
        let diag = self.sink.diagnostics();
        let mut named = Named::default();
        for reference in self.repo.references().context("cannot list the refs")? {
            match reference {
                Ok(r) => self.peel(&r, &mut named),
                Err(e) => diag.error("refs", e.message()),
            }
        }
        // An unborn HEAD (no commit yet) has nothing to add.
        if let Ok(head) = self.repo.head().and_then(|h| h.peel_to_commit()) {
            named.tips.push(head.id());
        }
        let (packs, threads) = (self.packs, self.threads);
        for oid in super::graph::oldest_first(self.repo, packs, threads, &named.tips, diag) {
            self.commit(oid);
        }
        for (tag, info) in named.tags {
            self.tag(tag, &info);
        }
        for (tree, info) in named.trees {
            let seq = self.next_seq();
            self.tree(tree, &info, seq);
        }
        for (blob, name, info) in named.blobs {
            let seq = self.next_seq();
            let at = self.paths.intern(&name);
            self.blob(blob, at, &info, seq);
        }
        Ok(())
    }

    /// Follows one ref to the commit it names, through any annotated tags (each kept once for
    /// its message), or to the tree or blob a tag names instead.
    fn peel(&self, reference: &git2::Reference, named: &mut Named) {
        let name = String::from_utf8_lossy(reference.name_bytes()).into_owned();
        let fail = |e: git2::Error| {
            let message = format!("ref {name}: {}", e.message());
            self.sink.diagnostics().error("refs", message)
        };
        let mut oid = match reference.resolve() {
            Ok(direct) => match direct.target() {
                Some(oid) => oid,
                None => return,
            },
            Err(e) => return fail(e),
        };
        let mut via: Option<Arc<CommitInfo>> = None;
        loop {
            let object = match self.repo.find_object(oid, None) {
                Ok(object) => object,
                Err(e) => return fail(e),
            };
            let info = || via.clone().unwrap_or_else(|| bare_info(oid, &name));
            match object.kind() {
                Some(git2::ObjectType::Commit) => return named.tips.push(oid),
                Some(git2::ObjectType::Tag) => {
                    // A tag met through another ref was followed then.
                    if !named.seen_tags.insert(raw(oid)) {
                        return;
                    }
                    let tag = object.as_tag().expect("an object of kind tag is a tag");
                    let info = tag_info(tag);
                    named.tags.push((oid, info.clone()));
                    via = Some(info);
                    oid = tag.target_id();
                }
                Some(git2::ObjectType::Tree) => return named.trees.push((oid, info())),
                Some(git2::ObjectType::Blob) => {
                    let info = info();
                    return named.blobs.push((oid, name, info));
                }
                _ => return,
            }
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq - 1
    }

    fn commit(&mut self, oid: Oid) {
        let commit = match self.repo.find_commit(oid) {
            Ok(commit) => commit,
            Err(e) => {
                let what = format!("commit {oid}");
                return self.sink.diagnostics().error(what, e.message());
            }
        };
        let (tree, info) = (commit.tree_id(), commit_info(&commit));
        let seq = self.next_seq();
        self.sink.commit();
        self.message(
            origin(MESSAGE_PATH.into(), &info, seq),
            commit.message_bytes(),
        );
        drop(commit);
        self.tree(tree, &info, seq);
    }

    /// An annotated tag's message, after every commit; `info` was read while peeling.
    fn tag(&mut self, oid: Oid, info: &Arc<CommitInfo>) {
        let tag = match self.repo.find_tag(oid) {
            Ok(tag) => tag,
            Err(e) => {
                return self
                    .sink
                    .diagnostics()
                    .error(format!("tag {oid}"), e.message());
            }
        };
        let seq = self.next_seq();
        let origin = origin(TAG_MESSAGE_PATH.into(), info, seq);
        self.message(origin, tag.message_bytes().unwrap_or_default());
    }

    /// Sends a message to the scanners; one over the size limit is counted as too large
    /// here, without a copy of a hostile message.
    fn message(&self, origin: Origin, message: &[u8]) {
        if message.len() as u64 > self.sink.max_read() {
            self.sink.message(origin, message);
        } else {
            let _ = self.tx.send(Job {
                what: Work::Message(message.to_vec()),
                origin,
            });
        }
    }

    /// The part of a commit's tree not seen at the same place before; new appearances go to
    /// the scanners.
    fn tree(&mut self, root: Oid, commit: &Arc<CommitInfo>, seq: u64) {
        let mut stack = vec![(root, self.paths.intern(""))];
        let mut path = String::new();
        while let Some((id, at)) = stack.pop() {
            if !self.trees.insert((raw(id), at)) {
                continue;
            }
            let prefix = self.paths.names[at as usize].clone();
            let shown = || format!("{prefix}/");
            // A tree is read whole, unless it is over the limit.
            let tree = match self.read_tree(id) {
                Ok(tree) => tree,
                Err(Refused::TooLarge(size)) => {
                    let skip = tree_too_large(id, size, &commit.id);
                    self.sink.skip(&origin(shown().into(), commit, seq), skip);
                    continue;
                }
                Err(Refused::Failed(e)) => {
                    let at = if prefix.is_empty() { "/" } else { &prefix };
                    let what = format!("tree {id} ({at} in commit {})", commit.id);
                    self.sink.diagnostics().error(what, e.message());
                    continue;
                }
            };
            let last = self
                .last
                .remove(&at)
                .inspect(|tree| self.kept -= tree.len());
            let mut before = last.iter().flat_map(|t| t.iter()).peekable();
            let mut too_long = 0;
            for entry in tree.iter() {
                let mode = entry.filemode();
                if mode == MODE_SYMLINK {
                    continue;
                }
                // Entries are in git's order in both trees (`TreeEntry`'s `Ord` is libgit2's:
                // by name, a folder's read as if it ended in `/`); in a tree out of order
                // (hostile), an entry may not be found and is handled as new, never the other
                // way round.
                while before.next_if(|b| *b < entry).is_some() {}
                let unchanged = before.peek().is_some_and(|b| {
                    b.name_bytes() == entry.name_bytes()
                        && b.id_bytes() == entry.id_bytes()
                        && b.filemode() == mode
                });
                // A submodule is reported with each tree that holds it, as before.
                if unchanged && mode != MODE_GITLINK {
                    continue;
                }
                // Counted where new, like any entry: an unchanged one was counted then.
                if prefix.len() + 1 + entry.name_bytes().len() > MAX_PATH {
                    too_long += 1;
                    continue;
                }
                join_path(&mut path, &prefix, entry.name_bytes());
                match mode {
                    MODE_TREE => stack.push((entry.id(), self.paths.intern(&path))),
                    MODE_GITLINK => self
                        .sink
                        .skip(&origin(path.as_str().into(), commit, seq), Skip::Submodule),
                    _ => {
                        let at = self.paths.intern(&path);
                        self.blob(entry.id(), at, commit, seq);
                    }
                }
            }
            drop(before);
            if self.kept + tree.len() <= LAST_TREES_BYTES {
                self.kept += tree.len();
                self.last.insert(at, tree);
            }
            if too_long > 0 {
                let why = format!(
                    "{too_long} entries in commit {} have paths over {MAX_PATH} bytes, more than \
                     git can check out",
                    commit.id
                );
                let skip = Skip::Folder {
                    entries: too_long,
                    why,
                };
                self.sink.skip(&origin(shown().into(), commit, seq), skip);
            }
        }
    }

    /// Tree `id`, from the pack reader, else libgit2's bytes of it (a loose object), parsed
    /// here; only a tree neither parses is given to libgit2's own parser, which says why (or
    /// reads what this one refused).
    fn read_tree(&self, id: Oid) -> Result<Tree, Refused> {
        let max = max_tree(self.sink.max_read());
        let bytes = match self.packs.read(id, Want::Tree, max) {
            pack::Read::Found(bytes) => Some(bytes),
            pack::Read::TooLarge(size) => return Err(Refused::TooLarge(size as usize)),
            pack::Read::Elsewhere => match read_within(&self.odb, id, max, || self.odb.read(id)) {
                Ok(object) if object.kind() == git2::ObjectType::Tree => {
                    Some(Arc::new(object.data().to_vec()))
                }
                Ok(_) => None,
                Err(refused) => return Err(refused),
            },
        };
        if let Some(tree) = bytes.and_then(Tree::parse) {
            return Ok(tree);
        }
        read_within(&self.odb, id, max, || self.repo.find_tree(id)).map(|t| Tree::from_git(&t))
    }

    fn blob(&mut self, blob: Oid, id: u32, commit: &Arc<CommitInfo>, seq: u64) {
        let id = id as usize;
        let class = match self.paths.classes[id] {
            Some(class) => class,
            None => {
                let class = self.sink.path_class(&self.paths.names[id]);
                self.paths.classes[id] = Some(class);
                class
            }
        };
        if self.blobs.insert((raw(blob), class)) {
            let origin = origin(self.paths.names[id].clone(), commit, seq);
            let base = self.paths.sent[id].replace(raw(blob));
            // The scanners outlive the walk, so the queue cannot be closed under us.
            let _ = self.tx.send(Job {
                what: Work::Blob(blob, base),
                origin,
            });
        }
    }
}

/// What the refs name: the commits to walk from, and besides them the annotated tags (whose
/// messages are scanned after the commits) and the trees and blobs a tag or ref names
/// directly (git.git's `junio-gpg-pub` tags a blob), which no commit reaches.
#[derive(Default)]
struct Named {
    tips: Vec<Oid>,
    /// Each tag once, with what findings in its message name in the place of a commit.
    tags: Vec<(Oid, Arc<CommitInfo>)>,
    seen_tags: HashSet<RawId>,
    trees: Vec<(Oid, Arc<CommitInfo>)>,
    /// With the ref's name, the path a blob with no tree is reported at.
    blobs: Vec<(Oid, String, Arc<CommitInfo>)>,
}

/// What a finding names in the place of a commit for a tree or blob a ref names with no
/// tag: the object's id, and the ref's name as the summary.
fn bare_info(oid: Oid, reference: &str) -> Arc<CommitInfo> {
    Arc::new(CommitInfo {
        id: oid.to_string(),
        author: String::new(),
        email: String::new(),
        date: String::new(),
        summary: super::git::clip(reference.as_bytes()),
    })
}

fn origin(path: Arc<str>, commit: &Arc<CommitInfo>, seq: u64) -> Origin {
    Origin {
        path,
        commit: Some(commit.clone()),
        added: None,
        seq,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(n: usize) -> (RawId, u32) {
        let mut id = [0; 20];
        id[..8].copy_from_slice(&(n as u64).to_le_bytes());
        (id, (n % 7) as u32)
    }

    /// A tree is "walked lately" for at least one generation after it was added, and a tree
    /// never added is never taken for one walked: forgetting only costs a second reading.
    #[test]
    fn recent_trees_forget_only_what_is_old() {
        let mut recent = Recent::default();
        for n in 0..RECENT_TREES {
            assert!(recent.insert(tree(n)), "{n} is new");
        }
        assert!(!recent.insert(tree(0)) && !recent.insert(tree(RECENT_TREES - 1)));
        // The next generation starts; the first is still known until it ends.
        for n in RECENT_TREES..2 * RECENT_TREES {
            assert!(recent.insert(tree(n)), "{n} is new");
        }
        assert!(!recent.insert(tree(0)) && !recent.insert(tree(2 * RECENT_TREES - 1)));
        assert!(
            recent.insert(tree(2 * RECENT_TREES)),
            "a third generation starts"
        );
        assert!(recent.insert(tree(0)), "the first generation is forgotten");
        assert!(recent.current.len() + recent.old.len() <= 2 * RECENT_TREES);
        assert!(recent.current.capacity() <= RECENT_TREES && recent.old.capacity() <= RECENT_TREES);
    }
}
