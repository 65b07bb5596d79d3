//! SARIF 2.1.0, the format GitHub code scanning ingests. One run; the driver lists only the
//! rules that fired, each with its remedy as help; each result carries our fingerprint as
//! `partialFingerprints.primaryLocationLineHash`, the one key code scanning reads to track an
//! alert across commits and line moves (and the only way to track history findings in files
//! that no longer exist).
//!
//! SARIF is always redacted, even with `--no-redact`: it is uploaded to code scanning, where
//! everyone with access to security alerts sees it and it is kept indefinitely.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag,
    Region, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool,
    ToolComponent,
};

use super::Report;
use crate::finding::{Confidence, Finding, Severity};
use crate::rules::Rule;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Where users learn about the tool; SARIF needs an absolute URI.
pub const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");
/// The base the relative artifact URIs are resolved against: the checkout on GitHub.
const SRCROOT: &str = "%SRCROOT%";

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let fired: BTreeSet<&str> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
    let index: BTreeMap<&str, i64> = fired.iter().zip(0..).map(|(id, i)| (*id, i)).collect();
    let rules = fired
        .iter()
        .map(|id| descriptor(id, report.rules.get(id), report.findings))
        .collect::<Vec<_>>();
    let results = report
        .findings
        .iter()
        .map(|f| result(f, index[f.rule_id.as_str()]))
        .collect::<Vec<_>>();
    let driver = ToolComponent::builder()
        .name("leakhound")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(INFORMATION_URI)
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::from(driver))
        .results(results)
        .column_kind(json!("unicodeCodePoints"))
        .build();
    let sarif = Sarif::builder()
        .schema(SCHEMA)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    writeln!(out)
}

/// A driver rule. A finding's rule is normally in the rule set; the finding's own description
/// stands in if it is not (a report written by another rule set).
fn descriptor(id: &str, rule: Option<&Rule>, findings: &[Finding]) -> ReportingDescriptor {
    let fallback = || {
        findings
            .iter()
            .find(|f| f.rule_id == id)
            .map_or_else(String::new, |f| f.description.clone())
    };
    let description = rule.map_or_else(fallback, |r| r.description.clone());
    let why = rule.and_then(|r| r.why.clone()).unwrap_or_else(|| {
        "A secret committed to a repository can be used by anyone who can read the repository, \
         its history, a fork or a CI log."
            .into()
    });
    let remedy = rule.map_or(
        "Remove the secret, rotate it, and load it at runtime from a secret store.",
        |r| r.remedy_text(),
    );
    let severity = rule.map_or(Severity::Error, |r| r.severity);
    ReportingDescriptor::builder()
        .id(id)
        .name(id)
        .short_description(text(&description))
        .full_description(text(&format!("{description}. {why}")))
        .help(
            MultiformatMessageString::builder()
                .text(format!("{why}\n\nHow to fix: {remedy}"))
                .markdown(format!("{why}\n\n**How to fix:** {remedy}"))
                .build(),
        )
        .properties(bag(
            Some(vec!["security".into(), "secret".into()]),
            rule_properties(severity),
        ))
        .build()
}

fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s).build()
}

fn rule_properties(severity: Severity) -> BTreeMap<String, Value> {
    // GitHub ranks alerts by this number: 9.0 and above is critical, 4.0–6.9 medium.
    let score = match severity {
        Severity::Error => "9.0",
        Severity::Warning => "5.0",
    };
    BTreeMap::from([
        ("security-severity".to_string(), json!(score)),
        ("precision".to_string(), json!("high")),
    ])
}

fn bag(tags: Option<Vec<String>>, map: BTreeMap<String, Value>) -> PropertyBag {
    let mut bag = PropertyBag::builder().additional_properties(map).build();
    bag.tags = tags;
    bag
}

fn result(f: &Finding, rule_index: i64) -> SarifResult {
    let mut message = format!("{} ({}): {}", f.description, f.rule_id, f.secret.redacted());
    // The region is in a member or a commit message, which code scanning cannot open: the
    // message says so.
    if let Some(note) = f.place_note() {
        message += &note;
    }
    let mut result = SarifResult::builder()
        .rule_id(f.rule_id.clone())
        .rule_index(rule_index)
        .level(match f.severity {
            Severity::Error => ResultLevel::Error,
            Severity::Warning => ResultLevel::Warning,
        })
        .message(Message::from(message.as_str()))
        .rank(match f.confidence {
            Confidence::High => 90.0,
            Confidence::Medium => 60.0,
            Confidence::Low => 30.0,
        })
        .locations(vec![location(f)])
        .partial_fingerprints(BTreeMap::from([(
            "primaryLocationLineHash".to_string(),
            f.fingerprint.clone(),
        )]))
        .build();
    let extra = result_properties(f);
    if !extra.is_empty() {
        result.properties = Some(bag(None, extra));
    }
    result
}

/// Where a git finding came from, and the YAML key path: what a reviewer needs beside the line.
fn result_properties(f: &Finding) -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    map.insert("confidence".into(), json!(f.confidence.name()));
    map.insert("severity".into(), json!(f.severity));
    if let Some(c) = &f.commit {
        map.insert("commit".into(), json!(c.id));
        map.insert("author".into(), json!(c.author));
        map.insert("date".into(), json!(c.date));
        map.insert("commitSummary".into(), json!(c.summary));
    }
    if let Some(key_path) = &f.key_path {
        map.insert("keyPath".into(), json!(key_path));
    }
    if let Some(member) = &f.member {
        map.insert("archiveMember".into(), json!(member));
    }
    map
}

fn location(f: &Finding) -> Location {
    let loc = f.location;
    let region = Region::builder()
        .start_line(i64::from(loc.line.max(1)))
        .start_column(i64::from(loc.column.max(1)))
        .end_line(i64::from(loc.end_line.max(loc.line).max(1)))
        .end_column(i64::from(loc.end_column.max(1)))
        .build();
    Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(artifact(&f.path))
                .region(region)
                .build(),
        )
        .build()
}

/// A relative, percent-encoded URI under `%SRCROOT%`; an absolute path (a file named on the
/// command line) becomes a `file://` URI.
fn artifact(path: &str) -> ArtifactLocation {
    if let Some(abs) = path.strip_prefix('/') {
        return ArtifactLocation::builder()
            .uri(format!("file:///{}", encode_uri_path(abs)))
            .build();
    }
    ArtifactLocation::builder()
        .uri(encode_uri_path(path))
        .uri_base_id(SRCROOT)
        .build()
}

/// Percent-encodes everything but unreserved characters and `/`, so spaces, `%`, `#`, `?` and
/// a `:` in the first segment (which would read as a scheme) cannot break the URI.
pub fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_paths_are_percent_encoded() {
        assert_eq!(encode_uri_path("src/config.py"), "src/config.py");
        assert_eq!(
            encode_uri_path("my dir/a:b#c%.txt"),
            "my%20dir/a%3Ab%23c%25.txt"
        );
        assert_eq!(encode_uri_path("é"), "%C3%A9");
    }
}
