//! The content stage: what one blob holds, whatever its source and wherever it appears. The
//! engine finds matches that pass their rule's own tests; the filter's content checks
//! (placeholders, secret allowlists) drop what cannot be a secret; each survivor is located
//! by line and column and gets its snippet. The result, [`Candidate`]s, depends only on the
//! bytes and the [`EngineClass`] of the path, so it is computed once per blob and then judged
//! at every appearance by the [`pipeline`](crate::pipeline).

use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::blob::keystore;
use crate::context::{illustrative_blocks, in_blocks, is_comment_line};
use crate::diag::Diag;
use crate::engine::{Engine, EngineClass, Match, Narrowing};
use crate::filter::{Filter, inline_allowed};
use crate::finding::{Candidate, Location, Secret, Snippet};

/// The most candidates one blob yields: a 40 MB file of keys would otherwise make millions
/// of findings, each with its snippet, and a report no one reads.
pub const MAX_PER_BLOB: usize = 1000;

/// How many bytes of a line a snippet shows on each side of the secret's start: minified
/// files have megabyte lines.
const SNIPPET_SIDE: usize = 160;

/// The engine and the filter's content checks, shared by every thread.
pub struct Scanner {
    pub engine: Engine,
    pub filter: Filter,
    pub max_file_size: u64,
    /// `--confidence`, else the config's: findings below it are counted, not shown.
    pub min_confidence: Option<crate::finding::Confidence>,
}

impl Scanner {
    /// The candidates in one blob's bytes (already known to be text within the size limit).
    /// `path` is the first path the blob was met under, for analyzer warnings; `narrowing` may
    /// name the only parts to search ([`Engine::scan_class`]).
    pub fn candidates(
        &self,
        path: &str,
        class: &EngineClass,
        bytes: &[u8],
        narrowing: Option<&mut Narrowing>,
        diags: &mut Vec<Diag>,
    ) -> Vec<Candidate> {
        if let Some(kind) = keystore::sniff(bytes) {
            return self.keystore(kind, bytes).into_iter().collect();
        }
        let rules = self.engine.rules();
        let mut warnings = Vec::new();
        let mut matches = self
            .engine
            .scan_class(class, path, bytes, narrowing, &mut warnings);
        let template = crate::k8s::is_template_path(path);
        diags.extend((warnings.into_iter()).map(|text| {
            match text.strip_prefix(crate::engine::DECODE_BUDGET_MARK) {
                Some(text) => Diag::PartlyDecoded(text.to_string()),
                None => Diag::Unparsed { template, text },
            }
        }));
        matches.retain(|m| {
            self.filter
                .admits_content(rules, &rules.rules[m.rule], &m.secret)
        });
        if matches.is_empty() {
            return Vec::new();
        }
        if matches.len() > MAX_PER_BLOB {
            diags.push(Diag::Warning(format!(
                "{path}: {} matches; only the first {MAX_PER_BLOB} are reported (a generated or minified file?)",
                matches.len()
            )));
            matches.truncate(MAX_PER_BLOB);
        }
        let spans = Spans::new(matches.iter().map(|m| m.span.clone()).collect());
        let mut locator = Locator::new(bytes);
        matches
            .into_iter()
            .map(|m| locator.candidate(m, &spans))
            .collect()
    }
}

impl Scanner {
    /// A binary key store or DER key as one candidate at the top of the file. Its secret is
    /// a digest of the file (what fingerprints and `--no-redact` show; the bytes are binary),
    /// its snippet says what the file is.
    fn keystore(&self, kind: keystore::Kind, bytes: &[u8]) -> Option<Candidate> {
        let rules = self.engine.rules();
        let rule = rules.position(kind.rule_id())?;
        let secret = hex::encode(&Sha256::digest(bytes)[..16]);
        if !(self.filter).admits_content(rules, &rules.rules[rule], &secret) {
            return None;
        }
        let location = Location {
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
        };
        Some(Candidate {
            rule,
            secret: Secret::new(secret),
            location,
            snippet: Snippet {
                text: kind.describe(bytes.len()),
                secrets: Vec::new(),
            },
            key_path: None,
            entropy: None,
            severity: None,
            inline_allowed: false,
            illustrative: false,
            member: None,
        })
    }
}

