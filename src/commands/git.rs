//! `leakhound git [REPO]`: the full history, a range, the commits since a revision, or the
//! staged changes.

use anyhow::Result;

use crate::cli::GitArgs;
use crate::run::{self, Output};
use crate::source::git::Mode;

pub fn run(args: &GitArgs) -> Result<u8> {
    let outcome = run::git(&args.repo, mode(args), &args.common)?;
    run::emit(&outcome, &Output::from_args(&args.common))
}

/// The mode the flags select (clap has made them exclusive).
pub fn mode(args: &GitArgs) -> Mode {
    match (&args.range, &args.since, args.staged) {
        (_, _, true) => Mode::Staged,
        (Some(range), _, _) => Mode::Range(range.clone()),
        (_, Some(rev), _) => Mode::Since(rev.clone()),
        _ => Mode::Full,
    }
}
