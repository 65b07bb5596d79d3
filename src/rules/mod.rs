//! Rules: parsed from TOML (`syntax`), compiled into [`Rule`]s, gathered in a [`RuleSet`]
//! that every scanning thread shares. Built-in regexes compile lazily, on the first blob whose
//! keywords call for them, so a pre-commit run of one small file does not pay for 150 rules.

pub mod builtin;
pub mod explain;
pub mod gitleaks;
pub mod offline;
pub mod required;
pub mod set;
pub mod syntax;
pub mod window;

use std::sync::OnceLock;

use regex::bytes::{RegexSet, RegexSetBuilder};
use regex_automata::meta::{self, Regex};

use crate::finding::Severity;
pub use offline::Check;
pub use set::RuleSet;
use syntax::{AllowlistSyntax, RuleSyntax};

/// The structural analyzers a rule can be implemented by instead of a regex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Analyzer {
    Kubernetes,
    /// Binary key stores and DER private keys (`crate::blob::keystore`).
    Keystore,
}

/// How specific a rule is. Where matches overlap, the higher tier wins (a vendor token over
/// the Kubernetes analyzer over a generic assignment), and the generic tier's matches inside
/// values the analyzer judged safe are dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Generic,
    Analyzer,
    Vendor,
}

/// What a rule runs: a regex, compiled on first use, or a structural analyzer.
#[derive(Debug)]
pub enum Pattern {
    Regex {
        source: String,
        compiled: OnceLock<Compiled>,
    },
    Analyzer(Analyzer),
}

#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub remedy: Option<String>,
    pub why: Option<String>,
    pub severity: Severity,
    pub tier: Tier,
    /// The confidence of its findings before context lowers it; by tier when not set.
    pub confidence: Option<crate::finding::Confidence>,
    pub keywords: Vec<String>,
    pub entropy: Option<f64>,
    pub secret_group: Option<usize>,
    pub check: Option<Check>,
    pub paths: Option<RegexSet>,
    pub allowlist: Allowlist,
    pub pattern: Pattern,
    pub examples: Vec<String>,
    pub counter_examples: Vec<String>,
    pub example_path: Option<String>,
    /// Where the rule was defined (`rules/aws.toml`, `.leakhound.toml`), for error messages.
    pub source: String,
}

impl Rule {
    /// The compiled regex, or `None` for analyzer rules. Built-in patterns are checked by the
    /// test suite; user patterns are compiled eagerly at load time, so this cannot fail then.
    pub fn regex(&self) -> Option<&Compiled> {
        match &self.pattern {
            Pattern::Regex { source, compiled } => Some(compiled.get_or_init(|| {
                Compiled::new(source, &self.keywords).expect("rule regex was validated")
            })),
            Pattern::Analyzer(_) => None,
        }
    }

    pub fn applies_to(&self, path: &str) -> bool {
        self.paths
            .as_ref()
            .is_none_or(|set| set.is_match(path.as_bytes()))
    }

    pub fn remedy_text(&self) -> &str {
        self.remedy.as_deref().unwrap_or(
            "Remove the secret from the file, rotate it (it is compromised once committed), and \
             load it at runtime from a secret store or the environment.",
        )
    }
}

/// A rule's regex, ready to run.
#[derive(Debug)]
pub struct Compiled {
    pub regex: Regex,
    /// Where matches can be relative to the rule's keywords, when that is known: the
    /// engine then searches only there.
    pub reach: Option<window::Reach>,
    /// Bytes every match holds: where one is missing, the regex does not run.
    pub required: Vec<u8>,
}

impl Compiled {
    pub fn new(source: &str, keywords: &[String]) -> Result<Compiled, String> {
        Ok(Compiled {
            regex: build_regex(source)?,
            reach: window::reach(source, keywords),
            required: required::required(source),
        })
    }
}

/// Patterns are matched on bytes (content need not be UTF-8) with ASCII classes: secrets are
/// ASCII, and Unicode-aware `\w` would make every rule slower. The engine is `regex`'s own,
/// configured as `regex::bytes::Regex` is; it is used directly because a search can then be
/// anchored at a chosen start while look-around still sees the whole blob. Errors read as
/// `regex`'s do: the syntax error with its caret, or the size limit.
pub fn build_regex(source: &str) -> Result<Regex, String> {
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .match_kind(regex_automata::MatchKind::LeftmostFirst)
                .utf8_empty(false)
                .nfa_size_limit(Some(32 << 20))
                .hybrid_cache_capacity(32 << 20),
        )
        .syntax(
            regex_automata::util::syntax::Config::new()
                .unicode(false)
                .utf8(false),
        )
        .build(source)
        .map_err(|e| match (e.syntax_error(), e.size_limit()) {
            (Some(syntax), _) => syntax.to_string(),
            (None, Some(limit)) => format!("Compiled regex exceeds size limit of {limit} bytes."),
            (None, None) => e.to_string(),
        })
}

