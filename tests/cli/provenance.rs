//! Issue 10: where a full-history audit says a secret is. A blob is one piece of content,
//! but whether it is a finding depends on its path (allowlists, which analyzer runs,
//! leakhound's own files, `.gitleaksignore`): the audit must judge every path a blob takes,
//! so it never reports less than `scan` on a checkout or `git --range` over the same commits.
//! Each case is checked exactly (rule, path, line, commit, count) in every report format.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::common::*;

/// The config that allowlists `testdata/` folders, as a repository would commit it.
pub(crate) const ALLOW_TESTDATA: &str = "[allowlist]\npaths = ['''(^|/)testdata/''']\n";

/// GitHub's token alphabet in its checksum's digit order.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Words that make an analyzer take a value for a placeholder; random literals that must be
/// reported avoid them, so a test fails only for the reason it is about.
const PLACEHOLDER_BITS: &[&str] = &[
    "tbd", "todo", "xxxx", "fake", "test", "dummy", "example", "fixme", "setme", "your", "sample",
    "secret", "passw", "redact", "insert", "enter", "supply", "change", "replace",
];

/// A synthetic classic GitHub token: `ghp_`, 30 random base62 characters and their CRC32 in
/// six base62 digits, so it passes the offline check as a real one would.
pub(crate) fn ghp_token(rng: &mut fastrand::Rng) -> String {
    let random: String = (0..30).map(|_| BASE62[rng.usize(..62)] as char).collect();
    let mut sum = crc32fast::hash(random.as_bytes());
    let mut digits = [b'0'; 6];
    for d in digits.iter_mut().rev() {
        *d = BASE62[(sum % 62) as usize];
        sum /= 62;
    }
    format!("ghp_{random}{}", String::from_utf8_lossy(&digits))
}

/// A synthetic AWS access key id: `AKIA` and 16 base32 characters.
pub(crate) fn aws_key_id(rng: &mut fastrand::Rng) -> String {
    format!("AKIA{}", chars(rng, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))
}

pub(crate) fn chars(rng: &mut fastrand::Rng, n: usize, alphabet: &str) -> String {
    let a = alphabet.as_bytes();
    (0..n).map(|_| a[rng.usize(..a.len())] as char).collect()
}

/// A random alphanumeric literal of `n` characters that reads as a token: it has a digit, an
/// upper- and a lower-case letter, and no word that marks a placeholder.
pub(crate) fn token_literal(rng: &mut fastrand::Rng, n: usize) -> String {
    loop {
        let lit = format!(
            "{}{}{}{}",
            chars(rng, 1, "ABCDEFGHJKLMNPQRSTUVWXYZ"),
            chars(rng, 1, "abcdefghijkmnpqrstuvwxyz"),
            chars(rng, 1, "23456789"),
            chars(rng, n - 3, ALNUM)
        );
        let lower = lit.to_ascii_lowercase();
        if !PLACEHOLDER_BITS.iter().any(|w| lower.contains(w)) {
            return lit;
        }
    }
}

/// The 1-based line of the first line containing `needle`.
pub(crate) fn line_of(content: &str, needle: &str) -> u64 {
    let i = content
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} is not in {content:?}"));
    i as u64 + 1
}

/// One finding a report must hold.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Want {
    rule: String,
    path: String,
    line: u64,
    /// The full id of the commit the finding is attributed to (git reports only).
    commit: Option<String>,
    secret: String,
}

fn want(rule: &str, path: &str, line: u64, commit: Option<&str>, secret: &str) -> Want {
    Want {
        rule: rule.into(),
        path: path.into(),
        line,
        commit: commit.map(str::to_string),
        secret: secret.into(),
    }
}

/// `(rule, path, line, commit)`; the commit cut to `short` characters where a format does.
type Key = (String, String, u64, Option<String>);

fn keys(wants: &[Want], short: Option<usize>) -> Vec<Key> {
    let mut keys: Vec<Key> = wants
        .iter()
        .map(|w| {
            let commit = w.commit.as_ref().map(|c| match short {
                Some(n) => c[..n].to_string(),
                None => c.clone(),
            });
            (w.rule.clone(), w.path.clone(), w.line, commit)
        })
        .collect();
    keys.sort();
    keys
}

