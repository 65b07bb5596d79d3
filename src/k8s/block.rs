//! The block YAML most files are written in, read a line at a time without saphyr's scanner.
//! That scanner asks its input for every character and queues a token for each, at 35–45 ns
//! a byte: half the CPU of a scan of Helm charts. Here a line is read as bytes and a plain
//! scalar borrows its text.
//!
//! Only what this reader is sure of is read here: mappings and sequences by indentation, plain
//! and quoted scalars (on one line or several; a double-quoted one's escapes on one line),
//! block scalars (`|`, `>`, with `-` or `+`), `{}` and `[]`, comments and `---`. At anything
//! else (a flow collection, an anchor, a tag, a tab, an escape in a double-quoted scalar that
//! goes on past its line, an indentation digit, text saphyr would reject) it gives up, and
//! [`super::yaml::parse`] reads the text with saphyr from the start, skipping the documents
//! already delivered. The trees are those built from saphyr's events, span for span: property
//! tests and the repository's YAML fixtures compare them.

use std::borrow::Cow;
use std::ops::Range;

use super::yaml::{Builder, LOOKAHEAD, Node, Scalar, Step, closing_quote, fit, is_plain_string};

/// Collections open at once, past which the text is left to saphyr (real configuration
/// rarely nests past 20).
const MAX_OPEN: usize = 100;

/// The text has something this reader does not read.
#[derive(Debug)]
pub struct Unsupported;

type Read<T = ()> = Result<T, Unsupported>;

#[derive(Clone, Copy)]
enum Kind {
    Map,
    Seq,
}

/// A block collection still open, at the column its keys or dashes are in.
struct Open {
    kind: Kind,
    indent: usize,
    /// A sequence in the column of the key it is the value of (`key:` then `- a`): a line in
    /// that column that is not an item ends it.
    indentless: bool,
}

/// A `key:` or `-` whose node, if it has one, starts on a later line.
#[derive(Clone, Copy)]
enum Pending {
    /// In the mapping at `indent`; a missing value is null, placed at the colon.
    Value { indent: usize, colon: usize },
    /// In the sequence at `indent`; a missing item is null, placed at the end of its line.
    Item { indent: usize, eol: usize },
}

struct Reader<'t, 's> {
    text: &'t str,
    bytes: &'t [u8],
    /// The text the spans are into (see [`super::yaml::parse`]).
    source: &'s str,
    builder: Builder<'t>,
    open: Vec<Open>,
    pending: Option<Pending>,
    folding: Option<Folding<'t>>,
    block: Option<BlockText>,
    /// A document has begun (with `---` or content) and is not delivered yet.
    in_doc: bool,
    /// The document's root node has begun.
    rooted: bool,
}

/// Reads `text` (whose spans are into `source`), handing each finished document to `on_doc`;
/// `Unsupported` as soon as something is outside the subset, with the documents before it
/// delivered.
pub fn parse<'t>(text: &'t str, source: &str, on_doc: &mut impl FnMut(Node<'t>)) -> Read {
    let bytes = text.as_bytes();
    // Tabs, carriage returns and NULs change what saphyr reads around them; a byte order
    // mark ends a document.
    if memchr::memchr3(b'\t', b'\r', 0, bytes).is_some()
        || memchr::memmem::find(bytes, "\u{FEFF}".as_bytes()).is_some()
    {
        return Err(Unsupported);
    }
    let mut reader = Reader {
        text,
        bytes,
        source,
        builder: Builder::default(),
        open: Vec::new(),
        pending: None,
        folding: None,
        block: None,
        in_doc: false,
        rooted: false,
    };
    // Where the last line that began a node started: saphyr reads at most `LOOKAHEAD` bytes
    // past its last event (see `yaml::Window`), and fails where it would read more. No
    // stretch this reader accepts is half as long.
    let mut last = 0;
    let mut at = 0;
    while at < bytes.len() {
        let eol = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        if eol - last > LOOKAHEAD / 2 {
            return Err(Unsupported);
        }
        let indent = bytes[at..eol].iter().take_while(|&&b| b == b' ').count();
        if reader.block.is_some() && reader.block_line(at, indent, eol)? {
            at = eol + 1;
            continue;
        }
        if reader.folding.is_some() && reader.fold(at, indent, eol)? {
            at = eol + 1;
            continue;
        }
        if at + indent < eol && bytes[at + indent] != b'#' {
            last = at;
            reader.line(at, indent, eol, on_doc)?;
        }
        at = eol + 1;
    }
    if bytes.len() - last > LOOKAHEAD / 2 {
        return Err(Unsupported);
    }
    let end = bytes.len();
    reader.end_doc(end..end, on_doc)
}

/// A block scalar (`|` or `>`, and `-` or `+`) being read: its lines are those indented at
/// least as far as its first, and blank lines between them.
struct BlockText {
    literal: bool,
    /// `-` strips the final line breaks, `+` keeps them all, and anything else keeps one.
    chomp: u8,
    /// The column of the collection the scalar is in: its first line must be two past it
    /// (saphyr's own minimum is one past its block indent, which is that column or the next).
    min_col: usize,
    /// The column of its first line, once read.
    col: Option<usize>,
    /// Where its first line's text starts.
    start: usize,
    value: String,
    /// A line has been read: its line break is yet to be added.
    leading_break: bool,
    /// The last line read began with a space past `col` (folding keeps its line break).
    leading_blank: bool,
    /// Blank lines since the last line read.
    trailing: usize,
}

