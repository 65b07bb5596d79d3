//! Migration from gitleaks: a `.gitleaks.toml` given with `--config` is translated (custom
//! rules with `secretGroup`, allowlists, `[extend] useDefault` / `disabledRules`), and
//! `.gitleaksignore` entries that map cleanly suppress their findings.

use crate::common::*;

const GITLEAKS_CONFIG: &str = r#"
title = "acme gitleaks config"

[extend]
useDefault = true
disabledRules = ["generic-api-key", "sidekiq-secret"]

[[rules]]
id = "acme-token"
description = "ACME internal token"
regex = '''acme_tok\s*=\s*"(acme_[a-z0-9]{32})"'''
secretGroup = 1
entropy = 3.0
keywords = ["acme_"]
[[rules.allowlists]]
regexes = ['''acme_0{32}''']

[allowlist]
paths = ['''^vendor/''']
"#;

#[test]
fn gitleaks_config_is_translated_and_its_rules_run() {
    let mut g = Gen::new();
    let token = format!(
        "acme_{}",
        g.chars(32, "abcdefghijklmnopqrstuvwxyz0123456789")
    );
    let tree = Tree::new();
    tree.write("ci/.gitleaks.toml", GITLEAKS_CONFIG);
    tree.write(
        "app.py",
        format!(
            "acme_tok = \"{token}\"\nacme_tok = \"acme_{}\"\napi_key = \"{}\"\nstripe = \"{}\"\n",
            "0".repeat(32),
            g.alnum(32),
            g.stripe_live()
        ),
    );
    tree.write(
        "vendor/lib.py",
        format!("stripe = \"{}\"\n", g.stripe_live()),
    );
    let (code, report, stderr) = tree.json(&["scan", "--config", "ci/.gitleaks.toml"]);
    assert_eq!(code, 1, "{stderr}");
    // acme-token on line 1 (not the allowlisted line 2), generic-secret disabled via
    // generic-api-key, built-ins still on (useDefault), vendor/ allowlisted.
    assert_eq!(
        triples(&report),
        vec![
            t("acme-token", "app.py", 1),
            t("stripe-secret-key", "app.py", 4)
        ]
    );
    assert_eq!(report["findings"][0]["column"], 13);
    assert!(
        stderr.contains("disabledRules: \"sidekiq-secret\" has no leakhound equivalent"),
        "{stderr}"
    );
}

#[test]
fn gitleaks_config_without_extend_replaces_the_built_in_rules() {
    let mut g = Gen::new();
    let tree = Tree::new();
    let config = "[[rules]]\nid = \"acme-token\"\nregex = '''(acme_[a-z0-9]{32})'''\nsecretGroup = 1\ntags = [\"internal\"]\n";
    tree.write("gl.toml", config);
    let token = format!(
        "acme_{}",
        g.chars(32, "abcdefghijklmnopqrstuvwxyz0123456789")
    );
    tree.write("a.txt", format!("x {token}\nk = {}\n", g.stripe_live()));
    let (code, report, stderr) = tree.json(&["scan", "-c", "gl.toml"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(triples(&report), vec![t("acme-token", "a.txt", 1)]);
}

#[test]
fn gitleaksignore_entries_suppress_what_maps_and_warn_about_the_rest() {
    let mut g = Gen::new();
    let tree = Tree::new();
    tree.write(
        "src/config.py",
        format!(
            "id = \"{}\"\nother = \"{}\"\nkey = \"{}\"\n",
            g.aws_key_id(),
            g.aws_key_id(),
            g.stripe_live()
        ),
    );
    tree.write(
        ".gitleaksignore",
        "# accepted\nsrc/config.py:aws-access-token:1\nsrc/config.py:stripe-access-token:3\n\
         src/config.py:sidekiq-secret:2\n",
    );
    let (code, report, stderr) = tree.json(&["scan"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![t("aws-access-key-id", "src/config.py", 2)]
    );
    assert_eq!(report["summary"]["suppressed"], 2);
    assert!(
        stderr.contains(".gitleaksignore:4: rule \"sidekiq-secret\" has no leakhound equivalent"),
        "{stderr}"
    );
}
