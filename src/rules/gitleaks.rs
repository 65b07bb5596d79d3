//! Teams switching from gitleaks keep their configuration: a `.gitleaks.toml` given with
//! `--config` is recognised by its content and translated into our [`RulesFile`], and
//! `.gitleaksignore` entries (`file:rule:line`, `commit:file:rule:line`) become suppressions.
//! What has no clean equivalent is reported as a warning, never silently dropped.

use std::collections::HashMap;

use toml::{Table, Value};

use super::syntax::{AllowlistSyntax, ExtendSyntax, RuleSyntax, RulesFile};

/// gitleaks' built-in rule ids whose leakhound rule has another name. An id not listed maps
/// to itself when leakhound has a rule of that id.
const RENAMED: &[(&str, &str)] = &[
    ("aws-access-token", "aws-access-key-id"),
    ("generic-api-key", "generic-secret"),
    ("github-oauth", "github-oauth-token"),
    ("github-app-token", "github-app-installation-token"),
    ("gitlab-runner-authentication-token", "gitlab-runner-token"),
    ("gitlab-ptt", "gitlab-pipeline-trigger-token"),
    ("slack-bot-token", "slack-token"),
    ("slack-user-token", "slack-token"),
    ("slack-app-token", "slack-token"),
    ("slack-legacy-token", "slack-token"),
    ("slack-config-access-token", "slack-token"),
    ("stripe-access-token", "stripe-secret-key"),
    ("gcp-api-key", "google-api-key"),
    ("huggingface-access-token", "huggingface-token"),
    ("rubygems-api-token", "rubygems-api-key"),
    ("clojars-api-token", "clojars-token"),
    ("hashicorp-tf-api-token", "terraform-cloud-token"),
    ("curl-auth-user", "curl-basic-auth"),
];

/// Keys that only gitleaks configs have (ours are snake_case and shaped differently).
const GITLEAKS_RULE_KEYS: &[&str] = &["secretGroup", "allowlists", "tags", "path", "regexTarget"];

/// A translated config and what could not be carried over.
#[derive(Debug, Default)]
pub struct Translation {
    pub file: RulesFile,
    pub warnings: Vec<String>,
}

/// Whether a config file is a gitleaks one: by name, or by keys only gitleaks uses.
pub fn is_gitleaks(file_name: &str, text: &str) -> bool {
    if matches!(file_name, ".gitleaks.toml" | "gitleaks.toml") {
        return true;
    }
    let Ok(doc) = text.parse::<Table>() else {
        return false;
    };
    let extend = doc.get("extend").and_then(Value::as_table);
    doc.contains_key("title")
        || doc.contains_key("allowlists")
        || extend.is_some_and(|e| {
            ["useDefault", "disabledRules", "path"]
                .iter()
                .any(|k| e.contains_key(*k))
        })
        || rules_of(&doc).iter().any(|r| {
            GITLEAKS_RULE_KEYS.iter().any(|k| r.contains_key(*k)) || has_gitleaks_allowlist(r)
        })
}

fn has_gitleaks_allowlist(rule: &Table) -> bool {
    rule.get("allowlist")
        .and_then(Value::as_table)
        .is_some_and(|a| a.contains_key("regexTarget") || a.contains_key("commits"))
}

fn rules_of(doc: &Table) -> Vec<&Table> {
    doc.get("rules")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_table).collect())
        .unwrap_or_default()
}

/// The leakhound rule id for a gitleaks rule id, if there is one among `known`.
pub fn map_rule_id(id: &str, known: &dyn Fn(&str) -> bool) -> Option<String> {
    let renamed = RENAMED
        .iter()
        .find(|(g, _)| *g == id)
        .map(|(_, ours)| *ours);
    [renamed, Some(id)]
        .into_iter()
        .flatten()
        .find(|candidate| known(candidate))
        .map(str::to_string)
}

