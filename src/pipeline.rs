//! The pipeline between sources and reports: it receives every appearance of every blob
//! (the [`Sink`] sources feed), scans each blob's bytes once per [`EngineClass`] however many
//! paths, copies and commits it appears under, counts what is skipped, and has the
//! [`Filter`](crate::filter::Filter) judge each candidate at each appearance.
//!
//! How appearances become findings is the [`Policy`]: a tree scan reports every path a secret
//! is at; a history audit reports each secret (fingerprint) once, at the earliest appearance,
//! in walk order, at which it is not suppressed. Appearances are judged as their blob's scan
//! completes, in whatever order threads finish; the earliest is kept by walk position.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};

mod revision;
mod unpack;

use std::cell::Cell;
use std::ops::Range;

use revision::Revisions;
use unpack::Place;

use crate::blob::{
    BlobId, Origin, Skip, archive, is_lfs_pointer, keystore, looks_binary, utf16_text,
};
use crate::diag::{Diag, Diagnostics};
use crate::engine::{EngineClass, Narrowing};
use crate::filter::{FilterClass, Verdict};
use crate::finding::{Candidate, Confidence, Finding, Secret};
use crate::firsts::Firsts;
use crate::progress::Progress;
use crate::scan::Scanner;
use crate::source::Sink;
pub use crate::stats::Stats;

/// How appearances become findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Every appearance is a place to report (a tree, the index).
    Every,
    /// Each fingerprint once, at the earliest appearance not suppressed (history, ranges).
    Earliest,
}

/// How many files pass between progress updates.
const PROGRESS_EVERY: u64 = 64;

/// Submodule paths the note names; it counts the others.
const SUBMODULES_NAMED: usize = 100;

/// Bytes of candidates the blob cache keeps for blobs met again (a copy under another path,
/// a history blob under a path of another class). A history can hold a file of a thousand
/// secrets edited in every one of thousands of commits: keeping every version's candidates
/// took gigabytes. Past this, a blob's candidates are forgotten and a later appearance reads
/// and scans it again (the same candidates: they depend on the bytes and class alone).
const CACHE_BUDGET: usize = 32 << 20;

/// The state of one blob under one engine class.
enum Slot {
    /// Being read and scanned by one thread; appearances met meanwhile wait here.
    Scanning(Vec<Origin>),
    /// Scanned (or skipped): the candidates, if any.
    Done(Option<Arc<[Candidate]>>),
    /// Scanned, with candidates the cache had no room left to keep.
    Forgotten,
}

/// Scanned blobs by (blob, engine class), and what their kept candidates weigh.
#[derive(Default)]
struct Cache {
    slots: HashMap<(BlobId, u32), Slot>,
    kept: usize,
}

#[derive(Default)]
struct Results {
    every: Vec<Finding>,
    earliest: HashMap<String, Best>,
    suppressed: u64,
    /// Every secret met, reported or suppressed: what the emitter masks. A set: a secret is
    /// met again at every version of its file a history scans.
    secrets: HashSet<Secret>,
}

/// The earliest appearance of a fingerprint so far (a secret twice in one file is two
/// findings at one appearance).
enum Best {
    Reported(u64, Vec<Finding>),
    Suppressed(u64),
}

/// What a finished pipeline hands to the report.
pub struct Collected {
    pub stats: Stats,
    pub findings: Vec<Finding>,
    pub suppressed: u64,
    pub secrets: Vec<Secret>,
    pub diags: Vec<Diag>,
}

pub struct Pipeline<'s> {
    scanner: &'s Scanner,
    policy: Policy,
    pub stats: Stats,
    diag: Diagnostics,
    progress: Progress,
    cache: Mutex<Cache>,
    engine_classes: Mutex<HashMap<EngineClass, u32>>,
    path_classes: Mutex<HashMap<(EngineClass, FilterClass), u32>>,
    results: Mutex<Results>,
    /// The paths of submodules met: the first [`SUBMODULES_NAMED`] by name, the others
    /// counted (a history can hold a gitlink at a new path in every commit).
    submodules: Mutex<Firsts<()>>,
    /// The lines of recent history blobs, for comparing their next versions.
    revisions: Revisions,
}

/// A history blob as read: its id, the earlier version at the same path the walk judged
/// (if any), and whether only what it changed was searched (set by the scan).
pub(crate) struct Revision {
    id: BlobId,
    base: Option<BlobId>,
    narrowed: Cell<bool>,
}

