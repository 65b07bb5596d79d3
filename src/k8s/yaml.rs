//! YAML (and JSON, a subset) to a small tree that keeps the byte range of every scalar, built
//! from the parser's events one document at a time. Hostile input is bounded here: an alias
//! is read as its anchored scalar only if that is short ([`MAX_ANCHORED`] bytes) and only for
//! the first [`MAX_EXPANDED`] aliases of a document (at most 10 MB, dropped with the
//! document), collections are never expanded (a billion-laughs bomb costs nothing), nesting
//! deeper than [`MAX_DEPTH`] is skipped, and a document of more than [`MAX_NODES`] nodes is
//! abandoned to the line-wise analyzer.
//!
//! Most YAML is block YAML, and [`super::block`] reads it without saphyr's scanner; saphyr
//! reads what that reader leaves, to the same tree.

use std::borrow::Cow;
use std::cell::Cell;
use std::ops::Range;

use saphyr_parser::{Event, Input, Parser, ScalarStyle, Span};

/// Deeper structure is not judged (real configuration is rarely deeper than 20).
pub const MAX_DEPTH: usize = 64;
/// Per document; a larger one is read line by line instead.
pub const MAX_NODES: usize = 1_000_000;

#[derive(Clone, Debug)]
pub struct Scalar<'t> {
    /// Borrowed from the text where the source spells it as it is (a JSON string without
    /// escapes): a JSON file of 20,000 entries is not copied string by string.
    pub value: Cow<'t, str>,
    /// Bytes of the value in the source: inside the quotes, without a block scalar's header
    /// and trailing newlines.
    pub span: Range<usize>,
    /// Whether YAML reads it as a string (not a number, boolean or null).
    pub is_string: bool,
    pub block: bool,
}

#[derive(Debug)]
pub enum Node<'t> {
    Scalar(Scalar<'t>),
    Map(Vec<(Node<'t>, Node<'t>)>),
    Seq(Vec<Node<'t>>),
    /// An alias, or structure too deep to judge.
    Other,
}

impl<'t> Node<'t> {
    pub fn get(&self, key: &str) -> Option<&Node<'t>> {
        match self {
            Node::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar(s) => Some(&*s.value),
            _ => None,
        }
    }
}

/// Why a stream could not be read to the end: the byte offset where the failing document
/// starts (documents before it were delivered), and the parser's message.
#[derive(Debug)]
pub struct Failure {
    pub doc_start: usize,
    pub message: String,
}

enum Frame<'t> {
    Map(Vec<(Node<'t>, Node<'t>)>, Option<Node<'t>>),
    Seq(Vec<Node<'t>>),
    Skip(usize),
}

/// Line starts, to turn the parser's (line, character column) into byte offsets. The parser
/// reports columns in characters, so a column is walked from the line start; the last answer
/// is remembered, and the parser asks in order, so a long line (a minified JSON file) is
/// walked once in all, not once per scalar.
pub struct Lines<'a> {
    text: &'a str,
    /// The text the offsets are into: the template itself where `text` is its masked copy.
    source: &'a str,
    starts: Vec<usize>,
    /// Every character is a byte (most YAML): a column is then a byte count, and no line is
    /// walked at all.
    ascii: bool,
    /// The last answer: (line index, character column, byte offset).
    cursor: Cell<(usize, usize, usize)>,
}

impl<'a> Lines<'a> {
    /// Lines of `text`, whose offsets are into `source`: `text` itself, or the template it is
    /// the masked copy of (of the same length).
    pub fn new(text: &'a str, source: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Lines {
            text,
            source,
            starts,
            ascii: text.is_ascii(),
            cursor: Cell::new((0, 0, 0)),
        }
    }

    /// The byte offset of character `col` of 1-based `line` (counting on past the line's end,
    /// as the parser may); the text's length when that is past the end.
    pub fn offset(&self, line: usize, col: usize) -> usize {
        let index = line.saturating_sub(1);
        let Some(&start) = self.starts.get(index) else {
            return self.text.len();
        };
        if self.ascii {
            return start.saturating_add(col).min(self.text.len());
        }
        let (from_col, from) = match self.cursor.get() {
            (i, c, byte) if i == index && c <= col => (c, byte),
            _ => (0, start),
        };
        let offset = advance(self.text, from, col - from_col);
        self.cursor.set((index, col, offset));
        offset
    }
}

