//! Shell completions and the man page, generated from the clap definitions in `cli.rs` so
//! they can never drift from `--help`. The release archives ship both.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::emit::EXIT_CLEAN;

/// `leakhound completions SHELL`: the completion script on standard output. It is rendered
/// in memory first: clap_complete panics on a write error, and a closed pipe is no error.
pub fn completions(shell: Shell) -> Result<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "leakhound", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(EXIT_CLEAN)
}

/// `leakhound man`: the man page (roff): synopsis, options and the subcommands.
pub fn man() -> Result<u8> {
    let mut out = std::io::stdout().lock();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    out.flush()?;
    Ok(EXIT_CLEAN)
}