impl<'s> Pipeline<'s> {
    pub fn new(scanner: &'s Scanner, policy: Policy, progress: Progress) -> Pipeline<'s> {
        Pipeline {
            scanner,
            policy,
            stats: Stats::default(),
            diag: Diagnostics::default(),
            progress,
            cache: Mutex::default(),
            engine_classes: Mutex::default(),
            path_classes: Mutex::default(),
            results: Mutex::default(),
            submodules: Mutex::new(Firsts::new(SUBMODULES_NAMED)),
            revisions: Revisions::default(),
        }
    }

    /// The findings (unsorted), the secrets met and every diagnostic, with the notes on what
    /// was passed over.
    pub fn finish(self) -> Collected {
        self.progress.finish();
        self.notes();
        let results = self.results.into_inner().expect("no panics while holding");
        let mut findings = results.every;
        let mut suppressed = results.suppressed;
        for best in results.earliest.into_values() {
            match best {
                Best::Reported(_, mut f) => findings.append(&mut f),
                Best::Suppressed(_) => suppressed += 1,
            }
        }
        let mut secrets: Vec<Secret> = results.secrets.into_iter().collect();
        secrets.extend(Self::secrets_in_commits(&self.scanner.engine, &findings));
        Collected {
            stats: self.stats,
            findings,
            suppressed,
            secrets,
            diags: self.diag.take(),
        }
    }

    /// Secrets in the author, email or summary of the commits findings name: reports print
    /// those, so what the rules find there is masked like any secret the scan met.
    fn secrets_in_commits(engine: &crate::engine::Engine, findings: &[Finding]) -> Vec<Secret> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for commit in findings.iter().filter_map(|f| f.commit.as_deref()) {
            if !seen.insert(commit.id.as_str()) {
                continue;
            }
            let text = format!("{}\n{}\n{}\n", commit.author, commit.email, commit.summary);
            let found = engine.scan("commit-message", text.as_bytes());
            out.extend(found.into_iter().map(|m| Secret::new(m.secret)));
        }
        out
    }

    fn notes(&self) {
        let paths = self.submodules.lock().expect("no panics while holding");
        if paths.kept() > 0 {
            let mut list: Vec<&str> = paths.keys().collect();
            let more = format!("and {} more", paths.dropped());
            if paths.dropped() > 0 {
                list.push(&more);
            }
            self.diag.note(format!(
                "{} submodule(s) not entered ({}): scan each submodule's own repository",
                paths.kept() + paths.dropped(),
                list.join(", ")
            ));
        }
        let lfs = Stats::get(&self.stats.lfs_pointers);
        if lfs > 0 {
            self.diag.note(format!(
                "{lfs} Git LFS pointer file(s) not scanned: their content is on the LFS server, not in git"
            ));
        }
        for fp in self.scanner.filter.stale() {
            self.diag.note(format!(
                "baseline entry {fp} matched nothing in this scan (stale)"
            ));
        }
    }

    fn engine_class_id(&self, class: &EngineClass) -> u32 {
        let mut ids = self.engine_classes.lock().expect("no panics while holding");
        let next = ids.len() as u32;
        *ids.entry(class.clone()).or_insert(next)
    }

    /// The candidates in a blob's bytes, or `None` when it is not content to scan (counted).
    /// `again` when the cache forgot the blob's candidates and it is read a second time: it
    /// was counted, and its notes given, the first time.
    fn content(
        &self,
        origin: &Origin,
        class: &EngineClass,
        bytes: &[u8],
        again: bool,
        revision: Option<&Revision>,
    ) -> Option<Arc<[Candidate]>> {
        let mut found = Vec::new();
        let place = Place {
            path: &origin.path,
            member: None,
            depth: 0,
            again,
            revision,
        };
        self.read_content(&place, class, bytes, None, &mut found);
        (!found.is_empty()).then(|| Arc::from(found))
    }

    /// Scans the bytes of a blob or of an archive member (`place`), adding what it finds to
    /// `out`; an archive is unpacked (`archives`), anything else not to scan is counted.
    fn read_content(
        &self,
        place: &Place,
        class: &EngineClass,
        bytes: &[u8],
        budget: Option<&archive::Budget>,
        out: &mut Vec<Candidate>,
    ) {
        let utf16 = utf16_text(bytes);
        let bytes = utf16.as_deref().unwrap_or(bytes);
        let kind = archive::sniff(bytes);
        let skip = if bytes.len() as u64 > self.scanner.max_file_size {
            Some(Skip::TooLarge(bytes.len() as u64))
        } else if is_lfs_pointer(bytes) {
            Some(Skip::LfsPointer)
        } else if let Some(kind) = kind.filter(|_| place.depth < archive::MAX_DEPTH)
            && self.unpack(place, kind, bytes, budget, out)
        {
            return;
        } else if looks_binary(bytes) && keystore::sniff(bytes).is_none() {
            Some(Skip::Binary)
        } else {
            None
        };
        if let Some(skip) = skip {
            return self.skip_at(place, skip);
        }
        let mut diags = Vec::new();
        let mut found = match place.revision {
            Some(revision) => self.revised(place.path, class, bytes, revision, &mut diags),
            None => (self.scanner).candidates(place.path, class, bytes, None, &mut diags),
        };
        if !place.again {
            Stats::add(&self.stats.files, 1);
            Stats::add(&self.stats.bytes, bytes.len() as u64);
            for diag in diags {
                self.diag.push(diag);
            }
            if Stats::get(&self.stats.files).is_multiple_of(PROGRESS_EVERY) {
                self.progress.update(&self.stats);
            }
        }
        if let Some(member) = &place.member {
            for c in &mut found {
                c.member = Some(member.clone());
            }
        }
        out.append(&mut found);
    }