fn run(dir: &Path, args: &[&str], extra: &[&str]) -> (Output, String, String) {
    let out = leakhound()
        .current_dir(dir)
        .args(args)
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

/// Runs `leakhound ARGS` in `dir` in every format and asserts that each reports exactly
/// `wants` (and, without `--no-redact`, never a secret in full). Returns the JSON report.
fn assert_reports(dir: &Path, args: &[&str], wants: &[Want]) -> Value {
    let report = assert_json(dir, args, wants);
    let secrets: Vec<&str> = wants.iter().map(|w| w.secret.as_str()).collect();
    let expected_code = if wants.is_empty() { 0 } else { 1 };
    for (format, short, read) in [
        ("sarif", None, sarif_keys as fn(&str) -> Vec<Key>),
        ("github", Some(12), github_keys),
        ("human", Some(12), human_keys),
    ] {
        let (out, stdout, stderr) = run(dir, args, &["--format", format]);
        assert_eq!(
            (read(&stdout), out.status.code()),
            (keys(wants, short), Some(expected_code)),
            "{format}: leakhound {args:?}\n{stdout}\nstderr:\n{stderr}"
        );
        for secret in &secrets {
            assert_redacted(secret, &[&stdout, &stderr]);
        }
    }
    report
}

fn assert_json(dir: &Path, args: &[&str], wants: &[Want]) -> Value {
    let (out, _, _) = run(dir, args, &["--no-redact", "--format", "json"]);
    let (code, report, stderr) = parse(out);
    let mut got: Vec<Want> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| Want {
            rule: f["rule_id"].as_str().unwrap().into(),
            path: f["path"].as_str().unwrap().into(),
            line: f["line"].as_u64().unwrap(),
            commit: f["commit"]["id"].as_str().map(str::to_string),
            secret: f["secret"].as_str().unwrap().into(),
        })
        .collect();
    got.sort();
    let mut wants = wants.to_vec();
    wants.sort();
    assert_eq!(got, wants, "json: leakhound {args:?}\nstderr:\n{stderr}");
    let expected_code = if wants.is_empty() { 0 } else { 1 };
    assert_eq!(code, expected_code, "json: leakhound {args:?}\n{stderr}");
    assert_eq!(
        report["summary"]["findings"].as_u64(),
        Some(wants.len() as u64)
    );
    report
}

fn sarif_keys(stdout: &str) -> Vec<Key> {
    let sarif: Value = serde_json::from_str(stdout).expect("SARIF is JSON");
    let commits = (sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter())
    .map(|r| r["properties"]["commit"].as_str().map(str::to_string));
    let mut keys: Vec<Key> = (sarif_results(&sarif).into_iter().zip(commits))
        .map(|((rule, uri, line), commit)| (rule, uri, line, commit))
        .collect();
    keys.sort();
    keys
}

/// `::error file=F,line=L,...,title=leakhound%3A RULE::message%0Aintroduced in SHORT by …`.
fn github_keys(stdout: &str) -> Vec<Key> {
    let mut keys: Vec<Key> = stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let rest = l
                .strip_prefix("::error ")
                .or_else(|| l.strip_prefix("::warning "))
                .unwrap_or_else(|| panic!("not an annotation: {l}"));
            let (props, message) = rest.split_once("::").expect("props::message");
            let prop = |k: &str| {
                props
                    .split(',')
                    .find_map(|p| p.strip_prefix(&format!("{k}=")))
                    .unwrap_or_else(|| panic!("no {k} in {l}"))
                    .to_string()
            };
            let rule = prop("title")
                .strip_prefix("leakhound%3A ")
                .expect("title names the rule")
                .to_string();
            let commit = message
                .split_once("introduced in ")
                .map(|(_, c)| c.chars().take(12).collect());
            (rule, prop("file"), prop("line").parse().unwrap(), commit)
        })
        .collect();
    keys.sort();
    keys
}

/// `PATH:LINE:COL error [RULE] description`, then `    commit: SHORT …` for git scans.
fn human_keys(stdout: &str) -> Vec<Key> {
    let lines: Vec<&str> = stdout.lines().collect();
    let mut keys = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some((loc, rest)) = l.split_once(' ') else {
            continue;
        };
        let Some((level, rest)) = rest.split_once(' ') else {
            continue;
        };
        let mut parts = loc.rsplitn(3, ':');
        let (Some(col), Some(line), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if !matches!(level, "error" | "warning") || col.parse::<u64>().is_err() {
            continue;
        }
        let rule = rest[1..rest.find(']').expect("[rule]")].to_string();
        let commit = lines[i + 1..]
            .iter()
            .take_while(|l| !l.is_empty())
            .find_map(|l| l.strip_prefix("    commit: "))
            .map(|c| c.chars().take(12).collect());
        keys.push((rule, path.to_string(), line.parse().unwrap(), commit));
    }
    keys.sort();
    keys
}

