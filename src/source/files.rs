//! Files on disk: a parallel walk with the `ignore` crate (the walker behind ripgrep), which
//! honours `.gitignore`/`.ignore`, never enters `.git`, and scans hidden files (`.env`,
//! `.npmrc`), where secrets like to hide. Symlinked directories are not followed, so a
//! symlink loop cannot hang the scan; a broken symlink is reported, not skipped silently.

use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use super::Sink;
use crate::blob::{Origin, Skip};

pub struct FileSource {
    pub roots: Vec<PathBuf>,
    pub honour_ignore: bool,
    pub threads: usize,
}

impl FileSource {
    pub fn run(&self, sink: &impl Sink) {
        for root in &self.roots {
            if root.as_os_str() == "-" {
                scan_stdin(sink);
            } else if root.is_dir() {
                self.walk(root, sink);
            } else {
                scan_file(root, &slash_path(root), sink);
            }
        }
    }

    fn walk(&self, root: &Path, sink: &impl Sink) {
        let walker = WalkBuilder::new(root)
            .hidden(false)
            .git_ignore(self.honour_ignore)
            .git_global(self.honour_ignore)
            .git_exclude(self.honour_ignore)
            .ignore(self.honour_ignore)
            .parents(self.honour_ignore)
            .require_git(false)
            .follow_links(false)
            .threads(self.threads)
            .filter_entry(|e| e.file_name() != ".git")
            .build_parallel();
        walker.run(|| {
            Box::new(move |entry| {
                match entry {
                    Ok(entry) if entry.file_type().is_some_and(|t| !t.is_dir()) => {
                        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
                        scan_file(entry.path(), &slash_path(rel), sink);
                    }
                    Ok(_) => {}
                    Err(err) => sink.diagnostics().error("walk", err.to_string()),
                }
                WalkState::Continue
            })
        });
    }
}

/// A path as findings show it: relative, `/`-separated, lossy for non-UTF-8 names.
pub fn slash_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    // Only Windows separates with `\`; on Unix it is a character of the name.
    let s = if cfg!(windows) {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    };
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Reads one file, never more than `--max-file-size` + 1 bytes (files grow while they are
/// read, and `/proc` reports sizes of 0), and never anything but a regular file: a symlink to
/// a FIFO, a device or `/dev/stdin` would block or never end.
fn scan_file(path: &Path, shown: &str, sink: &impl Sink) {
    if sink.ignores_path(shown) {
        return;
    }
    let origin = Origin::file(shown);
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(err) => return sink.skip(&origin, Skip::Unreadable(format!("cannot read: {err}"))),
    };
    if meta.is_dir() {
        // A symlink to a directory: not followed, so loops cannot form.
        let note = format!("{shown}: symlink to a directory, not followed");
        return sink.diagnostics().note(note);
    }
    if !meta.is_file() {
        return sink.skip(&origin, Skip::NotRegular);
    }
    let max = sink.max_read();
    if meta.len() > max {
        return sink.skip(&origin, Skip::TooLarge(meta.len()));
    }
    match read_capped(path, max) {
        Ok(bytes) if bytes.len() as u64 > max => {
            sink.skip(&origin, Skip::TooLarge(bytes.len() as u64));
        }
        Ok(bytes) => sink.offer_bytes(origin, &bytes),
        Err(err) => sink.skip(&origin, Skip::Unreadable(format!("cannot read: {err}"))),
    }
}

fn read_capped(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn scan_stdin(sink: &impl Sink) {
    let origin = Origin::file("-");
    let mut bytes = Vec::new();
    let max = sink.max_read();
    match std::io::stdin()
        .lock()
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)
    {
        Ok(_) if bytes.len() as u64 > max => sink.skip(&origin, Skip::TooLarge(bytes.len() as u64)),
        Ok(_) => sink.offer_bytes(origin, &bytes),
        Err(err) => sink.skip(&origin, Skip::Unreadable(format!("cannot read: {err}"))),
    }
}
