//! A tree object's entries, read from its bytes as they are stored, so that the history walk
//! can take trees from the pack reader ([`super::pack`]) without libgit2 parsing each into
//! entries of its own. The format and the rules are libgit2's (`git_tree__parse_raw`): a
//! tree libgit2 would not parse is not parsed here either, and is read by libgit2, which
//! says why.

use std::cmp::Ordering;

use git2::Oid;

use super::git::{MODE_GITLINK, MODE_SYMLINK, MODE_TREE};
use super::pack::Bytes;

/// A tree's bytes, checked to parse.
#[derive(Clone)]
pub struct Tree(Bytes);

/// One entry of a [`Tree`].
#[derive(Clone, Copy)]
pub struct Entry<'t> {
    /// As stored (`100664` and `100644` are both a file's).
    raw_mode: u16,
    name: &'t [u8],
    id: &'t [u8],
}

impl Tree {
    /// `bytes` as a tree, if each entry is a mode, a space, a name, a NUL and an id.
    pub fn parse(bytes: Bytes) -> Option<Tree> {
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            (_, rest) = entry(rest)?;
        }
        Some(Tree(bytes))
    }

    /// A tree libgit2 parsed, in this form.
    pub fn from_git(tree: &git2::Tree) -> Tree {
        let mut bytes = Vec::new();
        for entry in tree.iter() {
            use std::io::Write;
            write!(bytes, "{:o} ", entry.filemode_raw()).expect("a Vec takes any write");
            bytes.extend_from_slice(entry.name_bytes());
            bytes.push(0);
            bytes.extend_from_slice(entry.id().as_bytes());
        }
        Tree(bytes.into())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = Entry<'_>> {
        let mut rest = &self.0[..];
        std::iter::from_fn(move || {
            // Checked by `parse`.
            let (found, after) = entry(rest)?;
            rest = after;
            Some(found)
        })
    }
}

/// The first entry of `bytes`, and what follows it.
fn entry(bytes: &[u8]) -> Option<(Entry<'_>, &[u8])> {
    let space = memchr::memchr(b' ', bytes)?;
    let digits = &bytes[..space];
    if digits.is_empty() || !digits.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return None;
    }
    let mode = (digits.iter()).try_fold(0u32, |m, &d| {
        let m = m.checked_mul(8)? + u32::from(d - b'0');
        (m <= u32::from(u16::MAX)).then_some(m)
    })?;
    let rest = &bytes[space + 1..];
    let nul = memchr::memchr(0, rest)?;
    if nul == 0 || nul > usize::from(u16::MAX) {
        return None;
    }
    let id = rest.get(nul + 1..nul + 21)?;
    let found = Entry {
        raw_mode: mode as u16,
        name: &rest[..nul],
        id,
    };
    Some((found, &rest[nul + 21..]))
}

impl<'t> Entry<'t> {
    pub fn name_bytes(&self) -> &'t [u8] {
        self.name
    }

    pub fn id(&self) -> Oid {
        Oid::from_bytes(self.id).expect("20 bytes")
    }

    /// The id's bytes, for comparing without a call into libgit2.
    pub fn id_bytes(&self) -> &'t [u8] {
        self.id
    }

    /// The mode as libgit2 reports it (`git_tree_entry_filemode`): a folder, a submodule, a
    /// symlink, an executable or a plain file.
    pub fn filemode(&self) -> i32 {
        let mode = i32::from(self.raw_mode);
        match mode & 0o170000 {
            MODE_TREE => MODE_TREE,
            _ if mode & 0o100 != 0 => 0o100755,
            MODE_GITLINK => MODE_GITLINK,
            MODE_SYMLINK => MODE_SYMLINK,
            _ => 0o100644,
        }
    }

    fn is_tree(&self) -> bool {
        i32::from(self.raw_mode) & 0o170000 == MODE_TREE
    }
}

/// git's order of entries in a tree: by name, a folder's read as if it ended in `/`.
impl Ord for Entry<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.name.len().min(other.name.len());
        let common = self.name[..len].cmp(&other.name[..len]);
        if common != Ordering::Equal {
            return common;
        }
        let next = |e: &Entry| match e.name.get(len) {
            Some(&c) => c,
            None if e.is_tree() => b'/',
            None => 0,
        };
        next(self).cmp(&next(other))
    }
}

impl PartialOrd for Entry<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for (mode, name) in entries {
            bytes.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            bytes.extend_from_slice(&[7; 20]);
        }
        bytes
    }

    #[test]
    fn entries_are_read_with_libgit2s_modes() {
        let bytes = raw(&[
            ("100644", "a.txt"),
            ("100664", "b.txt"),
            ("100755", "run.sh"),
            ("40000", "src"),
            ("120000", "link"),
            ("160000", "vendor"),
        ]);
        let tree = Tree::parse(bytes.into()).expect("parses");
        let found: Vec<(String, i32)> = tree
            .iter()
            .map(|e| (String::from_utf8_lossy(e.name_bytes()).into(), e.filemode()))
            .collect();
        let want = [
            ("a.txt", 0o100644),
            ("b.txt", 0o100644),
            ("run.sh", 0o100755),
            ("src", MODE_TREE),
            ("link", MODE_SYMLINK),
            ("vendor", MODE_GITLINK),
        ];
        let want: Vec<(String, i32)> = want.iter().map(|(n, m)| (n.to_string(), *m)).collect();
        assert_eq!(found, want);
    }

    #[test]
    fn what_libgit2_would_not_parse_is_refused() {
        for bad in [
            raw(&[("10064x", "a")]),
            raw(&[("", "a")]),
            raw(&[("200000", "a")]),
            raw(&[("100644", "")]),
            b"100644 a\0short".to_vec(),
            b"100644 no-nul".to_vec(),
        ] {
            assert!(Tree::parse(bad.clone().into()).is_none(), "{bad:?}");
        }
        assert!(Tree::parse(Vec::new().into()).is_some());
    }

    /// The order libgit2's `git_tree_entry_cmp` gives, on a tree git wrote.
    #[test]
    fn order_is_gits() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let blob = repo.blob(b"x").unwrap();
        let mut sub = repo.treebuilder(None).unwrap();
        sub.insert("f", blob, 0o100644).unwrap();
        let sub = sub.write().unwrap();
        let mut top = repo.treebuilder(None).unwrap();
        // A folder `a` sorts as `a/`: after `a-b` and `a.b`, before `a0`.
        for name in ["a.b", "a-b", "ab", "a0", "b", "c"] {
            top.insert(name, blob, 0o100644).unwrap();
        }
        for name in ["a", "b.d", "c-"] {
            top.insert(name, sub, MODE_TREE).unwrap();
        }
        let top = repo.find_tree(top.write().unwrap()).unwrap();
        let ours = Tree::from_git(&top);
        let entries: Vec<Entry> = ours.iter().collect();
        let theirs: Vec<git2::TreeEntry> = top.iter().collect();
        for i in 0..entries.len() {
            for j in 0..entries.len() {
                assert_eq!(
                    entries[i].cmp(&entries[j]),
                    theirs[i].cmp(&theirs[j]),
                    "{i} {j}"
                );
            }
        }
    }
}
