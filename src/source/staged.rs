//! `--staged`: exactly what `git commit` would record now, for the pre-commit hook. The index
//! is diffed against HEAD's tree (against nothing before the first commit) and only the lines
//! the index adds are reported; edits not yet staged are in the work tree, not the index, so
//! they are not seen. No history is walked: the cost is the staged change and nothing else.
//!
//! The index is the one git is committing: `GIT_INDEX_FILE` when git set it (a partial commit,
//! `git commit -- file`, stages into a temporary index), `.git/index` otherwise. libgit2 diffs
//! a tree to an index by reading every folder's tree, which in a repository of 10,000 files is
//! most of a pre-commit run; the `git` command skips unchanged folders by the index's cache
//! of tree ids. So the staged paths are asked of `git diff --cached` when `git` runs here, and
//! libgit2 diffs only those; without `git`, it diffs everything, as before. `git` is started as
//! soon as the repository is open ([`Listing::start`]), and the index is read and diffed
//! ([`read_staged`]) while the rules load on another thread (`run::git`): a pre-commit run no
//! longer waits for each in turn.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result};
use git2::{Diff, ErrorCode, Index, Oid, Repository, Tree};

use super::Sink;
use super::diff;
use super::git::{MODE_TREE, Refused, max_tree, read_within, tree_over_limit};
use super::range::offer_change;

/// The index git is committing (`GIT_INDEX_FILE` when git set it), and the staged paths `git
/// diff --cached` is listing for it (see the module): `None` when it could not be started.
pub struct Listing {
    index_file: Option<OsString>,
    git: Option<Child>,
}

impl Listing {
    /// Starts `git diff --cached` for the index git is committing.
    pub fn start(repo: &Repository) -> Listing {
        let index_file = std::env::var_os("GIT_INDEX_FILE");
        let git = list_staged(repo, index_file.as_deref());
        Listing { index_file, git }
    }

    /// The paths whose staged content differs from HEAD's (NUL-separated, so any file name
    /// survives); `None` when the command cannot say.
    fn paths(git: Option<Child>) -> Option<Vec<Vec<u8>>> {
        let out = git?.wait_with_output().ok()?;
        if !out.status.success() {
            return None;
        }
        Some(
            out.stdout
                .split(|&b| b == 0)
                .filter(|p| !p.is_empty())
                .map(<[u8]>::to_vec)
                .collect(),
        )
    }
}

/// What the index changes, read by [`read_staged`] for [`scan_staged`].
pub struct Staged<'r> {
    /// The index against HEAD; and, if a folder's tree in HEAD is over the limit, the staged
    /// files under it against nothing.
    diffs: Vec<Diff<'r>>,
    /// Those folders: path, tree, size.
    too_large: Vec<(Vec<u8>, Oid, usize)>,
}

/// The index diffed against HEAD, over the staged paths where `git` named them (`None`:
/// nothing is staged). It needs no rule: the caller reads it while the rules load, and
/// [`scan_staged`] then reads the changes.
///
/// libgit2 reads each of HEAD's folders on the way to a staged path whole, and a pack can
/// hold a tree of gigabytes in kilobytes (deltas). As in a history audit, no tree over
/// `max_tree` bytes is read: the staged files under such a folder are diffed against nothing,
/// so they are scanned whole (a secret HEAD already holds there is reported too), and a
/// warning names the folder. (Where `git` cannot list the staged paths, libgit2 diffs the
/// whole index against HEAD, reading every folder, as before.)
pub fn read_staged<'r>(
    repo: &'r Repository,
    listing: Listing,
    max_read: u64,
) -> Result<Option<Staged<'r>>> {
    let index = match &listing.index_file {
        Some(file) => Index::open(Path::new(file))
            .with_context(|| format!("cannot read the index {}", Path::new(file).display()))?,
        None => repo
            .index()
            .context("cannot read the index (a bare repository has none)")?,
    };
    // HEAD's tree by id: a commit names it without reading it.
    let head = match repo.head() {
        Ok(head) => Some(match head.peel_to_commit() {
            Ok(commit) => commit.tree_id(),
            Err(_) => (head.peel_to_tree().context("HEAD does not name a tree")?).id(),
        }),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
        Err(e) => return Err(e).context("cannot read HEAD"),
    };
    let Some(paths) = Listing::paths(listing.git) else {
        let head = head.map(|id| repo.find_tree(id)).transpose();
        let head = head.context("HEAD does not name a tree")?;
        let mut opts = diff::options(max_read);
        let staged = repo.diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut opts));
        let diffs = vec![staged.context("cannot diff the index against HEAD")?];
        let too_large = Vec::new();
        return Ok(Some(Staged { diffs, too_large }));
    };
    if paths.is_empty() {
        return Ok(None);
    }
    let max = max_tree(max_read);
    let folders = match head {
        Some(root) => Folders::read(repo, root, &paths, max)?,
        None => Folders::default(),
    };
    let (beyond, within): (Vec<_>, Vec<_>) = (paths.into_iter())
        .partition(|path| folders.too_large.iter().any(|(f, _, _)| is_under(path, f)));
    let mut diffs = Vec::new();
    for (paths, old) in [(within, folders.root.as_ref()), (beyond, None)] {
        if paths.is_empty() {
            continue;
        }
        let mut opts = diff::options(max_read);
        diff::only(&mut opts, paths);
        let staged = repo.diff_tree_to_index(old, Some(&index), Some(&mut opts));
        diffs.push(staged.context("cannot diff the index against HEAD")?);
    }
    let too_large = folders.too_large;
    Ok(Some(Staged { diffs, too_large }))
}

