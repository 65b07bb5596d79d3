//! Files on disk: a parallel walk with the `ignore` crate (the walker behind ripgrep), which
//! honours `.gitignore`/`.ignore`, never enters `.git`, and scans hidden files (`.env`,
//! `.npmrc`), where secrets like to hide. Symlinked directories are not followed, so a
//! symlink loop cannot hang the scan; a broken symlink is reported, not skipped silently. A
//! symlink met in the walk is followed only to a file inside the folder being scanned: one
//! committed as `notes.txt -> ~/.aws/credentials` or `-> /proc/self/environ` would otherwise
//! make a scan in CI read the runner's own secrets into its report.

use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use super::Sink;
use crate::blob::{Origin, Skip, archive, keystore, looks_binary, utf16_text};

pub struct FileSource {
    pub roots: Vec<PathBuf>,
    pub honour_ignore: bool,
    pub threads: usize,
}

impl FileSource {
    pub fn run(&self, sink: &impl Sink) {
        for root in self.distinct_roots() {
            let root = &root;
            if root.as_os_str() == "-" {
                scan_stdin(sink);
            } else if root.is_dir() {
                let hostile = (self.honour_ignore)
                    .then(|| root.ancestors().find_map(hostile_ignore_file))
                    .flatten();
                if let Some(why) = &hostile {
                    sink.diagnostics().warning(format!(
                        "{}: {why}; ignore rules were not applied and the tree was scanned whole",
                        slash_path(root)
                    ));
                }
                self.walk(root, root, self.honour_ignore && hostile.is_none(), sink);
                if self.honour_ignore {
                    tracked_but_ignored(root, sink);
                }
            } else {
                // A file named on the command line is read wherever it leads: the user chose it.
                scan_file(root, &slash_path(root), None, sink);
            }
        }
    }

    /// Walks `dir` (under `root`, which paths are shown relative to). A folder whose ignore
    /// file is not a regular file (a symlink to `/dev/zero` or a FIFO would make the walker
    /// read forever or block) or is absurdly large is walked again without ignore rules,
    /// with a warning: scanned whole rather than not at all.
    fn walk(&self, dir: &Path, root: &Path, honour_ignore: bool, sink: &impl Sink) {
        let inside = Inside::of(root);
        let inside = &inside;
        let hostile = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let found = hostile.clone();
        let walker = WalkBuilder::new(dir)
            .hidden(false)
            .git_ignore(honour_ignore)
            .git_global(honour_ignore)
            .git_exclude(honour_ignore)
            .ignore(honour_ignore)
            .parents(honour_ignore)
            .require_git(false)
            .follow_links(false)
            .threads(self.threads)
            .filter_entry(move |e| {
                if e.file_name() == ".git" {
                    return false;
                }
                let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                if honour_ignore
                    && is_dir
                    && let Some(why) = hostile_ignore_file(e.path())
                {
                    found
                        .lock()
                        .expect("no panics while holding")
                        .push((e.path().to_path_buf(), why));
                    return false;
                }
                true
            })
            .build_parallel();
        walker.run(|| {
            Box::new(move |entry| {
                match entry {
                    Ok(entry) if entry.file_type().is_some_and(|t| !t.is_dir()) => {
                        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
                        let link = entry.path_is_symlink().then_some(inside);
                        scan_file(entry.path(), &slash_path(rel), link, sink);
                    }
                    Ok(_) => {}
                    Err(err) => {
                        let at = error_path(&err).map_or_else(
                            || "walk".into(),
                            |p| slash_path(p.strip_prefix(root).unwrap_or(p)),
                        );
                        sink.skip(&Origin::file(at), Skip::Unreadable(err.to_string()));
                    }
                }
                WalkState::Continue
            })
        });
        let hostile = std::mem::take(&mut *hostile.lock().expect("no panics while holding"));
        for (folder, why) in hostile {
            let shown = slash_path(folder.strip_prefix(root).unwrap_or(&folder));
            sink.diagnostics().warning(format!(
                "{shown}: {why}; its ignore rules were not applied and the folder was scanned whole"
            ));
            self.walk(&folder, root, false, sink);
        }
    }
}

/// The folder a walk scans, resolved, to tell where a symlink in it leads.
struct Inside(Option<PathBuf>);

impl Inside {
    fn of(root: &Path) -> Inside {
        Inside(root.canonicalize().ok())
    }

    /// Whether the symlink at `link` resolves to somewhere outside the folder. A link that
    /// does not resolve (dangling, a loop) is left to the read, which reports it.
    fn leaves(&self, link: &Path) -> bool {
        match (&self.0, link.canonicalize()) {
            (Some(root), Ok(target)) => !target.starts_with(root),
            _ => false,
        }
    }
}

/// The largest ignore file read: real ones are a few KiB.
const MAX_IGNORE_FILE: u64 = 4 << 20;

/// Why the ignore files the walker would read in `dir` cannot be trusted, if they cannot.
fn hostile_ignore_file(dir: &Path) -> Option<String> {
    [".gitignore", ".ignore", ".git/info/exclude"]
        .iter()
        .find_map(|name| {
            let meta = std::fs::metadata(dir.join(name)).ok()?;
            if !meta.is_file() {
                Some(format!("{name} is not a regular file"))
            } else if meta.len() > MAX_IGNORE_FILE {
                Some(format!("{name} is {} bytes", meta.len()))
            } else {
                None
            }
        })
}

/// The path an error of the walk is about, if it names one.
fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        ignore::Error::Partial(errs) => errs.iter().find_map(error_path),
        _ => None,
    }
}

