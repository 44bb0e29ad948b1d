//! The terminal side of a command: what the pipeline says goes to stderr (errors always,
//! warnings and notes unless `-q`), and checks move a progress bar on a terminal.

use std::io::{self, IsTerminal};

use citekeep::check::Check;
use citekeep::pipeline::{Level, Listener};

/// Messages on stderr (warnings and notes unless `-q`), and on a terminal one progress bar
/// per phase of the work (checking, snapshotting, rendering, looking up, saving).
pub struct Console {
    quiet: bool,
    /// Whether bars are shown.
    progress: bool,
    /// The bar of the phase under way, and its name.
    bar: Option<(&'static str, indicatif::ProgressBar)>,
    counts: std::collections::BTreeMap<&'static str, usize>,
}

impl Console {
    /// A console; `progress` shows bars (on a terminal, unless quiet).
    pub fn new(quiet: bool, progress: bool) -> Console {
        Console {
            quiet,
            progress: progress && !quiet && io::stderr().is_terminal(),
            bar: None,
            counts: Default::default(),
        }
    }

    /// The bar of `phase`, a new one when the phase changed (the last one cleared).
    fn bar(&mut self, phase: &'static str, total: usize) -> Option<&indicatif::ProgressBar> {
        if !self.progress {
            return None;
        }
        if self.bar.as_ref().is_none_or(|(p, _)| *p != phase) {
            if let Some((_, old)) = self.bar.take() {
                old.finish_and_clear();
            }
            let bar = indicatif::ProgressBar::new(total as u64);
            let style = indicatif::ProgressStyle::with_template(
                "{prefix:>12} {bar:30} {pos}/{len} {rate} ETA {eta}  {msg}",
            )
            .expect("valid progress template")
            // Rates rounded: "37/s", "2.5/s".
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let rate = state.per_sec();
                    let _ = if rate >= 10.0 {
                        write!(w, "{rate:.0}/s")
                    } else {
                        write!(w, "{rate:.1}/s")
                    };
                },
            );
            bar.set_style(style);
            bar.set_prefix(phase);
            self.bar = Some((phase, bar));
        }
        self.bar.as_ref().map(|(_, b)| {
            b.set_length(total as u64);
            b
        })
    }
}

impl Listener for Console {
    fn say(&mut self, level: Level, text: &str) {
        // What the web or an archive said may carry terminal escapes: each line is made
        // safe here, the one way out to the terminal.
        let safe: Vec<String> = text
            .split('\n')
            .map(|l| citekeep::report::escape::terminal(l).into_owned())
            .collect();
        let text = safe.join("\n");
        let line = match level {
            Level::Error => format!("citekeep: error: {text}"),
            _ if self.quiet => return,
            Level::Warning => format!("citekeep: warning: {text}"),
            Level::Note => format!("citekeep: {text}"),
        };
        match &self.bar {
            Some((_, bar)) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn checked(&mut self, done: usize, total: usize, check: &Check) {
        if !self.progress {
            return;
        }
        *self.counts.entry(check.status.as_str()).or_default() += 1;
        let msg: Vec<String> = self
            .counts
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        if let Some(bar) = self.bar("checking", total) {
            bar.set_message(msg.join(", "));
            bar.set_position(done as u64);
        }
    }

    fn progress(&mut self, phase: &'static str, done: usize, total: usize) {
        if let Some(bar) = self.bar(phase, total) {
            bar.set_position(done as u64);
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        if let Some((_, bar)) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
