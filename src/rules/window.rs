//! Where a rule's regex can match, learned from its syntax, so that the engine need not run
//! it over the whole blob, yet finds exactly the matches a whole-blob search finds:
//!
//! - when every match holds one of the rule's keywords, the text from a match's start to that
//!   keyword is made of the bytes the regex allows there, and often has a bounded length: a
//!   match starts within that many bytes before a keyword the prefilter found, inside the
//!   run of such bytes that ends at the keyword, and the engine tries only those starts;
//! - when every match holds a keyword and none can cross a line break, a match lies on a
//!   line holding a keyword, and the engine searches only those lines.
//!
//! The analysis is conservative: a regex it cannot prove holds a keyword (a keyword only
//! nearby, as with `discord` for a bare bot token) is searched whole, as before.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Finite sets of strings are built up to this many members; beyond, a part counts as
/// unknown, which only makes the answer more cautious.
const SET_CAP: usize = 64;

/// Where the matches of a rule's regex can be, relative to its keywords (compared
/// ASCII-case-insensitively, as the prefilter finds them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Every match holds a keyword, and the text from the match's start to it is made of
    /// the `before` bytes and, with a `bound`, ends at most that many bytes after the start.
    /// A match is at most `longest` bytes long, when that is bounded: a search tried at one
    /// start then reads no further, however the blob was made to prolong it. When only runs
    /// of white space are unbounded (`\s*`), a match holds at most `solid` other bytes.
    Start {
        bound: Option<usize>,
        before: ByteSet,
        longest: Option<usize>,
        solid: Option<usize>,
    },
    /// Every match holds a keyword and lies within one line.
    Line,
}

/// A set of byte values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    pub fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }

    fn is_white_space(&self) -> bool {
        (0..=255u8).all(|b| !self.contains(b) || is_white_space(b))
    }

    pub(crate) fn add(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    pub(crate) fn union(mut self, other: ByteSet) -> ByteSet {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        self
    }

    pub(crate) fn intersection(mut self, other: ByteSet) -> ByteSet {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a &= b;
        }
        self
    }

    /// The bytes in the set, in order.
    pub(crate) fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=255u8).filter(|&b| self.contains(b))
    }

    /// Every byte a match of `hir` can hold.
    fn of(hir: &Hir) -> ByteSet {
        let mut set = ByteSet::default();
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(lit) => lit.0.iter().for_each(|&b| set.add(b)),
            HirKind::Class(Class::Bytes(c)) => {
                (c.ranges().iter()).for_each(|r| (r.start()..=r.end()).for_each(|b| set.add(b)))
            }
            HirKind::Class(Class::Unicode(c)) => {
                for r in c.ranges() {
                    let end = u32::from(r.end()).min(0xff);
                    (u32::from(r.start())..=end).for_each(|b| set.add(b as u8));
                    // Beyond ASCII a char is several bytes, each 0x80 or above.
                    if u32::from(r.end()) > 0x7f {
                        (0x80..=0xff).for_each(|b| set.add(b));
                    }
                }
            }
            HirKind::Repetition(r) if r.max == Some(0) => {}
            HirKind::Repetition(r) => set = ByteSet::of(&r.sub),
            HirKind::Capture(c) => set = ByteSet::of(&c.sub),
            HirKind::Concat(parts) | HirKind::Alternation(parts) => {
                set = (parts.iter()).fold(set, |acc, p| acc.union(ByteSet::of(p)))
            }
        }
        set
    }
}

/// See [`Reach`]; `None` when a match need not hold a keyword. `Some` also says the rule's
/// keywords are necessary: it runs on exactly the blobs that can hold a match.
pub fn reach(source: &str, keywords: &[String]) -> Option<Reach> {
    let (hir, keywords) = parse(source, keywords)?;
    let lead = Leads {
        keywords: &keywords,
    }
    .of(&hir)?;
    let longest = hir.properties().maximum_len();
    Some(match longest {
        // A line is searched once however long: it is the safe reach for unbounded matches.
        None if !crosses_lines(&hir) => Reach::Line,
        _ => Reach::Start {
            bound: lead.len,
            before: lead.bytes,
            longest,
            solid: solid_len(&hir),
        },
    })
}

