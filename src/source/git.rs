//! Git repositories as a source: opening one, choosing what to scan (the full history, a range
//! of commits, or the staged changes), and the steps every mode shares: reading a blob with
//! its size checked first, skipping what is not content (submodules, symlinks, Git LFS
//! pointers) with a count, and describing the commit a finding belongs to.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use git2::{Commit, Odb, OdbObject, Oid, Repository};

use super::Sink;
use crate::blob::{CommitInfo, Skip};

/// What `leakhound git` was asked to scan.
#[derive(Clone, Debug)]
pub enum Mode {
    /// Every commit reachable from any ref (and HEAD).
    Full,
    /// `BASE..HEAD`: the commits a pull request adds.
    Range(String),
    /// The commits after REV, up to HEAD.
    Since(String),
    /// The commits this commit reaches that no ref pointing elsewhere reaches: what a push
    /// added when the commit before it is unknown.
    NewCommits(String),
    /// The index against HEAD.
    Staged,
}

pub struct GitSource {
    pub repo: Repository,
    pub mode: Mode,
    pub threads: usize,
    /// For `--staged`: the staged paths, being listed while the rules load; taken when the
    /// index is read.
    listing: Cell<Option<super::staged::Listing>>,
}

impl GitSource {
    /// Opens the repository at `path` (or the one containing it). Not finding one is an
    /// error for the user, not a warning: there is nothing to scan.
    pub fn open(path: &Path, mode: Mode, threads: usize) -> Result<GitSource> {
        let repo = match Repository::discover(path) {
            Ok(repo) => repo,
            Err(e) if e.code() == git2::ErrorCode::NotFound => {
                bail!("{}: not a git repository", path.display())
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot open {}", path.display()));
            }
        };
        if matches!(mode, Mode::Staged) && repo.is_bare() {
            bail!(
                "{}: a bare repository has no index, so nothing is staged",
                path.display()
            );
        }
        let listing = matches!(mode, Mode::Staged).then(|| super::staged::Listing::start(&repo));
        Ok(GitSource {
            repo,
            mode,
            threads,
            listing: Cell::new(listing),
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

    /// A partial clone (`git clone --filter=blob:none`, a blobless CI checkout) lacks the
    /// objects its filter left on the server; git fetches them when it needs them, libgit2
    /// cannot, so each one missing is unreadable here.
    pub fn is_partial_clone(&self) -> bool {
        let Ok(config) = self.repo.config() else {
            return false;
        };
        if config.get_string("extensions.partialclone").is_ok() {
            return true;
        }
        let Ok(remotes) = self.repo.remotes() else {
            return false;
        };
        remotes.iter().flatten().flatten().any(|name| {
            config
                .get_bool(&format!("remote.{name}.promisor"))
                .unwrap_or(false)
        })
    }

    /// For `--staged`: the index diffed against HEAD, which needs no rule (read while they
    /// load: see `run::git`); `None` inside when nothing is staged.
    pub fn read_staged(&self, max_read: u64) -> Result<Option<super::staged::Staged<'_>>> {
        tune_libgit2();
        let listing =
            (self.listing.take()).unwrap_or_else(|| super::staged::Listing::start(&self.repo));
        super::staged::read_staged(&self.repo, listing, max_read)
    }

    /// Scans what the mode selects. Problems with single objects go to the sink's
    /// diagnostics; an error here means the scan could not start (a bad range).
    pub fn run(self, sink: &impl Sink) -> Result<()> {
        tune_libgit2();
        match &self.mode {
            Mode::Full => super::history::audit(self.repo, self.threads, sink),
            Mode::Range(spec) => super::range::scan_range(&self.repo, spec, self.threads, sink),
            Mode::Since(rev) => super::range::scan_since(&self.repo, rev, self.threads, sink),
            Mode::NewCommits(head) => super::range::scan_new(&self.repo, head, self.threads, sink),
            Mode::Staged => {
                let staged = self.read_staged(sink.max_read())?;
                super::staged::scan_staged(&self.repo, staged, sink)
            }
        }
    }
}

/// Every object is read about once, so libgit2's object cache only costs memory; and
/// re-hashing each object on read (SHA-1 with collision detection) costs as much as inflating
/// it, while a damaged object still fails to inflate and is reported. Pack files are mapped
/// in 8 MiB windows, 48 MiB at most (by default 1 GiB windows up to 8 GiB): a history audit
/// of 60,000 commits otherwise keeps most of a 370 MB pack resident, near 500 MB of RSS. The
/// limit is shared by the walk and every scanning thread: at 32 MiB they unmapped each other's
/// windows (a tenth of the YAML history's wall time went to munmap and page faults); at 48 MiB
/// that history takes 11% less wall time and the C history 6%, peak RSS 139 and 145 MB.
fn tune_libgit2() {
    git2::opts::enable_caching(false);
    super::ceiling::install();
    git2::opts::strict_hash_verification(false);
    // SAFETY: libgit2's global options are not synchronised. They are set here, before the
    // walk starts its scanning threads, and nothing else in the process sets them.
    unsafe {
        let _ = git2::opts::set_mwindow_mapped_limit(48 << 20);
        let _ = git2::opts::set_mwindow_size(8 << 20);
    }
}

/// Worker threads for scanning; each opens its own `Repository`, which is not `Sync`.
pub fn pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")
}

/// Git file modes that name something other than file content.
pub const MODE_TREE: i32 = 0o040000;
pub const MODE_GITLINK: i32 = 0o160000;
pub const MODE_SYMLINK: i32 = 0o120000;

/// The bytes of a git object, as the sink reads them: libgit2's, or the pack reader's
/// ([`super::pack`]), which it may share with the versions it keeps.
pub enum ObjectBytes<'o> {
    Odb(OdbObject<'o>),
    Shared(super::pack::Bytes),
}

impl AsRef<[u8]> for ObjectBytes<'_> {
    fn as_ref(&self) -> &[u8] {
        match self {
            ObjectBytes::Odb(object) => object.data(),
            ObjectBytes::Shared(bytes) => bytes.as_slice(),
        }
    }
}

