//! Git repositories as a source: opening one, choosing what to scan (the full history, a range
//! of commits, or the staged changes), and the steps every mode shares: reading a blob with
//! its size checked first, skipping what is not content (submodules, symlinks, Git LFS
//! pointers) with a count, and describing the commit a finding belongs to.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use git2::{Commit, Odb, OdbObject, Oid, Repository};

use super::Collected;
use super::diff::Change;
use super::progress::{Progress, Show};
use crate::blob::{CommitInfo, Origin};
use crate::finding::Finding;
use crate::scan::{AddedLines, Scanner, Stats};

/// What `leakhound git` was asked to scan.
#[derive(Clone, Debug)]
pub enum Mode {
    /// Every commit reachable from any ref (and HEAD).
    Full,
    /// `BASE..HEAD`: the commits a pull request adds.
    Range(String),
    /// The commits after REV, up to HEAD.
    Since(String),
    /// The index against HEAD.
    Staged,
}

pub struct GitSource {
    pub repo: Repository,
    pub mode: Mode,
    pub threads: usize,
    pub progress: Show,
}

impl GitSource {
    /// Opens the repository at `path` (or the one containing it). Not finding one is an
    /// error for the user, not a warning: there is nothing to scan.
    pub fn open(path: &Path, mode: Mode, threads: usize, progress: Show) -> Result<GitSource> {
        let repo = match Repository::discover(path) {
            Ok(repo) => repo,
            Err(e) if e.code() == git2::ErrorCode::NotFound => {
                bail!("{}: not a git repository", path.display())
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot open {}", path.display()));
            }
        };
        Ok(GitSource {
            repo,
            mode,
            threads,
            progress,
        })
    }

    /// Where `.leakhound.toml` and `.leakhoundignore` are looked for: the work tree, or the
    /// repository folder itself when it is bare.
    pub fn root(&self) -> PathBuf {
        self.repo
            .workdir()
            .unwrap_or_else(|| self.repo.path())
            .to_path_buf()
    }

    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow() && !matches!(self.mode, Mode::Staged)
    }

    /// Scans what the mode selects. Problems with single objects are collected in `out`;
    /// an error here means the scan could not start (a bad range, a bare repository for
    /// `--staged`).
    pub fn run(self, scanner: &Scanner, out: &Collected) -> Result<()> {
        tune_libgit2();
        let sh = Shared {
            scanner,
            out,
            tally: Tally::default(),
            progress: Progress::new(self.progress),
            threads: self.threads,
        };
        let scanned = match &self.mode {
            Mode::Full => super::history::audit(self.repo, &sh),
            Mode::Range(spec) => super::range::scan_range(&self.repo, spec, &sh),
            Mode::Since(rev) => super::range::scan_since(&self.repo, rev, &sh),
            Mode::Staged => super::staged::scan_staged(&self.repo, &sh),
        };
        sh.progress.finish();
        sh.tally.notes(out);
        scanned
    }
}

/// What every part of a git scan shares: the scanner, where problems and findings go, the
/// count of what was passed over, and the progress display.
pub struct Shared<'a> {
    pub scanner: &'a Scanner,
    pub out: &'a Collected,
    pub tally: Tally,
    pub progress: Progress,
    pub threads: usize,
}

/// Every object is read about once, so libgit2's object cache only costs memory; and
/// re-hashing each object on read (SHA-1 with collision detection) costs as much as inflating
/// it, while a damaged object still fails to inflate and is reported.
fn tune_libgit2() {
    git2::opts::enable_caching(false);
    git2::opts::strict_hash_verification(false);
}

/// Worker threads for scanning; each opens its own `Repository`, which is not `Sync`.
pub fn pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")
}

/// Keeps, for each fingerprint (rule, path, secret), only the findings from the earliest
/// commit in walk order: a secret that stays in a file while other lines change lives in many
/// blobs, but it was introduced once. Holds findings only, never contents.
#[derive(Default)]
pub struct FirstSeen {
    by_fingerprint: Mutex<HashMap<String, (u64, Vec<Finding>)>>,
}

impl FirstSeen {
    /// Offers the findings of one blob met at walk position `seq`.
    pub fn offer(&self, seq: u64, found: Vec<Finding>) {
        let mut map = self.by_fingerprint.lock().expect("no panics while holding");
        for finding in found {
            match map.entry(finding.fingerprint.clone()) {
                Entry::Vacant(v) => {
                    v.insert((seq, vec![finding]));
                }
                Entry::Occupied(mut o) => {
                    let (first, kept) = o.get_mut();
                    if seq < *first {
                        *o.get_mut() = (seq, vec![finding]);
                    } else if seq == *first {
                        kept.push(finding);
                    }
                }
            }
        }
    }

    pub fn into_findings(self, out: &Collected) {
        let map = self
            .by_fingerprint
            .into_inner()
            .expect("no panics while holding");
        out.findings(map.into_values().flat_map(|(_, found)| found).collect());
    }
}

