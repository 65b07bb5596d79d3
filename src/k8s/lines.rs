//! Line-wise reading of (key, value) pairs, for text that is not valid YAML or not YAML at
//! all: Helm templates that fail to parse even with their `{{ }}` masked, broken or hostile
//! YAML, `.env` files, and config files embedded in block scalars (`application.properties`,
//! TOML, JSON, `.env`). YAML is followed by indentation to give an approximate key path, and
//! `- name: X` / `value: Y` env entries are paired across lines.

use std::ops::Range;

/// One `key: value` (or `KEY=value`) found on a line.
#[derive(Debug, Clone)]
pub struct Pair<'a> {
    pub key: &'a str,
    pub value: &'a str,
    /// Bytes of the value (inside quotes) in the whole text.
    pub span: Range<usize>,
    /// Paired from `- name: KEY` and a following `value:`.
    pub env: bool,
}

/// One open key (or list item) above the current line. Each frame holds its own segment, cut
/// to a bounded length, so a pair's path is shared with its parent's, never copied; it is
/// rendered only for a pair that is reported.
struct Frame {
    indent: usize,
    seg: String,
    item: bool,
    items: usize,
    /// This frame or one above it is an `environment` key (a compose file's).
    environment: bool,
}

/// The path of a pair from the line-wise reader: the open frames and the pair's own key.
pub struct KeyPath<'s> {
    frames: &'s [Frame],
    key: Option<&'s str>,
}

/// Frames rendered at each end of a deeper path (indentation alone can nest thousands deep).
const HEAD_FRAMES: usize = 8;
const TAIL_FRAMES: usize = 24;

impl KeyPath<'_> {
    /// Whether the path passes through an `environment` key.
    pub fn environment(&self) -> bool {
        self.frames.last().is_some_and(|f| f.environment)
            || self.key.is_some_and(|k| k.contains("environment"))
    }

    /// The dotted path, bounded (see [`super::clip`]).
    pub fn render(&self) -> String {
        let frames = self.frames;
        let cut = frames.len() > HEAD_FRAMES + TAIL_FRAMES;
        let (head, tail) = if cut {
            (
                &frames[..HEAD_FRAMES],
                &frames[frames.len() - TAIL_FRAMES..],
            )
        } else {
            (frames, &frames[..0])
        };
        let key = self.key.map(super::bounded);
        let segs = head
            .iter()
            .map(|f| f.seg.as_str())
            .chain(cut.then_some("…"))
            .chain(tail.iter().map(|f| f.seg.as_str()))
            .chain(key.as_deref());
        let mut out = String::new();
        for seg in segs {
            if !seg.starts_with('[') && !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
        super::clip(out)
    }
}

/// Lines of `text[range]` with their byte offsets.
fn lines(text: &str, range: Range<usize>) -> impl Iterator<Item = (usize, &str)> {
    let base = range.start;
    text[range].split_inclusive('\n').scan(base, |at, line| {
        let start = *at;
        *at += line.len();
        Some((start, line.trim_end_matches(['\n', '\r'])))
    })
}

/// YAML-ish pairs, each handed to `each` with its key path (from indentation) as it is read.
pub fn yaml_pairs<'a>(
    text: &'a str,
    range: Range<usize>,
    mut each: impl FnMut(&Pair<'a>, &KeyPath),
) {
    let mut stack: Vec<Frame> = Vec::new();
    let mut pending: Option<(usize, &str)> = None;
    for (start, line) in lines(text, range) {
        let content = line.trim_start_matches([' ', '\t']);
        let mut indent = line.len() - content.len();
        if content.is_empty() || content.starts_with(['#', '{']) || content.starts_with("---") {
            continue;
        }
        let mut rest = content;
        if let Some(item) = content
            .strip_prefix("- ")
            .or(content.strip_prefix('-').filter(|r| r.is_empty()))
        {
            open_item(&mut stack, indent);
            pending = None;
            indent += 2 + (item.len() - item.trim_start().len());
            rest = item.trim_start();
            if rest.starts_with('{') {
                let at = start + (line.len() - rest.len());
                if let Some(pair) = flow_entry(at, rest) {
                    each(&pair, &at_key(&stack, Some("value")));
                }
                continue;
            }
            if let Some(pair) = list_env(rest, start + line.len() - rest.len()) {
                each(&pair, &at_key(&stack, None));
                continue;
            }
        }
        let Some((key, value, offset)) = key_value(rest, b':') else {
            continue;
        };
        while stack.last().is_some_and(|f| f.indent >= indent) {
            stack.pop();
        }
        let value_start = start + line.len() - rest.len() + offset;
        if value.is_empty() {
            let environment =
                stack.last().is_some_and(|f| f.environment) || key.contains("environment");
            stack.push(Frame {
                indent,
                seg: super::bounded(key).into_owned(),
                item: false,
                items: 0,
                environment,
            });
            continue;
        }
        let env = key == "value" && pending.is_some_and(|(i, _)| i == indent);
        let judged_key = match (env, pending) {
            (true, Some((_, name))) => name,
            _ => key,
        };
        if key == "name" && !env {
            pending = Some((indent, value));
        }
        let pair = Pair {
            key: judged_key,
            value,
            span: value_start..value_start + value.len(),
            env,
        };
        each(&pair, &at_key(&stack, Some(key)));
    }
}