impl FileSource {
    /// The roots, without those inside a directory root given too (`scan d d/a.txt` scans
    /// `d/a.txt` once) or given twice.
    fn distinct_roots(&self) -> Vec<PathBuf> {
        // One `canonicalize` and one `is_dir` per root, then hash lookups of each root's
        // ancestors: `scan $(git ls-files)` may name tens of thousands of roots.
        let canonical: Vec<Option<PathBuf>> =
            self.roots.iter().map(|r| r.canonicalize().ok()).collect();
        let dirs: std::collections::HashSet<&Path> = (canonical.iter().flatten())
            .filter(|c| c.is_dir())
            .map(PathBuf::as_path)
            .collect();
        let mut seen = std::collections::HashSet::new();
        let mut kept = Vec::new();
        for (root, me) in self.roots.iter().zip(&canonical) {
            let inside_other = me.as_ref().is_some_and(|me| {
                !seen.insert(me.clone()) || me.ancestors().skip(1).any(|a| dirs.contains(a))
            });
            if !inside_other {
                kept.push(root.clone());
            }
        }
        kept
    }
}

/// Files that the git index tracks under `root` although `.gitignore` names them: a
/// force-added `.env` is committed, so it is exactly what must be scanned. The walk honoured
/// the ignore rules and passed them over; they are scanned here.
fn tracked_but_ignored(root: &Path, sink: &impl Sink) {
    let Ok(repo) = git2::Repository::discover(root) else {
        return;
    };
    let (Some(workdir), Ok(index)) = (repo.workdir(), repo.index()) else {
        return;
    };
    let (Ok(workdir), Ok(root_abs)) = (workdir.canonicalize(), root.canonicalize()) else {
        return;
    };
    let Ok(prefix) = root_abs.strip_prefix(&workdir) else {
        return;
    };
    let prefix = slash_path(prefix);
    let inside = Inside(Some(root_abs));
    for entry in index.iter() {
        let path = String::from_utf8_lossy(&entry.path).into_owned();
        let rel = match prefix.as_str() {
            "" => path.as_str(),
            p => match path.strip_prefix(p).and_then(|r| r.strip_prefix('/')) {
                Some(rel) => rel,
                None => continue,
            },
        };
        if repo.is_path_ignored(&path).unwrap_or(false) {
            let on_disk = root.join(rel);
            if let Ok(meta) = on_disk.symlink_metadata() {
                let link = meta.is_symlink().then_some(&inside);
                scan_file(&on_disk, rel, link, sink);
            }
        }
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
/// a FIFO, a device or `/dev/stdin` would block or never end. `link` is the scanned folder
/// when `path` is a symlink met in its walk: one leading out of it is not read.
fn scan_file(path: &Path, shown: &str, link: Option<&Inside>, sink: &impl Sink) {
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
        return (sink.diagnostics()).note_at(shown, "symlink to a directory, not followed");
    }
    if !meta.is_file() {
        return sink.skip(&origin, Skip::NotRegular);
    }
    // Only a regular file's link is resolved: directories and devices are judged above as
    // any link to them is, whatever folder they are in.
    if link.is_some_and(|inside| inside.leaves(path)) {
        return sink.skip(&origin, Skip::OutsideTree);
    }
    let max = sink.max_read();
    if meta.len() > max {
        return sink.skip(&origin, Skip::TooLarge(meta.len()));
    }
    BUFFER.with_borrow_mut(|bytes| {
        bytes.clear();
        match read_capped(path, max, meta.len(), bytes) {
            Ok(Content::Binary) => sink.skip(&origin, Skip::Binary),
            Ok(Content::Bytes) if bytes.len() as u64 > max => {
                sink.skip(&origin, Skip::TooLarge(bytes.len() as u64));
            }
            Ok(Content::Bytes) => sink.offer_bytes(origin, bytes),
            Err(err) => sink.skip(&origin, Skip::Unreadable(format!("cannot read: {err}"))),
        }
        if bytes.capacity() > KEEP {
            *bytes = Vec::new();
        }
    });
}

/// The most buffer capacity a walker thread keeps between files: nearly every source file
/// fits, and a thread holds no more than this once a large file is done.
const KEEP: usize = 4 << 20;

thread_local! {
    /// Each walker thread reads every file into one buffer. A new buffer per file cost page
    /// faults on fresh memory, the kernel zeroing it, and copies as it grew: a tenth of the
    /// CPU of a 1.9 GB tree scan, with reading.
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What [`read_capped`] found.
enum Content {
    /// The file's bytes are in the buffer.
    Bytes,
    /// NUL bytes in the first 8 KiB, and not UTF-16: the rest is not read.
    Binary,
}

/// Reads the file at `path` into `bytes`, with room made for the `size` its metadata gave,
/// so that it is read in one call (a file that grows meanwhile, or reports 0 as in `/proc`,
/// still reads to its end, up to `max` + 1 bytes).
fn read_capped(path: &Path, max: u64, size: u64, bytes: &mut Vec<u8>) -> std::io::Result<Content> {
    const HEAD: u64 = 8192;
    let room = |n: u64| usize::try_from(n).unwrap_or(0).saturating_add(1);
    let mut file = std::fs::File::open(path)?;
    bytes.reserve(room(size.min(HEAD)));
    (&mut file).take(HEAD).read_to_end(bytes)?;
    // Key stores and archives are binary but read whole: the scanner reports the one and
    // unpacks the other.
    if looks_binary(bytes)
        && utf16_text(bytes).is_none()
        && !keystore::maybe(bytes)
        && archive::sniff(bytes).is_none()
    {
        return Ok(Content::Binary);
    }
    // Room for the rest only now: of a binary file, only the head is ever read.
    bytes.reserve(room(size.min(max).saturating_sub(bytes.len() as u64)));
    file.take(max.saturating_add(1).saturating_sub(bytes.len() as u64))
        .read_to_end(bytes)?;
    Ok(Content::Bytes)
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
