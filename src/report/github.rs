//! GitHub Actions workflow commands: one `::error` or `::warning` line per finding, which the
//! runner turns into an annotation on the pull request's diff. Secrets are always redacted:
//! workflow logs are readable by everyone who can read the repository.

use std::io::{self, Write};

use super::Report;
use crate::finding::{Finding, Severity};

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for finding in report.findings {
        writeln!(out, "{}", annotation(finding))?;
    }
    Ok(())
}

/// `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`.
pub fn annotation(f: &Finding) -> String {
    let level = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let loc = f.location;
    let props = [
        ("file", f.path.clone()),
        ("line", loc.line.max(1).to_string()),
        ("col", loc.column.max(1).to_string()),
        ("endLine", loc.end_line.max(loc.line).max(1).to_string()),
        ("endColumn", loc.end_column.max(1).to_string()),
        ("title", format!("leakhound: {}", f.rule_id)),
    ];
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    format!(
        "::{level} {}::{}",
        props.join(","),
        escape_data(&message(f))
    )
}

fn message(f: &Finding) -> String {
    let mut text = format!("{}: {}", f.description, f.secret.redacted());
    if let Some(note) = f.place_note() {
        text += &note;
    }
    if let Some(key_path) = &f.key_path {
        text += &format!(" (key {key_path})");
    }
    if let Some(c) = &f.commit {
        let short = &c.id[..c.id.len().min(12)];
        text += &format!("\nintroduced in {short}");
        // A tree or blob a bare ref names has no author or date.
        if !c.author.is_empty() {
            text += &format!(" by {}", c.author);
        }
        if !c.date.is_empty() {
            text += &format!(" on {}", c.date);
        }
    }
    text
}

/// The runner's escaping for a command's message, then every other control character shown
/// as an escape (`\u{1b}`): the log viewer renders ANSI sequences, and a tagger's or author's
/// name, a path or a summary is the repository's text.
pub fn escape_data(s: &str) -> String {
    crate::emit::escape_controls(
        &s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A"),
    )
}

/// Properties also end at `,` and `:`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_finding_is_a_warning_annotation() {
        use crate::finding::{Location, Secret};
        let f = Finding {
            rule_id: "k8s-literal-secret".into(),
            description: "Weak default password".into(),
            path: "charts/values.yaml".into(),
            member: None,
            location: Location {
                line: 4,
                column: 15,
                end_line: 4,
                end_column: 23,
            },
            secret: Secret::new("changeit"),
            fingerprint: "k8s-literal-secret:charts/values.yaml:0".into(),
            key_path: Some("db.password".into()),
            entropy: None,
            commit: None,
            severity: Severity::Warning,
            confidence: Default::default(),
            snippet: Default::default(),
        };
        assert_eq!(
            annotation(&f),
            "::warning file=charts/values.yaml,line=4,col=15,endLine=4,endColumn=23,\
             title=leakhound%3A k8s-literal-secret::Weak default password: chan… (key db.password)"
        );
    }

    #[test]
    fn escapes_like_the_runner() {
        assert_eq!(escape_data("50%\r\nnext"), "50%25%0D%0Anext");
        assert_eq!(escape_property("a,b:c%"), "a%2Cb%3Ac%25");
        assert_eq!(escape_data("evil\x1b[31m\t"), "evil\\u{1b}[31m\\t");
    }
}
