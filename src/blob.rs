//! What a source hands to the engine: the bytes of one blob and, beside them, where they
//! came from. Keeping the origin apart from the content lets one blob that appears under many
//! paths or commits be scanned once and attributed afterwards.

use std::sync::Arc;

/// A git blob id: SHA-1 of `blob <len>\0` followed by the bytes. The same content has the same
/// id on disk and in history, which is what makes "scan each blob once" possible.
#[allow(dead_code)] // used by the git source, in progress
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct BlobId(pub [u8; 20]);

#[allow(dead_code)] // used by the git source, in progress
impl BlobId {
    /// Hashes bytes the way `git hash-object` does.
    pub fn of(bytes: &[u8]) -> BlobId {
        let oid = git2::Oid::hash_object(git2::ObjectType::Blob, bytes)
            .expect("hashing a byte slice cannot fail");
        BlobId::from_oid(oid)
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

/// Where a blob was found: a path relative to the scan root (always `/`-separated), and for
/// history scans the commit that introduced it.
#[derive(Clone, Debug)]
pub struct Origin {
    pub path: String,
    pub commit: Option<Arc<CommitInfo>>,
}

impl Origin {
    pub fn file(path: impl Into<String>) -> Origin {
        Origin {
            path: path.into(),
            commit: None,
        }
    }
}

/// Why a blob was not scanned. Every skip is counted in the summary; none is silent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    TooLarge,
    Binary,
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
    fn nul_in_head_is_binary() {
        assert!(looks_binary(b"abc\0def"));
        assert!(!looks_binary("café ünïcode".as_bytes()));
    }
}
