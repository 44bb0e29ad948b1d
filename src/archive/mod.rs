//! The archive: snapshots of cited pages in WARC files (`archive/warc/*.warc.gz`), a sorted
//! CDXJ index (`archive/index.cdxj`), and a row per snapshot in the history database.
//!
//! Each capture is a `response` record (or a `revisit` when the payload is identical to the
//! last full capture of that URL) followed by its `request`, linked by
//! `WARC-Concurrent-To`. Files are appended to until `[archive] max_file_size`, then a new
//! one starts, named by time and sequence.
//!
//! Crash safety comes from one order and one source of truth: records are written and
//! synced, then their snapshot rows are committed to the history database, then the index
//! is rebuilt from those rows. Opening the archive cuts every WARC file back to the end of
//! its last recorded capture, so what a killed run wrote but did not record (a partial
//! record included) is gone, and files, database and index agree (`files.rs`: opening,
//! rotation, recovery and the index; this file: the capture pass and its records).
//!
//! A page built by script (its HTTP capture an application shell, or its host in
//! `[browser] hosts`) is rendered by a headless browser after the HTTP pass, and what the
//! browser loaded, the rendered DOM and a screenshot join the archive ([`rendered`]).

pub mod capture;
pub mod cdxj;
mod files;
pub mod rendered;
pub mod wacz;
pub mod warc;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;

use crate::Error;
use crate::clock;
use crate::config::{BrowserUse, Config};
use crate::fetch::client;
use crate::fetch::guard::Guard;
use crate::fetch::politeness::Gates;
use crate::page::{requisites, text};
pub use crate::store::Prev;
use crate::store::{SnapshotRow, Store};
use capture::Exchange;
use files::cut_to_recorded;
pub use files::{Archive, rebuild_index};
use warc::{Placed, Record, record_id, sha1_digest, warc_date};

/// The main text of the HTML page in the response record at `offset` of the WARC file
/// `filename` in the archive `dir`: pages' texts are read from their records rather than
/// kept twice. `None` when the record cannot be read.
pub fn page_text(dir: &Path, filename: &str, offset: u64) -> Option<String> {
    let record = warc::read_at(&dir.join("warc").join(filename), offset).ok()?;
    // A rendered DOM is a resource record: its block is the page.
    if record.kind == "resource" {
        return Some(text::read(&record.block, None).main_text);
    }
    let (head, body) = record.http_message()?;
    let encoding = capture::header_value(head, "content-encoding");
    let body = capture::decode_body(encoding.as_deref(), body);
    let pdf = capture::header_value(head, "content-type")
        .is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("application/pdf"));
    if pdf {
        return Some(crate::page::pdf::text(&body));
    }
    Some(text::read(&body, None).main_text)
}

/// The HTML page in the response record at `offset` of the WARC file `file`, as checks
/// read pages (public copies are compared with it). `None` when it cannot be read or is not
/// HTML.
pub fn page_at(file: &Path, offset: u64) -> Option<crate::page::Page> {
    let record = warc::read_at(file, offset).ok()?;
    let (head, body) = record.http_message()?;
    let html = capture::header_value(head, "content-type")
        .is_some_and(|t| t.to_ascii_lowercase().contains("html"));
    if !html {
        return None;
    }
    let encoding = capture::header_value(head, "content-encoding");
    let body = capture::decode_body(encoding.as_deref(), body);
    Some(crate::page::Page::from_html(&body))
}

/// The revisit profile for an unchanged payload (WARC 1.1, section 6.7.2).
const IDENTICAL_PAYLOAD: &str = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest";

/// A capture's records, compressed and ready to append.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The response or revisit record's gzip member.
    pub response: Vec<u8>,
    /// The request record's gzip member.
    pub request: Vec<u8>,
    /// The response or revisit record's id.
    pub record_id: String,
    /// The payload digest.
    pub payload_digest: String,
    /// Whether it is a revisit of `previous`.
    pub revisit: bool,
}