fn at_key<'s>(stack: &'s [Frame], key: Option<&'s str>) -> KeyPath<'s> {
    KeyPath { frames: stack, key }
}

fn open_item(stack: &mut Vec<Frame>, indent: usize) {
    while stack
        .last()
        .is_some_and(|f| f.indent > indent || (f.indent == indent && f.item))
    {
        stack.pop();
    }
    let n = stack.last_mut().map_or(0, |f| {
        f.items += 1;
        f.items - 1
    });
    let environment = stack.last().is_some_and(|f| f.environment);
    stack.push(Frame {
        indent,
        seg: format!("[{n}]"),
        item: true,
        items: 0,
        environment,
    });
}

/// `- {name: X, value: Y}` on one line.
fn flow_entry(at: usize, rest: &str) -> Option<Pair<'_>> {
    let inner = rest.trim_start_matches('{');
    let inner_at = at + (rest.len() - inner.len());
    let mut name = None;
    let mut value = None;
    let mut offset = 0;
    for part in inner.split(',') {
        let trimmed = part.trim_start();
        let lead = part.len() - trimmed.len();
        let part_end = trimmed.trim_end_matches(['}', ' ']);
        if let Some((k, v, o)) = key_value(part_end, b':') {
            let start = inner_at + offset + lead + o;
            match k {
                "name" => name = Some(v),
                "value" => value = Some((v, start..start + v.len())),
                _ => {}
            }
        }
        offset += part.len() + 1;
    }
    let (key, (value, span)) = (name?, value?);
    Some(Pair {
        key,
        value,
        span,
        env: true,
    })
}

/// `- KEY=value` (a compose `environment:` list entry), quoted or not.
fn list_env(rest: &str, at: usize) -> Option<Pair<'_>> {
    let quote = usize::from(rest.starts_with(['"', '\'']));
    let inner = rest[quote..].trim_end_matches(['"', '\'']);
    let (key, value, offset) = key_value(inner, b'=')?;
    if key.contains(':') || value.is_empty() {
        return None;
    }
    let start = at + quote + offset;
    Some(Pair {
        key,
        value,
        span: start..start + value.len(),
        env: false,
    })
}

/// `key<sep> value` on one line: the key, the unquoted value, and where the value starts in
/// `line`. The key may be quoted; the value loses its quotes and any trailing comment.
pub fn key_value(line: &str, sep: u8) -> Option<(&str, &str, usize)> {
    let (key, after_key) = match line.as_bytes().first()? {
        q @ (b'"' | b'\'') => {
            let end = line[1..].find(*q as char)? + 1;
            (&line[1..end], end + 1)
        }
        _ => {
            let end = line.find([sep as char, ' ', '\t'])?;
            (&line[..end], end)
        }
    };
    if key.is_empty() || key.contains(char::is_whitespace) && !line.starts_with(['"', '\'']) {
        return None;
    }
    let gap = line[after_key..].len() - line[after_key..].trim_start().len();
    let after = &line[after_key + gap..];
    let after = after.strip_prefix(sep as char)?;
    if sep == b':' && !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let value_at = line.len() - after.trim_start().len();
    let (value, inner) = unquote(&line[value_at..], sep == b':');
    Some((key, value, value_at + inner))
}

/// The value without quotes (offset of its first byte) or, unquoted, without a trailing
/// comment, comma or semicolon. Anchors, tags and block indicators give an empty value.
fn unquote(raw: &str, yaml: bool) -> (&str, usize) {
    match raw.as_bytes().first() {
        Some(q @ (b'"' | b'\'')) => match raw[1..].find(*q as char) {
            Some(end) => (&raw[1..end + 1], 1),
            None => (&raw[1..], 1),
        },
        Some(b'|' | b'>' | b'&' | b'*' | b'!' | b'[') if yaml => ("", 0),
        _ => {
            let cut = raw.find(" #").unwrap_or(raw.len());
            (raw[..cut].trim_end().trim_end_matches([',', ';']), 0)
        }
    }
}

