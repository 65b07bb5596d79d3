//! String literals joined in code: `"ghp_" + "Xq7…"`, Python's implicit `"sk-" "proj-…"`, a
//! key split over lines to dodge a line-length limit. Each piece alone matches no rule; the
//! engine scans their concatenation as it scans decoded text, placed at the whole expression.

use std::ops::Range;

use super::decode::{Budget, Decoded};

/// Whitespace (and one `+`, and `\` line continuations) allowed between two pieces.
const MAX_GAP: usize = 64;
/// Longest piece read: literals longer than this are text, not a split token.
const MAX_PIECE: usize = 512;
/// Shorter joins cannot hold a credential worth reporting.
const MIN_JOINED: usize = 16;

/// Languages where literals are joined by `+` or adjacency: only their files pay for the pass.
pub fn is_code(path: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        "py", "js", "mjs", "cjs", "jsx", "ts", "tsx", "go", "java", "kt", "kts", "scala", "rb",
        "php", "cs", "rs", "swift", "c", "cc", "cpp", "h", "hpp", "m", "dart", "groovy", "lua",
        "pl", "sh", "ps1",
    ];
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    EXTENSIONS.iter().any(|e| ext.eq_ignore_ascii_case(e))
}

/// Every run of two or more adjacent string literals (same quote), joined.
pub fn joined(bytes: &[u8], budget: &mut Budget) -> Vec<Decoded> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = memchr::memchr2(b'"', b'\'', &bytes[at..]) {
        let start = at + found;
        let quote = bytes[start];
        let Some(first) = literal(bytes, start) else {
            at = start + 1;
            continue;
        };
        let mut pieces = vec![first.clone()];
        let mut end = first.end + 1;
        while let Some(next) = gap(bytes, end).filter(|&n| bytes.get(n) == Some(&quote))
            && let Some(piece) = literal(bytes, next)
        {
            end = piece.end + 1;
            pieces.push(piece);
        }
        if pieces.len() >= 2 {
            let text: Vec<u8> = pieces
                .iter()
                .flat_map(|p| bytes[p.clone()].to_vec())
                .collect();
            if text.len() >= MIN_JOINED && budget.take(text.len()) {
                out.push(Decoded::new(start..end, text));
            }
        }
        at = end;
    }
    out
}

/// The content of the literal opening at `open`, if it closes on the same line.
fn literal(bytes: &[u8], open: usize) -> Option<Range<usize>> {
    let quote = bytes[open];
    let mut i = open + 1;
    while i < bytes.len() && i - open <= MAX_PIECE {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' => return None,
            b if b == quote => return Some(open + 1..i),
            _ => i += 1,
        }
    }
    None
}

/// Where the next piece would open after `from`: past whitespace, at most one `+` and line
/// continuations; `None` if there is no `+` and no whitespace (`"a""b"` is two pieces too).
fn gap(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    let mut plus = false;
    while i < bytes.len() && i - from <= MAX_GAP {
        match bytes[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'+' if !plus => {
                plus = true;
                i += 1;
            }
            _ => return Some(i),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        joined(src.as_bytes(), &mut Budget::new())
            .into_iter()
            .map(|d| String::from_utf8(d.text).unwrap())
            .collect()
    }

    #[test]
    fn pieces_are_joined() {
        assert_eq!(
            texts("t = \"ghp_\" + \"abcdefghijklmnop\"\n"),
            vec!["ghp_abcdefghijklmnop"]
        );
        assert_eq!(
            texts("k = ('sk-proj-'\n     'abcdefghijklmnopqrst')\n"),
            vec!["sk-proj-abcdefghijklmnopqrst"]
        );
        assert_eq!(texts("a = \"x\" + y + \"z\"\n"), Vec::<String>::new());
        assert_eq!(texts("print(\"a\", \"b\")\n"), Vec::<String>::new());
    }
}
