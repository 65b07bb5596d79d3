//! The diagnostics channel: every message for the user that is not a finding (an unreadable
//! file, a missing commit, a YAML file read line by line, a skipped submodule) is recorded
//! here by whichever stage meets it, from any thread. Nothing is printed where it happens:
//! the [emitter](crate::emit) prints them all at the end, filtered by `-q`/`-v`, with every
//! secret the scan found masked and control characters escaped, and an error among them
//! makes the exit status 2.

use std::sync::Mutex;

/// One message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Diag {
    /// Input that could not be read or walked (a file, a blob, a commit): the scan went on
    /// without it, and the exit status is 2.
    Error { what: String, message: String },
    /// Something the user should know even without `-v` (a config entry that does not apply).
    Warning(String),
    /// Detail shown with `-v` (a skipped file and why, a stale baseline entry).
    Note(String),
    /// A YAML file the analyzer could not parse and read line by line instead. Helm templates
    /// are expected not to parse: they are listed only with `-v`; the others are summed up in
    /// one line unless `-v` lists them.
    Unparsed { template: bool, text: String },
    /// A blob with more encoded text than the decoding budget: counted in the summary, named
    /// with `-v`.
    PartlyDecoded(String),
}

#[derive(Default, Debug)]
pub struct Diagnostics {
    items: Mutex<Vec<Diag>>,
}

impl Diagnostics {
    pub fn push(&self, diag: Diag) {
        self.items
            .lock()
            .expect("no panics while holding")
            .push(diag);
    }

    pub fn error(&self, what: impl Into<String>, message: impl Into<String>) {
        self.push(Diag::Error {
            what: what.into(),
            message: message.into(),
        });
    }

    pub fn warning(&self, text: impl Into<String>) {
        self.push(Diag::Warning(text.into()));
    }

    pub fn note(&self, text: impl Into<String>) {
        self.push(Diag::Note(text.into()));
    }

    /// Every message so far, in a stable order (threads record them in any order).
    pub fn take(&self) -> Vec<Diag> {
        let mut items = std::mem::take(&mut *self.items.lock().expect("no panics while holding"));
        items.sort_by_cached_key(|d| format!("{d:?}"));
        items.dedup();
        items
    }

    pub fn has_errors(&self) -> bool {
        let items = self.items.lock().expect("no panics while holding");
        items.iter().any(|d| matches!(d, Diag::Error { .. }))
    }
}