/// `\s` without Unicode: what a run of white space is made of.
pub fn is_white_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

/// The most bytes a match can hold outside runs of white space, when only such runs are
/// unbounded (`key\s*=\s*"…{16,64}"`); `None` when something else is.
fn solid_len(hir: &Hir) -> Option<usize> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(0),
        HirKind::Literal(lit) => Some(lit.0.len()),
        HirKind::Class(_) => Some(1),
        HirKind::Repetition(r) => match r.max {
            Some(max) => solid_len(&r.sub)?.checked_mul(max as usize),
            None if ByteSet::of(&r.sub).is_white_space() => Some(0),
            None => None,
        },
        HirKind::Capture(c) => solid_len(&c.sub),
        HirKind::Concat(parts) => parts
            .iter()
            .try_fold(0usize, |sum, p| sum.checked_add(solid_len(p)?)),
        HirKind::Alternation(parts) => parts
            .iter()
            .try_fold(0usize, |most, p| Some(most.max(solid_len(p)?))),
    }
}

/// A rule's regex as a syntax tree, parsed as `build_regex` compiles it (bytes, ASCII classes);
/// `None` if it does not parse.
pub(crate) fn syntax_tree(source: &str) -> Option<Hir> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(source)
        .ok()
}

/// The syntax tree and the lowercased keywords; `None` without keywords.
fn parse(source: &str, keywords: &[String]) -> Option<(Hir, Vec<Vec<u8>>)> {
    if keywords.is_empty() {
        return None;
    }
    let hir = syntax_tree(source)?;
    let keywords = keywords
        .iter()
        .map(|k| k.to_ascii_lowercase().into_bytes())
        .filter(|k| !k.is_empty())
        .collect();
    Some((hir, keywords))
}

/// Whether a match can hold a line feed.
fn crosses_lines(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(lit) => lit.0.contains(&b'\n'),
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .any(|r| r.start() <= b'\n' && b'\n' <= r.end()),
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .any(|r| r.start() <= '\n' && '\n' <= r.end()),
        HirKind::Repetition(r) => r.max != Some(0) && crosses_lines(&r.sub),
        HirKind::Capture(c) => crosses_lines(&c.sub),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => parts.iter().any(crosses_lines),
    }
}

#[cfg(test)]
fn start_bound(source: &str, keywords: &[String]) -> Option<usize> {
    match reach(source, keywords)? {
        Reach::Start { bound, .. } => bound,
        Reach::Line => None,
    }
}

/// The text from a match's start to the end of the keyword it holds (the lead): how long
/// it can be (`None`: unbounded), and which bytes it can hold.
struct Lead {
    len: Option<usize>,
    bytes: ByteSet,
}

struct Leads<'k> {
    keywords: &'k [Vec<u8>],
}

