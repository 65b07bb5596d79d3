//! Reporters write sorted findings and a summary in one format. They never decide the exit
//! code and never see an unredacted secret unless the user asked with `--no-redact`.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use std::io::{self, Write};

use serde::Serialize;

use crate::finding::Finding;
use crate::rules::RuleSet;

/// The report formats (`-f`).
#[derive(clap::ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Skipped {
    pub too_large: u64,
    pub binary: u64,
    pub unreadable: u64,
    /// Devices, FIFOs and sockets, and symlinks in a scanned folder to files outside it:
    /// never opened.
    pub not_regular: u64,
}

/// The numbers every report ends with (SPEC.md's `summary`).
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub commits_scanned: u64,
    pub findings: u64,
    pub suppressed: u64,
    /// Findings below `--confidence`: not shown, not counted for the exit status.
    pub below_confidence: u64,
    /// Files with more encoded text (base64, hex, percent) than the decoding budget.
    pub partly_decoded: u64,
    pub skipped: Skipped,
    pub elapsed_ms: u64,
}

/// Everything a reporter needs.
pub struct Report<'a> {
    pub findings: &'a [Finding],
    pub summary: &'a Summary,
    pub rules: &'a RuleSet,
    /// `--no-redact`.
    pub reveal: bool,
    /// Colour on a terminal, unless `NO_COLOR`.
    pub color: bool,
}

pub fn write(format: Format, report: &Report, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, out),
        Format::Json => json::write(report, out),
        Format::Sarif => sarif::write(report, out),
        Format::Github => github::write(report, out),
    }
}