/// Builds and compresses a capture's records: a full `response`, or a `revisit` when
/// `previous` has the same URL and payload digest; and its `request`.
pub fn prepare(ex: &Exchange, previous: Option<&Prev>, now: i64) -> std::io::Result<Prepared> {
    let payload_digest = sha1_digest(&ex.body);
    let response_id = record_id();
    let date = warc_date(now);
    let unchanged = previous.filter(|p| p.payload_digest == payload_digest && p.url == ex.url);
    let mut fields = vec![
        ("WARC-Record-ID".to_string(), response_id.clone()),
        ("WARC-Date".to_string(), date.clone()),
        ("WARC-Target-URI".to_string(), ex.url.clone()),
        (
            "Content-Type".to_string(),
            "application/http;msgtype=response".to_string(),
        ),
        ("WARC-Payload-Digest".to_string(), payload_digest.clone()),
    ];
    let response = match unchanged {
        Some(p) => {
            fields.push(("WARC-Profile".into(), IDENTICAL_PAYLOAD.into()));
            fields.push(("WARC-Refers-To".into(), p.record_id.clone()));
            fields.push(("WARC-Refers-To-Target-URI".into(), p.url.clone()));
            fields.push(("WARC-Refers-To-Date".into(), warc_date(p.captured_at)));
            warc::member_of_parts("revisit", &fields, &[&ex.response_head])?
        }
        None => {
            if ex.truncated {
                fields.push(("WARC-Truncated".into(), "length".into()));
            }
            warc::member_of_parts("response", &fields, &[&ex.response_head, &ex.body])?
        }
    };
    let request = warc::member(&Record {
        kind: "request".into(),
        fields: vec![
            ("WARC-Record-ID".into(), record_id()),
            ("WARC-Date".into(), date),
            ("WARC-Target-URI".into(), ex.url.clone()),
            ("WARC-Concurrent-To".into(), response_id.clone()),
            (
                "Content-Type".into(),
                "application/http;msgtype=request".into(),
            ),
        ],
        block: ex.request.clone(),
    })?;
    Ok(Prepared {
        response,
        request,
        record_id: response_id,
        payload_digest,
        revisit: unchanged.is_some(),
    })
}

/// Where an exchange was stored.
#[derive(Clone, Debug)]
pub struct Stored {
    /// The response or revisit record's place.
    pub placed: Placed,
    /// Its record id.
    pub record_id: String,
    /// The payload digest.
    pub payload_digest: String,
    /// Whether it was a revisit.
    pub revisit: bool,
    /// Offset just after the capture's records.
    pub end: u64,
}

/// Totals of an archiving pass.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ArchiveSummary {
    /// Links captured (fully or as revisits).
    pub captured: usize,
    /// Links whose page was unchanged since its last capture (a revisit record).
    pub unchanged: usize,
    /// Links whose page was stored in full (new or changed).
    pub new: usize,
    /// Page requisites (stylesheets, images, fonts) captured with the pages.
    pub requisites: usize,
    /// Links whose text drifted from their first snapshot, with how much remains.
    pub drifted: Vec<(String, f64)>,
    /// Links that could not be captured, with why.
    pub failed: Vec<(String, String)>,
    /// Pages rendered by the browser.
    pub rendered: usize,
    /// What the run should say once (no browser to render script-built pages with).
    pub warnings: Vec<String>,
    /// Cited public archive addresses left out: already mementos, never captured again.
    pub mementos: usize,
}

