//! The lines a change adds, file by file, for `--range`, `--since` and `--staged`. Only added
//! lines are reported there, so a change that merely moves or renames a file holding an old
//! (perhaps baselined) secret does not raise it again: rename and copy detection is on, and a
//! delta whose content did not change adds nothing. Hunks have no context lines, so every line
//! on a hunk's new side is an added line.

use std::collections::BTreeMap;
use std::ops::Range;

use git2::{Delta, Diff, DiffFindOptions, DiffOptions, FileMode, Oid, Patch};

use super::Sink;
use crate::blob::{Origin, Skip};

/// Every line of a file, for content git calls binary: the scanner decides what it is.
const WHOLE: Range<u32> = 1..u32::MAX;

/// The new content of one file and the lines (1-based, end exclusive) the change adds to it.
#[derive(Clone, Debug)]
pub struct Change {
    pub blob: Oid,
    pub lines: Vec<Range<u32>>,
}

/// Changes by new path.
pub type Changes = BTreeMap<String, Change>;

/// Diff options for added lines: no context, files over `max_size` treated as binary (their
/// size is then checked again, and counted, when the blob is read).
pub fn options(max_size: u64) -> DiffOptions {
    let mut opts = DiffOptions::new();
    opts.context_lines(0)
        .interhunk_lines(0)
        .max_size(i64::try_from(max_size).unwrap_or(i64::MAX));
    opts
}

/// Limits a diff to exactly these paths (not patterns): libgit2 then reads only the folders
/// leading to them, which is the point of naming them.
pub fn only(opts: &mut DiffOptions, paths: Vec<Vec<u8>>) {
    opts.disable_pathspec_match(true);
    for path in paths {
        opts.pathspec(path);
    }
}

/// The files a diff adds lines to. Deletions, pure renames and copies, mode changes,
/// symlinks and submodules (counted in `tally`) add none.
pub fn changes(diff: &mut Diff, sink: &impl Sink) -> Changes {
    let mut find = DiffFindOptions::new();
    find.renames(true).copies(true);
    if let Err(e) = diff.find_similar(Some(&mut find)) {
        (sink.diagnostics()).note(format!("rename detection failed: {}", e.message()));
    }
    let mut changes = Changes::new();
    for idx in 0..diff.deltas().len() {
        if let Some((path, change)) = change(diff, idx, sink) {
            changes.insert(path, change);
        }
    }
    changes
}

fn change(diff: &Diff, idx: usize, sink: &impl Sink) -> Option<(String, Change)> {
    let delta = diff.get_delta(idx)?;
    let (old, new) = (delta.old_file(), delta.new_file());
    if !matches!(
        delta.status(),
        Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
    ) {
        return None;
    }
    match new.mode() {
        FileMode::Blob | FileMode::BlobExecutable | FileMode::BlobGroupWritable => {}
        FileMode::Commit => {
            let path = String::from_utf8_lossy(new.path_bytes()?).into_owned();
            sink.skip(&Origin::file(path), Skip::Submodule);
            return None;
        }
        _ => return None,
    }
    if new.id().is_zero() || old.id() == new.id() {
        return None;
    }
    let path = String::from_utf8_lossy(new.path_bytes()?).into_owned();
    let lines = match Patch::from_diff(diff, idx) {
        Ok(Some(patch)) => added_lines(&patch),
        Ok(None) => vec![WHOLE],
        // The blob could not be read (damaged, or left out of a partial clone): counted.
        Err(e) => {
            let why = format!("blob {}: {}", new.id(), e.message());
            sink.skip(&Origin::file(path), Skip::Unreadable(why));
            return None;
        }
    };
    (!lines.is_empty()).then(|| {
        (
            path,
            Change {
                blob: new.id(),
                lines,
            },
        )
    })
}

fn added_lines(patch: &Patch) -> Vec<Range<u32>> {
    if patch.num_hunks() == 0 && patch.delta().flags().is_binary() {
        return vec![WHOLE];
    }
    (0..patch.num_hunks())
        .filter_map(|i| patch.hunk(i).ok())
        .filter(|(hunk, _)| hunk.new_lines() > 0)
        .map(|(hunk, _)| hunk.new_start()..hunk.new_start() + hunk.new_lines())
        .collect()
}

/// What a merge adds: lines of its result that differ from every parent (the conflict
/// resolution or an "evil merge" edit). Lines it takes from either side were added by the
/// commits on that side, which a range reports on their own.
pub fn merge(per_parent: Vec<Changes>) -> Changes {
    let mut parents = per_parent.into_iter();
    let Some(mut acc) = parents.next() else {
        return Changes::new();
    };
    for other in parents {
        acc = acc
            .into_iter()
            .filter_map(|(path, change)| {
                let theirs = other.get(&path)?;
                let lines = intersect(&change.lines, &theirs.lines);
                (!lines.is_empty()).then_some((path, Change { lines, ..change }))
            })
            .collect();
    }
    acc
}

/// The lines in both sorted lists of ranges.
pub fn intersect(a: &[Range<u32>], b: &[Range<u32>]) -> Vec<Range<u32>> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (start, end) = (a[i].start.max(b[j].start), a[i].end.min(b[j].end));
        if start < end {
            out.push(start..end);
        }
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    #[test]
    fn intersects_line_ranges() {
        assert_eq!(intersect(&[1..5, 8..10], &[3..9]), vec![3..5, 8..9]);
        assert_eq!(intersect(&[1..3], &[3..4]), vec![]);
        assert_eq!(intersect(&[WHOLE], &[2..4, 7..8]), vec![2..4, 7..8]);
    }

    #[test]
    fn a_merge_adds_only_what_no_parent_had() {
        let blob = Oid::ZERO_SHA1;
        let ours = Changes::from([
            (
                "a".into(),
                Change {
                    blob,
                    lines: vec![1..10],
                },
            ),
            (
                "b".into(),
                Change {
                    blob,
                    lines: vec![1..2],
                },
            ),
        ]);
        let theirs = Changes::from([(
            "a".into(),
            Change {
                blob,
                lines: vec![4..5],
            },
        )]);
        let merged = merge(vec![ours, theirs]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged["a"].lines, vec![4..5]);
    }
}
