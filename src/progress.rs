//! Progress on standard error for history audits and tree scans, which can take minutes on a
//! large repository. It is the one thing a source draws: only the source knows how far it has got.
//! The app decides how it shows: a bar on a terminal, a line every few seconds on a pipe with
//! `-v`, nothing otherwise (then every call is a no-op).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::stats::Stats;

/// How often `-v` prints a progress line when standard error is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(2);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    Off,
    Bar,
    Lines,
}

enum Draw {
    Off,
    Bar(ProgressBar),
    Lines(Mutex<Instant>),
}

pub struct Progress {
    draw: Draw,
}

impl Progress {
    pub fn new(show: Show) -> Progress {
        let draw = match show {
            Show::Off => Draw::Off,
            Show::Lines => Draw::Lines(Mutex::new(Instant::now())),
            Show::Bar => {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                        .expect("a valid template"),
                );
                bar.enable_steady_tick(Duration::from_millis(120));
                Draw::Bar(bar)
            }
        };
        Progress { draw }
    }

    /// Shows the counters as they are now: commits walked, blobs and bytes scanned.
    pub fn update(&self, stats: &Stats) {
        match &self.draw {
            Draw::Off => {}
            Draw::Bar(bar) => bar.set_message(message(stats)),
            Draw::Lines(last) => {
                let mut last = last.lock().expect("no panics while holding");
                if last.elapsed() >= LINE_EVERY {
                    *last = Instant::now();
                    eprintln!("leakhound: {}", message(stats));
                }
            }
        }
    }

    pub fn finish(&self) {
        if let Draw::Bar(bar) = &self.draw {
            bar.finish_and_clear();
        }
    }
}

fn message(stats: &Stats) -> String {
    let commits = Stats::get(&stats.commits);
    if commits == 0 {
        return format!(
            "{} files ({} MiB) scanned",
            Stats::get(&stats.files),
            Stats::get(&stats.bytes) >> 20
        );
    }
    format!(
        "{} commits walked, {} blobs ({} MiB) scanned",
        commits,
        Stats::get(&stats.files),
        Stats::get(&stats.bytes) >> 20
    )
}
