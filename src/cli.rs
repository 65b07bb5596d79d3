//! Command-line flags as clap parses them: raw values only. `config.rs` turns them into the
//! objects that run. Each `///` comment here is the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;

/// Finds secrets in files, git history and Kubernetes/Helm configuration, before they are
/// committed, merged or shipped.
#[derive(Parser, Debug)]
#[command(name = "leakhound", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan files and directories on disk ("-" reads standard input).
    Scan(ScanArgs),
    /// Scan git history: every commit reachable from any ref, a range, or the staged changes.
    Git(GitArgs),
    /// Inside CI (GitHub Actions): scan what the event adds, write SARIF, annotations and a
    /// job summary.
    Ci(CiArgs),
    /// List, check or explain rules.
    Rules(RulesArgs),
    /// Write the current findings as a baseline file of accepted fingerprints.
    Baseline(BaselineArgs),
    /// Install a git pre-commit hook that runs `leakhound git --staged` (and with
    /// --commit-msg a commit-msg hook that scans the message).
    InstallHook(InstallHookArgs),
    /// Print shell completions for SHELL on standard output.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on standard output.
    Man,
}

#[derive(Args, Debug, Clone, Default)]
pub struct CommonArgs {
    /// Report format.
    #[arg(short, long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Config file (default: .leakhound.toml at the scan root, else built-in rules only).
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Suppress findings whose fingerprint is in FILE (a baseline file or a JSON report).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Print secrets in full. By default they are redacted everywhere.
    #[arg(long)]
    pub no_redact: bool,
    /// Exit status when findings remain.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub exit_code: u8,
    /// Worker threads (default: all cores).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
    /// Files (and blobs) larger than this are skipped and counted as skipped.
    #[arg(long, value_name = "BYTES", default_value_t = 50 * 1024 * 1024)]
    pub max_file_size: u64,
    /// The lowest confidence reported and counted for the exit status (default: the config's
    /// `confidence`, else medium). `low` adds generic matches in tests, docs, examples and
    /// comments.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub confidence: Option<crate::finding::Confidence>,
    /// Less on standard error.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More on standard error (skipped files, parse warnings, stale baseline entries).
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ScanArgs {
    /// Files or directories to scan; "-" reads standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Do not honour .gitignore and .ignore files.
    #[arg(long)]
    pub no_ignore: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug, Clone)]
pub struct GitArgs {
    /// The repository (default: the current directory).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Only the commits in BASE..HEAD (what a pull request adds).
    #[arg(long, value_name = "BASE..HEAD", conflicts_with_all = ["since", "staged"])]
    pub range: Option<String>,
    /// Only the commits after REV.
    #[arg(long, value_name = "REV", conflicts_with = "staged")]
    pub since: Option<String>,
    /// What `git commit` would record now (for a pre-commit hook).
    #[arg(long)]
    pub staged: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug, Clone)]
pub struct CiArgs {
    /// Where to write the SARIF report.
    #[arg(long, value_name = "FILE", default_value = "leakhound.sarif")]
    pub sarif: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: Option<RulesCommand>,
    /// Config file whose rules are listed or explained with the built-ins.
    #[arg(short, long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// One line per rule in force.
    List,
    /// Check that every example in a rules file matches and no counter-example does.
    Check {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// What a rule finds, why it matters, and how to fix a finding.
    Explain {
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Args, Debug)]
pub struct BaselineArgs {
    #[command(subcommand)]
    pub command: BaselineCommand,
}

#[derive(Subcommand, Debug)]
pub enum BaselineCommand {
    /// Baseline the findings of a directory scan.
    Scan(ScanArgs),
    /// Baseline the findings of a history scan.
    Git(GitArgs),
}

#[derive(Args, Debug)]
pub struct InstallHookArgs {
    /// The repository whose hook to write (default: the current directory).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Overwrite an existing hook.
    #[arg(long)]
    pub force: bool,
    /// Also write a commit-msg hook, which refuses a commit whose message holds a secret.
    #[arg(long)]
    pub commit_msg: bool,
}
