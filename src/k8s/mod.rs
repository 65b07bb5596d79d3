//! The Kubernetes and Helm analyzer: judges (key path, value) pairs in YAML, JSON, compose and
//! `.env` files by structure, so a low-entropy literal password under a secret-named key is
//! caught where a generic scanner sees nothing, and a reference (`secretKeyRef`,
//! `existingSecret`, `{{ .Values.x }}`, `$(DB_PASSWORD)`) is not reported. Files are parsed
//! as YAML where they can be (Helm templates with their actions masked) and read line by line
//! where they cannot, so broken or hostile YAML never stops the scan.

mod block;
mod classify;
mod inner;
mod json;
mod judge;
mod lines;
#[cfg(test)]
mod proptests;
mod scripts;
mod template;
mod walk;
mod yaml;

use std::borrow::Cow;
use std::ops::Range;

use crate::finding::Severity;

/// The rule ids the analyzer reports under, defined in `rules/kubernetes.toml`.
pub mod rule {
    pub const LITERAL: &str = "k8s-literal-secret";
    pub const ENV: &str = "k8s-env-literal-secret";
    pub const SECRET_MANIFEST: &str = "k8s-secret-manifest";
    pub const CONNECTION: &str = "k8s-connection-string";
    pub const ARG: &str = "k8s-command-line-secret";
    pub const EMBEDDED: &str = "k8s-embedded-config-secret";
    pub const KUSTOMIZE: &str = "kustomize-secret-literal";
    pub const TEMPLATE_DEFAULT: &str = "helm-template-default-secret";
    pub const COMPOSE: &str = "compose-env-secret";
    pub const DOTENV: &str = "dotenv-secret";
    pub const HELM_SET: &str = "helm-set-secret";
    pub const KUBECTL: &str = "kubectl-literal-secret";
}

/// One plaintext secret the analyzer found.
#[derive(Clone, Debug)]
pub struct Hit {
    /// The id of a rule in `rules/kubernetes.toml`.
    pub rule_id: &'static str,
    /// Byte range of the value in the blob.
    pub span: Range<usize>,
    pub secret: String,
    pub key_path: Option<String>,
    pub severity: Option<Severity>,
}

#[derive(Debug, Default)]
pub struct Analysis {
    pub hits: Vec<Hit>,
    /// Byte ranges of values the analyzer read and judged not to be secrets (`existingSecret:
    /// db-creds`, a SealedSecret's ciphertext): a generic assignment rule matching there is a
    /// false alarm the structure has already ruled out.
    pub cleared: Vec<Range<usize>>,
    /// What could not be parsed (reported with `-v`; the file is still scanned by the rules).
    #[allow(dead_code)] // printed once the engine passes notes on
    pub warnings: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum FileKind {
    Yaml,
    DotEnv,
    Script,
}

fn file_kind(path: &str) -> Option<FileKind> {
    // Standard input has no name; what is piped in is most often a values file or a
    // manifest (`helm template … | leakhound scan -`). Text that is not YAML is read line by line.
    if path == "-" {
        return Some(FileKind::Yaml);
    }
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    if name == ".env" || name.starts_with(".env.") || ext == "env" {
        return Some(FileKind::DotEnv);
    }
    match ext {
        "yaml" | "yml" | "json" | "tpl" | "gotmpl" => Some(FileKind::Yaml),
        "sh" | "bash" | "zsh" | "ps1" | "mk" => Some(FileKind::Script),
        _ if matches!(
            name.as_str(),
            "makefile" | "dockerfile" | "jenkinsfile" | "justfile"
        ) =>
        {
            Some(FileKind::Script)
        }
        _ => None,
    }
}

/// Files meant to be copied and filled in (`.env.example`, `values.sample.yaml`): their
/// well-known defaults are instructions, not passwords in use.
fn is_example(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    ["example", "sample", "template", ".dist", "skeleton"]
        .iter()
        .any(|w| name.contains(w))
}

/// Whether the analyzer has anything to say about a file of this name.
pub fn applies(path: &str) -> bool {
    file_kind(path).is_some()
}

/// Everything the analyzer reads from a path: two paths with the same profile get the same
/// verdicts for the same bytes, so a blob is analyzed once per profile, not once per path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Profile {
    kind: FileKind,
    example: bool,
    translation: bool,
    facts: walk::FileFacts,
}

