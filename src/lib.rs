//! leakhound finds secrets in files, git history and Kubernetes/Helm configuration.
//!
//! The data flows one way: a [`source`] walks a tree, a history, a range or the index and
//! hands each blob with its [`blob::Origin`] to the [`pipeline`], which scans each blob's bytes
//! once ([`scan`]: the [`engine`] with its rules and the Kubernetes analyzer [`k8s`]), has the
//! one [`filter`] judge each candidate where the blob appears, and collects [`finding`]s. The
//! [`emit`]ter is the one way out: it masks every secret in every string, applies `-q`/`-v`,
//! hands findings to a [`report`] format and decides the exit status. [`run`] resolves flags
//! and config into that pipeline once; `commands` are the leaves.

pub mod blob;
pub mod cli;
mod commands;
pub mod config;
pub mod context;
pub mod diag;
pub mod emit;
pub mod engine;
pub mod entropy;
pub mod examples;
pub mod filter;
pub mod finding;
pub mod firsts;
pub mod k8s;
pub mod pipeline;
pub mod placeholder;
pub mod progress;
#[cfg(test)]
mod proptest_cases;
pub mod report;
pub mod rules;
pub mod run;
pub mod scan;
pub mod source;
pub mod stats;

use cli::{Cli, Command};
use emit::{EXIT_ERROR, escape_controls};

/// Runs one command line and returns the exit status. Errors that stop the run (a bad flag
/// value, a config that does not load, not a repository) are printed here, escaped.
pub fn run(cli: Cli) -> u8 {
    let result = match cli.command {
        Command::Scan(args) => commands::scan::run(&args),
        Command::Git(args) => commands::git::run(&args),
        Command::Ci(args) => commands::ci::run(&args),
        Command::Rules(args) => commands::rules::run(&args),
        Command::Baseline(args) => commands::baseline::run(&args),
        Command::InstallHook(args) => commands::install_hook::install(&args),
        Command::Completions { shell } => commands::generate::completions(shell),
        Command::Man => commands::generate::man(),
    };
    match result {
        Ok(code) => code,
        Err(err) if run::is_broken_pipe(&err) => emit::EXIT_CLEAN,
        Err(err) => {
            eprintln!("leakhound: error: {}", escape_controls(&format!("{err:#}")));
            EXIT_ERROR
        }
    }
}
