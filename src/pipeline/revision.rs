//! What a new version of a file changed, for the history audit. A history reports each secret
//! once per path, at the earliest appearance (`Policy::Earliest`), so the lines a version
//! shares with an earlier version at the same path were judged there: only what it changed,
//! with the context the rules read, needs searching again. On a chart repository's history
//! (16,000 commits) the lines no earlier version held are 6% of the bytes of its blob
//! versions, and with three lines of context on each side 19%.
//!
//! A version's lines are remembered as 64-bit digests in order, seeded per process (a
//! repository cannot choose lines that collide), within a memory budget; a version is compared
//! with the earlier one the walk names, if it is still kept, and scanned whole otherwise. A
//! line counts as changed if the earlier version did not hold it, or did not hold it next to
//! the line before it (a line deleted between two kept ones joins them: a match can now span
//! both). The Kubernetes analyzer and the keyword test of rules whose keywords are context
//! still read the whole blob (see `Engine::scan_class`).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::mem::take;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use crate::blob::BlobId;
use crate::engine::Narrowed;

/// Lines of context searched on each side of a changed line, blank lines not counted: a
/// match or the text a rule reads before it can cross a few lines (`password:` and its value
/// on the next one, a string literal split over lines).
const CONTEXT_LINES: usize = 3;

/// Lines that are not part of a block (a PEM header, a PGP armor's `Version:` and `Comment:`
/// lines and blank line) that a block may hold and still be one.
const BLOCK_GAP: usize = 4;

/// The shortest line that counts as part of an encoded block.
const BLOCK_LINE: usize = 16;

/// A version smaller than this is scanned whole: comparing costs more than it saves.
const MIN_BYTES: usize = 4096;

/// A version larger than this is scanned whole too: its lists (digests, places) would be
/// megabytes for a moment on each thread, and such files (a C amalgamation, a generated
/// table) are few.
const MAX_BYTES: usize = 2 << 20;

/// Past this share of a version's bytes (in percent), it is scanned whole.
const MAX_SHARE: usize = 50;

/// Bytes of line digests kept for later versions. A folder of files each edited in every
/// release keeps one set per file; past the budget the oldest sets are dropped and the next
/// version of their file is scanned whole. Once the pack reader freed the memory libgit2's
/// pack windows held, 4 MiB made a chart repository's audit 8% faster than 2 MiB did (a C
/// project's, where comparing stops paying, kept its time, at 5 MB more peak memory).
const BUDGET: usize = 4 << 20;

/// The most bytes of digests kept for one version (as at a budget of 2 MiB).
const MAX_WEIGHT: usize = 512 << 10;

/// The lines of one version, for comparing the next.
pub struct Earlier {
    /// Each line's digest, in order.
    digests: Box<[u64]>,
    /// How many candidates the version's scan found: past `MAX_PER_BLOB` in all, the next
    /// version is scanned whole, so that the per-blob cap cuts the same matches.
    pub candidates: usize,
    /// The rules whose keywords are context and occur (or may) in the version.
    keywords: Vec<usize>,
}

impl Earlier {
    fn weight(&self) -> usize {
        self.digests.len() * std::mem::size_of::<u64>()
            + self.keywords.len() * std::mem::size_of::<usize>()
            + std::mem::size_of::<Earlier>()
    }
}

/// How many earlier versions are asked for before [`Revisions::pays`] judges by how many were
/// still kept.
const TRIAL: usize = 512;

/// The lines of recent versions, by blob id.
#[derive(Default)]
pub struct Revisions {
    /// Earlier versions asked for, and found kept.
    asked: AtomicUsize,
    found: AtomicUsize,
    seed: foldhash::fast::RandomState,
    kept: Mutex<Kept>,
    /// Set once comparing stopped paying and the kept digests were dropped.
    dropped: AtomicBool,
}

#[derive(Default)]
struct Kept {
    sets: foldhash::HashMap<BlobId, Arc<Earlier>>,
    order: VecDeque<BlobId>,
    bytes: usize,
}