    /// The candidates of a history blob: in what it changed from the earlier version at the
    /// same path, where that version's lines are still kept, else in the whole blob; its own
    /// lines are kept for the next version. A narrowed scan whose candidates, with those of
    /// the earlier version, could pass the per-blob cap is done again whole, so that the cap
    /// cuts what it would cut.
    fn revised(
        &self,
        path: &str,
        class: &EngineClass,
        bytes: &[u8],
        revision: &Revision,
        diags: &mut Vec<Diag>,
    ) -> Vec<Candidate> {
        // A `.gitleaksignore` entry names a line: a secret suppressed there in the earlier
        // version and moved to another line by this one is reported here.
        if !revision::worth_comparing(bytes)
            || self.scanner.filter.judges_lines()
            || !self.revisions.pays()
        {
            return (self.scanner).candidates(path, class, bytes, None, diags);
        }
        let lines = self.revisions.lines(bytes);
        let base = revision.base.and_then(|id| self.revisions.take(id));
        if let Some(base) = base {
            let narrowed = Cell::new(false);
            let narrow = |extra: &[Range<usize>]| {
                let parts = revision::regions(bytes, &lines, &base, extra);
                narrowed.set(parts.is_some());
                parts
            };
            let mut narrowing = Narrowing {
                narrow: Some(&narrow),
                keywords: Vec::new(),
            };
            let mut tried = Vec::new();
            let found =
                (self.scanner).candidates(path, class, bytes, Some(&mut narrowing), &mut tried);
            let count = base.candidates + found.len();
            if !narrowed.get() || count <= crate::scan::MAX_PER_BLOB {
                diags.append(&mut tried);
                revision.narrowed.set(narrowed.get());
                let count = if narrowed.get() { count } else { found.len() };
                (self.revisions).keep(revision.id, &lines, count, narrowing.keywords);
                return found;
            }
        }
        let mut narrowing = Narrowing {
            narrow: None,
            keywords: Vec::new(),
        };
        let found = (self.scanner).candidates(path, class, bytes, Some(&mut narrowing), diags);
        (self.revisions).keep(revision.id, &lines, found.len(), narrowing.keywords);
        found
    }

    /// [`Pipeline::skip_named`] where `place` is read the first time.
    fn skip_at(&self, place: &Place, skip: Skip) {
        if !place.again {
            self.skip_named(place.path, skip);
        }
    }

    /// Counts what was not scanned at `path` (a file, a blob's path, an archive member's
    /// `archive!member` name), and notes why.
    fn skip_named(&self, path: &str, skip: Skip) {
        match skip {
            Skip::TooLarge(size) => {
                Stats::add(&self.stats.too_large, 1);
                (self.diag).note_at(
                    path,
                    format!("skipped, {size} bytes is over --max-file-size"),
                );
            }
            Skip::Binary => {
                Stats::add(&self.stats.binary, 1);
                self.diag.note_at(path, "skipped, binary");
            }
            Skip::Unreadable(message) => {
                Stats::add(&self.stats.unreadable, 1);
                self.diag.error(path.to_string(), message);
            }
            Skip::LfsPointer => Stats::add(&self.stats.lfs_pointers, 1),
            Skip::Submodule => {
                let mut paths = self.submodules.lock().expect("no panics while holding");
                paths.add(path.to_string(), (), 1);
            }
            Skip::NotRegular => {
                Stats::add(&self.stats.not_regular, 1);
                self.diag.note_at(
                    path,
                    "skipped, not a regular file (a device, FIFO or socket is never read)",
                );
            }
            Skip::Folder { entries, why } => {
                Stats::add(&self.stats.too_large, entries);
                self.diag.warning(format!("{path}: {why}; not scanned"));
            }
            Skip::OutsideTree => {
                Stats::add(&self.stats.not_regular, 1);
                self.diag.note_at(
                    path,
                    "skipped, a symlink to a file outside the scanned folder (name the target \
                     to scan it)",
                );
            }
        }
    }