impl Leads<'_> {
    fn holds_keyword(&self, text: &[u8]) -> bool {
        (self.keywords.iter()).any(|k| text.windows(k.len()).any(|w| w == k.as_slice()))
    }

    /// The lead of one node of the syntax tree: `None` when a match need not hold a keyword.
    fn of(&self, hir: &Hir) -> Option<Lead> {
        match hir.kind() {
            HirKind::Literal(lit) => {
                self.holds_keyword(&lit.0.to_ascii_lowercase())
                    .then(|| Lead {
                        len: Some(lit.0.len()),
                        bytes: ByteSet::of(hir),
                    })
            }
            HirKind::Capture(c) => self.of(&c.sub),
            // The first repetition holds the keyword when one does.
            HirKind::Repetition(r) if r.min >= 1 => self.of(&r.sub),
            HirKind::Alternation(alts) => {
                let mut lead = Lead {
                    len: Some(0),
                    bytes: ByteSet::default(),
                };
                for alt in alts {
                    let this = self.of(alt)?;
                    lead.len = lead.len.zip(this.len).map(|(a, b)| a.max(b));
                    lead.bytes = lead.bytes.union(this.bytes);
                }
                Some(lead)
            }
            HirKind::Concat(parts) => self.of_concat(parts),
            _ => None,
        }
    }

    /// The first prefix of `parts` that is sure to hold a keyword, either inside one part or
    /// spelled across consecutive parts of known text (`(?i)pass(?:word|wd)>`), is the lead.
    fn of_concat(&self, parts: &[Hir]) -> Option<Lead> {
        // Longest text the parts before the current one can match, and its bytes.
        let mut before = Some(0usize);
        let mut bytes = ByteSet::default();
        // The strings the current run of consecutive known-text parts can spell.
        let mut run: Option<Vec<Vec<u8>>> = None;
        for part in parts {
            if let Some(lead) = self.of(part) {
                return Some(Lead {
                    len: before.zip(lead.len).map(|(a, b)| a + b),
                    bytes: bytes.union(lead.bytes),
                });
            }
            run = match (run.take(), finite(part)) {
                // Too many spellings: start again from this part, a shorter but sound run.
                (Some(set), Some(next)) => product(&set, &next).or(Some(next)),
                (None, next) => next,
                (_, None) => None,
            };
            before = before
                .zip(part.properties().maximum_len())
                .map(|(a, b)| a + b);
            bytes = bytes.union(ByteSet::of(part));
            if let Some(set) = &run
                && set.iter().all(|s| self.holds_keyword(s))
            {
                return Some(Lead { len: before, bytes });
            }
        }
        None
    }
}

/// Every string `hir` can match, lowercased, when they are few and short.
fn finite(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(vec![Vec::new()]),
        HirKind::Literal(lit) => Some(vec![lit.0.to_ascii_lowercase()]),
        HirKind::Class(class) => {
            let mut bytes = Vec::new();
            match class {
                Class::Bytes(c) => {
                    for r in c.ranges() {
                        bytes.extend(r.start()..=r.end());
                        if bytes.len() > SET_CAP {
                            return None;
                        }
                    }
                }
                Class::Unicode(c) => {
                    for r in c.ranges() {
                        let (start, end) = (u32::from(r.start()), u32::from(r.end()));
                        if end > 0x7f || (end - start) as usize > SET_CAP {
                            return None;
                        }
                        bytes.extend((start..=end).map(|b| b as u8));
                    }
                }
            }
            let mut set: Vec<Vec<u8>> =
                bytes.iter().map(|b| vec![b.to_ascii_lowercase()]).collect();
            set.sort();
            set.dedup();
            (set.len() <= SET_CAP).then_some(set)
        }
        HirKind::Capture(c) => finite(&c.sub),
        HirKind::Concat(parts) => {
            let mut set = vec![Vec::new()];
            for part in parts {
                set = product(&set, &finite(part)?)?;
            }
            Some(set)
        }
        HirKind::Alternation(alts) => {
            let mut set = Vec::new();
            for alt in alts {
                set.extend(finite(alt)?);
                if set.len() > SET_CAP {
                    return None;
                }
            }
            Some(set)
        }
        HirKind::Repetition(r) if r.max.is_some_and(|max| max <= 2) => {
            let sub = finite(&r.sub)?;
            let mut set = Vec::new();
            let mut power = vec![Vec::new()];
            let max = r.max.unwrap_or(0);
            for n in 0..=max {
                if n >= r.min {
                    set.extend(power.iter().cloned());
                }
                if n < max {
                    power = product(&power, &sub)?;
                }
            }
            (set.len() <= SET_CAP).then_some(set)
        }
        HirKind::Repetition(_) => None,
    }
}

