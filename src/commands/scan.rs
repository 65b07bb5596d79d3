//! `leakhound scan PATH...`: files on disk.

use anyhow::Result;

use crate::cli::ScanArgs;
use crate::run::{self, Output};

pub fn run(args: &ScanArgs) -> Result<u8> {
    let outcome = run::files(&args.paths, args.no_ignore, &args.common)?;
    run::emit(&outcome, &Output::from_args(&args.common))
}