/// Translates a gitleaks config. `builtin` says whether leakhound has a built-in rule of an id.
pub fn translate(text: &str, builtin: &dyn Fn(&str) -> bool) -> Result<Translation, String> {
    let doc: Table = text.parse().map_err(|e| format!("not valid TOML: {e}"))?;
    let mut out = Translation::default();
    out.file.extend = Some(extend(&doc, builtin, &mut out.warnings));
    let mut targeted: HashMap<String, Vec<AllowlistSyntax>> = HashMap::new();
    out.file.allowlist = global_allowlists(&doc, &mut targeted, &mut out.warnings);
    for rule in rules_of(&doc) {
        if let Some(mut syntax) = translate_rule(rule, &mut out.warnings)? {
            if let Some(extra) = targeted.remove(&syntax.id) {
                let mut all: Vec<AllowlistSyntax> = syntax.allowlist.take().into_iter().collect();
                all.extend(extra);
                syntax.allowlist = Some(merge(all));
            }
            out.file.rules.push(syntax);
        }
    }
    for id in targeted.keys() {
        out.warnings.push(format!(
            "an [[allowlists]] entry targets rule {id:?}, which this file does not define; it is ignored"
        ));
    }
    Ok(out)
}

/// `[extend] useDefault`: without it a gitleaks config replaces the default rules.
fn extend(doc: &Table, builtin: &dyn Fn(&str) -> bool, warnings: &mut Vec<String>) -> ExtendSyntax {
    let table = doc.get("extend").and_then(Value::as_table);
    let get = |k: &str| table.and_then(|t| t.get(k));
    if let Some(path) = get("path").and_then(Value::as_str) {
        warnings.push(format!(
            "[extend] path = {path:?} is not followed; merge that file into this one"
        ));
    }
    let mut disable = Vec::new();
    for id in get("disabledRules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = id.as_str().unwrap_or_default();
        match map_rule_id(id, builtin) {
            Some(ours) if !disable.contains(&ours) => disable.push(ours),
            Some(_) => {}
            None => warnings.push(format!("disabledRules: {id:?} has no leakhound equivalent")),
        }
    }
    ExtendSyntax {
        default: get("useDefault").and_then(Value::as_bool).unwrap_or(false),
        disable,
    }
}

/// The top-level `[allowlist]` (older gitleaks) and `[[allowlists]]` (newer). Entries with
/// `targetRules` are set aside for those rules.
fn global_allowlists(
    doc: &Table,
    targeted: &mut HashMap<String, Vec<AllowlistSyntax>>,
    warnings: &mut Vec<String>,
) -> Option<AllowlistSyntax> {
    let mut global = Vec::new();
    for table in allowlist_tables(doc) {
        let Some(list) = allowlist(table, "global allowlist", warnings) else {
            continue;
        };
        let targets = table.get("targetRules").and_then(Value::as_array);
        match targets {
            Some(ids) => ids.iter().filter_map(Value::as_str).for_each(|id| {
                targeted
                    .entry(id.to_string())
                    .or_default()
                    .push(list.clone());
            }),
            None => global.push(list),
        }
    }
    (!global.is_empty()).then(|| merge(global))
}

/// `allowlist` (a table) and `allowlists` (an array of tables), whichever are present.
fn allowlist_tables(table: &Table) -> Vec<&Table> {
    let single = table.get("allowlist").and_then(Value::as_table);
    let many = table.get("allowlists").and_then(Value::as_array);
    single
        .into_iter()
        .chain(many.into_iter().flatten().filter_map(Value::as_table))
        .collect()
}