/// Every string of `a` followed by every string of `b`, if there are not too many.
fn product(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if a.len() * b.len() > SET_CAP {
        return None;
    }
    Some(
        a.iter()
            .flat_map(|x| b.iter().map(move |y| [x.as_slice(), y].concat()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::start_bound;

    fn kw(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn a_literal_keyword_bounds_the_start() {
        // `ghp_` ends 4 bytes after the start.
        assert_eq!(start_bound(r"ghp_[A-Za-z0-9]{36}", &kw(&["ghp_"])), Some(4));
        // Case-sensitive in the regex, found case-insensitively by the prefilter.
        let cosmos = r"(?:^|[^A-Za-z0-9+/_-])([A-Za-z0-9+/]{76}ACDb[A-Za-z0-9+/]{5}[AQgw]==)";
        assert_eq!(start_bound(cosmos, &kw(&["acdb"])), Some(1 + 76 + 4));
    }

    #[test]
    fn case_insensitive_and_alternated_spellings_count() {
        let xml = r"(?i)<[\w.:-]{0,10}(?:password|passwd)>\s*([^<]{6,256})</";
        assert_eq!(
            start_bound(xml, &kw(&["password>", "passwd>"])),
            Some(1 + 10 + 9)
        );
        // Unbounded text after the keyword does not matter.
        let assign = r#"(?i)api_?key["']?\s*[:=]\s*["']?([a-z0-9]{32})"#;
        assert_eq!(start_bound(assign, &kw(&["api_key", "apikey"])), Some(7));
    }

    #[test]
    fn no_bound_without_a_keyword_in_every_match() {
        // The keyword is context elsewhere in the file, not part of the match.
        let bare = r"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}";
        assert_eq!(start_bound(bare, &kw(&["discord"])), None);
        // One branch lacks a keyword (`\bfb` is not `fb_`).
        let fb = r"(?i)(?:facebook|\bfb)[\w.-]{0,20}?secret";
        assert_eq!(start_bound(fb, &kw(&["facebook", "fb_"])), None);
        // An optional keyword is no keyword.
        assert_eq!(start_bound(r"(?:token)?[a-z]{8}", &kw(&["token"])), None);
        // An unbounded run before the keyword.
        assert_eq!(start_bound(r"[a-z]+token", &kw(&["token"])), None);
        assert_eq!(start_bound(r"token", &[]), None);
    }

    #[test]
    fn a_keyword_after_an_unbounded_run_confines_to_lines() {
        use super::{Reach, reach};
        let unquoted = r"(?im)^[ \t]*[\w.-]*(?:password|passwd)[ \t]*[=:][ \t]*([^\s]{6,128})\r?$";
        assert_eq!(
            reach(unquoted, &kw(&["password", "passwd"])),
            Some(Reach::Line)
        );
        // `\s` crosses lines: the starts are only known to lie in the run of name bytes
        // before the keyword.
        let spaced = r"(?i)[\w.-]*password\s*[=:]\s*([^\s]{6,128})";
        let Some(Reach::Start {
            bound: None,
            before,
            longest: None,
            ..
        }) = reach(spaced, &kw(&["password"]))
        else {
            panic!("an unbounded lead of name bytes");
        };
        assert!(before.contains(b'_') && before.contains(b'P') && before.contains(b'.'));
        assert!(!before.contains(b' ') && !before.contains(b'(') && !before.contains(b'\n'));
        // Every match must still hold a keyword.
        assert_eq!(reach(r"(?m)^[a-z]*=[a-z]{8}$", &kw(&["password"])), None);
    }

    /// Rules whose keywords were narrowed to what every match must spell: the narrowing
    /// changes nothing found, only how many blobs the regex runs on.
    #[test]
    fn narrowed_keywords_are_necessary() {
        let set = crate::rules::RuleSet::builtin().expect("built-in rules load");
        for id in [
            "generic-xml-secret",
            "generic-secret",
            "azure-ad-client-secret-legacy",
            "aws-secret-access-key",
            "generic-secret-unquoted",
            "php-define-password",
        ] {
            let rule = set.rules.iter().find(|r| r.id == id).expect(id);
            let crate::rules::Pattern::Regex { source, .. } = &rule.pattern else {
                panic!("{id} is a regex rule");
            };
            assert!(super::reach(source, &rule.keywords).is_some(), "{id}");
        }
    }
}
