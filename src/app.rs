//! One function per command. Owns the thread pool, collects and sorts findings, prints
//! per-file problems, and turns the outcome into an exit status (0 clean, 1 findings, 2 error).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::cli::{Cli, Command, CommonArgs, GitArgs, RulesArgs, RulesCommand, ScanArgs};
use crate::config::{self, Output};
use crate::engine::Engine;
use crate::report::{self, Report, Skipped, Summary};
use crate::rules::{Pattern, RuleSet};
use crate::scan::{Scanner, Stats};
use crate::source::Collected;
use crate::source::files::FileSource;
use crate::source::progress::{Progress, Show};

pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_ERROR: u8 = 2;

pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Scan(args) => scan(&args),
        Command::Rules(args) => rules(&args),
        Command::Git(args) => git(&args),
        Command::Ci(args) => crate::ci::run(&args),
        Command::Baseline(args) => crate::baseline::run(&args),
        Command::InstallHook(args) => crate::hook::install(&args),
        Command::Completions { shell } => crate::commands::generate::completions(shell),
        Command::Man => crate::commands::generate::man(),
    }
}

/// A pipe closed by the reader (`leakhound scan | head`) is not an error.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The directory a scan is rooted at: where `.leakhound.toml` and `.leakhoundignore` are
/// looked for. For several paths, the first directory among them.
pub fn scan_root(paths: &[PathBuf]) -> PathBuf {
    paths
        .iter()
        .find(|p| p.is_dir())
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."))
}

fn scan(args: &ScanArgs) -> Result<u8> {
    let start = Instant::now();
    let (scanner, collected) = file_scan(args)?;
    finish(&args.common, &scanner, collected, start)
}

/// Runs `leakhound scan` up to the report, for `scan` and `baseline scan`.
pub fn file_scan(args: &ScanArgs) -> Result<(Scanner, Collected)> {
    let root = scan_root(&args.paths);
    let scanner = config::scanner(&args.common, &root)?;
    let source = FileSource {
        roots: args.paths.clone(),
        honour_ignore: !args.no_ignore,
        threads: config::threads(&args.common),
        progress: Progress::new(progress_show(&args.common, true)),
    };
    let collected = Collected::default();
    source.run(&scanner, &collected);
    Ok((scanner, collected))
}

/// How a long scan shows progress: a bar on a terminal, a line every few seconds on a pipe
/// with `-v`, nothing with `-q` or for scans that are quick by nature (staged, ranges).
fn progress_show(c: &CommonArgs, long: bool) -> Show {
    match (long, c.quiet, std::io::stderr().is_terminal()) {
        (true, false, true) => Show::Bar,
        (true, false, false) if c.verbose => Show::Lines,
        _ => Show::Off,
    }
}

fn git(args: &GitArgs) -> Result<u8> {
    let start = Instant::now();
    let (scanner, collected) = git_scan(args)?;
    finish(&args.common, &scanner, collected, start)
}

/// Runs `leakhound git` up to the report, for `git`, `baseline git` and `ci` alike. An error
/// means the scan could not start (not a repository, a bad range); problems with single
/// objects are in the returned [`Collected`].
pub fn git_scan(args: &GitArgs) -> Result<(Scanner, Collected)> {
    use crate::source::git::{GitSource, Mode};
    let mode = match (&args.range, &args.since, args.staged) {
        (_, _, true) => Mode::Staged,
        (Some(range), _, _) => Mode::Range(range.clone()),
        (_, Some(rev), _) => Mode::Since(rev.clone()),
        _ => Mode::Full,
    };
    let c = &args.common;
    let progress = progress_show(c, matches!(mode, Mode::Full));
    let source = GitSource::open(&args.repo, mode, config::threads(c), progress)?;
    let scanner = config::scanner(c, &source.root())?;
    if source.is_shallow() && !c.quiet {
        eprintln!(
            "leakhound: note: shallow clone: history before its oldest commits is not there and was not scanned"
        );
    }
    let collected = Collected::default();
    source.run(&scanner, &collected)?;
    Ok((scanner, collected))
}

/// What a finished scan amounts to: sorted findings, the summary, and the problems met.
pub struct Outcome {
    pub findings: Vec<crate::finding::Finding>,
    pub summary: Summary,
    pub errors: Vec<crate::source::SourceError>,
    pub notes: Vec<String>,
    /// Files scanned only in part by an analyzer (YAML that does not parse): shown unless -q.
    pub warnings: Vec<String>,
}

