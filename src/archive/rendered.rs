//! A page rendered by the browser, as WARC records: every response it loaded as a
//! `response`/`request` pair (a payload already archived becomes a `revisit`), the rendered
//! DOM as a `resource` record of the page's own URL (`text/html`; replay shows it), and the
//! full-page screenshot as a `resource` record of `urn:screenshot:URL` (`image/png`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;

use crate::browser::{Browser, Loaded, Rendered};
use crate::config::Config;
use crate::fetch::guard::Guard;
use crate::page::text;
use crate::store::{Prev, SnapshotRow, Store};
use crate::{Error, clock};

use super::capture::Exchange;
use super::warc::{self, Placed, Record, record_id, sha1_digest, warc_date};
use super::{
    Archive, ArchiveSummary, cut_to_recorded, first_text, note_drift, prepare, snapshot_row,
};

/// The target URI of a page's screenshot.
pub fn screenshot_uri(url: &str) -> String {
    format!("urn:screenshot:{url}")
}

/// Response headers the browser reports that no longer describe the body it gives (the
/// body is decoded and whole).
const DROPPED: &[&str] = &["content-encoding", "transfer-encoding", "content-length"];

/// One loaded response as an exchange, its head rebuilt from what the browser reported.
pub fn exchange(loaded: &Loaded) -> Exchange {
    let parsed = url::Url::parse(&loaded.url).ok();
    let target = parsed.as_ref().map_or_else(
        || "/".to_string(),
        |u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
    );
    let method = if loaded.method.is_empty() {
        "GET"
    } else {
        &loaded.method
    };
    let mut request = format!("{method} {target} HTTP/1.1\r\n");
    let has_host = loaded
        .request_headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("host"));
    if let Some(host) = parsed.as_ref().and_then(|u| u.host_str())
        && !has_host
    {
        request.push_str(&format!("Host: {host}\r\n"));
    }
    for (k, v) in &loaded.request_headers {
        if !k.starts_with(':') {
            request.push_str(&format!("{k}: {}\r\n", clean(v)));
        }
    }
    request.push_str("\r\n");
    let text = if loaded.status_text.is_empty() {
        "OK"
    } else {
        &loaded.status_text
    };
    let mut head = format!("HTTP/1.1 {} {}\r\n", loaded.status, clean(text));
    for (k, v) in &loaded.headers {
        if !DROPPED.contains(&k.to_ascii_lowercase().as_str()) {
            head.push_str(&format!("{k}: {}\r\n", clean(v)));
        }
    }
    if !(300..400).contains(&loaded.status) {
        head.push_str(&format!("Content-Length: {}\r\n", loaded.body.len()));
    }
    head.push_str("\r\n");
    let mime = Some(super::capture::mime_essence(&loaded.mime)).filter(|m| !m.is_empty());
    Exchange {
        url: loaded.url.clone(),
        request: request.into_bytes(),
        status: loaded.status,
        response_head: head.into_bytes(),
        body: loaded.body.clone(),
        truncated: false,
        mime,
        encoding: None,
        large: None,
    }
}

/// A header value on one line.
fn clean(v: &str) -> String {
    v.replace(['\r', '\n'], " ")
}

/// A `resource` record of `uri` holding `block` of type `mime`, made at `now`: its record
/// id, payload digest and gzip member.
pub fn resource(
    uri: &str,
    mime: &str,
    block: &[u8],
    now: i64,
) -> std::io::Result<(String, String, Vec<u8>)> {
    let id = record_id();
    let digest = sha1_digest(block);
    let member = warc::member(&Record {
        kind: "resource".into(),
        fields: vec![
            ("WARC-Record-ID".into(), id.clone()),
            ("WARC-Date".into(), warc_date(now)),
            ("WARC-Target-URI".into(), uri.to_string()),
            ("Content-Type".into(), mime.to_string()),
            ("WARC-Payload-Digest".into(), digest.clone()),
        ],
        block: block.to_vec(),
    })?;
    Ok((id, digest, member))
}

