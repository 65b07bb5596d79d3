//! The one path every blob takes, whatever its source: size and binary checks, the engine,
//! locating each match by line and column, the filter, and a [`Finding`]. Counters for the
//! summary live here too, shared by all threads.

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::blob::{Origin, Skip, looks_binary};
use crate::engine::{Engine, Match};
use crate::filter::{Filter, Verdict};
use crate::finding::{Finding, Location, Secret, fingerprint};

/// The longest source line a finding carries for display; minified files have megabyte lines.
const MAX_LINE_TEXT: usize = 400;

/// Counters for the summary. Relaxed atomics: they are only read after the scan.
#[derive(Default, Debug)]
pub struct Stats {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub commits: AtomicU64,
    pub too_large: AtomicU64,
    pub binary: AtomicU64,
    pub unreadable: AtomicU64,
    pub suppressed: AtomicU64,
}

impl Stats {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Relaxed)
    }
}

/// Lines (1-based) that a change adds; `--staged` and `--range` report only these.
#[derive(Clone, Debug, Default)]
pub struct AddedLines(pub Vec<Range<u32>>);

impl AddedLines {
    pub fn overlaps(&self, first: u32, last: u32) -> bool {
        self.0.iter().any(|r| r.start <= last && first < r.end)
    }
}

pub struct Scanner {
    pub engine: Engine,
    pub filter: Filter,
    pub max_file_size: u64,
    pub stats: Stats,
    /// What analyzers could not parse, for the user: files are still scanned.
    pub warnings: Mutex<Vec<String>>,
}

impl Scanner {
    /// Checks a blob's size before its bytes are read, so huge files are never loaded.
    pub fn too_large(&self, len: u64) -> bool {
        if len > self.max_file_size {
            Stats::add(&self.stats.too_large, 1);
            return true;
        }
        false
    }

    /// Scans one blob. `added` restricts findings to the lines a change adds.
    pub fn scan_blob(
        &self,
        origin: &Origin,
        bytes: &[u8],
        added: Option<&AddedLines>,
    ) -> Result<Vec<Finding>, Skip> {
        if bytes.len() as u64 > self.max_file_size {
            Stats::add(&self.stats.too_large, 1);
            return Err(Skip::TooLarge);
        }
        if looks_binary(bytes) {
            Stats::add(&self.stats.binary, 1);
            return Err(Skip::Binary);
        }
        if self
            .filter
            .skips_path(&self.engine.rules().allowlist, &origin.path)
        {
            return Ok(Vec::new());
        }
        Stats::add(&self.stats.files, 1);
        Stats::add(&self.stats.bytes, bytes.len() as u64);
        let mut warnings = Vec::new();
        let matches = self.engine.scan_noting(&origin.path, bytes, &mut warnings);
        if !warnings.is_empty() {
            let mut all = self.warnings.lock().expect("no panics while holding");
            all.extend(warnings);
        }
        if matches.is_empty() {
            return Ok(Vec::new());
        }
        let lines = LineIndex::new(bytes);
        Ok(matches
            .into_iter()
            .filter_map(|m| self.finding(origin, bytes, &lines, m, added))
            .collect())
    }

    fn finding(
        &self,
        origin: &Origin,
        bytes: &[u8],
        lines: &LineIndex,
        m: Match,
        added: Option<&AddedLines>,
    ) -> Option<Finding> {
        let location = lines.locate(bytes, &m.span);
        if added.is_some_and(|a| !a.overlaps(location.line, location.end_line)) {
            return None;
        }
        let rule = &self.engine.rules().rules[m.rule];
        let secret = Secret::new(m.secret);
        let fingerprint = fingerprint(&rule.id, &origin.path, &secret);
        let first = lines.line_bytes(bytes, location.line);
        let last = lines.line_bytes(bytes, location.end_line);
        let global = &self.engine.rules().allowlist;
        match self
            .filter
            .judge(global, secret.expose(), &[first, last], &fingerprint)
        {
            Verdict::Report => {}
            Verdict::Drop => return None,
            Verdict::Suppress => {
                Stats::add(&self.stats.suppressed, 1);
                return None;
            }
        }
        let commit = origin.commit.as_deref().map(|c| c.id.as_str());
        if (self.filter).ignores_location(commit, &origin.path, &rule.id, location.line) {
            Stats::add(&self.stats.suppressed, 1);
            return None;
        }
        Some(Finding {
            rule_id: rule.id.clone(),
            description: rule.description.clone(),
            path: origin.path.clone(),
            location,
            line_text: display_line(first),
            secret,
            fingerprint,
            key_path: m.key_path,
            entropy: m.entropy,
            commit: origin.commit.clone(),
            severity: m.severity.unwrap_or(rule.severity),
        })
    }
}

fn display_line(line: &[u8]) -> String {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let cut = &line[..line.len().min(MAX_LINE_TEXT)];
    String::from_utf8_lossy(cut).into_owned()
}

/// Byte offsets of line starts, built only for blobs that have matches.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(bytes: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        (self.starts.partition_point(|&s| s <= offset)) as u32
    }

    /// 1-based column, counted in characters (UTF-8 continuation bytes do not count).
    fn column(&self, bytes: &[u8], line: u32, offset: usize) -> u32 {
        let start = self.starts[line as usize - 1];
        let chars = bytes[start..offset]
            .iter()
            .filter(|&&b| (b & 0xC0) != 0x80)
            .count();
        chars as u32 + 1
    }

    /// Start and end (exclusive end column, as SARIF has it) of a span.
    pub fn locate(&self, bytes: &[u8], span: &Range<usize>) -> Location {
        let line = self.line_of(span.start);
        let end_line = self.line_of(span.end.saturating_sub(1).max(span.start));
        Location {
            line,
            column: self.column(bytes, line, span.start),
            end_line,
            end_column: self.column(bytes, end_line, span.end.max(span.start)),
        }
    }

    pub fn line_bytes<'a>(&self, bytes: &'a [u8], line: u32) -> &'a [u8] {
        let start = self.starts[line as usize - 1];
        let end = self
            .starts
            .get(line as usize)
            .map_or(bytes.len(), |&e| e - 1);
        &bytes[start..end.max(start)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_character_columns() {
        let text = "a\nkey = 'é secret'\nz".as_bytes();
        let idx = LineIndex::new(text);
        let start = text.windows(6).position(|w| w == b"secret").unwrap();
        let loc = idx.locate(text, &(start..start + 6));
        assert_eq!(
            (loc.line, loc.column, loc.end_line, loc.end_column),
            (2, 10, 2, 16)
        );
        assert_eq!(idx.line_bytes(text, 2), "key = 'é secret'".as_bytes());
    }

    #[test]
    fn multi_line_span() {
        let text = b"x\n-----BEGIN\nabc\n-----END\n";
        let idx = LineIndex::new(text);
        let loc = idx.locate(text, &(2..24));
        assert_eq!((loc.line, loc.end_line), (2, 4));
    }
}
