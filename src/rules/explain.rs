//! `rules explain`: what a rule finds, why it matters, and how to fix a finding, in the
//! *What it does / Why is this bad / How to fix* order ruff uses for its rules.

use super::{Analyzer, Pattern, Rule};

/// The text `leakhound rules explain ID` prints.
pub fn explain(rule: &Rule) -> String {
    let mut text = format!("{}\n  {}\n\n", rule.id, rule.description);
    let finds = match &rule.pattern {
        Pattern::Regex { source, .. } => format!("a match of the regex\n    {source}"),
        Pattern::Analyzer(Analyzer::Kubernetes) => {
            "values the Kubernetes/Helm analyzer judges by key and structure".into()
        }
        Pattern::Analyzer(Analyzer::Keystore) => {
            "binary files whose structure is a key store or private key (not decrypted)".into()
        }
    };
    text += &format!("What it finds:\n  {finds}\n");
    if !rule.keywords.is_empty() {
        text += &format!(
            "  only where one of these occurs: {}\n",
            rule.keywords.join(", ")
        );
    }
    if let Some(e) = rule.entropy {
        text += &format!("  with at least {e} bits of entropy per character\n");
    }
    if let Some(c) = rule.check {
        text += &format!("  that passes the offline check {c}\n");
    }
    let why = rule.why.as_deref().unwrap_or(
        "Anyone who can read the repository, its history, a fork or a CI log can use it. \
         Deleting it in a later commit does not help: history keeps it.",
    );
    text += &format!(
        "\nWhy it matters:\n  {why}\n\nHow to fix:\n  {}\n",
        rule.remedy_text()
    );
    text
}
