//! JSON to the same tree as [`super::yaml`], in one pass that holds nothing but the tree. The
//! YAML scanner reads a JSON file's root collection whole, as tokens, before it produces a
//! single event (it could be a key); that costs over a hundred bytes per byte of input. Here a
//! value becomes a node as soon as it is read, and [`MAX_NODES`](super::yaml::MAX_NODES) and
//! [`MAX_DEPTH`](super::yaml::MAX_DEPTH) bound the tree as they do for YAML.

use std::borrow::Cow;

use super::yaml::{Builder, Node, Scalar, Step};

/// Why a text was not read as JSON.
#[derive(Debug, PartialEq, Eq)]
pub enum NotRead {
    /// Not JSON (JSON with comments, YAML): the YAML parser may still read it.
    NotJson,
    /// JSON, but too big a tree: no parser will do better than reading it line by line.
    TooBig(String),
}

/// Whether the text starts as JSON does (after a byte order mark and whitespace).
pub fn looks_like_json(text: &str) -> bool {
    let body = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    body.trim_start().starts_with(['{', '['])
}

/// The tree of a text that is one JSON value.
pub fn parse(text: &str) -> Result<Node<'_>, NotRead> {
    let bytes = text.as_bytes();
    let mut at = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
    let mut builder = Builder::default();
    // The containers open around the current position: `true` for an object.
    let mut open: Vec<bool> = Vec::new();
    let mut key = false;
    loop {
        at = skip_ws(bytes, at);
        if key {
            at = skip_ws(bytes, object_key(text, at, &mut builder)?);
        }
        match bytes.get(at) {
            Some(&b @ (b'{' | b'[')) => {
                let object = b == b'{';
                step(
                    &mut builder,
                    if object { Step::OpenMap } else { Step::OpenSeq },
                )?;
                open.push(object);
                at = skip_ws(bytes, at + 1);
                let empty = bytes.get(at) == Some(if object { &b'}' } else { &b']' });
                if !empty {
                    key = object;
                    continue;
                }
                step(&mut builder, Step::Close)?;
                open.pop();
                at += 1;
            }
            Some(_) => {
                let (leaf, end) = scalar(text, at, builder.skipping())?;
                step(&mut builder, Step::Leaf(leaf))?;
                at = end;
            }
            None => return Err(NotRead::NotJson),
        }
        // After a value: a separator, the end of containers, or the end of the text.
        loop {
            at = skip_ws(bytes, at);
            let Some(&object) = open.last() else {
                return match (at == bytes.len(), builder.root) {
                    (true, Some(root)) => Ok(root),
                    _ => Err(NotRead::NotJson),
                };
            };
            match bytes.get(at) {
                Some(b'}') if object => {}
                Some(b']') if !object => {}
                Some(b',') => {
                    at += 1;
                    key = object;
                    break;
                }
                _ => return Err(NotRead::NotJson),
            }
            step(&mut builder, Step::Close)?;
            open.pop();
            at += 1;
        }
    }
}

fn step<'t>(builder: &mut Builder<'t>, step: Step<'t>) -> Result<(), NotRead> {
    builder.step(step).map_err(NotRead::TooBig)
}

/// An object's key and its `:`; where its value starts.
fn object_key<'t>(text: &'t str, at: usize, builder: &mut Builder<'t>) -> Result<usize, NotRead> {
    if text.as_bytes().get(at) != Some(&b'"') {
        return Err(NotRead::NotJson);
    }
    let (leaf, end) = scalar(text, at, builder.skipping())?;
    step(builder, Step::Leaf(leaf))?;
    let colon = skip_ws(text.as_bytes(), end);
    if text.as_bytes().get(colon) != Some(&b':') {
        return Err(NotRead::NotJson);
    }
    Ok(colon + 1)
}

fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while bytes
        .get(at)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        at += 1;
    }
    at
}

