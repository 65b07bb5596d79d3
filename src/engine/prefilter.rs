//! One aho-corasick pass over a blob finds which rules' keywords occur; only those rules'
//! regexes run. Most blobs contain none of the keywords, so most rules never run at all.
//! The pass also keeps where each keyword occurred, so that a rule whose matches must start
//! just before one of its keywords (`rules::window`) tries only those starts.
//!
//! The keywords (~650, case-insensitive) are matched first by a contiguous NFA, cheap to build
//! (0.5 ms); once a run has scanned [`DFA_AFTER`] bytes a DFA is built (a few ms) and used
//! from then on, 2.5× faster per byte, and faster again run as several streams
//! (`streams`). A pre-commit run over one small file never builds it.

use std::ops::Range;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use aho_corasick::dfa::DFA;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::streams;

use crate::rules::RuleSet;
use crate::rules::window::Reach;

/// Bytes scanned before the DFA is worth building: it saves ~3.4 ns a byte and costs 1.9 ms.
const DFA_AFTER: usize = 1 << 20;

/// Keyword occurrences kept per blob. A blob with more (a hostile or generated file) is
/// searched whole by every rule, so memory stays bounded whatever the blob holds.
const MAX_OCCURRENCES: usize = 1 << 16;

/// A start tried alone costs about as much as this many bytes of a whole-blob search; a rule
/// whose starts would cost more is searched whole.
const START_COST: usize = 32;

/// What one pass found in a blob.
pub struct Candidates {
    /// A flag per rule: true where the rule should run on these bytes.
    pub rules: Vec<bool>,
    /// Every keyword occurrence as (pattern, start, end), sorted by pattern then start;
    /// `None` when there were more than [`MAX_OCCURRENCES`].
    occurrences: Option<Vec<(u32, usize, usize)>>,
}

pub struct Prefilter {
    keywords: Vec<String>,
    /// The longest keyword, in bytes.
    longest: usize,
    /// Built at start-up; `None` when no rule has keywords.
    nfa: Option<AhoCorasick>,
    /// Built once [`DFA_AFTER`] bytes have been scanned; `None` inside if the keywords
    /// outgrow the DFA's size limit, and the NFA serves on.
    dfa: OnceLock<Option<DFA>>,
    scanned: AtomicUsize,
    /// For each keyword pattern, the rules that asked for it.
    rules_of_keyword: Vec<Vec<usize>>,
    /// For each rule, its keyword patterns.
    keywords_of_rule: Vec<Vec<u32>>,
    /// Rules with no keyword: they run on every blob.
    always: Vec<usize>,
    rule_count: usize,
}

