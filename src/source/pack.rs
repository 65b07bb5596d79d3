//! Trees and blobs read straight from a repository's pack files, for the history audit,
//! keeping the versions that delta chains pass through.
//!
//! A pack stores most versions of a tree or a file as a delta on another version, in chains
//! up to 50 deep (the objects of a replayed chart repository's pack sit 20 deep on average).
//! libgit2 keeps only the object at the bottom of a chain: each read walks the chain's headers,
//! then inflates and applies every delta above the bottom again. The audit reads each folder's
//! and each file's versions in history order, one after the other, so the version a chain
//! needs next was most often made by the read before. Those versions are kept here, within a
//! memory budget, and a tree is then one small delta from a version in memory. A blob a pack
//! stores whole (half of a chart repository's versions, most of its bytes) is inflated once,
//! as before.
//!
//! Only what this reader knows is read here: packs of version 2 or 3 with an index of version
//! 2, and trees and blobs whose chain stays within those packs and within the size limit.
//! Anything else (a loose object, an alternate's, a damaged entry, a delta base over the
//! limit) is left to libgit2, which reads it, or says why not, as before. Packs are read with
//! positioned reads, not mapped: pages read stay in the system's cache, not in the process's
//! memory, which freed 48 MB of peak memory on a chart repository's audit.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use flate2::{Decompress, FlushDecompress, Status};
use git2::Oid;

/// Bytes of blob versions kept for the chains they sit in. A C project's 60,000-commit
/// history (files edited a few times each, a release apart) ran 7% faster with 4 MiB than
/// without, and 12% with 8 MiB, whose peak memory, 150 MB, was at the audit's cap.
const BUDGET: usize = 4 << 20;

/// Bytes of trees kept, apart from blobs. The walk reads each folder's trees oldest first, a
/// chain's versions each from the one after it. Kept with the blobs, which the scanning
/// threads read meanwhile (160 KB checksum lists in a history of Ansible collections), the
/// trees a chain made were pushed out before the walk came to them: each tree read inflated
/// 1.86 entries of its chain. Apart, 1.62, and the audit took 5% less time; 6 MiB of blobs
/// beside them took a C project's audit past its memory cap, so the two share the 6 MiB the
/// blobs and trees had together.
const TREE_BUDGET: usize = 2 << 20;

/// The deepest chain followed. git writes chains of at most 4,095; a chain of references
/// (`REF_DELTA`) can loop in a hostile pack, and is cut here.
const MAX_DEPTH: usize = 4096;

thread_local! {
    /// Each thread's libdeflate state, for streams read whole ([`Pack::inflate`]).
    static DEFLATER: RefCell<libdeflater::Decompressor> =
        RefCell::new(libdeflater::Decompressor::new());

    /// Each thread's zlib state, for streams read a chunk at a time (every stream of a pack of
    /// 2 GiB or more), reset for each: a new one allocated and set up its window and tables
    /// for every object (3% of a chart repository's audit).
    static INFLATER: RefCell<Decompress> = RefCell::new(Decompress::new(true));
}

/// Inflates the zlib stream at the start of `input` into `out`: how many bytes it made, or
/// `None` if the stream is damaged, cut, or makes more than `out` holds.
fn deflated(input: &[u8], out: &mut [u8]) -> Option<usize> {
    DEFLATER.with_borrow_mut(|d| d.zlib_decompress(input, out).ok())
}

/// The most bytes a zlib stream of an object of `size` bytes takes: deflate's stored
/// blocks add 5 bytes to each 65,535, and zlib 6 to the stream (with room to spare).
fn most_stored(size: u64) -> u64 {
    size.saturating_add(size / 1024).saturating_add(1024)
}

/// Bytes read from a pack at a time while inflating.
const CHUNK: usize = 64 << 10;

/// An object's bytes, shared by the versions kept and the reader that asked.
pub type Bytes = Arc<Vec<u8>>;

/// The kinds of object this reader reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Want {
    Blob,
    Tree,
}

/// What a read found.
pub enum Read {
    Found(Bytes),
    /// An object over the limit, with its size: nothing of it was inflated.
    TooLarge(u64),
    /// Not an object this reader reads (see the module's documentation): libgit2 reads it.
    Elsewhere,
}

/// The packs of one repository, and the versions kept.
pub struct Packs {
    packs: Vec<Pack>,
    /// The versions kept, blobs and trees apart (see [`TREE_BUDGET`]).
    kept: [Mutex<Kept>; 2],
    /// The blocks the trees' entries were read from lately (see [`Blocks`]).
    blocks: Mutex<Blocks>,
    /// The objects stored whole that a thread is inflating, for another that needs the same
    /// (see [`Packs::inflated_once`]).
    inflating: Mutex<foldhash::HashMap<Place, Inflating>>,
}

/// An object stored whole, once one thread has inflated it (`None`: it could not).
type Inflating = Arc<OnceLock<Option<Bytes>>>;

/// A place in the packs: which pack, and the offset of an entry in it.
type Place = (u32, u64);

#[derive(Default)]
struct Kept {
    versions: foldhash::HashMap<Place, Bytes>,
    order: VecDeque<Place>,
    bytes: usize,
}

impl Want {
    /// Which of [`Packs::kept`] holds versions of this kind.
    fn slot(self) -> usize {
        match self {
            Want::Blob => 0,
            Want::Tree => 1,
        }
    }

    /// The bytes of versions of this kind kept.
    fn budget(self) -> usize {
        match self {
            Want::Blob => BUDGET,
            Want::Tree => TREE_BUDGET,
        }
    }
}

struct Pack {
    index: File,
    data: File,
    /// The first eight bytes of each id the index lists, in its order: a lookup is a search
    /// in memory, and the whole id is confirmed from `rests` or with one read (a sixth of the
    /// index's size).
    prefixes: Box<[u64]>,
    /// The other twelve bytes of each id, for an index of at most [`IDS_KEPT`] objects (with
    /// the packs before it): a lookup is then no read at all. A larger one is read to confirm
    /// the id (a C project's 450,000 objects would hold 5 MB more, near its audit's memory
    /// cap).
    rests: Option<Box<[[u8; 12]]>>,
    /// Each object's offset as the index lists it (past 2 GiB, where its large offset is).
    offsets: Box<[u32]>,
    /// Every entry's offset, in order: an entry's stream ends where the next entry starts, so
    /// it is read whole in one read and inflated in one call (see [`Pack::inflate`]). Empty
    /// for a pack of 2 GiB or more, whose streams are inflated a chunk at a time: four bytes
    /// an entry, not eight, keep a C project's audit under its memory cap.
    starts: Box<[u32]>,
    /// Where the entries end: the pack's length, less its checksum.
    end: u64,
    count: u64,
}

/// One entry of a pack: its kind, its size as stored (the object's, or the delta's), and
/// where its zlib stream starts.
struct Entry {
    kind: Kind,
    size: u64,
    data: u64,
    /// The first bytes of the stream at `data`, read with the header (most deltas whole).
    first: Vec<u8>,
}

