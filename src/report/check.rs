//! `check` output: text grouped by status with each citation's place, one JSON document
//! (DESIGN.md's contract: `links` and `summary`), or Markdown fit for a GitHub issue.

use std::io::{self, Write};

use super::escape::{md, md_url, terminal};
use crate::archive::ArchiveSummary;
use crate::run::{CheckRun, LinkReport};

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckFormat {
    /// Grouped by status, with each citation's file:line:column.
    Text,
    /// One JSON document: `links` and `summary`.
    Json,
    /// Markdown tables, fit to paste into an issue.
    Markdown,
}

/// Writes a check run in `format`.
pub fn write_check(out: &mut impl Write, run: &CheckRun, format: CheckFormat) -> io::Result<()> {
    match format {
        CheckFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, run)?;
            writeln!(out)
        }
        CheckFormat::Text => text(out, run),
        CheckFormat::Markdown => markdown(out, run),
    }
}

fn groups(run: &CheckRun) -> Vec<(&'static str, Vec<&LinkReport>)> {
    let mut groups: Vec<(&'static str, Vec<&LinkReport>)> = Vec::new();
    for link in &run.links {
        let name = link.status.map_or("not checked", |s| s.as_str());
        match groups.last_mut() {
            Some((n, list)) if *n == name => list.push(link),
            _ => groups.push((name, vec![link])),
        }
    }
    groups
}

fn text(out: &mut impl Write, run: &CheckRun) -> io::Result<()> {
    for (name, links) in groups(run) {
        writeln!(out, "{name} ({})", links.len())?;
        for l in links {
            let verdict = match l.verdict.as_str() {
                "failing" | "dead" => format!(
                    " [{}, {} strike{}]",
                    l.verdict,
                    l.strikes,
                    if l.strikes == 1 { "" } else { "s" }
                ),
                _ => String::new(),
            };
            let stale = if l.checked || l.verdict == "invalid" {
                ""
            } else {
                " (last check; not due)"
            };
            writeln!(
                out,
                "  {}  {}{verdict}{stale}",
                terminal(&l.url),
                terminal(&l.detail)
            )?;
            for p in &l.sources {
                writeln!(
                    out,
                    "      {}:{}:{}  {:?}",
                    terminal(&p.file),
                    p.line,
                    p.column,
                    p.text
                )?;
            }
        }
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(run))
}

/// One line on what an archiving pass did.
pub fn snapshots_line(s: &ArchiveSummary) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let drifted = match s.drifted.len() {
        0 => String::new(),
        n => format!(", {n} drifted"),
    };
    let failed = match s.failed.len() {
        0 => String::new(),
        n => format!(", {n} failed"),
    };
    format!(
        "{} ({} new, {} unchanged), {}{drifted}{failed}",
        plural(s.captured, "page snapshotted", "pages snapshotted"),
        s.new,
        s.unchanged,
        plural(s.requisites, "page requisite", "page requisites"),
    )
}

/// Newly dead links listed under cron's summary line at most.
pub const NEWLY_DEAD_LISTED: usize = 20;

/// The lines under cron's summary that say which links became dead, and where they are
/// cited (the first [`NEWLY_DEAD_LISTED`], then how many more).
pub fn newly_dead_lines(dead: &[crate::run::NewlyDead]) -> Vec<String> {
    let mut lines = Vec::new();
    for d in dead.iter().take(NEWLY_DEAD_LISTED) {
        let mut places = d
            .places
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if d.places.len() > 3 {
            places.push_str(&format!(" and {} more", d.places.len() - 3));
        }
        lines.push(format!(
            "newly dead: {} ({}) cited at {places}",
            d.url, d.detail
        ));
    }
    if dead.len() > NEWLY_DEAD_LISTED {
        lines.push(format!(
            "newly dead: {} more (`citekeep report` lists them all)",
            dead.len() - NEWLY_DEAD_LISTED
        ));
    }
    lines
}

/// One line for cron: links, checked, counts by status and verdict.
pub fn summary_line(run: &CheckRun) -> String {
    let s = &run.summary;
    // Invalid links are not checked: counted apart, so the parts add up to the whole.
    let invalid = s.by_status.get("invalid").copied().unwrap_or(0);
    let statuses: Vec<String> = s
        .by_status
        .iter()
        .filter(|(k, _)| k.as_str() != "invalid")
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    let verdicts: Vec<String> = s
        .by_verdict
        .iter()
        .filter(|(k, _)| matches!(k.as_str(), "failing" | "dead" | "drifted"))
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    let mut line = format!("{} links: {} checked", s.links, s.checked);
    if !statuses.is_empty() {
        line.push_str(&format!(" ({})", statuses.join(", ")));
    }
    let not_due = s.links.saturating_sub(s.checked + invalid);
    if not_due > 0 {
        line.push_str(&format!(", {not_due} not due"));
    }
    if invalid > 0 {
        line.push_str(&format!(", {invalid} invalid"));
    }
    if !verdicts.is_empty() {
        line.push_str(&format!("; {}", verdicts.join(", ")));
    }
    if s.newly_dead > 0 {
        line.push_str(&format!("; {} newly dead", s.newly_dead));
    }
    if s.network_down {
        line.push_str("; NETWORK DOWN: no strikes recorded");
    }
    line
}

fn markdown(out: &mut impl Write, run: &CheckRun) -> io::Result<()> {
    writeln!(out, "## Link check\n\n{}\n", md(&summary_line(run)))?;
    for (name, links) in groups(run) {
        if name == "alive" {
            writeln!(out, "<details><summary>alive ({})</summary>\n", links.len())?;
        } else {
            writeln!(out, "### {name} ({})\n", links.len())?;
        }
        writeln!(out, "| link | detail | verdict | cited at |")?;
        writeln!(out, "| --- | --- | --- | --- |")?;
        for l in links {
            let places: Vec<String> = l
                .sources
                .iter()
                .map(|p| format!("{}:{}:{} “{}”", md(&p.file), p.line, p.column, md(&p.text)))
                .collect();
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                md_url(&l.url),
                md(&l.detail),
                md(&l.verdict),
                places.join("<br>")
            )?;
        }
        writeln!(out)?;
        if name == "alive" {
            writeln!(out, "</details>\n")?;
        }
    }
    Ok(())
}
