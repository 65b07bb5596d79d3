//! Secrets hide inside encodings: a Kubernetes manifest or CI file carries a base64 copy of a
//! `.env`, a URL carries a percent-encoded DSN, a config dump carries hex. This module finds
//! such runs cheaply and hands back their decoded text, so the engine can scan it again and
//! report a finding at the position of the encoded run.
//!
//! It stays cheap and bounded: only runs of at least [`MIN_BASE64`] characters are tried,
//! `data:` URIs of images and fonts are skipped, a run is dropped as soon as its first bytes
//! decode to binary, and the decoded bytes of one blob never exceed a [`Budget`].

use std::ops::Range;

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, STANDARD, URL_SAFE};
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};

/// Shortest base64 run worth decoding: 24 bytes of text, shorter than any useful secret line.
pub const MIN_BASE64: usize = 32;
/// Shortest hex run worth decoding (20 bytes of text); a SHA-1 is 40 hex characters but
/// decodes to binary and is dropped.
const MIN_HEX: usize = 40;
/// Longest single run decoded: bigger runs are embedded files, not encoded credentials.
const MAX_RUN: usize = 1 << 20;
/// How much of a run is decoded first to decide whether it is text at all.
const PROBE: usize = 256;
/// Share of printable bytes decoded text must have.
const MIN_PRINTABLE: f64 = 0.95;

/// Decoded bytes one blob may produce, across every depth. Keeps memory bounded however many
/// runs a huge file holds.
#[derive(Debug)]
pub struct Budget {
    left: usize,
    /// A decoded run was dropped because the budget was spent: said, never silent.
    refused: bool,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget::new()
    }
}

impl Budget {
    pub const PER_BLOB: usize = 4 << 20;

    pub fn new() -> Budget {
        Budget::of(Budget::PER_BLOB)
    }

    pub fn of(left: usize) -> Budget {
        Budget {
            left,
            refused: false,
        }
    }

    /// Whether some decoded text was not scanned because the budget ran out.
    pub fn refused(&self) -> bool {
        self.refused
    }

    /// Takes `n` bytes of decoded (or joined, see `engine::join`) text, if they are left.
    pub fn take(&mut self, n: usize) -> bool {
        if n > self.left {
            self.refused = true;
            return false;
        }
        self.left -= n;
        true
    }
}

/// One encoded run and the text it decodes to.
#[derive(Debug, PartialEq, Eq)]
pub struct Decoded {
    /// Byte range of the encoded run in the blob it came from.
    pub span: Range<usize>,
    pub text: Vec<u8>,
    /// For base64 wrapped over lines ([`wrapped`]): where each line's text starts in `text`,
    /// and the line's run in the blob, so that what is found is placed at the lines it came
    /// from. Empty for a run on one line: anything found is placed at the whole run.
    pub lines: Vec<(usize, Range<usize>)>,
}

impl Decoded {
    pub fn new(span: Range<usize>, text: Vec<u8>) -> Decoded {
        Decoded {
            span,
            text,
            lines: Vec::new(),
        }
    }

    /// Where what was found at `inner` (a range of `text`) lies in the blob.
    pub fn place(&self, inner: &Range<usize>) -> Range<usize> {
        if self.lines.is_empty() {
            return self.span.clone();
        }
        let line_of =
            |at: usize| (self.lines.partition_point(|(start, _)| *start <= at)).saturating_sub(1);
        let first = line_of(inner.start);
        let last = line_of(inner.end.saturating_sub(1).max(inner.start));
        self.lines[first].1.start..self.lines[last].1.end
    }
}