/// Bytes read at an entry's offset at once: its header, and a small delta whole.
const HEAD: usize = 512;

/// The most objects whose whole ids are kept in memory, over all of a repository's packs (12
/// bytes more an object, 3 MiB at most): see [`Pack::rests`].
const IDS_KEPT: u64 = 1 << 18;

/// Bytes of a pack read at once for the headers of trees' entries, and how many such blocks
/// are kept (256 KiB).
const BLOCK: u64 = 2 << 10;
const BLOCKS: u64 = 128;

/// The blocks of the packs that trees' entries were read from lately, each in the slot its
/// number gives. The walk reads a folder's versions one after the other and a commit's
/// folders together, and git writes a chain's trees and a commit's trees near each other: on
/// a chart repository's history (115,000 tree entries read), the blocks served 83% of the
/// headers, each of which had been a read of its own. Blobs are read by several threads, far
/// apart, and not through these.
#[derive(Default)]
struct Blocks {
    slots: Vec<Option<Block>>,
}

struct Block {
    pack: u32,
    number: u64,
    /// Short at the pack's end.
    bytes: Vec<u8>,
}

impl Blocks {
    /// What `read_at` reads at `at` of pack `pack` (`file`), from the blocks kept, reading
    /// those missing.
    fn read(&mut self, pack: u32, file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
        if self.slots.is_empty() {
            self.slots.resize_with(BLOCKS as usize, || None);
        }
        let mut got = 0;
        while got < buf.len() {
            let here = at + got as u64;
            let number = here / BLOCK;
            let slot = &mut self.slots[(number % BLOCKS) as usize];
            let block = match slot {
                Some(block) if block.pack == pack && block.number == number => block,
                _ => {
                    let mut bytes = slot.take().map(|b| b.bytes).unwrap_or_default();
                    bytes.resize(BLOCK as usize, 0);
                    let n = read_at(file, &mut bytes, number * BLOCK)?;
                    bytes.truncate(n);
                    slot.insert(Block {
                        pack,
                        number,
                        bytes,
                    })
                }
            };
            let from = (here - number * BLOCK) as usize;
            let Some(there) = block.bytes.get(from..).filter(|b| !b.is_empty()) else {
                break;
            };
            let n = there.len().min(buf.len() - got);
            buf[got..got + n].copy_from_slice(&there[..n]);
            got += n;
        }
        Ok(got)
    }
}

enum Kind {
    Whole(Want),
    /// A commit or a tag: not what this reader is asked for.
    Other,
    Delta(Place),
}

impl Packs {
    /// The packs of the repository at `git_dir` this reader can read. One it cannot is left
    /// out: its objects are read by libgit2.
    pub fn open(git_dir: &Path) -> Packs {
        Packs::open_keeping(git_dir, IDS_KEPT)
    }

    /// [`Packs::open`], keeping whole ids for the packs, in order, while their objects come
    /// to at most `ids` in all (see [`Pack::rests`]): however many packs a repository holds,
    /// the ids kept stay within 3 MiB.
    fn open_keeping(git_dir: &Path, mut ids: u64) -> Packs {
        let folder = git_dir.join("objects").join("pack");
        let mut names: Vec<_> = std::fs::read_dir(&folder)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "idx"))
            .collect();
        names.sort();
        let packs = names
            .iter()
            .filter_map(|idx| Pack::open(idx, &mut ids).ok())
            .collect();
        Packs {
            packs,
            kept: Default::default(),
            blocks: Default::default(),
            inflating: Default::default(),
        }
    }

    /// Object `id`, a `want`, if it is at most `max` bytes.
    pub fn read(&self, id: Oid, want: Want, max: u64) -> Read {
        let Some(place) = self.find(id) else {
            return Read::Elsewhere;
        };
        match self.resolve(place, want, max) {
            Some((found, kind)) if kind == want => found,
            _ => Read::Elsewhere,
        }
    }

    /// `parse` of every commit the packs store whole before their first other entry, by
    /// id, read `threads` at a time. git writes a pack's commits first, so a history audit
    /// finds its commit graph there: read in large reads and inflated in parallel, it no
    /// longer holds the scanning threads waiting while one thread reads each commit in turn
    /// (75 ms of a 16,000-commit history's 1.5 s). A commit stored elsewhere, or larger than
    /// `max`, is not here; the caller reads it as before.
    ///
    /// Each id is the hash of the bytes inflated, as git computes it, so what this returns
    /// for an id is that object whatever the pack or its index say. Memory holds one batch
    /// of [`COMMIT_BATCH`] bytes at a time, and what `parse` keeps.
    pub fn leading_commits<T: Send>(
        &self,
        threads: usize,
        max: u64,
        parse: impl Fn(&[u8]) -> Option<T> + Sync,
    ) -> foldhash::HashMap<Oid, T> {
        let mut found = foldhash::HashMap::default();
        for pack in &self.packs {
            let mut next = 0;
            // Each batch: the commits of one read; the last stops at the first other entry.
            while let Some(batch) = pack.commit_batch(&mut next, max) {
                let CommitBatch {
                    bytes,
                    commits: entries,
                    more,
                } = batch;
                let per = entries.len().div_ceil(threads.max(1)).max(1);
                let (bytes, parse) = (&bytes, &parse);
                std::thread::scope(|s| {
                    let parts: Vec<_> = (entries.chunks(per))
                        .map(|part| s.spawn(move || inflate_commits(bytes, part, parse)))
                        .collect();
                    for part in parts {
                        found.extend(part.join().expect("inflating does not panic"));
                    }
                });
                if !more {
                    break;
                }
            }
        }
        found
    }

    fn find(&self, id: Oid) -> Option<Place> {
        (self.packs.iter().enumerate())
            .find_map(|(n, pack)| Some((n as u32, pack.find(id.as_bytes()).ok()??)))
    }

    /// The version at `place`, if one of this kind is kept.
    fn kept(&self, place: Place, kind: Want) -> Option<Bytes> {
        let kept = self.kept[kind.slot()]
            .lock()
            .expect("no panics while holding");
        kept.versions.get(&place).cloned()
    }

    fn keep(&self, place: Place, version: &Bytes, kind: Want) {
        // A version larger than a quarter of its budget would push out many smaller ones.
        if version.len() > kind.budget() / 4 {
            return;
        }
        let mut kept = self.kept[kind.slot()]
            .lock()
            .expect("no panics while holding");
        if kept.versions.insert(place, version.clone()).is_some() {
            return;
        }
        kept.order.push_back(place);
        kept.bytes += version.len();
        while kept.bytes > kind.budget() {
            let Some(oldest) = kept.order.pop_front() else {
                break;
            };
            if let Some(dropped) = kept.versions.remove(&oldest) {
                kept.bytes -= dropped.len();
            }
        }
    }

    /// The object at `place`, and its kind: `None` where libgit2 should read it. A chain is
    /// followed only for the kind asked for (a tree entry can name a blob).
    fn resolve(&self, place: Place, want: Want, max: u64) -> Option<(Read, Want)> {
        if let Some(version) = self.kept(place, want) {
            return Some((Read::Found(version), want));
        }
        // Down the chain to a version kept or a whole blob, noting each delta on the way: the
        // first is the version asked for.
        let mut deltas: Vec<(Place, Entry)> = Vec::new();
        let mut at = place;
        let mut bottom: Bytes = loop {
            if deltas.len() > MAX_DEPTH {
                return None;
            }
            if !deltas.is_empty()
                && let Some(version) = self.kept(at, want)
            {
                break version;
            }
            let pack = &self.packs[at.0 as usize];
            let entry = pack.entry(at, self, want == Want::Tree).ok()?;
            match entry.kind {
                Kind::Delta(base) => {
                    // A delta's own bytes are about as many as the version it makes, at most.
                    if entry.size > max.saturating_mul(2).saturating_add(1 << 20) {
                        return None;
                    }
                    deltas.push((at, entry));
                    at = base;
                }
                Kind::Whole(kind) if kind != want => return None,
                // The object asked for, whole and too large; or a base over the limit of a
                // version within it, which libgit2 reads.
                Kind::Whole(kind) if entry.size > max => {
                    return deltas
                        .is_empty()
                        .then_some((Read::TooLarge(entry.size), kind));
                }
                Kind::Whole(_) => {
                    break self.inflated_once(at, want, || pack.inflate(&entry).ok())?;
                }
                Kind::Other => return None,
            }
        };
        // The version asked for is the first delta's target: its size is known before any
        // other delta is inflated.
        let mut top = match deltas.first() {
            Some(&(at, ref entry)) => {
                let delta = self.inflate(at, entry).ok()?;
                let (_, target, _) = delta_sizes(&delta)?;
                if target > max {
                    return Some((Read::TooLarge(target), want));
                }
                Some(delta)
            }
            None => None,
        };
        for (n, (at, entry)) in deltas.iter().enumerate().rev() {
            let delta = match n {
                0 => top.take()?,
                _ => self.inflate(*at, entry).ok()?,
            };
            let version: Bytes = apply(&bottom, &delta, max)?.into();
            self.keep(*at, &version, want);
            bottom = version;
        }
        Some((Read::Found(bottom), want))
    }

    fn inflate(&self, at: Place, entry: &Entry) -> io::Result<Vec<u8>> {
        self.packs[at.0 as usize].inflate(entry)
    }

    /// The object stored whole at `place`, inflated by `inflate` and kept, or by the thread
    /// already inflating it: that one is waited for. A file's version and the next, stored
    /// as a delta on it, are often scanned at the same time on two threads, and each
    /// inflated the version: 700 of a chart repository's whole blobs, 109 MB, a fifth of
    /// what its audit inflated. Once kept, or if no thread is inflating it, it is inflated
    /// again as before.
    fn inflated_once(
        &self,
        place: Place,
        kind: Want,
        inflate: impl FnOnce() -> Option<Vec<u8>>,
    ) -> Option<Bytes> {
        let cell: Inflating = {
            let mut inflating = self.inflating.lock().expect("no panics while holding");
            inflating.entry(place).or_default().clone()
        };
        let whole = cell
            .get_or_init(|| {
                let whole: Bytes = inflate()?.into();
                self.keep(place, &whole, kind);
                Some(whole)
            })
            .clone();
        let mut inflating = self.inflating.lock().expect("no panics while holding");
        if inflating.get(&place).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            inflating.remove(&place);
        }
        whole
    }
}

