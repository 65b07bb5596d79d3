//! Property tests of the analyzer on hostile input: random and mutated YAML, JSON, `.env`,
//! Helm templates and scripts must never panic, and what comes out must stay bounded by what
//! went in (hits per word, key path length, a masked template's length). Deterministic by
//! default (a fixed seed, see `cases`); the `long_` variants run the same properties on many
//! more cases: `cargo test --lib -- --ignored long_`.

use proptest::prelude::*;

use super::{MAX_PATH, analyze, analyze_as, may_hold_findings, profile, template};

use crate::proptest_cases::cases;

/// Pieces hostile and ordinary YAML, JSON, templates and `.env` files are made of.
const PIECES: &[&str] = &[
    "\n",
    "\n",
    "\n",
    "  ",
    "    ",
    "\t",
    "- ",
    ": ",
    ":",
    ",",
    "=",
    "#",
    "\"",
    "'",
    "[",
    "]",
    "{",
    "}",
    "{{",
    "}}",
    "{{- if .Values.x }}",
    "{{ .Values.pw | quote }}",
    "{{ default \"pw\" .x }}",
    "|",
    "|-\n",
    ">",
    "&a ",
    "*a",
    "<<: *a",
    "? ",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "!!str ",
    "password",
    "DB_PASSWORD",
    "token",
    "secretKeyRef",
    "existingSecret",
    "name",
    "value",
    "env",
    "environment",
    "command",
    "args",
    "data",
    "stringData",
    "kind: Secret",
    "apiVersion: v1",
    "kind: Kustomization",
    "secretGenerator",
    "literals",
    "services",
    "image: x",
    "sops",
    "--set db.password=",
    "--from-literal=password=",
    "--password ",
    "postgresql://app:",
    "@db:5432/app",
    "Password=",
    "Xq7vL2pwZ9",
    "changeme",
    "hunter2x",
    "ZGF0YQ==",
    "é",
    "…",
    "\u{FEFF}",
    "\r",
    "\\",
    "\\u00e9",
    "0x1F",
    "true",
    "null",
    "1.5e3",
    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
];

/// Files that hold what is worth mutating: each kind the analyzer reads.
const SEEDS: &[&str] = &[
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: Xq7vL2pwZ9\ndata:\n  token: WHE3dkwycHdaOQ==\n",
    "spec:\n  containers:\n    - name: app\n      env:\n        - name: DB_PASSWORD\n          value: \"Xq7vL2pwZ9\"\n        - {name: API_TOKEN, value: tk1}\n      command: [\"redis-server\", \"--requirepass\", \"Qm4tZ8wk\"]\n      args:\n        - --password=Qm4tZ8wk\n",
    "services:\n  db:\n    image: postgres\n    environment:\n      - POSTGRES_PASSWORD=Xq7vL2pwZ9\n      DB_URL: postgresql://app:Qm4tZ8wk@db/app\n",
    "{\"auth\": {\"password\": \"Xq7vL2pwZ9\", \"users\": [{\"name\": \"a\", \"token\": \"Qm4tZ8wkXq\"}]}, \"n\": 1}\n",
    "{{- if .Values.enabled }}\napiVersion: v1\nkind: ConfigMap\ndata:\n  password: {{ .Values.pw | default \"Xq7vL2pwZ9\" }}\n  app.properties: |\n    spring.datasource.password=Qm4tZ8wk\n{{- end }}\n",
    "export DB_PASSWORD='Xq7vL2pwZ9'\n# c\nAPI_TOKEN=Qm4tZ8wk\nURL=postgresql://app:Qm4tZ8wk@db/app\n",
    "helm upgrade app ./chart --set image.tag=1.2,db.password=Qw7rTz9k \\\n  --set-string auth.existingSecret=db-creds\nkubectl create secret generic db --from-literal=password='Qw7rTz9k'\n",
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n  - name: db\n    literals:\n      - password=Xq7vL2pwZ9\n",
];

