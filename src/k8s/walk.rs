//! Walks a parsed YAML/JSON document with its key path and judges what it finds by where it
//! is: a Helm value, an env entry (`name`/`value`), a container command line, a `Secret`'s
//! `data`/`stringData`, a compose `environment:`, a kustomize `secretGenerator`, a config file
//! embedded in a block scalar. Resources that only reference secrets (`ExternalSecret`,
//! `SealedSecret`, `SecretStore`, …) and a SOPS file's `sops:` block are not judged.

use std::borrow::Cow;
use std::ops::Range;

use base64::Engine as _;

use super::classify::plainly_not_secret;
use super::inner::{connection_password, flag_secrets, tokens};
use super::judge::{Judged, What, judge, judge_secret};
use super::lines::config_pairs;
use super::yaml::{Node, Scalar};
use super::{Hit, bounded, clip, rule};
use crate::finding::Severity;

/// Kinds whose content references secrets held elsewhere, or holds them encrypted.
const REFERENCE_KINDS: &[&str] = &[
    "ExternalSecret",
    "ClusterExternalSecret",
    "SecretStore",
    "ClusterSecretStore",
    "PushSecret",
    "SealedSecret",
    "SecretProviderClass",
    "VaultStaticSecret",
    "VaultDynamicSecret",
    "VaultAuth",
    "VaultConnection",
    "OnePasswordItem",
    "InfisicalSecret",
    "DopplerSecret",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Secret,
    Kustomization,
}

#[derive(Clone, Copy)]
struct Ctx {
    kind: Kind,
    /// The rule a literal under a secret-named key is reported as here.
    literal_rule: &'static str,
    compose: bool,
}

#[derive(Clone)]
enum Seg {
    /// A key spelled in the text as it is, at these bytes: most keys, named without a copy.
    At(Range<usize>),
    /// A key the text spells otherwise (quoted with escapes, under a template's mask) or too
    /// long to keep whole.
    Key(String),
    Index(usize),
}

/// What is known about the file before its content is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileFacts {
    pub compose: bool,
    pub kustomization: bool,
}

pub struct Walker<'a> {
    text: &'a str,
    /// Byte ranges of `{{ }}` masked before parsing (Helm templates).
    masks: &'a [Range<usize>],
    facts: FileFacts,
    path: Vec<Seg>,
    pub hits: Vec<Hit>,
    /// Single-token values judged safe (see `Analysis::cleared`).
    pub cleared: Vec<Range<usize>>,
    /// Whether the caller uses `cleared`: a file where no generic rule matched has nothing
    /// to drop, and most values of a JSON manifest would be recorded for nothing.
    clearing: bool,
}