impl Pack {
    /// The pack of the index at `index_path`, keeping its whole ids if its objects are at
    /// most `ids`, which they are then taken from.
    fn open(index_path: &Path, ids: &mut u64) -> io::Result<Pack> {
        let index = File::open(index_path)?;
        let data = File::open(index_path.with_extension("pack"))?;
        let mut header = [0; 8 + 1024];
        read_exact_at(&index, &mut header, 0)?;
        if header[..8] != [0xff, b't', b'O', b'c', 0, 0, 0, 2] {
            return Err(invalid("not an index of version 2"));
        }
        let count = u64::from(u32::from_be_bytes(
            header[8 + 1020..].try_into().expect("4"),
        ));
        // Ids, crc and offset of each object, and the two checksums, at least; a count that
        // does not fit the file is not believed (nor allocated for).
        if index.metadata()?.len() < 8 + 1024 + 28 * count + 40 {
            return Err(invalid("an index shorter than its count"));
        }
        let mut prefixes = Vec::with_capacity(count as usize);
        let mut rests = (count <= *ids).then(|| Vec::with_capacity(count as usize));
        if rests.is_some() {
            *ids -= count;
        }
        let mut offsets = Vec::with_capacity(count as usize);
        let mut buf = vec![0; 20 * 4096];
        while (prefixes.len() as u64) < count {
            let done = prefixes.len() as u64;
            let n = (count - done).min(4096) as usize;
            read_exact_at(&index, &mut buf[..20 * n], 8 + 1024 + 20 * done)?;
            let ids = buf[..20 * n].chunks_exact(20);
            prefixes.extend(
                ids.clone()
                    .map(|id| u64::from_be_bytes(id[..8].try_into().expect("8"))),
            );
            if let Some(rests) = &mut rests {
                rests.extend(ids.map(|id| <[u8; 12]>::try_from(&id[8..]).expect("12")));
            }
            read_exact_at(&index, &mut buf[..4 * n], 8 + 1024 + 24 * count + 4 * done)?;
            let at = buf[..4 * n].chunks_exact(4);
            offsets.extend(at.map(|o| u32::from_be_bytes(o.try_into().expect("4"))));
        }
        let mut pack_header = [0; 8];
        read_exact_at(&data, &mut pack_header, 0)?;
        if &pack_header[..4] != b"PACK" || !matches!(pack_header[7], 2 | 3) {
            return Err(invalid("not a pack of version 2 or 3"));
        }
        let end = data.metadata()?.len().saturating_sub(20);
        let mut pack = Pack {
            index,
            data,
            prefixes: prefixes.into(),
            rests: rests.map(Vec::into_boxed_slice),
            offsets: offsets.into(),
            starts: Box::default(),
            end,
            count,
        };
        // Below 2 GiB, no offset is in the index's table of large ones.
        if end < 1 << 31 && pack.offsets.iter().all(|&o| o & 0x8000_0000 == 0) {
            let mut starts = pack.offsets.to_vec();
            starts.sort_unstable();
            pack.starts = starts.into();
        }
        Ok(pack)
    }

    /// The offset of object `id` in the pack, if the index lists it.
    fn find(&self, id: &[u8]) -> io::Result<Option<u64>> {
        let prefix = u64::from_be_bytes(id[..8].try_into().expect("an id of 20 bytes"));
        let first = first_at_least(&self.prefixes, prefix);
        // Ids sharing the prefix (a repository can make some) are told apart by the rest.
        let mut found = None;
        for n in first..self.prefixes.len() {
            if self.prefixes[n] != prefix {
                break;
            }
            let same = match &self.rests {
                Some(rests) => rests[n] == id[8..],
                None => {
                    let mut whole = [0; 20];
                    read_exact_at(&self.index, &mut whole, 8 + 1024 + 20 * n as u64)?;
                    whole == id
                }
            };
            if same {
                found = Some(n as u64);
                break;
            }
        }
        match found {
            Some(n) => self.offset(n as usize).map(Some),
            None => Ok(None),
        }
    }