/// The text a rendered page gives search and drift: its title and rendered text.
pub fn title_and_text(rendered: &Rendered) -> (Option<String>, String) {
    let page = crate::page::text::read(rendered.dom.as_bytes(), None);
    let text = if rendered.text.trim().is_empty() {
        page.main_text
    } else {
        rendered
            .text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    (page.title, text)
}

/// Writes what the browser rendered of one link: each response it loaded (but the page's
/// own document, which the HTTP capture holds), the rendered DOM as the page's newest
/// capture (its text feeds search and drift), and the screenshot.
#[allow(clippy::too_many_arguments)]
pub(super) fn record(
    store: &Store,
    archive: &mut Archive,
    rows: &mut Vec<SnapshotRow>,
    summary: &mut ArchiveSummary,
    (config, run, link_id): (&Config, Option<i64>, i64),
    url: &str,
    page: &crate::browser::Rendered,
    now: i64,
) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Io {
        path: PathBuf::from(url),
        error: e,
    };
    for loaded in &page.responses {
        let document = (loaded.url == url || loaded.url == page.url)
            && (loaded.mime.contains("html") || (300..400).contains(&loaded.status));
        if document {
            continue;
        }
        let ex = exchange(loaded);
        let previous = match rows.iter().rev().find(|r| r.url == ex.url && !r.revisit) {
            Some(r) => Some(Prev::from(r)),
            None => store.last_full_snapshot(&ex.url)?.as_ref().map(Prev::from),
        };
        let prepared = prepare(&ex, previous.as_ref(), now).map_err(io)?;
        let stored = archive.append(store, &prepared, now)?;
        rows.push(SnapshotRow {
            requisite: true,
            ..snapshot_row(link_id, run, &ex, stored, now)
        });
    }
    let (title, text) = title_and_text(page);
    let first = first_text(store, archive.dir(), rows, link_id)?;
    let similarity = first.map(|f| text::containment(&f, &text));
    if let Some(s) = similarity {
        note_drift(config, summary, url, s);
    }
    let resource_row =
        |uri: &str, mime: &str, (id, digest, placed, end): (String, String, Placed, u64)| {
            SnapshotRow {
                link_id,
                run,
                url: uri.to_string(),
                captured_at: now,
                filename: placed.filename,
                offset: placed.offset,
                length: placed.length,
                status: 200,
                mime: mime.to_string(),
                payload_digest: digest,
                record_id: id,
                warc_end: end,
                resource: true,
                ..SnapshotRow::default()
            }
        };
    let (id, digest, member) = resource(
        &page.url,
        "text/html; charset=utf-8",
        page.dom.as_bytes(),
        now,
    )
    .map_err(io)?;
    let (placed, end) = archive.append_member(store, &member, now)?;
    rows.push(SnapshotRow {
        title,
        text_hash: Some(format!("simhash:{:016x}", text::simhash(&text))),
        main_text: Some(text),
        similarity,
        ..resource_row(&page.url, "text/html", (id, digest, placed, end))
    });
    if !page.screenshot.is_empty() {
        let uri = screenshot_uri(&page.url);
        let (id, digest, member) =
            resource(&uri, "image/png", &page.screenshot, now).map_err(io)?;
        let (placed, end) = archive.append_member(store, &member, now)?;
        rows.push(SnapshotRow {
            requisite: true,
            ..resource_row(&uri, "image/png", (id, digest, placed, end))
        });
    }
    summary.rendered += 1;
    Ok(())
}

/// What the browser pass of an archiving pass needs.
pub(super) struct Pass<'a> {
    /// The Chromium program, if one was found.
    pub program: Option<&'a Path>,
    /// The configuration (`[browser]`, `[archive]`, the contact for the User-Agent).
    pub config: &'a Config,
    /// The pass's address guard, which the browser's requests go through too.
    pub guard: Arc<Guard>,
    /// The run the snapshots belong to.
    pub run: Option<i64>,
}

impl Pass<'_> {
    /// Renders `pages` ((link id, URL, when its HTTP capture was made)) and writes what the
    /// browser saw of each; without a browser, or one that cannot start, says once that
    /// they were archived as sent.
    pub(super) async fn render_all(
        &self,
        pages: Vec<(i64, String, i64)>,
        store: &Store,
        archive: &mut Archive,
        rows: &mut Vec<SnapshotRow>,
        summary: &mut ArchiveSummary,
        progress: super::Progress<'_>,
    ) -> Result<(), Error> {
        if pages.is_empty() {
            return Ok(());
        }
        let total = pages.len();
        let count = |n: usize| format!("{n} page{}", if n == 1 { "" } else { "s" });
        let Some(program) = self.program else {
            summary.warnings.push(format!(
                "{} built by script were archived as sent, not rendered: no Chromium found \
                 (install Debian's chromium, or set [browser] executable)",
                count(pages.len())
            ));
            return Ok(());
        };
        let browser = match Browser::launch(program, self.config, self.guard.clone()).await {
            Ok(b) => b,
            Err(e) => {
                summary.warnings.push(format!(
                    "the browser could not start ({e}): {} built by script were archived \
                         as sent, not rendered",
                    count(pages.len())
                ));
                return Ok(());
            }
        };
        let shared = &browser;
        let mut rendered = futures_util::stream::iter(pages)
            .map(|(id, url, sent)| async move {
                let page = shared.render(&url).await;
                (id, url, sent, page)
            })
            .buffer_unordered(self.config.browser.concurrency.max(1));
        let mut failed = None;
        let mut done = 0;
        while let Some((link_id, url, sent, page)) = rendered.next().await {
            done += 1;
            progress("rendering", done, total);
            let page = match page {
                Ok(p) => p,
                Err(why) => {
                    summary.failed.push((url, format!("rendering: {why}")));
                    continue;
                }
            };
            // Rendered after the page was fetched: its own, later capture time.
            let now = clock::now().max(sent + 1);
            let written = record(
                store,
                archive,
                rows,
                summary,
                (self.config, self.run, link_id),
                &url,
                &page,
                now,
            );
            if let Err(e) = written {
                failed = Some(e);
                break;
            }
        }
        drop(rendered);
        browser.close().await;
        match failed {
            Some(e) => {
                let _ = cut_to_recorded(archive.dir(), store);
                Err(e)
            }
            None => Ok(()),
        }
    }
}