impl<'a> Walker<'a> {
    pub fn new(
        text: &'a str,
        masks: &'a [Range<usize>],
        facts: FileFacts,
        clearing: bool,
    ) -> Walker<'a> {
        Walker {
            text,
            masks,
            facts,
            path: Vec::new(),
            hits: Vec::new(),
            cleared: Vec::new(),
            clearing,
        }
    }

    /// Judges one document.
    pub fn document(&mut self, root: &Node) {
        let compose = self.facts.compose || is_compose(root);
        let kind = if self.facts.kustomization {
            Kind::Kustomization
        } else {
            Kind::Plain
        };
        let ctx = Ctx {
            kind,
            literal_rule: rule::LITERAL,
            compose,
        };
        self.path.clear();
        self.node(root, ctx);
    }

    fn node(&mut self, node: &Node, ctx: Ctx) {
        match node {
            Node::Map(entries) => self.map(entries, ctx),
            Node::Seq(items) => self.seq(None, items, ctx),
            _ => {}
        }
    }

    fn map(&mut self, entries: &[(Node, Node)], mut ctx: Ctx) {
        let resource = resource_kind(entries);
        match resource {
            Some(k) if REFERENCE_KINDS.contains(&k) => return self.clear_all(entries),
            Some("Secret") => ctx.kind = Kind::Secret,
            Some("Kustomization") => ctx.kind = Kind::Kustomization,
            Some(_) => ctx.kind = Kind::Plain,
            None => {}
        }
        let env_entry = self.env_entry(entries, ctx);
        for (key, value) in entries {
            let Node::Scalar(key_node) = key else {
                continue;
            };
            let key = &*key_node.value;
            let skip = key == "<<"
                || (self.path.is_empty() && key == "sops")
                || (env_entry && key == "value");
            if skip {
                continue;
            }
            self.path.push(self.segment(key_node));
            if resource == Some("Secret") && matches!(key, "data" | "stringData") {
                self.secret_data(value, key == "data");
            } else {
                self.entry(key, value, ctx);
            }
            self.path.pop();
        }
    }

    fn entry(&mut self, key: &str, value: &Node, ctx: Ctx) {
        let child = Ctx {
            literal_rule: if ctx.compose && key == "environment" {
                rule::COMPOSE
            } else {
                ctx.literal_rule
            },
            ..ctx
        };
        match value {
            Node::Scalar(s) if is_command(key) => self.command(&[(0, s)], false),
            Node::Scalar(s) => self.pair(key, s, ctx.literal_rule),
            Node::Seq(items) => self.seq(Some(key), items, child),
            Node::Map(entries) => self.map(entries, child),
            Node::Other => {}
        }
    }

    fn seq(&mut self, key: Option<&str>, items: &[Node], ctx: Ctx) {
        match key {
            Some(k) if is_command(k) => return self.command(&strings(items), true),
            Some("environment") => return self.assignments(items, ctx.literal_rule, false),
            Some("literals") if ctx.kind == Kind::Kustomization => {
                let secret = self
                    .path
                    .iter()
                    .any(|s| self.key_of(s) == Some("secretGenerator"));
                return self.assignments(items, rule::KUSTOMIZE, secret);
            }
            _ => {}
        }
        let holder =
            key.is_some_and(|k| super::classify::key_class(k) == super::classify::KeyClass::Holder);
        for (i, item) in items.iter().enumerate() {
            self.path.push(Seg::Index(i));
            match item {
                Node::Scalar(s) if holder => self.pair(key.unwrap_or(""), s, ctx.literal_rule),
                Node::Scalar(s) => self.connection_only(s),
                other => self.node(other, ctx),
            }
            self.path.pop();
        }
    }

    /// A `name`/`value` map (container `env`, `extraEnv`, Argo CD `helm.parameters`, helmfile
    /// `set`): judged as the pair (name, value), reported at the value.
    fn env_entry(&mut self, entries: &[(Node, Node)], ctx: Ctx) -> bool {
        let name = entries
            .iter()
            .find(|(k, _)| k.as_str() == Some("name"))
            .and_then(|(_, v)| v.as_str());
        let value = entries
            .iter()
            .find(|(k, _)| k.as_str() == Some("value"))
            .map(|(_, v)| v);
        let (Some(name), Some(Node::Scalar(value))) = (name, value) else {
            return false;
        };
        self.path.push(Seg::Key("value".into()));
        let rule = if ctx.literal_rule == rule::LITERAL {
            rule::ENV
        } else {
            ctx.literal_rule
        };
        self.pair(name, value, rule);
        self.path.pop();
        true
    }

    /// A scalar under a key: a secret-named literal, a connection string, an options string,
    /// or an embedded config file.
    fn pair(&mut self, key: &str, s: &Scalar, literal_rule: &'static str) {
        if !s.is_string {
            return;
        }
        let text = self.value_text(s);
        if s.block && text.trim().contains('\n') && !is_holder(key) {
            return self.embedded(s);
        }
        match judge(key, &text) {
            Some(j) => self.report(s, &text, j, literal_rule),
            None => self.clear(s, &text),
        }
    }

    /// Records a value judged safe, when it is one token (a name, a reference, ciphertext):
    /// values holding assignments are left to the other rules, and so are references with a
    /// default (`${DB_PASSWORD:…}`, Spring's and the shell's), whose default is a literal that
    /// runs wherever the variable is unset (`generic-env-fallback` judges it).
    fn clear(&mut self, s: &Scalar, text: &str) {
        if !self.clearing {
            return;
        }
        let token = !has_white_space(text)
            && !text.trim_end_matches('=').contains('=')
            && !super::classify::has_default(text);
        if token {
            self.cleared.push(s.span.clone());
        }
    }

    /// Every value of a resource that only references secrets, or holds them encrypted.
    fn clear_all(&mut self, entries: &[(Node, Node)]) {
        for (_, value) in entries {
            match value {
                Node::Scalar(s) => self.clear(s, &s.value),
                Node::Map(inner) => self.clear_all(inner),
                Node::Seq(items) => {
                    for item in items {
                        match item {
                            Node::Scalar(s) => self.clear(s, &s.value),
                            Node::Map(inner) => self.clear_all(inner),
                            _ => {}
                        }
                    }
                }
                Node::Other => {}
            }
        }
    }

    fn connection_only(&mut self, s: &Scalar) {
        let text = self.value_text(s);
        if let Some((range, class)) = connection_password(&text) {
            let weak = class == super::classify::ValueClass::Weak;
            self.report(
                s,
                &text,
                Judged {
                    range,
                    what: What::Connection,
                    weak,
                },
                rule::CONNECTION,
            );
        }
    }

    /// `command:` / `args:` items: secret-named flags and connection strings.
    fn command(&mut self, items: &[(usize, &Scalar)], indexed: bool) {
        let texts: Vec<String> = items
            .iter()
            .map(|(_, s)| self.value_text(s).into_owned())
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        for found in flag_secrets(&tokens(&refs)) {
            let (index, s) = items[found.item];
            let weak = found.class == super::classify::ValueClass::Weak;
            let j = Judged {
                range: found.range,
                what: What::Flag,
                weak,
            };
            self.with_index(indexed.then_some(index), |w| {
                w.report(s, refs[found.item], j, rule::ARG)
            });
        }
        for (index, s) in items {
            self.with_index(indexed.then_some(*index), |w| w.connection_only(s));
        }
    }

    fn with_index(&mut self, index: Option<usize>, f: impl FnOnce(&mut Self)) {
        if let Some(i) = index {
            self.path.push(Seg::Index(i));
        }
        f(self);
        if index.is_some() {
            self.path.pop();
        }
    }

    /// `KEY=value` items: a compose `environment:` list or kustomize `literals`. With
    /// `secret`, every key but a plainly harmless one holds a secret (a `secretGenerator`).
    fn assignments(&mut self, items: &[Node], rule: &'static str, secret: bool) {
        for (i, item) in items.iter().enumerate() {
            let Node::Scalar(s) = item else { continue };
            let text = self.value_text(s).into_owned();
            let Some((key, value)) = text.split_once('=') else {
                continue;
            };
            let judged = if secret && !plainly_not_secret(key) {
                judge_secret(value)
            } else {
                judge(key, value)
            };
            if let Some(mut j) = judged {
                j.range = j.range.start + key.len() + 1..j.range.end + key.len() + 1;
                self.path.push(Seg::Index(i));
                self.report(s, &text, j, rule);
                self.path.pop();
            }
        }
    }

    /// A `Secret`'s `data` (base64, decoded per key) or `stringData`: every non-empty literal
    /// value is a committed secret.
    fn secret_data(&mut self, node: &Node, base64: bool) {
        let Node::Map(entries) = node else { return };
        for (key, value) in entries {
            let (Node::Scalar(key_node), Node::Scalar(s)) = (key, value) else {
                continue;
            };
            let key = &*key_node.value;
            if plainly_not_secret(key) {
                continue;
            }
            self.path.push(self.segment(key_node));
            let text = self.value_text(s).into_owned();
            let judged = if base64 {
                judge_base64(key, &text)
            } else {
                judge_secret(&text)
            };
            if let Some(j) = judged {
                self.report(s, &text, j, rule::SECRET_MANIFEST);
            }
            self.path.pop();
        }
    }

    /// A config file in a block scalar, read line by line.
    fn embedded(&mut self, s: &Scalar) {
        let text = self.text;
        for pair in config_pairs(text, s.span.clone()) {
            if let Some(j) = judge(pair.key, pair.value) {
                let span = pair.span.start + j.range.start..pair.span.start + j.range.end;
                let path = clip(format!("{}.{}", self.key_path(), bounded(pair.key)));
                let rule = rule_for(j.what, rule::EMBEDDED);
                self.push(rule, span, &pair.value[j.range.clone()], path, j.weak);
            }
        }
    }

    fn report(&mut self, s: &Scalar, text: &str, j: Judged, literal_rule: &'static str) {
        let span = self.sub_span(s, text, &j.range);
        let rule = rule_for(j.what, literal_rule);
        let path = self.key_path();
        self.push(rule, span, &text[j.range], path, j.weak);
    }

    fn push(
        &mut self,
        rule_id: &'static str,
        span: Range<usize>,
        secret: &str,
        key_path: String,
        weak: bool,
    ) {
        self.hits.push(Hit {
            rule_id,
            span,
            secret: secret.to_string(),
            key_path: Some(key_path),
            severity: weak.then_some(Severity::Warning),
        });
    }

    /// The value as written: the original text where a template was masked.
    fn value_text<'s>(&self, s: &'s Scalar) -> Cow<'s, str>
    where
        'a: 's,
    {
        // Masks are in order and do not overlap: the first one ending after the scalar's start
        // is the only one that can overlap it.
        let first = self.masks.partition_point(|m| m.end <= s.span.start);
        let masked = self.masks.get(first).is_some_and(|m| m.start < s.span.end);
        if masked {
            Cow::Borrowed(&self.text[s.span.clone()])
        } else {
            Cow::Borrowed(&s.value)
        }
    }

    /// Where `text[range]` sits in the file: directly when the source is the value verbatim,
    /// else found by search within the scalar, else the whole scalar.
    fn sub_span(&self, s: &Scalar, text: &str, range: &Range<usize>) -> Range<usize> {
        let source = &self.text[s.span.clone()];
        if source == text {
            return s.span.start + range.start..s.span.start + range.end;
        }
        match source.find(&text[range.clone()]) {
            Some(at) if range.end > range.start => {
                s.span.start + at..s.span.start + at + range.len()
            }
            _ => s.span.clone(),
        }
    }

    /// The key path's segment for a key.
    fn segment(&self, key: &Scalar) -> Seg {
        let name = &*key.value;
        match bounded(name) {
            Cow::Borrowed(_) if self.text.get(key.span.clone()) == Some(name) => {
                Seg::At(key.span.clone())
            }
            bounded => Seg::Key(bounded.into_owned()),
        }
    }

    /// The key a segment names (`None` for a list index).
    fn key_of<'s>(&'s self, seg: &'s Seg) -> Option<&'s str> {
        match seg {
            Seg::At(span) => Some(&self.text[span.clone()]),
            Seg::Key(k) => Some(k),
            Seg::Index(_) => None,
        }
    }

    fn key_path(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            let Some(k) = self.key_of(seg) else {
                if let Seg::Index(i) = seg {
                    out.push_str(&format!("[{i}]"));
                }
                continue;
            };
            if k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            } else {
                out.push_str(&format!("[{k:?}]"));
            }
        }
        clip(out)
    }
}

