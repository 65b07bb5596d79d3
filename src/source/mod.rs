//! Sources walk something (a tree, a repository's history, its index) and feed each blob
//! with its origin to the [`Scanner`](crate::scan::Scanner). They never print: problems they
//! meet are collected as [`SourceError`]s for the app to report and count.

pub mod diff;
pub mod files;
pub mod git;
pub mod history;
pub mod progress;
pub mod range;
pub mod staged;

use std::sync::Mutex;

use crate::finding::Finding;

/// A problem with one file, blob or object that did not stop the scan.
#[derive(Debug, Clone)]
pub struct SourceError {
    pub what: String,
    pub message: String,
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.what, self.message)
    }
}

/// What every source accumulates from its worker threads.
#[derive(Default)]
pub struct Collected {
    pub findings: Mutex<Vec<Finding>>,
    pub errors: Mutex<Vec<SourceError>>,
    /// Notes that are not errors (a shallow history, a skipped submodule), shown with `-v`.
    pub notes: Mutex<Vec<String>>,
}

impl Collected {
    pub fn findings(&self, mut found: Vec<Finding>) {
        if !found.is_empty() {
            self.findings
                .lock()
                .expect("no panics while holding")
                .append(&mut found);
        }
    }

    pub fn error(&self, what: impl Into<String>, message: impl Into<String>) {
        let e = SourceError {
            what: what.into(),
            message: message.into(),
        };
        self.errors.lock().expect("no panics while holding").push(e);
    }

    pub fn note(&self, note: impl Into<String>) {
        self.notes
            .lock()
            .expect("no panics while holding")
            .push(note.into());
    }

    pub fn into_parts(self) -> (Vec<Finding>, Vec<SourceError>, Vec<String>) {
        (
            self.findings.into_inner().expect("no panics while holding"),
            self.errors.into_inner().expect("no panics while holding"),
            self.notes.into_inner().expect("no panics while holding"),
        )
    }
}