pub fn outcome(scanner: &Scanner, collected: Collected, start: Instant) -> Outcome {
    let (mut findings, errors, notes) = collected.into_parts();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint && a.location == b.location);
    let mut notes = notes;
    notes.extend(
        scanner
            .filter
            .stale()
            .into_iter()
            .map(|fp| format!("baseline entry {fp} matched nothing in this scan (stale)")),
    );
    let mut warnings =
        std::mem::take(&mut *scanner.warnings.lock().expect("no panics while holding"));
    warnings.sort();
    let s = &scanner.stats;
    let summary = Summary {
        files_scanned: Stats::get(&s.files),
        bytes_scanned: Stats::get(&s.bytes),
        commits_scanned: Stats::get(&s.commits),
        findings: findings.len() as u64,
        suppressed: Stats::get(&s.suppressed),
        skipped: Skipped {
            too_large: Stats::get(&s.too_large),
            binary: Stats::get(&s.binary),
            unreadable: Stats::get(&s.unreadable),
        },
        elapsed_ms: start.elapsed().as_millis() as u64,
    };
    Outcome {
        findings,
        summary,
        errors,
        notes,
        warnings,
    }
}

/// Prints problems, writes the report, and chooses the exit status.
fn finish(
    args: &CommonArgs,
    scanner: &Scanner,
    collected: Collected,
    start: Instant,
) -> Result<u8> {
    let outcome = outcome(scanner, collected, start);
    let output = Output::from_args(args);
    write_report(&output, scanner.engine.rules(), &outcome)?;
    Ok(exit_status(&output, &outcome))
}

pub fn write_report(output: &Output, rules: &RuleSet, outcome: &Outcome) -> Result<()> {
    for err in &outcome.errors {
        eprintln!("leakhound: warning: {err}");
    }
    if !output.quiet {
        for warning in &outcome.warnings {
            eprintln!("leakhound: warning: {warning}");
        }
    }
    if output.verbose && !output.quiet {
        for note in &outcome.notes {
            eprintln!("leakhound: note: {note}");
        }
    }
    let report = Report {
        findings: &outcome.findings,
        summary: &outcome.summary,
        rules,
        reveal: output.reveal,
        color: output.color,
    };
    match &output.file {
        Some(path) => {
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("cannot write {}", path.display()))?,
            );
            report::write(output.format, &report, &mut file)?;
            file.flush()?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            report::write(output.format, &report, &mut lock)?;
            lock.flush()?;
        }
    }
    Ok(())
}

pub fn exit_status(output: &Output, outcome: &Outcome) -> u8 {
    if !outcome.errors.is_empty() {
        EXIT_ERROR
    } else if !outcome.findings.is_empty() {
        output.exit_code
    } else {
        EXIT_CLEAN
    }
}

fn rules(args: &RulesArgs) -> Result<u8> {
    match args.command.as_ref().unwrap_or(&RulesCommand::List) {
        RulesCommand::List => {
            let set = config::load_rules(args.config.as_deref(), Path::new("."))?;
            let mut out = std::io::stdout().lock();
            for rule in &set.rules {
                writeln!(out, "{:<40} {}", rule.id, rule.description)?;
            }
            Ok(EXIT_CLEAN)
        }
        RulesCommand::Check { file } => rules_check(file),
        RulesCommand::Explain { id } => {
            let set = config::load_rules(args.config.as_deref(), Path::new("."))?;
            let Some(rule) = set.get(id) else {
                bail!("no rule {id:?}; `leakhound rules list` shows the rules in force");
            };
            print!("{}", explain(rule));
            Ok(EXIT_CLEAN)
        }
    }
}

fn rules_check(file: &Path) -> Result<u8> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.display().to_string();
    let parsed = crate::rules::set::parse_file(&name, &text)?;
    let engine = Engine::new(RuleSet::only(&name, parsed)?);
    let failures = crate::rules::check::check(&engine);
    for failure in &failures {
        eprintln!("{failure}");
    }
    let rules = engine.rules().rules.len();
    if failures.is_empty() {
        println!("{name}: {rules} rule(s), every example matches and no counter-example does");
        Ok(EXIT_CLEAN)
    } else {
        println!("{name}: {} problem(s) in {rules} rule(s)", failures.len());
        Ok(1)
    }
}

/// `rules explain`: what the rule finds, why it matters, how to fix a finding.
pub fn explain(rule: &crate::rules::Rule) -> String {
    let mut text = format!("{}\n  {}\n\n", rule.id, rule.description);
    let finds = match &rule.pattern {
        Pattern::Regex { source, .. } => format!("a match of the regex\n    {source}"),
        Pattern::Analyzer(_) => {
            "values the Kubernetes/Helm analyzer judges by key and structure".into()
        }
    };
    text += &format!("What it finds:\n  {finds}\n");
    if !rule.keywords.is_empty() {
        text += &format!(
            "  only where one of these occurs: {}\n",
            rule.keywords.join(", ")
        );
    }
    if let Some(e) = rule.entropy {
        text += &format!("  with at least {e} bits of entropy per character\n");
    }
    if let Some(c) = &rule.check {
        text += &format!("  that passes the offline check {c:?}\n");
    }
    let why = rule.why.as_deref().unwrap_or(
        "Anyone who can read the repository, its history, a fork or a CI log can use it. \
         Deleting it in a later commit does not help: history keeps it.",
    );
    text += &format!(
        "\nWhy it matters:\n  {why}\n\nHow to fix:\n  {}\n",
        rule.remedy_text()
    );
    text
}
