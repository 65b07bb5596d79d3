//! The counters a scan keeps for its summary and its progress display, shared by every thread.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Counters for the summary. Relaxed atomics: they are only read after the scan.
#[derive(Default, Debug)]
pub struct Stats {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub commits: AtomicU64,
    pub too_large: AtomicU64,
    pub binary: AtomicU64,
    pub unreadable: AtomicU64,
    pub not_regular: AtomicU64,
    pub lfs_pointers: AtomicU64,
}

impl Stats {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Relaxed)
    }
}
