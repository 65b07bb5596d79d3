//! One resolved run, as ripgrep's `HiArgs` is: flags and config turned, once, into what a
//! scan needs (the scanner, the output, threads, progress), then the scan itself, from a
//! source through the pipeline to an [`Outcome`], and the outcome through the one
//! [`Emitter`] to reports, diagnostics and an exit status. Commands call these; `ci` picks
//! a [`Mode`] instead of building command-line arguments.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::cli::CommonArgs;
use crate::config;
use crate::diag::{Diag, Diagnostics, Kind};
use crate::emit::{Emitter, Verbosity};
use crate::finding::{Finding, Secret};
use crate::pipeline::{Collected, Pipeline, Policy, Stats};
use crate::progress::{Progress, Show};
use crate::report::{self, Format, Report, Skipped, Summary};
use crate::scan::Scanner;
use crate::source::files::FileSource;
use crate::source::git::{GitSource, Mode};

/// How the run reports, resolved once from the flags.
#[derive(Debug, Clone)]
pub struct Output {
    pub format: Format,
    pub file: Option<PathBuf>,
    pub reveal: bool,
    pub exit_code: u8,
    pub verbosity: Verbosity,
    pub color: bool,
}

impl Output {
    pub fn from_args(args: &CommonArgs) -> Output {
        let color = args.output.is_none()
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Output {
            format: args.format,
            file: args.output.clone(),
            reveal: args.no_redact,
            exit_code: args.exit_code,
            verbosity: Verbosity {
                quiet: args.quiet,
                verbose: args.verbose,
            },
            color,
        }
    }
}

/// What a finished scan amounts to: sorted findings, the summary, every secret met (for
/// redaction) and every diagnostic.
pub struct Outcome {
    pub scanner: Scanner,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub secrets: Vec<Secret>,
    pub diags: Vec<Diag>,
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

/// How a long scan shows progress: a bar on a terminal, a line every few seconds on a pipe
/// with `-v`, nothing with `-q` or for scans that are quick by nature (staged, ranges).
fn progress(c: &CommonArgs, long: bool) -> Progress {
    Progress::new(match (long, c.quiet, std::io::stderr().is_terminal()) {
        (true, false, true) => Show::Bar,
        (true, false, false) if c.verbose => Show::Lines,
        _ => Show::Off,
    })
}

/// `leakhound scan PATH...` up to the outcome.
pub fn files(paths: &[PathBuf], no_ignore: bool, common: &CommonArgs) -> Result<Outcome> {
    let start = Instant::now();
    let diags = Diagnostics::default();
    let scanner = config::scanner(common, &scan_root(paths), &diags)?;
    let source = FileSource {
        roots: paths.to_vec(),
        honour_ignore: !no_ignore,
        threads: config::threads(common)?,
    };
    let pipeline = Pipeline::new(&scanner, Policy::Every, progress(common, true));
    source.run(&pipeline);
    let collected = pipeline.finish();
    Ok(outcome(scanner, collected, diags, start))
}

/// `leakhound git REPO` in one mode up to the outcome. An error means the scan could not
/// start (not a repository, a bad range); problems with single objects are diagnostics.
pub fn git(repo: &Path, mode: Mode, common: &CommonArgs) -> Result<Outcome> {
    let start = Instant::now();
    let diags = Diagnostics::default();
    let long = matches!(mode, Mode::Full);
    let source = GitSource::open(repo, mode, config::threads(common)?)?;
    let (scanner, staged) = if matches!(source.mode, Mode::Staged) {
        // The pre-commit hook: the index is read and diffed against HEAD while the rules
        // load on another thread. The two took one after the other most of a run's time (the
        // rules 7.5 ms, libgit2's index with its checksum and the diff a few more). An error
        // loading the rules is reported before one reading the index, as before.
        let root = source.root();
        let (rules, staged) = std::thread::scope(|s| {
            let rules = s.spawn(|| config::scanner(common, &root, &diags));
            let staged = source.read_staged(common.max_file_size);
            let rules = rules
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (rules, staged)
        });
        (rules?, Some(staged?))
    } else {
        (config::scanner(common, &source.root(), &diags)?, None)
    };
    if source.is_shallow() {
        diags.warning(
            "shallow clone: history before its oldest commits is not there and was not scanned",
        );
    }
    if source.is_partial_clone() && staged.is_none() {
        diags.warning(
            "partial clone: the blobs its --filter left on the server are not here, so each one \
             is named, counted as unreadable and not scanned; for a full scan clone without \
             --filter (with actions/checkout, leave `filter` unset)",
        );
    }
    // What a commit would record is one tree: every appearance is a place to report.
    let policy = match staged {
        Some(_) => Policy::Every,
        None => Policy::Earliest,
    };
    let pipeline = Pipeline::new(&scanner, policy, progress(common, long));
    // The staged diff borrows the repository, which `run` takes: it is used up first.
    let scanned = (staged
        .map(|staged| crate::source::staged::scan_staged(&source.repo, staged, &pipeline)))
    .transpose()?;
    if scanned.is_none() {
        source.run(&pipeline)?;
    }
    let collected = pipeline.finish();
    Ok(outcome(scanner, collected, diags, start))
}

/// Nothing scanned (a push that deleted a branch), with the configuration still checked.
pub fn nothing(root: &Path, common: &CommonArgs) -> Result<Outcome> {
    let diags = Diagnostics::default();
    let scanner = config::scanner(common, root, &diags)?;
    let collected = Pipeline::new(&scanner, Policy::Every, Progress::new(Show::Off)).finish();
    Ok(outcome(scanner, collected, diags, Instant::now()))
}

fn outcome(
    scanner: Scanner,
    collected: Collected,
    config_diags: Diagnostics,
    start: Instant,
) -> Outcome {
    let mut findings = collected.findings;
    let lowest = (scanner.min_confidence).unwrap_or_default();
    let before = findings.len();
    findings.retain(|f| f.confidence >= lowest);
    let below_confidence = (before - findings.len()) as u64;
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint && a.location == b.location);
    let mut diags = config_diags.take();
    diags.extend(collected.diags);
    let partly_decoded = (diags.iter())
        .map(Diag::counts)
        .filter(|(kind, _)| *kind == Kind::PartlyDecoded)
        .map(|(_, count)| count)
        .sum();
    let s = &collected.stats;
    let summary = Summary {
        files_scanned: Stats::get(&s.files),
        bytes_scanned: Stats::get(&s.bytes),
        commits_scanned: Stats::get(&s.commits),
        findings: findings.len() as u64,
        suppressed: collected.suppressed,
        below_confidence,
        partly_decoded,
        skipped: Skipped {
            too_large: Stats::get(&s.too_large),
            binary: Stats::get(&s.binary),
            unreadable: Stats::get(&s.unreadable),
            not_regular: Stats::get(&s.not_regular),
        },
        elapsed_ms: start.elapsed().as_millis() as u64,
    };
    Outcome {
        scanner,
        findings,
        summary,
        secrets: collected.secrets,
        diags,
    }
}

