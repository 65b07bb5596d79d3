//! The rule set in force: the built-in packs, extended, trimmed or replaced by the user's
//! config, plus the global allowlist. Built once, shared read-only by every thread.

use std::collections::HashMap;

use super::syntax::RulesFile;
use super::{Allowlist, Rule, builtin, compile_rule};

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("{file}: rule {id:?}: {message}")]
    Rule {
        file: String,
        id: String,
        message: String,
    },
}

#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub allowlist: Allowlist,
    /// The config's `confidence`: the lowest shown unless `--confidence` says otherwise.
    pub confidence: Option<crate::finding::Confidence>,
    index: HashMap<String, usize>,
}

/// Parses one TOML rules or config file, naming the file in the error.
/// The error names the line and column, but does not quote the line: a config line may
/// hold a secret (an allowlisted token), and error messages end up in CI logs.
pub fn parse_file(name: &str, text: &str) -> Result<RulesFile, RuleError> {
    toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(String::new(), |span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            format!(" (line {line}, column {column})")
        });
        RuleError::File {
            file: name.into(),
            message: format!("{}{at}", e.message().trim_end()),
        }
    })
}

impl RuleSet {
    /// Every built-in rule.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        RuleSet::with_config(None)
    }

    /// The built-ins (unless the config says `[extend] default = false`), minus the disabled
    /// ones, plus the config's own rules, which replace a built-in of the same id.
    pub fn with_config(config: Option<(&str, RulesFile)>) -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        let use_builtin = config
            .as_ref()
            .and_then(|(_, c)| c.extend.as_ref())
            .is_none_or(|e| e.default);
        if use_builtin {
            for (name, text) in builtin::BUILTIN_PACKS {
                let file = format!("rules/{name}");
                set.add_file(&file, parse_file(&file, text)?, false)?;
            }
        }
        if let Some((name, file)) = config {
            set.confidence = file.confidence;
            let disable = file
                .extend
                .as_ref()
                .map(|e| e.disable.clone())
                .unwrap_or_default();
            for id in &disable {
                if !set.index.contains_key(id) {
                    return Err(RuleError::File {
                        file: name.into(),
                        message: format!("[extend] disable names {id:?}, which is not a rule"),
                    });
                }
            }
            set.rules.retain(|r| !disable.contains(&r.id));
            set.reindex();
            set.add_file(name, file, true)?;
        }
        Ok(set)
    }

    /// A rule set of just one file's rules (for `rules check`).
    pub fn only(name: &str, file: RulesFile) -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        set.add_file(name, file, true)?;
        Ok(set)
    }

    fn add_file(&mut self, name: &str, file: RulesFile, eager: bool) -> Result<(), RuleError> {
        if let Some(allow) = &file.allowlist {
            let compiled = Allowlist::compile(allow).map_err(|e| RuleError::File {
                file: name.into(),
                message: format!("invalid [allowlist]: {e}"),
            })?;
            merge_allowlist(&mut self.allowlist, compiled, allow);
        }
        for syntax in file.rules {
            let id = syntax.id.clone();
            let rule = compile_rule(syntax, name, eager).map_err(|message| RuleError::Rule {
                file: name.into(),
                id: id.clone(),
                message,
            })?;
            match self.index.get(&id) {
                Some(&i) if self.rules[i].source == name => {
                    return Err(RuleError::Rule {
                        file: name.into(),
                        id,
                        message: "defined twice".into(),
                    });
                }
                Some(&i) => self.rules[i] = rule,
                None => {
                    self.index.insert(id, self.rules.len());
                    self.rules.push(rule);
                }
            }
        }
        Ok(())
    }

    fn reindex(&mut self) {
        self.index = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.index.get(id).map(|&i| &self.rules[i])
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }
}

/// A global allowlist can come from the built-ins and from the config: keep both.
fn merge_allowlist(into: &mut Allowlist, new: Allowlist, syntax: &super::syntax::AllowlistSyntax) {
    if into.paths.is_none()
        && into.regexes.is_none()
        && into.stopwords.is_empty()
        && into.values.is_empty()
    {
        *into = new;
        return;
    }
    let join = |old: &Option<regex::bytes::RegexSet>, add: &[String]| {
        let mut all: Vec<String> = old.iter().flat_map(|s| s.patterns().to_vec()).collect();
        all.extend(add.iter().cloned());
        super::build_set(&all).expect("both halves compiled")
    };
    into.paths = join(&into.paths, &syntax.paths);
    into.regexes = join(&into.regexes, &syntax.regexes);
    into.stopwords.extend(new.stopwords);
    into.values.extend(new.values);
}