/// Why an object was not read.
pub enum Refused {
    /// Its size, over the limit.
    TooLarge(usize),
    Failed(git2::Error),
}

/// Reads object `id` with `read` if it is at most `max` bytes, never inflating one over it: the
/// read runs under a ceiling on libgit2's allocations ([`super::ceiling`]), and only a read
/// that fails asks the object's size, to say whether it was too large. One that is not (its
/// delta base is larger than the limit, or it is damaged) is read again as before the
/// ceiling, and fails or succeeds as it then does.
pub fn read_within<T>(
    odb: &Odb<'_>,
    id: Oid,
    max: u64,
    read: impl Fn() -> Result<T, git2::Error>,
) -> Result<T, Refused> {
    super::ceiling::install();
    let refused = match super::ceiling::within(max, &read) {
        Ok(found) => return Ok(found),
        Err(e) => e,
    };
    match odb.read_header(id) {
        Ok((size, _)) if size as u64 > max => Err(Refused::TooLarge(size)),
        Ok(_) => read().map_err(Refused::Failed),
        Err(_) => Err(Refused::Failed(refused)),
    }
}

/// Reads a blob of at most `max` bytes: a blob over `--max-file-size` is never inflated. With
/// `packs`, the pack reader reads it where it can, and libgit2 the rest.
pub fn read_blob<'o>(
    odb: &'o Odb<'_>,
    packs: Option<&super::pack::Packs>,
    blob: Oid,
    max: u64,
) -> Result<ObjectBytes<'o>, Skip> {
    use super::pack::{Read, Want};
    match packs.map(|p| p.read(blob, Want::Blob, max)) {
        Some(Read::Found(bytes)) => return Ok(ObjectBytes::Shared(bytes)),
        Some(Read::TooLarge(size)) => return Err(Skip::TooLarge(size)),
        Some(Read::Elsewhere) | None => {}
    }
    match read_within(odb, blob, max, || odb.read(blob)) {
        Ok(object) => Ok(ObjectBytes::Odb(object)),
        Err(Refused::TooLarge(size)) => Err(Skip::TooLarge(size as u64)),
        Err(Refused::Failed(e)) => Err(Skip::Unreadable(format!("blob {blob}: {}", e.message()))),
    }
}

/// The largest tree object a history audit, a range or `--staged` reads: `--max-file-size`,
/// but never below 1 MiB (20,000 entries), so that a small file limit does not leave large
/// folders unscanned.
pub fn max_tree(max_read: u64) -> u64 {
    max_read.max(1 << 20)
}

/// A folder whose tree object is over the size limit, as a skip to count and say.
pub fn tree_too_large(tree: Oid, size: usize, commit: &str) -> Skip {
    let why = tree_over_limit(tree, size, &format!("commit {commit}"));
    Skip::Folder { entries: 1, why }
}

/// Why a folder's tree was not read: `tree` of `size` bytes, in `at` (a commit, HEAD).
pub fn tree_over_limit(tree: Oid, size: usize, at: &str) -> String {
    format!("its tree {tree} in {at} is {size} bytes, over --max-file-size (1 MiB at least)")
}