/// One version's lines: each line's digest, in order, and where each starts (a version
/// compared is at most 2 MiB: [`worth_comparing`]).
pub struct Lines {
    digests: Vec<u64>,
    starts: Vec<u32>,
}

impl Lines {
    fn start(&self, line: usize) -> usize {
        self.starts[line] as usize
    }
}

/// Lists reused from one version to the next on each scanning thread, up to [`SCRATCH_LINES`]
/// lines: a version's own lists, allocated and freed for each, held memory of their own.
#[derive(Default)]
struct Scratch {
    digests: Vec<u64>,
    starts: Vec<u32>,
    /// Where each line of the earlier version is (the first, for lines it holds twice).
    places: Places,
}

/// A version of more lines is scanned whole: its digests would pass [`MAX_WEIGHT`] and not be
/// kept, and a hostile file of two million newlines would cost lists of 24 MB.
const MAX_LINES: usize = MAX_WEIGHT / std::mem::size_of::<u64>();

/// The most lines a thread's [`Scratch`] lists keep room for between versions.
const SCRATCH_LINES: usize = 1 << 14;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

impl Drop for Lines {
    fn drop(&mut self) {
        let (mut digests, mut starts) = (take(&mut self.digests), take(&mut self.starts));
        if digests.capacity() > SCRATCH_LINES {
            return;
        }
        digests.clear();
        starts.clear();
        SCRATCH.with_borrow_mut(|scratch| {
            scratch.digests = digests;
            scratch.starts = starts;
        });
    }
}

impl Revisions {
    /// The lines of `bytes`, split at `\n`.
    pub fn lines(&self, bytes: &[u8]) -> Lines {
        let (mut digests, mut starts) = SCRATCH
            .with_borrow_mut(|scratch| (take(&mut scratch.digests), take(&mut scratch.starts)));
        let mut at = 0;
        while at < bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
            starts.push(at as u32);
            digests.push(self.seed.hash_one(&bytes[at..end]));
            at = end + 1;
        }
        Lines { digests, starts }
    }

    /// An earlier version's lines, if they are still kept. They are taken: the next version
    /// keeps its own.
    pub fn take(&self, id: BlobId) -> Option<Arc<Earlier>> {
        self.asked.fetch_add(1, Relaxed);
        let mut kept = self.kept.lock().expect("no panics while holding");
        let earlier = kept.sets.remove(&id)?;
        kept.bytes -= earlier.weight();
        self.found.fetch_add(1, Relaxed);
        Some(earlier)
    }

    /// Whether comparing versions pays in this history: after a trial, at least a quarter of
    /// the earlier versions asked for were still kept. In a history whose files change
    /// rarely (each release of a C library rewrites thousands of files once), the budget
    /// holds almost none of them by the time the next version comes (2% on 62,000 commits
    /// of six libraries), and hashing every line then only costs (7% of the audit's time);
    /// past the trial the versions are scanned whole, as they would be anyway.
    ///
    /// Once it does not pay, nothing is asked for again (the caller asks this first), so the
    /// digests kept are never read: they are dropped, and their memory serves the rest.
    pub fn pays(&self) -> bool {
        let asked = self.asked.load(Relaxed);
        let pays = asked < TRIAL || 4 * self.found.load(Relaxed) >= asked;
        if !pays && !self.dropped.swap(true, Relaxed) {
            *self.kept.lock().expect("no panics while holding") = Kept::default();
        }
        pays
    }

    /// Keeps a version's lines for the next version, dropping the oldest past the budget.
    pub fn keep(&self, id: BlobId, lines: &Lines, candidates: usize, keywords: Vec<usize>) {
        let earlier = Earlier {
            digests: lines.digests.as_slice().into(),
            candidates,
            keywords,
        };
        let weight = earlier.weight();
        if weight > MAX_WEIGHT {
            return;
        }
        let mut kept = self.kept.lock().expect("no panics while holding");
        if let Some(old) = kept.sets.insert(id, Arc::new(earlier)) {
            kept.bytes -= old.weight();
        } else {
            kept.order.push_back(id);
        }
        kept.bytes += weight;
        while kept.bytes > BUDGET {
            let Some(oldest) = kept.order.pop_front() else {
                break;
            };
            if let Some(old) = kept.sets.remove(&oldest) {
                kept.bytes -= old.weight();
            }
        }
        // Ids taken or replaced stay in `order` until they come up; past twice the versions
        // kept, they are dropped, so the queue stays bounded by what is kept.
        if kept.order.len() > 2 * kept.sets.len() + 64 {
            let Kept { sets, order, .. } = &mut *kept;
            order.retain(|id| sets.contains_key(id));
        }
    }
}