/// The profile of a path, or `None` when the analyzer does not read such files.
pub fn profile(path: &str) -> Option<Profile> {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if not_deployment_config(path, &name) {
        return None;
    }
    // CI workflows are read for their command lines (`helm --set`, `kubectl
    // --from-literal`), not judged key by key: `secrets: inherit` is not a secret.
    let kind = if is_ci_workflow(path, &name) {
        FileKind::Script
    } else {
        file_kind(path)?
    };
    Some(Profile {
        kind,
        example: is_example(path),
        translation: is_translation(path),
        facts: walk::FileFacts {
            compose: name.contains("compose"),
            kustomization: name.starts_with("kustomization."),
        },
    })
}

/// YAML and JSON that is not deployment configuration: CI workflows (`secrets: inherit`,
/// `id-token: write`), lockfiles and package manifests (`"js-tokens": "^4.0.0"`; an Ansible
/// collection's `FILES.json`, the name and checksum of each of its files), changelogs,
/// API descriptions. The regex rules still read them; the analyzer, which judges keys by
/// name, would only misread them.
fn not_deployment_config(path: &str, name: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let in_dir = |d: &str| lower.starts_with(d) || lower.contains(&format!("/{d}"));
    (in_dir(".github/") && !is_ci_workflow(path, name))
        || in_dir("changelogs/")
        || name == "package.json"
        || name == "composer.json"
        || name == "files.json"
        || name == "tsconfig.json"
        || is_lockfile(name)
        || name.starts_with("changelog")
        || name.starts_with(".pre-commit")
        || name.starts_with("openapi")
        || name.starts_with("swagger")
}

/// Package-manager lockfiles the analyzer would read (JSON or YAML): by their exact names and
/// the `.lock` suffix, so that `block.yaml` or `redis-lock.yaml` are still judged.
fn is_lockfile(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.ends_with(".lock")
        || name.ends_with(".lock.json")
        || matches!(
            name.as_str(),
            "package-lock.json" | "npm-shrinkwrap.json" | "pnpm-lock.yaml" | "bun.lock"
        )
}

fn is_ci_workflow(path: &str, name: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    yaml && (lower.starts_with(".github/workflows/")
        || lower.contains("/.github/workflows/")
        || lower.starts_with(".circleci/")
        || lower.contains("/.circleci/")
        || name == ".gitlab-ci.yml"
        || name == "azure-pipelines.yml"
        || name == "bitbucket-pipelines.yml")
}

/// Translations hold the *word* "password" in every language, never one.
fn is_translation(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [
        "locales/",
        "locale/",
        "i18n/",
        "translations/",
        "lang/",
        "l10n/",
    ]
    .iter()
    .any(|d| lower.starts_with(d) || lower.contains(&format!("/{d}")))
}

pub fn analyze(path: &str, bytes: &[u8]) -> Analysis {
    match profile(path) {
        Some(profile) => analyze_as(profile, path, bytes, true),
        None => Analysis::default(),
    }
}

/// Analyzes `bytes` as a file of this profile; `path` names the file in warnings.
///
/// `cleared_wanted` says whether the caller will use [`Analysis::cleared`] (a generic rule
/// matched in the file). Without it, a YAML or JSON file that holds none of the words every
/// finding of the analyzer needs (see [`may_hold_findings`]) is not parsed: most of a chart's
/// templates (`service.yaml`, `ingress.yaml`) hold none, and parsing is most of the analyzer's
/// time.
pub fn analyze_as(profile: Profile, path: &str, bytes: &[u8], cleared_wanted: bool) -> Analysis {
    let mut analysis = Analysis::default();
    if profile.translation {
        return analysis;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return analysis;
    };
    match profile.kind {
        FileKind::DotEnv => dotenv(text, &mut analysis.hits),
        FileKind::Script => {
            scripts::scan(text, &mut analysis.hits);
            scripts::flags(text, &mut analysis.hits);
        }
        FileKind::Yaml => {
            if cleared_wanted || may_hold_findings(text) {
                yaml_file(path, profile.facts, text, cleared_wanted, &mut analysis);
            }
            scripts::scan(text, &mut analysis.hits);
        }
    }
    if profile.example {
        analysis.hits.retain(|h| h.severity.is_none());
    }
    analysis
}

/// Whether a YAML or JSON text can hold anything its structure makes a finding: every one
/// needs, somewhere in the text, a word a secret-holding key or flag is made of (a key's words
/// are ASCII letters of the key, so the key holds them, in some case: `password`, `DB_PWD`,
/// `apiKey`, `authToken`, `tlsSecret`, `credentials`, `erlangCookie`, `--requirepass`,
/// `masterauth`; `auth` alone only qualifies `…Secret` and `…Key`), a connection string's
/// (`://`, `@tcp(`, `@unix(`; `Password=` and `AccountKey=` hold words above), or `Secret` (a
/// `Secret`'s or `secretGenerator`'s values need no key name). Resources that only reference
/// secrets (`VaultConnection`) yield no finding, only cleared values, which the caller wants
/// whenever a generic rule matched. The one way a parsed value spells what its text does not
/// is an escape (`"p\x61ss"`, JSON's `\u0070`) or a line joined at a trailing backslash: a
/// text with one is always parsed. The property test `skipping_files_without_finding_words_is_silent`
/// checks that the hits are the same either way, and `every_finding_word_is_needed` that each
/// word is needed.
fn may_hold_findings(text: &str) -> bool {
    use aho_corasick::AhoCorasick;
    use std::sync::LazyLock;
    static WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(FINDING_WORDS)
            .expect("a few fixed words")
    });
    WORDS.is_match(text)
}