/// The byte offset `chars` characters after byte `from`, or the text's length.
fn advance(text: &str, from: usize, chars: usize) -> usize {
    let rest = &text.as_bytes()[from..];
    if rest.len() >= chars && rest[..chars].is_ascii() {
        return from + chars;
    }
    text[from..]
        .char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| from + i)
}

/// How far the scanner may read past the point where it last produced an event, in bytes.
/// The scanner buffers a whole flow collection that could be a key (a JSON file's root, the
/// first item of a flow sequence) before producing anything, at over a hundred bytes of tokens
/// per byte of input; a collection (or a scalar) longer than this is read line by line
/// instead. JSON is parsed by [`super::json`], which buffers nothing.
pub const LOOKAHEAD: usize = 1 << 20;

/// Parses every document, handing each finished one to `on_doc`. `source` is the text the
/// spans are into: `text` itself, or the template that `text` is the masked copy of.
///
/// Block YAML is read by [`super::block`]; where that reader gives up, saphyr reads the text
/// from the start and the documents already delivered are skipped.
pub fn parse<'t>(
    text: &'t str,
    source: &str,
    mut on_doc: impl FnMut(Node<'t>),
) -> Result<(), Failure> {
    let mut delivered = 0_usize;
    let fast = super::block::parse(text, source, &mut |doc| {
        delivered += 1;
        on_doc(doc);
    });
    if fast.is_ok() {
        return Ok(());
    }
    let mut skip = delivered;
    read(text, source, |doc| match skip {
        0 => on_doc(doc),
        _ => skip -= 1,
    })
}

