//! `leakhound scan`: the acceptance list of the core scanner, through the binary.

use crate::common::*;

/// The issue's tree: AWS id and secret on lines 3 and 4 of `src/config.py`, a Stripe live key
/// in `.env`, a Slack webhook in a `.js` file, a PEM key, and a secret in a Latin-1 file.
#[test]
fn reports_each_secret_at_its_file_and_line_redacted() {
    let mut g = Gen::new();
    let (key_id, key_secret) = (g.aws_key_id(), g.aws_secret());
    let stripe = g.stripe_live();
    let webhook = g.slack_webhook();
    let pem = g.pem("RSA ");
    let latin1_key = g.stripe_live();
    let tree = Tree::new();
    tree.write(
        "src/config.py",
        format!("import os\n\naws_access_key_id = \"{key_id}\"\naws_secret_access_key = \"{key_secret}\"\n"),
    );
    tree.write(".env", format!("DEBUG=1\nSTRIPE_KEY={stripe}\n"));
    tree.write(
        "web/notify.js",
        format!("// notify\nconst url = \"{webhook}\";\n"),
    );
    tree.write("deploy/id_rsa", format!("{pem}\n"));
    let mut latin1 = b"# caf\xe9 r\xe9sum\xe9\n".to_vec();
    latin1.extend(format!("stripe = '{latin1_key}'\n").as_bytes());
    tree.write("legacy/latin1.txt", latin1);

    let (code, report, stderr) = tree.json(&["scan"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![
            t("stripe-secret-key", ".env", 2),
            t("private-key", "deploy/id_rsa", 1),
            t("stripe-secret-key", "legacy/latin1.txt", 2),
            t("aws-access-key-id", "src/config.py", 3),
            t("aws-secret-access-key", "src/config.py", 4),
            t("slack-webhook-url", "web/notify.js", 2),
        ]
    );
    // A key block's `-----BEGIN` line is armour, not a `--` comment: it stays high.
    assert_eq!(report["findings"][1]["confidence"], "high");
    let f = &report["findings"][3];
    assert_eq!(f["column"], 22);
    assert_eq!(f["secret"], format!("{}…", &key_id[..4]));
    assert_eq!(report["summary"]["findings"], 6);
    assert_eq!(report["summary"]["files_scanned"], 5);

    let human = tree.cmd(&["scan"]).output().unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&human.stdout),
        String::from_utf8_lossy(&human.stderr),
    );
    assert!(out.contains("src/config.py:3:22"), "{out}");
    let json_text = report.to_string();
    for secret in [&key_id, &key_secret, &stripe, &webhook, &latin1_key] {
        assert_redacted(secret, &[&out, &err, &json_text, &stderr]);
    }
    assert_redacted(&pem[40..100], &[&out, &json_text]);
}

#[test]
fn no_redact_prints_the_secret() {
    let mut g = Gen::new();
    let stripe = g.stripe_live();
    let tree = Tree::new();
    tree.write("a.env", format!("KEY={stripe}\n"));
    let (_, report, _) = tree.json(&["scan", "--no-redact"]);
    assert_eq!(report["findings"][0]["secret"], stripe.as_str());
}

#[test]
fn look_alikes_give_no_finding() {
    let tree = Tree::new();
    tree.write(
        "clean.py",
        concat!(
            "import os\n",
            "aws_access_key_id = 'AKIAIOSFODNN7EXAMPLE'\n",
            "second_key_id = \"AKIAIOSFODNN7EXAMPLF\"\n",
            "aws_secret_access_key = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'\n",
            "password = os.environ['DB_PASSWORD']\n",
            "api_key = os.getenv('API_KEY')\n",
            "password = 'changeme'\n",
            "token = '<your-token-here>'\n",
            "secret = '${APP_SECRET}'\n",
            "commit = 'b3c1f0e9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3'\n",
            "digest = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'\n",
            "request_id = '123e4567-e89b-12d3-a456-426614174000'\n",
            "password_min_length = 12\n",
            "url = f\"postgres://app:{pw}@db.internal/app\"\n",
            "dsn = \"mysql://root:%s@localhost/shop\" % pw\n",
            "conn = 'redis://:{}@cache:6379/0'.format(pw)\n",
        ),
    );
    let (code, report, stderr) = tree.json(&["scan"]);
    assert_eq!(triples(&report), vec![], "{stderr}");
    assert_eq!(code, 0);
}