impl Prefilter {
    pub fn new(rules: &RuleSet) -> Prefilter {
        let mut keywords: Vec<String> = Vec::new();
        let mut rules_of_keyword: Vec<Vec<usize>> = Vec::new();
        let mut keywords_of_rule = vec![Vec::new(); rules.rules.len()];
        let mut always = Vec::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                always.push(i);
            }
            for kw in &rule.keywords {
                let p = match keywords.iter().position(|k| k == kw) {
                    Some(p) => {
                        rules_of_keyword[p].push(i);
                        p
                    }
                    None => {
                        keywords.push(kw.clone());
                        rules_of_keyword.push(vec![i]);
                        keywords.len() - 1
                    }
                };
                keywords_of_rule[i].push(p as u32);
            }
        }
        let nfa = (!keywords.is_empty()).then(|| build_nfa(&keywords));
        Prefilter {
            longest: keywords.iter().map(String::len).max().unwrap_or(0),
            keywords,
            nfa,
            dfa: OnceLock::new(),
            scanned: AtomicUsize::new(0),
            rules_of_keyword,
            keywords_of_rule,
            always,
            rule_count: rules.rules.len(),
        }
    }

    /// The automaton to scan `bytes` with: the NFA until enough bytes have gone by, then the DFA.
    fn automaton(&self, bytes: &[u8]) -> Option<Automaton<'_>> {
        let nfa = self.nfa.as_ref()?;
        let dfa = match self.dfa.get() {
            Some(dfa) => dfa.as_ref(),
            None if self.scanned.fetch_add(bytes.len(), Relaxed) + bytes.len() < DFA_AFTER => None,
            None => self.dfa.get_or_init(|| build_dfa(&self.keywords)).as_ref(),
        };
        Some(dfa.map_or(Automaton::Nfa(nfa), Automaton::Dfa))
    }

    /// Whether any rule's keyword occurs: decoded text without one is not worth scanning.
    pub fn has_keyword(&self, bytes: &[u8]) -> bool {
        match self.automaton(bytes) {
            None => false,
            Some(Automaton::Nfa(nfa)) => nfa.is_match(bytes),
            Some(Automaton::Dfa(dfa)) => streams::any(dfa, bytes),
        }
    }

    /// The rules to run on `bytes`, and where their keywords are.
    pub fn candidates(&self, bytes: &[u8]) -> Candidates {
        let mut hit = vec![false; self.rule_count];
        for &i in &self.always {
            hit[i] = true;
        }
        let Some(automaton) = self.automaton(bytes) else {
            return Candidates {
                rules: hit,
                occurrences: None,
            };
        };
        let mut seen = vec![false; self.rules_of_keyword.len()];
        let mut occurrences = Some(Vec::new());
        let mut found = |p: u32, end: usize| {
            let p = p as usize;
            if let Some(list) = &mut occurrences {
                if list.len() < MAX_OCCURRENCES {
                    list.push((p as u32, end - self.keywords[p].len(), end));
                } else {
                    occurrences = None;
                }
            }
            if !seen[p] {
                seen[p] = true;
                for &r in &self.rules_of_keyword[p] {
                    hit[r] = true;
                }
            }
        };
        match automaton {
            Automaton::Nfa(nfa) => (nfa.find_overlapping_iter(bytes))
                .for_each(|m| found(m.pattern().as_u32(), m.end())),
            Automaton::Dfa(dfa) => streams::overlapping(dfa, bytes, self.longest, found),
        }
        if let Some(list) = &mut occurrences {
            list.sort_unstable();
        }
        Candidates {
            rules: hit,
            occurrences,
        }
    }

    /// [`Prefilter::candidates`] for the keywords in `parts` of `bytes` only (sorted, apart),
    /// placed in `bytes`: the rules those parts need, and where their keywords are. Each part
    /// is passed over as a blob of its own: one loop over the parts around the automaton's
    /// inner loop cost the whole-blob pass a tenth of its speed.
    pub fn candidates_in(&self, bytes: &[u8], parts: &[Range<usize>]) -> Candidates {
        if let [part] = parts
            && *part == (0..bytes.len())
        {
            return self.candidates(bytes);
        }
        let mut all = Candidates {
            rules: vec![false; self.rule_count],
            occurrences: Some(Vec::new()),
        };
        for part in parts {
            let found = self.candidates(&bytes[part.clone()]);
            all.rules
                .iter_mut()
                .zip(found.rules)
                .for_each(|(a, f)| *a |= f);
            all.occurrences = match (all.occurrences, found.occurrences) {
                (Some(mut list), Some(more)) if list.len() + more.len() <= MAX_OCCURRENCES => {
                    let shift =
                        |(p, s, e): (u32, usize, usize)| (p, s + part.start, e + part.start);
                    list.extend(more.into_iter().map(shift));
                    Some(list)
                }
                _ => None,
            };
        }
        if let Some(list) = &mut all.occurrences {
            list.sort_unstable();
        }
        all
    }

    /// The keywords, in pattern order.
    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    /// The keyword patterns `rule` asked for.
    pub fn patterns_of(&self, rule: usize) -> &[u32] {
        &self.keywords_of_rule[rule]
    }

    /// Where to search for a rule's matches, given how they [`Reach`] the keyword `patterns`
    /// (its own, or another keyword every match spells): `None` when the whole blob is
    /// cheaper to search, or the occurrences were not all kept.
    pub fn windows(
        &self,
        found: &Candidates,
        patterns: &[u32],
        reach: Reach,
        bytes: &[u8],
    ) -> Option<Windows> {
        let occurrences = found.occurrences.as_ref()?;
        let mut ranges = Vec::new();
        // Bytes read to place the windows: past the blob's length, a whole search is cheaper
        // (and a hostile blob of keywords cannot make this quadratic).
        let mut read = 0usize;
        for &p in patterns {
            let first = occurrences.partition_point(|&(q, _, _)| q < p);
            let mut line_end = 0;
            // The previous occurrence's start and lowest start: each byte is read once.
            let mut last: Option<(usize, usize)> = None;
            for &(_, start, end) in occurrences[first..].iter().take_while(|o| o.0 == p) {
                match reach {
                    // Starts from `bound` before the keyword's end, or from where the bytes
                    // a lead can hold stop, up to the keyword's own start.
                    // Searched once from the first start: later occurrences start no lower.
                    Reach::Start {
                        longest: None,
                        solid: None,
                        ..
                    } if last.is_some() => break,
                    Reach::Start { bound, before, .. } => {
                        let lowest = bound.map_or(0, |b| end.saturating_sub(b));
                        let stop = last.map_or(lowest, |(s, _)| s.max(lowest));
                        let mut from = start;
                        while from > stop && before.contains(bytes[from - 1]) {
                            from -= 1;
                        }
                        if let Some((last_start, last_from)) = last
                            && from == last_start
                            && from > lowest
                        {
                            from = last_from.max(lowest);
                        }
                        last = Some((start, from));
                        read += start - from + 1;
                        ranges.push(from..start + 1);
                    }
                    // Occurrences sorted by start: the rest of this line is already in.
                    Reach::Line if start < line_end => {}
                    Reach::Line => {
                        let from = memchr::memrchr(b'\n', &bytes[..start]).map_or(0, |i| i + 1);
                        line_end =
                            memchr::memchr(b'\n', &bytes[end..]).map_or(bytes.len(), |i| end + i);
                        read += line_end - from;
                        ranges.push(from..line_end);
                    }
                }
                if read > bytes.len() {
                    return None;
                }
            }
        }
        ranges.sort_unstable_by_key(|r| r.start);
        let weight = match reach {
            // A match of unbounded length may run to the blob's end from any start: one
            // search from the first possible start, never one per start, which a blob made of
            // long runs would turn quadratic.
            Reach::Start {
                longest: None,
                solid: None,
                ..
            } => {
                return Some(Windows::From(
                    ranges.first().map_or(bytes.len(), |r| r.start),
                ));
            }
            // Each start is tried over at most `longest` bytes, or `solid` bytes and the white
            // space between them.
            Reach::Start { longest, solid, .. } => {
                START_COST.max(longest.or(solid).unwrap_or(0) / 4)
            }
            Reach::Line => 2,
        };
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
        let mut cost = 0;
        for r in ranges {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => {
                    cost += r.end.saturating_sub(last.end);
                    last.end = last.end.max(r.end);
                }
                _ => {
                    cost += r.len();
                    merged.push(r);
                }
            }
            if cost.saturating_mul(weight) > bytes.len() {
                return None;
            }
        }
        Some(match reach {
            Reach::Start { longest, solid, .. } => Windows::Starts {
                starts: merged,
                limit: match (longest, solid) {
                    (Some(longest), _) => Limit::Bytes(longest),
                    (None, solid) => Limit::Solid(solid.unwrap_or(bytes.len())),
                },
            },
            Reach::Line => Windows::Lines(merged),
        })
    }
}

