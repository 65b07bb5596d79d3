//! `leakhound rules list|check|explain`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::cli::{RulesArgs, RulesCommand};
use crate::config;
use crate::diag::Diagnostics;
use crate::emit::{EXIT_CLEAN, Emitter, Verbosity};
use crate::engine::Engine;
use crate::examples;
use crate::rules::RuleSet;
use crate::rules::explain::explain;

pub fn run(args: &RulesArgs) -> Result<u8> {
    let diags = Diagnostics::default();
    let status = match args.command.as_ref().unwrap_or(&RulesCommand::List) {
        RulesCommand::List => {
            let set = config::load_rules(args.config.as_deref(), Path::new("."), &diags)?;
            let mut out = std::io::stdout().lock();
            for rule in &set.rules {
                writeln!(out, "{:<40} {}", rule.id, rule.description)?;
            }
            EXIT_CLEAN
        }
        RulesCommand::Check { file } => check(file)?,
        RulesCommand::Explain { id } => {
            let set = config::load_rules(args.config.as_deref(), Path::new("."), &diags)?;
            let Some(rule) = set.get(id) else {
                bail!("no rule {id:?}; `leakhound rules list` shows the rules in force");
            };
            print!("{}", explain(rule));
            EXIT_CLEAN
        }
    };
    Emitter::new(Verbosity::default(), false, Vec::new()).diagnostics(&diags.take());
    Ok(status)
}

fn check(file: &Path) -> Result<u8> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.display().to_string();
    let parsed = crate::rules::set::parse_file(&name, &text)?;
    let engine = Engine::new(RuleSet::only(&name, parsed)?);
    let failures = examples::check(engine);
    for failure in failures.iter() {
        eprintln!("{failure}");
    }
    let rules = failures.rules;
    if failures.is_empty() {
        println!("{name}: {rules} rule(s), every example matches and no counter-example does");
        Ok(EXIT_CLEAN)
    } else {
        println!("{name}: {} problem(s) in {rules} rule(s)", failures.len());
        Ok(1)
    }
}
