//! Rules as data: the TOML shape of `rules/*.toml` and of a user's `.leakhound.toml`, exactly
//! as written, before anything is compiled. Unknown fields are errors so that a typo in a
//! config file is reported rather than silently ignored.

use serde::Deserialize;

use crate::finding::Severity;

/// One rules or config file. The built-in rule packs and `.leakhound.toml` share this shape.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    #[serde(default)]
    pub extend: Option<ExtendSyntax>,
    #[serde(default)]
    pub allowlist: Option<AllowlistSyntax>,
    #[serde(default)]
    pub rules: Vec<RuleSyntax>,
    /// The lowest confidence reported (`--confidence` overrides it).
    #[serde(default)]
    pub confidence: Option<crate::finding::Confidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendSyntax {
    /// Start from the built-in rules (the default) or only from the rules in this file.
    #[serde(default = "yes")]
    pub default: bool,
    #[serde(default)]
    pub disable: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSyntax {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub regexes: Vec<String>,
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Exact secrets that are not secrets: the examples a provider publishes in its docs.
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSyntax {
    pub id: String,
    pub description: String,
    /// The pattern; absent only for rules implemented by a structural analyzer.
    #[serde(default)]
    pub regex: Option<String>,
    #[serde(default)]
    pub secret_group: Option<usize>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub entropy: Option<f64>,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub counter_examples: Vec<String>,
    #[serde(default)]
    pub allowlist: Option<AllowlistSyntax>,
    /// How to fix a finding; `rules explain` and the SARIF help print it.
    #[serde(default)]
    pub remedy: Option<String>,
    /// Why this secret matters, for `rules explain`.
    #[serde(default)]
    pub why: Option<String>,
    #[serde(default)]
    pub severity: Option<Severity>,
    /// How specific the rule is: `vendor` (default for regex rules), `analyzer` (default for
    /// analyzer rules) or `generic`.
    #[serde(default)]
    pub tier: Option<super::Tier>,
    /// The confidence of the rule's findings before context lowers it (default: `high` for
    /// vendor rules, `medium` otherwise).
    #[serde(default)]
    pub confidence: Option<crate::finding::Confidence>,
    /// An offline check the captured secret must pass (see `rules::offline`).
    #[serde(default)]
    pub check: Option<String>,
    /// A structural analyzer that reports for this rule id instead of a regex (`kubernetes`).
    #[serde(default)]
    pub analyzer: Option<String>,
    /// The file name examples are checked under, for rules that depend on the kind of file.
    #[serde(default)]
    pub example_path: Option<String>,
}
