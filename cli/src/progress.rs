//! Progress on stderr: one bar per file (rate, ETA) on a terminal; plain lines otherwise, one
//! per completed part or file, so scripts and tests can follow
//! (`big.bin: part 3/25 uploaded (24.0 MiB of 200.0 MiB)`).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::units::bytes;

#[derive(Clone)]
pub struct Progress {
    multi: Option<MultiProgress>,
}

impl Progress {
    /// Bars when stderr is a terminal, plain lines when it is not.
    pub fn for_stderr() -> Self {
        if std::io::stderr().is_terminal() {
            Self {
                multi: Some(MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            }
        } else {
            Self::plain()
        }
    }

    pub fn plain() -> Self {
        Self { multi: None }
    }

    /// A line on stderr that does not tear the bars.
    pub fn line(&self, text: &str) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(text);
            }
            None => eprintln!("{text}"),
        }
    }

    /// Runs `f` (which prints to stdout) with the bars out of the way.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.multi {
            Some(m) => m.suspend(f),
            None => f(),
        }
    }

    pub fn file(&self, name: &str, total: u64) -> FileBar {
        let bar = self.multi.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new(total));
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:.bold} [{bar:28}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(name.to_owned());
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        });
        FileBar(Arc::new(Inner {
            progress: self.clone(),
            name: name.to_owned(),
            total,
            position: AtomicU64::new(0),
            bar,
        }))
    }
}

/// One file's progress. Cheap to clone: a part's body stream holds one.
#[derive(Clone)]
pub struct FileBar(Arc<Inner>);

struct Inner {
    progress: Progress,
    name: String,
    total: u64,
    position: AtomicU64,
    bar: Option<ProgressBar>,
}

impl FileBar {
    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub fn set_position(&self, n: u64) {
        self.0.position.store(n, Ordering::Relaxed);
        self.draw();
    }

    /// Where an upload starts (what an earlier run sent): not counted in the rate or ETA.
    pub fn start_at(&self, n: u64) {
        self.set_position(n);
        if let Some(bar) = &self.0.bar {
            bar.reset_eta();
        }
    }

    /// A line about this file, above the bars or plain.
    pub fn say(&self, text: &str) {
        self.0.progress.line(&format!("{}: {text}", self.0.name));
    }

    /// Bytes handed to the network.
    pub fn add(&self, n: u64) {
        self.0.position.fetch_add(n, Ordering::Relaxed);
        self.draw();
    }

    /// Bytes of an attempt that failed: they will be sent again.
    pub fn take_back(&self, n: u64) {
        let _ = self
            .0
            .position
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| {
                Some(p.saturating_sub(n))
            });
        self.draw();
    }

    fn draw(&self) {
        if let Some(bar) = &self.0.bar {
            bar.set_position(self.0.position.load(Ordering::Relaxed));
        }
    }

    /// A part is in storage; `done` counts the bytes of every part there.
    pub fn part_done(&self, number: u32, count: u32, done: u64) {
        if self.0.bar.is_none() {
            self.0.progress.line(&format!(
                "{}: part {number}/{count} uploaded ({} of {})",
                self.0.name,
                bytes(done),
                bytes(self.0.total)
            ));
        }
    }

    /// What the file is waiting for: the bar's message, or a line.
    pub fn note(&self, text: &str) {
        match &self.0.bar {
            Some(bar) => bar.set_message(text.to_owned()),
            None => self.0.progress.line(&format!("{}: {text}", self.0.name)),
        }
    }

    /// The bar stops where it is, with `text` beside it. No plain line: the result itself
    /// follows on stdout.
    pub fn finish(&self, text: &str) {
        if let Some(bar) = &self.0.bar {
            bar.finish_with_message(text.to_owned());
        }
    }

    /// Removes the bar (an error follows on its own line).
    pub fn abandon(&self) {
        if let Some(bar) = &self.0.bar {
            bar.abandon();
        }
    }
}
