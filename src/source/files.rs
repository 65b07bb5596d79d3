//! Files on disk: a parallel walk with the `ignore` crate (the walker behind ripgrep), which
//! honours `.gitignore`/`.ignore`, never enters `.git`, and scans hidden files (`.env`,
//! `.npmrc`), where secrets like to hide. Symlinked directories are not followed, so a
//! symlink loop cannot hang the scan; a broken symlink is reported, not skipped silently.

use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use super::Collected;
use super::progress::Progress;
use crate::blob::Origin;
use crate::scan::{Scanner, Stats};

pub struct FileSource {
    pub roots: Vec<PathBuf>,
    pub honour_ignore: bool,
    pub threads: usize,
    pub progress: Progress,
}

/// How many files pass between progress updates: often enough to move, rarely enough to cost
/// nothing.
const PROGRESS_EVERY: u64 = 64;

impl FileSource {
    pub fn run(&self, scanner: &Scanner, out: &Collected) {
        for root in &self.roots {
            if root.as_os_str() == "-" {
                scan_stdin(scanner, out);
            } else if root.is_dir() {
                self.walk(root, scanner, out);
                self.progress.finish();
            } else {
                let shown = slash_path(root);
                scan_file(root, &shown, scanner, out);
            }
        }
    }

    fn walk(&self, root: &Path, scanner: &Scanner, out: &Collected) {
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
                    Ok(entry) => {
                        let is_file = entry
                            .file_type()
                            .is_some_and(|t| t.is_file() || t.is_symlink());
                        if is_file {
                            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
                            scan_file(entry.path(), &slash_path(rel), scanner, out);
                            if Stats::get(&scanner.stats.files).is_multiple_of(PROGRESS_EVERY) {
                                self.progress.update(&scanner.stats);
                            }
                        }
                    }
                    Err(err) => out.error("walk", err.to_string()),
                }
                WalkState::Continue
            })
        });
    }
}

/// A path as findings show it: relative, `/`-separated, lossy for non-UTF-8 names.
pub fn slash_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

fn scan_file(path: &Path, shown: &str, scanner: &Scanner, out: &Collected) {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(err) => return unreadable(shown, &err, scanner, out),
    };
    if meta.is_dir() {
        // A symlink to a directory: not followed, so loops cannot form.
        return out.note(format!("{shown}: symlink to a directory, not followed"));
    }
    if scanner.too_large(meta.len()) {
        return out.note(format!(
            "{shown}: skipped, {} bytes is over --max-file-size",
            meta.len()
        ));
    }
    match std::fs::read(path) {
        Ok(bytes) => {
            if let Ok(found) = scanner.scan_blob(&Origin::file(shown), &bytes, None) {
                out.findings(found);
            }
        }
        Err(err) => unreadable(shown, &err, scanner, out),
    }
}

fn unreadable(shown: &str, err: &std::io::Error, scanner: &Scanner, out: &Collected) {
    Stats::add(&scanner.stats.unreadable, 1);
    out.error(shown, format!("cannot read: {err}"));
}

fn scan_stdin(scanner: &Scanner, out: &Collected) {
    let mut bytes = Vec::new();
    let limit = scanner.max_file_size.saturating_add(1);
    match std::io::stdin().lock().take(limit).read_to_end(&mut bytes) {
        Ok(_) => {
            if let Ok(found) = scanner.scan_blob(&Origin::file("-"), &bytes, None) {
                out.findings(found);
            }
        }
        Err(err) => unreadable("-", &err, scanner, out),
    }
}
