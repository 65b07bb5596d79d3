//! The Kubernetes and Helm analyzer: judges (key path, value) pairs in YAML, JSON, compose and
//! `.env` files by structure, so a low-entropy literal password under a secret-named key is
//! caught where a generic scanner sees nothing.

use std::ops::Range;

use crate::finding::Severity;

/// One plaintext secret the analyzer found.
#[derive(Clone, Debug)]
pub struct Hit {
    /// The id of a rule in `rules/kubernetes.toml`.
    pub rule_id: &'static str,
    /// Byte range of the value in the blob.
    pub span: Range<usize>,
    pub secret: String,
    pub key_path: Option<String>,
    pub severity: Option<Severity>,
}

#[allow(dead_code)] // warnings are printed once the analyzer produces them
#[derive(Debug, Default)]
pub struct Analysis {
    pub hits: Vec<Hit>,
    /// What could not be parsed (reported with `-v`; the file is still scanned by the rules).
    pub warnings: Vec<String>,
}

/// Whether the analyzer has anything to say about a file of this name.
pub fn applies(_path: &str) -> bool {
    false
}

pub fn analyze(_path: &str, _bytes: &[u8]) -> Analysis {
    Analysis::default()
}