impl Outcome {
    /// The emitter for this outcome: it masks every secret the scan met.
    pub fn emitter(&self, output: &Output) -> Emitter {
        Emitter::new(output.verbosity, output.reveal, self.secrets.clone())
    }

    /// The exit status the outcome stands for.
    pub fn status(&self, output: &Output) -> u8 {
        Emitter::status(&self.diags, self.findings.len(), output.exit_code)
    }
}

/// Prints diagnostics, writes the report, and returns the exit status. A reader that closes
/// the pipe early (`| head`) does not change the verdict.
pub fn emit(outcome: &Outcome, output: &Output) -> Result<u8> {
    let emitter = outcome.emitter(output);
    emitter.diagnostics(&outcome.diags);
    let status = outcome.status(output);
    match write_report(
        outcome,
        &emitter,
        output.format,
        output.file.as_deref(),
        output.color,
    ) {
        Err(e) if is_broken_pipe(&e) => Ok(status),
        Err(e) => Err(e),
        Ok(()) => Ok(status),
    }
}

/// Writes one report in `format`, to `file` or standard output, every string through the
/// emitter. SARIF is redacted whatever `--no-redact` says: it is uploaded and kept.
pub fn write_report(
    outcome: &Outcome,
    emitter: &Emitter,
    format: Format,
    file: Option<&Path>,
    color: bool,
) -> Result<()> {
    let findings = match format {
        Format::Sarif => emitter.always_redacted(&outcome.findings, outcome.secrets.clone()),
        // Annotations escape by the Actions rules (`%0A`), which keeps the file name exact.
        Format::Json | Format::Github => emitter.findings(outcome.findings.clone()),
        Format::Human => Emitter::for_log(emitter.findings(outcome.findings.clone())),
    };
    let report = Report {
        findings: &findings,
        summary: &outcome.summary,
        rules: outcome.scanner.engine.rules(),
        reveal: emitter.reveal && format != Format::Sarif,
        color,
    };
    let mut out: Box<dyn Write> = match file {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    report::write(format, &report, &mut out)?;
    out.flush()?;
    Ok(())
}

/// A pipe closed by the reader (`leakhound scan | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