/// The most characters a report keeps of a commit's or tag's summary, author or email. The
/// repository writes them at any length (a first line of a megabyte), and every finding in
/// that commit carries them into the JSON, the SARIF log and the CI log.
pub const MAX_SHOWN: usize = 256;

/// `text`, or its first [`MAX_SHOWN`] characters cut back to the end of a word and marked
/// `…`: a word (a token, a key) is shown whole or not at all, never its first half, which the
/// redactor, knowing only whole secrets, would not recognise.
pub fn clip(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let Some((cut, _)) = text.char_indices().nth(MAX_SHOWN) else {
        return text.into_owned();
    };
    let head = &text[..cut];
    let head = if text[cut..].starts_with(char::is_whitespace) {
        head
    } else {
        head.rfind(char::is_whitespace)
            .map_or("", |end| &head[..end])
    };
    format!("{}…", head.trim_end())
}

/// The commit as a finding reports it.
pub fn commit_info(commit: &Commit) -> Arc<CommitInfo> {
    let author = commit.author();
    let when = author.when();
    Arc::new(CommitInfo {
        id: commit.id().to_string(),
        author: clip(author.name_bytes()),
        email: clip(author.email_bytes()),
        date: rfc3339(when.seconds(), when.offset_minutes()),
        summary: clip(commit.summary_bytes().unwrap_or_default()),
    })
}

/// An annotated tag as a finding reports it, in the place of a commit: the tag object's id,
/// the tagger (none on some old tags) and the first line of its message. The whole message is
/// scanned, a signed tag's signature included: an armour line is no reason to stop reading.
pub fn tag_info(tag: &git2::Tag) -> Arc<CommitInfo> {
    let tagger = tag.tagger();
    let message = tag.message_bytes().unwrap_or_default();
    let summary = message
        .split(|&b| b == b'\n')
        .find(|l| !l.trim_ascii().is_empty());
    Arc::new(CommitInfo {
        id: tag.id().to_string(),
        author: tagger
            .as_ref()
            .map_or(String::new(), |t| clip(t.name_bytes())),
        email: tagger
            .as_ref()
            .map_or(String::new(), |t| clip(t.email_bytes())),
        date: (tagger.as_ref()).map_or(String::new(), |t| {
            rfc3339(t.when().seconds(), t.when().offset_minutes())
        }),
        summary: clip(summary.unwrap_or_default().trim_ascii()),
    })
}

/// A path as findings show it (`/`-separated bytes from git, lossy where not UTF-8), written
/// into `path`: the history walk reuses one buffer for every tree entry.
pub fn join_path(path: &mut String, prefix: &str, name: &[u8]) {
    path.clear();
    if !prefix.is_empty() {
        path.push_str(prefix);
        path.push('/');
    }
    path.push_str(&String::from_utf8_lossy(name));
}

/// Formats a Unix time in the given UTC offset as RFC 3339 (`2024-05-01T12:00:00+02:00`).
pub fn rfc3339(seconds: i64, offset_minutes: i32) -> String {
    // A commit can claim any time; keep to years 0..=9999 so the arithmetic cannot overflow.
    const LIMIT: i64 = 253_402_300_799;
    let seconds = seconds.clamp(-62_167_219_200, LIMIT);
    let offset_minutes = offset_minutes.clamp(-24 * 60, 24 * 60);
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
    fn long_names_and_summaries_are_clipped_at_a_word() {
        assert_eq!(clip(b"fix: a typo"), "fix: a typo");
        let exact = "w".repeat(MAX_SHOWN);
        assert_eq!(clip(exact.as_bytes()), exact);
        // A token across the limit goes whole; the words before it stay.
        let token = "ghp_".to_string() + &"x".repeat(36);
        let text = format!("{} {token} tail", "ab".repeat(120));
        assert_eq!(clip(text.as_bytes()), format!("{}…", "ab".repeat(120)));
        // A word ending at the limit is kept whole.
        let text = format!("{} {}", "c".repeat(MAX_SHOWN), "d".repeat(10));
        assert_eq!(clip(text.as_bytes()), format!("{}…", "c".repeat(MAX_SHOWN)));
        // One word longer than the limit: nothing of it.
        assert_eq!(clip("é".repeat(MAX_SHOWN + 1).as_bytes()), "…");
    }

    #[test]
    fn paths_join_lossily() {
        let mut path = String::from("stale");
        join_path(&mut path, "", b"a.py");
        assert_eq!(path, "a.py");
        join_path(&mut path, "src", b"caf\xe9.py");
        assert_eq!(path, "src/caf\u{fffd}.py");
    }
}