/// Turns byte offsets into lines and character columns. Matches come sorted by position, so
/// columns are counted forward from the previous one: a 10 MB line with thousands of secrets
/// costs one pass, not one pass per secret. Inline-allow markers are looked up once per line.
struct Locator<'a> {
    bytes: &'a [u8],
    lines: LineIndex,
    /// (offset, line, column) of the last position counted.
    cursor: (usize, u32, u32),
    allowed: std::collections::HashMap<u32, bool>,
    /// Documentation strings and test modules in code ([`illustrative_blocks`]), found at the
    /// first candidate.
    docs: Option<Vec<Range<usize>>>,
}

impl<'a> Locator<'a> {
    fn new(bytes: &'a [u8]) -> Locator<'a> {
        Locator {
            bytes,
            lines: LineIndex::new(bytes),
            // A UTF-8 byte-order mark is not a column.
            cursor: (
                if bytes.starts_with(b"\xEF\xBB\xBF") {
                    3
                } else {
                    0
                },
                1,
                1,
            ),
            allowed: Default::default(),
            docs: None,
        }
    }

    fn candidate(&mut self, m: Match, spans: &Spans) -> Candidate {
        let location = self.locate(&m.span);
        let inline_allowed = self.allowed_on(location.line) || self.allowed_on(location.end_line);
        let docs = self
            .docs
            .get_or_insert_with(|| illustrative_blocks(self.bytes));
        let illustrative = in_blocks(docs, m.span.start)
            || is_comment_line(self.lines.line_bytes(self.bytes, location.line));
        Candidate {
            rule: m.rule,
            secret: Secret::new(m.secret),
            location,
            snippet: self.snippet(&m.span, location.line, spans),
            key_path: m.key_path,
            entropy: m.entropy,
            severity: m.severity,
            inline_allowed,
            illustrative,
            member: None,
        }
    }

    fn allowed_on(&mut self, line: u32) -> bool {
        let (bytes, lines) = (self.bytes, &self.lines);
        *self
            .allowed
            .entry(line)
            .or_insert_with(|| inline_allowed(lines.line_bytes(bytes, line)))
    }

    fn locate(&mut self, span: &Range<usize>) -> Location {
        let (line, column) = self.position(span.start);
        let end = span.end.max(span.start);
        let end_line = self
            .lines
            .line_of(span.end.saturating_sub(1).max(span.start));
        let end_column = self.lines.column(self.bytes, end_line, end);
        Location {
            line,
            column,
            end_line,
            end_column,
        }
    }

    /// Line and column of `offset`, counted on from the cursor when it is on the same line
    /// and not past it.
    fn position(&mut self, offset: usize) -> (u32, u32) {
        let line = self.lines.line_of(offset);
        let (at, cline, ccol) = self.cursor;
        let column = if cline == line && at <= offset {
            ccol + chars(&self.bytes[at..offset])
        } else {
            self.lines.column(self.bytes, line, offset)
        };
        self.cursor = (offset, line, column);
        (line, column)
    }

    /// The window of the secret's first line around its start, cut so that no secret of the
    /// blob straddles an edge, with the ranges of the secrets inside it.
    fn snippet(&self, span: &Range<usize>, line: u32, spans: &Spans) -> Snippet {
        let whole = self.lines.line_range(self.bytes, line);
        let spans = spans.near(whole.clone());
        let mut start = whole.start.max(span.start.saturating_sub(SNIPPET_SIDE));
        let mut end = whole
            .end
            .min(span.start.saturating_add(SNIPPET_SIDE))
            .max(start);
        end = end.max(span.end.min(whole.end));
        for s in &spans {
            if s.start < start && start < s.end {
                start = s.end.min(span.start);
            }
            if s.start < end && end < s.end {
                end = if s.start > span.start {
                    s.start
                } else {
                    s.end.min(whole.end)
                };
            }
        }
        let end = end.max(start);
        let mut inside: Vec<Range<usize>> = spans
            .iter()
            .filter(|s| s.start < end && start < s.end)
            .map(|s| s.start.max(start)..s.end.min(end))
            .collect();
        inside.sort_by_key(|r| r.start);
        let mut snippet = Snippet::default();
        let mut at = start;
        for r in inside {
            if r.start < at {
                continue;
            }
            snippet.text += &String::from_utf8_lossy(&self.bytes[at..r.start]);
            let from = snippet.text.len();
            snippet.text += &String::from_utf8_lossy(&self.bytes[r.clone()]);
            snippet.secrets.push(from..snippet.text.len());
            at = r.end;
        }
        snippet.text += &String::from_utf8_lossy(&self.bytes[at..end]);
        snippet
    }
}

/// The spans of a blob's matches, found by position: a snippet looks at those on its line,
/// not at all of them (a file of a thousand secrets made a million comparisons).
struct Spans {
    list: Vec<Range<usize>>,
    /// Indices into `list`, by start.
    by_start: Vec<usize>,
    /// The furthest end among `by_start[..=i]`.
    reach: Vec<usize>,
}

impl Spans {
    fn new(list: Vec<Range<usize>>) -> Spans {
        let mut by_start: Vec<usize> = (0..list.len()).collect();
        by_start.sort_by_key(|&i| list[i].start);
        let reach = (by_start.iter())
            .scan(0, |far, &i| {
                *far = list[i].end.max(*far);
                Some(*far)
            })
            .collect();
        Spans {
            list,
            by_start,
            reach,
        }
    }