/// Every encoded run in `bytes` that decodes to mostly-printable text, within the budget.
pub fn decode_all(bytes: &[u8], budget: &mut Budget) -> Vec<Decoded> {
    let mut out = Vec::new();
    let [base64_runs, hex_runs, url_runs] = runs(bytes);
    let base64_runs: Vec<Range<usize>> = (base64_runs.into_iter())
        .map(|span| with_padding(bytes, span))
        .filter(|span| !is_data_uri(bytes, span.start))
        .collect();
    for span in &base64_runs {
        let least = (span.len() * 3 / 4).saturating_sub(3);
        push(&mut out, budget, span.clone(), least, || {
            base64(&bytes[span.clone()])
        });
    }
    for lines in wrapped(bytes, &base64_runs) {
        let span = lines[0].start..lines[lines.len() - 1].end;
        let encoded: usize = lines.iter().map(|l| l.len()).sum();
        let least = (encoded * 3 / 4).saturating_sub(3);
        let width = lines[0].len() / 4 * 3;
        // Joined only when it is decoded: not once the budget is spent.
        let joined = || {
            let joined: Vec<u8> = (lines.iter())
                .flat_map(|l| &bytes[l.clone()])
                .copied()
                .collect();
            base64(&joined)
        };
        if push(&mut out, budget, span, least, joined) {
            let last = out.len() - 1;
            out[last].lines = (lines.into_iter().enumerate())
                .map(|(i, line)| (i * width, line))
                .collect();
        }
    }
    for span in hex_runs {
        let least = (span.len() / 2).saturating_sub(1);
        push(&mut out, budget, span.clone(), least, || hex(&bytes[span]));
    }
    for span in url_runs {
        let least = span.len() / 3;
        push(&mut out, budget, span.clone(), least, || {
            percent(&bytes[span])
        });
    }
    out
}

/// Decodes a run and keeps its text if there is budget for it (true when kept). A run that
/// decodes to at least `least` bytes is not decoded at all once that is more than is left and
/// a refusal is already recorded: the outcome would be the same, and a hostile file has many
/// such runs.
fn push(
    out: &mut Vec<Decoded>,
    budget: &mut Budget,
    span: Range<usize>,
    least: usize,
    decode: impl FnOnce() -> Option<Vec<u8>>,
) -> bool {
    if budget.refused && least > budget.left {
        return false;
    }
    if let Some(text) = decode().filter(|t| is_text(t))
        && budget.take(text.len())
    {
        out.push(Decoded::new(span, text));
        return true;
    }
    false
}

/// The narrowest line of wrapped base64 ([`wrapped`]): `base64` and MIME write 76 characters,
/// PEM 64; a shorter value that happens to sit above another is no wrapping.
const MIN_WRAP: usize = 60;

/// Base64 wrapped over lines, as `base64`, MIME and PEM write it: lines of one width (a
/// multiple of 4, at least [`MIN_WRAP`]), each the last text on its line and each after the
/// first alone on its line but for indentation (a YAML block scalar), then a last line no
/// wider, which may be short: at least two lines in all, at most [`MAX_RUN`] characters. Each
/// line is decoded on its own too; the block is decoded whole because a secret longer than a
/// line (a private key, base64-encoded) is in no one line's text. `runs` are the base64 runs of `bytes`, in order, with their padding; the lines
/// of each block are returned, in order.
fn wrapped(bytes: &[u8], runs: &[Range<usize>]) -> Vec<Vec<Range<usize>>> {
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < runs.len() {
        let width = runs[i].len();
        // A full line: the block's width, unpadded, and the last text on its line.
        let full = |run: &Range<usize>| {
            run.len() == width && bytes[run.end - 1] != b'=' && next_line(bytes, run.end).is_some()
        };
        if !width.is_multiple_of(4) || width < MIN_WRAP || !full(&runs[i]) {
            i += 1;
            continue;
        }
        // A block past MAX_RUN is an embedded file, as a run that long is: read to its end (so
        // that none of its lines starts another block) but not kept.
        let mut lines = vec![runs[i].clone()];
        let mut total = width;
        let mut j = i + 1;
        while j < runs.len()
            && next_line(bytes, runs[j - 1].end) == Some(runs[j].start)
            && full(&runs[j])
        {
            total += width;
            if total <= MAX_RUN {
                lines.push(runs[j].clone());
            }
            j += 1;
        }
        // The last line: a run no wider, or a short piece too small to be a run of its own.
        if let Some(start) = next_line(bytes, runs[j - 1].end) {
            let len = (bytes[start..].iter())
                .take_while(|&&b| is_base64_byte(b) || b == b'=')
                .take(width + 1)
                .count();
            let end = start + len;
            if (1..=width).contains(&len)
                && (end == bytes.len() || matches!(bytes[end], b'\r' | b'\n'))
            {
                total += len;
                lines.push(start..end);
                if runs.get(j).is_some_and(|r| r.start == start) {
                    j += 1;
                }
            }
        }
        if lines.len() >= 2 && total <= MAX_RUN {
            blocks.push(lines);
        }
        i = j;
    }
    blocks
}