    /// The offset of the `n`th object the index lists.
    fn offset(&self, n: usize) -> io::Result<u64> {
        let small = self.offsets[n];
        if small & 0x8000_0000 == 0 {
            return Ok(u64::from(small));
        }
        let mut large = [0; 8];
        let at = 8 + 1024 + 28 * self.count + 8 * u64::from(small & 0x7fff_ffff);
        read_exact_at(&self.index, &mut large, at)?;
        Ok(u64::from_be_bytes(large))
    }

    /// The commits stored whole from entry `*next` (of [`Pack::starts`]) on, as many as
    /// [`COMMIT_BATCH`] bytes hold (one over `max` is passed over); the batch ends early at
    /// another kind of entry. `*next` moves past the batch. `None` once there are no more,
    /// or for a pack whose starts are not known.
    fn commit_batch(&self, next: &mut usize, max: u64) -> Option<CommitBatch> {
        let first = *next;
        let from = u64::from(*self.starts.get(first)?);
        let end = |n: usize| self.starts.get(n + 1).map_or(self.end, |&s| u64::from(s));
        let limit = from + COMMIT_BATCH as u64;
        // The entries that end within the limit (and after they start: an index can list
        // offsets past the pack's end). A first one that does not end there is larger than
        // `max` (a stream of 4 MiB makes more than 1 MiB) or damaged; it and the commits
        // after it are left to the caller, which reads them one at a time.
        let last = (first..self.starts.len())
            .take_while(|&n| end(n) <= limit && end(n) >= u64::from(self.starts[n]))
            .last()?;
        let mut bytes = vec![0; (end(last) - from) as usize];
        read_exact_at(&self.data, &mut bytes, from).ok()?;
        let mut commits = Vec::new();
        for n in first..=last {
            let (at, to) = (u64::from(self.starts[n]) - from, end(n) - from);
            let entry = &bytes[at as usize..to as usize];
            let Ok((1, size, head)) = type_and_size(entry) else {
                *next = self.starts.len();
                let more = false;
                return Some(CommitBatch {
                    bytes,
                    commits,
                    more,
                });
            };
            if size <= max {
                commits.push((at as usize + head..to as usize, size as usize));
            }
        }
        *next = last + 1;
        let more = *next < self.starts.len();
        Some(CommitBatch {
            bytes,
            commits,
            more,
        })
    }

    /// Where the stream at `data` ends: where the next entry starts, or where the entries end;
    /// 0 where the entries' starts are not known. (Entries are not spread evenly, a whole blob
    /// beside small deltas: a search from a guess, as for ids, took twice as long as halving.)
    fn end_of(&self, data: u64) -> u64 {
        if self.starts.is_empty() {
            return 0;
        }
        let next = self.starts.partition_point(|&s| u64::from(s) <= data);
        self.starts.get(next).map_or(self.end, |&s| u64::from(s))
    }

    /// The entry at `place` (in this pack, `packs.packs[place.0]`), its header read through
    /// the [`Blocks`] kept if `blocks` (a tree's).
    fn entry(&self, place: Place, packs: &Packs, blocks: bool) -> io::Result<Entry> {
        let offset = place.1;
        let mut head = vec![0; HEAD];
        let got = if blocks {
            let mut blocks = packs.blocks.lock().expect("no panics while holding");
            blocks.read(place.0, &self.data, &mut head, offset)?
        } else {
            read_at(&self.data, &mut head, offset)?
        };
        head.truncate(got);
        let byte = |i: usize| head.get(i).copied().ok_or_else(|| invalid("a cut header"));
        let (kind, size, mut i) = type_and_size(&head)?;
        let mut c;
        let kind = match kind {
            2 => Kind::Whole(Want::Tree),
            3 => Kind::Whole(Want::Blob),
            1 | 4 => Kind::Other,
            6 => {
                c = byte(i)?;
                i += 1;
                let mut back = u64::from(c & 0x7f);
                while c & 0x80 != 0 {
                    c = byte(i)?;
                    i += 1;
                    if back >= 1 << 56 {
                        return Err(invalid("a base offset too large"));
                    }
                    back = ((back + 1) << 7) | u64::from(c & 0x7f);
                }
                if back == 0 || back > offset {
                    return Err(invalid("a base outside the pack"));
                }
                Kind::Delta((place.0, offset - back))
            }
            7 => {
                let id = head.get(i..i + 20).ok_or_else(|| invalid("a cut header"))?;
                i += 20;
                let id = Oid::from_bytes(id).map_err(|_| invalid("a bad id"))?;
                Kind::Delta(packs.find(id).ok_or_else(|| invalid("a base elsewhere"))?)
            }
            _ => return Err(invalid("an unknown entry type")),
        };
        head.drain(..i);
        Ok(Entry {
            kind,
            size,
            data: offset + i as u64,
            first: head,
        })
    }

    /// The `size` bytes of the entry's zlib stream: an error if it holds more or fewer.
    ///
    /// The stream lies between the entry's header and the next entry, so it is read in one
    /// read and inflated in one call by libdeflate, which inflates a whole buffer faster than
    /// zlib inflates a stream (blobs were 15% of a chart repository's audit, trees' deltas
    /// 4% more). A stream longer than any zlib stream of its size can be (a pack whose index
    /// lists no entry after it, or a damaged one) is inflated as a stream, up to its end.
    fn inflate(&self, entry: &Entry) -> io::Result<Vec<u8>> {
        self.inflate_to(entry, self.end_of(entry.data))
    }

    /// [`Pack::inflate`] for a stream that ends at `end`.
    fn inflate_to(&self, entry: &Entry, end: u64) -> io::Result<Vec<u8>> {
        let size = usize::try_from(entry.size).map_err(|_| invalid("a size too large"))?;
        let stored = end.saturating_sub(entry.data);
        if stored > 0 && stored <= most_stored(entry.size) {
            let mut out = vec![0; size];
            let got = if stored as usize <= entry.first.len() {
                deflated(&entry.first[..stored as usize], &mut out)
            } else {
                let mut input = vec![0; stored as usize];
                let have = entry.first.len();
                input[..have].copy_from_slice(&entry.first);
                read_exact_at(&self.data, &mut input[have..], entry.data + have as u64)?;
                deflated(&input, &mut out)
            };
            return match got {
                Some(n) if n == size => Ok(out),
                _ => Err(invalid("a damaged stream")),
            };
        }
        self.inflate_stream(entry, size)
    }

