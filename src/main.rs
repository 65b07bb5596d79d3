//! leakhound: parse the command line, run, map the outcome to an exit status.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator. The YAML analyzer and the pipeline allocate many
/// short-lived strings per blob, which glibc's malloc served slowly. Its v2 line, without
/// transparent huge pages (`v2`, `no_thp`): v3, or huge pages, raised the peak resident memory
/// of a 60,000-commit audit from 140 MB to 195 MB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// libgit2 inflates every object it reads through zlib's C API; `libz-rs-sys` (built with
/// `export-symbols`) defines that API in this binary, so the linker binds libgit2 to zlib-rs,
/// which inflates git objects faster than the system zlib (inflating was a third of a history
/// audit's CPU). Nothing here calls it; this keeps the crate linked. Not on Windows, where
/// libgit2 links a static zlib and MSVC's linker would meet the same symbols twice.
#[cfg(not(windows))]
use libz_rs_sys as _;

fn main() -> ExitCode {
    let cli = leakhound::cli::Cli::parse();
    ExitCode::from(leakhound::run(cli))
}