pub(crate) fn build_set(patterns: &[String]) -> Result<Option<RegexSet>, regex::Error> {
    if patterns.is_empty() {
        return Ok(None);
    }
    RegexSetBuilder::new(patterns)
        .unicode(false)
        .build()
        .map(Some)
}

/// Paths, secret patterns and stopwords that drop a match, globally or for one rule.
#[derive(Debug, Default)]
pub struct Allowlist {
    pub paths: Option<RegexSet>,
    pub regexes: Option<RegexSet>,
    pub stopwords: Vec<String>,
    /// Exact values: published examples (`AKIAIOSFODNN7EXAMPLE`, the Azurite key), written
    /// as they are instead of as escaped, anchored regexes.
    pub values: Vec<String>,
}

impl Allowlist {
    pub fn compile(syntax: &AllowlistSyntax) -> Result<Allowlist, regex::Error> {
        Ok(Allowlist {
            paths: build_set(&syntax.paths)?,
            regexes: build_set(&syntax.regexes)?,
            stopwords: syntax
                .stopwords
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            values: syntax.values.clone(),
        })
    }

    pub fn allows_path(&self, path: &str) -> bool {
        self.paths
            .as_ref()
            .is_some_and(|set| set.is_match(path.as_bytes()))
    }

    pub fn allows_secret(&self, secret: &str) -> bool {
        if self.values.iter().any(|v| v == secret) {
            return true;
        }
        if self
            .regexes
            .as_ref()
            .is_some_and(|set| set.is_match(secret.as_bytes()))
        {
            return true;
        }
        if self.stopwords.is_empty() {
            return false;
        }
        let lower = secret.to_ascii_lowercase();
        self.stopwords.iter().any(|w| lower.contains(w.as_str()))
    }
}

/// Compiles one rule. `eager` compiles the regex now (user rules, so a bad pattern is a load
/// error); built-ins defer it to first use.
pub fn compile_rule(syntax: RuleSyntax, source: &str, eager: bool) -> Result<Rule, String> {
    let pattern = match (&syntax.regex, &syntax.analyzer) {
        (Some(re), None) => {
            let compiled = OnceLock::new();
            if eager {
                let regex = Compiled::new(re, &syntax.keywords)
                    .map_err(|e| format!("invalid regex: {e}"))?;
                check_group(&regex.regex, syntax.secret_group)?;
                let _ = compiled.set(regex);
            }
            Pattern::Regex {
                source: re.clone(),
                compiled,
            }
        }
        (None, Some(name)) if name == "kubernetes" => Pattern::Analyzer(Analyzer::Kubernetes),
        (None, Some(name)) if name == "keystore" => Pattern::Analyzer(Analyzer::Keystore),
        (None, Some(name)) => return Err(format!("unknown analyzer {name:?}")),
        (Some(_), Some(_)) => {
            return Err("a rule has either `regex` or `analyzer`, not both".into());
        }
        (None, None) => return Err("missing `regex`".into()),
    };
    let id_ok = syntax
        .id
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
        && syntax
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !id_ok {
        return Err(
            "a rule id is letters, digits, `.`, `_` and `-`, starting with a letter or digit"
                .into(),
        );
    }
    if let Some(e) = syntax.entropy.filter(|e| !(0.0..=8.0).contains(e)) {
        return Err(format!("entropy {e} is outside 0..=8 bits per character"));
    }
    let check = match syntax.check.as_deref() {
        Some(name) => Some(Check::named(name).ok_or_else(|| format!("unknown check {name:?}"))?),
        None => None,
    };
    let tier = match (&pattern, syntax.tier) {
        (Pattern::Analyzer(_), None) => Tier::Analyzer,
        (_, Some(tier)) => tier,
        (Pattern::Regex { .. }, None) => Tier::Vendor,
    };
    let allowlist = syntax
        .allowlist
        .as_ref()
        .map(Allowlist::compile)
        .transpose();
    Ok(Rule {
        paths: build_set(&syntax.paths).map_err(|e| format!("invalid `paths` regex: {e}"))?,
        allowlist: allowlist
            .map_err(|e| format!("invalid allowlist: {e}"))?
            .unwrap_or_default(),
        keywords: syntax
            .keywords
            .iter()
            .map(|k| k.to_ascii_lowercase())
            .collect(),
        severity: syntax.severity.unwrap_or_default(),
        tier,
        confidence: syntax.confidence,
        source: source.to_string(),
        pattern,
        id: syntax.id,
        description: syntax.description,
        remedy: syntax.remedy,
        why: syntax.why,
        entropy: syntax.entropy,
        secret_group: syntax.secret_group,
        check,
        examples: syntax.examples,
        counter_examples: syntax.counter_examples,
        example_path: syntax.example_path,
    })
}

fn check_group(regex: &Regex, group: Option<usize>) -> Result<(), String> {
    match group {
        Some(g) if g >= regex.captures_len() => Err(format!(
            "secret_group {g} does not exist (the regex has {} groups)",
            regex.captures_len() - 1
        )),
        _ => Ok(()),
    }
}
