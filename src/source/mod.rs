//! Sources walk something (a tree, a repository's history, a range of commits, the index) and
//! hand each blob they meet, with its [`Origin`], to a [`Sink`]. They know nothing of rules,
//! filters or reports: the sink decides whether a blob needs reading (it may have scanned the
//! same bytes already), counts what is skipped, and judges each appearance. Sources never
//! print; problems go to the sink's diagnostics.

pub mod files;
pub mod git;
pub mod history;
pub mod range;
pub mod staged;

mod ceiling;
mod diff;
mod graph;
mod pack;
mod paths;
mod tree;

use crate::blob::{BlobId, Origin, Skip};
use crate::diag::Diagnostics;

/// Where sources send what they find. Implemented by the
/// [`Pipeline`](crate::pipeline::Pipeline); a trait so that sources stay apart from it.
pub trait Sink: Sync {
    /// A number for everything the sink decides from a path: two paths with the same number
    /// get the same verdicts for the same bytes. A history walk uses it to keep only the
    /// appearances of a blob that could change a verdict.
    fn path_class(&self, path: &str) -> u32;

    /// One appearance of a blob whose id is known. `read` is called only if the sink has not
    /// scanned these bytes for this kind of path already; it returns the bytes, or why they
    /// could not be had.
    fn offer<B: AsRef<[u8]>>(
        &self,
        id: BlobId,
        origin: Origin,
        read: impl FnOnce() -> Result<B, Skip>,
    );

    /// [`Sink::offer`] for a blob a history walk met at a path where it sent `base` before
    /// (an earlier version of the file), so that only what this version changed need be
    /// searched; every blob of the walk comes here, `base` or not, to be compared with later.
    fn offer_revision<B: AsRef<[u8]>>(
        &self,
        id: BlobId,
        origin: Origin,
        base: Option<BlobId>,
        read: impl FnOnce() -> Result<B, Skip>,
    );

    /// One appearance of bytes already read (a file on disk): the id is computed from them,
    /// as git would keep them if the file is its commit message file.
    fn offer_bytes(&self, origin: Origin, bytes: &[u8]) {
        let bytes = crate::blob::message_kept(&origin.path, bytes);
        self.offer(BlobId::of(bytes), origin, || Ok(bytes));
    }

    /// A commit's full message, at `origin` (path [`MESSAGE_PATH`](crate::blob::MESSAGE_PATH),
    /// the commit): scanned as text of its own, never cached (each message is read once).
    fn message(&self, origin: Origin, text: &[u8]);

    /// Something met and not scanned (a submodule, a FIFO, a file over the size limit).
    fn skip(&self, origin: &Origin, skip: Skip);

    /// Whether paths like this are never reported (allowlisted, leakhound's own files), so
    /// a tree walk need not even read them.
    fn ignores_path(&self, path: &str) -> bool;

    /// A commit walked (for the summary and progress).
    fn commit(&self);

    /// Reads are capped here: `--max-file-size`.
    fn max_read(&self) -> u64;

    fn diagnostics(&self) -> &Diagnostics;
}
