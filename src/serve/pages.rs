//! The archive browser's pages, rendered on the server (no script): home, a source, a
//! link's timeline, search, and the rot overview. Everything echoed is escaped.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::App;
use crate::archive;
use crate::archive::cdxj::timestamp;
use crate::clock;
use crate::page::text;
use crate::report;
pub(crate) use crate::report::html::badge;
use crate::store::{PageHit, SnapshotRow};

pub(crate) use crate::report::escape::html as h;

/// A page in the browser's layout.
pub(crate) struct Page {
    /// The document title.
    pub(crate) title: String,
    /// The main content (HTML, already escaped where needed).
    pub(crate) body: String,
    /// Whether the content spans the window (replay) rather than a reading column.
    pub(crate) full_width: bool,
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        Html(format!(
            r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/style.css"></head>
<body class="{class}"><header class="top"><a class="home" href="/">citekeep archive</a>
<form action="/search" role="search"><input type="search" name="q" placeholder="Search links, titles, archived text" aria-label="Search"> <button>Search</button></form>
<a href="/rot">Rot overview</a></header>
<main>{body}</main></body></html>"#,
            title = h(&self.title),
            class = if self.full_width { "wide" } else { "column" },
            body = self.body,
        ))
        .into_response()
    }
}

/// An error page with its status.
pub(crate) fn error(status: StatusCode, title: &str, text: &str) -> (StatusCode, Page) {
    (
        status,
        Page {
            title: title.to_string(),
            body: format!("<h1>{}</h1><p>{}</p>", h(title), h(text)),
            full_width: false,
        },
    )
}

fn badges(counts: &BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(k, v)| format!("{} {v}", badge(k)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Unix seconds for people: `2026-11-27 03:00 UTC`.
pub(crate) fn human(secs: i64) -> String {
    let t = clock::format(secs);
    match (t.get(..10), t.get(11..16)) {
        (Some(d), Some(hm)) => format!("{d} {hm} UTC"),
        _ => t,
    }
}

/// A status badge, and the verdict after it when it says more (`failing`, `dead`).
pub(crate) fn state(status: Option<&str>, verdict: &str) -> String {
    let status = status.unwrap_or("not_checked");
    if verdict == status || verdict == "new" {
        badge(status)
    } else {
        format!("{} {}", badge(status), h(verdict))
    }
}

/// The date (YYYY-MM-DD) of Unix seconds.
fn day(secs: i64) -> String {
    clock::date(secs)
}

/// A replay address of `url` captured at `secs`.
fn replay(url: &str, secs: i64) -> String {
    format!("/web/{}/{}", timestamp(secs), url)
}

fn failed(e: crate::Error) -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "The history could not be read",
        &e.to_string(),
    )
    .into_response()
}

