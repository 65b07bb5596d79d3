//! One module per command: each a leaf that turns its arguments into a run and returns the
//! exit status. Nothing imports from here but the dispatch in `lib.rs`.

pub mod baseline;
pub mod ci;
pub mod generate;
pub mod git;
pub mod install_hook;
pub mod rules;
pub mod scan;