/// The string, number or literal at `at`, and where it ends. Inside structure too deep to
/// keep (`skip`), only its end is found.
fn scalar(text: &str, at: usize, skip: bool) -> Result<(Node<'_>, usize), NotRead> {
    let bytes = text.as_bytes();
    if bytes[at] == b'"' {
        let (end, escaped) = string_end(bytes, at + 1).ok_or(NotRead::NotJson)?;
        if skip {
            return Ok((Node::Other, end + 1));
        }
        let raw = &text[at + 1..end];
        let value = if escaped {
            Cow::Owned(
                serde_json::from_str::<String>(&text[at..=end]).map_err(|_| NotRead::NotJson)?,
            )
        } else {
            Cow::Borrowed(raw)
        };
        let node = Node::Scalar(Scalar {
            value,
            span: at + 1..end,
            is_string: true,
            block: false,
        });
        return Ok((node, end + 1));
    }
    let len = bytes[at..]
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')))
        .unwrap_or(bytes.len() - at);
    let word = &text[at..at + len];
    let literal = matches!(word, "true" | "false" | "null");
    let number =
        word.starts_with(|c: char| c == '-' || c.is_ascii_digit()) && word.parse::<f64>().is_ok();
    if !(literal || number) {
        return Err(NotRead::NotJson);
    }
    let node = Node::Scalar(Scalar {
        value: Cow::Borrowed(word),
        span: at..at + len,
        // A literal or a number, as YAML reads it too: `is_plain_string` says no to each.
        is_string: false,
        block: false,
    });
    Ok((node, at + len))
}

/// The closing quote of a string whose content starts at `from`, and whether the string has
/// escapes (every backslash in it is either met here or is the character escaped after one).
/// Raw control characters are not JSON (YAML reads such a string differently), so they end the
/// attempt.
fn string_end(bytes: &[u8], mut from: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    loop {
        let at = from + memchr::memchr2(b'"', b'\\', &bytes[from..])?;
        // Without an early exit, the compiler checks many bytes at a time.
        if bytes[from..at]
            .iter()
            .fold(false, |raw, &b| raw | (b < 0x20))
        {
            return None;
        }
        if bytes[at] == b'"' {
            return Some((at, escaped));
        }
        escaped = true;
        from = at + 2;
        if from > bytes.len() {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'n, 't>(node: &'n Node<'t>, key: &str) -> &'n Scalar<'t> {
        match node.get(key) {
            Some(Node::Scalar(s)) => s,
            other => panic!("{key}: {other:?}"),
        }
    }

    #[test]
    fn values_keep_their_spans_and_kinds() {
        let text =
            "\u{FEFF}{\"a\": \"x\\\"y\", \"b\": -1.5e3, \"c\": [true, null, {}], \"é\": \"ü\"}\n";
        let root = parse(text).unwrap();
        let a = get(&root, "a");
        assert_eq!(
            (a.value.as_ref(), &text[a.span.clone()]),
            ("x\"y", "x\\\"y")
        );
        assert!(a.is_string);
        assert!(!get(&root, "b").is_string);
        assert_eq!(&text[get(&root, "é").span.clone()], "ü");
        let Some(Node::Seq(items)) = root.get("c") else {
            panic!()
        };
        assert_eq!(items.len(), 3);
    }

    /// What the parser keeps as a literal or a number is what YAML, and so
    /// `yaml::is_plain_string`, reads as no string; strings keep their escapes apart.
    #[test]
    fn literals_and_numbers_are_not_strings_as_yaml_says() {
        let words = [
            "true",
            "false",
            "null",
            "0",
            "-1",
            "1.5e10",
            "-0.0",
            "1E+2",
            "-inf",
            "-nan",
            "-Infinity",
            "12",
        ];
        for word in words {
            let text = format!("[{word}, \"a\\\\b\", \"\\u0041\", \"plain\"]");
            let Ok(Node::Seq(items)) = parse(&text) else {
                panic!("{text}")
            };
            let Node::Scalar(s) = &items[0] else {
                panic!("{word}")
            };
            assert!(!s.is_string, "{word}");
            assert!(!crate::k8s::yaml::is_plain_string(word), "{word}");
            let values: Vec<&str> = (items[1..].iter())
                .map(|n| match n {
                    Node::Scalar(s) => s.value.as_ref(),
                    _ => panic!(),
                })
                .collect();
            assert_eq!(values, ["a\\b", "A", "plain"]);
        }
    }

    #[test]
    fn anything_else_is_not_json() {
        for text in [
            "{\"a\": 1,}",
            "{\"a\" 1}",
            "[1] x",
            "// c\n{}",
            "{a: 1}",
            "[1, 2",
            "[\"a\nb\"]",
            "{\"a\": 1: 2}",
            "[1: 2]",
            "[01x]",
            "{\"a\"}",
        ] {
            assert_eq!(parse(text).err(), Some(NotRead::NotJson), "{text}");
        }
    }

    #[test]
    fn deep_and_big_trees_are_bounded() {
        let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&deep).is_ok());
        let big = format!("[{}1]", "1,".repeat(super::super::yaml::MAX_NODES));
        assert!(matches!(parse(&big), Err(NotRead::TooBig(_))));
    }
}
