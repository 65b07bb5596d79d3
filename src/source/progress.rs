//! A progress line on standard error for history audits, which can take minutes on a large
//! repository. It is the one thing a source draws: only the source knows how far it has got.
//! The app decides whether it shows (a terminal, not `-q`); hidden, every call is a no-op.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::scan::Stats;

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(show: bool) -> Progress {
        let bar = show.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                    .expect("a valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress { bar }
    }

    /// Shows the counters as they are now: commits walked, blobs and bytes scanned.
    pub fn update(&self, stats: &Stats) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{} commits walked, {} blobs ({} MiB) scanned",
                Stats::get(&stats.commits),
                Stats::get(&stats.files),
                Stats::get(&stats.bytes) >> 20
            ));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