/// [`parse`] with saphyr alone.
pub fn read(
    text: &str,
    source: &str,
    mut on_doc: impl FnMut(Node<'static>),
) -> Result<(), Failure> {
    let lines = Lines::new(text, source);
    let limit = Cell::new(end_of_window(text, 0));
    let cut = Cell::new(false);
    let mut parser = Parser::new(Window::new(text, &limit, &cut));
    let mut builder = Builder::default();
    let mut doc_start = 0;
    let too_long = || format!("more than {LOOKAHEAD} bytes of flow collection or scalar");
    while let Some(event) = parser.next_event() {
        let fail = |message: String| Failure { doc_start, message };
        let (event, span) =
            event.map_err(|e| fail(if cut.get() { too_long() } else { e.to_string() }))?;
        match event {
            Event::DocumentStart(_) => {
                doc_start = lines.offset(span.start.line(), 0);
                builder = Builder::default();
            }
            // The input ended at the window: what the parser read as the end is not.
            _ if cut.get() => return Err(fail(too_long())),
            Event::DocumentEnd => {
                if let Some(root) = builder.root.take() {
                    on_doc(root);
                }
            }
            event => builder.event(event, span, &lines).map_err(fail)?,
        }
        // After the scalar's own offsets: the lines are walked forwards only.
        let end = lines.offset(span.end.line(), span.end.col());
        limit.set(limit.get().max(end_of_window(text, end)));
    }
    Ok(())
}

/// `from + LOOKAHEAD`, on a character boundary, at most the text's length.
fn end_of_window(text: &str, from: usize) -> usize {
    let mut end = from.saturating_add(LOOKAHEAD).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// The text as the scanner sees it: up to `limit`, which the caller moves on as events come.
/// Reading past the limit reads the end of input, and sets `cut`.
struct Window<'a> {
    text: &'a str,
    /// What is left to read, up to the limit when last looked at.
    rest: Cell<&'a str>,
    limit: &'a Cell<usize>,
    cut: &'a Cell<bool>,
    lookahead: usize,
    /// The window holds the whole text from the start (most files are shorter than
    /// [`LOOKAHEAD`]): it never grows, and the scanner's every question skips the check.
    whole: bool,
}

impl<'a> Window<'a> {
    fn new(text: &'a str, limit: &'a Cell<usize>, cut: &'a Cell<bool>) -> Window<'a> {
        Window {
            text,
            rest: Cell::new(&text[..limit.get()]),
            limit,
            cut,
            lookahead: 0,
            whole: limit.get() == text.len(),
        }
    }

    /// What is left to read, grown to the current limit.
    fn rest(&self) -> &'a str {
        let rest = self.rest.get();
        if self.whole {
            return rest;
        }
        let end = self.end_of(rest);
        let limit = self.limit.get();
        if end >= limit {
            return rest;
        }
        let grown = &self.text[end - rest.len()..limit];
        self.rest.set(grown);
        grown
    }

    /// Where `rest`, a tail of the text up to some point, ends in the text.
    fn end_of(&self, rest: &str) -> usize {
        rest.as_ptr() as usize - self.text.as_ptr() as usize + rest.len()
    }

    /// Whether the next character is an ASCII byte `test` accepts; `at_end` at the end of the
    /// window (where `peek` reads `\0`).
    fn first_is(&self, test: impl Fn(u8) -> bool, at_end: bool) -> bool {
        let rest = self.rest();
        match rest.as_bytes().first() {
            Some(&b) => b.is_ascii() && test(b),
            None => {
                self.at_end(rest);
                at_end
            }
        }
    }

    /// Records that the scanner wanted more than the window holds.
    fn at_end(&self, rest: &str) {
        if self.end_of(rest) < self.text.len() {
            self.cut.set(true);
        }
    }
}

impl Input for Window<'_> {
    fn lookahead(&mut self, count: usize) {
        self.lookahead = self.lookahead.max(count);
    }

    fn buflen(&self) -> usize {
        self.lookahead
    }

    /// The window holds the whole text, so this is no buffer's size: it is how far the scanner
    /// looks ahead at a time, and the room it reserves in a plain scalar's string after its
    /// first character. At 31 that reserve fits the 32 bytes the string starts with (at 128,
    /// as saphyr's own `StrInput` says, every plain scalar was reallocated once: 3% of the
    /// instructions on Helm charts).
    fn bufmaxlen(&self) -> usize {
        31
    }

    fn raw_read_ch(&mut self) -> char {
        let rest = self.rest();
        if let Some(&b) = rest.as_bytes().first()
            && b.is_ascii()
        {
            self.rest.set(&rest[1..]);
            return char::from(b);
        }
        let mut chars = rest.chars();
        match chars.next() {
            Some(c) => {
                self.rest.set(chars.as_str());
                c
            }
            None => {
                self.at_end(rest);
                '\0'
            }
        }
    }

    fn raw_read_non_breakz_ch(&mut self) -> Option<char> {
        let rest = self.rest();
        let mut chars = rest.chars();
        match chars.next() {
            Some(c) if saphyr_parser::input::is_breakz(c) || c == '\u{FEFF}' => None,
            Some(c) => {
                self.rest.set(chars.as_str());
                Some(c)
            }
            None => {
                self.at_end(rest);
                None
            }
        }
    }

    fn skip(&mut self) {
        let _ = self.raw_read_ch();
    }

    fn skip_n(&mut self, count: usize) {
        for _ in 0..count {
            let _ = self.raw_read_ch();
        }
    }

    fn peek(&self) -> char {
        let rest = self.rest();
        match rest.as_bytes().first() {
            Some(&b) if b.is_ascii() => char::from(b),
            Some(_) => rest.chars().next().unwrap_or('\0'),
            None => {
                self.at_end(rest);
                '\0'
            }
        }
    }

    fn peek_nth(&self, n: usize) -> char {
        let rest = self.rest();
        let found = rest.chars().nth(n);
        if found.is_none() {
            self.at_end(rest);
        }
        found.unwrap_or('\0')
    }

    // The scanner asks these once or more per character of every plain scalar; the trait's
    // versions go through `peek` and `peek_nth` each time. Each answers from the first byte or
    // two (every character they test for is ASCII), and reads past the window exactly where
    // the trait's version would: at the first character for one-character tests, at the second
    // for `next_can_be_plain_scalar`.

    fn next_is_blank_or_break(&self) -> bool {
        self.first_is(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'), false)
    }

    fn next_is_blank_or_breakz(&self) -> bool {
        self.first_is(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0), true)
    }

    fn next_is_blank(&self) -> bool {
        self.first_is(|b| matches!(b, b' ' | b'\t'), false)
    }

    fn next_is_break(&self) -> bool {
        self.first_is(|b| matches!(b, b'\n' | b'\r'), false)
    }

    fn next_is_breakz(&self) -> bool {
        self.first_is(|b| matches!(b, b'\n' | b'\r' | 0), true)
    }

    fn next_is_z(&self) -> bool {
        self.first_is(|b| b == 0, true)
    }

    fn next_can_be_plain_scalar(&self, in_flow: bool) -> bool {
        let rest = self.rest();
        let bytes = rest.as_bytes();
        // `peek_nth(1)` reads past the window when fewer than two characters are left.
        if bytes.len() <= 4 && rest.chars().nth(1).is_none() {
            self.at_end(rest);
        }
        let is_flow = |b: u8| matches!(b, b',' | b'[' | b']' | b'{' | b'}');
        match bytes.first() {
            Some(b':') => {
                // A second character that is not ASCII is neither blank nor flow.
                let next = bytes.get(1).copied().unwrap_or(0);
                let ends = matches!(next, b' ' | b'\t' | b'\n' | b'\r' | 0);
                !(ends || (in_flow && is_flow(next)))
            }
            Some(&b) if in_flow && is_flow(b) => false,
            _ => !rest.starts_with('\u{FEFF}'),
        }
    }

    fn peek_opt(&self) -> Option<char> {
        let rest = self.rest();
        let found = rest.chars().next();
        if found.is_none() {
            self.at_end(rest);
        }
        found
    }
}