/// Where the next line's text starts, past its indentation, when `end` ends a line (`\n` or
/// `\r\n` follows); `None` at the end of the bytes or when more text follows on the line.
fn next_line(bytes: &[u8], end: usize) -> Option<usize> {
    let rest = &bytes[end..];
    let after = match rest {
        [b'\n', ..] => end + 1,
        [b'\r', b'\n', ..] => end + 2,
        _ => return None,
    };
    let indent = (bytes[after..].iter())
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    Some(after + indent)
}

/// The byte classes, one bit each. They nest (hex within base64 within URL), so one pass
/// finds the base64 runs and only those are searched for hex runs; the pass probes about one
/// byte in [`MIN_BASE64`] of ordinary text, a table look-up and a branch each.
const CLASSES: [u8; 256] = classes();
const BASE64: u8 = 1;
const HEX: u8 = 2;
const URL: u8 = 4;
const MIN_URL: usize = 16;

const fn classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        let mut class = 0;
        if is_base64_byte(byte) {
            class |= BASE64;
        }
        if byte.is_ascii_hexdigit() {
            class |= HEX;
        }
        if is_url_byte(byte) {
            class |= URL;
        }
        table[b] = class;
        b += 1;
    }
    table
}

/// Maximal runs of base64 and hex bytes, each at least its minimum, and the URL runs that hold
/// two or more `%` escapes (no other URL run decodes to anything), all at most [`MAX_RUN`]
/// long. Hex runs lie within base64 runs, so they are searched for only there; URL runs are
/// searched for only around a `%`.
fn runs(bytes: &[u8]) -> [Vec<Range<usize>>; 3] {
    let mut found: [Vec<Range<usize>>; 3] = Default::default();
    let keep = |found: &mut Vec<Range<usize>>, run: &Range<usize>| {
        if run.len() <= MAX_RUN {
            found.push(run.clone());
        }
    };
    for b64 in class_runs(bytes, 0..bytes.len(), BASE64, MIN_BASE64) {
        keep(&mut found[0], &b64);
        for hex in class_runs(bytes, b64, HEX, MIN_HEX) {
            keep(&mut found[1], &hex);
        }
    }
    for url in escaped_url_runs(bytes) {
        keep(&mut found[2], &url);
    }
    found
}

/// Maximal URL runs of at least [`MIN_URL`] bytes holding two or more `%`, found by looking
/// around each `%` (rare in most files) instead of at every byte.
fn escaped_url_runs(bytes: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    let is = |b: &u8| CLASSES[*b as usize] & URL != 0;
    // Bytes before `after` belong to runs already looked at.
    let mut after = 0;
    memchr::memchr_iter(b'%', bytes).filter_map(move |at| {
        if at < after {
            return None;
        }
        let start = bytes[..at]
            .iter()
            .rposition(|b| !is(b))
            .map_or(0, |p| p + 1);
        let end = bytes[at..]
            .iter()
            .position(|b| !is(b))
            .map_or(bytes.len(), |p| at + p);
        after = end;
        let escapes = memchr::memchr_iter(b'%', &bytes[start..end])
            .take(2)
            .count();
        (end - start >= MIN_URL && escapes == 2).then_some(start..end)
    })
}

/// Maximal runs of bytes of class `class` within `within`, at least `min` long. A run that
/// long starting at or after `i` must cover byte `i + min - 1`, so only that byte is probed:
/// when it is outside the class the search jumps past it, and most bytes of ordinary text
/// (short words between spaces and punctuation) are never looked at.
fn class_runs(
    bytes: &[u8],
    within: Range<usize>,
    class: u8,
    min: usize,
) -> impl Iterator<Item = Range<usize>> + '_ {
    let end = within.end;
    let mut i = within.start;
    let is = move |b: &u8| CLASSES[*b as usize] & class != 0;
    std::iter::from_fn(move || {
        // Invariant: `i` is `within.start`, a byte outside the class, or follows one.
        while min > 0 && i + min <= end {
            let probe = i + min - 1;
            if !is(&bytes[probe]) {
                i = probe + 1;
                continue;
            }
            let start = bytes[i..probe]
                .iter()
                .rposition(|b| !is(b))
                .map_or(i, |p| i + p + 1);
            let stop = bytes[probe..end]
                .iter()
                .position(|b| !is(b))
                .map_or(end, |p| probe + p);
            i = stop;
            if stop - start >= min {
                return Some(start..stop);
            }
        }
        None
    })
}

/// Padding is not part of the class: `secret=ZGF0YQ==` is a name, then a run.
const fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// Extends a base64 run over its `=` padding, so the reported span covers the whole value.
fn with_padding(bytes: &[u8], span: Range<usize>) -> Range<usize> {
    let pad = bytes[span.end..]
        .iter()
        .take(2)
        .take_while(|&&b| b == b'=')
        .count();
    span.start..span.end + pad
}