fn strings(table: &Table, key: &str) -> Vec<String> {
    table
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// One gitleaks allowlist. Our allowlist entries each suffice on their own (gitleaks' "OR"),
/// so an `AND` list that combines kinds cannot be expressed and is skipped: keeping the
/// findings is the safe side.
fn allowlist(table: &Table, owner: &str, warnings: &mut Vec<String>) -> Option<AllowlistSyntax> {
    let list = AllowlistSyntax {
        paths: strings(table, "paths"),
        regexes: strings(table, "regexes"),
        stopwords: strings(table, "stopwords"),
    };
    if !strings(table, "commits").is_empty() {
        warnings.push(format!(
            "{owner}: `commits` are not supported; those commits are scanned"
        ));
    }
    let kinds = [
        !list.paths.is_empty(),
        !list.regexes.is_empty(),
        !list.stopwords.is_empty(),
    ];
    let and = table
        .get("condition")
        .and_then(Value::as_str)
        .is_some_and(|c| c.eq_ignore_ascii_case("and"));
    if and && kinds.iter().filter(|&&k| k).count() > 1 {
        warnings.push(format!(
            "{owner}: condition = \"AND\" across kinds is not supported; this allowlist is skipped"
        ));
        return None;
    }
    let target = table
        .get("regexTarget")
        .and_then(Value::as_str)
        .unwrap_or("secret");
    if target != "secret" && !list.regexes.is_empty() {
        warnings.push(format!(
            "{owner}: regexTarget = {target:?} is applied to the secret only"
        ));
    }
    Some(list)
}

/// Several allowlists into one: any entry of any of them allows.
fn merge(lists: Vec<AllowlistSyntax>) -> AllowlistSyntax {
    lists
        .into_iter()
        .fold(AllowlistSyntax::default(), |mut all, l| {
            all.paths.extend(l.paths);
            all.regexes.extend(l.regexes);
            all.stopwords.extend(l.stopwords);
            all
        })
}

const KNOWN_RULE_KEYS: &[&str] = &[
    "id",
    "description",
    "regex",
    "secretGroup",
    "entropy",
    "keywords",
    "path",
    "tags",
    "allowlist",
    "allowlists",
];

fn translate_rule(rule: &Table, warnings: &mut Vec<String>) -> Result<Option<RuleSyntax>, String> {
    let id = rule
        .get("id")
        .and_then(Value::as_str)
        .ok_or("a [[rules]] entry has no `id`")?
        .to_string();
    let owner = format!("rule {id:?}");
    for key in rule
        .keys()
        .filter(|k| !KNOWN_RULE_KEYS.contains(&k.as_str()))
    {
        warnings.push(format!("{owner}: `{key}` is not supported and is ignored"));
    }
    let Some(regex) = rule.get("regex").and_then(Value::as_str) else {
        warnings.push(format!(
            "{owner}: a path-only rule (no `regex`) is not supported; skipped"
        ));
        return Ok(None);
    };
    let lists: Vec<AllowlistSyntax> = allowlist_tables(rule)
        .into_iter()
        .filter_map(|t| allowlist(t, &owner, warnings))
        .collect();
    Ok(Some(RuleSyntax {
        tier: None,
        confidence: None,
        description: rule
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or(&id)
            .to_string(),
        id,
        regex: Some(regex.to_string()),
        secret_group: rule
            .get("secretGroup")
            .and_then(Value::as_integer)
            .and_then(|g| usize::try_from(g).ok()),
        keywords: strings(rule, "keywords"),
        entropy: rule
            .get("entropy")
            .and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64))),
        paths: rule
            .get("path")
            .and_then(Value::as_str)
            .map(str::to_string)
            .into_iter()
            .collect(),
        allowlist: (!lists.is_empty()).then(|| merge(lists)),
        examples: Vec::new(),
        counter_examples: Vec::new(),
        remedy: None,
        why: None,
        severity: None,
        check: None,
        analyzer: None,
        example_path: None,
    }))
}

/// A `.gitleaksignore` line as a location key: `path:rule:line`, or `commit:path:rule:line`
/// for history findings, with the rule id translated; the reason when the entry does not map.
pub fn ignore_entry(line: &str, known: &dyn Fn(&str) -> bool) -> Result<String, String> {
    let mut parts: Vec<&str> = line.rsplitn(3, ':').collect();
    parts.reverse();
    let [head, rule, number] = parts[..] else {
        return Err("expected file:rule:line or commit:file:rule:line".into());
    };
    let number: u32 = number
        .parse()
        .map_err(|_| format!("{number:?} is not a line number"))?;
    let rule = map_rule_id(rule, known)
        .ok_or_else(|| format!("rule {rule:?} has no leakhound equivalent"))?;
    Ok(location_key(None, head, &rule, number))
}

