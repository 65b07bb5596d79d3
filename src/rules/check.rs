//! Checks a rule set against its own examples: every example must produce a match of its rule,
//! no counter-example may. Run by `cargo test` over the built-ins and by `leakhound rules
//! check FILE` over a user's rules, so a rule that stops matching fails loudly.

use crate::engine::Engine;

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

/// Runs every rule's examples and counter-examples through the engine.
pub fn check(engine: &Engine) -> Vec<Failure> {
    let mut failures = Vec::new();
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
        let hits = |text: &str| {
            engine
                .scan(path, text.as_bytes())
                .iter()
                .any(|m| m.rule == index)
        };
        for (n, example) in rule.examples.iter().enumerate() {
            if !hits(example) {
                failures.push(fail(format!("example {} does not match", n + 1)));
            }
        }
        for (n, counter) in rule.counter_examples.iter().enumerate() {
            if hits(counter) {
                failures.push(fail(format!("counter_example {} matches", n + 1)));
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use crate::engine::Engine;
    use crate::rules::RuleSet;

    /// Every built-in rule's examples match and its counter-examples do not.
    #[test]
    fn builtin_rule_examples() {
        let engine = Engine::new(RuleSet::builtin().expect("built-in rules load"));
        let failures = super::check(&engine);
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
