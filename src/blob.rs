//! What a source hands to the engine: the bytes of one blob and, beside them, where they
//! came from. Keeping the origin apart from the content lets one blob that appears under many
//! paths or commits be scanned once and attributed afterwards.

pub mod archive;
pub mod keystore;

use std::ops::Range;
use std::sync::Arc;

/// The id git gives an object of `kind` (`blob`, `commit`) and these bytes: the SHA-1 of
/// `<kind> <len>\0` and the bytes.
pub fn object_id(kind: &str, bytes: &[u8]) -> [u8; 20] {
    use sha1::{Digest, Sha1};
    let mut hasher = Sha1::new();
    hasher.update(format!("{kind} {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    hasher.finalize().into()
}

/// A git blob id: SHA-1 of `blob <len>\0` followed by the bytes. The same content has the same
/// id on disk and in history, which is what makes "scan each blob once" possible.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct BlobId(pub [u8; 20]);

impl BlobId {
    /// Hashes bytes the way `git hash-object` does. The `sha1` crate uses the CPU's SHA
    /// instructions where there are some: libgit2's collision-detecting SHA-1 costs a fifth
    /// of a tree scan, and a scan only needs the id to find identical files.
    pub fn of(bytes: &[u8]) -> BlobId {
        BlobId(object_id("blob", bytes))
    }

    pub fn from_oid(oid: git2::Oid) -> BlobId {
        let mut id = [0u8; 20];
        id.copy_from_slice(oid.as_bytes());
        BlobId(id)
    }

    pub fn to_oid(self) -> git2::Oid {
        git2::Oid::from_bytes(&self.0).expect("20 bytes make an oid")
    }
}

impl std::fmt::Display for BlobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// The commit that introduced a blob, as reported in a finding.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    pub email: String,
    /// RFC 3339, in the author's time zone.
    pub date: String,
    pub summary: String,
}

/// The bytes of one blob, with the id that lets the scanner read and scan them once however
/// many paths, copies or commits they appear under.
pub struct Blob<'a> {
    pub id: BlobId,
    pub bytes: &'a [u8],
}

/// Lines (1-based, end exclusive) that a change adds; `--staged` and `--range` report only
/// these.
#[derive(Clone, Debug, Default)]
pub struct AddedLines(pub Vec<Range<u32>>);

impl AddedLines {
    pub fn overlaps(&self, first: u32, last: u32) -> bool {
        self.0.iter().any(|r| r.start <= last && first < r.end)
    }
}

/// The path a commit's message is reported at: git's own name for the file a commit message
/// is written in. A token pasted into a message stays in the history as long as any file.
pub const MESSAGE_PATH: &str = "COMMIT_EDITMSG";

/// The path an annotated tag's message is reported at: git's name for the file a tag message
/// is written in. A release tag's notes are pushed with the tag and kept as long as it.
pub const TAG_MESSAGE_PATH: &str = "TAG_EDITMSG";

/// The line below which `git commit -v` writes the staged diff, after the comment sign.
const SCISSORS: &[u8] = b" ------------------------ >8 ------------------------";

/// What git keeps of its message file (`.git/COMMIT_EDITMSG`, which the `commit-msg` hook
/// scans): everything above the scissors line. `git commit -v` writes the staged diff below
/// it, and git drops it from the message; scanned, it would report the staged files' lines
/// again at the message's path, where their allowlist entries, baseline fingerprints and
/// inline `leakhound:allow` context do not apply. Only inside a `.git` folder: a committed
/// file that is merely named `COMMIT_EDITMSG` is content, and a scissors line in it must not
/// hide what follows. Line by line, so a hostile file of scissors inside one long line stays
/// linear.
pub fn message_kept<'a>(path: &str, bytes: &'a [u8]) -> &'a [u8] {
    let mut parts = path.rsplit('/');
    if parts.next() != Some(MESSAGE_PATH) || !parts.any(|dir| dir == ".git") {
        return bytes;
    }
    let mut start = 0;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        // The comment sign (`#`, or core.commentChar/commentString), then the line alone.
        if let Some(sign) = text.strip_suffix(SCISSORS)
            && !sign.is_empty()
            && !sign.iter().any(u8::is_ascii_whitespace)
        {
            return &bytes[..start];
        }
        start += line.len();
    }
    bytes
}