/// Where each line of an earlier version is, by its digest: the first place, for a line
/// held twice. Each slot holds a line's place plus one (0: empty), and the line's digest is
/// read from the version's own list; the digests are seeded hashes already, so their low
/// bits pick the slot. Four bytes a slot, against sixteen and a control byte in a hash map
/// of digests: comparing versions of a chart repository's files spent 82 ms building and
/// probing the map.
#[derive(Default)]
struct Places {
    slots: Vec<u32>,
}

impl Places {
    /// Holds the places of `digests`, each line at its first place.
    fn fill(&mut self, digests: &[u64]) {
        let size = (2 * digests.len()).next_power_of_two().max(16);
        self.slots.clear();
        self.slots.resize(size, 0);
        let mask = size - 1;
        // Last to first, so that a line held twice ends at its first place.
        for (i, &d) in digests.iter().enumerate().rev() {
            let mut slot = d as usize & mask;
            loop {
                match self.slots[slot] {
                    0 => break,
                    p if digests[p as usize - 1] == d => break,
                    _ => slot = (slot + 1) & mask,
                }
            }
            self.slots[slot] = i as u32 + 1;
        }
    }

    /// The first place of the line whose digest is `d`, in `digests` (those it was filled
    /// with).
    fn get(&self, digests: &[u64], d: u64) -> Option<usize> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut slot = d as usize & mask;
        loop {
            match self.slots[slot] {
                0 => return None,
                p if digests[p as usize - 1] == d => return Some(p as usize - 1),
                _ => slot = (slot + 1) & mask,
            }
        }
    }
}

/// The lines of `lines` that `earlier` did not hold, or did not hold after the line before
/// (the first line: at the start; and the last, if `earlier` went on after it).
fn changed(lines: &Lines, earlier: &Earlier) -> Vec<usize> {
    let old = &earlier.digests;
    SCRATCH.with_borrow_mut(|scratch| {
        let places = &mut scratch.places;
        places.fill(old);
        let mut changed = Vec::new();
        // Where in `old` the previous line was, if it was there; the last line that was, and
        // how many changed lines followed it.
        let mut previous: Option<usize> = None;
        let (mut last, mut run) = (None, 0);
        for (i, &d) in lines.digests.iter().enumerate() {
            // Where it would be if nothing was cut: after the previous line, or after the
            // last line held and the lines that replaced (or were put after) those following
            // it. A line held twice is found there, not at its first place.
            let guesses = match (previous, last) {
                (Some(p), _) => [p + 1, p + 1],
                (None, Some(l)) => [l + 1 + run, l + 1],
                (None, None) => [run, 0],
            };
            let place = (guesses.into_iter())
                .find(|&g| old.get(g) == Some(&d))
                .or_else(|| places.get(old, d));
            match place {
                None => {
                    changed.push(i);
                    run += 1;
                }
                Some(p) => {
                    // Not where the line before leads: something was cut or moved between.
                    let cut = match previous {
                        Some(q) => p != q + 1,
                        None => i == 0 && p != 0,
                    };
                    if cut {
                        changed.extend(i.checked_sub(1));
                        changed.push(i);
                    }
                    (last, run) = (Some(p), 0);
                }
            }
            previous = place;
        }
        if previous.is_some_and(|p| p + 1 != old.len()) {
            changed.push(lines.digests.len().saturating_sub(1));
        }
        if places.slots.len() > 2 * SCRATCH_LINES {
            *places = Default::default();
        }
        changed
    })
}