    /// [`Pack::inflate`] from a stream read a chunk at a time, with zlib.
    fn inflate_stream(&self, entry: &Entry, size: usize) -> io::Result<Vec<u8>> {
        // One byte more than the entry says, so that a longer stream shows.
        let mut out = Vec::with_capacity(size + 1);
        INFLATER.with_borrow_mut(|zlib| {
            zlib.reset(true);
            self.inflate_with(zlib, entry, size, &mut out)
        })?;
        if out.len() != size {
            return Err(invalid("a stream shorter than its entry"));
        }
        Ok(out)
    }

    /// Inflates the entry's stream of `size` bytes into `out`, which has room for one more.
    fn inflate_with(
        &self,
        zlib: &mut Decompress,
        entry: &Entry,
        size: usize,
        out: &mut Vec<u8>,
    ) -> io::Result<()> {
        let mut input = Vec::new();
        // The bytes read with the header first, then the rest of the stream from the pack.
        let mut first = &entry.first[..];
        let mut pos = entry.data;
        loop {
            let chunk = if !first.is_empty() {
                first
            } else {
                input.resize((size / 2 + 64).clamp(HEAD, CHUNK), 0);
                let got = read_at(&self.data, &mut input, pos)?;
                if got == 0 {
                    return Err(invalid("a cut stream"));
                }
                &input[..got]
            };
            let (was_in, was_out) = (zlib.total_in(), out.len());
            let status = zlib
                .decompress_vec(chunk, out, FlushDecompress::None)
                .map_err(|_| invalid("a damaged stream"))?;
            if status == Status::StreamEnd {
                return Ok(());
            }
            let used = (zlib.total_in() - was_in) as usize;
            if used == 0 && out.len() == was_out {
                // Full, and the stream goes on: more bytes than the entry says.
                return Err(invalid("a stream longer than its entry"));
            }
            pos += used as u64;
            first = first.get(used..).unwrap_or_default();
        }
    }
}

/// Bytes of a pack read at once for its leading commits ([`Packs::leading_commits`]).
const COMMIT_BATCH: usize = 4 << 20;

/// One read of a pack's leading commits ([`Pack::commit_batch`]).
struct CommitBatch {
    bytes: Vec<u8>,
    /// Each commit's stream in `bytes`, and the size it makes.
    commits: Vec<(Range<usize>, usize)>,
    /// Whether commits may follow the batch.
    more: bool,
}

/// `parse` of each commit of `part`, a stream in `bytes` and the size it makes, by the id
/// its bytes hash to; a stream that does not inflate to its size is left out.
fn inflate_commits<T>(
    bytes: &[u8],
    part: &[(Range<usize>, usize)],
    parse: &(impl Fn(&[u8]) -> Option<T> + Sync),
) -> Vec<(Oid, T)> {
    let mut out = Vec::new();
    (part.iter())
        .filter_map(|(stream, size)| {
            out.clear();
            out.resize(*size, 0);
            (deflated(&bytes[stream.clone()], &mut out)? == *size).then_some(())?;
            let id = Oid::from_bytes(&crate::blob::object_id("commit", &out)).ok()?;
            Some((id, parse(&out)?))
        })
        .collect()
}

/// An entry's type, its size, and how many bytes of `head` they took.
fn type_and_size(head: &[u8]) -> io::Result<(u8, u64, usize)> {
    let byte = |i: usize| head.get(i).copied().ok_or_else(|| invalid("a cut header"));
    let mut c = byte(0)?;
    let kind = (c >> 4) & 7;
    let mut size = u64::from(c & 15);
    let (mut i, mut shift) = (1, 4);
    while c & 0x80 != 0 {
        c = byte(i)?;
        i += 1;
        if shift > 57 {
            return Err(invalid("a size too large"));
        }
        size |= u64::from(c & 0x7f) << shift;
        shift += 7;
    }
    Ok((kind, size, i))
}

/// Where `key` is or would be in `sorted`: the first place holding `key` or more, as
/// `partition_point` finds it, but starting where a key spread evenly would be. Ids are
/// hashes, so that guess lands within a few places of the answer, and the few places around
/// it are searched instead of halving the whole list (whose first steps each miss the cache:
/// a binary search was a fiftieth of a chart repository's audit). An index whose ids are not
/// spread (a hostile one) costs at most twice the binary search.
fn first_at_least(sorted: &[u64], key: u64) -> usize {
    let n = sorted.len();
    if n == 0 {
        return 0;
    }
    let guess = ((u128::from(key) * n as u128) >> 64) as usize;
    // Steps of doubling length away from the guess, to a range that holds the answer.
    let (mut lo, mut hi);
    let mut step = 1;
    if sorted[guess] < key {
        lo = guess + 1;
        loop {
            let probe = guess.saturating_add(step);
            if probe >= n {
                hi = n;
                break;
            }
            if sorted[probe] >= key {
                hi = probe;
                break;
            }
            lo = probe + 1;
            step *= 2;
        }
    } else {
        hi = guess;
        loop {
            let Some(probe) = guess.checked_sub(step) else {
                lo = 0;
                break;
            };
            if sorted[probe] < key {
                lo = probe + 1;
                break;
            }
            hi = probe;
            step *= 2;
        }
    }
    lo + sorted[lo..hi].partition_point(|&p| p < key)
}

/// A delta's two sizes (of its base, of its target) and where its instructions start.
fn delta_sizes(delta: &[u8]) -> Option<(u64, u64, usize)> {
    let (base, at) = varint(delta, 0)?;
    let (target, at) = varint(delta, at)?;
    Some((base, target, at))
}

fn varint(bytes: &[u8], mut at: usize) -> Option<(u64, usize)> {
    let (mut value, mut shift) = (0u64, 0);
    loop {
        let c = *bytes.get(at)?;
        at += 1;
        if shift > 57 {
            return None;
        }
        value |= u64::from(c & 0x7f) << shift;
        shift += 7;
        if c & 0x80 == 0 {
            return Some((value, at));
        }
    }
}

/// `delta` applied to `base`: `None` if it does not fit it, or makes more than `max` bytes.
fn apply(base: &[u8], delta: &[u8], max: u64) -> Option<Vec<u8>> {
    let (source, target, mut at) = delta_sizes(delta)?;
    if source != base.len() as u64 || target > max {
        return None;
    }
    let target = target as usize;
    let mut out = Vec::with_capacity(target);
    while let Some(&op) = delta.get(at) {
        at += 1;
        let piece = if op & 0x80 != 0 {
            let (mut offset, mut len) = (0usize, 0usize);
            for k in 0..4 {
                if op & (1 << k) != 0 {
                    offset |= usize::from(*delta.get(at)?) << (8 * k);
                    at += 1;
                }
            }
            for k in 0..3 {
                if op & (0x10 << k) != 0 {
                    len |= usize::from(*delta.get(at)?) << (8 * k);
                    at += 1;
                }
            }
            if len == 0 {
                len = 0x10000;
            }
            base.get(offset..offset.checked_add(len)?)?
        } else if op != 0 {
            let piece = delta.get(at..at + usize::from(op))?;
            at += usize::from(op);
            piece
        } else {
            return None;
        };
        if out.len() + piece.len() > target {
            return None;
        }
        out.extend_from_slice(piece);
    }
    (out.len() == target).then_some(out)
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// Reads what there is at `at`, up to `buf`'s length, retrying an interrupted read.
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match positioned(file, &mut buf[got..], at + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    if read_at(file, buf, at)? < buf.len() {
        return Err(invalid("a cut file"));
    }
    Ok(())
}

#[cfg(unix)]
fn positioned(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, at)
}