/// The string scalars of a sequence, with their positions.
fn strings<'n, 't>(items: &'n [Node<'t>]) -> Vec<(usize, &'n Scalar<'t>)> {
    items
        .iter()
        .enumerate()
        .filter_map(|(i, n)| match n {
            Node::Scalar(s) if s.is_string => Some((i, s)),
            _ => None,
        })
        .collect()
}

fn rule_for(what: What, literal_rule: &'static str) -> &'static str {
    match what {
        What::Literal => literal_rule,
        What::Connection => rule::CONNECTION,
        What::TemplateDefault => rule::TEMPLATE_DEFAULT,
        What::Flag => rule::ARG,
    }
}

fn is_holder(key: &str) -> bool {
    super::classify::key_class(key) == super::classify::KeyClass::Holder
}

fn is_command(key: &str) -> bool {
    matches!(key, "command" | "args" | "entrypoint")
}

/// `kind` of a map that is a Kubernetes resource (has `apiVersion` and `kind`).
fn resource_kind<'n>(entries: &'n [(Node<'_>, Node<'_>)]) -> Option<&'n str> {
    let get = |name: &str| {
        entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(name))
            .and_then(|(_, v)| v.as_str())
    };
    get("apiVersion")?;
    get("kind")
}

/// A compose file: top-level `services` whose entries have an `image` or `build`.
fn is_compose(root: &Node) -> bool {
    let Some(Node::Map(services)) = root.get("services") else {
        return false;
    };
    services
        .iter()
        .any(|(_, s)| s.get("image").is_some() || s.get("build").is_some())
}