/// Entries that were met but deliberately not scanned, reported as notes.
#[derive(Default)]
pub struct Tally {
    /// Paths of submodules (gitlinks), however many commits they point at.
    submodules: Mutex<BTreeSet<String>>,
    pub lfs_pointers: AtomicU64,
}

impl Tally {
    pub fn submodule(&self, path: &str) {
        let mut paths = self.submodules.lock().expect("no panics while holding");
        if !paths.contains(path) {
            paths.insert(path.to_string());
        }
    }

    fn notes(&self, out: &Collected) {
        let paths = self.submodules.lock().expect("no panics while holding");
        if !paths.is_empty() {
            let list: Vec<&str> = paths.iter().map(String::as_str).collect();
            out.note(format!(
                "{} submodule(s) not entered ({}): scan each submodule's own repository",
                list.len(),
                list.join(", ")
            ));
        }
        let lfs = self.lfs_pointers.load(Relaxed);
        if lfs > 0 {
            out.note(format!(
                "{lfs} Git LFS pointer file(s) not scanned: their content is on the LFS server, not in git"
            ));
        }
    }
}

/// Git file modes that name something other than file content.
pub const MODE_TREE: i32 = 0o040000;
pub const MODE_GITLINK: i32 = 0o160000;
pub const MODE_SYMLINK: i32 = 0o120000;

/// What a Git LFS pointer file starts with; its content is elsewhere.
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/";
/// Pointer files are about 130 bytes; the LFS spec caps them at 1024.
const LFS_POINTER_MAX: usize = 1024;

/// Reads a blob, checking its size from the object header first so that a blob over
/// `--max-file-size` is never inflated. `None` when the blob was skipped or unreadable (both
/// counted; unreadable ones named as errors).
pub fn read_blob<'o>(
    odb: &'o Odb<'_>,
    blob: Oid,
    shown: &str,
    sh: &Shared,
) -> Option<OdbObject<'o>> {
    let size = match odb.read_header(blob) {
        Ok((size, _)) => size as u64,
        Err(e) => return unreadable(blob, shown, &e, sh),
    };
    if sh.scanner.too_large(size) {
        sh.out.note(format!(
            "{shown} (blob {blob}): skipped, {size} bytes is over --max-file-size"
        ));
        return None;
    }
    let object = match odb.read(blob) {
        Ok(object) => object,
        Err(e) => return unreadable(blob, shown, &e, sh),
    };
    let data = object.data();
    if data.len() <= LFS_POINTER_MAX && data.starts_with(LFS_POINTER) {
        sh.tally.lfs_pointers.fetch_add(1, Relaxed);
        return None;
    }
    Some(object)
}

fn unreadable<T>(blob: Oid, shown: &str, err: &git2::Error, sh: &Shared) -> Option<T> {
    Stats::add(&sh.scanner.stats.unreadable, 1);
    sh.out
        .error(format!("blob {blob} ({shown})"), err.message().to_string());
    None
}

/// Reads and scans one changed file; findings carry `commit` and only added lines count.
pub fn scan_change(
    odb: &Odb<'_>,
    path: String,
    change: Change,
    commit: Option<Arc<CommitInfo>>,
    sh: &Shared,
) -> Vec<Finding> {
    let Some(object) = read_blob(odb, change.blob, &path, sh) else {
        return Vec::new();
    };
    let origin = Origin { path, commit };
    let added = AddedLines(change.lines);
    sh.scanner
        .scan_blob(&origin, object.data(), Some(&added))
        .unwrap_or_default()
}

/// A path as findings show it: `/`-separated bytes from git, lossy where not UTF-8.
pub fn join_path(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() {
        name.into_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

/// The commit as a finding reports it.
pub fn commit_info(commit: &Commit) -> CommitInfo {
    let author = commit.author();
    let when = author.when();
    CommitInfo {
        id: commit.id().to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: rfc3339(when.seconds(), when.offset_minutes()),
        summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned(),
    }
}

/// Formats a Unix time in the given UTC offset as RFC 3339 (`2024-05-01T12:00:00+02:00`).
pub fn rfc3339(seconds: i64, offset_minutes: i32) -> String {
    let local = seconds + i64::from(offset_minutes) * 60;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.unsigned_abs();
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        off / 60,
        off % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_in_the_authors_zone() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00+00:00");
        // `git log -1 --date=iso-strict` for a commit at 1714557600 made at +02:00.
        assert_eq!(rfc3339(1_714_557_600, 120), "2024-05-01T12:00:00+02:00");
        assert_eq!(rfc3339(1_709_164_800, -330), "2024-02-28T18:30:00-05:30");
    }

    #[test]
    fn paths_join_lossily() {
        assert_eq!(join_path("", b"a.py"), "a.py");
        assert_eq!(join_path("src", b"caf\xe9.py"), "src/caf\u{fffd}.py");
    }
}