    /// Judges a blob's candidates where it appears at `origin`. The verdicts are reached
    /// outside the results' lock; a finding is built only where it can be reported (in a
    /// history, a fingerprint reported at an earlier appearance is not built again for each
    /// later version of its file).
    fn judge(&self, candidates: &[Candidate], origin: &Origin) {
        let rules = self.scanner.engine.rules();
        let judged: Vec<(&Candidate, String, Option<Confidence>)> = (candidates.iter())
            .filter_map(|c| match self.scanner.filter.judge(rules, c, origin) {
                Verdict::Drop => None,
                Verdict::Suppress(fp) => Some((c, fp, None)),
                Verdict::Report(fp, confidence) => Some((c, fp, Some(confidence))),
            })
            .collect();
        if judged.is_empty() {
            return;
        }
        let mut results = self.results.lock().expect("no panics while holding");
        for (c, fingerprint, confidence) in judged {
            if !results.secrets.contains(&c.secret) {
                results.secrets.insert(c.secret.clone());
            }
            let reported = |fp: &str| confidence.map(|conf| finding(c, origin, fp, conf, rules));
            match self.policy {
                Policy::Every => match reported(&fingerprint) {
                    Some(f) => results.every.push(f),
                    None => results.suppressed += 1,
                },
                Policy::Earliest => {
                    if let Some(Best::Reported(seen, _)) = results.earliest.get(&fingerprint)
                        && *seen < origin.seq
                    {
                        continue;
                    }
                    let found = reported(&fingerprint);
                    offer_earliest(&mut results, fingerprint, origin.seq, found)
                }
            }
        }
    }
}

/// Keeps the earliest appearance of a fingerprint, preferring one that is reported.
fn offer_earliest(results: &mut Results, fingerprint: String, seq: u64, found: Option<Finding>) {
    let new = match found {
        Some(f) => Best::Reported(seq, vec![f]),
        None => Best::Suppressed(seq),
    };
    match results.earliest.entry(fingerprint) {
        Entry::Vacant(v) => {
            v.insert(new);
        }
        Entry::Occupied(mut o) => match (o.get_mut(), new) {
            (Best::Reported(old, kept), Best::Reported(s, mut f)) if s == *old => {
                kept.append(&mut f)
            }
            (Best::Reported(old, _), new @ Best::Reported(s, _)) if s < *old => {
                o.insert(new);
            }
            (Best::Suppressed(_), new @ Best::Reported(..)) => {
                o.insert(new);
            }
            (Best::Suppressed(old), Best::Suppressed(s)) if s < *old => *old = s,
            _ => {}
        },
    }
}

/// About what a blob's candidates hold in memory, for the cache's budget.
fn weight(candidates: &[Candidate]) -> usize {
    (candidates.iter())
        .map(|c| {
            std::mem::size_of::<Candidate>()
                + c.secret.expose().len()
                + c.snippet.text.len()
                + c.snippet.secrets.len() * std::mem::size_of::<std::ops::Range<usize>>()
                + c.key_path.as_ref().map_or(0, String::len)
        })
        .sum()
}

fn finding(
    c: &Candidate,
    origin: &Origin,
    fingerprint: &str,
    confidence: Confidence,
    rules: &crate::rules::RuleSet,
) -> Finding {
    let rule = &rules.rules[c.rule];
    Finding {
        rule_id: rule.id.clone(),
        description: rule.description.clone(),
        path: origin.path.to_string(),
        member: c.member.as_deref().map(str::to_string),
        location: c.location,
        secret: c.secret.clone(),
        fingerprint: fingerprint.to_string(),
        key_path: c.key_path.clone(),
        entropy: c.entropy,
        commit: origin.commit.clone(),
        severity: c.severity.unwrap_or(rule.severity),
        confidence,
        snippet: c.snippet.clone(),
    }
}