/// A repository whose config allowlists `testdata/`, with a first commit to range from.
fn repo_allowing_testdata() -> (Repo, String) {
    let repo = Repo::new();
    repo.write(".leakhound.toml", ALLOW_TESTDATA);
    repo.write("README.md", "# demo\n");
    let base = repo.commit("start");
    (repo, base)
}

/// 1a: a secret first committed under an allowlisted `testdata/` folder, then copied into
/// `src/`. The copy is a new finding wherever it is looked at.
#[test]
fn a_copy_out_of_an_allowlisted_folder_is_reported_at_the_copy_by_the_full_audit() {
    let mut rng = rng();
    let token = ghp_token(&mut rng);
    let (repo, base) = repo_allowing_testdata();
    let content = format!("# recorded response\ntoken = {token}\n");
    repo.write("testdata/fixture.txt", &content);
    repo.commit("add a fixture");
    repo.write("src/prod.txt", &content);
    let copy = repo.commit("use the fixture's token");
    let line = line_of(&content, &token);

    let dir = repo.path();
    let scan = [want("github-pat", "src/prod.txt", line, None, &token)];
    assert_reports(dir, &["scan"], &scan);
    let at_copy = [want(
        "github-pat",
        "src/prod.txt",
        line,
        Some(&copy),
        &token,
    )];
    assert_reports(dir, &["git", "--range", &format!("{base}..HEAD")], &at_copy);
    assert_reports(dir, &["git"], &at_copy);
}

/// A Deployment manifest whose container sets `DB_PASSWORD` to a literal.
pub(crate) fn deployment(password: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 2\n  \
         template:\n    spec:\n      containers:\n        - name: api\n          image: acme/api:1.4\n          \
         env:\n            - name: LOG_LEVEL\n              value: info\n            \
         - name: DB_PASSWORD\n              value: {password}\n"
    )
}

/// 1b: an env literal committed as `deploy.txt` (no analyzer judges it there), then renamed
/// to `deployment.yaml` with the same content: the Kubernetes analyzer's finding belongs to
/// the rename.
#[test]
fn a_rename_into_a_kubernetes_manifest_is_judged_by_the_analyzer_in_the_full_audit() {
    let mut rng = rng();
    let password = token_literal(&mut rng, 14);
    let content = deployment(&password);
    let repo = Repo::new();
    repo.write("deploy.txt", &content);
    repo.commit("deployment draft");
    repo.git(&["mv", "deploy.txt", "deployment.yaml"]);
    let rename = repo.commit("deployment");
    let line = line_of(&content, &password);

    let dir = repo.path();
    let rule = "k8s-env-literal-secret";
    assert_reports(
        dir,
        &["scan"],
        &[want(rule, "deployment.yaml", line, None, &password)],
    );
    assert_reports(
        dir,
        &["git"],
        &[want(
            rule,
            "deployment.yaml",
            line,
            Some(&rename),
            &password,
        )],
    );
}

/// 1c: a blob first seen as the root `.leakhound.toml` and later copied to
/// `notes/config.toml`. leakhound's own config is scanned like any file (only its rules'
/// examples are not findings there), so the audit reports the secret where it first
/// appeared; the copy, the same bytes under a path of the same kind, adds nothing.
#[test]
fn a_secret_in_the_root_config_and_its_copy_is_reported_by_the_full_audit() {
    let mut rng = rng();
    let token = ghp_token(&mut rng);
    let config = format!("# team settings\n[extend]\ndefault = true\n# ci token: {token}\n");
    let repo = Repo::new();
    repo.write(".leakhound.toml", &config);
    let base = repo.commit("config");
    repo.write("notes/config.toml", &config);
    let copy = repo.commit("keep a copy of the config");
    let line = line_of(&config, &token);

    let dir = repo.path();
    let path = "notes/config.toml";
    assert_reports(
        dir,
        &["scan"],
        &[
            want("github-pat", ".leakhound.toml", line, None, &token),
            want("github-pat", path, line, None, &token),
        ],
    );
    let at_copy = [want("github-pat", path, line, Some(&copy), &token)];
    assert_reports(dir, &["git", "--range", &format!("{base}..HEAD")], &at_copy);
    let at_root = [want(
        "github-pat",
        ".leakhound.toml",
        line,
        Some(&base),
        &token,
    )];
    assert_reports(dir, &["git"], &at_root);
}