const STYLE: &str = "
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0; color: #1b1b1b; }
header.top { display: flex; gap: 1rem; align-items: center; padding: .5rem 1rem;
             background: #1f3a5f; color: #fff; flex-wrap: wrap; }
header.top a { color: #fff; } header.top .home { font-weight: 600; text-decoration: none; }
header.top form { flex: 1; display: flex; gap: .3rem; max-width: 36rem; }
header.top input { flex: 1; padding: .25rem .4rem; }
body.column main { max-width: 62rem; margin: 1rem auto; padding: 0 1rem; }
body.wide main { display: flex; flex-direction: column; height: calc(100vh - 2.6rem); }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: .4rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .45rem; border-bottom: 1px solid #eee; }
th { background: #f6f6f6; } td.num { text-align: right; white-space: nowrap; }
.url { word-break: break-all; font-family: ui-monospace, monospace; font-size: 13px; }
.badge { display: inline-block; border-radius: 3px; padding: 0 .35rem; color: #fff;
         font-size: 12px; white-space: nowrap; }
.muted { color: #666; } mark { background: #ffe58a; } .badge.drifted { background: #8a5a00; }
.sub { color: #555; margin-top: 0; } .cards { display: flex; flex-wrap: wrap; gap: .6rem; margin: 1rem 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .8rem; min-width: 7rem; }
.card b { display: block; font-size: 1.4rem; }
.warn { background: #fdecea; border: 1px solid #c62828; padding: .5rem .8rem; border-radius: 6px; }
svg { max-width: 100%; height: auto; } svg text { font: 11px system-ui, sans-serif; fill: #333; } svg .ax { stroke: #999; }
.banner { background: #fff8e1; border-bottom: 2px solid #f0c36d; padding: .3rem 1rem; font-size: 14px; }
.banner p { margin: .2rem 0; } .banner .captures { max-height: 3.2em; overflow: auto; }
iframe.replay { flex: 1; border: 0; width: 100%; }
del { background: #fdecea; } ins { background: #e6f4ea; text-decoration: none; }
.diff { white-space: pre-wrap; border: 1px solid #ddd; padding: .6rem; max-height: 30rem; overflow: auto; }
.banner details { margin: .2rem 0; } .banner dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .6rem; margin: .3rem 0; }
.banner dd { margin: 0; word-break: break-all; } .banner code { font-size: 12px; }
code { word-break: break-all; }
/* Narrow screens (a phone, 390 px): no sideways scrolling, tables as lists, the banner
   kept short so the copy stays on screen. */
@media (max-width: 640px) {
  body { font-size: 14px; overflow-x: hidden; }
  header.top { padding: .4rem .6rem; gap: .4rem; }
  header.top form { max-width: none; width: 100%; flex-basis: 100%; }
  body.column main { padding: 0 .6rem; }
  table, thead, tbody, tr, th, td { display: block; width: auto; }
  thead, table tr:first-child:has(th) { display: none; }
  tr { border-bottom: 1px solid #ddd; padding: .3rem 0; }
  td { border: 0; padding: .1rem 0; } td.num { text-align: left; }
  .banner { padding: .2rem .6rem; font-size: 13px; }
  .banner .captures { max-height: 1.6em; }
  .banner dl { grid-template-columns: 1fr; }
}
";

/// `/style.css`.
pub(crate) async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

/// `/`: the sources with counts by status, the last run, the search box.
pub(crate) async fn home(State(app): State<Arc<App>>) -> Response {
    let captures = app.index.get().len();
    let drift = app.drift;
    let data = app
        .db
        .with(move |s| Ok((s.sources()?, s.runs()?.pop(), s.drifted_by_file(drift)?)))
        .await;
    let (sources, last, drifted) = match data {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let mut body = String::from("<h1>Citations and their archived copies</h1>");
    match &last {
        Some(r) => body.push_str(&format!(
            "<p>Last run: {} {} at {}{}. The archive holds {captures} captures.</p>",
            h(&r.command),
            r.id,
            h(&human(r.started_at)),
            if r.network_down {
                " (our network was down: no strikes recorded)"
            } else {
                ""
            }
        )),
        None => body.push_str("<p>No run yet: run <code>citekeep run</code> first.</p>"),
    }
    let mut total: BTreeMap<String, usize> = BTreeMap::new();
    for (_, counts) in &sources {
        for (k, v) in counts {
            *total.entry(k.clone()).or_default() += v;
        }
    }
    let drifted_in_all: usize = drifted.values().sum();
    let drifted_badge = |n: usize| {
        if n == 0 {
            String::new()
        } else {
            format!(r#" <span class="badge drifted">{n} drifted</span>"#)
        }
    };
    body.push_str(&format!(
        "<h2>Sources ({})</h2><p>Citations by status: {}{} · <a href=\"/rot\">rot overview</a></p>",
        sources.len(),
        badges(&total),
        drifted_badge(drifted_in_all)
    ));
    body.push_str("<table><tr><th>source</th><th>citations</th><th>by status</th></tr>");
    for (file, counts) in &sources {
        body.push_str(&format!(
            r#"<tr><td><a href="/source?file={}">{}</a></td><td class="num">{}</td><td>{}</td></tr>"#,
            h(&urlencode(file)),
            h(file),
            counts.values().sum::<usize>(),
            badges(counts) + &drifted_badge(drifted.get(file.as_str()).copied().unwrap_or(0))
        ));
    }
    body.push_str("</table>");
    Page {
        title: "citekeep archive".to_string(),
        body,
        full_width: false,
    }
    .into_response()
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The query of `/source`.
#[derive(Deserialize)]
pub(crate) struct SourceQuery {
    file: String,
}

/// `/source?file=...`: a source's citations in order.
pub(crate) async fn source(State(app): State<Arc<App>>, Query(q): Query<SourceQuery>) -> Response {
    let file = q.file.clone();
    let drift = app.drift;
    let found = app
        .db
        .with(move |s| Ok((s.citations_in(&file, drift)?, s.public_copies()?)))
        .await;
    let (rows, public) = match found {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    if rows.is_empty() {
        return error(
            StatusCode::NOT_FOUND,
            "No such source",
            &format!("The last scan found no citations in {}.", q.file),
        )
        .into_response();
    }
    let mut body = format!("<h1>{}</h1><p>{} citations.</p>", h(&q.file), rows.len());
    let mut section: Option<&str> = None;
    let mut open = false;
    for c in &rows {
        if !open || c.section.as_deref() != section {
            if open {
                body.push_str("</table>");
            }
            section = c.section.as_deref();
            body.push_str(&format!(
                "<h2>{}</h2><table><tr><th>line</th><th>link text</th><th>link</th><th>status</th><th>archived copies</th></tr>",
                h(section.unwrap_or("(before the first heading)"))
            ));
            open = true;
        }
        let copies = match &c.copy {
            Some((url, at)) => format!(
                r#"as cited: <a href="{}">{}</a> <span class="muted">({} capture{})</span>"#,
                h(&replay(url, *at)),
                h(&day(*at)),
                c.captures,
                if c.captures == 1 { "" } else { "s" }
            ),
            None => "none".to_string(),
        };
        let copies = match public.get(&c.link_id) {
            Some(p) => format!(
                r#"{copies}<br><span class="muted">public:</span> <a href="{}" rel="noreferrer noopener" target="_blank">{}</a> <span class="muted">({}, {})</span>"#,
                h(&p.urim),
                h(&clock::date_of_stamp(&p.captured).unwrap_or_default()),
                h(&p.archive),
                h(&p.verification.to_string()),
            ),
            None => copies,
        };
        body.push_str(&format!(
            r#"<tr><td class="num">{}:{}</td><td>{}</td><td><a class="url" href="/link/{}">{}</a></td><td>{}</td><td>{copies}</td></tr>"#,
            c.line,
            c.column,
            h(&c.text),
            c.link_id,
            h(&c.url),
            state(c.status.as_deref(), &c.verdict) + &drift_badge(c.drifted),
        ));
    }
    body.push_str("</table>");
    Page {
        title: q.file,
        body,
        full_width: false,
    }
    .into_response()
}

/// A public copy as pages show it: its address, archive, capture day and verification.
pub(crate) fn public_copy(c: &crate::store::PublicCopy) -> String {
    format!(
        r#"<a class="url" href="{url}" rel="noreferrer noopener" target="_blank">{url}</a> ({archive}, captured {day}; {how})"#,
        url = h(&c.urim),
        archive = h(&c.archive),
        day = h(&clock::date_of_stamp(&c.captured).unwrap_or_default()),
        how = h(&c.verification.to_string()),
    )
}

/// The link page's public-archive section: the copy offered readers and how it was
/// verified, when the archives were last asked, and the captures they hold.
fn public_section(
    copy: &Option<crate::store::PublicCopy>,
    lookup: &Option<crate::store::LastLookup>,
    captures: &[crate::public::Capture],
) -> String {
    if copy.is_none() && lookup.is_none() {
        return String::new();
    }
    let mut out = String::from("<h2>Public copies</h2>");
    match copy {
        Some(c) => out.push_str(&format!("<p>Give readers {}</p>", public_copy(c))),
        None => out.push_str("<p>No public copy shows the page.</p>"),
    }
    if let Some(l) = lookup {
        out.push_str(&format!(
            "<p>Archives last asked {}: {} capture{} found.</p>",
            h(&day(l.looked_at)),
            l.captures,
            if l.captures == 1 { "" } else { "s" }
        ));
        if !l.errors.is_empty() {
            out.push_str("<p>Could not ask:</p><ul>");
            for why in &l.errors {
                out.push_str(&format!("<li>{}</li>", h(why)));
            }
            out.push_str("</ul>");
        }
        if !l.rejected.is_empty() {
            out.push_str("<p>Turned down:</p><ul>");
            for r in &l.rejected {
                out.push_str(&format!(
                    r#"<li><a class="url" href="{u}" rel="noreferrer noopener" target="_blank">{u}</a> {}</li>"#,
                    h(&r.why),
                    u = h(&r.urim)
                ));
            }
            out.push_str("</ul>");
        }
    }
    if !captures.is_empty() {
        out.push_str("<details><summary>Every capture found</summary><ul>");
        for c in captures {
            out.push_str(&format!(
                r#"<li><a href="{url}" rel="noreferrer noopener" target="_blank">{ts}</a> {archive}{status}</li>"#,
                url = h(&c.urim),
                ts = h(&c.timestamp),
                archive = h(&c.archive),
                status = c.status.map(|s| format!(" · {s}")).unwrap_or_default(),
            ));
        }
        out.push_str("</ul></details>");
    }
    out
}

/// `/link/ID?from=S&to=S`: the two captures (snapshot ids) to compare.
#[derive(serde::Deserialize, Default)]
pub(crate) struct CompareQuery {
    from: Option<i64>,
    to: Option<i64>,
}

/// `/link/{id}`: a link's timeline of checks and snapshots, with a text diff when its page
/// drifted, and its public copies.
pub(crate) async fn link(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    Query(compare): Query<CompareQuery>,
) -> Response {
    let dir = app.archive.clone();
    let data = app
        .db
        .with(move |s| {
            let Some(link) = s.link_by_id(id)? else {
                return Ok(None);
            };
            let places = s.places_of(id)?;
            let checks = s.checks_of(id)?;
            let snaps = s.snapshots_of(id)?;
            // The distinct texts; by default the first and the newest are compared, or any
            // two asked for.
            let texts: Vec<(i64, &SnapshotRow)> = snaps
                .iter()
                .filter(|(_, r)| r.text_hash.is_some() && !r.revisit)
                .map(|(sid, r)| (*sid, r))
                .collect();
            let text = |r: &SnapshotRow| archive::page_text(&dir, &r.filename, r.offset);
            let pick = |asked: Option<i64>, default: Option<usize>| {
                asked
                    .and_then(|want| texts.iter().position(|(sid, _)| *sid == want))
                    .or(default)
                    .map(|i| texts[i])
            };
            let last = texts.len().checked_sub(1);
            let (from, to) = (
                pick(compare.from, (!texts.is_empty()).then_some(0)),
                pick(compare.to, last),
            );
            let diff = match (from, to) {
                (Some(a), Some(b)) if a.0 != b.0 => match (text(a.1), text(b.1)) {
                    (Some(ta), Some(tb)) => Some((a.1.captured_at, ta, b.1.captured_at, tb)),
                    _ => None,
                },
                _ => None,
            };
            let choices: Vec<(i64, i64)> =
                texts.iter().map(|(sid, r)| (*sid, r.captured_at)).collect();
            let chosen = (from.map(|f| f.0), to.map(|t| t.0));
            let public = (
                s.public_copy(id)?,
                s.last_lookup(id)?,
                s.public_captures_of(id)?,
            );
            let replaced = s.replacements(0, Some(id))?;
            Ok(Some((
                link,
                (places, replaced),
                checks,
                snaps,
                (diff, choices, chosen),
                public,
            )))
        })
        .await;
    let (link, (places, replaced), checks, snaps, (diff, choices, chosen), public) = match data {
        Ok(Some(d)) => d,
        Ok(None) => {
            return error(StatusCode::NOT_FOUND, "No such link", &id.to_string()).into_response();
        }
        Err(e) => return failed(e),
    };
    let drifted = snaps
        .iter()
        .filter(|(_, s)| !s.requisite && !s.revisit && s.text_hash.is_some())
        .max_by_key(|(_, s)| s.captured_at)
        .and_then(|(_, s)| s.similarity)
        .filter(|&v| v < app.drift);
    let mut body = format!(
        r#"<h1 class="url">{}</h1><p>{} · first cited {}{}</p>"#,
        h(&link.url),
        state(link.last_status.as_deref(), &link.verdict) + &drift_badge(drifted),
        h(&day(link.first_seen)),
        link.first_failing
            .map(|t| format!(
                " · failing since {} ({} failed checks)",
                h(&day(t)),
                link.strikes
            ))
            .unwrap_or_default()
    );
    body.push_str("<h2>Cited in</h2><ul>");
    if places.is_empty() && replaced.is_empty() {
        body.push_str("<li>no source cites it now</li>");
    }
    // Where `fix` rewrote it: the place as it was, when, and what the source cites now.
    for r in &replaced {
        body.push_str(&format!(
            r#"<li class="replaced"><a href="/source?file={}">{}</a>:{}:{}: replaced by <code>fix</code> on {} with <a class="url" href="{}">{}</a></li>"#,
            h(&urlencode(&r.file)),
            h(&r.file),
            r.line,
            r.column,
            h(&day(r.at)),
            h(if r.with.starts_with("https://") || r.with.starts_with("http://") {
                &r.with
            } else {
                "#"
            }),
            h(&r.with),
        ));
    }
    for p in &places {
        body.push_str(&format!(
            r#"<li><a href="/source?file={}">{}</a>:{}:{} “{}”</li>"#,
            h(&urlencode(&p.file)),
            h(&p.file),
            p.line,
            p.column,
            h(&p.text)
        ));
    }
    body.push_str("</ul>");
    body.push_str(&captures_strip(&link.url, &snaps));
    // A page rendered by the browser: its newest screenshot, small, leading to it whole.
    if let Some((_, shot)) = snaps
        .iter()
        .rev()
        .find(|(_, s)| s.url.starts_with("urn:screenshot:"))
    {
        let src = format!("/web/{}id_/{}", timestamp(shot.captured_at), shot.url);
        body.push_str(&format!(
            r#"<p><a href="{src}"><img class="shot" src="{src}" alt="Screenshot of the page as the browser rendered it, {when}" width="320"></a><br><small>Rendered by a browser {when}: <a href="{src}">screenshot</a> ({url})</small></p>"#,
            src = h(&src),
            when = h(&day(shot.captured_at)),
            url = h(&shot.url),
        ));
    }
    body.push_str(&public_section(&public.0, &public.1, &public.2));
    body.push_str("<h2>Timeline</h2>");
    // Checks and snapshots merged by time, newest first.
    let mut events: Vec<(i64, u8, String)> = Vec::new();
    for c in &checks {
        events.push((
            c.checked_at,
            0,
            format!(
                "<td>check</td><td>{} {}</td><td>{}</td>",
                badge(&c.status),
                h(&c.verdict),
                h(&c.detail)
            ),
        ));
    }
    let requisites = snaps.iter().filter(|(_, s)| s.requisite).count();
    for (_, s) in snaps.iter().filter(|(_, s)| !s.requisite) {
        let what = if s.revisit { "unchanged" } else { "captured" };
        let similarity = s
            .similarity
            .map(|v| format!(" · {:.0}% of the first text remains", v * 100.0))
            .unwrap_or_default();
        events.push((
            s.captured_at,
            1,
            format!(
                r#"<td>snapshot</td><td>{what} ({} {})</td><td><a href="{}">{}</a>{}{similarity}</td>"#,
                s.status,
                h(&s.mime),
                h(&replay(&s.url, s.captured_at)),
                h(s.title.as_deref().unwrap_or(&s.url)),
                if s.url == link.url {
                    String::new()
                } else {
                    format!(r#" <span class="muted url">{}</span>"#, h(&s.url))
                }
            ),
        ));
    }
    events.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    body.push_str("<table><tr><th>time</th><th>event</th><th>result</th><th>detail</th></tr>");
    for (t, _, row) in &events {
        body.push_str(&format!(
            "<tr><td class=\"num\">{}</td>{row}</tr>",
            h(&clock::format(*t))
        ));
    }
    body.push_str("</table>");
    if requisites > 0 {
        body.push_str(&format!(
            "<p class=\"muted\">And {requisites} page requisites (stylesheets, images, fonts) captured with it.</p>"
        ));
    }
    if let Some((ta, a, tb, b)) = diff {
        // Any two captures with text can be compared.
        let select = |name: &str, picked: Option<i64>| {
            let options: String = choices
                .iter()
                .map(|(sid, at)| {
                    format!(
                        r#"<option value="{sid}"{}>{}</option>"#,
                        if Some(*sid) == picked {
                            " selected"
                        } else {
                            ""
                        },
                        h(&clock::format(*at))
                    )
                })
                .collect();
            format!(r#"<select name="{name}" aria-label="{name}">{options}</select>"#)
        };
        let changed = if a == b {
            "the same text".to_string()
        } else {
            "<del>removed</del>, <ins>added</ins>".to_string()
        };
        body.push_str(&format!(
            "<h2>How the text changed</h2>\
             <form action=\"/link/{}\" class=\"compare\">Compare {} with {} <button>Compare</button></form>\
             <p>From the capture of {} to that of {}: {changed}.</p><div class=\"diff\">{}</div>",
            link.id,
            select("from", chosen.0),
            select("to", chosen.1),
            h(&clock::format(ta)),
            h(&clock::format(tb)),
            word_diff(&a, &b)
        ));
    }
    Page {
        title: link.url.clone(),
        body,
        full_width: false,
    }
    .into_response()
}

/// A strip of a link's captures over time, one mark each (a new copy tall, an unchanged one
/// short), each leading to its replay; and the list of all captures.
fn captures_strip(url: &str, snaps: &[(i64, SnapshotRow)]) -> String {
    let pages: Vec<&SnapshotRow> = snaps
        .iter()
        .map(|(_, s)| s)
        .filter(|s| !s.requisite && s.url == url)
        .collect();
    let (Some(first), Some(last)) = (
        pages.iter().map(|s| s.captured_at).min(),
        pages.iter().map(|s| s.captured_at).max(),
    ) else {
        return String::new();
    };
    let (width, height) = (600.0, 36.0);
    let span = (last - first).max(1) as f64;
    let mut marks = String::new();
    for s in &pages {
        let x = 6.0 + (s.captured_at - first) as f64 / span * (width - 12.0);
        let (y, colour) = if s.revisit {
            (18.0, "#8aa")
        } else {
            (4.0, "#1f3a5f")
        };
        marks.push_str(&format!(
            r#"<a href="{href}"><rect x="{x:.1}" y="{y}" width="4" height="{h:.0}" fill="{colour}"><title>{when}{what}</title></rect></a>"#,
            href = h(&replay(&s.url, s.captured_at)),
            h = height - 4.0 - y,
            when = h(&clock::format(s.captured_at)),
            what = if s.revisit { " (unchanged)" } else { "" },
        ));
    }
    format!(
        r##"<h2>Captures ({n})</h2><svg class="strip" viewBox="0 0 {width} {height}" width="100%" height="{height}" role="img" aria-label="captures from {from} to {to}"><line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#ccc"/>{marks}</svg>
<p class="muted">{from} to {to} · <a href="/web/*/{u}">every capture</a></p>"##,
        n = pages.len(),
        base = height - 1.0,
        from = h(&day(first)),
        to = h(&day(last)),
        u = h(url),
    )
}

/// A `drifted` badge saying how much of the first text remains, when it drifted.
pub(crate) fn drift_badge(share: Option<f64>) -> String {
    share
        .map(|v| {
            format!(
                r#" <span class="badge drifted" title="{:.0}% of the text first archived remains">drifted</span>"#,
                v * 100.0
            )
        })
        .unwrap_or_default()
}

/// A word-level diff of two texts as HTML (`<del>`, `<ins>`), escaped.
fn word_diff(a: &str, b: &str) -> String {
    let limit = |s: &str| -> String { s.chars().take(20_000).collect() };
    let (a, b) = (limit(a), limit(b));
    // Words with their following space as tokens: spaces alone would match everywhere and
    // cut every change into single words.
    let tokens = |s: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for piece in s.split_inclusive(char::is_whitespace) {
            match out.last_mut() {
                Some(last) if piece.trim().is_empty() => last.push_str(piece),
                _ => out.push(piece.to_string()),
            }
        }
        out
    };
    let (ta, tb) = (tokens(&a), tokens(&b));
    let ta: Vec<&str> = ta.iter().map(String::as_str).collect();
    let tb: Vec<&str> = tb.iter().map(String::as_str).collect();
    let diff = similar::TextDiff::from_slices(&ta, &tb);
    let mut out = String::new();
    // Runs of removed and added words are marked as one, so a rewritten sentence reads as
    // the old sentence struck through followed by the new.
    for op in diff.ops() {
        let (mut del, mut ins, mut same) = (String::new(), String::new(), String::new());
        for change in diff.iter_changes(op) {
            match change.tag() {
                similar::ChangeTag::Equal => same.push_str(change.value()),
                similar::ChangeTag::Delete => del.push_str(change.value()),
                similar::ChangeTag::Insert => ins.push_str(change.value()),
            }
        }
        out.push_str(&h(&same));
        if !del.is_empty() {
            out.push_str(&format!("<del>{}</del>", h(&del)));
        }
        if !ins.is_empty() {
            out.push_str(&format!("<ins>{}</ins>", h(&ins)));
        }
    }
    out
}

/// The query of `/search`.
#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: String,
    /// The page of archived-page hits (from 1).
    #[serde(default)]
    page: Option<usize>,
}

/// Archived-page hits shown a page.
const HITS_A_PAGE: usize = 20;

/// `/search?q=...`: cited links by URL and link text, archived pages by URL, title and text.
pub(crate) async fn search(State(app): State<Arc<App>>, Query(q): Query<SearchQuery>) -> Response {
    let query = q.q.trim().to_string();
    let page = q.page.unwrap_or(1).max(1);
    let moved = query.clone();
    let dir = app.archive.clone();
    let hits = app
        .db
        .with(move |s| {
            let pages = s.search_pages(&moved, 2000)?;
            let total = pages.len();
            // Each hit's snippet (this page's only), from its page's text as archived.
            let pages: Vec<(PageHit, String)> = pages
                .into_iter()
                .skip((page - 1) * HITS_A_PAGE)
                .take(HITS_A_PAGE)
                .map(|p| {
                    let text = archive::page_text(&dir, &p.filename, p.offset);
                    let snippet = text::snippet(text.as_deref().unwrap_or(""), &moved, 16);
                    (p, snippet)
                })
                .collect();
            Ok((s.search_citations(&moved, 500)?, pages, total))
        })
        .await;
    let (cited, pages, total) = match hits {
        Ok(h) => h,
        Err(e) => return failed(e),
    };
    let mut body = format!(
        r#"<h1>Search</h1><form action="/search" role="search"><input type="search" name="q" size="40" value="{}" aria-label="Search the archive"> <button>Search</button></form>"#,
        h(&query)
    );
    if !query.is_empty() {
        body.push_str(&format!("<h2>Cited links ({})</h2>", cited.len()));
        if cited.is_empty() {
            body.push_str("<p>None.</p>");
        } else {
            body.push_str(
                "<table><tr><th>link</th><th>link text</th><th>cited in</th><th>status</th></tr>",
            );
            for c in &cited {
                let texts: Vec<String> = c.places.iter().map(|p| h(&p.text)).collect();
                let places: Vec<String> = c
                    .places
                    .iter()
                    .map(|p| format!("{}:{}", h(&p.file), p.line))
                    .collect();
                body.push_str(&format!(
                    r#"<tr><td><a class="url" href="/link/{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                    c.link_id,
                    h(&c.url),
                    texts.join("<br>"),
                    places.join("<br>"),
                    badge(c.status.as_deref().unwrap_or("not_checked"))
                ));
            }
            body.push_str("</table>");
        }
        let pages_in_all = total.div_ceil(HITS_A_PAGE).max(1);
        body.push_str(&format!(
            "<h2>Archived pages ({total} in all{})</h2>",
            if pages_in_all > 1 {
                format!("; page {page} of {pages_in_all}")
            } else {
                String::new()
            }
        ));
        if pages.is_empty() {
            body.push_str("<p>None.</p>");
        }
        for (p, snippet) in &pages {
            // Matches come between \u{1} and \u{2}; the text around them is escaped.
            let snippet: String = snippet
                .split('\u{1}')
                .enumerate()
                .map(|(i, part)| match part.split_once('\u{2}') {
                    Some((hit, rest)) if i > 0 => format!("<mark>{}</mark>{}", h(hit), h(rest)),
                    _ => h(part),
                })
                .collect();
            body.push_str(&format!(
                r#"<p class="hit"><a href="{}">{}</a> <span class="muted">{} · captured {}</span><br>{snippet}</p>"#,
                h(&replay(&p.url, p.captured_at)),
                h(p.title.as_deref().unwrap_or(&p.url)),
                h(&p.url),
                h(&day(p.captured_at)),
            ));
        }
        let link = |n: usize, label: &str| {
            format!(
                r#"<a href="/search?q={}&amp;page={n}">{label}</a>"#,
                h(&percent_encoding::utf8_percent_encode(
                    &query,
                    percent_encoding::NON_ALPHANUMERIC
                )
                .to_string())
            )
        };
        let mut nav = Vec::new();
        if page > 1 {
            nav.push(link(page - 1, "← previous"));
        }
        if page < pages_in_all {
            nav.push(link(page + 1, "next →"));
        }
        if !nav.is_empty() {
            body.push_str(&format!(r#"<p class="pager">{}</p>"#, nav.join(" · ")));
        }
    }
    Page {
        title: format!("Search: {query}"),
        body,
        full_width: false,
    }
    .into_response()
}

/// `/rot`: the rot report of the latest run, live, inside the browser's layout: its copies
/// linked into this browser, its links to their pages here.
pub(crate) async fn rot(State(app): State<Arc<App>>) -> Response {
    let drift = app.drift;
    let built = app
        .db
        .with(move |s| {
            report::build(
                s,
                &report::Options {
                    since: report::Since::Previous,
                    replay_url: "/web/{timestamp}/{url}".to_string(),
                    drift,
                },
            )
        })
        .await;
    let r = match built {
        Ok(r) => r,
        Err(e) => {
            return error(StatusCode::NOT_FOUND, "No report yet", &e.to_string()).into_response();
        }
    };
    // The report's own body, its cited links leading to their pages in this browser.
    let mut out = Vec::new();
    let href = |url: &str| format!("/link?url={}", urlencode(url));
    if let Err(e) = report::html::body(&mut out, &r, &href) {
        return failed(crate::Error::Store(e.to_string()));
    }
    let body = String::from_utf8_lossy(&out).into_owned();
    Page {
        title: "Rot report".to_string(),
        body,
        full_width: false,
    }
    .into_response()
}

/// `/link?url=U`: the page of the cited link `U`.
pub(crate) async fn link_by_url(
    State(app): State<Arc<App>>,
    Query(q): Query<LinkUrlQuery>,
) -> Response {
    let key = crate::link::link_key(&q.url);
    match app.db.with(move |s| s.link_state(&key)).await {
        Ok(Some(l)) => (
            StatusCode::FOUND,
            [(header::LOCATION, format!("/link/{}", l.id))],
        )
            .into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "Not a cited link", &q.url).into_response(),
        Err(e) => failed(e),
    }
}

/// `/link?url=...`.
#[derive(serde::Deserialize)]
pub(crate) struct LinkUrlQuery {
    #[serde(default)]
    url: String,
}