impl Pipeline<'_> {
    /// [`Sink::offer`], for a history blob with its [`Revision`].
    fn offer_as<B: AsRef<[u8]>>(
        &self,
        id: BlobId,
        origin: Origin,
        revision: Option<&Revision>,
        read: impl FnOnce() -> Result<B, Skip>,
    ) {
        if self.ignores_path(&origin.path) {
            return;
        }
        let class = self.scanner.engine.class_of(&origin.path);
        let key = (id, self.engine_class_id(&class));
        let again = {
            let mut cache = self.cache.lock().expect("no panics while holding");
            match cache.slots.get_mut(&key) {
                Some(Slot::Done(done)) => {
                    let done = done.clone();
                    drop(cache);
                    if let Some(candidates) = done {
                        self.judge(&candidates, &origin);
                    }
                    return;
                }
                Some(Slot::Scanning(waiting)) => return waiting.push(origin),
                Some(slot @ Slot::Forgotten) => {
                    *slot = Slot::Scanning(Vec::new());
                    true
                }
                None => {
                    cache.slots.insert(key, Slot::Scanning(Vec::new()));
                    false
                }
            }
        };
        let bytes = match read() {
            Ok(bytes) => Some(bytes),
            Err(skip) => {
                self.skip(&origin, skip);
                None
            }
        };
        let content = |again, revision| {
            let bytes = bytes.as_ref()?;
            self.content(&origin, &class, bytes.as_ref(), again, revision)
        };
        let found = content(again, revision);
        // Candidates in what a version changed are for its own path only.
        let narrowed = revision.is_some_and(|r| r.narrowed.get());
        let waiting = {
            let mut cache = self.cache.lock().expect("no panics while holding");
            let slot = match &found {
                _ if narrowed => Slot::Forgotten,
                Some(candidates) => {
                    let weight = weight(candidates);
                    if cache.kept + weight > CACHE_BUDGET {
                        Slot::Forgotten
                    } else {
                        cache.kept += weight;
                        Slot::Done(found.clone())
                    }
                }
                None => Slot::Done(None),
            };
            match cache.slots.insert(key, slot) {
                Some(Slot::Scanning(waiting)) => waiting,
                _ => Vec::new(),
            }
        };
        if let Some(candidates) = &found {
            self.judge(candidates, &origin);
        }
        if waiting.is_empty() {
            return;
        }
        // Other appearances, met while it was read, are judged on the whole blob's.
        let whole = if narrowed { content(true, None) } else { found };
        if let Some(candidates) = whole {
            for other in &waiting {
                self.judge(&candidates, other);
            }
        }
    }
}

impl Sink for Pipeline<'_> {
    fn path_class(&self, path: &str) -> u32 {
        let rules = self.scanner.engine.rules();
        let key = (
            self.scanner.engine.class_of(path),
            self.scanner.filter.class_of(rules, path),
        );
        let mut ids = self.path_classes.lock().expect("no panics while holding");
        let next = ids.len() as u32;
        *ids.entry(key).or_insert(next)
    }

    fn offer<B: AsRef<[u8]>>(
        &self,
        id: BlobId,
        origin: Origin,
        read: impl FnOnce() -> Result<B, Skip>,
    ) {
        self.offer_as(id, origin, None, read)
    }

    fn offer_revision<B: AsRef<[u8]>>(
        &self,
        id: BlobId,
        origin: Origin,
        base: Option<BlobId>,
        read: impl FnOnce() -> Result<B, Skip>,
    ) {
        let revision = Revision {
            id,
            base,
            narrowed: Cell::new(false),
        };
        self.offer_as(id, origin, Some(&revision), read)
    }

    fn message(&self, origin: Origin, text: &[u8]) {
        if self.ignores_path(&origin.path) {
            return;
        }
        // Not a file: neither counted in files_scanned nor unpacked, but bounded as one.
        if text.len() as u64 > self.scanner.max_file_size {
            let what = origin.commit.as_ref().map_or("", |c| c.id.as_str());
            let object = crate::blob::message_of(&origin.path).unwrap_or("commit");
            return self.skip_named(
                &format!("{} of {object} {what}", origin.path),
                Skip::TooLarge(text.len() as u64),
            );
        }
        let class = self.scanner.engine.class_of(&origin.path);
        let mut diags = Vec::new();
        let found = (self.scanner).candidates(&origin.path, &class, text, None, &mut diags);
        for diag in diags {
            self.diag.push(diag);
        }
        if !found.is_empty() {
            self.judge(&found, &origin);
        }
    }

    fn skip(&self, origin: &Origin, skip: Skip) {
        self.skip_named(&origin.path, skip)
    }

    fn ignores_path(&self, path: &str) -> bool {
        (self.scanner.filter).skips_path(self.scanner.engine.rules(), path)
    }

    fn commit(&self) {
        let n = self.stats.commits.fetch_add(1, Relaxed) + 1;
        if n.is_multiple_of(PROGRESS_EVERY) {
            self.progress.update(&self.stats);
        }
    }

    fn max_read(&self) -> u64 {
        self.scanner.max_file_size
    }

    fn diagnostics(&self) -> &Diagnostics {
        &self.diag
    }
}