/// `KEY=value` lines of a `.env` file (with optional `export`).
pub fn env_pairs(text: &str, range: Range<usize>) -> Vec<Pair<'_>> {
    flat_pairs(text, range, &['#'], b"=")
}

/// Config-file lines in any of the usual shapes: `key = value`, `key=value`, `key: value`,
/// `"key": "value",`.
pub fn config_pairs(text: &str, range: Range<usize>) -> Vec<Pair<'_>> {
    flat_pairs(text, range, &['#', ';', '[', '/'], b"=:")
}

/// One `key<sep>value` pair per line, skipping lines that start with a comment marker; the
/// separators are tried in order.
fn flat_pairs<'a>(
    text: &'a str,
    range: Range<usize>,
    comments: &[char],
    separators: &[u8],
) -> Vec<Pair<'a>> {
    let mut out = Vec::new();
    for (start, line) in lines(text, range) {
        let content = line.trim_start();
        let content = content
            .strip_prefix("export ")
            .map_or(content, str::trim_start);
        if content.starts_with(comments) {
            continue;
        }
        let at = start + line.len() - content.len();
        let found = separators.iter().find_map(|&sep| key_value(content, sep));
        if let Some((key, value, offset)) = found
            && !value.is_empty()
        {
            let begin = at + offset;
            out.push(Pair {
                key,
                value,
                span: begin..begin + value.len(),
                env: false,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<(Pair<'_>, String)> {
        let mut out = Vec::new();
        yaml_pairs(text, 0..text.len(), |p, path| {
            out.push((p.clone(), path.render()))
        });
        out
    }

    #[test]
    fn yaml_paths_and_env_entries() {
        let text = "spec:\n  env:\n    - name: DB_PASSWORD\n      value: \"pw1\"\n    - name: B\n      value: x # c\nauth:\n  password: pw2\n";
        let pairs = read(text);
        let got: Vec<_> = pairs
            .iter()
            .map(|(p, path)| (p.key, p.value, path.as_str(), p.env))
            .collect();
        assert_eq!(
            got,
            [
                ("name", "DB_PASSWORD", "spec.env[0].name", false),
                ("DB_PASSWORD", "pw1", "spec.env[0].value", true),
                ("name", "B", "spec.env[1].name", false),
                ("B", "x", "spec.env[1].value", true),
                ("password", "pw2", "auth.password", false),
            ]
        );
        assert_eq!(&text[pairs[1].0.span.clone()], "pw1");
    }

    #[test]
    fn long_keys_and_deep_nesting_give_bounded_paths() {
        let long = "k".repeat(1_000_000);
        let text = format!("{long}:\n  a: b\n  c: d\n");
        let pairs = read(&text);
        assert_eq!(pairs.len(), 2);
        assert!(pairs.iter().all(|(_, path)| path.len() <= 512));
        assert!(pairs[0].1.ends_with("k….a"), "{}", pairs[0].1);
        let deep: String = (0..300)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        let text = format!("{deep}{}password: x\n", " ".repeat(300));
        let pairs = read(&text);
        assert_eq!(pairs.len(), 1);
        assert!(pairs[0].1.starts_with("k0.k1."), "{}", pairs[0].1);
        assert!(pairs[0].1.ends_with(".k299.password"), "{}", pairs[0].1);
    }

    #[test]
    fn flow_env_and_compose_list() {
        let text = "env:\n  - {name: API_TOKEN, value: tk1}\nenvironment:\n  - DB_PASS=pw3\n";
        let pairs = read(text);
        assert_eq!(
            (
                pairs[0].0.key,
                &text[pairs[0].0.span.clone()],
                pairs[0].1.as_str()
            ),
            ("API_TOKEN", "tk1", "env[0].value")
        );
        assert_eq!(
            (
                pairs[1].0.key,
                &text[pairs[1].0.span.clone()],
                pairs[1].1.as_str()
            ),
            ("DB_PASS", "pw3", "environment[0]")
        );
    }

    #[test]
    fn env_and_config_lines() {
        let text = "export A_TOKEN='tk'\n# c\nB=\"v\" \nspring.datasource.password=pw\n";
        let pairs = env_pairs(text, 0..text.len());
        assert_eq!(pairs.len(), 3);
        assert_eq!(&text[pairs[0].span.clone()], "tk");
        let text = "  \"password\": \"pw\",\n  user = app\n";
        let pairs = config_pairs(text, 0..text.len());
        assert_eq!(
            (pairs[0].key, &text[pairs[0].span.clone()]),
            ("password", "pw")
        );
    }
}