/// A `data` value: decoded from base64; a docker config is a secret when it carries an `auth`
/// or `password`. A value that is not base64 is judged as written.
fn judge_base64(key: &str, text: &str) -> Option<Judged> {
    let outer = judge_secret(text)?;
    if outer.what != What::Literal {
        return Some(outer);
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(compact) else {
        return Some(outer);
    };
    let decoded = String::from_utf8_lossy(&bytes);
    let secretive = if key.starts_with(".docker") {
        docker_has_auth(&decoded)
    } else {
        judge_secret(&decoded).map(|j| j.weak)
    };
    secretive.map(|weak| Judged { weak, ..outer })
}

/// Some(false) when a docker config JSON holds credentials.
fn docker_has_auth(json: &str) -> Option<bool> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let auths = value.get("auths").unwrap_or(&value).as_object()?;
    auths
        .values()
        .any(|a| {
            ["auth", "password", "identitytoken"].iter().any(|k| {
                a.get(k)
                    .and_then(|v| v.as_str())
                    .is_some_and(|v| !v.is_empty())
            })
        })
        .then_some(false)
}

/// `text.contains(char::is_whitespace)`, byte by byte where the text is ASCII (almost every
/// value): the char-by-char search was a twentieth of the analyzer's time.
fn has_white_space(text: &str) -> bool {
    if text.is_ascii() {
        text.bytes().any(crate::rules::window::is_white_space)
    } else {
        text.contains(char::is_whitespace)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn white_space_as_char_is_whitespace_says() {
        for c in (0u8..=127)
            .map(char::from)
            .chain(['\u{a0}', '\u{2003}', 'é'])
        {
            for text in [format!("{c}"), format!("ab{c}cd"), format!("é{c}")] {
                assert_eq!(
                    super::has_white_space(&text),
                    text.contains(char::is_whitespace),
                    "{text:?}"
                );
            }
        }
    }
}