/// A scalar that may go on over the lines below: a plain one not ended by a comment, or a
/// quoted one not closed yet. Its lines are folded as saphyr folds them: a line break
/// becomes a space, or `n` newlines where `n` blank lines follow it, and the spaces around
/// the break go.
struct Folding<'t> {
    /// The quote of a quoted scalar.
    quote: Option<u8>,
    /// Where the scalar starts: its first character, or its opening quote.
    start: usize,
    /// A plain scalar's end so far, after its last character.
    end: usize,
    value: Cow<'t, str>,
    /// The column a line must reach to go on with the scalar (saphyr's block indent, plus
    /// one for a plain scalar).
    min_col: usize,
    /// Blank lines since the last line of the scalar.
    breaks: usize,
    /// A comment ended the plain scalar: no line may go on with it.
    closed: bool,
}

/// Whether `c` three times starts the line at `at`, followed by a space or its end: a
/// document marker.
fn marker(bytes: &[u8], at: usize, eol: usize, c: u8) -> bool {
    bytes[at..eol].starts_with(&[c, c, c]) && (at + 3 == eol || bytes[at + 3] == b' ')
}

fn skip_spaces(bytes: &[u8], mut at: usize, eol: usize) -> usize {
    while at < eol && bytes[at] == b' ' {
        at += 1;
    }
    at
}

/// Whether a `-` at `at` is a sequence entry: followed by a space or the end of its line.
fn is_entry(bytes: &[u8], at: usize, eol: usize) -> bool {
    bytes[at] == b'-' && (at + 1 == eol || bytes[at + 1] == b' ')
}

/// Whether a plain scalar may start at `at` in block context.
fn plain_start(bytes: &[u8], at: usize, eol: usize) -> bool {
    match bytes[at] {
        b'-' | b'?' | b':' => at + 1 < eol && bytes[at + 1] != b' ',
        b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' => false,
        _ => true,
    }
}

/// Whether the colon at `at` ends a key: followed by a space or the end of its line.
fn is_colon(bytes: &[u8], at: usize, eol: usize) -> bool {
    bytes[at] == b':' && (at + 1 == eol || bytes[at + 1] == b' ')
}

impl Folding<'_> {
    /// Adds the next line of the scalar.
    fn join(&mut self, line: &str) {
        let value = self.value.to_mut();
        match self.breaks {
            0 => value.push(' '),
            n => value.extend(std::iter::repeat_n('\n', n)),
        }
        value.push_str(line);
        self.breaks = 0;
    }
}

/// `text` without its trailing spaces.
/// The escapes of one character saphyr-parser reads in a double-quoted scalar, and what each
/// stands for (a tab may follow the backslash as `t` does).
const ESCAPES: [(u8, char); 18] = [
    (b'0', '\0'),
    (b'a', '\x07'),
    (b'b', '\x08'),
    (b't', '\t'),
    (b'\t', '\t'),
    (b'n', '\n'),
    (b'v', '\x0b'),
    (b'f', '\x0c'),
    (b'r', '\r'),
    (b'e', '\x1b'),
    (b' ', ' '),
    (b'"', '"'),
    (b'/', '/'),
    (b'\\', '\\'),
    (b'N', '\u{85}'),
    (b'_', '\u{a0}'),
    (b'L', '\u{2028}'),
    (b'P', '\u{2029}'),
];

/// A double-quoted scalar's text (one line, between its quotes) with its escapes read as
/// saphyr reads them (`ESCAPES`, and `\x`, `\u`, `\U` with 2, 4 or 8 hex digits); `None` at
/// an escape it refuses (saphyr then reads the file and says why).
fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let kind = *after.as_bytes().first()?;
        let (c, used) = match kind {
            b'x' | b'u' | b'U' => {
                let digits = match kind {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let hex = after.get(1..1 + digits)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                let code = u32::from_str_radix(hex, 16).ok()?;
                (char::from_u32(code)?, 1 + digits)
            }
            _ => (ESCAPES.iter().find(|(e, _)| *e == kind)?.1, 1),
        };
        out.push(c);
        rest = &after[used..];
    }
    out.push_str(rest);
    Some(out)
}

fn trim_spaces(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(t) => Cow::Borrowed(t.trim_end_matches(' ')),
        Cow::Owned(mut t) => {
            t.truncate(t.trim_end_matches(' ').len());
            Cow::Owned(t)
        }
    }
}

/// What ends a plain scalar on its line.
enum Stop {
    /// A colon followed by a space or the line's end, at this byte: the scalar is a key.
    Colon(usize),
    /// A comment, at this byte (the space before `#`).
    Comment(usize),
    Eol,
}

/// Where the plain scalar at `at` stops on its line.
fn plain_stop(bytes: &[u8], at: usize, eol: usize) -> Stop {
    let mut i = at;
    loop {
        match memchr::memchr2(b':', b'#', &bytes[i..eol]) {
            None => return Stop::Eol,
            Some(o) => i += o,
        }
        // A plain scalar never starts with `#`, so `i > at` there.
        if bytes[i] == b'#' && bytes[i - 1] == b' ' {
            return Stop::Comment(i - 1);
        }
        if is_colon(bytes, i, eol) {
            return Stop::Colon(i);
        }
        i += 1;
    }
}

