//! The report for people: where, which rule, the redacted secret, and the source line with
//! the secret masked, then a summary. Colour only on a terminal.

use std::io::{self, Write};

use super::Report;

use crate::finding::{Finding, Severity};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let paint = Paint { on: report.color };
    for finding in report.findings {
        write_finding(finding, report, &paint, out)?;
    }
    write_remedies(report, out)?;
    write_summary(report, out)
}

/// How to fix each rule that fired, once per rule rather than under every finding.
fn write_remedies(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut ids: Vec<&str> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        if let Some(rule) = report.rules.get(id) {
            writeln!(out, "how to fix [{id}]: {}", rule.remedy_text())?;
        }
    }
    if !report.findings.is_empty() {
        writeln!(out)?;
    }
    Ok(())
}

/// One finding. Its strings come from the emitter: secrets masked (unless `--no-redact`),
/// control characters escaped.
fn write_finding(
    f: &Finding,
    report: &Report,
    paint: &Paint,
    out: &mut dyn Write,
) -> io::Result<()> {
    let loc = format!(
        "{}:{}:{}",
        f.named_path(),
        f.location.line,
        f.location.column
    );
    let level = match f.severity {
        Severity::Error => paint.wrap("1;31", "error"),
        Severity::Warning => paint.wrap("1;33", "warning"),
    };
    writeln!(
        out,
        "{} {level} [{}] {} ({} confidence)",
        paint.wrap("1", &loc),
        f.rule_id,
        f.description,
        f.confidence.name()
    )?;
    if let Some(key_path) = &f.key_path {
        writeln!(out, "    key:    {key_path}")?;
    }
    writeln!(out, "    secret: {}", f.secret.shown(report.reveal))?;
    if let Some(c) = &f.commit {
        // A tree or blob a bare ref names has no author, email or date: no empty `<>`.
        let email = if c.email.is_empty() {
            String::new()
        } else {
            format!("<{}>", c.email)
        };
        let short = &c.id[..c.id.len().min(12)];
        let parts = [short, &c.author, &email, &c.date, &c.summary];
        let parts: Vec<&str> = parts.into_iter().filter(|p| !p.is_empty()).collect();
        writeln!(out, "    commit: {}", parts.join(" "))?;
    }
    let line = f.snippet.text.trim();
    if !line.is_empty() {
        writeln!(out, "    {:>5} | {line}", f.location.line)?;
    }
    writeln!(out)
}

fn write_summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = report.summary;
    let mut parts = vec![
        format!("{} files", s.files_scanned),
        format!("{} bytes", s.bytes_scanned),
    ];
    if s.commits_scanned > 0 {
        parts.push(format!("{} commits", s.commits_scanned));
    }
    let skipped =
        s.skipped.too_large + s.skipped.binary + s.skipped.unreadable + s.skipped.not_regular;
    // Devices, FIFOs and symlinks out of the folder are rare: named only when there are some.
    let not_regular = match s.skipped.not_regular {
        0 => String::new(),
        n => format!(", {n} not regular"),
    };
    writeln!(
        out,
        "{} finding(s), {} suppressed; scanned {}; skipped {skipped} ({} too large, {} binary, {} unreadable{not_regular}) in {} ms",
        s.findings,
        s.suppressed,
        parts.join(", "),
        s.skipped.too_large,
        s.skipped.binary,
        s.skipped.unreadable,
        s.elapsed_ms,
    )
}
