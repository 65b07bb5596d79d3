//! `--staged`: exactly what `git commit` would record now, for the pre-commit hook. The index
//! is diffed against HEAD's tree (against nothing before the first commit) and only the lines
//! the index adds are reported; edits not yet staged are in the work tree, not the index, so
//! they are not seen. No history is walked: the cost is the staged change and nothing else.

use anyhow::{Context, Result};
use git2::{ErrorCode, Repository};

use super::Sink;
use super::diff;
use super::range::offer_change;

pub fn scan_staged(repo: &Repository, sink: &impl Sink) -> Result<()> {
    let index = repo
        .index()
        .context("cannot read the index (a bare repository has none)")?;
    let head = match repo.head() {
        Ok(head) => Some(head.peel_to_tree().context("HEAD does not name a tree")?),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
        Err(e) => return Err(e).context("cannot read HEAD"),
    };
    let mut opts = diff::options(sink.max_read());
    let mut staged = repo
        .diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut opts))
        .context("cannot diff the index against HEAD")?;
    let odb = repo.odb()?;
    for (path, change) in diff::changes(&mut staged, sink) {
        offer_change(&odb, path, change, None, sink);
    }
    Ok(())
}
