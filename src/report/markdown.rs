//! The rot report as Markdown, fit to paste into a GitHub issue: every echoed text escaped,
//! every URL an autolink.

use std::io::{self, Write};

use super::escape::{md, md_url};
use super::model::{Changes, Report};
use super::{capitalize, counts, date, plural, since_words, state_words};

pub(super) fn write(out: &mut impl Write, r: &Report) -> io::Result<()> {
    let s = &r.summary;
    writeln!(
        out,
        "## citekeep report: run {} ({})\n",
        r.run.id,
        date(&r.run.started_at)
    )?;
    if r.run.network_down {
        writeln!(
            out,
            "> **Our own network was down in this run**: no strikes were recorded.\n"
        )?;
    }
    writeln!(
        out,
        "**{}** in {} ({}): {}  ",
        plural(s.links, "link", "links"),
        plural(s.files, "file", "files"),
        plural(s.citations, "citation", "citations"),
        md(&counts(&s.by_status))
    )?;
    writeln!(out, "Verdicts: {}  ", md(&counts(&s.by_verdict)))?;
    writeln!(
        out,
        "{}: {}, **{} newly rotten**, {} recovered, {} newly blocked, {} newly moved\n",
        md(&capitalize(&since_words(r))),
        plural(s.new_links, "new link", "new links"),
        s.newly_rotten,
        s.recovered,
        s.newly_blocked,
        s.newly_moved
    )?;

    writeln!(out, "### What changed\n")?;
    if r.changes.is_empty() {
        writeln!(out, "Nothing.\n")?;
    } else {
        writeln!(out, "| change | link | then → now | detail | cited at |")?;
        writeln!(out, "| --- | --- | --- | --- | --- |")?;
        for (name, list) in r.changes.groups() {
            for ch in list {
                let moved = Changes::moved_to(ch)
                    .map(|u| format!(" → {}", md_url(u)))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "| {name} | {}{moved} | {} → {} | {} | {} |",
                    md_url(&ch.url),
                    md(ch.verdict_before.as_deref().unwrap_or("new")),
                    md(&ch.verdict),
                    md(&ch.detail),
                    md(&ch.cited_at.join(", "))
                )?;
            }
        }
        writeln!(out)?;
    }

    if !r.replaced.is_empty() {
        writeln!(out, "### Replaced by `fix`\n")?;
        writeln!(out, "| where | cited before | cites now | on |")?;
        writeln!(out, "| --- | --- | --- | --- |")?;
        for x in &r.replaced {
            writeln!(
                out,
                "| {}:{}:{} | {} | {} | {} |",
                md(&x.file),
                x.line,
                x.column,
                md_url(&x.url),
                md_url(&x.with),
                md(&x.date)
            )?;
        }
        writeln!(out)?;
    }

    writeln!(out, "### To look at, by source file\n")?;
    if r.files.iter().all(|f| f.problems.is_empty()) {
        writeln!(out, "Nothing: every cited link answered.\n")?;
    }
    for f in r.files.iter().filter(|f| !f.problems.is_empty()) {
        writeln!(out, "#### {}\n", md(&f.file))?;
        writeln!(
            out,
            "| line | link text | section | link | state | public copy | archived copy |"
        )?;
        writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |")?;
        for p in &f.problems {
            let copy = p.copy.as_ref().map_or_else(
                || "none".to_string(),
                |c| format!("[{}]({})", date(&c.captured_at), md_url(&c.url)),
            );
            let public = match (&p.public_copy, p.no_public_copy()) {
                (Some(c), _) => format!(
                    "[{}]({}) {}, {}",
                    date(&c.captured_at),
                    md_url(&c.url),
                    md(&c.archive),
                    md(&c.verification)
                ),
                (None, Some(none)) => md(&none),
                (None, None) => String::new(),
            };
            writeln!(
                out,
                "| {}:{} | {} | {} | {} | {} | {} | {} |",
                p.line,
                p.column,
                md(&p.text),
                md(p.section.as_deref().unwrap_or("")),
                md_url(&p.url),
                md(&state_words(p)),
                public,
                copy
            )?;
        }
        writeln!(out)?;
    }

    writeln!(
        out,
        "<details><summary>By domain ({})</summary>\n",
        r.domains.len()
    )?;
    writeln!(out, "| domain | links | by status |")?;
    writeln!(out, "| --- | ---: | --- |")?;
    for d in &r.domains {
        writeln!(
            out,
            "| {} | {} | {} |",
            md(&d.domain),
            d.links,
            md(&counts(&d.by_status))
        )?;
    }
    writeln!(out, "\n</details>")
}