const NAMES: &[&str] = &[
    "values.yaml",
    "chart/templates/deploy.yaml",
    "config.json",
    "docker-compose.yml",
    "kustomization.yaml",
    ".env",
    "prod.env",
    "helpers.tpl",
    "deploy.sh",
    "Makefile",
    "values.example.yaml",
];

fn pieces() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(PIECES).prop_map(str::to_string),
            1 => "[a-zA-Z0-9_.\\-]{1,12}",
            1 => any::<String>().prop_map(|s| s.chars().take(8).collect()),
        ],
        0..120,
    )
    .prop_map(|p| p.concat())
}

/// One edit of a seed: insert a piece, delete a range, or repeat a range, at a fraction of
/// the text's length (moved back to a character boundary).
#[derive(Clone, Debug)]
enum Edit {
    Insert(f64, String),
    Delete(f64, usize),
    Repeat(f64, usize, usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let at = 0.0..1.0f64;
    prop::collection::vec(
        prop_oneof![
            3 => (at.clone(), pieces()).prop_map(|(a, p)| Edit::Insert(a, p)),
            1 => (at.clone(), 1..40usize).prop_map(|(a, n)| Edit::Delete(a, n)),
            1 => (at, 1..60usize, 1..20usize).prop_map(|(a, n, k)| Edit::Repeat(a, n, k)),
        ],
        1..8,
    )
}

fn boundary(text: &str, at: f64) -> usize {
    let mut i = ((text.len() as f64) * at) as usize;
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(seed: &str, edits: &[Edit]) -> String {
    let mut text = seed.to_string();
    for edit in edits {
        match edit {
            Edit::Insert(at, piece) => text.insert_str(boundary(&text, *at), piece),
            Edit::Delete(at, n) => {
                let start = boundary(&text, *at);
                let end = boundary(
                    &text,
                    (start + n).min(text.len()) as f64 / text.len().max(1) as f64,
                );
                text.replace_range(start..end.max(start), "");
            }
            Edit::Repeat(at, n, k) => {
                let start = boundary(&text, *at);
                let mut end = (start + n).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                let part = text[start..end].repeat(*k);
                text.insert_str(end, &part);
            }
        }
    }
    text
}

fn inputs() -> impl Strategy<Value = (String, String)> {
    let name = prop::sample::select(NAMES).prop_map(str::to_string);
    let mutated = (prop::sample::select(SEEDS), edits()).prop_map(|(s, e)| apply(s, &e));
    (name, prop_oneof![pieces(), mutated])
}

/// Words (runs between whitespace and commas): every hit needs one of its own.
fn words(text: &str) -> usize {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .count()
}

fn check_analysis(name: &str, text: &str) -> Result<(), TestCaseError> {
    let analysis = analyze(name, text.as_bytes());
    prop_assert!(
        analysis.hits.len() <= 3 * (words(text) + 1),
        "{} hits for {} words",
        analysis.hits.len(),
        words(text)
    );
    for hit in &analysis.hits {
        prop_assert!(hit.span.start <= hit.span.end && hit.span.end <= text.len());
        prop_assert!(text.is_char_boundary(hit.span.start) && text.is_char_boundary(hit.span.end));
        let path = hit.key_path.as_deref().unwrap_or("");
        prop_assert!(path.len() <= MAX_PATH, "key path of {} bytes", path.len());
    }
    for range in &analysis.cleared {
        prop_assert!(range.start <= range.end && range.end <= text.len());
        prop_assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
    }
    Ok(())
}

fn check_mask(text: &str) -> Result<(), TestCaseError> {
    let Some(masked) = template::mask(text) else {
        prop_assert!(!text.contains("{{"));
        return Ok(());
    };
    prop_assert_eq!(masked.text.len(), text.len());
    for (a, b) in masked.text.bytes().zip(text.bytes()) {
        prop_assert_eq!(a == b'\n', b == b'\n');
    }
    // Characters stay where they were, except on lines blanked whole.
    for line in masked.text.split_inclusive('\n').scan(0, |at, l| {
        *at += l.len();
        Some(*at - l.len()..*at)
    }) {
        if !masked.text[line.clone()].trim().is_empty() {
            for i in line {
                prop_assert_eq!(masked.text.is_char_boundary(i), text.is_char_boundary(i));
            }
        }
    }
    let mut last = 0;
    for m in &masked.masks {
        prop_assert!(last <= m.start && m.start < m.end && m.end <= text.len());
        prop_assert!(text[m.clone()].starts_with("{{"));
        last = m.end;
    }
    Ok(())
}

fn templates() -> impl Strategy<Value = String> {
    prop_oneof![
        pieces(),
        (prop::sample::select(SEEDS), edits()).prop_map(|(s, e)| apply(s, &e)),
    ]
}

/// Pieces of keys, flags and values that spell the words a finding needs only together, or
/// through an escape or a joined line, or not at all.
const FRAGMENTS: &[&str] = &[
    "pa",
    "ss",
    "p",
    "w",
    "to",
    "ken",
    "ke",
    "y",
    "au",
    "th",
    "se",
    "cret",
    "cr",
    "ed",
    "co",
    "okie",
    "erlang",
    "master",
    "auth",
    "-",
    "_",
    "=",
    "--",
    ":",
    "@",
    "tcp(",
    "unix(",
    "://",
    "\\x61",
    "\\\n",
    "Zq8vLw3rTn5y",
];

/// Documents of every shape the analyzer reads, with keys, flags and values made of
/// [`FRAGMENTS`].
fn disguised() -> impl Strategy<Value = (String, String)> {
    let word =
        || prop::collection::vec(prop::sample::select(FRAGMENTS), 1..6).prop_map(|f| f.concat());
    let shape = 0..7usize;
    let name = prop::sample::select(
        &[
            "values.yaml",
            "config.json",
            "templates/x.yaml",
            "docker-compose.yml",
            "kustomization.yaml",
        ][..],
    );
    (name, shape, word(), word(), word()).prop_map(|(name, shape, k, v, w)| {
        let text = match shape {
            0 => format!("{k}: {v}\n"),
            1 => format!("\"{k}\": \"{v}\"\n"),
            2 => format!("{{\"{k}\": \"{v}\", \"{w}\": [\"{v}\"]}}\n"),
            3 => format!("env:\n  - name: {k}\n    value: \"{v}\"\n"),
            4 => format!("{w}:\n  args: [\"--{k}\", \"{v}\"]\n  {k}: |\n    {w}={v}\n"),
            5 => format!("kind: {w}\n{k}:\n  {v}: Zq8vLw3rTn5y\n  literals:\n    - {k}={v}\n"),
            _ => format!("{k}: \"{v}\\\n  {w}\"\nurl: {w}://{k}:{v}@db\n"),
        };
        (name.to_string(), text)
    })
}

/// Skipping the parse of a file without the words a finding needs ([`may_hold_findings`])
/// changes no finding: the hits are the same whether the cleared values are wanted or not.
fn check_skip_is_silent(name: &str, text: &str) -> Result<(), TestCaseError> {
    let Some(profile) = profile(name) else {
        return Ok(());
    };
    let key = |h: &super::Hit| {
        (
            h.rule_id,
            h.span.clone(),
            h.secret.clone(),
            h.key_path.clone(),
        )
    };
    let full: Vec<_> = analyze_as(profile, name, text.as_bytes(), true)
        .hits
        .iter()
        .map(key)
        .collect();
    let gated: Vec<_> = analyze_as(profile, name, text.as_bytes(), false)
        .hits
        .iter()
        .map(key)
        .collect();
    prop_assert_eq!(
        &full,
        &gated,
        "may_hold_findings: {}",
        may_hold_findings(text)
    );
    Ok(())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn analysis_is_bounded((name, text) in inputs()) {
        check_analysis(&name, &text)?;
    }

    #[test]
    fn masking_keeps_length_and_lines(text in templates()) {
        check_mask(&text)?;
    }
}

proptest! {
    #![proptest_config(cases(4096))]

    #[test]
    fn skipping_files_without_finding_words_is_silent((name, text) in prop_oneof![inputs(), disguised()]) {
        check_skip_is_silent(&name, &text)?;
    }
}

proptest! {
    #![proptest_config(cases(20_000))]

    #[test]
    #[ignore = "long run of analysis_is_bounded"]
    fn long_analysis_is_bounded((name, text) in inputs()) {
        check_analysis(&name, &text)?;
    }

    #[test]
    #[ignore = "long run of skipping_files_without_finding_words_is_silent"]
    fn long_skipping_files_without_finding_words_is_silent((name, text) in prop_oneof![inputs(), disguised()]) {
        check_skip_is_silent(&name, &text)?;
    }

    #[test]
    #[ignore = "long run of masking_keeps_length_and_lines"]
    fn long_masking_keeps_length_and_lines(text in templates()) {
        check_mask(&text)?;
    }
}

/// The hostile shapes of issue 11 at a size that shows a blow-up, not just a crash.
#[test]
fn hostile_shapes_stay_bounded() {
    let key = "k".repeat(1 << 20);
    let children: String = (0..200)
        .map(|i| format!("  p{i}:\n    password: Zq8WnT{i}Ls2Vb6Hm\n"))
        .collect();
    let analysis = analyze("values.yaml", format!("{key}:\n{children}").as_bytes());
    assert_eq!(analysis.hits.len(), 200);
    assert!(
        analysis
            .hits
            .iter()
            .all(|h| h.key_path.as_ref().unwrap().len() <= MAX_PATH)
    );
    let json = format!(
        "{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"{key}\": {{\"password\": \"Zq8WnTLs2Vb6Hm\"}}}}"
    );
    let analysis = analyze("x.json", json.as_bytes());
    assert_eq!(analysis.hits.len(), 1);
    assert!(
        analysis.hits[0]
            .key_path
            .as_ref()
            .unwrap()
            .ends_with("…\"].password")
    );
    let open = "- {{ x\n".repeat(100_000);
    assert!(check_mask(&open).is_ok());
}

/// Found by the long run: a template whose masked actions held multi-byte characters gave
/// scalar spans inside a character of the template (the mask replaced bytes, not characters),
/// and the walker panicked slicing the template there.
#[test]
fn masked_multibyte_characters_do_not_split_spans() {
    let text = "{{- if .Values.enabled }}\napiVersion: v1\nkind: Co{{- if .Values.x }}!!str --set db.password=,\n!!str {{ .Values.pw | quote }}}}aaaA-aa_0apiVersion: v1}}\nkind: SecretsecretGenerator\u{10740}\u{2090}\u{13f8}\u{11fc0}a\u{105c0}A a{{- if .Values.x }}\rpassword  \": {{- if .Values.x }}nfigMap\ndata:\n  password: {{ .Values.pw | default \"Xq7vL2pwZ9\"---\n\u{10a50} \u{10ac0}a \u{16a0} }}\n  app.properties: |\n    spring.datasource.password=Qm4tZ8wk\n{{- end }}\n";
    assert!(check_analysis("values.example.yaml", text).is_ok());
    let text = "a: {{ \"é\" }}\nb: x{{ ¥\nc: {{ 𐀀 }}: d\n";
    assert!(check_analysis("values.yaml", text).is_ok());
    assert!(check_mask(text).is_ok());
}

/// The one hit of `text` as a `values.yaml` read with the gate on (no cleared values wanted):
/// its rule, the bytes it covers and its key path.
fn gated_hit(text: &str) -> (&'static str, &str, String) {
    let profile = profile("values.yaml").expect("values files are analyzed");
    let hits = analyze_as(profile, "values.yaml", text.as_bytes(), false).hits;
    assert_eq!(hits.len(), 1, "{text:?}: {hits:?}");
    let hit = &hits[0];
    let path = hit.key_path.clone().unwrap_or_default();
    (hit.rule_id, &text[hit.span.clone()], path)
}

/// The ways a parsed value spells a word its text does not: each is parsed, and found.
#[test]
fn escaped_and_joined_keys_are_still_judged() {
    for (text, rule, path) in [
        (
            "\"p\\x61ssword\": \"Zq8vLw3rTn5y\"\n",
            "k8s-literal-secret",
            "password",
        ),
        (
            "{\"p\\u0061ssword\": \"Zq8vLw3rTn5y\"}\n",
            "k8s-literal-secret",
            "password",
        ),
        (
            "args: [\"--p\\x61ss\", \"Zq8vLw3rTn5y\"]\n",
            "k8s-command-line-secret",
            "args[1]",
        ),
        (
            "JAVA_OPTS: \"-Ddb.pa\\\n  ssword=Zq8vLw3rTn5y\"\n",
            "k8s-command-line-secret",
            "JAVA_OPTS",
        ),
    ] {
        assert_eq!(
            gated_hit(text),
            (rule, "Zq8vLw3rTn5y", path.to_string()),
            "{text:?}"
        );
    }
    assert!(!may_hold_findings(
        "apiVersion: v1\nkind: Service\nspec:\n  port: 80\n"
    ));
}

/// Each of the words is needed: here it is the only one, and the gated analysis still finds
/// the secret, which it could not if the word were dropped from [`super::FINDING_WORDS`].
#[test]
fn every_finding_word_is_needed() {
    let literal = "k8s-literal-secret";
    let connection = "k8s-connection-string";
    let cases = [
        ("pass", "pass: Zq8vLw3rTn5y\n", literal, "pass"),
        ("pw", "rootpw: Zq8vLw3rTn5y\n", literal, "rootpw"),
        ("token", "token: Zq8vLw3rTn5y\n", literal, "token"),
        (
            "masterauth",
            "masterauth: Zq8vLw3rTn5y\n",
            literal,
            "masterauth",
        ),
        ("key", "signingKey: Zq8vLw3rTn5y\n", literal, "signingKey"),
        (
            "secret",
            "apiVersion: v1\nkind: Secret\nstringData:\n  blob: Zq8vLw3rTn5y\n",
            "k8s-secret-manifest",
            "stringData.blob",
        ),
        ("cred", "creds: Zq8vLw3rTn5y\n", literal, "creds"),
        (
            "cookie",
            "erlangCookie: Zq8vLw3rTn5y\n",
            literal,
            "erlangCookie",
        ),
        (
            "://",
            "url: mysql://app:Zq8vLw3rTn5y@db\n",
            connection,
            "url",
        ),
        (
            "@tcp(",
            "dsn: app:Zq8vLw3rTn5y@tcp(db:3306)/app\n",
            connection,
            "dsn",
        ),
        (
            "@unix(",
            "dsn: app:Zq8vLw3rTn5y@unix(/run/my.sock)/app\n",
            connection,
            "dsn",
        ),
        ("\\x", "\"p\\x61ss\": Zq8vLw3rTn5y\n", literal, "pass"),
        (
            "\\u",
            "{\"p\\u0061ss\": \"Zq8vLw3rTn5y\"}\n",
            literal,
            "pass",
        ),
        (
            "\\\n",
            "JAVA_OPTS: \"-Ddb.pa\\\n  ss=Zq8vLw3rTn5y\"\n",
            "k8s-command-line-secret",
            "JAVA_OPTS",
        ),
    ];
    for (word, text, rule, path) in cases {
        let others = super::FINDING_WORDS
            .iter()
            .filter(|w| !w.eq_ignore_ascii_case(word));
        for other in others {
            assert!(
                !text.to_ascii_lowercase().contains(other),
                "{word}: {text} holds {other:?}"
            );
        }
        assert_eq!(
            gated_hit(text),
            (rule, "Zq8vLw3rTn5y", path.to_string()),
            "{word}"
        );
    }
}