/// One step of building a tree, from a YAML event or a JSON token.
pub enum Step<'t> {
    Leaf(Node<'t>),
    OpenMap,
    OpenSeq,
    Close,
}

#[derive(Default)]
pub struct Builder<'t> {
    stack: Vec<Frame<'t>>,
    pub root: Option<Node<'t>>,
    nodes: usize,
    /// Short anchored scalars (`&pw hunter2`), so that `password: *pw` is judged with the
    /// anchor's value and reported where the anchor is. Collections are never expanded.
    anchors: std::collections::HashMap<usize, Scalar<'t>>,
    expanded: usize,
}

/// The longest anchored scalar an alias is read as, and how many aliases a document may
/// expand: a value used under a secret-named key is short, and expansion must stay bounded.
const MAX_ANCHORED: usize = 1024;
const MAX_EXPANDED: usize = 10_000;

impl<'t> Builder<'t> {
    fn event(&mut self, event: Event, span: Span, lines: &Lines) -> Result<(), String> {
        let step = match event {
            Event::Scalar(value, style, anchor, _) => {
                let node = scalar(value.into_owned(), style, span, lines);
                if let Node::Scalar(anchored) = &node
                    && anchor > 0
                    && anchored.value.len() <= MAX_ANCHORED
                {
                    self.anchors.insert(anchor, anchored.clone());
                }
                Step::Leaf(node)
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(anchored) if self.expanded < MAX_EXPANDED => {
                    self.expanded += 1;
                    Step::Leaf(Node::Scalar(anchored.clone()))
                }
                _ => Step::Leaf(Node::Other),
            },
            Event::MappingStart(..) => Step::OpenMap,
            Event::SequenceStart(..) => Step::OpenSeq,
            Event::MappingEnd | Event::SequenceEnd => Step::Close,
            _ => return self.count(),
        };
        self.step(step)
    }

