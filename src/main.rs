//! leakhound: parse the command line, run, map the outcome to an exit status.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = leakhound::cli::Cli::parse();
    ExitCode::from(leakhound::run(cli))
}