/// See [`may_hold_findings`].
const FINDING_WORDS: &[&str] = &[
    "pass",
    "pw",
    "token",
    "masterauth",
    "key",
    "secret",
    "cred",
    "cookie",
    "://",
    "@tcp(",
    "@unix(",
    "\\x",
    "\\u",
    "\\\n",
    "\\\r",
];

fn dotenv(text: &str, out: &mut Vec<Hit>) {
    for pair in lines::env_pairs(text, 0..text.len()) {
        push_pair(&pair, rule::DOTENV, || bounded(pair.key).into_owned(), out);
    }
}

/// Judges a pair read line by line; its key path is rendered only if it is reported.
fn push_pair(
    pair: &lines::Pair,
    literal_rule: &'static str,
    key_path: impl FnOnce() -> String,
    out: &mut Vec<Hit>,
) {
    let Some(j) = judge::judge(pair.key, pair.value) else {
        return;
    };
    let rule_id = match j.what {
        judge::What::Literal => literal_rule,
        judge::What::Connection => rule::CONNECTION,
        judge::What::TemplateDefault => rule::TEMPLATE_DEFAULT,
        judge::What::Flag => rule::ARG,
    };
    out.push(Hit {
        rule_id,
        span: pair.span.start + j.range.start..pair.span.start + j.range.end,
        secret: pair.value[j.range].to_string(),
        key_path: Some(key_path()),
        severity: j.weak.then_some(Severity::Warning),
    });
}

/// Longest key kept whole in a key path, in bytes. Hostile YAML can use a megabyte as a key;
/// copied into the key path of every pair beneath it, it would cost gigabytes and fill the
/// report. Past this a key is cut, marked with `…`.
const MAX_SEGMENT: usize = 200;

/// A key as it goes into a key path: whole, or its first [`MAX_SEGMENT`] bytes and `…`.
fn bounded(key: &str) -> Cow<'_, str> {
    if key.len() <= MAX_SEGMENT {
        return Cow::Borrowed(key);
    }
    let mut cut = MAX_SEGMENT;
    while !key.is_char_boundary(cut) {
        cut -= 1;
    }
    Cow::Owned(format!("{}…", &key[..cut]))
}

/// Longest key path reported, in bytes: deep paths of long keys keep their start and end.
const MAX_PATH: usize = 512;

/// A key path cut to [`MAX_PATH`] bytes in its middle, marked with `…`.
fn clip(path: String) -> String {
    if path.len() <= MAX_PATH {
        return path;
    }
    let mut head = MAX_PATH / 4;
    while !path.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = path.len() - (MAX_PATH - head - '…'.len_utf8());
    while !path.is_char_boundary(tail) {
        tail += 1;
    }
    format!("{}…{}", &path[..head], &path[tail..])
}

fn yaml_file(
    path: &str,
    facts: walk::FileFacts,
    text: &str,
    cleared_wanted: bool,
    analysis: &mut Analysis,
) {
    let masked = template::mask(text);
    let (parse_text, masks): (Cow<str>, &[Range<usize>]) = match &masked {
        Some(m) => (Cow::Borrowed(m.text.as_str()), &m.masks),
        None => (Cow::Borrowed(text), &[]),
    };
    let mut walker = walk::Walker::new(text, masks, facts, cleared_wanted);
    let mut uncommented = None;
    let result = match structure(&parse_text, &mut uncommented) {
        Ok(root) => {
            walker.document(&root);
            Ok(())
        }
        Err(json::NotRead::TooBig(message)) => Err(yaml::Failure {
            doc_start: 0,
            message,
        }),
        Err(json::NotRead::NotJson) => yaml::parse(&parse_text, text, |doc| walker.document(&doc)),
    };
    analysis.hits.append(&mut walker.hits);
    analysis.cleared.append(&mut walker.cleared);
    if let Err(failure) = result {
        let line = text[..failure.doc_start].matches('\n').count() + 1;
        analysis.warnings.push(format!(
            "{path}: not valid YAML ({}); read line by line from line {line}",
            failure.message
        ));
        line_wise(text, failure.doc_start..text.len(), &mut analysis.hits);
    }
}

