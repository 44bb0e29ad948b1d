//! Reports: what `check` prints, and the rot report of the latest run (`report`, and the
//! files `run` writes) in text, JSON, Markdown, HTML and JUnit XML, all rendered from one
//! [`model::Report`].

mod check;
pub mod escape;
pub(crate) mod html;
mod junit;
mod markdown;
pub mod model;
pub mod svg;
mod text;

use std::io::{self, Write};
use std::path::Path;

pub use check::{
    CheckFormat, NEWLY_DEAD_LISTED, newly_dead_lines, snapshots_line, summary_line, write_check,
};
pub use model::{Options, Report, Since, build};

/// Formats of the rot report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// For a terminal or an email: summary, changes, by file, by domain.
    Text,
    /// One JSON document (docs/json.md).
    Json,
    /// Markdown fit to paste into a GitHub issue.
    Markdown,
    /// One self-contained HTML page with charts.
    Html,
    /// JUnit XML for CI dashboards: one suite per source file.
    Junit,
}

impl Format {
    /// The format a report file's extension asks for.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "txt" => Format::Text,
            "json" => Format::Json,
            "md" | "markdown" => Format::Markdown,
            "html" | "htm" => Format::Html,
            "xml" => Format::Junit,
            _ => return None,
        })
    }
}

/// Writes `report` in `format`; `color` adds terminal colours to text.
pub fn write(out: &mut impl Write, report: &Report, format: Format, color: bool) -> io::Result<()> {
    match format {
        Format::Text => text::write(out, report, color),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
        Format::Markdown => markdown::write(out, report),
        Format::Html => html::write(out, report),
        Format::Junit => junit::write(out, report),
    }
}

/// "1 link" or "2 links".
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Counts as "3 alive, 1 gone", largest first.
fn counts(map: &std::collections::BTreeMap<String, usize>) -> String {
    let mut items: Vec<(&String, &usize)> = map.iter().collect();
    items.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    items
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `s` with its first letter in upper case.
fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A status as people read it: `soft404` is "soft 404", `server_error` "server error".
pub(crate) fn status_label(status: &str) -> String {
    match status {
        "soft404" => "soft 404".to_string(),
        other => other.replace('_', " "),
    }
}

/// The date part of an RFC 3339 time.
fn date(time: &str) -> &str {
    time.get(..10).unwrap_or(time)
}

/// "since run 4 (2026-11-26)" or "since the first run".
fn since_words(report: &Report) -> String {
    match &report.compared_to {
        Some(r) => format!("since run {} ({})", r.id, date(&r.started_at)),
        None => "with no earlier run to compare".to_string(),
    }
}

/// One line on a problem's state: status, detail, verdict and since when.
fn state_words(p: &model::Problem) -> String {
    let mut s = status_label(&p.status);
    if !p.detail.is_empty() {
        s.push_str(&format!(" ({})", p.detail));
    }
    if matches!(p.verdict.as_str(), "dead" | "failing") {
        let since = p
            .failing_since
            .as_deref()
            .map(|t| format!(" since {}", date(t)))
            .unwrap_or_default();
        s.push_str(&format!(
            "; {}: {}{since}",
            if p.verdict == "dead" {
                "dead"
            } else {
                "failing, not yet confirmed"
            },
            plural(p.strikes as usize, "failed check", "failed checks")
        ));
    }
    s
}
