//! The terminal side of a command: what the pipeline says goes to stderr (errors always,
//! warnings and notes unless `-q`), and checks move a progress bar on a terminal.

use std::io::{self, IsTerminal};

use citekeep::check::Check;
use citekeep::pipeline::{Level, Listener};

/// Messages on stderr (warnings and notes unless `-q`), and a progress bar on a terminal.
pub struct Console {
    quiet: bool,
    bar: Option<indicatif::ProgressBar>,
    counts: std::collections::BTreeMap<&'static str, usize>,
}

impl Console {
    /// A console; `progress` shows a bar for checks (on a terminal, unless quiet).
    pub fn new(quiet: bool, progress: bool) -> Console {
        let bar = (progress && !quiet && io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(0);
            let style = indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} {per_sec} ETA {eta}  {msg}",
            );
            bar.set_style(style.expect("valid progress template"));
            bar
        });
        Console {
            quiet,
            bar,
            counts: Default::default(),
        }
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
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn checked(&mut self, done: usize, total: usize, check: &Check) {
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            *self.counts.entry(check.status.as_str()).or_default() += 1;
            let msg: Vec<String> = self
                .counts
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect();
            bar.set_message(msg.join(", "));
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