/// The object whose message a finding's path stands for (`commit` at [`MESSAGE_PATH`], `tag`
/// at [`TAG_MESSAGE_PATH`]), or `None` for a file.
pub fn message_of(path: &str) -> Option<&'static str> {
    match path {
        MESSAGE_PATH => Some("commit"),
        TAG_MESSAGE_PATH => Some("tag"),
        _ => None,
    }
}

/// One appearance of a blob: a path relative to the scan root (always `/`-separated), and for
/// history the commit it appeared in and that commit's position in the walk (oldest first),
/// for changes the lines they add. It travels beside the blob, never inside it: the
/// path-dependent verdicts (allowlists, ignore entries, added lines) are taken per appearance.
#[derive(Clone, Debug)]
pub struct Origin {
    pub path: Arc<str>,
    pub commit: Option<Arc<CommitInfo>>,
    pub added: Option<Arc<AddedLines>>,
    pub seq: u64,
}

impl Origin {
    pub fn file(path: impl Into<Arc<str>>) -> Origin {
        Origin {
            path: path.into(),
            commit: None,
            added: None,
            seq: 0,
        }
    }
}

/// Why something a source met was not scanned. Every skip is counted in the summary; none is
/// silent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Over `--max-file-size` (the size read from the header or metadata, or met while reading).
    TooLarge(u64),
    Binary,
    Unreadable(String),
    /// A Git LFS pointer: the content is on the LFS server.
    LfsPointer,
    /// A submodule (gitlink): the content is another repository.
    Submodule,
    /// A device, FIFO or socket: never opened, since reading it could block or never end.
    NotRegular,
    /// A symlink in a scanned folder to a file outside it: not the folder's content, and
    /// possibly the machine's own secrets. Counted with [`Skip::NotRegular`].
    OutsideTree,
    /// Part of a folder in git history that is not walked, and why (a tree object over the
    /// size limit, entries whose paths are longer than git can check out): `entries` are
    /// counted as too large, and a warning says it, since the files under it go unscanned.
    Folder {
        entries: u64,
        why: String,
    },
}

/// What a Git LFS pointer file starts with; its content is elsewhere.
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/v1\n";
/// Pointer files are about 130 bytes; the LFS spec caps them at 1024.
const LFS_POINTER_MAX: usize = 1024;

/// A valid Git LFS pointer, by the spec: the version line, then `key value` lines of which
/// `oid sha256:<64 hex>` and `size <digits>` are required, and nothing else. A file that only
/// starts like one (and hides a secret below) is content.
pub fn is_lfs_pointer(bytes: &[u8]) -> bool {
    if bytes.len() > LFS_POINTER_MAX || !bytes.starts_with(LFS_POINTER) {
        return false;
    }
    let Ok(text) = std::str::from_utf8(&bytes[LFS_POINTER.len()..]) else {
        return false;
    };
    let (mut oid, mut size) = (false, false);
    for line in text.lines() {
        let Some((key, value)) = line.split_once(' ') else {
            return false;
        };
        let hex64 = |v: &str| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit());
        match key {
            "oid" => oid = value.strip_prefix("sha256:").is_some_and(hex64),
            "size" => size = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()),
            k if k.starts_with("ext-") => {}
            _ => return false,
        }
    }
    oid && size
}

/// UTF-16 text (Windows tools write it: `.reg` exports, PowerShell output, some `.ini`),
/// decoded to UTF-8: with a byte-order mark, or without one when every other byte of its
/// start is NUL, as ASCII text in UTF-16 is. `None` for anything else. Without this, its NUL
/// bytes make it look binary and its secrets go unseen.
pub fn utf16_text(bytes: &[u8]) -> Option<Vec<u8>> {
    let (little, body) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => (utf16_pattern(bytes)?, bytes),
    };
    let units = body.chunks_exact(2).map(|p| {
        if little {
            u16::from_le_bytes([p[0], p[1]])
        } else {
            u16::from_be_bytes([p[0], p[1]])
        }
    });
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    Some(text.into_bytes())
}