/// The key a finding is looked up by. `head` is `path` or `commit:path`.
pub fn location_key(commit: Option<&str>, head: &str, rule: &str, line: u32) -> String {
    match commit {
        Some(c) => format!("{c}:{head}:{rule}:{line}"),
        None => format!("{head}:{rule}:{line}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(id: &str) -> bool {
        ["aws-access-key-id", "generic-secret", "private-key"].contains(&id)
    }

    #[test]
    fn recognised_by_name_or_content() {
        assert!(is_gitleaks(".gitleaks.toml", ""));
        assert!(is_gitleaks("x.toml", "[extend]\nuseDefault = true\n"));
        assert!(is_gitleaks(
            "x.toml",
            "[[rules]]\nid = 'a'\nregex = 'b'\nsecretGroup = 1\n"
        ));
        assert!(!is_gitleaks("x.toml", "[extend]\ndefault = true\n"));
        assert!(!is_gitleaks(
            "x.toml",
            "[[rules]]\nid = 'a'\nregex = 'b'\nsecret_group = 1\n"
        ));
    }

    #[test]
    fn rules_extend_and_allowlists_translate() {
        let text = r#"
title = "acme"
[extend]
useDefault = true
disabledRules = ["generic-api-key", "sidekiq-secret"]

[[rules]]
id = "acme-token"
description = "ACME token"
regex = '''acme_([a-z0-9]{32})'''
secretGroup = 1
entropy = 3
keywords = ["acme_"]
path = '''\.py$'''
[[rules.allowlists]]
regexes = ['''acme_0+''']
[[rules.allowlists]]
paths = ['''test/''']
commits = ["abc"]

[[allowlists]]
targetRules = ["acme-token"]
stopwords = ["sample"]

[allowlist]
paths = ['''vendor/''']
"#;
        let t = translate(text, &known).unwrap();
        let extend = t.file.extend.as_ref().unwrap();
        assert!(extend.default);
        assert_eq!(extend.disable, vec!["generic-secret"]);
        let rule = &t.file.rules[0];
        assert_eq!((rule.secret_group, rule.entropy), (Some(1), Some(3.0)));
        assert_eq!(rule.paths, vec![r"\.py$"]);
        let allow = rule.allowlist.as_ref().unwrap();
        assert_eq!(allow.regexes, vec!["acme_0+"]);
        assert_eq!(allow.paths, vec!["test/"]);
        assert_eq!(allow.stopwords, vec!["sample"]);
        assert_eq!(t.file.allowlist.unwrap().paths, vec!["vendor/"]);
        assert_eq!(t.warnings.len(), 2, "{:?}", t.warnings);
    }

    #[test]
    fn without_extend_the_defaults_are_replaced() {
        let t = translate("[[rules]]\nid = 'a'\nregex = 'b'\n", &known).unwrap();
        assert!(!t.file.extend.unwrap().default);
    }

    #[test]
    fn and_allowlists_across_kinds_are_skipped() {
        let text = "[[rules]]\nid='a'\nregex='b'\n[[rules.allowlists]]\ncondition='AND'\npaths=['x']\nregexes=['y']\n";
        let t = translate(text, &known).unwrap();
        assert!(t.file.rules[0].allowlist.is_none());
        assert_eq!(t.warnings.len(), 1);
    }

    #[test]
    fn ignore_entries_map_rule_ids() {
        assert_eq!(
            ignore_entry("src/a.py:aws-access-token:3", &known).unwrap(),
            "src/a.py:aws-access-key-id:3"
        );
        assert_eq!(
            ignore_entry("0123abcd:src/a.py:private-key:10", &known).unwrap(),
            "0123abcd:src/a.py:private-key:10"
        );
        assert!(ignore_entry("src/a.py:sidekiq-secret:3", &known).is_err());
        assert!(ignore_entry("src/a.py:private-key:x", &known).is_err());
        assert!(ignore_entry("nonsense", &known).is_err());
    }

    mod properties {
        //! Random and mutated gitleaks configs never panic the translator, and a translation
        //! holds no more rules than the config it came from. The `long_` variant runs the same
        //! property on many more cases (`--ignored`).

        use proptest::prelude::*;

        use crate::proptest_cases::cases;

        use super::super::*;
        use super::known;

        const SEED: &str = r#"title = "acme"
[extend]
useDefault = true
disabledRules = ["generic-api-key", "sidekiq-secret"]
path = "base.toml"
[[rules]]
id = "acme-token"
regex = '''acme_([a-z0-9]{32})'''
secretGroup = 1
entropy = 3
keywords = ["acme_"]
path = '''\.py$'''
[[rules.allowlists]]
condition = "AND"
regexTarget = "line"
regexes = ['''acme_0+''']
paths = ['''test/''']
commits = ["abc"]
stopwords = ["sample"]
[[allowlists]]
targetRules = ["acme-token", "other"]
stopwords = ["sample"]
[allowlist]
paths = ['''vendor/''']
"#;

        const PIECES: &[&str] = &[
            "\n",
            "[[rules]]\n",
            "[[rules.allowlists]]\n",
            "[[allowlists]]\n",
            "[allowlist]\n",
            "[extend]\n",
            "[rules.allowlist]\n",
            "id = ",
            "regex = ",
            "secretGroup = ",
            "entropy = ",
            "keywords = ",
            "path = ",
            "paths = ",
            "regexes = ",
            "stopwords = ",
            "condition = ",
            "regexTarget = ",
            "targetRules = ",
            "commits = ",
            "useDefault = ",
            "disabledRules = ",
            "\"a\"",
            "'(x)'",
            "\"(\"",
            "'[z-a]'",
            "'(?P<n>a)'",
            "'\\p{L}'",
            "1",
            "-1",
            "99999999999",
            "1e400",
            "nan",
            "true",
            "[",
            "]",
            "{",
            "}",
            ",",
            "\"AND\"",
            "\"match\"",
            "\"line\"",
            "\"aws-access-key-id\"",
            "\"generic-api-key\"",
            "'''",
            "#",
            "=",
        ];

        fn config() -> impl Strategy<Value = String> {
            let random =
                prop::collection::vec(prop::sample::select(PIECES), 0..60).prop_map(|p| p.concat());
            let inserts = prop::collection::vec((0.0..1.0f64, prop::sample::select(PIECES)), 0..6);
            let deletes = prop::collection::vec((0.0..1.0f64, 0..30usize), 0..3);
            let mutated = (inserts, deletes).prop_map(|(inserts, deletes)| {
                // The seed and the pieces are ASCII: every offset is a character boundary.
                let mut text = SEED.to_string();
                for (at, n) in deletes {
                    let start = (text.len() as f64 * at) as usize;
                    let end = (start + n).min(text.len());
                    text.replace_range(start..end, "");
                }
                for (at, piece) in inserts {
                    text.insert_str((text.len() as f64 * at) as usize, piece);
                }
                text
            });
            prop_oneof![random, mutated]
        }

        fn check(text: &str) -> Result<(), TestCaseError> {
            let _ = is_gitleaks("x.toml", text);
            if let Ok(t) = translate(text, &known) {
                let doc: Table = text.parse().expect("translate parsed it");
                prop_assert!(t.file.rules.len() <= rules_of(&doc).len());
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(cases(256))]

            #[test]
            fn translation_never_panics(text in config()) {
                check(&text)?;
            }
        }

        proptest! {
            #![proptest_config(cases(20_000))]

            #[test]
            #[ignore = "long run of translation_never_panics"]
            fn long_translation_never_panics(text in config()) {
                check(&text)?;
            }
        }
    }
}
