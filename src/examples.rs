//! Checks a rule set against its own examples: every example must produce a candidate of its
//! rule (through the engine and the filter's content checks, as a scan would), no
//! counter-example may. Run by `cargo test` over the built-ins and by `leakhound rules
//! check FILE` over a user's rules, so a rule that stops matching fails loudly.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::engine::Engine;
use crate::filter::Filter;
use crate::rules::{Analyzer, Pattern};
use crate::scan::Scanner;

/// One example that did not behave. The example text is not included: it may hold a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub rule_id: String,
    pub source: String,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: rule {:?}: {}",
            self.source, self.rule_id, self.message
        )
    }
}

/// What went wrong, and of how many rules.
#[derive(Debug, Default)]
pub struct Failures {
    pub failures: Vec<Failure>,
    pub rules: usize,
}

impl std::ops::Deref for Failures {
    type Target = Vec<Failure>;
    fn deref(&self) -> &Vec<Failure> {
        &self.failures
    }
}

/// Runs every rule's examples and counter-examples through the engine and the filter.
pub fn check(engine: Engine) -> Failures {
    let scanner = Scanner {
        engine,
        filter: Filter::default(),
        max_file_size: u64::MAX,
        min_confidence: None,
    };
    let mut failures = Vec::new();
    let engine = &scanner.engine;
    for (index, rule) in engine.rules().rules.iter().enumerate() {
        let fail = |message: String| Failure {
            rule_id: rule.id.clone(),
            source: rule.source.clone(),
            message,
        };
        if rule.examples.is_empty() {
            failures.push(fail("has no examples".into()));
        }
        if rule.counter_examples.is_empty() {
            failures.push(fail("has no counter_examples".into()));
        }
        let path = rule.example_path.as_deref().unwrap_or("example.txt");
        if !rule.applies_to(path) {
            failures.push(fail(format!(
                "example path {path:?} is outside the rule's `paths`; set example_path"
            )));
            continue;
        }
        let class = engine.class_of(path);
        // Binary examples (key stores) are written in base64; one that does not decode is a
        // failure, not an empty file that every counter-example check would pass.
        let binary = matches!(rule.pattern, Pattern::Analyzer(Analyzer::Keystore));
        let hits = |text: &str| -> Result<bool, String> {
            let bytes = match binary {
                true => {
                    (STANDARD.decode(text.trim())).map_err(|e| format!("is not base64: {e}"))?
                }
                false => text.as_bytes().to_vec(),
            };
            Ok(
                (scanner.candidates(path, &class, &bytes, None, &mut Vec::new()))
                    .iter()
                    .any(|c| c.rule == index),
            )
        };
        let mut check = |kind: &str, n: usize, text: &str, must: bool| match hits(text) {
            Err(why) => failures.push(fail(format!("{kind} {n} {why}"))),
            Ok(true) if !must => failures.push(fail(format!("{kind} {n} matches"))),
            Ok(false) if must => failures.push(fail(format!("{kind} {n} does not match"))),
            Ok(_) => {}
        };
        for (n, example) in rule.examples.iter().enumerate() {
            check("example", n + 1, example, true);
        }
        for (n, counter) in rule.counter_examples.iter().enumerate() {
            check("counter_example", n + 1, counter, false);
        }
    }
    Failures {
        failures,
        rules: engine.rules().rules.len(),
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Engine;
    use crate::rules::RuleSet;

    /// Every built-in rule's examples match and its counter-examples do not.
    #[test]
    fn builtin_rule_examples() {
        let engine = Engine::new(RuleSet::builtin().expect("built-in rules load"));
        let failures = super::check(engine);
        let listed: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            listed.join("\n")
        );
    }

    /// Built-in regexes compile lazily in the binary; here every one is compiled.
    #[test]
    fn builtin_regexes_compile() {
        let set = RuleSet::builtin().expect("built-in rules load");
        for rule in &set.rules {
            if let crate::rules::Pattern::Regex { source, .. } = &rule.pattern {
                let re = crate::rules::build_regex(source)
                    .unwrap_or_else(|e| panic!("{}: {}: {e}", rule.source, rule.id));
                if let Some(g) = rule.secret_group {
                    assert!(
                        g < re.captures_len(),
                        "{}: secret_group {g} out of range",
                        rule.id
                    );
                }
            }
        }
    }
}