/// Whether the start of `bytes` reads as UTF-16 without a mark: little-endian when the odd
/// bytes are NUL and the even ones are not, big-endian the other way round.
fn utf16_pattern(bytes: &[u8]) -> Option<bool> {
    let head = &bytes[..bytes.len().min(512) & !1];
    if head.len() < 8 {
        return None;
    }
    let pairs = head.len() / 2;
    let zero_at = |odd: usize| {
        head.iter()
            .skip(odd)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (even, odd) = (zero_at(0), zero_at(1));
    if odd * 10 >= pairs * 9 && even == 0 {
        Some(true)
    } else if even * 10 >= pairs * 9 && odd == 0 {
        Some(false)
    } else {
        None
    }
}

/// Files with a NUL byte in their first 8 KiB are treated as binary, as git and ripgrep do.
pub fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    memchr::memchr(0, head).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_id_matches_git_hash_object() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            BlobId::of(b"hello\n").to_string(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }

    #[test]
    fn only_a_valid_pointer_is_lfs() {
        let oid = "a".repeat(64);
        let ok = format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 12\n");
        assert!(is_lfs_pointer(ok.as_bytes()));
        let hidden = format!("{ok}password = hunter2hunter2\n");
        assert!(!is_lfs_pointer(hidden.as_bytes()));
        assert!(!is_lfs_pointer(
            b"version https://git-lfs.github.com/spec/v1\nsize 12\n"
        ));
    }

    #[test]
    fn utf16_is_decoded_with_or_without_a_mark() {
        let le: Vec<u8> = "key = 1"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let be: Vec<u8> = "key = 1"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(utf16_text(&le).unwrap(), b"key = 1");
        assert_eq!(utf16_text(&be).unwrap(), b"key = 1");
        let marked: Vec<u8> = [0xFF, 0xFE].into_iter().chain(le.clone()).collect();
        assert_eq!(utf16_text(&marked).unwrap(), b"key = 1");
        assert_eq!(utf16_text(b"plain ascii text"), None);
        assert_eq!(utf16_text(&[0u8, 1, 2, 0, 0, 0, 7, 9, 0, 0]), None);
    }

    #[test]
    fn a_message_file_ends_at_the_scissors_line() {
        let cut = "------------------------ >8 ------------------------";
        let file = format!("fix\n\n# Changes:\n# {cut}\n# Do not modify\ndiff --git a/x b/x\n");
        let kept = message_kept(".git/COMMIT_EDITMSG", file.as_bytes());
        assert_eq!(kept, b"fix\n\n# Changes:\n");
        // core.commentChar, CRLF line ends, the line first in the file, a worktree's message.
        let semi = format!("; {cut}\r\ndiff\n");
        let worktree = "/src/app/.git/worktrees/wt/COMMIT_EDITMSG";
        assert_eq!(message_kept(worktree, semi.as_bytes()), b"");
        // Not alone on its line, not after a comment sign, or not the message file: whole.
        for (path, text) in [
            (".git/COMMIT_EDITMSG", format!("# {cut} and more\nkey\n")),
            (".git/COMMIT_EDITMSG", format!("quoted: # {cut}\nkey\n")),
            (".git/COMMIT_EDITMSG", format!(" {cut}\nkey\n")),
            ("notes/COMMIT_EDITMSG.txt", format!("# {cut}\nkey\n")),
            // A committed file of that name, outside a `.git` folder.
            ("COMMIT_EDITMSG", format!("# {cut}\nkey\n")),
            ("docs/COMMIT_EDITMSG", format!("# {cut}\nkey\n")),
            ("README.md", format!("# {cut}\nkey\n")),
        ] {
            assert_eq!(
                message_kept(path, text.as_bytes()),
                text.as_bytes(),
                "{text}"
            );
        }
        // A hostile file: 1 MB of scissors on one line is read once, and kept whole.
        let long = format!("#{}\nkey\n", format!("#{cut}").repeat(20_000));
        assert_eq!(
            message_kept(".git/COMMIT_EDITMSG", long.as_bytes()),
            long.as_bytes()
        );
    }

    #[test]
    fn nul_in_head_is_binary() {
        assert!(looks_binary(b"abc\0def"));
        assert!(!looks_binary("café ünïcode".as_bytes()));
    }
}