/// Told how a long phase goes: its name (`snapshotting`, `rendering`), done, total.
pub type Progress<'a> = &'a mut dyn FnMut(&'static str, usize, usize);

/// Fetches a page's requisites (`wanted`, and what its stylesheets name) with `get`, each up
/// to `cap` bytes; every hop of each. At most [`requisites::MAX_PER_PAGE`] are tried
/// (failures count), none after `deadline`, and none another capture of this pass has
/// `claimed` already (a moved and an alive link that lead to one page share its requisites).
async fn fetch_requisites<F, Fut>(
    wanted: Vec<url::Url>,
    cap: u64,
    deadline: tokio::time::Instant,
    claimed: &Mutex<HashSet<url::Url>>,
    get: &F,
) -> Vec<Exchange>
where
    F: Fn(String, u64) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<Exchange>, String>>,
{
    let mut queue: std::collections::VecDeque<url::Url> = wanted.into();
    let mut seen: HashSet<url::Url> = queue.iter().cloned().collect();
    let mut out = Vec::new();
    let mut tried = 0;
    while let Some(u) = queue.pop_front() {
        if tried >= requisites::MAX_PER_PAGE {
            break;
        }
        if !claimed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(u.clone())
        {
            continue;
        }
        tried += 1;
        let Ok(Ok(hops)) = tokio::time::timeout_at(deadline, get(u.to_string(), cap)).await else {
            continue;
        };
        let Some(last) = hops.last() else { continue };
        if last.mime.as_deref() == Some("text/css")
            && (200..300).contains(&last.status)
            && let Ok(sheet) = url::Url::parse(&last.url)
        {
            for next in requisites::from_css(&last.decoded_body(), &sheet) {
                if seen.insert(next.clone()) {
                    queue.push_back(next);
                }
            }
        }
        // Every hop, so replay of the URL the page names follows its redirects too.
        out.extend(hops);
    }
    out
}

/// A page hop as captured, with what the archive keeps of its text (worked out on the
/// fetching task, so both cores share it).
struct Captured {
    ex: Exchange,
    title: Option<String>,
    main_text: Option<String>,
    /// `simhash:` and the main text's similarity hash.
    text_hash: Option<String>,
}

fn analyse(ex: Exchange, page: Option<text::PageText>) -> Captured {
    match page {
        Some(p) => Captured {
            ex,
            title: p.title,
            text_hash: Some(format!("simhash:{:016x}", text::simhash(&p.main_text))),
            main_text: Some(p.main_text),
        },
        None => Captured {
            ex,
            title: None,
            main_text: None,
            text_hash: None,
        },
    }
}

/// Reads a captured 2xx HTML page once: title, main text, requisites. A compressed body
/// that inflates past [`capture::LARGE_BODY`] is read with the capture's `large` slot: a
/// small gzip bomb inflates to [`capture::MAX_DECODED`], and many at once would not fit in
/// memory.
async fn read_page(ex: &Exchange, large: &capture::LargeSlot) -> Option<text::PageText> {
    if !(200..300).contains(&ex.status) {
        return None;
    }
    // A PDF's text is read too, for search and drift (its bytes are already held).
    // Reading it is CPU work on remote bytes: on the blocking pool, not the async workers.
    if ex.mime.as_deref() == Some("application/pdf") {
        let body = ex.decoded_body();
        return tokio::task::spawn_blocking(move || text::PageText {
            title: crate::page::pdf::title(&body),
            main_text: crate::page::pdf::text(&body),
            requisites: Vec::new(),
        })
        .await
        .ok();
    }
    let html = ex.mime.as_deref().is_some_and(|m| m.contains("html"));
    if !html {
        return None;
    }
    let url = url::Url::parse(&ex.url).ok();
    let mut body = capture::decode_body_up_to(
        ex.encoding.as_deref(),
        &ex.body,
        capture::LARGE_BODY as u64 + 1,
    );
    let _permit;
    if body.len() > capture::LARGE_BODY {
        drop(body);
        _permit = large.take().await.ok()?;
        body = ex.decoded_body();
    }
    Some(text::read(&body, url.as_ref()))
}

/// Snapshot rows are committed in groups of this many (after the WARC data is synced), so
/// memory stays flat however many pages a run captures.
const COMMIT_EVERY: usize = 200;

/// Captures `links` ((link id, URL) pairs) into the archive in `dir`, politely, recording
/// each snapshot in `store`. Pages are fetched concurrently and written as they arrive.
pub fn archive_links(
    store: &mut Store,
    links: Vec<(i64, String)>,
    config: &Config,
    (base, dir): (&Path, &Path),
    run: Option<i64>,
    progress: Progress,
) -> Result<ArchiveSummary, Error> {
    let mut summary = ArchiveSummary::default();
    if links.is_empty() {
        return Ok(summary);
    }
    let total = links.len();
    let mut done = 0;
    let cfg = &config.check;
    // Local addresses the sources name literally are the user's choice; redirects and
    // requisites lead nowhere else local.
    let guard = Arc::new(Guard::for_cited(
        links.iter().map(|(_, u)| u.as_str()),
        cfg.allow_private_sources,
    ));
    let fetcher = Arc::new(capture::Fetcher {
        client: client::build(cfg, base, false, &guard)?,
        guard,
        headers: client::HostHeaders::new(cfg)?,
        user_agent: client::user_agent(&cfg.contact),
        record_credentials: config.archive.record_credentials,
    });
    let gates = Arc::new(Gates::new(
        cfg.concurrency,
        cfg.per_host,
        Duration::from_millis(cfg.host_interval),
    ));
    let runtime = crate::fetch::runtime()?;
    let large = Arc::new(tokio::sync::Semaphore::new(capture::LARGE_AT_ONCE));
    let claimed: Arc<Mutex<HashSet<url::Url>>> = Arc::default();
    let deadline = cfg.link_deadline();
    let max_size = config.archive.max_size;
    let requisite_max = config.archive.requisite_max_size.min(max_size);
    let max_redirects = cfg.max_redirects;
    // Pages built by script are rendered by a browser after the HTTP pass, if one is here.
    let browser_use = config.archive.browser;
    let program = crate::browser::program(config);
    let browser_hosts: Arc<Vec<String>> = Arc::new(config.browser.hosts.clone());
    // (link id, URL, when its HTTP capture was made)
    let mut to_render: Vec<(i64, String, i64)> = Vec::new();
    let mut archive = Archive::open(dir, config.archive.max_file_size, store)?;
    summary.warnings.extend(archive.warnings().iter().cloned());
    let prevs: Arc<std::collections::HashMap<String, Prev>> =
        Arc::new(store.last_full_snapshots()?);
    let mut rows: Vec<SnapshotRow> = Vec::new();
    runtime.block_on(async {
        // Interleaved by host, so the pages in flight spread over many hosts' gates.
        let links = crate::fetch::interleave_by_host(links, |(_, u)| crate::link::host_of(u));
        let mut stream = futures_util::stream::iter(links)
            .map(|(id, url)| {
                let (fetcher, gates, prevs, large, claimed, browser_hosts) = (
                    fetcher.clone(),
                    gates.clone(),
                    prevs.clone(),
                    large.clone(),
                    claimed.clone(),
                    browser_hosts.clone(),
                );
                let can_render = program.is_some();
                tokio::spawn(async move {
                    // The whole capture, page and requisites, ends by its deadline.
                    let deadline = tokio::time::Instant::now() + deadline;
                    let slot = capture::LargeSlot::new(large, deadline);
                    let get = |u: String, cap: u64| {
                        let (fetcher, gates, slot) = (&fetcher, &gates, &slot);
                        async move {
                            let _pass = gates.enter(&crate::link::host_of(&u)).await;
                            capture::fetch(fetcher, &u, (cap, max_redirects), slot).await
                        }
                    };
                    let hops =
                        match tokio::time::timeout_at(deadline, get(url.clone(), max_size)).await {
                            Ok(Ok(hops)) => hops,
                            Ok(Err(e)) => return (id, url, Err(e)),
                            Err(_) => {
                                let why = "no answer within the link's deadline ([check] deadline)";
                                return (id, url, Err(why.to_string()));
                            }
                        };
                    // Each HTML hop is read once; the last one's requisites are fetched.
                    let mut pages: Vec<Option<text::PageText>> = Vec::with_capacity(hops.len());
                    for ex in &hops {
                        pages.push(read_page(ex, &slot).await);
                    }
                    let wanted = pages
                        .last_mut()
                        .and_then(|p| p.as_mut())
                        .map(|p| std::mem::take(&mut p.requisites));
                    let requisites = fetch_requisites(
                        wanted.unwrap_or_default(),
                        requisite_max,
                        deadline,
                        &claimed,
                        &get,
                    )
                    .await;
                    let render = match browser_use {
                        BrowserUse::Never => false,
                        BrowserUse::Always => true,
                        BrowserUse::Auto => {
                            let host = crate::link::host_of(&url);
                            browser_hosts.iter().any(|h| crate::link::within(&host, h))
                                || hops.last().is_some_and(is_app_shell)
                        }
                    };
                    let mut hops: Vec<Captured> = hops
                        .into_iter()
                        .zip(pages)
                        .map(|(ex, p)| analyse(ex, p))
                        .collect();
                    // The shell's own few words are not the page: the rendered text is.
                    if render
                        && can_render
                        && let Some(last) = hops.last_mut()
                    {
                        (last.title, last.main_text, last.text_hash) = (None, None, None);
                    }
                    // Records are built and compressed here, on the fetching task.
                    let now = clock::now();
                    let prepare_all =
                        |exs: Vec<Exchange>| -> Result<Vec<(Exchange, Prepared)>, String> {
                            exs.into_iter()
                                .map(|ex| {
                                    let p = prepare(&ex, prevs.get(&ex.url), now)
                                        .map_err(|e| e.to_string())?;
                                    Ok((ex, p))
                                })
                                .collect()
                        };
                    let result = (|| {
                        let mut prepared_hops = Vec::with_capacity(hops.len());
                        for c in hops {
                            let p = prepare(&c.ex, prevs.get(&c.ex.url), now)
                                .map_err(|e| e.to_string())?;
                            prepared_hops.push((c, p));
                        }
                        Ok((prepared_hops, prepare_all(requisites)?, now, render))
                    })();
                    (id, url, result)
                })
            })
            .buffer_unordered(cfg.concurrency.max(1) * crate::fetch::WAITING_PER_SLOT);
        while let Some(joined) = stream.next().await {
            done += 1;
            progress("snapshotting", done, total);
            let Ok((link_id, url, result)) = joined else {
                continue;
            };
            let (hops, requisites, now, render) = match result {
                Ok(found) => found,
                Err(why) => {
                    summary.failed.push((url, why));
                    continue;
                }
            };
            let written = record_capture(
                store,
                &mut archive,
                &mut rows,
                &mut summary,
                config,
                run,
                link_id,
                &url,
                hops,
                requisites,
                now,
            );
            if let Err(e) = written {
                // A write failed (a full disk, say): the group's records are not recorded,
                // so they leave the WARC files too.
                let _ = cut_to_recorded(archive.dir(), store);
                return Err(e);
            }
            if render {
                to_render.push((link_id, url, now));
            }
            if rows.len() >= COMMIT_EVERY {
                commit(store, &mut archive, &mut rows)?;
            }
        }
        // Pages built by script, rendered now that every HTTP capture is written.
        let pass = rendered::Pass {
            program: program.as_deref(),
            config,
            guard: fetcher.guard.clone(),
            run,
        };
        pass.render_all(
            std::mem::take(&mut to_render),
            store,
            &mut archive,
            &mut rows,
            &mut summary,
            progress,
        )
        .await?;
        Ok::<(), Error>(())
    })?;
    commit(store, &mut archive, &mut rows)?;
    rebuild_index(dir, store)?;
    Ok(summary)
}

/// Syncs the WARC data, then records the pending snapshots.
fn commit(
    store: &mut Store,
    archive: &mut Archive,
    rows: &mut Vec<SnapshotRow>,
) -> Result<(), Error> {
    let recorded = archive.sync().and_then(|()| store.add_snapshots(rows));
    if let Err(e) = recorded {
        // Nothing of this group is recorded (a full disk, say): drop its records from the
        // WARC files too, so files, store and index agree even before the next run.
        let _ = cut_to_recorded(archive.dir(), store);
        return Err(e);
    }
    rows.clear();
    Ok(())
}

/// Writes one link's capture (its hops, then its requisites) and queues the snapshot rows.
#[allow(clippy::too_many_arguments)]
fn record_capture(
    store: &Store,
    archive: &mut Archive,
    rows: &mut Vec<SnapshotRow>,
    summary: &mut ArchiveSummary,
    config: &Config,
    run: Option<i64>,
    link_id: i64,
    url: &str,
    hops: Vec<(Captured, Prepared)>,
    requisites: Vec<(Exchange, Prepared)>,
    now: i64,
) -> Result<(), Error> {
    let last = hops.len().saturating_sub(1);
    // The last full capture of a URL: in the store, or earlier in this uncommitted group.
    // A URL captured twice in one pass (cited by two links) is a revisit the second time:
    // the task could not know, so the record is rebuilt here.
    let settle = |rows: &Vec<SnapshotRow>, ex: &Exchange, p: Prepared| -> Result<Prepared, Error> {
        let earlier = rows
            .iter()
            .rev()
            .find(|r| r.url == ex.url && !r.revisit && r.payload_digest == p.payload_digest);
        match earlier {
            Some(r) if !p.revisit => {
                prepare(ex, Some(&Prev::from(r)), now).map_err(|e| Error::Io {
                    path: PathBuf::from(&ex.url),
                    error: e,
                })
            }
            _ => Ok(p),
        }
    };
    for (i, (c, prepared)) in hops.into_iter().enumerate() {
        let prepared = settle(rows, &c.ex, prepared)?;
        let stored = archive.append(store, &prepared, now)?;
        let mut similarity = None;
        // A revisit's payload is the same as its earlier capture's: the same share of the
        // text as cited remains, so it is measured too (its text is not indexed twice).
        if i == last
            && let Some(text) = &c.main_text
            && let Some(first) = first_text(store, archive.dir(), rows, link_id)?
        {
            let s = text::containment(&first, text);
            similarity = Some(s);
            note_drift(config, summary, url, s);
        }
        let main = if stored.revisit { None } else { c.main_text };
        if i == last {
            if stored.revisit {
                summary.unchanged += 1;
            } else {
                summary.new += 1;
            }
        }
        rows.push(SnapshotRow {
            title: if stored.revisit { None } else { c.title },
            text_hash: if stored.revisit { None } else { c.text_hash },
            main_text: main,
            similarity,
            ..snapshot_row(link_id, run, &c.ex, stored, now)
        });
    }
    for (ex, prepared) in requisites {
        let prepared = settle(rows, &ex, prepared)?;
        let stored = archive.append(store, &prepared, now)?;
        summary.requisites += 1;
        rows.push(SnapshotRow {
            requisite: true,
            ..snapshot_row(link_id, run, &ex, stored, now)
        });
    }
    summary.captured += 1;
    Ok(())
}

/// Counts a page whose text keeps only `share` of its first text, when that is drift (the
/// share itself is the snapshot's similarity: reports and checks read it from there).
fn note_drift(config: &Config, summary: &mut ArchiveSummary, url: &str, share: f64) {
    if share < config.archive.drift {
        summary.drifted.push((url.to_string(), share));
    }
}

/// Whether a captured answer is an application shell: a 2xx HTML page built by script.
fn is_app_shell(ex: &Exchange) -> bool {
    (200..300).contains(&ex.status)
        && ex.mime.as_deref().is_some_and(|m| m.contains("html"))
        && ex.body.len() < capture::LARGE_BODY
        && crate::page::Page::from_html(&ex.decoded_body()).is_app_shell()
}

/// The row for a stored exchange, without the text fields only pages have.
fn snapshot_row(
    link_id: i64,
    run: Option<i64>,
    ex: &Exchange,
    stored: Stored,
    now: i64,
) -> SnapshotRow {
    SnapshotRow {
        link_id,
        run,
        url: ex.url.clone(),
        captured_at: now,
        filename: stored.placed.filename,
        offset: stored.placed.offset,
        length: stored.placed.length,
        status: ex.status,
        mime: ex.mime.clone().unwrap_or_default(),
        payload_digest: stored.payload_digest,
        record_id: stored.record_id,
        revisit: stored.revisit,
        warc_end: stored.end,
        ..SnapshotRow::default()
    }
}

/// The main text first archived for a link: from its record, or earlier in this group.
fn first_text(
    store: &Store,
    dir: &Path,
    rows: &[SnapshotRow],
    link_id: i64,
) -> Result<Option<String>, Error> {
    if let Some((filename, offset)) = store.first_page(link_id)? {
        return Ok(page_text(dir, &filename, offset));
    }
    Ok(rows
        .iter()
        .find(|r| r.link_id == link_id && r.main_text.is_some())
        .and_then(|r| r.main_text.clone()))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn page_text_reads_a_gzip_encoded_page_from_its_record() {
        let dir = tempfile::tempdir().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"<html><title>T</title><nav>Menu</nav><main><p>The declaration.</p></main>")
            .unwrap();
        let mut block =
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n"
                .to_vec();
        block.extend(gz.finish().unwrap());
        let mut writer =
            warc::WarcWriter::create(&dir.path().join("warc"), "a.warc.gz", 0, "test").unwrap();
        let placed = writer
            .write(&warc::Record {
                kind: "response".into(),
                fields: vec![("WARC-Target-URI".into(), "https://www.gov.uk/x".into())],
                block,
            })
            .unwrap();
        assert_eq!(
            page_text(dir.path(), "a.warc.gz", placed.offset).as_deref(),
            Some("The declaration.")
        );
        assert_eq!(page_text(dir.path(), "a.warc.gz", placed.offset + 1), None);
        assert_eq!(page_text(dir.path(), "missing.warc.gz", 0), None);
    }
}