#[cfg(windows)]
fn positioned(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, at)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .expect("git runs");
        assert!(status.status.success(), "git {args:?}: {status:?}");
    }

    /// A repository of 60 commits that each edit a few lines of large files in two folders,
    /// packed as `git gc` packs (chains of deltas by offset).
    fn history() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        for folder in ["a", "b/c"] {
            std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        }
        let line = |n: usize, v: usize| format!("line {n:05} holds value {}\n", n * 7919 + v);
        for version in 0..60 {
            for (file, every) in [("a/big.txt", 7), ("b/c/other.yaml", 11)] {
                let text: String = (0..3000)
                    .map(|n| line(n, if n % every == 0 { version } else { 0 }))
                    .collect();
                std::fs::write(dir.path().join(file), text).unwrap();
            }
            std::fs::write(dir.path().join(format!("a/new{version}.txt")), "x").unwrap();
            git(dir.path(), &["add", "-A"]);
            git(dir.path(), &["commit", "-q", "-m", &format!("v{version}")]);
        }
        let repack: Vec<&str> = "repack -a -d -f -q --depth=50 --window=50"
            .split(' ')
            .collect();
        git(dir.path(), &repack);
        dir
    }

    /// Every object of the repository as libgit2 reads it.
    pub(in crate::source) fn objects(
        repo: &git2::Repository,
    ) -> Vec<(Oid, Vec<u8>, git2::ObjectType)> {
        let odb = repo.odb().unwrap();
        let mut ids = Vec::new();
        odb.foreach(|id| {
            ids.push(*id);
            true
        })
        .unwrap();
        (ids.into_iter())
            .map(|id| {
                let object = odb.read(id).unwrap();
                (id, object.data().to_vec(), object.kind())
            })
            .collect()
    }

    /// Every tree and blob of the repository, read by this reader and by libgit2: the same
    /// bytes, and none left to libgit2; with the ids kept in memory (a small index), and read
    /// from the index as a large one's are.
    fn reads_as_libgit2(dir: &Path) {
        let repo = git2::Repository::open(dir).unwrap();
        let mut packs = Packs::open(repo.path());
        assert_eq!(packs.packs.len(), 1);
        assert!(packs.packs[0].rests.is_some());
        each_read_as_libgit2(&repo, &packs);
        packs.packs[0].rests = None;
        let packs = Packs {
            packs: packs.packs,
            kept: Default::default(),
            blocks: Default::default(),
            inflating: Default::default(),
        };
        each_read_as_libgit2(&repo, &packs);
    }

    fn each_read_as_libgit2(repo: &git2::Repository, packs: &Packs) {
        let (mut trees, mut blobs) = (0, 0);
        for (id, bytes, kind) in objects(repo) {
            let want = match kind {
                git2::ObjectType::Tree => Want::Tree,
                git2::ObjectType::Blob => Want::Blob,
                _ => {
                    assert!(matches!(
                        packs.read(id, Want::Blob, 1 << 30),
                        Read::Elsewhere
                    ));
                    continue;
                }
            };
            match packs.read(id, want, 1 << 30) {
                Read::Found(found) => assert_eq!(found.as_slice(), bytes, "{id}"),
                _ => panic!("{id} not read"),
            }
            match want {
                Want::Tree => trees += 1,
                Want::Blob => blobs += 1,
            }
        }
        // Each commit has three folders and two files of its own.
        assert!(
            trees >= 60 * 3 && blobs >= 60 * 2,
            "{trees} trees, {blobs} blobs"
        );
    }

    fn deltas(dir: &Path, kind: &str) -> usize {
        let pack = std::fs::read_dir(dir.join(".git/objects/pack"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "idx"))
            .unwrap();
        let out = Command::new("git")
            .args(["verify-pack", "-v"])
            .arg(pack)
            .output()
            .unwrap();
        // A delta's line has seven fields: id, type, size, size in pack, offset, depth, base.
        (String::from_utf8_lossy(&out.stdout).lines())
            .filter(|l| l.split_whitespace().nth(1) == Some(kind))
            .filter(|l| l.split_whitespace().count() == 7)
            .count()
    }

    #[test]
    fn offset_deltas_read_as_libgit2_reads_them() {
        let dir = history();
        assert!(deltas(dir.path(), "blob") > 50 && deltas(dir.path(), "tree") > 50);
        reads_as_libgit2(dir.path());
    }

    #[test]
    fn reference_deltas_read_as_libgit2_reads_them() {
        let dir = history();
        let config = ["-c", "repack.useDeltaBaseOffset=false"];
        let mut args = config.to_vec();
        args.extend(["repack", "-a", "-d", "-f", "-q"]);
        git(dir.path(), &args);
        assert!(deltas(dir.path(), "blob") > 50);
        reads_as_libgit2(dir.path());
    }

    /// The leading commits are every commit of a packed history, by the ids and with the
    /// bytes libgit2 reads, however many threads inflate them; one over `max` is left out.
    #[test]
    fn leading_commits_are_the_commits_libgit2_reads() {
        let dir = history();
        let repo = git2::Repository::open(dir.path()).unwrap();
        let commits: foldhash::HashMap<Oid, Vec<u8>> = (objects(&repo).into_iter())
            .filter(|(_, _, kind)| *kind == git2::ObjectType::Commit)
            .map(|(id, bytes, _)| (id, bytes))
            .collect();
        assert_eq!(commits.len(), 60);
        let packs = Packs::open(repo.path());
        for threads in [1, 2, 3, 64] {
            let read = packs.leading_commits(threads, 1 << 20, |b| Some(b.to_vec()));
            assert_eq!(read, commits, "{threads} threads");
        }
        // `v0` has no parent, and `v1` to `v9` a message one byte shorter than the rest's.
        let max = commits.values().map(Vec::len).min().unwrap() + 48;
        let short = packs.leading_commits(2, max as u64, |b| Some(b.len()));
        let expected = (commits.iter())
            .filter(|(_, b)| b.len() <= max)
            .map(|(id, b)| (*id, b.len()))
            .collect();
        assert_eq!(short, expected);
        assert!((5..55).contains(&short.len()), "{} commits", short.len());
        let none = packs.leading_commits(2, 1 << 20, |_| None::<()>);
        assert!(none.is_empty());
    }

    #[test]
    fn a_blob_over_the_limit_is_not_inflated() {
        let dir = history();
        let repo = git2::Repository::open(dir.path()).unwrap();
        let packs = Packs::open(repo.path());
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        let big = head.get_path(Path::new("a/big.txt")).unwrap().id();
        let size = repo.find_blob(big).unwrap().size() as u64;
        assert!(matches!(packs.read(big, Want::Blob, size), Read::Found(_)));
        let fresh = Packs::open(repo.path());
        assert!(matches!(fresh.read(big, Want::Blob, size - 1), Read::TooLarge(s) if s == size));
        // Asked for as a tree, a blob is left to libgit2.
        assert!(matches!(fresh.read(big, Want::Tree, size), Read::Elsewhere));
    }

    /// Whole ids are kept for the packs, in order, while their objects fit the budget, and
    /// every object reads as libgit2 reads it either way.
    #[test]
    fn whole_ids_are_kept_within_one_budget_for_all_packs() {
        let dir = history();
        std::fs::write(dir.path().join("a/later.txt"), "later\n").unwrap();
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-q", "-m", "later"]);
        git(dir.path(), &["repack", "-d", "-q"]);
        let repo = git2::Repository::open(dir.path()).unwrap();
        let counts: Vec<u64> = Packs::open(repo.path())
            .packs
            .iter()
            .map(|p| p.count)
            .collect();
        assert_eq!(counts.len(), 2);
        let (small, large) = (counts[0].min(counts[1]), counts[0].max(counts[1]));
        assert!(small < large);
        for budget in [0, small, large, small + large] {
            // In order: each pack whose objects fit what the packs before it left.
            let mut left = budget;
            let kept: Vec<bool> = (counts.iter())
                .map(|&c| {
                    let fits = c <= left;
                    left -= if fits { c } else { 0 };
                    fits
                })
                .collect();
            let packs = Packs::open_keeping(repo.path(), budget);
            let got: Vec<bool> = packs.packs.iter().map(|p| p.rests.is_some()).collect();
            assert_eq!(got, kept, "{budget} of {counts:?}");
            each_read_as_libgit2(&repo, &packs);
        }
    }

    /// Reads through the blocks give what reads of the files give: anywhere in a block or
    /// across two, at and past the end, for two packs whose blocks share slots.
    #[test]
    fn reads_through_blocks_are_reads_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut next = crate::proptest_cases::numbers(0x2545_f491_4f6c_dd1d);
        // Sizes that end inside a block and on a block's edge.
        let sizes = [BLOCK * BLOCKS * 3 + 700, BLOCK * 5];
        let files: Vec<File> = (sizes.iter().enumerate())
            .map(|(n, &size)| {
                let path = dir.path().join(format!("{n}.pack"));
                std::fs::write(&path, (0..size).map(|_| next() as u8).collect::<Vec<_>>()).unwrap();
                File::open(path).unwrap()
            })
            .collect();
        let mut blocks = Blocks::default();
        for _ in 0..20_000 {
            let pack = (next() % 2) as usize;
            let size = sizes[pack];
            let at = match next() % 4 {
                0 => size - next() % 600,
                1 => (next() % (size / BLOCK)) * BLOCK + BLOCK - next() % 8,
                _ => next() % (size + 10),
            };
            let len = (next() % (HEAD as u64 + 1)) as usize;
            let (mut want, mut got) = (vec![0; len], vec![0; len]);
            let wanted = read_at(&files[pack], &mut want, at).unwrap();
            let read = blocks
                .read(pack as u32, &files[pack], &mut got, at)
                .unwrap();
            assert_eq!(
                (read, &got[..read]),
                (wanted, &want[..wanted]),
                "{pack} {at} {len}"
            );
        }
    }

    /// Any one byte of a pack changed: every read still returns, with libgit2's bytes or
    /// with none (libgit2 then reads it and says what is wrong).
    #[test]
    fn a_damaged_pack_never_gives_other_bytes() {
        let dir = history();
        let repo = git2::Repository::open(dir.path()).unwrap();
        let truth = objects(&repo);
        let pack = std::fs::read_dir(repo.path().join("objects/pack"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "pack"))
            .unwrap();
        let original = std::fs::read(&pack).unwrap();
        let mut perms = std::fs::metadata(&pack).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&pack, perms).unwrap();
        let (mut refused, mut checked) = (0, 0);
        for at in (12..original.len() - 20).step_by(original.len() / 40) {
            let mut damaged = original.clone();
            damaged[at] ^= 0x5a;
            std::fs::write(&pack, &damaged).unwrap();
            let packs = Packs::open(repo.path());
            for (id, bytes, kind) in &truth {
                let want = match kind {
                    git2::ObjectType::Tree => Want::Tree,
                    _ => Want::Blob,
                };
                match packs.read(*id, want, 1 << 20) {
                    Read::Found(found) => assert_eq!(found.as_slice(), bytes, "{id} at {at}"),
                    _ => refused += 1,
                }
                checked += 1;
            }
        }
        assert!(refused > 0 && checked > refused, "{refused} of {checked}");
    }

    /// An index whose count of objects does not fit its size is refused before anything is
    /// allocated for it.
    #[test]
    fn an_index_that_overstates_its_count_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let idx = dir.path().join("pack-x.idx");
        let mut bytes = vec![0xff, b't', b'O', b'c', 0, 0, 0, 2];
        bytes.extend(std::iter::repeat_n([0xff; 4], 256).flatten());
        bytes.extend([0; 64]);
        std::fs::write(&idx, bytes).unwrap();
        std::fs::write(idx.with_extension("pack"), b"PACK\0\0\0\x02\0\0\0\0").unwrap();
        let refused = Pack::open(&idx, &mut IDS_KEPT.clone())
            .err()
            .expect("refused");
        assert_eq!(refused.to_string(), "an index shorter than its count");
    }

    #[test]
    fn deltas_that_do_not_fit_their_base_are_refused() {
        let base = b"0123456789";
        // Sizes 10 and 4; copy 4 bytes from offset 2.
        assert_eq!(
            apply(base, &[10, 4, 0x91, 2, 4], 100),
            Some(b"2345".to_vec())
        );
        // Insert 3 bytes.
        assert_eq!(
            apply(base, &[10, 3, 3, b'a', b'b', b'c'], 100),
            Some(b"abc".to_vec())
        );
        for bad in [
            &[9, 4, 0x91, 2, 4][..],   // the base's size is wrong
            &[10, 4, 0x91, 8, 4],      // a copy past the base's end
            &[10, 4, 0x91, 2, 5],      // more than the target's size
            &[10, 5, 0x91, 2, 4],      // less than the target's size
            &[10, 3, 4, b'a', b'b'],   // an insert cut short
            &[10, 1, 0],               // the reserved instruction
            &[10, 200, 1, 0x91, 0, 4], // over the limit given
        ] {
            assert_eq!(apply(base, bad, 100), None, "{bad:?}");
        }
    }

    /// The search from a guess finds what a binary search finds, whether ids are spread
    /// evenly, bunched (a hostile index) or repeated.
    #[test]
    fn the_search_from_a_guess_finds_what_halving_finds() {
        let mut next = crate::proptest_cases::numbers(0x9e37_79b9_7f4a_7c15);
        for n in [0, 1, 2, 3, 10, 1000] {
            let mut spread: Vec<u64> = (0..n).map(|_| next()).collect();
            spread.sort_unstable();
            let mut bunched: Vec<u64> = (0..n).map(|_| next() >> 40).collect();
            bunched.sort_unstable();
            let mut high: Vec<u64> = (0..n).map(|_| u64::MAX - (next() >> 50)).collect();
            high.sort_unstable();
            let repeated = vec![7u64; n];
            for list in [&spread, &bunched, &high, &repeated] {
                let mut keys: Vec<u64> = list.clone();
                keys.extend(list.iter().map(|k| k.wrapping_add(1)));
                keys.extend(list.iter().map(|k| k.wrapping_sub(1)));
                keys.extend([0, 1, 7, 8, u64::MAX, u64::MAX - 1, 1 << 63]);
                keys.extend((0..100).map(|_| next()));
                for key in keys {
                    let want = list.partition_point(|&p| p < key);
                    assert_eq!(first_at_least(list, key), want, "{n} {key}");
                }
            }
        }
    }

    /// A stream is inflated whole from the bytes up to the next entry, whatever follows the
    /// stream there; one cut short, damaged, or making more than its entry says is refused.
    #[test]
    fn a_whole_stream_is_inflated_in_one_call() {
        use std::io::Write;
        let text: Vec<u8> = (0..200_000u32)
            .flat_map(|n| (n % 251).to_le_bytes())
            .collect();
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(&text).unwrap();
        let stream = zlib.finish().unwrap();
        let mut out = vec![0; text.len()];
        assert_eq!(deflated(&stream, &mut out), Some(text.len()));
        assert_eq!(out, text);
        let mut followed = stream.clone();
        followed.extend_from_slice(b"the next entry's header");
        assert_eq!(deflated(&followed, &mut out), Some(text.len()));
        assert_eq!(deflated(&stream[..stream.len() - 1], &mut out), None);
        let mut damaged = stream.clone();
        let middle = damaged.len() / 2;
        damaged[middle] ^= 0x20;
        assert_eq!(deflated(&damaged, &mut out), None);
        assert_eq!(deflated(&stream, &mut out[..text.len() - 1]), None);
    }

    /// An entry whose next neighbour lies further than any stream of its size could reach
    /// (an index that leaves entries out, a damaged offset) is inflated as a stream instead,
    /// to the same bytes.
    #[test]
    fn an_implausibly_long_entry_is_inflated_as_a_stream() {
        let dir = history();
        let repo = git2::Repository::open(dir.path()).unwrap();
        let packs = Packs::open(repo.path());
        let pack = &packs.packs[0];
        let (mut whole, mut streamed) = (0, 0);
        for (id, bytes, _) in objects(&repo) {
            let Some(offset) = pack.find(id.as_bytes()).unwrap() else {
                continue;
            };
            let entry = pack.entry((0, offset), &packs, false).unwrap();
            if !matches!(entry.kind, Kind::Whole(_)) {
                continue;
            }
            assert_eq!(pack.inflate(&entry).unwrap(), bytes, "{id}");
            whole += 1;
            let far = entry.data + most_stored(entry.size) + 1;
            assert_eq!(pack.inflate_to(&entry, far).unwrap(), bytes, "{id}");
            assert_eq!(pack.inflate_to(&entry, entry.data).unwrap(), bytes, "{id}");
            streamed += 1;
        }
        assert!(whole > 60 && whole == streamed, "{whole} {streamed}");
    }

    /// Threads that need the same object stored whole while one inflates it wait for that
    /// one: it is inflated once, each gets the same bytes (or the same failure), and nothing
    /// stays in flight after.
    #[test]
    fn an_object_is_inflated_once_for_the_threads_waiting_on_it() {
        let packs = Packs {
            packs: Vec::new(),
            kept: Default::default(),
            blocks: Default::default(),
            inflating: Default::default(),
        };
        for (place, works) in [((0, 7), true), ((0, 9), false)] {
            let inflated = std::sync::atomic::AtomicUsize::new(0);
            let start = std::sync::Barrier::new(8);
            let got: Vec<Option<Bytes>> = std::thread::scope(|s| {
                let threads: Vec<_> = (0..8)
                    .map(|_| {
                        s.spawn(|| {
                            start.wait();
                            packs.inflated_once(place, Want::Blob, || {
                                inflated.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                // Until every thread holds the cell (the map's and eight):
                                // then each is waiting on this inflation, however the threads
                                // were scheduled. Ten seconds at most, so a broken cell fails the
                                // test instead of hanging it.
                                let holders = || {
                                    let inflating = packs.inflating.lock().unwrap();
                                    inflating.get(&place).map_or(0, Arc::strong_count)
                                };
                                let start = std::time::Instant::now();
                                while holders() < 9 && start.elapsed().as_secs() < 10 {
                                    std::thread::sleep(std::time::Duration::from_millis(1));
                                }
                                works.then(|| vec![5; 100])
                            })
                        })
                    })
                    .collect();
                threads.into_iter().map(|t| t.join().unwrap()).collect()
            });
            assert_eq!(inflated.into_inner(), 1);
            match &got[0] {
                Some(first) => {
                    assert!(
                        got.iter()
                            .all(|g| g.as_ref().is_some_and(|g| Arc::ptr_eq(g, first)))
                    );
                    assert_eq!(
                        packs.kept(place, Want::Blob).as_deref(),
                        Some(&vec![5; 100])
                    );
                }
                None => assert!(!works && got.iter().all(Option::is_none)),
            }
            assert!(packs.inflating.lock().unwrap().is_empty());
        }
    }

    /// Trees are kept apart from blobs: however many blob versions the scanning threads read,
    /// the trees the walk made stay, within their own budget, oldest dropped first.
    #[test]
    fn blobs_do_not_push_trees_out() {
        let packs = Packs {
            packs: Vec::new(),
            kept: Default::default(),
            blocks: Default::default(),
            inflating: Default::default(),
        };
        let tree: Bytes = Arc::new(vec![1; 1000]);
        packs.keep((0, 1), &tree, Want::Tree);
        for n in 0..(2 * BUDGET / 100_000) as u64 {
            packs.keep((0, 100 + n), &Arc::new(vec![2; 100_000]), Want::Blob);
        }
        assert_eq!(packs.kept((0, 1), Want::Tree).as_deref(), Some(&*tree));
        assert!(packs.kept((0, 1), Want::Blob).is_none());
        assert!(packs.kept((0, 100), Want::Blob).is_none());
        for n in 0..(TREE_BUDGET / 1000) as u64 {
            packs.keep((0, 1_000_000 + n), &Arc::new(vec![3; 1000]), Want::Tree);
        }
        assert!(packs.kept((0, 1), Want::Tree).is_none());
        let blobs = packs.kept[Want::Blob.slot()].lock().unwrap().bytes;
        let trees = packs.kept[Want::Tree.slot()].lock().unwrap().bytes;
        assert!(blobs <= BUDGET && blobs > BUDGET - 100_000, "{blobs}");
        assert!(
            trees <= TREE_BUDGET && trees > TREE_BUDGET - 1000,
            "{trees}"
        );
    }
}