    fn count(&mut self) -> Result<(), String> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(format!("more than {MAX_NODES} nodes in one document"));
        }
        Ok(())
    }

    /// Adds one step; structure deeper than [`MAX_DEPTH`] becomes [`Node::Other`].
    pub fn step(&mut self, step: Step<'t>) -> Result<(), String> {
        self.count()?;
        if let Some(Frame::Skip(depth)) = self.stack.last_mut() {
            match step {
                Step::OpenMap | Step::OpenSeq => *depth += 1,
                Step::Close => *depth -= 1,
                Step::Leaf(_) => {}
            }
            if *depth == 0 {
                self.stack.pop();
                self.add(Node::Other);
            }
            return Ok(());
        }
        match step {
            Step::Leaf(node) => self.add(node),
            Step::OpenMap => self.open(Frame::Map(Vec::new(), None)),
            Step::OpenSeq => self.open(Frame::Seq(Vec::new())),
            Step::Close => self.close(),
        }
        Ok(())
    }

    /// Whether the skipped-over structure is too deep to build: a leaf made now is dropped.
    pub fn skipping(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Skip(_)))
    }

    fn open(&mut self, frame: Frame<'t>) {
        let frame = if self.stack.len() >= MAX_DEPTH {
            Frame::Skip(1)
        } else {
            frame
        };
        self.stack.push(frame);
    }

    fn close(&mut self) {
        let node = match self.stack.pop() {
            Some(Frame::Map(entries, _)) => Node::Map(entries),
            Some(Frame::Seq(items)) => Node::Seq(items),
            _ => Node::Other,
        };
        self.add(node);
    }

    fn add(&mut self, node: Node<'t>) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq(items)) => items.push(node),
            Some(Frame::Map(entries, key)) => match key.take() {
                Some(k) => entries.push((k, node)),
                None => *key = Some(node),
            },
            Some(Frame::Skip(_)) => {}
        }
    }
}

/// The scanner has already copied the value out of the text: it is kept, not copied again.
fn scalar<'t>(value: String, style: ScalarStyle, span: Span, lines: &Lines) -> Node<'t> {
    let mut start = lines.offset(span.start.line(), span.start.col());
    let mut end = lines.offset(span.end.line(), span.end.col()).max(start);
    let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
    match style {
        // saphyr ends a quoted scalar's token past the spaces and the comment after it: the
        // span ends at the closing quote, so that the comment is not read as the value (a
        // `{{ }}` in it made the value a template; a match in it was taken as the value's).
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted if end >= start + 2 => {
            let bytes = lines.text.as_bytes();
            end = closing_quote(bytes, bytes[start], start + 1, end).unwrap_or(end - 1);
            start += 1;
        }
        ScalarStyle::Literal | ScalarStyle::Folded => {
            end = start + lines.text[start..end].trim_end().len();
        }
        _ => {}
    }
    Node::Scalar(Scalar {
        is_string: style != ScalarStyle::Plain || is_plain_string(&value),
        value: Cow::Owned(value),
        span: fit(lines.source, start, end),
        block,
    })
}

/// The closing `quote` of a quoted scalar, searched from `from` (past the opening quote, or a
/// later line of the scalar) to `limit`: `''` is a quote inside single quotes, and a
/// backslash escapes the next byte inside double quotes.
pub fn closing_quote(text: &[u8], quote: u8, from: usize, limit: usize) -> Option<usize> {
    let mut at = from;
    while at < limit {
        let i = at + memchr::memchr2(quote, b'\\', &text[at..limit])?;
        match text[i] {
            b'\\' if quote == b'"' => at = i + 2,
            b'\\' => at = i + 1,
            _ if quote == b'\'' && text.get(i + 1) == Some(&b'\'') => at = i + 2,
            _ => return Some(i),
        }
    }
    None
}