/// Whether a version is large enough that comparing it with the next (or the last) saves
/// more than it costs; smaller ones are scanned whole, and their lines not kept.
pub fn worth_comparing(bytes: &[u8]) -> bool {
    (MIN_BYTES..=MAX_BYTES).contains(&bytes.len())
        && memchr::memchr_iter(b'\n', bytes).count() < MAX_LINES
}

/// The byte ranges of `bytes` to search given the lines an earlier version held: each changed
/// line with [`CONTEXT_LINES`] on each side, a block of encoded lines it touches whole, and
/// `extra` (spans that must be searched again, such as the analyzer's findings) likewise.
/// The matches kept are those touching a changed line or the line on either side (a match
/// in lines the earlier version held was judged there; one cut at a region's edge is not the
/// match the whole blob holds).
/// `None` where the whole blob should be scanned: a small blob, or one mostly changed.
pub fn regions(
    bytes: &[u8],
    lines: &Lines,
    base: &Earlier,
    extra: &[Range<usize>],
) -> Option<Narrowed> {
    // The caller asked `worth_comparing` (a pass over the bytes); the size is enough here.
    if bytes.len() < MIN_BYTES {
        return None;
    }
    let n = lines.digests.len();
    let line_of = |offset: usize| {
        (lines.starts)
            .partition_point(|&s| s as usize <= offset)
            .max(1)
            - 1
    };
    let mut marked = vec![false; n];
    let mut keep = vec![false; n];
    let mut changed = changed(lines, base);
    for span in extra {
        let last = line_of(span.end.saturating_sub(1).max(span.start));
        changed.extend(line_of(span.start)..=last);
    }
    changed.sort_unstable();
    changed.dedup();
    let line = |i: usize| {
        let end = lines
            .starts
            .get(i + 1)
            .map_or(bytes.len(), |&s| s as usize - 1);
        &bytes[lines.start(i)..end]
    };
    // Each line's answer is kept: the lines near one change are near the next one too.
    let mut known = vec![None; n];
    let mut block = |i: usize| *known[i].get_or_insert_with(|| is_block_line(line(i)));
    // The lines before this were searched for blocks already: a block holding many changed
    // lines is widened over once, so the whole stays linear in the lines.
    let mut widened = 0;
    for &i in &changed {
        let (mut lo, mut hi) = (i, i);
        // An encoded block near the change is searched whole: a key's body and its
        // BEGIN and END lines (the context below adds them), a wrapped base64 value.
        let near = i.saturating_sub(CONTEXT_LINES)..(i + CONTEXT_LINES + 1).min(n);
        if i >= widened && near.clone().any(&mut block) {
            let (mut gap, mut j) = (0, i);
            while j > widened && gap <= BLOCK_GAP {
                j -= 1;
                gap = if block(j) { 0 } else { gap + 1 };
                if gap == 0 {
                    lo = j;
                }
            }
            (gap, j) = (0, i);
            while j + 1 < n && gap <= BLOCK_GAP {
                j += 1;
                gap = if block(j) { 0 } else { gap + 1 };
                if gap == 0 {
                    hi = j;
                }
            }
            widened = j + 1;
        }
        keep[i.saturating_sub(1)..=(i + 1).min(n - 1)]
            .iter_mut()
            .for_each(|k| *k = true);
        lo = lo.min(i);
        hi = hi.max(i);
        let mut context = 0;
        while lo > 0 && context < CONTEXT_LINES {
            lo -= 1;
            context += usize::from(!line(lo).trim_ascii().is_empty());
        }
        context = 0;
        while hi + 1 < n && context < CONTEXT_LINES {
            hi += 1;
            context += usize::from(!line(hi).trim_ascii().is_empty());
        }
        marked[lo..=hi].iter_mut().for_each(|m| *m = true);
    }
    let search = spans(bytes, lines, &marked);
    let total: usize = search.iter().map(Range::len).sum();
    (total * 100 <= bytes.len() * MAX_SHARE).then(|| Narrowed {
        search,
        keep: spans(bytes, lines, &keep),
        maybe: base.keywords.clone(),
    })
}

