//! Progress reporting: indicatif bars on a terminal, plain log lines otherwise, nothing when quiet.

#![allow(clippy::print_stderr)]

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// Bars (overall and one per in-flight account creation); for a terminal.
    Bars,
    /// One line per event on stderr; for CI logs.
    Lines,
    /// Nothing.
    Quiet,
}

/// Progress of one apply.
pub struct Progress {
    mode: ProgressMode,
    multi: Option<MultiProgress>,
    overall: ProgressBar,
    lines: Mutex<()>,
}

/// A per-item spinner (account creation), finished when dropped.
pub struct ItemBar {
    bar: Option<ProgressBar>,
}

impl ItemBar {
    /// Updates the spinner's message.
    pub fn set_message(&self, msg: String) {
        if let Some(b) = &self.bar {
            b.set_message(msg);
        }
    }
}

impl Drop for ItemBar {
    fn drop(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Progress {
    /// Starts progress for `total` changes.
    pub fn new(mode: ProgressMode, total: usize) -> Self {
        let (multi, overall) = if mode == ProgressMode::Bars {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let bar = multi.add(ProgressBar::new(total as u64));
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} changes {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            (Some(multi), bar)
        } else {
            (None, ProgressBar::hidden())
        };
        Progress { mode, multi, overall, lines: Mutex::new(()) }
    }

    /// Reports one event (a change started, finished or failed).
    pub fn log(&self, msg: &str) {
        match self.mode {
            ProgressMode::Bars => {
                if let Some(m) = &self.multi {
                    let _ = m.println(msg);
                }
            }
            ProgressMode::Lines => {
                let _guard = self.lines.lock();
                eprintln!("{msg}");
            }
            ProgressMode::Quiet => {}
        }
    }

    /// Marks one change as done.
    pub fn advance(&self) {
        self.overall.inc(1);
    }

    /// A spinner for a long-running item (shown only with bars).
    pub fn item(&self, msg: String) -> ItemBar {
        let bar = self.multi.as_ref().map(|m| {
            let b = m.add(ProgressBar::new_spinner());
            b.set_style(
                ProgressStyle::with_template("  {spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.enable_steady_tick(Duration::from_millis(120));
            b.set_message(msg);
            b
        });
        ItemBar { bar }
    }

    /// Removes the bars.
    pub fn finish(&self) {
        self.overall.finish_and_clear();
    }
}
