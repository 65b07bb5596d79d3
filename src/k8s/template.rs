//! Helm templates are not YAML until rendered: `{{ }}` actions sit in keys, values and whole
//! lines. Masking each action with `_` of the same byte length, and blanking lines that hold
//! nothing but actions (`{{- if … }}`, `{{- include … | nindent 4 }}`), turns most templates
//! into YAML whose positions are the template's own; the walker then reads a masked value from
//! the original text, so `{{ .Values.x }}` is a reference and `default "pw"` a literal.

use std::ops::Range;

/// A template with its actions masked.
pub struct Masked {
    pub text: String,
    /// Byte ranges of the actions, in order.
    pub masks: Vec<Range<usize>>,
}

/// Masks `{{ … }}` actions; `None` when there are none.
pub fn mask(text: &str) -> Option<Masked> {
    memchr::memmem::find(text.as_bytes(), b"{{")?;
    let masks = actions(text);
    let mut masked = String::with_capacity(text.len());
    let mut last = 0;
    for m in &masks {
        masked.push_str(&text[last..m.start]);
        masked.extend(text[m.clone()].chars().map(filler));
        last = m.end;
    }
    masked.push_str(&text[last..]);
    let mut bytes = masked.into_bytes();
    blank_action_lines(&mut bytes, text.as_bytes(), &masks);
    let text = String::from_utf8(bytes).ok()?;
    Some(Masked { text, masks })
}

/// What a character of an action becomes: a letter of the same length in UTF-8 (`_` for
/// ASCII), so the masked text has its characters where the template has its own, and the
/// parser's character columns give byte offsets that are character boundaries of both.
fn filler(c: char) -> char {
    match c.len_utf8() {
        _ if c == '\n' => '\n',
        1 => '_',
        2 => 'é',
        3 => '一',
        _ => '𐀀',
    }
}

/// The byte ranges of every `{{ … }}`; an unclosed one runs to the end of its line. Once a
/// search for `}}` has failed, no later `{{` can be closed either, so the rest of the text is
/// never searched again: one pass, however many `{{` are left open.
fn actions(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    let mut unclosed = false;
    while let Some(open) = memchr::memmem::find(&bytes[at..], b"{{").map(|o| at + o) {
        let close = if unclosed {
            None
        } else {
            memchr::memmem::find(&bytes[open + 2..], b"}}")
        };
        unclosed = close.is_none();
        let end = match close {
            Some(c) => open + 2 + c + 2,
            None => memchr::memchr(b'\n', &bytes[open..]).map_or(bytes.len(), |n| open + n),
        };
        out.push(open..end);
        at = end;
    }
    out
}

/// Lines whose only content is actions become blank, as they will when rendered.
fn blank_action_lines(masked: &mut [u8], original: &[u8], masks: &[Range<usize>]) {
    let mut start = 0;
    while start < masked.len() {
        let end = memchr::memchr(b'\n', &masked[start..]).map_or(masked.len(), |n| start + n);
        let only_actions = (start..end).any(|i| !original[i].is_ascii_whitespace())
            && (start..end).all(|i| original[i].is_ascii_whitespace() || in_masks(i, masks));
        if only_actions {
            masked[start..end].fill(b' ');
        }
        start = end + 1;
    }
}

fn in_masks(i: usize, masks: &[Range<usize>]) -> bool {
    let p = masks.partition_point(|m| m.end <= i);
    masks.get(p).is_some_and(|m| m.start <= i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_positions_and_blank_action_lines() {
        let text = "{{- if .Values.x }}\nkey: {{ .Values.pw | quote }}\n{{- end }}\n";
        let m = mask(text).unwrap();
        assert_eq!(m.text.len(), text.len());
        assert_eq!(m.text.lines().nth(1), Some("key: ________________________"));
        assert!(m.text.lines().next().unwrap().trim().is_empty());
        assert_eq!(&text[m.masks[1].clone()], "{{ .Values.pw | quote }}");
    }
}
