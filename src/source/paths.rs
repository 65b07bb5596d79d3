//! The paths two trees disagree on, found by reading only the subtrees whose ids differ.
//! libgit2's tree-to-tree diff reads every folder of both trees, which for a pull request of
//! 40 commits in a repository of 8,000 files is most of the scan; told the changed paths
//! (exactly, not as patterns), it reads only the folders leading to them and finds the same
//! changes, renames included: a rename's two sides are both changed paths.

use std::collections::HashMap;

use git2::{Oid, Repository};

use super::git::{MODE_TREE, Refused, read_within};

/// One side of a path: its object and file mode.
type Side = Option<(Oid, i32)>;

/// What two trees disagree on.
#[derive(Default)]
pub struct Changed {
    /// Every path (`/`-separated bytes) whose entry differs: added, removed, changed in
    /// content or mode, or turned from a file into a folder or back. The folders of an added
    /// or removed folder are listed down to their files.
    pub paths: Vec<Vec<u8>>,
    /// Folders not compared because a tree of theirs is over `max` bytes: path, tree, size.
    pub too_large: Vec<(Vec<u8>, Oid, usize)>,
}

/// What `old` and `new` disagree on, reading no tree over `max` bytes: a tree is read whole,
/// and a pull request can bring one of gigabytes that its pack holds in kilobytes (deltas).
pub fn changed(
    repo: &Repository,
    old: Option<Oid>,
    new: Oid,
    max: u64,
) -> Result<Changed, git2::Error> {
    let odb = repo.odb()?;
    let mut out = Changed::default();
    // Folders to compare, with their path; a stack, not recursion: a repository can nest
    // folders as deep as it likes.
    let mut stack: Vec<(Option<Oid>, Option<Oid>, Vec<u8>)> = vec![(old, Some(new), Vec::new())];
    'folders: while let Some((old, new, prefix)) = stack.pop() {
        let mut trees = [None, None];
        for (tree, id) in trees.iter_mut().zip([old, new]) {
            let Some(id) = id else { continue };
            match read_within(&odb, id, max, || repo.find_tree(id)) {
                Ok(read) => *tree = Some(read),
                Err(Refused::TooLarge(size)) => {
                    out.too_large.push((prefix, id, size));
                    continue 'folders;
                }
                Err(Refused::Failed(e)) => return Err(e),
            }
        }
        let mut entries: HashMap<Vec<u8>, (Side, Side)> = HashMap::new();
        for (tree, is_new) in trees.iter().zip([false, true]) {
            let Some(tree) = tree else { continue };
            for entry in tree.iter() {
                let side = Some((entry.id(), entry.filemode()));
                let slot = entries.entry(entry.name_bytes().to_vec()).or_default();
                if is_new {
                    slot.1 = side;
                } else {
                    slot.0 = side;
                }
            }
        }
        for (name, (a, b)) in entries {
            if a == b {
                continue;
            }
            let mut path = prefix.clone();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(&name);
            let folder = |side: Side| side.and_then(|(id, mode)| (mode == MODE_TREE).then_some(id));
            let (a_dir, b_dir) = (folder(a), folder(b));
            if (a.is_some() && a_dir.is_none()) || (b.is_some() && b_dir.is_none()) {
                out.paths.push(path.clone());
            }
            if a_dir.is_some() || b_dir.is_some() {
                stack.push((a_dir, b_dir, path));
            }
        }
    }
    out.paths.sort_unstable();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(repo: &Repository, files: &[(&str, &str)]) -> Oid {
        let mut index = git2::Index::new().unwrap();
        for (path, content) in files {
            let id = repo.blob(content.as_bytes()).unwrap();
            let mut entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: 0,
                id,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            entry.flags = path.len().min(0xfff) as u16;
            index.add(&entry).unwrap();
        }
        index.write_tree_to(repo).unwrap()
    }

    #[test]
    fn only_what_differs_down_to_files() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let old = tree(
            &repo,
            &[
                ("a.txt", "1"),
                ("same/x", "1"),
                ("gone/y", "1"),
                ("dir/f", "1"),
                ("was", "1"),
            ],
        );
        let new = tree(
            &repo,
            &[
                ("a.txt", "2"),
                ("same/x", "1"),
                ("new/deep/z", "1"),
                ("dir/f", "1"),
                ("dir/g", "1"),
                ("was/now", "1"),
            ],
        );
        let got: Vec<String> = changed(&repo, Some(old), new, u64::MAX)
            .unwrap()
            .paths
            .into_iter()
            .map(|p| String::from_utf8(p).unwrap())
            .collect();
        assert_eq!(
            got,
            ["a.txt", "dir/g", "gone/y", "new/deep/z", "was", "was/now"]
        );
        let all = changed(&repo, None, new, u64::MAX).unwrap();
        assert_eq!(all.paths.len(), 6);
        // A tree over the limit is not read: the root of `new` is over 100 bytes.
        let capped = changed(&repo, Some(old), new, 100).unwrap();
        assert!(capped.paths.is_empty());
        assert_eq!(capped.too_large.len(), 1);
        assert!(capped.too_large[0].0.is_empty());
    }
}