/// The marked lines as byte ranges, neighbours merged.
fn spans(bytes: &[u8], lines: &Lines, marked: &[bool]) -> Vec<Range<usize>> {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    for i in (0..marked.len()).filter(|&i| marked[i]) {
        let start = lines.start(i);
        let end = lines.starts.get(i + 1).map_or(bytes.len(), |&s| s as usize);
        match ranges.last_mut() {
            Some(last) if last.end == start => last.end = end,
            _ => ranges.push(start..end),
        }
    }
    ranges
}

/// A line that may be part of an encoded block: at least [`BLOCK_LINE`] characters of the
/// base64 alphabets once indentation, quotes and what joins a literal to the next line (a
/// comma, a backslash, a concatenation operator) are set aside.
fn is_block_line(line: &[u8]) -> bool {
    let mut line = line.trim_ascii();
    for join in [&b"\\"[..], b",", b"+", b"..", b".", b"&", b";"] {
        if let Some(rest) = line.strip_suffix(join) {
            line = rest.trim_ascii_end();
            break;
        }
    }
    for join in [&b"+"[..], b"..", b".", b"&"] {
        if let Some(rest) = line.strip_prefix(join) {
            line = rest.trim_ascii_start();
            break;
        }
    }
    let line = line.strip_prefix(b"\"").unwrap_or(line);
    let line = line.strip_suffix(b"\"").unwrap_or(line);
    let line = line.strip_prefix(b"'").unwrap_or(line);
    let line = line.strip_suffix(b"'").unwrap_or(line);
    line.len() >= BLOCK_LINE
        && line
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The places found are a hash map's of each digest's first place, for lists with lines
    /// held many times, digests alike in their low bits (long probes), and digests absent.
    #[test]
    fn places_are_each_lines_first_place() {
        let mut next = crate::proptest_cases::numbers(0x9e37_79b9_7f4a_7c15);
        let mut places = Places::default();
        for len in [0, 1, 2, 15, 16, 17, 100, 5000] {
            for kind in 0..3 {
                let digests: Vec<u64> = (0..len)
                    .map(|_| match kind {
                        0 => next(),
                        1 => next() % 7,
                        _ => (next() % 50) << 40,
                    })
                    .collect();
                places.fill(&digests);
                let mut first = std::collections::HashMap::new();
                for (i, &d) in digests.iter().enumerate() {
                    first.entry(d).or_insert(i);
                }
                for &d in digests.iter().chain(&[next(), 3 << 40, 8]) {
                    assert_eq!(
                        places.get(&digests, d),
                        first.get(&d).copied(),
                        "{len} {kind}"
                    );
                }
            }
        }
    }

    fn id(n: u8) -> BlobId {
        BlobId([n; 20])
    }

    fn numbered(n: usize) -> String {
        (0..n)
            .map(|i| format!("line number {i} of the file\n"))
            .collect()
    }

    fn region_lines(text: &str, ranges: &[Range<usize>]) -> Vec<(usize, usize)> {
        let line = |at: usize| text[..at].matches('\n').count() + 1;
        ranges
            .iter()
            .map(|r| (line(r.start), line(r.end - 1)))
            .collect()
    }

    fn compare(old: &str, new: &str) -> Option<Vec<(usize, usize)>> {
        let revisions = Revisions::default();
        revisions.keep(id(1), &revisions.lines(old.as_bytes()), 0, Vec::new());
        let base = revisions.take(id(1)).expect("kept");
        let lines = revisions.lines(new.as_bytes());
        regions(new.as_bytes(), &lines, &base, &[]).map(|r| region_lines(new, &r.search))
    }

    /// A changed line is searched with three lines on each side; lines held before are not.
    #[test]
    fn a_changed_line_is_searched_with_its_context() {
        let old = numbered(400);
        let new = old.replace("line number 200 of", "password = hunter2 of");
        assert_eq!(compare(&old, &new), Some(vec![(198, 204)]));
        // Two changes close together make one region; at the ends, it stops at the file's.
        let new = new
            .replace("line number 205 of", "changed")
            .replace("line number 0 of", "x")
            .replace("line number 399 of", "y");
        assert_eq!(
            compare(&old, &new),
            Some(vec![(1, 4), (198, 209), (397, 400)])
        );
        // A line copied from elsewhere in the file was held, but not there: it and the line
        // after are searched, with their context.
        let moved = format!("line number 7 of the file\n{old}");
        assert_eq!(compare(&old, &moved), Some(vec![(1, 5)]));
        // Nothing changed: nothing to search.
        assert_eq!(compare(&old, &old), Some(vec![]));
    }

    /// A line cut joins the two around it, which the earlier version never held together:
    /// a match can span them now. Both are searched; so is the last line when the end is cut.
    #[test]
    fn a_cut_line_searches_the_lines_it_joins() {
        let old = numbered(400);
        let cut = old.replace("line number 200 of the file\n", "");
        // Lines 200 and 201 of the new version (199 and 201 before) are joined.
        assert_eq!(compare(&old, &cut), Some(vec![(197, 204)]));
        let end = old.replace("line number 399 of the file\n", "");
        assert_eq!(compare(&old, &end), Some(vec![(396, 399)]));
        let start = old.replace("line number 0 of the file\n", "");
        assert_eq!(compare(&old, &start), Some(vec![(1, 4)]));
    }

    /// One changed line of a key's body makes the whole key, BEGIN and END lines with it, a
    /// region, wherever the change is in the block.
    #[test]
    fn a_change_inside_an_encoded_block_searches_the_block() {
        let body: Vec<String> = (0..30)
            .map(|i| {
                format!(
                    "  {}",
                    "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkw".to_string() + &i.to_string()
                )
            })
            .collect();
        let key = format!(
            "key: |\n  -----BEGIN RSA PRIVATE KEY-----\n{}\n  -----END RSA PRIVATE KEY-----\n",
            body.join("\n")
        );
        let old = format!("{}{key}{}", numbered(100), numbered(100));
        let new = old.replace(
            &body[15],
            "  QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwchanged",
        );
        // The body is lines 103 to 132 (BEGIN 102, END 133): with three more on each side.
        assert_eq!(compare(&old, &new), Some(vec![(100, 135)]));
        // A body shorter than the context around the change: BEGIN and END still in.
        let short = format!(
            "{}-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n{}",
            numbered(100),
            body[..6].join("\n"),
            numbered(100)
        );
        let new = short.replace(
            &body[3],
            "  QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwchanged",
        );
        // BEGIN 101, body 102 to 107, END 108.
        assert_eq!(compare(&short, &new), Some(vec![(99, 110)]));
    }

    /// A file that repeats its lines (a second copy of a block): a line changed in the copy
    /// is found in the copy, and what follows it lines up there, not at the first copy.
    #[test]
    fn repeated_lines_line_up_after_a_change() {
        let old = format!("{}{}", numbered(100), numbered(100));
        let new = format!(
            "{}{}",
            numbered(100),
            numbered(100).replace("line number 50 of", "changed")
        );
        assert_eq!(compare(&old, &new), Some(vec![(148, 154)]));
    }

    /// Blank lines are not context: a value changed below a key and blank lines is searched
    /// with its key.
    #[test]
    fn blank_lines_do_not_count_as_context() {
        let old = format!(
            "{}password:\n\n\n\n\n  old-value\n{}",
            numbered(100),
            numbered(100)
        );
        let new = old.replace("old-value", "new-value");
        // `password:` is line 101 (with the two before it, three lines of context), the
        // value 106.
        assert_eq!(compare(&old, &new), Some(vec![(99, 109)]));
    }

    /// The pieces of a literal split over lines (`"…" +`, `"…",`, `. "…"`) are a block.
    #[test]
    fn split_literals_are_blocks() {
        let piece = "QUJDREVGR0hJSktMTU5PUFFS";
        for line in [
            format!("    \"{piece}\" +"),
            format!("  + \"{piece}\""),
            format!("\"{piece}\","),
            format!("  . '{piece}'"),
            format!("\"{piece}\" \\"),
            format!("  {piece}=="),
        ] {
            assert!(is_block_line(line.as_bytes()), "{line}");
        }
        for line in [
            "password = hunter2",
            "\"short\" +",
            "line number 3 of the file",
        ] {
            assert!(!is_block_line(line.as_bytes()), "{line}");
        }
    }

    /// A block of thousands of lines, every tenth changed, is one region, found once.
    #[test]
    fn a_long_block_with_many_changes_is_one_region() {
        let body: Vec<String> = (0..5_000)
            .map(|i| format!("QUJDREVGR0hJSktMTU5P{i:08}"))
            .collect();
        let file = |body: &[String], around: usize| {
            format!(
                "{}{}\n{}",
                numbered(around),
                body.join("\n"),
                numbered(around)
            )
        };
        let mut tenth = body.clone();
        for line in tenth.iter_mut().step_by(10) {
            line.push_str("AA");
        }
        // The block is most of this file: scanned whole.
        assert_eq!(compare(&file(&body, 100), &file(&tenth, 100)), None);
        // A small part of this one: the block whole, with three lines on each side.
        assert_eq!(
            compare(&file(&body, 20_000), &file(&tenth, 20_000)),
            Some(vec![(19_998, 25_003)])
        );
    }

    /// Small versions and versions mostly changed are scanned whole.
    #[test]
    fn small_or_mostly_changed_versions_are_scanned_whole() {
        assert_eq!(compare("a\nb\n", "a\nc\n"), None);
        let old = numbered(400);
        let new = old.replace("of the", "in the");
        assert_eq!(compare(&old, &new), None);
    }

    /// Extra spans (the analyzer's findings) are searched as changed lines are.
    #[test]
    fn extra_spans_are_searched_with_context() {
        let text = numbered(400);
        let revisions = Revisions::default();
        let lines = revisions.lines(text.as_bytes());
        revisions.keep(id(2), &lines, 0, Vec::new());
        let base = revisions.take(id(2)).expect("kept");
        let at = text.find("line number 50 of").unwrap();
        let found = regions(
            text.as_bytes(),
            &lines,
            &base,
            std::slice::from_ref(&(at..at + 4)),
        )
        .unwrap();
        assert_eq!(region_lines(&text, &found.search), vec![(48, 54)]);
        assert_eq!(region_lines(&text, &found.keep), vec![(50, 52)]);
    }

    /// Comparing stops paying where the versions asked for were mostly dropped by then.
    #[test]
    fn comparing_pays_while_a_quarter_of_the_versions_asked_for_are_kept() {
        let revisions = Revisions::default();
        let lines = revisions.lines(numbered(10).as_bytes());
        for n in 0..TRIAL {
            if n % 3 == 0 {
                revisions.keep(BlobId([0; 20]), &lines, 0, Vec::new());
            }
            assert!(revisions.pays(), "still in the trial at {n}");
            revisions.take(BlobId([0; 20]));
        }
        assert!(revisions.pays(), "a third were kept");
        for _ in 0..TRIAL {
            revisions.take(BlobId([1; 20]));
        }
        revisions.keep(BlobId([2; 20]), &lines, 0, Vec::new());
        assert!(revisions.kept.lock().unwrap().bytes > 0);
        assert!(!revisions.pays(), "a sixth were kept");
        // Nothing is asked for again: what was kept is dropped.
        let kept = revisions.kept.lock().unwrap();
        assert_eq!((kept.bytes, kept.sets.len(), kept.order.len()), (0, 0, 0));
    }

    /// The versions kept stay within the budget, oldest dropped first, and each is taken once.
    #[test]
    fn kept_sets_stay_within_the_budget() {
        let revisions = Revisions::default();
        let text = numbered(20_000);
        let lines = revisions.lines(text.as_bytes());
        for n in 0..100 {
            revisions.keep(id(n), &lines, 0, Vec::new());
        }
        let kept = revisions.kept.lock().unwrap();
        assert!(kept.bytes <= BUDGET, "{} bytes kept", kept.bytes);
        assert!(kept.sets.contains_key(&id(99)) && !kept.sets.contains_key(&id(0)));
        assert!(kept.sets.len() > 1, "more than one version fits");
        assert!(kept.order.len() <= 2 * kept.sets.len() + 64);
        drop(kept);
        assert!(revisions.take(id(99)).is_some() && revisions.take(id(99)).is_none());
    }
}
