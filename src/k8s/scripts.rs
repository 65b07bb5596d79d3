//! Secrets given on a command line in scripts and CI files: `helm … --set db.password=pw`,
//! `kubectl create secret … --from-literal=password=pw`, and in shell scripts any
//! secret-named flag (`--docker-password pw`). Shell references (`$PW`, `"$(openssl rand …)"`)
//! are what the policy's dev-secrets script does, and are safe.

use std::ops::Range;

use super::classify::{KeyClass, key_class, looks_like_name, plainly_not_secret};
use super::inner::{flag_secrets, tokens};
use super::judge::{judge, judge_secret};
use super::{Hit, bounded, rule};
use crate::finding::Severity;

const SET_FLAGS: &[&str] = &["--set-string", "--set", "--helm-set-string", "--helm-set"];

/// `--set` and `--from-literal` anywhere in the text.
pub fn scan(text: &str, out: &mut Vec<Hit>) {
    for flag in SET_FLAGS {
        for at in occurrences(text, flag) {
            helm_set(text, at + flag.len(), out);
        }
    }
    for at in occurrences(text, "--from-literal") {
        from_literal(text, at + "--from-literal".len(), out);
    }
}

/// Secret-named flags, line by line, in shell scripts.
pub fn flags(text: &str, out: &mut Vec<Hit>) {
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        for found in flag_secrets(&tokens(&[line])) {
            let span = start + found.range.start..start + found.range.end;
            out.push(hit(
                rule::ARG,
                span,
                &line[found.range],
                found.flag,
                found.class == super::classify::ValueClass::Weak,
            ));
        }
        start += line.len();
    }
}

/// Offsets of `needle` followed by `=` or whitespace (so `--set` does not match `--set-file`).
fn occurrences<'a>(text: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    memchr::memmem::find_iter(text.as_bytes(), needle.as_bytes()).filter(move |&at| {
        let next = text
            .as_bytes()
            .get(at + needle.len())
            .copied()
            .unwrap_or(b'\n');
        next == b'=' || next == b' ' || next == b'\t'
    })
}

/// The argument after a flag: its range, without quotes.
fn argument(text: &str, mut at: usize) -> Range<usize> {
    let bytes = text.as_bytes();
    if bytes.get(at) == Some(&b'=') {
        at += 1;
    }
    while bytes.get(at).is_some_and(|b| *b == b' ' || *b == b'\t') {
        at += 1;
    }
    match bytes.get(at) {
        Some(q @ (b'"' | b'\'')) => {
            let end = text[at + 1..]
                .find(*q as char)
                .map_or(text.len(), |e| at + 1 + e);
            at + 1..end.min(line_end(text, at))
        }
        _ => {
            let end = text[at..]
                .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '\\')
                .map_or(text.len(), |e| at + e);
            at..end
        }
    }
}

fn line_end(text: &str, at: usize) -> usize {
    memchr::memchr(b'\n', &text.as_bytes()[at..]).map_or(text.len(), |n| at + n)
}

fn helm_set(text: &str, at: usize, out: &mut Vec<Hit>) {
    let arg = argument(text, at);
    let mut start = arg.start;
    for part in text[arg.clone()].split(',') {
        if let Some((key, value)) = part.split_once('=') {
            let value_start = start + key.len() + 1;
            let class = key_class(key);
            let named = class == KeyClass::Ambiguous && looks_like_name(value);
            if let Some(j) = judge(key, value).filter(|_| !named) {
                let span = value_start + j.range.start..value_start + j.range.end;
                out.push(hit(
                    rule::HELM_SET,
                    span,
                    &value[j.range],
                    key.to_string(),
                    j.weak,
                ));
            }
        }
        start += part.len() + 1;
    }
}

fn from_literal(text: &str, at: usize, out: &mut Vec<Hit>) {
    let arg = argument(text, at);
    let Some((key, _)) = text[arg.clone()].split_once('=') else {
        return;
    };
    let value_at = arg.start + key.len() + 1;
    let value = argument(text, value_at - 1);
    if plainly_not_secret(key) {
        return;
    }
    if let Some(j) = judge_secret(&text[value.clone()]) {
        let span = value.start + j.range.start..value.start + j.range.end;
        out.push(hit(
            rule::KUBECTL,
            span.clone(),
            &text[span],
            key.to_string(),
            j.weak,
        ));
    }
}

fn hit(
    rule_id: &'static str,
    span: Range<usize>,
    secret: &str,
    key_path: String,
    weak: bool,
) -> Hit {
    Hit {
        rule_id,
        span,
        secret: secret.to_string(),
        key_path: Some(bounded(&key_path).into_owned()),
        severity: weak.then_some(Severity::Warning),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        scan(text, &mut out);
        out.iter()
            .map(|h| (h.rule_id, &text[h.span.clone()]))
            .collect()
    }

    #[test]
    fn helm_and_kubectl() {
        let t = "helm upgrade app ./chart --set image.tag=1.2,db.password=Qw7rTz9k \\\n  --set-string auth.existingSecret=db-creds\n";
        assert_eq!(found(t), [(rule::HELM_SET, "Qw7rTz9k")]);
        let t = "kubectl create secret generic db --from-literal=username=app --from-literal=password='Qw7rTz9k'\n"; // leakhound:allow
        assert_eq!(found(t), [(rule::KUBECTL, "Qw7rTz9k")]);
        let t = "kubectl create secret generic db --from-literal=password=\"$(openssl rand -hex 16)\" --set-file x=y\n";
        assert!(found(t).is_empty());
        let t = "helm install x --set auth.password=$DB_PASSWORD\n";
        assert!(found(t).is_empty());
    }
}