/// Characters of a URL query or form body; a run is decoded only if it holds `%XX` escapes.
const fn is_url_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'%' | b'.'
                | b'_'
                | b'~'
                | b'+'
                | b'-'
                | b'='
                | b'&'
                | b':'
                | b'/'
                | b'@'
                | b'?'
                | b';'
                | b'!'
                | b'*'
                | b'\''
        )
}

/// The payloads of the image and font data URIs in `bytes` (what follows `;base64,`), in order:
/// an image's bytes spell a token's shape by chance now and then (`EAA…` in a JPEG), and no
/// one hides a credential as a picture's pixels.
pub fn data_uri_payloads(bytes: &[u8]) -> Vec<Range<usize>> {
    const MARK: &[u8] = b";base64,";
    let mut out: Vec<Range<usize>> = Vec::new();
    for at in memchr::memmem::find_iter(bytes, MARK) {
        let start = at + MARK.len();
        if out.last().is_some_and(|r| start < r.end) || !is_data_uri(bytes, start) {
            continue;
        }
        let len = (bytes[start..].iter())
            .take_while(|&&b| CLASSES[usize::from(b)] & BASE64 != 0 || b == b'=')
            .count();
        out.push(start..start + len);
    }
    out
}

/// `data:image/png;base64,` and fonts: binary by design, and often huge.
fn is_data_uri(bytes: &[u8], start: usize) -> bool {
    let head = &bytes[start.saturating_sub(64)..start];
    let Some(at) = memchr::memmem::rfind(head, b"data:") else {
        return false;
    };
    let mime = &head[at + 5..];
    mime.ends_with(b";base64,")
        && [
            &b"image/"[..],
            b"font/",
            b"application/font",
            b"application/x-font",
        ]
        .iter()
        .any(|p| mime.starts_with(p))
}

/// Standard or URL-safe alphabet, padded or not. The probe decodes a prefix first so a run of
/// binary (an embedded image without a `data:` prefix) is rejected after 256 bytes.
fn base64(run: &[u8]) -> Option<Vec<u8>> {
    let url_safe = run.iter().any(|b| matches!(b, b'-' | b'_'));
    let body = run
        .strip_suffix(b"==")
        .or(run.strip_suffix(b"="))
        .unwrap_or(run);
    let probe_len = (PROBE / 3 * 4).min(body.len() / 4 * 4);
    if !base64_probe_is_text(&body[..probe_len], url_safe)? {
        return None;
    }
    lenient(url_safe)
        .decode(body)
        .ok()
        .or_else(|| [STANDARD, URL_SAFE].iter().find_map(|e| e.decode(run).ok()))
}

/// Whether whole base64 quads decode to text, decoded four characters at a time without
/// allocating, and stopping as soon as the answer is no: most runs are hashes, ids and binary,
/// and a text check after a full decode cost a twentieth of a YAML history audit. `None` for a
/// character outside the alphabet, where decoding fails.
fn base64_probe_is_text(quads: &[u8], url_safe: bool) -> Option<bool> {
    let table = &SEXTETS[usize::from(url_safe)];
    let mut text = TextCheck::new(quads.len() / 4 * 3);
    for quad in quads.chunks_exact(4) {
        let mut bits = 0u32;
        for &c in quad {
            let sextet = table[c as usize];
            if sextet == INVALID {
                return None;
            }
            bits = bits << 6 | u32::from(sextet);
        }
        let [_, a, b, c] = bits.to_be_bytes();
        if !(text.push(a) && text.push(b) && text.push(c)) {
            return Some(false);
        }
    }
    Some(text.passes())
}

fn hex(run: &[u8]) -> Option<Vec<u8>> {
    let even = &run[..run.len() / 2 * 2];
    let probe = &even[..even.len().min(PROBE)];
    let mut text = TextCheck::new(probe.len() / 2);
    for pair in probe.chunks_exact(2) {
        let byte = HEX_VALUE[pair[0] as usize] << 4 | HEX_VALUE[pair[1] as usize];
        if !text.push(byte) {
            return None;
        }
    }
    if !text.passes() {
        return None;
    }
    hex::decode(even).ok()
}

