//! leakhound: parse the command line, run, map the outcome to an exit status.

mod app;
mod baseline;
mod blob;
mod ci;
mod cli;
mod commands;
mod config;
mod engine;
mod filter;
mod finding;
mod hook;
mod k8s;
mod report;
mod rules;
mod scan;
mod source;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match app::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) if app::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("leakhound: error: {err:#}");
            ExitCode::from(app::EXIT_ERROR)
        }
    }
}