#[test]
fn inline_allow_comments_suppress_and_are_counted() {
    let mut g = Gen::new();
    let tree = Tree::new();
    tree.write(
        "a.py",
        format!(
            "k1 = '{}'  # leakhound:allow\nk2 = '{}'  # gitleaks:allow\nk3 = '{}'  # pragma: allowlist secret\n",
            g.stripe_live(),
            g.stripe_live(),
            g.stripe_live()
        ),
    );
    let (code, report, _) = tree.json(&["scan"]);
    assert_eq!((code, triples(&report).len()), (0, 0));
    assert_eq!(report["summary"]["suppressed"], 3);
}

#[test]
fn missing_path_exits_2_with_message() {
    let tree = Tree::new();
    let out = tree.cmd(&["scan", "does-not-exist"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does-not-exist: cannot read"), "{err}");
}

#[test]
fn binary_and_large_files_are_skipped_and_counted() {
    let mut g = Gen::new();
    let tree = Tree::new();
    let mut rng = rng();
    let mut random: Vec<u8> = (0..65536).map(|_| rng.u8(..)).collect();
    random[10] = 0;
    random.extend(format!("key={}", g.stripe_live()).as_bytes());
    tree.write("blob.bin", &random);
    tree.write(
        "big.txt",
        format!("{}\nkey={}\n", "a".repeat(200_000), g.stripe_live()),
    );
    tree.write("ok.txt", "nothing here\n");
    let (code, report, _) = tree.json(&["scan", "--max-file-size", "100000"]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["skipped"]["binary"], 1);
    assert_eq!(report["summary"]["skipped"]["too_large"], 1);
    assert_eq!(report["summary"]["files_scanned"], 1);
}

#[test]
fn gitignore_is_honoured_unless_no_ignore_and_git_dir_never_entered() {
    let mut g = Gen::new();
    let tree = Tree::new();
    tree.write(".gitignore", "build/\n");
    tree.write("build/out.txt", format!("k = '{}'\n", g.stripe_live()));
    tree.write(".git/config", format!("k = '{}'\n", g.stripe_live()));
    tree.write(".npmrc", format!("k = '{}'\n", g.stripe_live()));
    let (_, report, _) = tree.json(&["scan"]);
    assert_eq!(triples(&report), vec![t("stripe-secret-key", ".npmrc", 1)]);
    let (_, report, _) = tree.json(&["scan", "--no-ignore"]);
    assert_eq!(
        triples(&report),
        vec![
            t("stripe-secret-key", ".npmrc", 1),
            t("stripe-secret-key", "build/out.txt", 1)
        ]
    );
}

#[test]
fn stdin_is_scanned() {
    let mut g = Gen::new();
    let key = g.stripe_live();
    let out = leakhound()
        .args(["scan", "-", "--format", "json"])
        .write_stdin(format!("first\nkey = {key}\n"))
        .output()
        .unwrap();
    let (code, report, _) = parse(out);
    assert_eq!(code, 1);
    assert_eq!(triples(&report), vec![t("stripe-secret-key", "-", 2)]);
}

#[test]
fn exit_code_flag_sets_status_on_findings() {
    let mut g = Gen::new();
    let tree = Tree::new();
    tree.write("a.txt", format!("k={}\n", g.stripe_live()));
    tree.cmd(&["scan", "--exit-code", "42"]).assert().code(42);
}

#[cfg(unix)]
#[test]
fn unreadable_file_and_broken_symlink_are_reported_and_exit_2_after_the_rest() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let mut g = Gen::new();
    let tree = Tree::new();
    tree.write("good.txt", format!("k={}\n", g.stripe_live()));
    tree.write("locked.txt", "k\n");
    std::fs::set_permissions(
        tree.join("locked.txt"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    symlink(tree.join("nowhere"), tree.join("dangling")).unwrap();
    symlink(tree.path(), tree.join("loop")).unwrap();
    let (code, report, stderr) = tree.json(&["scan"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![t("stripe-secret-key", "good.txt", 1)]
    );
    assert!(stderr.contains("dangling: cannot read"), "{stderr}");
    // root can read anything: only an unprivileged run sees the locked file fail.
    let expect = if std::fs::read(tree.join("locked.txt")).is_ok() {
        1
    } else {
        2
    };
    assert_eq!(report["summary"]["skipped"]["unreadable"], expect);
}

/// An input that cannot be read is named as a finding's path is: a secret that is a plain word
/// (`testing`, a values file's weak password) does not cut the path into pieces, and one that
/// is not a word (a token) is masked in it.
#[cfg(unix)]
#[test]
fn unreadable_paths_are_masked_as_names() {
    use std::os::unix::fs::symlink;
    let dangling =
        |tree: &Tree, name: &str| symlink(tree.join("nowhere"), tree.join(name)).unwrap();
    let line = |path: &str| format!("leakhound: warning: {path}: cannot read");
    paths_in_messages_are_masked_as_names(&["scan"], 2, dangling, line);
}

/// The notes `-v` gives for skipped files name the file in the same way.
#[test]
fn skipped_paths_are_masked_as_names() {
    let binary = |tree: &Tree, name: &str| {
        tree.write(name, [0u8, 159, 146, 150, 0, 1, 2, 3].repeat(64));
    };
    let line = |path: &str| format!("leakhound: note: {path}: skipped, binary");
    paths_in_messages_are_masked_as_names(&["scan", "-v"], 1, binary, line);
}

/// A values file whose secrets are a word (`testing`) and a token, and two files `make`
/// writes, named after each: the scan exits `code`, and the message `line` gives for each
/// file names the first whole and masks the token in the second.
fn paths_in_messages_are_masked_as_names(
    args: &[&str],
    code: i32,
    make: impl Fn(&Tree, &str),
    line: impl Fn(&str) -> String,
) {
    let mut g = Gen::new();
    let token = format!("{}7q", g.alnum(22));
    let tree = Tree::new();
    tree.write(
        "chart/values.yaml",
        format!("db:\n  password: testing\n  apiKey: {token}\n"),
    );
    make(&tree, "chart/testing-notes.txt");
    make(&tree, &format!("chart/{token}.txt"));
    let (got, report, stderr) = tree.json(args);
    assert_eq!(got, code, "{stderr}");
    assert_eq!(
        with_paths(&report),
        vec![
            tk("k8s-literal-secret", "chart/values.yaml", 2, "db.password"),
            tk("k8s-literal-secret", "chart/values.yaml", 3, "db.apiKey"),
        ]
    );
    assert!(
        stderr.contains(&line("chart/testing-notes.txt")),
        "{stderr}"
    );
    let masked = line(&format!("chart/{}….txt", &token[..4]));
    assert!(stderr.contains(&masked), "{stderr}");
    assert_redacted(&token, &[&stderr]);
}

#[test]
fn bad_config_exits_2_naming_file_and_rule() {
    let tree = Tree::new();
    tree.write(
        ".leakhound.toml",
        "[[rules]]\nid = \"acme\"\ndescription = \"x\"\nregex = '''(unclosed'''\n",
    );
    let out = tree.cmd(&["scan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".leakhound.toml: rule \"acme\": invalid regex"),
        "{err}"
    );
}

#[test]
fn custom_rule_from_config_with_extend_false_runs_alone() {
    let mut g = Gen::new();
    let token = format!("acme_{}", g.alnum(32));
    let tree = Tree::new();
    tree.write(
        ".leakhound.toml",
        r#"
[extend]
default = false

[[rules]]
id = "acme-api-token"
description = "ACME API token"
regex = '''\b(acme_[A-Za-z0-9]{32})\b'''
keywords = ["acme_"]
examples = ["token = acme_4f8a9b2c3d4e5f6a7b8c9d0e1f2a3b4c"]
counter_examples = ["acme_example"]
"#,
    );
    tree.write(
        "app.rb",
        format!("TOKEN = '{token}'\nSTRIPE = '{}'\n", g.stripe_live()),
    );
    let (code, report, _) = tree.json(&["scan"]);
    assert_eq!(code, 1);
    assert_eq!(triples(&report), vec![t("acme-api-token", "app.rb", 1)]);
}

#[test]
fn random_binary_input_never_crashes() {
    let tree = Tree::new();
    let mut rng = rng();
    for i in 0..20 {
        let len = rng.usize(1..20000);
        let bytes: Vec<u8> = (0..len).map(|_| rng.u8(1..)).collect();
        tree.write(&format!("noise{i}.dat"), bytes);
    }
    let out = tree.cmd(&["scan", "--format", "json"]).output().unwrap();
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "{out:?}");
}

#[test]
fn broken_yaml_is_a_warning_and_its_secrets_are_still_found() {
    let tree = Tree::new();
    tree.write(
        "values.yaml",
        "db:\n  host: pg\n\tbroken: [unclosed\n  password: Zq8vLw3rTn5y\n",
    );
    let (code, report, stderr) = tree.json(&["scan"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stderr.trim(),
        "leakhound: warning: 1 YAML file(s) did not parse and were read line by line; -v lists them"
    );
    let (_, _, verbose) = tree.json(&["scan", "-v"]);
    assert!(verbose.contains("values.yaml: not valid YAML"), "{verbose}");
    let found = triples(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, "values.yaml");
    assert_eq!(found[0].2, 4);
    let quiet = tree
        .cmd(&["scan", "-q", "--format", "json"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("not valid YAML"));
}

/// Generic matches in tests, docs and comments are low confidence: hidden by default (and not
/// counted for the exit status), shown with `--confidence low`. A vendor token is still shown
/// in a test (a real key there is still a leak): medium without an offline check, high with
/// one.
#[test]
fn confidence_follows_context() {
    let mut g = Gen::new();
    let password = format!("Xq7{}", g.alnum(12));
    let key = g.stripe_live();
    let tree = Tree::new();
    tree.write("src/db.py", format!("password = \"{password}\"\n"));
    tree.write("tests/test_db.py", format!("password = \"{password}\"\n"));
    tree.write("src/settings.py", format!("# password = \"{password}\"\n"));
    tree.write("tests/test_pay.py", format!("\nKEY = \"{key}\"\n"));

    let (code, report, stderr) = tree.json(&["scan"]);
    assert_eq!(code, 1, "{stderr}");
    let shown: Vec<(String, String, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let (rule, path, line) = (&f["rule_id"], &f["path"], &f["line"]);
            (
                rule.as_str().unwrap().to_string(),
                path.as_str().unwrap().to_string(),
                line.as_u64().unwrap(),
                f["confidence"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let c = |r: &str, p: &str, l: u64, conf: &str| (r.into(), p.into(), l, conf.into());
    assert_eq!(
        shown,
        vec![
            c("generic-password", "src/db.py", 1, "medium"),
            c("stripe-secret-key", "tests/test_pay.py", 2, "medium"),
        ]
    );
    assert_eq!(report["summary"]["below_confidence"], 2);

    let (code, report, _) = tree.json(&["scan", "--confidence", "low"]);
    assert_eq!(code, 1);
    let low: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["confidence"] == "low")
        .map(|f| {
            let path = f["path"].as_str().unwrap().to_string();
            (
                f["rule_id"].as_str().unwrap().to_string(),
                path,
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        low,
        vec![
            t("generic-password", "src/settings.py", 1),
            t("generic-password", "tests/test_db.py", 1),
        ]
    );

    let (code, report, _) = tree.json(&["scan", "--confidence", "high"]);
    assert_eq!((code, report["summary"]["findings"].as_u64()), (0, Some(0)));
    assert_eq!(report["summary"]["below_confidence"], 4);
}

/// Regression (redteam M9): when a file holds more encoded text than the decoding budget, the
/// rest is not decoded; that is counted and, with `-v`, the file is named.
#[test]
fn decode_budget_exhaustion_is_counted_and_named() {
    use base64::Engine as _;
    let mut g = Gen::new();
    let line = |g: &mut Gen| {
        let text = format!("note {} nothing secret here at all", g.alnum(40));
        base64::engine::general_purpose::STANDARD.encode(text)
    };
    let body: Vec<String> = (0..70_000).map(|_| line(&mut g)).collect();
    let tree = Tree::new();
    tree.write("blobs.txt", body.join("\n"));
    let (code, report, stderr) = tree.json(&["scan", "-v"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["summary"]["partly_decoded"], 1);
    assert!(
        stderr.contains("blobs.txt: more encoded text than the 4 MiB decoding budget"),
        "{stderr}"
    );
}

/// Issue 13 item 4: a key split into adjacent or `+`-joined string literals is found, at the
/// start of the expression, and masked whole in the snippet.
#[test]
fn string_literals_joined_in_code_are_scanned_together() {
    let mut g = Gen::new();
    let key = g.stripe_live();
    let (head, tail) = key.split_at(12);
    let tree = Tree::new();
    tree.write("pay.js", format!("\nconst k = \"{head}\" + \"{tail}\";\n"));
    tree.write("pay.py", format!("K = (\n    '{head}'\n    '{tail}'\n)\n"));
    let (code, report, stderr) = tree.json(&["scan"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![
            t("stripe-secret-key", "pay.js", 2),
            t("stripe-secret-key", "pay.py", 2),
        ]
    );
    let human = tree.cmd(&["scan"]).output().unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(!text.contains(tail), "{text}");
}

/// `[allowlist] values` drops exactly the listed secrets (a provider's published example), in
/// the config as in a rule; a value that merely contains one is still reported.
#[test]
fn allowlist_values_drop_exact_secrets_only() {
    let mut g = Gen::new();
    let (published, other) = (g.stripe_live(), g.stripe_live());
    let longer = format!("{published}Zq");
    let tree = Tree::new();
    tree.write(
        ".leakhound.toml",
        format!("[allowlist]\nvalues = [\"{published}\"]\n"),
    );
    tree.write(
        "app/.env",
        format!("DOCS_KEY={published}\nLIVE_KEY={other}\nLONG_KEY={longer}\n"),
    );
    let (code, report, stderr) = tree.json(&["scan", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![
            t("stripe-secret-key", "app/.env", 2),
            t("stripe-secret-key", "app/.env", 3),
        ]
    );
}

/// One walker thread reads every file into the same buffer (`source::files`): each file is
/// read alone, whatever the thread read before it (a larger file, a binary head, a file over
/// the capacity a thread keeps), and a secret lands at its own file and line.
#[test]
fn one_thread_reads_each_file_alone_whatever_it_read_before() {
    let mut g = Gen::new();
    let (big_key, small_key, huge_key) = (g.aws_key_id(), g.stripe_live(), g.aws_key_id());
    let filler: String = (0..4000)
        .map(|i| format!("line {i} of plain text\n"))
        .collect();
    let tree = Tree::new();
    tree.write("a-big.txt", format!("{filler}id = {big_key}\n"));
    let mut binary = vec![0u8; 16 << 10];
    binary.extend(format!("\nid = {}\n", g.aws_key_id()).as_bytes());
    tree.write("b-binary.bin", binary);
    tree.write("c-small.txt", format!("stripe = '{small_key}'\n"));
    let huge: String = filler.repeat(60);
    tree.write("d-huge.txt", format!("head\nid = {huge_key}\n{huge}"));
    tree.write("e-clean.txt", "nothing here\n");
    tree.write("f-small.txt", format!("x\nstripe = '{small_key}'\n"));

    let (code, report, stderr) = tree.json(&["scan", "-j", "1", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![
            t("aws-access-key-id", "a-big.txt", 4001),
            t("stripe-secret-key", "c-small.txt", 1),
            t("aws-access-key-id", "d-huge.txt", 2),
            t("stripe-secret-key", "f-small.txt", 2),
        ]
    );
    assert_eq!(report["summary"]["files_scanned"], 5);
    assert_eq!(report["summary"]["skipped"]["binary"], 1);
}

/// Base64 wrapped over lines, as `base64`, MIME and a YAML block scalar hold it, is decoded
/// whole: a private key encoded so (a multipart fixture with `\r\n`, a values file's `key: |`)
/// is in no single line's text. The finding starts at the block's first line and the secret
/// is masked. A wrapped certificate body (binary) and a wrapped note hold nothing.
#[test]
fn base64_wrapped_over_lines_is_decoded_whole() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let wrap = |text: &[u8], width: usize, indent: &str, eol: &str| -> String {
        let encoded = b64.encode(text);
        let lines: Vec<String> = (encoded.as_bytes().chunks(width))
            .map(|c| format!("{indent}{}", String::from_utf8_lossy(c)))
            .collect();
        lines.join(eol) + eol
    };
    let mut g = Gen::new();
    let key = g.pem("");
    let der: Vec<u8> = (0..600u32).map(|i| (i * 131 % 251) as u8).collect();
    let tree = Tree::new();
    tree.write(
        "fixtures/upload.eml",
        format!(
            "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\
             Content-Disposition: form-data; name=\"file\"; filename=\"client.key\"\r\n\r\n{}",
            wrap(key.as_bytes(), 76, "", "\r\n")
        ),
    );
    tree.write(
        "chart/values.yaml",
        format!("tls:\n  key: |\n{}", wrap(key.as_bytes(), 64, "    ", "\n")),
    );
    tree.write(
        "certs/ca.txt",
        format!(
            "{}{}",
            wrap(&der, 64, "", "\n"),
            wrap(
                b"a note that is long enough to wrap over two lines of base64 text",
                64,
                "",
                "\n"
            )
        ),
    );
    let (code, report, stderr) = tree.json(&["scan"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![
            t("private-key", "chart/values.yaml", 3),
            t("private-key", "fixtures/upload.eml", 5),
        ]
    );
    let body = key.lines().nth(1).expect("a body line");
    let human = tree.cmd(&["scan"]).output().unwrap();
    assert_redacted(body, &[&text(&human.stdout), &text(&human.stderr)]);
    assert_redacted(body, &[&report.to_string()]);
}