/// [`is_text`] over bytes given one at a time, for a known count: once so many bytes are not
/// printable that the share cannot reach [`MIN_PRINTABLE`], it says so and the rest need not
/// be decoded. Same answer as [`is_text`] on the same bytes.
struct TextCheck {
    len: usize,
    /// Non-printable bytes that still leave the share at [`MIN_PRINTABLE`] or above.
    allowed: usize,
    bad: usize,
}

impl TextCheck {
    fn new(len: usize) -> TextCheck {
        // The largest `bad` with (len - bad) / len >= MIN_PRINTABLE, found with the same float
        // comparison `is_text` makes.
        let mut allowed = ((len as f64) * (1.0 - MIN_PRINTABLE)).ceil() as usize + 1;
        while allowed > 0 && !share_passes(len - allowed.min(len), len) {
            allowed -= 1;
        }
        TextCheck {
            len,
            allowed,
            bad: 0,
        }
    }

    /// Counts one byte; false once the bytes cannot be text.
    fn push(&mut self, byte: u8) -> bool {
        if !is_printable(byte) {
            self.bad += 1;
        }
        self.bad <= self.allowed
    }

    fn passes(&self) -> bool {
        self.len > 0 && self.bad <= self.allowed
    }
}

fn share_passes(printable: usize, len: usize) -> bool {
    printable as f64 / len as f64 >= MIN_PRINTABLE
}

/// Base64 with either padding and stray low bits accepted, in the standard alphabet or the
/// URL-safe one: built once, not per run.
const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const LENIENT_STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
const LENIENT_URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);

fn lenient(url_safe: bool) -> &'static GeneralPurpose {
    if url_safe {
        &LENIENT_URL_SAFE
    } else {
        &LENIENT_STANDARD
    }
}

const INVALID: u8 = 0xff;

/// The value of each character in the standard and the URL-safe alphabet (the `base64` crate's
/// own), [`INVALID`] for the rest.
static SEXTETS: std::sync::LazyLock<[[u8; 256]; 2]> = std::sync::LazyLock::new(|| {
    [base64::alphabet::STANDARD, base64::alphabet::URL_SAFE].map(|alphabet| {
        let mut table = [INVALID; 256];
        for (value, c) in alphabet.as_str().bytes().enumerate() {
            table[usize::from(c)] = value as u8;
        }
        table
    })
});

/// The value of each hex digit; hex runs hold nothing else.
const HEX_VALUE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            d @ b'0'..=b'9' => d - b'0',
            d @ b'a'..=b'f' => d - b'a' + 10,
            d @ b'A'..=b'F' => d - b'A' + 10,
            _ => 0,
        };
        b += 1;
    }
    table
};

/// `%XX` decoding (and `+` as space), only for runs with at least two escapes.
fn percent(run: &[u8]) -> Option<Vec<u8>> {
    if memchr::memchr_iter(b'%', run).take(2).count() < 2 {
        return None;
    }
    let mut out = Vec::with_capacity(run.len());
    let mut i = 0;
    while i < run.len() {
        let escaped = (run[i] == b'%')
            .then(|| run.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| hex::decode(h).ok());
        match escaped {
            Some(byte) => {
                out.push(byte[0]);
                i += 3;
            }
            None => {
                out.push(if run[i] == b'+' { b' ' } else { run[i] });
                i += 1;
            }
        }
    }
    Some(out)
}

/// Mostly printable ASCII (or whitespace): what an encoded config, DSN or token looks like.
fn is_text(bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return false;
    }
    let printable = bytes.iter().filter(|&&b| is_printable(b)).count();
    share_passes(printable, bytes.len())
}