/// How far a match can reach from its start.
#[derive(Clone, Copy)]
pub enum Limit {
    /// At most this many bytes.
    Bytes(usize),
    /// At most this many bytes that are not white space, and any white space between.
    Solid(usize),
}

impl Limit {
    /// Where a match starting at `at` ends at the latest.
    pub fn end(self, bytes: &[u8], at: usize) -> usize {
        match self {
            Limit::Bytes(n) => bytes.len().min(at.saturating_add(n)),
            Limit::Solid(n) => {
                let mut solid = 0;
                (bytes[at..].iter())
                    .position(|&b| {
                        solid += usize::from(!crate::rules::window::is_white_space(b));
                        solid > n
                    })
                    .map_or(bytes.len(), |i| at + i)
            }
        }
    }
}

/// The keyword automaton in use.
enum Automaton<'a> {
    Nfa(&'a AhoCorasick),
    Dfa(&'a DFA),
}

/// Where one rule is searched in a blob.
pub enum Windows {
    /// Positions a match can start at; each is tried as an anchored search no further than
    /// the longest match the regex can make there.
    Starts {
        starts: Vec<Range<usize>>,
        limit: Limit,
    },
    /// Every match starts at or after this: one search from there.
    From(usize),
    /// Spans of whole lines, searched as they are; no match crosses their ends.
    Lines(Vec<Range<usize>>),
}

/// The DFA, run by `streams`; `None` past its size limit.
fn build_dfa(keywords: &[String]) -> Option<DFA> {
    DFA::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(keywords)
        .ok()
}

/// The NFA. Overlapping matches need standard semantics; keywords are plain literals, so
/// building cannot fail short of a size limit, where another kind serves instead.
fn build_nfa(keywords: &[String]) -> AhoCorasick {
    let builder = |kind| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(kind)
            .build(keywords)
    };
    builder(Some(AhoCorasickKind::ContiguousNFA))
        .or_else(|_| builder(None))
        .expect("keywords are plain literals")
}