/// 2: `.gitleaksignore` entries `commit:path:rule:line` (gitleaks ids, one of them
/// translated: `aws-access-token` is our `aws-access-key-id`) accept two secrets; a third,
/// not listed, stays a finding.
#[test]
fn gitleaksignore_commit_entries_suppress_in_the_full_audit_as_in_a_range() {
    let mut rng = rng();
    let (accepted, key_id, other) = (
        ghp_token(&mut rng),
        aws_key_id(&mut rng),
        ghp_token(&mut rng),
    );
    let repo = Repo::new();
    repo.write("README.md", "# demo\n");
    let base = repo.commit("start");
    let app = format!("import os\n\nTOKEN = \"{accepted}\"\n");
    let aws = format!("# staging\nregion: eu-west-1\nid: {key_id}\n");
    let keep = format!("OTHER = \"{other}\"\n");
    repo.write("app.py", &app);
    repo.write("deploy/aws.txt", &aws);
    repo.write("keep.py", &keep);
    let added = repo.commit("credentials");
    let (app_line, aws_line) = (line_of(&app, &accepted), line_of(&aws, &key_id));
    repo.write(
        ".gitleaksignore",
        format!(
            "# accepted, rotated\n{added}:app.py:github-pat:{app_line}\n\
             {added}:deploy/aws.txt:aws-access-token:{aws_line}\n"
        ),
    );
    repo.commit("accept the rotated credentials");

    let dir = repo.path();
    let remaining = [want(
        "github-pat",
        "keep.py",
        line_of(&keep, &other),
        Some(&added),
        &other,
    )];
    for args in [&["git", "--range", &format!("{base}..HEAD")][..], &["git"]] {
        let report = assert_reports(dir, args, &remaining);
        let suppressed = report["summary"]["suppressed"].as_u64().unwrap();
        assert!(suppressed >= 2, "{args:?}: suppressed {suppressed}");
    }
}

/// Helm values whose passwords are random tokens that merely contain `tbd`, `todo` or `xxxx`
/// between other characters (about one random 14-character token in 2,000 does).
fn values_with_words(rng: &mut fastrand::Rng) -> (String, Vec<(String, u64)>) {
    let passwords: Vec<String> = ["tbd", "todo", "xxxx"]
        .iter()
        .map(|w| {
            let head = token_literal(rng, 3);
            let tail = token_literal(rng, 12);
            format!("{head}{w}{tail}")
        })
        .collect();
    let content = format!(
        "replicaCount: 2\ndatabase:\n  host: db.svc.cluster.local\n  password: {}\nredis:\n  \
         auth:\n    enabled: true\n    password: {}\nsmtp:\n  user: mailer\n  password: {}\n",
        passwords[0], passwords[1], passwords[2]
    );
    let lines = passwords
        .into_iter()
        .map(|p| {
            let line = line_of(&content, &p);
            (p, line)
        })
        .collect();
    (content, lines)
}

/// 3: `scan` reports all three.
#[test]
fn k8s_values_that_contain_tbd_todo_or_xxxx_inside_a_token_are_reported_by_scan() {
    let mut rng = rng();
    let (content, passwords) = values_with_words(&mut rng);
    let tree = Tree::new();
    tree.write("values.yaml", &content);
    let wants: Vec<Want> = passwords
        .iter()
        .map(|(p, line)| want("k8s-literal-secret", "values.yaml", *line, None, p))
        .collect();
    assert_reports(tree.path(), &["scan"], &wants);
}

/// 3: the full audit reports all three, at the commit that added them.
#[test]
fn k8s_values_that_contain_tbd_todo_or_xxxx_inside_a_token_are_reported_by_the_full_audit() {
    let mut rng = rng();
    let (content, passwords) = values_with_words(&mut rng);
    let repo = Repo::new();
    repo.write("values.yaml", &content);
    let added = repo.commit("values");
    let wants: Vec<Want> = passwords
        .iter()
        .map(|(p, line)| want("k8s-literal-secret", "values.yaml", *line, Some(&added), p))
        .collect();
    assert_reports(repo.path(), &["git"], &wants);
}