fn is_printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || matches!(b, b'\n' | b'\r' | b'\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_uri_payloads_are_placed() {
        let text = "a data:image/png;base64,iVBORw0K== b data:text/plain;base64,aGk= c;base64,eA";
        let at = text.find("iVBOR").expect("there");
        assert_eq!(data_uri_payloads(text.as_bytes()), vec![at..at + 10]);
    }

    fn decode(text: &str) -> Vec<(Range<usize>, String)> {
        decode_all(text.as_bytes(), &mut Budget::new())
            .into_iter()
            .map(|d| (d.span, String::from_utf8(d.text).unwrap()))
            .collect()
    }

    #[test]
    fn base64_text_is_decoded_at_its_span() {
        let encoded = STANDARD.encode("DB_PASSWORD=kV9mQ2zR7pLx4TnW\n");
        let text = format!("data: {encoded}\n");
        let found = decode(&text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, 6..6 + encoded.len());
        assert_eq!(found[0].1, "DB_PASSWORD=kV9mQ2zR7pLx4TnW\n");
    }

    #[test]
    fn url_safe_unpadded_base64_is_decoded() {
        let encoded = URL_SAFE.encode("token=ab?cd>>ef??gh>>ij??kl>>mn??op");
        let trimmed = encoded.trim_end_matches('=');
        assert!(trimmed.contains('_') || trimmed.contains('-'));
        let found = decode(&format!("x {trimmed} y"));
        assert_eq!(found[0].1, "token=ab?cd>>ef??gh>>ij??kl>>mn??op");
    }

    #[test]
    fn binary_and_short_runs_are_skipped() {
        let random: Vec<u8> = (0..300u32).map(|i| (i * 97 % 256) as u8).collect();
        let binary = STANDARD.encode(random);
        assert!(decode(&binary).is_empty());
        assert!(decode(&STANDARD.encode("short text")).is_empty());
    }

    #[test]
    fn images_and_fonts_in_data_uris_are_skipped() {
        let encoded = STANDARD.encode("this decodes to text but sits in an image URI");
        assert!(decode(&format!("url(data:image/svg+xml;base64,{encoded})")).is_empty());
        assert!(decode(&format!("src: url(data:font/woff2;base64,{encoded})")).is_empty());
        assert_eq!(
            decode(&format!("data:text/plain;base64,{encoded}")).len(),
            1
        );
    }

    #[test]
    fn hex_text_is_decoded_and_hashes_are_not() {
        let encoded = hex::encode("password=Zx8vQ2mK7pL4nR9w");
        assert_eq!(decode(&encoded)[0].1, "password=Zx8vQ2mK7pL4nR9w");
        let sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert!(decode(sha256).is_empty());
    }

    #[test]
    fn percent_encoding_needs_two_escapes() {
        let found = decode("url=postgres%3A%2F%2Fapp%3Ahunter2x%40db"); // leakhound:allow
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, "url=postgres://app:hunter2x@db"); // leakhound:allow
        assert!(decode("a%20b plain text here and there").is_empty());
    }

    /// Base64 wrapped over lines (MIME with `\r\n`, `base64`'s output, a YAML block scalar) is
    /// decoded whole as well as line by line, and what is found in it is placed at the lines
    /// it came from.
    #[test]
    fn wrapped_base64_is_decoded_whole_and_placed_by_line() {
        let text: String = (0..5)
            .map(|i| format!("line {i}: DB_PASSWORD=kV9mQ2zR7pLx4TnW and some words\n"))
            .collect();
        let encoded = STANDARD.encode(&text);
        for (eol, indent) in [("\n", ""), ("\r\n", ""), ("\n", "    ")] {
            let lines: Vec<&str> = (encoded.as_bytes().chunks(76))
                .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
                .collect();
            let body: Vec<String> = lines.iter().map(|l| format!("{indent}{l}")).collect();
            let blob = format!("key: |{eol}{}{eol}after", body.join(eol));
            let found = decode_all(blob.as_bytes(), &mut Budget::new());
            let blocks: Vec<&Decoded> = found.iter().filter(|d| !d.lines.is_empty()).collect();
            assert_eq!(blocks.len(), 1, "{eol:?} {indent:?}");
            assert_eq!(blocks[0].text, text.as_bytes());
            assert_eq!(blocks[0].lines.len(), lines.len());
            // Each base64 line of 76 characters holds 57 bytes of text.
            let at = text.find("line 2").expect("written above");
            let line = &blocks[0].lines[at / 57].1;
            assert_eq!(&blob[line.clone()], lines[at / 57]);
            assert_eq!(blocks[0].place(&(at..at + 6)), line.clone());
            // A match over several lines is placed at all of them.
            let whole = blocks[0].place(&(0..text.len()));
            assert_eq!(whole, blocks[0].span);
            assert_eq!(&blob[whole], body.join(eol).trim_start());
        }
    }

    /// Lines that only look wrapped are not joined: each wider than the one before, of a width
    /// that is no multiple of 4 or under [`MIN_WRAP`], or a first line that more text follows;
    /// nor a block longer than any run decoded.
    #[test]
    fn base64_that_is_not_wrapped_is_not_joined() {
        let line = |n: usize| STANDARD.encode("x".repeat(n * 3 / 4))[..n].to_string();
        for blob in [
            format!("{}\n{}\n{}\n", line(64), line(72), line(80)),
            format!("{}\n{}\n", line(66), line(66)),
            format!("{}\n{}\n", line(44), line(44)),
            format!("\"{}\", \"{}\"\n", line(64), line(64)),
            format!("{} x\n{}\n", line(64), line(64)),
        ] {
            let found = decode_all(blob.as_bytes(), &mut Budget::new());
            assert!(found.iter().all(|d| d.lines.is_empty()), "{blob}");
        }
        // Past MAX_RUN, a block is an embedded file, decoded line by line only.
        let long = format!("{}\n", line(64)).repeat(MAX_RUN / 64 + 2);
        let found = decode_all(long.as_bytes(), &mut Budget::of(usize::MAX));
        assert_eq!(found.len(), MAX_RUN / 64 + 2);
        assert!(found.iter().all(|d| d.lines.is_empty()));
    }

    #[test]
    fn budget_bounds_the_decoded_bytes() {
        let line = STANDARD.encode("secret_token = 'abcdefghijklmnopqrstuvwx'");
        let text = format!("{line}\n").repeat(10);
        let mut budget = Budget::of(3 * 45);
        assert_eq!(decode_all(text.as_bytes(), &mut budget).len(), 3);
    }

    #[test]
    fn classes_nest_as_the_single_pass_assumes() {
        for class in CLASSES {
            assert!(class & HEX == 0 || class & BASE64 != 0);
            assert!(class & BASE64 == 0 || class & URL != 0);
        }
    }

    #[test]
    fn single_pass_runs_equal_a_scan_per_class() {
        let naive = |bytes: &[u8], class: u8, min: usize| -> Vec<Range<usize>> {
            let mut found = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                let start = i;
                while i < bytes.len() && CLASSES[bytes[i] as usize] & class != 0 {
                    i += 1;
                }
                if (min..=MAX_RUN).contains(&(i - start)) {
                    found.push(start..i);
                }
                i += 1;
            }
            found
        };
        // Pieces of each class, of lengths around the minimums, back to back.
        let mut rng = fastrand::Rng::with_seed(6);
        let alphabets: [&[u8]; 5] = [
            b"0123456789abcdef",
            b"GHZgxyz+/_-",
            b"%.=:&",
            b" \n\"",
            b"Qq",
        ];
        let text: Vec<u8> = (0..5_000)
            .flat_map(|_| {
                let alphabet = alphabets[rng.usize(..alphabets.len())];
                let len = rng.usize(1..60);
                (0..len)
                    .map(|_| alphabet[rng.usize(..alphabet.len())])
                    .collect::<Vec<u8>>()
            })
            .collect();
        let [b64, hex, url] = runs(&text);
        assert!(!b64.is_empty() && !hex.is_empty() && !url.is_empty());
        assert_eq!(b64, naive(&text, BASE64, MIN_BASE64));
        assert_eq!(hex, naive(&text, HEX, MIN_HEX));
        let escaped: Vec<Range<usize>> = naive(&text, URL, MIN_URL)
            .into_iter()
            .filter(|r| text[r.clone()].iter().filter(|&&b| b == b'%').count() >= 2)
            .collect();
        assert_eq!(url, escaped);
    }

    mod properties {
        //! Hostile bytes never panic the decoder, and what it returns stays inside its bounds:
        //! spans within the input, decoded text no longer than its run, the budget respected.
        //! The `long_` variant runs the same property on many more cases (`--ignored`).

        use proptest::prelude::*;

        use crate::proptest_cases::cases;

        use super::super::*;

        /// Runs of each encoding (of text and of binary), `%` escapes, `data:` prefixes,
        /// padding and separators, in any order.
        fn blob() -> impl Strategy<Value = Vec<u8>> {
            let piece = prop_oneof![
                "[ -~]{0,80}".prop_map(|t| STANDARD.encode(t).into_bytes()),
                "[ -~]{0,80}".prop_map(|t| URL_SAFE.encode(t).trim_end_matches('=').into()),
                prop::collection::vec(any::<u8>(), 0..120).prop_map(|b| STANDARD.encode(b).into()),
                "[ -~]{0,60}".prop_map(|t| hex::encode(t).into_bytes()),
                "[a-z%0-9A-F+=&]{0,80}".prop_map(String::into_bytes),
                prop::sample::select(vec![
                    "data:image/png;base64,",
                    "data:text/plain;base64,",
                    "=",
                    "==",
                    "%",
                    "%4",
                    "%zz",
                    " ",
                    "\n",
                    "\"",
                    "-",
                    "_",
                    "/",
                    "+",
                ])
                .prop_map(|s| s.as_bytes().to_vec()),
                prop::collection::vec(any::<u8>(), 0..40),
            ];
            prop::collection::vec(piece, 0..40).prop_map(|p| p.concat())
        }

        fn check(bytes: &[u8], budget: usize) -> Result<(), TestCaseError> {
            let found = decode_all(bytes, &mut Budget::of(budget));
            let mut total = 0;
            for d in &found {
                prop_assert!(d.span.start < d.span.end && d.span.end <= bytes.len());
                prop_assert!(
                    d.text.len() <= d.span.len(),
                    "{} from {:?}",
                    d.text.len(),
                    d.span
                );
                prop_assert!(is_text(&d.text));
                for (at, line) in &d.lines {
                    prop_assert!(*at <= d.text.len());
                    prop_assert!(d.span.start <= line.start && line.end <= d.span.end);
                }
                let placed = d.place(&(0..d.text.len()));
                prop_assert!(d.span.start <= placed.start && placed.end <= d.span.end);
                total += d.text.len();
            }
            prop_assert!(total <= budget);
            prop_assert!(found.len() <= bytes.len() / MIN_URL * 3);
            Ok(())
        }

        /// The probes as first written: decode the prefix whole, then count. The lazy probes
        /// must give the same answer on every run.
        fn hex_reference(run: &[u8]) -> Option<Vec<u8>> {
            let even = &run[..run.len() / 2 * 2];
            let probe = hex::decode(&even[..even.len().min(PROBE)]).ok()?;
            is_text(&probe).then(|| hex::decode(even).ok())?
        }

        fn base64_reference(run: &[u8]) -> Option<Vec<u8>> {
            let url_safe = run.iter().any(|b| matches!(b, b'-' | b'_'));
            let engine = lenient(url_safe);
            let body = run
                .strip_suffix(b"==")
                .or(run.strip_suffix(b"="))
                .unwrap_or(run);
            let probe_len = (PROBE / 3 * 4).min(body.len() / 4 * 4);
            let probe = engine.decode(&body[..probe_len]).ok()?;
            is_text(&probe).then_some(())?;
            engine
                .decode(body)
                .ok()
                .or_else(|| [STANDARD, URL_SAFE].iter().find_map(|e| e.decode(run).ok()))
        }

        /// Decoded text with a few bytes swapped for binary ones: around the printable share
        /// the probes decide on, so both sides of the threshold are met.
        fn near_text() -> impl Strategy<Value = Vec<u8>> {
            (
                "[ -~]{0,300}",
                prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..30),
            )
                .prop_map(|(text, swaps)| {
                    let mut bytes = text.into_bytes();
                    for (at, byte) in swaps {
                        if !bytes.is_empty() {
                            let i = at.index(bytes.len());
                            bytes[i] = byte;
                        }
                    }
                    bytes
                })
        }

        proptest! {
            #![proptest_config(cases(512))]

            #[test]
            fn lazy_probes_answer_as_whole_decoding_did(
                bytes in near_text(),
                alphabet in 0..3usize,
                cut in 0..4usize,
            ) {
                let hexed = hex::encode(&bytes);
                let run = &hexed.as_bytes()[..hexed.len().saturating_sub(cut % 2)];
                prop_assert_eq!(hex(run), hex_reference(run));
                let encoded = match alphabet {
                    0 => STANDARD.encode(&bytes),
                    1 => URL_SAFE.encode(&bytes).trim_end_matches('=').to_string(),
                    // Both alphabets' extra characters in one run: decoding fails.
                    _ => format!("{}-+/", STANDARD.encode(&bytes)),
                };
                let run = &encoded.as_bytes()[..encoded.len().saturating_sub(cut)];
                prop_assert_eq!(base64(run), base64_reference(run));
            }
        }

        proptest! {
            #![proptest_config(cases(256))]

            #[test]
            fn decoding_is_bounded(bytes in blob(), budget in 0..4096usize) {
                check(&bytes, budget)?;
                check(&bytes, Budget::PER_BLOB)?;
            }
        }

        proptest! {
            #![proptest_config(cases(20_000))]

            #[test]
            #[ignore = "long run of decoding_is_bounded"]
            fn long_decoding_is_bounded(bytes in blob(), budget in 0..4096usize) {
                check(&bytes, budget)?;
                check(&bytes, Budget::PER_BLOB)?;
            }
        }
    }
}