/// The tree of a text that is JSON, read without the YAML scanner's buffering (see
/// [`json`]); `NotJson` for anything else.
/// `uncommented` holds the text with its comments blanked, where it has comments: the tree
/// borrows from it.
fn structure<'t>(
    text: &'t str,
    uncommented: &'t mut Option<String>,
) -> Result<yaml::Node<'t>, json::NotRead> {
    if !json::looks_like_json(text) {
        return Err(json::NotRead::NotJson);
    }
    *uncommented = blank_comments(text);
    match uncommented {
        Some(plain) => json::parse(plain),
        None => json::parse(text),
    }
}

/// JSON with comments (`appsettings.json`, `tsconfig.json`, VS Code settings): `//` and
/// `/* */` comments outside strings replaced by spaces, so positions stay where they were and
/// comment text never becomes a key. `None` when there is no comment.
fn blank_comments(text: &str) -> Option<String> {
    if !text.contains("//") && !text.contains("/*") {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let (mut i, mut in_string, mut found) = (0, false, false);
    while i < bytes.len() {
        match (in_string, bytes[i], bytes.get(i + 1)) {
            (true, b'\\', _) => i += 1,
            (_, b'"', _) => in_string = !in_string,
            (false, b'/', Some(b'/')) => {
                found = true;
                while i < bytes.len() && bytes[i] != b'\n' {
                    out[i] = b' ';
                    i += 1;
                }
                continue;
            }
            (false, b'/', Some(b'*')) => {
                found = true;
                let end = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |e| i + 2 + e + 2);
                for b in &mut out[i..end] {
                    if *b != b'\n' {
                        *b = b' ';
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    // Only ASCII bytes outside strings were replaced, so the text is still UTF-8.
    found.then(|| String::from_utf8(out).expect("comments blanked byte for byte"))
}

/// The fallback for YAML that does not parse.
fn line_wise(text: &str, range: Range<usize>, out: &mut Vec<Hit>) {
    lines::yaml_pairs(text, range, |pair, path| {
        let rule_id = if pair.env {
            rule::ENV
        } else if path.environment() {
            rule::COMPOSE
        } else {
            rule::LITERAL
        };
        push_pair(pair, rule_id, || path.render(), out);
    });
}

/// Helm templates and helpers: expected not to parse as YAML, so their line-wise reading is
/// not worth a warning.
pub fn is_template_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    let ends = |s: &str| {
        bytes.len() >= s.len() && bytes[bytes.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes())
    };
    let at =
        |i: usize| bytes[i..].len() >= 10 && bytes[i..i + 10].eq_ignore_ascii_case(b"templates/");
    ends(".tpl") || ends(".gotmpl") || at(0) || memchr::memchr_iter(b'/', bytes).any(|i| at(i + 1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn template_paths_in_any_case() {
        for (path, template) in [
            ("templates/deploy.yaml", true),
            ("chart/Templates/x.yaml", true),
            ("a/_helpers.TPL", true),
            ("values.gotmpl", true),
            ("templates", false),
            ("mytemplates/x.yaml", false),
            ("chart/templates.yaml", false),
            ("values.yaml", false),
        ] {
            assert_eq!(super::is_template_path(path), template, "{path}");
        }
    }

    /// Package manifests are not deployment configuration: the analyzer does not read them
    /// (the rules still do). An Ansible collection's `FILES.json` is generated with every
    /// release, a checksum for each file, and was two thirds of the bytes of a history of
    /// Ansible collections; `files.yaml` is still judged.
    #[test]
    fn package_manifests_are_not_analyzed() {
        for path in [
            "ansible_collections/ns/col/FILES.json",
            "web/package.json",
            "composer.json",
        ] {
            assert_eq!(super::profile(path), None, "{path}");
        }
        for path in [
            "deploy/files.yaml",
            "files/config.json",
            "FILES.json.d/x.yaml",
        ] {
            assert!(super::profile(path).is_some(), "{path}");
        }
    }

    /// Lockfiles are skipped by name; YAML that merely has "lock" in its name is judged.
    #[test]
    fn lockfiles_by_name() {
        for name in [
            "package-lock.json",
            "pnpm-lock.yaml",
            "composer.lock",
            "flake.lock",
            "packages.lock.json",
        ] {
            assert!(super::is_lockfile(name), "{name}");
        }
        for name in [
            "block.yaml",
            "clock.yaml",
            "redis-lock.yaml",
            "values-unlock.yaml",
        ] {
            assert!(!super::is_lockfile(name), "{name}");
        }
    }
}