/// `start..end` widened to character boundaries of `source`. A masked template keeps its
/// characters where they were, except on lines blanked whole (see `template`): a position
/// there may fall inside a character of the template.
pub fn fit(source: &str, mut start: usize, mut end: usize) -> Range<usize> {
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    while !source.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// Plain scalars that YAML 1.1 or 1.2 reads as null, booleans or numbers are not strings.
pub fn is_plain_string(v: &str) -> bool {
    // Every keyword and number below starts with one of these (`f64` also reads `inf`,
    // `infinity` and `nan` in any case): anything else is a string, and most keys and values
    // of a file are. Compared without case, never lowercased into a copy.
    let maybe_not = v.bytes().next().is_none_or(|b| {
        matches!(
            b.to_ascii_lowercase(),
            b'0'..=b'9' | b'+' | b'-' | b'.' | b'~' | b'n' | b't' | b'f' | b'y' | b'o' | b'i'
        )
    });
    if !maybe_not {
        return true;
    }
    let is = |w: &&str| v.eq_ignore_ascii_case(w);
    let keyword = [
        "", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
    ]
    .iter()
    .any(is);
    let radix = |prefix: &str, radix: u32| {
        v.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(prefix))
            && u64::from_str_radix(&v[2..], radix).is_ok()
    };
    let number = v.parse::<f64>().is_ok() || radix("0x", 16) || radix("0o", 8);
    let special = [".inf", "-.inf", ".nan"].iter().any(is);
    !(keyword || number || special) || ["nan", "inf"].iter().any(is)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answer `is_plain_string` gave when it lowercased a copy first.
    fn plain_string_by_copy(v: &str) -> bool {
        let lower = v.to_ascii_lowercase();
        let keyword = matches!(
            lower.as_str(),
            "" | "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
        let number = v.parse::<f64>().is_ok()
            || lower
                .strip_prefix("0x")
                .is_some_and(|h| u64::from_str_radix(h, 16).is_ok())
            || lower
                .strip_prefix("0o")
                .is_some_and(|o| u64::from_str_radix(o, 8).is_ok());
        let special = matches!(lower.as_str(), ".inf" | "-.inf" | ".nan");
        !(keyword || number || special) || lower == "nan" || lower == "inf"
    }

    #[test]
    fn plain_strings_are_told_without_a_copy() {
        let words = [
            "",
            "~",
            "NULL",
            "True",
            "fAlse",
            "YES",
            "No",
            "ON",
            "Off",
            "y",
            "N",
            "nan",
            "NaN",
            "inf",
            "INF",
            "-inf",
            "+Infinity",
            ".Inf",
            "-.INF",
            ".NaN",
            "0x1F",
            "0X1f",
            "0x",
            "0x+5",
            "0o17",
            "0O8",
            "0b1",
            "1e3",
            "1.5E-3",
            "+.5",
            "-",
            ".",
            "0",
            "007",
            "1_000",
            "é",
            "ñame",
            "value",
            "tcp",
            "off-by-one",
            "yes!",
            "1.2.3",
            "\u{FEFF}1",
        ];
        for w in words {
            assert_eq!(is_plain_string(w), plain_string_by_copy(w), "{w:?}");
        }
    }

    // The reference is saphyr's own input over a character iterator, which has only the
    // methods the trait requires, as `Window` had before it answered the scanner's
    // per-character questions itself: the events and their positions must be the same.
    fn events(mut parser: Parser<'_, impl Input>) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(event) = parser.next_event() {
            match event {
                Ok((event, span)) => out.push(format!("{event:?} {span:?}")),
                Err(e) => {
                    out.push(format!("error {e}"));
                    break;
                }
            }
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(crate::proptest_cases::cases(512))]

        #[test]
        fn the_window_reads_as_a_plain_input_does(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "key", ": ", ":", "\n", "\r\n", "  ", "\t", "- ", "[", "]", "{", "}", ", ",
                "#c", " #c", "'q'", "\"d\"", "é", "値", "\u{FEFF}", "---\n", "...\n", "|\n",
                "&a ", "*a", "!t ", "?", "\0", "a:b", "x", "1",
            ]), 0..40),
        ) {
            let text = pieces.concat();
            let limit = Cell::new(text.len());
            let cut = Cell::new(false);
            let windowed = events(Parser::new(Window::new(&text, &limit, &cut)));
            let plain = events(Parser::new(saphyr_parser::BufferedInput::new(text.chars())));
            proptest::prop_assert_eq!(windowed, plain, "{:?}", text);
            proptest::prop_assert!(!cut.get());
        }
    }

    /// `bufmaxlen` (31) sets how far the scanner reads at a time in a plain scalar and how it
    /// skips a block scalar's indent (at once below 29 columns, in steps beyond); the window
    /// holds the whole text, so no value of it may change what is read. Scalars and indents
    /// on both sides of those lengths, and of the plain input's (16), read the same.
    #[test]
    fn long_scalars_and_deep_indents_read_as_a_plain_input_does() {
        let mut texts = Vec::new();
        for n in [1, 15, 16, 29, 30, 31, 32, 33, 62, 200] {
            let word = "w".repeat(n);
            texts.push(format!("k: {word}\n"));
            texts.push(format!("k: {word} {word}\n  {word}\nnext: 1\n"));
            texts.push(format!("- [{word}, {word} {word}]\n"));
            texts.push(format!("{word}: v\n"));
        }
        for indent in [1, 13, 14, 15, 27, 28, 29, 30, 31, 40, 100] {
            let pad = " ".repeat(indent);
            texts.push(format!("k: |\n{pad}one\n\n{pad}  two\nnext: 1\n"));
            texts.push(format!("k: >-\n{pad}one\n{pad}two\n"));
        }
        for text in texts {
            let limit = Cell::new(text.len());
            let cut = Cell::new(false);
            let windowed = events(Parser::new(Window::new(&text, &limit, &cut)));
            let plain = events(Parser::new(saphyr_parser::BufferedInput::new(text.chars())));
            assert_eq!(windowed, plain, "{text:?}");
            assert!(!windowed.iter().any(|e| e.starts_with("error")), "{text:?}");
        }
    }

    fn docs(text: &str) -> Vec<Node<'_>> {
        let mut out = Vec::new();
        parse(text, text, |n| out.push(n)).unwrap();
        out
    }

    #[test]
    fn spans_are_bytes_of_the_value() {
        let text = "a: plain\nb: \"dq\"\nc: 'é x'\nd: |\n  one\n  two\ne: \"x\\\" y\"  # c\n\
                    f: 'it''s'   # {{ c }}\ng: \"p\n  q\"  # c\n";
        let mut read = Vec::new();
        super::read(text, text, |doc| read.push(doc)).unwrap();
        for root in [&docs(text)[0], &read[0]] {
            for (key, want) in [
                ("a", "plain"),
                ("b", "dq"),
                ("c", "é x"),
                ("d", "one\n  two"),
                ("e", "x\\\" y"),
                ("f", "it''s"),
                ("g", "p\n  q"),
            ] {
                let Some(Node::Scalar(s)) = root.get(key) else {
                    panic!("{key}")
                };
                assert_eq!(&text[s.span.clone()], want, "{key}");
            }
        }
    }

    #[test]
    fn offsets_agree_with_a_walk_from_the_line_start_in_any_order() {
        // With characters of several bytes, and without (where columns are byte counts).
        for text in [
            "ab: é x\nkey: \"ü\" tail\n{\"a\": \"b\", \"ç\": 1}\n",
            "ab: e x\nkey: \"u\" tail\n{\"a\": \"b\", \"c\": 1}\n",
        ] {
            let naive = |line: usize, col: usize| {
                let start: usize = text
                    .split_inclusive('\n')
                    .take(line - 1)
                    .map(str::len)
                    .sum();
                text[start..]
                    .char_indices()
                    .nth(col)
                    .map_or(text.len(), |(i, _)| start + i)
            };
            let lines = Lines::new(text, text);
            let asks = [
                (1, 0),
                (1, 5),
                (1, 6),
                (1, 3),
                (2, 7),
                (2, 40),
                (3, 12),
                (3, 2),
                (3, 19),
                (5, 0),
            ];
            for (line, col) in asks {
                assert_eq!(lines.offset(line, col), naive(line, col), "{line}:{col}");
            }
        }
    }

    #[test]
    fn aliases_are_not_expanded_and_depth_is_capped() {
        let text = "a: &x [1, 2]\nb: *x\n";
        assert!(matches!(docs(text)[0].get("b"), Some(Node::Other)));
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let _ = parse(&deep, &deep, |_| {});
        let deep_block: String = (0..300).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let _ = parse(&deep_block, &deep_block, |_| {});
    }

    #[test]
    fn plain_numbers_and_booleans_are_not_strings() {
        for v in ["12", "1.5", "true", "No", "null", "~", "0x1F"] {
            assert!(!is_plain_string(v), "{v}");
        }
        assert!(is_plain_string("hunter2"));
    }
}