    /// The spans that touch `within` (ends included), in the order they were given.
    fn near(&self, within: Range<usize>) -> Vec<Range<usize>> {
        let past = (self.by_start).partition_point(|&i| self.list[i].start <= within.end);
        let mut found: Vec<usize> = (0..past)
            .rev()
            .take_while(|&j| self.reach[j] >= within.start)
            .map(|j| self.by_start[j])
            .filter(|&i| self.list[i].end >= within.start)
            .collect();
        found.sort_unstable();
        found.into_iter().map(|i| self.list[i].clone()).collect()
    }
}

/// Characters in a byte run: UTF-8 continuation bytes do not count.
fn chars(bytes: &[u8]) -> u32 {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count() as u32
}

/// Byte offsets of line starts, built only for blobs that have matches. A lone `\r` (old Mac
/// line endings) ends a line too.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(bytes: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            let crlf = bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n');
            if !crlf {
                starts.push(i + 1);
            }
        }
        LineIndex { starts }
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        (self.starts.partition_point(|&s| s <= offset)) as u32
    }

    /// 1-based column, counted in characters; a UTF-8 byte-order mark does not count.
    fn column(&self, bytes: &[u8], line: u32, offset: usize) -> u32 {
        let mut start = self.starts[line as usize - 1];
        if start == 0 && bytes.starts_with(b"\xEF\xBB\xBF") && offset >= 3 {
            start = 3;
        }
        chars(&bytes[start..offset.max(start)]) + 1
    }

    /// The byte range of a line, without its line ending.
    fn line_range(&self, bytes: &[u8], line: u32) -> Range<usize> {
        let start = self.starts[line as usize - 1];
        let mut end = self
            .starts
            .get(line as usize)
            .map_or(bytes.len(), |&e| e - 1);
        if end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        start..end.max(start)
    }

    pub fn line_bytes<'a>(&self, bytes: &'a [u8], line: u32) -> &'a [u8] {
        &bytes[self.line_range(bytes, line)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_character_columns() {
        let text = "a\nkey = 'é secret'\nz".as_bytes();
        let start = text.windows(6).position(|w| w == b"secret").unwrap();
        let mut loc = Locator::new(text);
        let l = loc.locate(&(start..start + 6));
        assert_eq!((l.line, l.column, l.end_line, l.end_column), (2, 10, 2, 16));
        assert_eq!(loc.lines.line_bytes(text, 2), "key = 'é secret'".as_bytes());
    }

    #[test]
    fn multi_line_span() {
        let text = b"x\n-----BEGIN\nabc\n-----END\n";
        let l = Locator::new(text).locate(&(2..24));
        assert_eq!((l.line, l.end_line), (2, 4));
    }

    #[test]
    fn bom_and_cr_only_lines() {
        let text = b"\xEF\xBB\xBFab secret\rnext secret";
        let mut loc = Locator::new(text);
        let first = text.windows(6).position(|w| w == b"secret").unwrap();
        assert_eq!(loc.position(first), (1, 4));
        let second = first + 7 + 5;
        assert_eq!(loc.position(second), (2, 6));
    }

    #[test]
    fn snippets_never_cut_a_secret() {
        let long = "x".repeat(300);
        let text = format!("{long} AAAASECRETONE {long} BBBBSECRETTWO");
        let bytes = text.as_bytes();
        let one = text.find("AAAA").unwrap()..text.find("AAAA").unwrap() + 13;
        let two = text.find("BBBB").unwrap()..text.find("BBBB").unwrap() + 13;
        let snip = Locator::new(bytes).snippet(&two, 1, &Spans::new(vec![one, two.clone()]));
        assert!(!snip.text.contains("SECRETONE") || snip.text.contains("AAAASECRETONE"));
        assert_eq!(&snip.text[snip.secrets[0].clone()], "BBBBSECRETTWO");
    }
}
