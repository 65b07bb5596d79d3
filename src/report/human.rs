//! The report for people: where, which rule, the redacted secret, and the source line with
//! the secret masked, then a summary. Colour only on a terminal.

use std::io::{self, Write};

use std::collections::HashMap;

use super::Report;

use crate::finding::{Finding, Secret, Severity};

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
    let mut on_line: HashMap<(&str, u32), Vec<&Secret>> = HashMap::new();
    for f in report.findings {
        on_line
            .entry((&f.path, f.location.line))
            .or_default()
            .push(&f.secret);
    }
    for finding in report.findings {
        let others = &on_line[&(finding.path.as_str(), finding.location.line)];
        write_finding(finding, others, report, &paint, out)?;
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

fn write_finding(
    f: &Finding,
    same_line: &[&Secret],
    report: &Report,
    paint: &Paint,
    out: &mut dyn Write,
) -> io::Result<()> {
    let loc = format!("{}:{}:{}", f.path, f.location.line, f.location.column);
    let level = match f.severity {
        Severity::Error => paint.wrap("1;31", "error"),
        Severity::Warning => paint.wrap("1;33", "warning"),
    };
    writeln!(
        out,
        "{} {level} [{}] {}",
        paint.wrap("1", &loc),
        f.rule_id,
        f.description
    )?;
    if let Some(key_path) = &f.key_path {
        writeln!(out, "    key:    {key_path}")?;
    }
    writeln!(out, "    secret: {}", f.secret.shown(report.reveal))?;
    if let Some(c) = &f.commit {
        let short = &c.id[..c.id.len().min(12)];
        writeln!(
            out,
            "    commit: {short} {} <{}> {} {}",
            c.author, c.email, c.date, c.summary
        )?;
    }
    let line = masked_line(f, same_line, report.reveal);
    if !line.trim().is_empty() {
        writeln!(out, "    {:>5} | {}", f.location.line, line.trim_end())?;
    }
    writeln!(out)
}

/// The source line with every secret found on it replaced by its redaction, so the context
/// is readable but no value is. A secret that is not on the line verbatim (decoded from
/// base64, or a multi-line block) may still be there in another form: then only the part of
/// the line before the secret is shown.
fn masked_line(f: &Finding, same_line: &[&Secret], reveal: bool) -> String {
    if reveal {
        return f.line_text.clone();
    }
    let mut line = f.line_text.clone();
    for secret in same_line {
        if !secret.expose().is_empty() && line.contains(secret.expose()) {
            line = line.replace(secret.expose(), &secret.redacted());
        } else {
            let col = f.location.column as usize - 1;
            line = line.chars().take(col).collect::<String>() + &f.secret.redacted();
            break;
        }
    }
    line
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
    let skipped = s.skipped.too_large + s.skipped.binary + s.skipped.unreadable;
    writeln!(
        out,
        "{} finding(s), {} suppressed; scanned {}; skipped {skipped} ({} too large, {} binary, {} unreadable) in {} ms",
        s.findings,
        s.suppressed,
        parts.join(", "),
        s.skipped.too_large,
        s.skipped.binary,
        s.skipped.unreadable,
        s.elapsed_ms,
    )
}