/// HEAD's folders on the way to the staged paths, read unless over the limit.
#[derive(Default)]
struct Folders<'r> {
    /// HEAD's root tree, unless it is over the limit.
    root: Option<Tree<'r>>,
    /// The folders whose tree is over the limit (the root's path is empty): path, tree, size.
    too_large: Vec<(Vec<u8>, Oid, usize)>,
}

impl<'r> Folders<'r> {
    /// Reads the trees of `root` that lead to `paths`, none over `max` bytes.
    fn read(repo: &'r Repository, root: Oid, paths: &[Vec<u8>], max: u64) -> Result<Folders<'r>> {
        let odb = repo.odb().context("cannot open the object database")?;
        let mut folders = Folders::default();
        let read = |id: Oid| read_within(&odb, id, max, || repo.find_tree(id));
        let mut trees: std::collections::HashMap<Vec<u8>, Tree<'r>> = Default::default();
        match read(root) {
            Ok(tree) => {
                folders.root = Some(tree.clone());
                trees.insert(Vec::new(), tree);
            }
            Err(Refused::TooLarge(size)) => folders.too_large.push((Vec::new(), root, size)),
            Err(Refused::Failed(e)) => return Err(e).context("cannot read HEAD's tree"),
        }
        for path in paths {
            // Each folder above the file, from the root down; one met already is not read again.
            let names: Vec<&[u8]> = path.split(|&b| b == b'/').collect();
            let mut parent: Vec<u8> = Vec::new();
            for &name in &names[..names.len() - 1] {
                let mut folder = parent.clone();
                if !folder.is_empty() {
                    folder.push(b'/');
                }
                folder.extend_from_slice(name);
                if !trees.contains_key(&folder) {
                    let entry = (trees.get(&parent))
                        .and_then(|tree| tree.get_name_bytes(name))
                        .map(|entry| (entry.id(), entry.filemode()));
                    // Not a folder in HEAD (a new one, or a file there): libgit2 reads no
                    // tree of HEAD below.
                    let Some((id, MODE_TREE)) = entry else { break };
                    match read(id) {
                        Ok(tree) => {
                            trees.insert(folder.clone(), tree);
                        }
                        Err(Refused::TooLarge(size)) => {
                            folders.too_large.push((folder, id, size));
                            break;
                        }
                        Err(Refused::Failed(e)) => {
                            return Err(e).context("cannot read a folder of HEAD's tree");
                        }
                    }
                }
                parent = folder;
            }
        }
        Ok(folders)
    }
}

/// Whether `path` is in `folder` (the root when empty).
fn is_under(path: &[u8], folder: &[u8]) -> bool {
    folder.is_empty()
        || path
            .strip_prefix(folder)
            .is_some_and(|rest| rest.first() == Some(&b'/'))
}

/// Offers what the staged changes add to the sink.
pub fn scan_staged(repo: &Repository, staged: Option<Staged<'_>>, sink: &impl Sink) -> Result<()> {
    let Some(staged) = staged else {
        return Ok(());
    };
    for (folder, tree, size) in &staged.too_large {
        let folder = String::from_utf8_lossy(folder);
        let why = tree_over_limit(*tree, *size, "HEAD");
        sink.diagnostics().warning(format!(
            "{folder}/: {why}; not read, the files staged under it were scanned whole"
        ));
    }
    let odb = repo.odb()?;
    for mut diff in staged.diffs {
        for (path, change) in diff::changes(&mut diff, sink) {
            offer_change(&odb, path, change, None, sink);
        }
    }
    Ok(())
}

/// `git diff --cached --name-only`, started: `None` when it cannot be.
fn list_staged(repo: &Repository, index_file: Option<&OsStr>) -> Option<Child> {
    let workdir = repo.workdir()?;
    let mut git = Command::new("git");
    git.arg("-C")
        .arg(workdir)
        .args(["diff", "--cached", "--name-only", "-z", "--no-renames"])
        .args(["--ignore-submodules=none", "--no-ext-diff", "--no-textconv"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(file) = index_file {
        // Relative to where git started the hook, which `-C` would otherwise move.
        git.env("GIT_INDEX_FILE", std::path::absolute(file).ok()?);
    }
    git.spawn().ok()
}
