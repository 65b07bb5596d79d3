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
use git2::{Diff, ErrorCode, Index, Repository};

use super::Sink;
use super::diff;
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

/// The index diffed against HEAD, over the staged paths where `git` named them (`None`:
/// nothing is staged). It needs no rule: the caller reads it while the rules load, and
/// [`scan_staged`] then reads the changes.
pub fn read_staged(repo: &Repository, listing: Listing, max_read: u64) -> Result<Option<Diff<'_>>> {
    let index = match &listing.index_file {
        Some(file) => Index::open(Path::new(file))
            .with_context(|| format!("cannot read the index {}", Path::new(file).display()))?,
        None => repo
            .index()
            .context("cannot read the index (a bare repository has none)")?,
    };
    let head = match repo.head() {
        Ok(head) => Some(head.peel_to_tree().context("HEAD does not name a tree")?),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
        Err(e) => return Err(e).context("cannot read HEAD"),
    };
    let mut opts = diff::options(max_read);
    if let Some(paths) = Listing::paths(listing.git) {
        if paths.is_empty() {
            return Ok(None);
        }
        diff::only(&mut opts, paths);
    }
    let staged = repo
        .diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut opts))
        .context("cannot diff the index against HEAD")?;
    Ok(Some(staged))
}

/// Offers what the staged changes add to the sink.
pub fn scan_staged(repo: &Repository, staged: Option<Diff<'_>>, sink: &impl Sink) -> Result<()> {
    let Some(mut staged) = staged else {
        return Ok(());
    };
    let odb = repo.odb()?;
    for (path, change) in diff::changes(&mut staged, sink) {
        offer_change(&odb, path, change, None, sink);
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
