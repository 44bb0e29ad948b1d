//! The rot report as one self-contained HTML page: inline CSS and SVG charts, no script,
//! nothing fetched, readable when printed. Every echoed text is escaped.

use std::io::{self, Write};

use super::escape::html as h;
use super::model::{Changes, Report};
use super::svg;
use super::{capitalize, counts, date, plural, since_words, state_words};

const STYLE: &str = "
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto;
       max-width: 60rem; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem;
     border-bottom: 1px solid #ddd; padding-bottom: .2rem; } h3 { font-size: 1rem; }
.sub { color: #555; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: .6rem; margin: 1rem 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .8rem; min-width: 7rem; }
.card b { display: block; font-size: 1.4rem; }
.warn { background: #fdecea; border: 1px solid #c62828; padding: .5rem .8rem; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: 14px; }
table.fixed { table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: .3rem .45rem; border-bottom: 1px solid #eee;
         overflow-wrap: anywhere; }
th { background: #f6f6f6; } td.num { text-align: right; white-space: nowrap; }
.url { word-break: break-all; font-family: ui-monospace, monospace; font-size: 13px; }
.badge { display: inline-block; border-radius: 3px; padding: 0 .35rem; color: #fff;
         font-size: 12px; white-space: nowrap; }
svg text { font: 11px system-ui, sans-serif; fill: #333; } svg .ax { stroke: #999; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; }
               tr, svg { break-inside: avoid; } a { color: inherit; } }
svg { max-width: 100%; height: auto; }
@media (max-width: 640px) { body { margin: 1rem auto; padding: 0 .6rem; }
  table, thead, tbody, tr, th, td { display: block; } tr:has(th) { display: none; }
  tr { border-bottom: 1px solid #ddd; padding: .3rem 0; } td { border: 0; padding: .1rem 0; }
  td.num { text-align: left; } }
";

/// A status as a coloured badge (the charts' colours), for reports and the archive browser.
pub(crate) fn badge(status: &str) -> String {
    let colour = svg::PALETTE
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("#9e9e9e", |(_, c)| c);
    format!(
        r#"<span class="badge" style="background:{colour}">{}</span>"#,
        h(&super::status_label(status))
    )
}

/// A citation's state as badges: its status, and a red "dead" beside it once the failures
/// are confirmed (a soft 404 is a soft 404, whatever its verdict).
fn state_badges(status: &str, verdict: &str) -> String {
    let mut out = badge(status);
    if verdict == "dead" {
        out.push_str(r#" <span class="badge" style="background:#b71c1c">dead</span>"#);
    }
    out
}

/// Where a cited URL's link leads: the URL itself in the report, the link's page in the
/// archive browser.
pub(crate) type Href<'a> = &'a dyn Fn(&str) -> String;

fn link(href: Href, url: &str) -> String {
    format!(r#"<a class="url" href="{}">{}</a>"#, h(&href(url)), h(url))
}

pub(super) fn write(out: &mut impl Write, r: &Report) -> io::Result<()> {
    writeln!(
        out,
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>citekeep report: run {}</title>
<style>{STYLE}</style></head><body>"#,
        r.run.id
    )?;
    body(out, r, &|url| url.to_string())?;
    writeln!(out, "</body></html>")
}

/// The report's content without the page around it, each cited URL leading to `href(url)`.
pub(crate) fn body(out: &mut impl Write, r: &Report, href: Href) -> io::Result<()> {
    let s = &r.summary;
    writeln!(
        out,
        r#"<h1>Citation rot report</h1>
<p class="sub">Run {} ({}) at {}, {}. Made {}.</p>"#,
        r.run.id,
        h(&r.run.command),
        h(&r.run.started_at),
        h(&since_words(r)),
        h(&r.generated_at)
    )?;
    if r.run.network_down {
        writeln!(
            out,
            r#"<p class="warn">Our own network was down in this run: no strikes were recorded.</p>"#
        )?;
    }
    let cards = [
        (s.links.to_string(), "links"),
        (s.citations.to_string(), "citations"),
        (s.files.to_string(), "files"),
        (s.rotten.to_string(), "dead"),
        (s.newly_rotten.to_string(), "newly rotten"),
        (s.recovered.to_string(), "recovered"),
        (s.newly_blocked.to_string(), "newly blocked"),
        (s.newly_moved.to_string(), "newly moved"),
        (s.drifted.to_string(), "drifted"),
    ];
    writeln!(out, r#"<div class="cards">"#)?;
    for (n, label) in cards {
        writeln!(out, r#"<div class="card"><b>{n}</b>{label}</div>"#)?;
    }
    writeln!(out, "</div>")?;
    writeln!(
        out,
        "<p>By status: {}.<br>By verdict: {}.</p>",
        h(&counts(&s.by_status)),
        h(&counts(&s.by_verdict))
    )?;

    if !r.history.is_empty() {
        writeln!(out, "<h2>Links by status over time</h2>")?;
        writeln!(out, "{}", svg::history(&r.history))?;
    }
    if r.domains
        .iter()
        .any(|d| d.by_status.keys().any(|k| k != "alive"))
    {
        writeln!(out, "<h2>Rot by domain</h2>")?;
        writeln!(out, "{}", svg::rot_by_domain(&r.domains, 15))?;
    }

    writeln!(out, "<h2>What changed {}</h2>", h(&since_words(r)))?;
    if r.changes.is_empty() {
        writeln!(out, "<p>Nothing.</p>")?;
    }
    for (name, list) in r.changes.groups().iter().filter(|g| !g.1.is_empty()) {
        writeln!(out, "<h3>{} ({})</h3>", capitalize(name), list.len())?;
        writeln!(
            out,
            "<table class=\"fixed\"><colgroup><col style=\"width:40%\"><col style=\"width:9%\"><col style=\"width:13%\"><col><col style=\"width:19%\"></colgroup>\n<tr><th>link</th><th>then</th><th>now</th><th>detail</th><th>cited at</th></tr>"
        )?;
        for ch in list.iter() {
            let moved = Changes::moved_to(ch)
                .map(|u| format!("<br>→ {}", link(href, u)))
                .unwrap_or_default();
            writeln!(
                out,
                "<tr><td>{}{moved}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
                link(href, &ch.url),
                h(ch.verdict_before.as_deref().unwrap_or("new")),
                badge(&ch.status),
                h(&ch.verdict),
                h(&ch.detail),
                h(&ch.cited_at.join(", "))
            )?;
        }
        writeln!(out, "</table>")?;
    }

    if !r.replaced.is_empty() {
        writeln!(
            out,
            "<h2>Replaced by <code>fix</code> {}</h2>",
            h(&since_words(r))
        )?;
        writeln!(
            out,
            "<table class=\"fixed\"><colgroup><col style=\"width:20%\"><col style=\"width:34%\"><col><col style=\"width:7rem\"></colgroup>\n<tr><th>where</th><th>cited before</th><th>cites now</th><th>on</th></tr>"
        )?;
        for x in &r.replaced {
            writeln!(
                out,
                "<tr><td>{}:{}:{}</td><td>{}</td><td>{} ({})</td><td>{}</td></tr>",
                h(&x.file),
                x.line,
                x.column,
                link(href, &x.url),
                link(href, &x.with),
                if x.moved {
                    "where it moved"
                } else {
                    "archived copy"
                },
                h(&x.date)
            )?;
        }
        writeln!(out, "</table>")?;
    }

    let to_fix: usize = r.files.iter().map(|f| f.problems.len()).sum();
    writeln!(
        out,
        "<h2>To look at, by source file ({})</h2>",
        plural(to_fix, "citation", "citations")
    )?;
    if to_fix == 0 {
        writeln!(out, "<p>Nothing: every cited link answered.</p>")?;
    }
    for f in r.files.iter().filter(|f| !f.problems.is_empty()) {
        writeln!(
            out,
            "<h3>{} <small>({} of {})</small></h3>",
            h(&f.file),
            f.problems.len(),
            plural(f.citations, "citation", "citations")
        )?;
        writeln!(
            out,
            "<table class=\"fixed\"><colgroup><col style=\"width:4.2rem\"><col style=\"width:17%\"><col style=\"width:31%\"><col><col style=\"width:15%\"><col style=\"width:11%\"></colgroup>\n<tr><th>line</th><th>link text and section</th><th>link</th><th>state</th><th>public copy</th><th>archived copy</th></tr>"
        )?;
        for p in &f.problems {
            let section = p
                .section
                .as_ref()
                .map(|s| format!("<br><small>§ {}</small>", h(s)))
                .unwrap_or_default();
            let moved = match &p.final_url {
                Some(u) if p.status == "moved" => format!("<br>now at {}", link(href, u)),
                _ => String::new(),
            };
            let copy = p.copy.as_ref().map_or_else(
                || "none".to_string(),
                |c| format!(r#"<a href="{}">{}</a>"#, h(&c.url), h(date(&c.captured_at))),
            );
            let public = match (&p.public_copy, p.no_public_copy()) {
                (Some(c), _) => format!(
                    r#"<a href="{}">{}</a><br><small>{}, {}</small>"#,
                    h(&c.url),
                    h(date(&c.captured_at)),
                    h(&c.archive),
                    h(&c.verification)
                ),
                (None, Some(none)) => h(&none).to_string(),
                (None, None) => String::new(),
            };
            writeln!(
                out,
                r#"<tr><td class="num">{}:{}</td><td>{}{section}</td><td>{}{moved}</td><td>{} {}</td><td>{public}</td><td>{copy}</td></tr>"#,
                p.line,
                p.column,
                h(&p.text),
                link(href, &p.url),
                state_badges(&p.status, &p.verdict),
                h(&state_words(p)),
            )?;
        }
        writeln!(out, "</table>")?;
    }

    writeln!(out, "<h2>By domain</h2>")?;
    writeln!(
        out,
        "<table><tr><th>domain</th><th>links</th><th>by status</th></tr>"
    )?;
    for d in &r.domains {
        let badges: Vec<String> = d
            .by_status
            .iter()
            .map(|(k, v)| format!("{} {v}", badge(k)))
            .collect();
        writeln!(
            out,
            r#"<tr><td>{}</td><td class="num">{}</td><td>{}</td></tr>"#,
            h(&d.domain),
            d.links,
            badges.join(" ")
        )?;
    }
    writeln!(out, "</table>")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 28: a soft 404 confirmed dead carried a red "gone" badge. Its badge says what
    /// was found, and a "dead" beside it says the failures are confirmed.
    #[test]
    fn a_dead_soft_404_is_said_as_such() {
        let badges = state_badges("soft404", "dead");
        assert!(badges.contains(">soft 404</span>"), "{badges}");
        assert!(badges.contains(">dead</span>"), "{badges}");
        assert!(!badges.contains("gone"), "{badges}");
        assert!(!state_badges("soft404", "failing").contains("dead"));
    }
}