impl<'t> Reader<'t, '_> {
    /// One line with content, its first non-space at `at + indent`.
    fn line(
        &mut self,
        at: usize,
        indent: usize,
        eol: usize,
        on_doc: &mut impl FnMut(Node<'t>),
    ) -> Read {
        let bytes = self.bytes;
        if indent == 0 {
            if marker(bytes, at, eol, b'-') {
                // Only a comment may follow `---` here (not a node, as in `--- |`).
                let rest = skip_spaces(bytes, at + 3, eol);
                if rest < eol && bytes[rest] != b'#' {
                    return Err(Unsupported);
                }
                self.end_doc(at..at + 3, on_doc)?;
                self.in_doc = true;
                return Ok(());
            }
            if marker(bytes, at, eol, b'.') || bytes[at] == b'%' {
                return Err(Unsupported);
            }
        }
        self.in_doc = true;
        self.content(at + indent, indent, eol)
    }

    /// Finishes the open document, if any: a missing node is null at `null` (saphyr places it
    /// at the next token: the next `---`, or the end of the text).
    fn end_doc(&mut self, null: Range<usize>, on_doc: &mut impl FnMut(Node<'t>)) -> Read {
        // A scalar still open ends with the text (at a `---` line it has ended already).
        self.finish_block(self.bytes.len())?;
        self.finish_scalar()?;
        if !self.in_doc {
            return Ok(());
        }
        self.settle()?;
        if !self.rooted {
            self.null(null)?;
        }
        while self.open.pop().is_some() {
            self.step(Step::Close)?;
        }
        if let Some(root) = self.builder.root.take() {
            on_doc(root);
        }
        self.builder = Builder::default();
        self.in_doc = false;
        self.rooted = false;
        Ok(())
    }

    /// The pending `key:` or `-` has no node below it (the next content is not deeper, or
    /// the document ends): its value is null.
    fn settle(&mut self) -> Read {
        match self.pending.take() {
            Some(Pending::Value { colon, .. }) => self.null(colon..colon),
            Some(Pending::Item { eol, .. }) => self.null(eol..eol),
            None => Ok(()),
        }
    }

    /// Content starting at `at`, in column `col`.
    fn content(&mut self, at: usize, col: usize, eol: usize) -> Read {
        let entry = is_entry(self.bytes, at, eol);
        match self.pending {
            Some(Pending::Value { indent, .. } | Pending::Item { indent, .. }) if col > indent => {
                self.pending = None;
                return self.node(at, col, eol, true);
            }
            Some(Pending::Value { indent, .. }) if col == indent && entry => {
                self.pending = None;
                self.open(Kind::Seq, col, true)?;
                return self.item(at, col, eol);
            }
            _ => self.settle()?,
        }
        while let Some(top) = self.open.last() {
            let ends = top.indent > col || (top.indent == col && top.indentless && !entry);
            if !ends {
                break;
            }
            self.open.pop();
            self.step(Step::Close)?;
        }
        match self.open.last() {
            None if !self.rooted => self.node(at, col, eol, false),
            Some(top) if top.indent == col => match top.kind {
                Kind::Seq if entry => self.item(at, col, eol),
                Kind::Map if !entry => match self.key(at, eol)? {
                    Some((key, colon)) => {
                        self.leaf(key)?;
                        self.after_key(colon, col, eol)
                    }
                    None => Err(Unsupported),
                },
                _ => Err(Unsupported),
            },
            _ => Err(Unsupported),
        }
    }

    /// A new collection whose first key or dash is at `at`, in column `col`, or where
    /// `scalar` (a value below its key or dash), a scalar.
    fn node(&mut self, at: usize, col: usize, eol: usize, scalar: bool) -> Read {
        if is_entry(self.bytes, at, eol) {
            self.open(Kind::Seq, col, false)?;
            return self.item(at, col, eol);
        }
        match self.key(at, eol)? {
            Some((key, colon)) => {
                self.open(Kind::Map, col, false)?;
                self.leaf(key)?;
                self.after_key(colon, col, eol)
            }
            None if scalar => self.value(at, eol),
            // A document that is one scalar, or a line where saphyr finds an error.
            None => Err(Unsupported),
        }
    }

    /// A sequence item: the `-` at `at`, in the sequence at column `col`.
    fn item(&mut self, at: usize, col: usize, eol: usize) -> Read {
        let bytes = self.bytes;
        let p = skip_spaces(bytes, at + 1, eol);
        if p == eol || bytes[p] == b'#' {
            self.pending = Some(Pending::Item { indent: col, eol });
            return Ok(());
        }
        // `- - a` and `- key: v`: a collection in the column after the dash.
        let inner = col + (p - at);
        if is_entry(bytes, p, eol) {
            return self.node(p, inner, eol, false);
        }
        match self.key(p, eol)? {
            Some((key, colon)) => {
                self.open(Kind::Map, inner, false)?;
                self.leaf(key)?;
                self.after_key(colon, inner, eol)
            }
            None => self.value(p, eol),
        }
    }

    /// What follows the colon at `colon` of a key in the mapping at column `indent`.
    fn after_key(&mut self, colon: usize, indent: usize, eol: usize) -> Read {
        let bytes = self.bytes;
        let p = skip_spaces(bytes, colon + 1, eol);
        if p == eol || bytes[p] == b'#' {
            self.pending = Some(Pending::Value { indent, colon });
            return Ok(());
        }
        if is_entry(bytes, p, eol) {
            return Err(Unsupported);
        }
        self.value(p, eol)
    }

    /// A key starting at `at`, and its colon; `None` where the line holds a scalar there.
    fn key(&self, at: usize, eol: usize) -> Read<Option<(Node<'t>, usize)>> {
        let bytes = self.bytes;
        if matches!(bytes[at], b'"' | b'\'') {
            let Some((key, end)) = self.quoted(at, eol)? else {
                return Ok(None);
            };
            let colon = skip_spaces(bytes, end, eol);
            return Ok((colon < eol && is_colon(bytes, colon, eol)).then_some((key, colon)));
        }
        if !plain_start(bytes, at, eol) {
            return Ok(None);
        }
        let Stop::Colon(colon) = plain_stop(bytes, at, eol) else {
            return Ok(None);
        };
        // saphyr allows a key of at most 1024 characters.
        if colon - at > 1000 {
            return Err(Unsupported);
        }
        Ok(Some((self.plain(at, colon), colon)))
    }

    /// A value at `at`: a scalar, `{}` or `[]`, then nothing but a comment. A plain scalar
    /// not ended by a comment, and a quoted one not closed on this line, may go on below.
    fn value(&mut self, at: usize, eol: usize) -> Read {
        let bytes = self.bytes;
        // saphyr's block indent: the collection the value is in.
        let indent = self.open.last().map_or(0, |o| o.indent);
        let end = match bytes[at] {
            b'"' | b'\'' => match self.quoted(at, eol)? {
                Some((node, end)) => {
                    self.leaf(node)?;
                    end
                }
                None => {
                    let (value, _) = self.unquote(bytes[at], at + 1, eol)?;
                    self.folding = Some(Folding {
                        quote: Some(bytes[at]),
                        start: at,
                        end: eol,
                        value: trim_spaces(value),
                        // saphyr asks for more in a mapping than in a sequence (at or past
                        // the dash's column); one past the collection's column is enough for
                        // both.
                        min_col: indent + 1,
                        breaks: 0,
                        closed: false,
                    });
                    return Ok(());
                }
            },
            b'{' if bytes.get(at + 1) == Some(&b'}') => self.empty(Step::OpenMap, at)?,
            b'[' if bytes.get(at + 1) == Some(&b']') => self.empty(Step::OpenSeq, at)?,
            b'|' | b'>' => {
                let mut p = at + 1;
                let chomp = match bytes.get(p) {
                    Some(&c @ (b'-' | b'+')) if p < eol => {
                        p += 1;
                        c
                    }
                    _ => b' ',
                };
                // An indentation digit, or text after the header.
                let rest = skip_spaces(bytes, p, eol);
                if rest < eol && (bytes[rest] != b'#' || rest == p) {
                    return Err(Unsupported);
                }
                self.block = Some(BlockText {
                    literal: bytes[at] == b'|',
                    chomp,
                    min_col: indent,
                    col: None,
                    start: 0,
                    value: String::new(),
                    leading_break: false,
                    leading_blank: false,
                    trailing: 0,
                });
                return Ok(());
            }
            _ if plain_start(bytes, at, eol) => {
                let (stop, closed) = match plain_stop(bytes, at, eol) {
                    // `a: b: c` is an error to saphyr.
                    Stop::Colon(_) => return Err(Unsupported),
                    Stop::Comment(i) => (i, true),
                    Stop::Eol => (eol, false),
                };
                let value = self.text[at..stop].trim_end_matches(' ');
                self.folding = Some(Folding {
                    quote: None,
                    start: at,
                    end: at + value.len(),
                    value: Cow::Borrowed(value),
                    min_col: indent + 1,
                    breaks: 0,
                    closed,
                });
                return Ok(());
            }
            _ => return Err(Unsupported),
        };
        let rest = skip_spaces(bytes, end, eol);
        if rest < eol && (bytes[rest] != b'#' || rest == end) {
            return Err(Unsupported);
        }
        Ok(())
    }

    /// The line at `at` for the open scalar: `true` where it is the scalar's (a line of it,
    /// or a blank line inside it); `false` where the scalar has ended before it (it is then
    /// delivered).
    fn fold(&mut self, at: usize, col: usize, eol: usize) -> Read<bool> {
        let bytes = self.bytes;
        let Some(folding) = self.folding.as_mut() else {
            return Ok(false);
        };
        let p = at + col;
        if p == eol {
            folding.breaks += 1;
            return Ok(true);
        }
        let Some(quote) = folding.quote else {
            if folding.closed || bytes[p] == b'#' || col < folding.min_col {
                self.finish_scalar()?;
                return Ok(false);
            }
            // Past its first line a plain scalar may begin a line with any character but `#`
            // (a comment): indicators (`- `, `"`, `!`, `{`) are text there.
            let (stop, closed) = match plain_stop(bytes, p, eol) {
                Stop::Colon(_) => return Err(Unsupported),
                Stop::Comment(i) => (i, true),
                Stop::Eol => (eol, false),
            };
            let line = self.text[p..stop].trim_end_matches(' ');
            folding.join(line);
            folding.end = p + line.len();
            folding.closed = closed;
            return Ok(true);
        };
        // A quoted scalar's line: inside it `#` is text; a document marker or a line left of
        // the block indent is an error to saphyr.
        if col < folding.min_col
            || (col == 0 && (marker(bytes, at, eol, b'-') || marker(bytes, at, eol, b'.')))
        {
            return Err(Unsupported);
        }
        let (line, close) = self.unquote(quote, p, eol)?;
        let Some(folding) = self.folding.as_mut() else {
            return Ok(false);
        };
        match close {
            None => {
                folding.join(&trim_spaces(line));
            }
            Some(close) => {
                folding.join(&line);
                // Only a comment may follow; a colon makes it a key of two lines.
                let rest = skip_spaces(bytes, close + 1, eol);
                if rest < eol && (bytes[rest] != b'#' || rest == close + 1) {
                    return Err(Unsupported);
                }
                let folding = self.folding.take().expect("the scalar being folded");
                self.leaf(Node::Scalar(Scalar {
                    value: folding.value,
                    span: fit(self.source, folding.start + 1, close),
                    is_string: true,
                    block: false,
                }))?;
            }
        }
        Ok(true)
    }

    /// The line at `at` for the open block scalar: `true` where it is the scalar's (a line of
    /// it, or a blank line); `false` where the scalar has ended before it (it is then
    /// delivered).
    fn block_line(&mut self, at: usize, spaces: usize, eol: usize) -> Read<bool> {
        let bytes = self.bytes;
        let Some(block) = self.block.as_mut() else {
            return Ok(false);
        };
        let blank = at + spaces == eol;
        let col = match block.col {
            // Blank lines before the first line set its column in saphyr's own way, and a
            // first line too far left leaves the scalar empty: saphyr reads those.
            None if blank || spaces < block.min_col + 2 => return Err(Unsupported),
            None => {
                block.col = Some(spaces);
                block.start = at + spaces;
                spaces
            }
            // Spaces past the column are the scalar's text; on the text's last line without
            // a break saphyr adds a line break of its own.
            Some(col) if blank && (spaces > col || eol == bytes.len()) => {
                return Err(Unsupported);
            }
            Some(_) if blank => {
                block.trailing += 1;
                return Ok(true);
            }
            Some(col) if spaces < col => {
                self.finish_block(at)?;
                return Ok(false);
            }
            Some(col) => col,
        };
        let line = &self.text[at + col..eol];
        let indented = line.starts_with(' ');
        let value = &mut block.value;
        if !block.literal && block.leading_break && !block.leading_blank && !indented {
            match block.trailing {
                0 => value.push(' '),
                n => value.extend(std::iter::repeat_n('\n', n)),
            }
        } else {
            let breaks = block.trailing + usize::from(block.leading_break);
            value.extend(std::iter::repeat_n('\n', breaks));
        }
        value.push_str(line);
        block.trailing = 0;
        block.leading_blank = indented;
        // saphyr adds the break after the last line at the end of the text too.
        block.leading_break = true;
        Ok(true)
    }

    /// Delivers the open block scalar, if any; `next` is where the line that ended it starts.
    fn finish_block(&mut self, next: usize) -> Read {
        let Some(mut block) = self.block.take() else {
            return Ok(());
        };
        // A scalar without a line: saphyr places it in its own way.
        if block.col.is_none() {
            return Err(Unsupported);
        }
        if block.chomp != b'-' && block.leading_break {
            block.value.push('\n');
        }
        if block.chomp == b'+' {
            block
                .value
                .extend(std::iter::repeat_n('\n', block.trailing));
        }
        // saphyr's span runs to the next line's first character; the span of a block scalar
        // ends at its last character that is not white space.
        let end = block.start + self.text[block.start..next].trim_end().len();
        self.leaf(Node::Scalar(Scalar {
            value: Cow::Owned(block.value),
            span: fit(self.source, block.start, end),
            is_string: true,
            block: true,
        }))
    }

    /// Delivers the open scalar, if any.
    fn finish_scalar(&mut self) -> Read {
        let Some(folding) = self.folding.take() else {
            return Ok(());
        };
        // A quoted scalar not closed by the end of the text.
        if folding.quote.is_some() {
            return Err(Unsupported);
        }
        let is_string = is_plain_string(&folding.value);
        self.leaf(Node::Scalar(Scalar {
            value: folding.value,
            span: fit(self.source, folding.start, folding.end),
            is_string,
            block: false,
        }))
    }

    /// The plain scalar from `at` to `stop`, without the spaces before `stop`.
    fn plain(&self, at: usize, stop: usize) -> Node<'t> {
        let value = self.text[at..stop].trim_end_matches(' ');
        Node::Scalar(Scalar {
            value: Cow::Borrowed(value),
            span: fit(self.source, at, at + value.len()),
            is_string: is_plain_string(value),
            block: false,
        })
    }

    /// The one-line quoted scalar whose quote is at `at`, and where its closing quote ends;
    /// `None` where it goes on past the line. Its span is the text between the quotes.
    fn quoted(&self, at: usize, eol: usize) -> Read<Option<(Node<'t>, usize)>> {
        let (value, close) = self.unquote(self.bytes[at], at + 1, eol)?;
        let Some(close) = close else {
            return Ok(None);
        };
        let node = Node::Scalar(Scalar {
            value,
            span: fit(self.source, at + 1, close),
            is_string: true,
            block: false,
        });
        Ok(Some((node, close + 1)))
    }

    /// The text of a quoted scalar from `from` to its closing quote or the line's end, with
    /// `''` read as `'` and a one-line double-quoted scalar's escapes read, and the closing
    /// quote's byte if it is on the line. An escape in a scalar that goes on past its line (a
    /// `\` at the line's end joins the next) is not read here.
    fn unquote(&self, quote: u8, from: usize, eol: usize) -> Read<(Cow<'t, str>, Option<usize>)> {
        let close = closing_quote(self.bytes, quote, from, eol);
        let text = &self.text[from..close.unwrap_or(eol)];
        if quote == b'"' && text.contains('\\') {
            return match close {
                Some(_) => Ok((Cow::Owned(unescape(text).ok_or(Unsupported)?), close)),
                None => Err(Unsupported),
            };
        }
        let value = if quote == b'\'' && text.contains("''") {
            Cow::Owned(text.replace("''", "'"))
        } else {
            Cow::Borrowed(text)
        };
        Ok((value, close))
    }

    /// `{}` or `[]` at `at`; where it ends.
    fn empty(&mut self, open: Step<'t>, at: usize) -> Read<usize> {
        self.step(open)?;
        self.step(Step::Close)?;
        Ok(at + 2)
    }

    fn null(&mut self, span: Range<usize>) -> Read {
        self.leaf(Node::Scalar(Scalar {
            value: Cow::Borrowed(""),
            span: fit(self.source, span.start, span.end),
            is_string: false,
            block: false,
        }))
    }

    fn open(&mut self, kind: Kind, indent: usize, indentless: bool) -> Read {
        // `- - - …` nests as deep as a line is long, and this reader recurses once a level
        // on a line: deep structure is left to saphyr, which does not recurse.
        if self.open.len() >= MAX_OPEN {
            return Err(Unsupported);
        }
        self.step(match kind {
            Kind::Map => Step::OpenMap,
            Kind::Seq => Step::OpenSeq,
        })?;
        self.open.push(Open {
            kind,
            indent,
            indentless,
        });
        Ok(())
    }

    fn leaf(&mut self, node: Node<'t>) -> Read {
        self.step(Step::Leaf(node))
    }

    fn step(&mut self, step: Step<'t>) -> Read {
        self.rooted = true;
        // Past `MAX_NODES`: saphyr's reading reports it.
        self.builder.step(step).map_err(|_| Unsupported)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{template, yaml};

    /// Every document delivered and the outcome, as text: by [`yaml::parse`] (this reader
    /// first) or by saphyr alone.
    fn outcome(text: &str, source: &str, fast: bool) -> Vec<String> {
        let mut out = Vec::new();
        let result = if fast {
            yaml::parse(text, source, |d| out.push(format!("{d:?}")))
        } else {
            yaml::read(text, source, |d| out.push(format!("{d:?}")))
        };
        out.push(format!("{result:?}"));
        out
    }

    fn accepted(text: &str) -> bool {
        super::parse(text, text, &mut |_| {}).is_ok()
    }

    /// The trees are saphyr's, for the text and for its masked copy where it is a template.
    fn same_as_saphyr(text: &str) -> Result<(), String> {
        let masked = template::mask(text);
        let parse_text = masked.as_ref().map_or(text, |m| m.text.as_str());
        let fast = outcome(parse_text, text, true);
        let slow = outcome(parse_text, text, false);
        if fast == slow {
            Ok(())
        } else {
            Err(format!("{text:?}\nfast: {fast:#?}\nsaphyr: {slow:#?}"))
        }
    }

    #[test]
    fn values_files_and_manifests_are_read_here_as_saphyr_reads_them() {
        let texts = [
            "# Default values.\nreplicaCount: 1\nimage:\n  repository: nginx\n  tag: \"1.25\"\n  \
             pullPolicy: IfNotPresent # or Always\nimagePullSecrets: []\npodAnnotations: {}\n\
             auth:\n  password: dev-password-123\n  existingSecret: ''\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    \
             spec:\n      containers:\n      - name: web\n        env:\n        - name: DB_PASSWORD\n          \
             value: 'it''s-a-secret'\n        -   name: EMPTY\n            value:\n",
            "---\n# c\nkey: é値 tail  \n---\n---\n- - a\n  - b\n-\n- k: v\n  j:\n  - x\n",
            "a: {{ .Values.password }}\nb: {{ include \"x\" . }}\n{{- if .Values.on }}\nc: 1\n{{- end }}\n",
            "- description: one\n    two  \n\n\n    three # c\n  name: x\n- k:\n    plain\n    below\n",
            "release_summary: 'The ``x`` \n\n   it''s  \n   # not a comment\n  end'   # c\nnext: \"a\n  b\"\n",
            "k: \"a\\nb\\t\\\"c\\x41\\u00e9\\U0001F600\\\\ \\/\\_\\N\\L\\P\\0\" # c\n\"\\e\": '\\n'\n---\n- \"\\ \"\n",
            "data:\n  app.conf: |\n    [db]\n      password = hunter2  \n\n    # text\n  # c\n  next: >-\n    one\n    two\n\n     more\n    end\n---\n- x: |+\n    a\n\n\n- >\n  folded\n   kept\n  line\n",
        ];
        for text in texts {
            same_as_saphyr(text).unwrap();
            let masked = template::mask(text);
            let parse_text = masked.as_ref().map_or(text, |m| m.text.as_str());
            assert!(accepted(parse_text), "{text:?}");
        }
    }

    #[test]
    fn what_it_does_not_read_goes_to_saphyr() {
        for text in [
            "k: |2\n   line\n",
            "k: [1, 2]\n",
            "a: &x v\nb: *x\n",
            "k: !!str 1\n",
            "k:\n\tv: 1\n",
            "k: \"a\\qb\"\n",
            "k: \"a\\xZZ\"\n",
            "k: \"\\uD800\"\n",
            "k: \"a\\\n  b\"\n",
            "k: \"a\\nb\n  c\"\n",
            "a: 1\n...\n",
            "? k\n: v\n",
            "k: v: w\n",
            "text\n",
            &"- ".repeat(200_000),
        ] {
            assert!(!accepted(text), "{text:?}");
            same_as_saphyr(text).unwrap();
        }
    }

    #[test]
    fn yaml_fixtures_read_as_saphyr_reads_them() {
        let mut read = 0;
        for dir in ["fixtures/k8s", "fixtures/corpus"] {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in walkdir(&root) {
                let Ok(text) = std::fs::read_to_string(&entry) else {
                    continue;
                };
                let name = entry.to_string_lossy();
                if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".tpl") {
                    same_as_saphyr(&text).unwrap();
                    read += 1;
                }
            }
        }
        assert!(read >= 40, "{read}");
    }

    fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walkdir(&path));
            } else {
                out.push(path);
            }
        }
        out
    }

    fn line() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::sample::select;
        let indent = select(vec![0_usize, 0, 0, 1, 2, 2, 2, 3, 4, 4, 6]);
        let key = select(vec![
            "k", "key", "a b", "\"qk\"", "'qk'", "-k", "k#", "ü", "k ", "'q''k'", "http://h",
        ]);
        // Values of every kind, and some no line of a block document holds.
        let value = select(
            SCALARS
                .iter()
                .chain(&[
                    "x: y",
                    "a #b",
                    "|",
                    ">-",
                    "&a v",
                    "*a",
                    "!t v",
                    "{a: 1}",
                    "[1, 2]",
                    "\"a\\\"b\"",
                    "\"a\\nb\\x41\\u00e9\\U0001F600\\\\ \\/\\_\"",
                    "\"\\0\\a\\b\\e\\v\\f\\r\\N\\L\\P\\ \"",
                    "\"\\q\"",
                    "\"\\xZ1\"",
                    "\"\\uD800\"",
                    "\"\\u00\"",
                    "\"a\\",
                    "\"é\\é\"",
                    "a:",
                    "%x",
                    "@x",
                    "`x",
                    "? x",
                    "a:b",
                    "{{ x }}",
                    "- v",
                    "\"q\" x",
                    "[] x",
                    "\u{a0}",
                    "#",
                    "...",
                    "---",
                    "--- x",
                ])
                .copied()
                .collect::<Vec<_>>(),
        );
        let tail = select(vec!["", "", "", "  ", " # c", "# c", "\t", " #", ":"]);
        let form = select(vec![0_u8, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        (indent, key, value, tail, form).prop_map(|(indent, key, value, tail, form)| {
            let pad = " ".repeat(indent);
            match form {
                0 => format!("{pad}{key}: {value}{tail}"),
                1 => format!("{pad}{key}:{tail}"),
                2 => format!("{pad}- {value}{tail}"),
                3 => format!("{pad}-{tail}"),
                4 => format!("{pad}- {key}: {value}{tail}"),
                5 => format!("{pad}- {key}:{tail}"),
                6 => format!("{pad}- - {value}{tail}"),
                7 => format!("---{tail}"),
                8 => format!("{pad}# comment{tail}"),
                9 => pad,
                10 => format!("{pad}{value}{tail}"),
                _ => format!("{pad}{key}:  {value}{tail}"),
            }
        })
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #![proptest_config(crate::proptest_cases::cases(4096))]

        #[test]
        fn block_yaml_reads_as_saphyr_reads_it(
            lines in proptest::collection::vec(line(), 0..14),
            newline in proptest::bool::ANY,
        ) {
            let mut text = lines.join("\n");
            if newline {
                text.push('\n');
            }
            if let Err(diff) = same_as_saphyr(&text) {
                proptest::prop_assert!(false, "{}", diff);
            }
        }
    }

    /// A small random generator for [`document`]: the cases come from proptest's seed.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
            xs[self.below(xs.len())]
        }
    }

    const SCALARS: &[&str] = &[
        "v",
        "hunter2",
        "a b",
        "1",
        "true",
        "~",
        "\"dq\"",
        "'s''q'",
        "'sq'",
        "{}",
        "[]",
        "é値",
        "-x",
        ":x",
        "a#b",
        "http://x:8080",
        "''",
        "\"\"",
        "x\u{85}y",
        "\u{a0}z",
        "a\u{1}b",
        "{{ .Values.x }}",
        "a  b",
        "-",
        "",
        "",
        "null",
        "0x1F",
        "'a # b'",
        "'open",
        "\"open",
        "'open''",
        "a #",
        "1",
        "|",
        "|-",
        "|+",
        ">",
        ">-",
        ">+",
        "| # c",
        "|2",
        "|x",
    ];
    /// Lines that may be a block scalar's.
    const BLOCK_LINES: &[&str] = &[
        "text", "  more", "", "a: b", "# c", "- x", "'q", "tail  ", "é\u{a0}", " ", "   ", "x # y",
        "---", "\"", "|", "{a", "k: |",
    ];
    /// Lines that may go on with a scalar above them.
    const MORE: &[&str] = &[
        "more",
        "more text",
        "end'",
        "end\"",
        "a'' b'",
        "x: y",
        "# c",
        "- z",
        "",
        "  ",
        "#not'",
        "tail # c",
        "'",
        "\"",
        "---",
        "...",
        "1",
        "k: v",
        "é\u{a0}'  ",
        "`x",
        "!x",
        "{a",
        "[b",
        "&c",
        "*d",
        "|",
        ">",
        "%x",
        "@x",
        ": x",
        ":x",
        "? q",
        "-",
        "- ",
        "x:",
        "}",
        "a, b",
    ];
    const KEYS: &[&str] = &[
        "k",
        "key",
        "a b",
        "\"qk\"",
        "'qk'",
        "-k",
        "ü",
        "'q''k'",
        "http://h",
        "password",
        "{{ .Values.k }}",
        "k ",
        "'qk' ",
        "\"q'k\"  ",
    ];
    const COMMENTS: &[&str] = &["", "", "", "", " # c", "  #c", "   ", " #"];

    /// A block collection at column `indent`, as lines.
    fn block(rng: &mut Rng, out: &mut Vec<String>, indent: usize, depth: usize) {
        let pad = " ".repeat(indent);
        let map = rng.below(2) == 0;
        for entry in 0..1 + rng.below(4) {
            // Not before the first entry: the caller may put a dash before it.
            if entry > 0 && rng.below(8) == 0 {
                let at = " ".repeat(rng.below(6));
                out.push(rng.pick(&["", "#x"]).to_string() + &at);
            }
            let head = if map {
                format!("{pad}{}:", rng.pick(KEYS))
            } else {
                format!("{pad}-")
            };
            match rng.below(if depth < 4 { 6 } else { 2 }) {
                0 | 1 => {
                    let value = rng.pick(SCALARS);
                    let sep = if value.is_empty() { "" } else { " " };
                    out.push(format!("{head}{sep}{value}{}", rng.pick(COMMENTS)));
                    if value.starts_with(['|', '>']) {
                        let col = indent + rng.below(5);
                        for _ in 0..rng.below(5) {
                            let col = col + rng.below(5) / 4 * 2;
                            out.push(format!("{}{}", " ".repeat(col), rng.pick(BLOCK_LINES)));
                        }
                    }
                    for _ in 0..rng.below(4) / 2 * (1 + rng.below(3)) {
                        let col = (indent + rng.below(5)).saturating_sub(1);
                        out.push(format!("{}{}", " ".repeat(col), rng.pick(MORE)));
                    }
                }
                2 | 3 => {
                    out.push(format!("{head}{}", rng.pick(COMMENTS)));
                    let deeper = indent + 1 + rng.below(4);
                    block(rng, out, deeper, depth + 1);
                }
                4 if map => {
                    // An indentless sequence.
                    out.push(head);
                    let at = out.len();
                    block(rng, out, indent, depth + 1);
                    if !out[at].trim_start().starts_with('-') {
                        out.truncate(at);
                        out.push(format!("{pad}- x"));
                    }
                }
                _ => {
                    // `- key: v` or `- - v`, or a map's key then its collection.
                    let inner = indent + 2 + rng.below(2);
                    let at = out.len();
                    block(rng, out, inner, depth + 1);
                    if map {
                        out.insert(at, head);
                    } else {
                        let rest = out[at][inner..].to_string();
                        out[at] = format!("{head}{}{rest}", " ".repeat(inner - indent - 1));
                    }
                }
            }
        }
    }

    /// One to three documents of random block YAML, with one line changed at random half the
    /// time (deleted, moved a column or two, or replaced with a line of [`line`]'s kinds).
    fn document(seed: u64, extra: &str) -> String {
        let mut rng = Rng(seed | 1);
        let mut out = Vec::new();
        for doc in 0..1 + rng.below(3) {
            if doc > 0 || rng.below(4) == 0 {
                out.push(format!("---{}", rng.pick(COMMENTS)));
            }
            if rng.below(10) > 0 {
                let indent = rng.below(3) / 2;
                block(&mut rng, &mut out, indent, 0);
            }
        }
        if !out.is_empty() && rng.below(2) == 0 {
            let at = rng.below(out.len());
            match rng.below(4) {
                0 => {
                    out.remove(at);
                }
                1 => out[at].insert_str(0, rng.pick(&[" ", "  "])),
                2 => out[at] = out[at].trim_start_matches(' ').to_string(),
                _ => out[at] = extra.to_string(),
            }
        }
        let mut text = out.join("\n");
        if rng.below(4) > 0 {
            text.push('\n');
        }
        text
    }

    proptest::proptest! {
        #![proptest_config(crate::proptest_cases::cases(4096))]

        #[test]
        fn random_block_documents_read_as_saphyr_reads_them(
            seed in proptest::num::u64::ANY,
            extra in line(),
        ) {
            let text = document(seed, &extra);
            if let Err(diff) = same_as_saphyr(&text) {
                proptest::prop_assert!(false, "{}", diff);
            }
        }
    }
}
