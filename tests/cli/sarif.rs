//! `--format sarif` and `--format github`: what GitHub code scanning and the Actions runner
//! read. Every SARIF document a test produces is validated against the official SARIF 2.1.0
//! schema committed under `fixtures/`.

use std::collections::HashSet;

use serde_json::Value;

use crate::common::*;

/// Validates a SARIF document against the committed OASIS schema, with format checks (`uri`,
/// `uri-reference`) on, and checks what code scanning relies on beyond the schema.
pub fn assert_valid_sarif(doc: &Value) {
    let errors = schema_errors(doc);
    assert!(errors.is_empty(), "SARIF invalid: {errors:#?}\n{doc:#}");
    assert_code_scanning_ready(doc);
}

fn schema_errors(doc: &Value) -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/sarif-schema-2.1.0.json"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the committed schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// What code scanning relies on beyond the schema.
fn assert_code_scanning_ready(doc: &Value) {
    let run = &doc["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for result in run["results"].as_array().unwrap() {
        let id = result["ruleId"].as_str().unwrap();
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules.get(index), Some(&id), "ruleIndex of {id}");
        let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        let uri = artifact["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/') && !uri.contains("://"), "{uri}");
        assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
        let fp = &result["partialFingerprints"]["primaryLocationLineHash"];
        assert!(fp.as_str().is_some_and(|f| f.starts_with(id)), "{result:#}");
        let region = &result["locations"][0]["physicalLocation"]["region"];
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[key].as_u64().unwrap() >= 1, "{key} in {region}");
        }
    }
}

/// `(ruleId, uri, startLine)` of every result.
struct Secrets {
    key_id: String,
    key_secret: String,
    stripe: String,
    pem: String,
}

fn tree_with_secrets() -> (Tree, Secrets) {
    let mut g = Gen::new();
    let s = Secrets {
        key_id: g.aws_key_id(),
        key_secret: g.aws_secret(),
        stripe: g.stripe_live(),
        pem: g.pem("EC "),
    };
    let tree = Tree::new();
    tree.write(
        "src/config.py",
        format!(
            "import os\naws_access_key_id = \"{}\"\naws_secret_access_key = \"{}\"\n",
            s.key_id, s.key_secret
        ),
    );
    tree.write("deploy dir/prod,1.env", format!("STRIPE={}\n", s.stripe));
    tree.write("keys/id_ec", format!("{}\n", s.pem));
    (tree, s)
}

#[test]
fn sarif_of_a_scan_validates_and_tracks_each_finding() {
    let (tree, s) = tree_with_secrets();
    let out = tree.cmd(&["scan", "--format", "sarif"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_valid_sarif(&doc);
    assert_eq!(doc["version"], "2.1.0");
    assert_eq!(
        sarif_results(&doc),
        vec![
            t("stripe-secret-key", "deploy%20dir/prod%2C1.env", 1),
            t("private-key", "keys/id_ec", 1),
            t("aws-access-key-id", "src/config.py", 2),
            t("aws-secret-access-key", "src/config.py", 3),
        ]
    );
    let driver = &doc["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "leakhound");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let ids: HashSet<&str> = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 4, "only the rules that fired: {ids:?}");
    let rule = &driver["rules"].as_array().unwrap()[0];
    assert_eq!(
        rule["properties"]["tags"],
        serde_json::json!(["security", "secret"])
    );
    assert_eq!(rule["properties"]["security-severity"], "9.0");
    assert!(
        rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("How to fix")
    );
    assert!(rule["shortDescription"]["text"].is_string());

    let aws = &doc["runs"][0]["results"][2];
    assert_eq!(aws["level"], "error");
    let message = aws["message"]["text"].as_str().unwrap();
    assert!(message.contains("aws-access-key-id"), "{message}");
    assert!(
        message.contains(&format!("{}…", &s.key_id[..4])),
        "{message}"
    );
    let region = &aws["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startColumn"].as_u64(), region["endColumn"].as_u64()),
        (Some(22), Some(42))
    );
    let (_, json, _) = tree.json(&["scan"]);
    assert_eq!(
        aws["partialFingerprints"]["primaryLocationLineHash"],
        json["findings"][2]["fingerprint"]
    );
    for secret in [
        &s.key_id,
        &s.key_secret,
        &s.stripe,
        &s.pem[40..100].to_string(),
    ] {
        assert_redacted(secret, &[&text]);
    }
    // The validator is not a rubber stamp: a column of 0 (which GitHub rejects) fails it.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"] =
        0.into();
    assert_eq!(schema_errors(&broken).len(), 1);
}

#[test]
fn sarif_stays_redacted_with_no_redact() {
    let (tree, s) = tree_with_secrets();
    let out = tree
        .cmd(&["scan", "--format", "sarif", "--no-redact"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_valid_sarif(&serde_json::from_str(&text).unwrap());
    for secret in [&s.key_id, &s.key_secret, &s.stripe] {
        assert_redacted(secret, &[&text]);
    }
}

#[test]
fn sarif_of_a_clean_tree_is_valid_with_no_results() {
    let tree = Tree::new();
    tree.write("README.md", "nothing to see\n");
    let out = tree
        .cmd(&["scan", "--format", "sarif", "-o", "out.sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(tree.join("out.sarif")).unwrap()).unwrap();
    assert_valid_sarif(&doc);
    assert_eq!(doc["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(
        doc["runs"][0]["tool"]["driver"]["rules"],
        serde_json::json!([])
    );
}

#[test]
fn github_format_prints_one_escaped_annotation_per_finding() {
    let (tree, s) = tree_with_secrets();
    let out = tree.cmd(&["scan", "--format", "github"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(
        lines[0],
        format!(
            "::error file=deploy dir/prod%2C1.env,line=1,col=8,endLine=1,endColumn=40,\
             title=leakhound%3A stripe-secret-key::Stripe live secret or restricted key: {}…",
            &s.stripe[..4]
        )
    );
    assert!(
        lines[2].starts_with(
            "::error file=src/config.py,line=2,col=22,endLine=2,endColumn=42,\
             title=leakhound%3A aws-access-key-id::"
        ),
        "{}",
        lines[2]
    );
    for secret in [&s.key_id, &s.key_secret, &s.stripe] {
        assert_redacted(secret, &[&text]);
    }
}
