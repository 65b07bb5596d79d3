//! The JSON report: one document, exactly SPEC.md's shape, for scripts and baselines.

use std::io::{self, Write};

use serde::Serialize;

use super::{Report, Summary};
use crate::finding::FindingJson;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: Vec<FindingJson<'a>>,
    summary: &'a Summary,
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        version: 1,
        findings: report
            .findings
            .iter()
            .map(|finding| FindingJson {
                finding,
                reveal: report.reveal,
            })
            .collect(),
        summary: report.summary,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
