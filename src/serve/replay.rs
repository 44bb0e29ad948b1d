//! Replay, in the Wayback Machine's URL scheme, with Memento (RFC 7089):
//!
//! - `/web/<timestamp>/<url>`: the banner page (UI) framing the archived copy; a partial or
//!   inexact timestamp redirects to the nearest capture;
//! - `/web/<timestamp>if_/<url>`: the copy rewritten for the frame (links and requisites into
//!   the archive, scripts removed), under a sandbox policy;
//! - `/web/<timestamp>id_/<url>`: the original bytes and headers, under a sandbox policy;
//! - `/web/<url>`: the TimeGate (`Accept-Datetime`, 302 to the nearest memento);
//! - `/timemap/link/<url>`: the TimeMap.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::App;
use super::index::{Capture, nearest, parse_timestamp};
use super::memento::{Urls, http_date, parse_http_date};
use super::pages::{self, Page, h};
use super::rewrite;
use crate::archive::capture::decode_body;
use crate::archive::capture::mime_essence;
use crate::archive::warc;
use crate::link::link_key;

/// The policy of every archived response: an opaque origin (no access to the UI's cookies,
/// storage or DOM), no script, nothing loaded from outside the archive.
const SANDBOX: &str = "sandbox allow-popups allow-popups-to-escape-sandbox \
    allow-top-navigation-by-user-activation; default-src 'self' data: blob:; \
    style-src 'self' 'unsafe-inline' data: blob:; \
    script-src 'none'; object-src 'none'; form-action 'none'";

/// The sandbox of the frame the banner page shows the copy in.
const FRAME_SANDBOX: &str =
    "allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation";

/// What a `/web/` path asks for.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    /// The timestamp as written (1 to 14 digits), or none for the TimeGate.
    timestamp: Option<String>,
    /// The modifier: "", "if_", "id_" (others are read as "if_").
    modifier: String,
    /// The original URL.
    url: String,
}

/// Splits what follows `/web/` (path and query).
fn parse(rest: &str) -> Option<Request> {
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (timestamp, modifier, url) = if (1..=14).contains(&digits) {
        let after = &rest[digits..];
        let (modifier, url) = match after.split_once('/') {
            Some((m, url)) if m.is_empty() || is_modifier(m) => (m, url),
            _ => return None,
        };
        (Some(rest[..digits].to_string()), modifier.to_string(), url)
    } else {
        (None, String::new(), rest)
    };
    let url = original_url(url)?;
    Some(Request {
        timestamp,
        modifier,
        url,
    })
}

fn is_modifier(m: &str) -> bool {
    m.len() == 3 && m.ends_with('_') && m[..2].bytes().all(|b| b.is_ascii_lowercase())
}

/// The original URL from a replay path: `https:/x` (a collapsed slash) repaired, a missing
/// scheme taken as http.
fn original_url(url: &str) -> Option<String> {
    let url = url.trim();
    if url.is_empty() || url.contains(['\r', '\n']) {
        return None;
    }
    // A page's screenshot, as the browser capture names it.
    if let Some(page) = url.strip_prefix("urn:screenshot:") {
        return original_url(page).map(|page| format!("urn:screenshot:{page}"));
    }
    for scheme in ["https:", "http:"] {
        if let Some(rest) = url.strip_prefix(scheme) {
            let rest = rest.trim_start_matches('/');
            return Some(format!("{scheme}//{rest}"));
        }
    }
    if url.contains("://") {
        return None; // another scheme: never archived
    }
    Some(format!("http://{url}"))
}

fn redirect(location: &str, extra: &[(HeaderName, String)]) -> Response {
    let mut r = (StatusCode::FOUND, ()).into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    for (k, v) in extra {
        if let Ok(v) = HeaderValue::from_str(v) {
            r.headers_mut().insert(k.clone(), v);
        }
    }
    r
}

/// `/web/...`.
pub(crate) async fn web(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let raw = uri.path_and_query().map_or("", |p| p.as_str());
    // `/web/*/URL`: every capture of a URL, as the Wayback Machine lists them.
    if let Some(url) = raw.strip_prefix("/web/*/").and_then(original_url) {
        let index = app.index.get();
        let captures = distinct(index.captures(&url));
        if captures.is_empty() {
            return not_archived(&url);
        }
        return listing(&url, &captures).into_response();
    }
    let Some(req) = raw.strip_prefix("/web/").and_then(parse) else {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "Not a replay address",
            "Replay addresses look like /web/20261126030000/https://example.org/page.",
        )
        .into_response();
    };
    let base = app.base.clone();
    let index = app.index.get();
    let urls = Urls {
        base: &base,
        original: &req.url,
    };
    let captures = index.captures(&req.url);
    if captures.is_empty() {
        return not_archived(&req.url);
    }
    let Some(ts) = &req.timestamp else {
        return timegate(&headers, &urls, captures);
    };
    let Some(time) = parse_timestamp(ts) else {
        return pages::error(StatusCode::BAD_REQUEST, "Bad timestamp", ts).into_response();
    };
    let Some(capture) = index.nearest(&req.url, time) else {
        return not_archived(&req.url);
    };
    if &capture.timestamp != ts {
        return redirect(
            &format!("/web/{}{}/{}", capture.timestamp, req.modifier, req.url),
            &[],
        );
    }
    let memento = [
        (
            HeaderName::from_static("memento-datetime"),
            http_date(capture.time),
        ),
        (header::LINK, urls.link_header()),
    ];
    let Some(payload) = index.payload_of(capture) else {
        return pages::error(
            StatusCode::NOT_FOUND,
            "Capture missing",
            "This revisit refers to a capture the index does not list.",
        )
        .into_response();
    };
    let path = app.archive.join("warc").join(&payload.filename);
    let offset = payload.offset;
    if req.modifier.is_empty() {
        // The banner page needs the record only to tell a captured redirect.
        let record = tokio::task::spawn_blocking(move || read(&path, offset)).await;
        let Ok(Some(archived)) = record else {
            return unreadable();
        };
        // A captured redirect is said, as the Wayback Machine says it, with a link to the
        // target's capture (a frame or the raw bytes follow it into the archive).
        if let Some(target) = archived.redirect_target(capture) {
            let mut r = redirect_note(capture, &distinct(captures), archived.status, &target)
                .into_response();
            add(&mut r, &memento);
            return r;
        }
        let key = link_key(&req.url);
        let drift = app.drift;
        let (state, drifted, public) = app
            .db
            .with(move |s| {
                let state = s.link_state(&key)?;
                let (drifted, public) = match &state {
                    Some(l) => (s.drift_of(l.id, drift)?, s.public_copy(l.id)?),
                    None => (None, None),
                };
                Ok((state, drifted, public))
            })
            .await
            .unwrap_or_default();
        let cite = Cite {
            replay: format!("{}/web/{}/{}", app.base, capture.timestamp, capture.url),
            digest: payload.digest.clone(),
            public,
        };
        // A browser will not show a PDF in a sandboxed frame: a page of its own says what
        // it is and offers the original bytes.
        if payload.mime == "application/pdf"
            || archived
                .header("content-type")
                .is_some_and(|t| t.starts_with("application/pdf"))
        {
            // Reading a PDF is CPU work on remote bytes: off the async workers.
            let capture = capture.clone();
            let page =
                tokio::task::spawn_blocking(move || pdf_page(&capture, &archived.body, &cite))
                    .await;
            let Ok(page) = page else {
                return unreadable();
            };
            let mut r = page.into_response();
            add(&mut r, &memento);
            return r;
        }
        let mut r =
            banner(capture, &distinct(captures), state.as_ref(), &cite, drifted).into_response();
        add(&mut r, &memento);
        return r;
    }
    // Reading, decoding and rewriting are CPU work: off the async workers.
    let capture = capture.clone();
    tokio::task::spawn_blocking(move || {
        // Opened, not read: a large body is streamed from the WARC as the client reads it.
        let Some(archived) = open(&path, offset) else {
            return unreadable();
        };
        if let Some(r) = archived.redirect(&capture, &req.modifier, &memento) {
            return r;
        }
        match req.modifier.as_str() {
            "id_" => archived.raw(&memento),
            _ => archived.rewritten(&capture, &memento),
        }
    })
    .await
    .unwrap_or_else(|_| unreadable())
}

fn unreadable() -> Response {
    pages::error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Unreadable capture",
        "The WARC record could not be read.",
    )
    .into_response()
}

/// The archived response in the record at `offset` of the WARC file `path`.
fn read(path: &std::path::Path, offset: u64) -> Option<Archived> {
    let record = warc::read_at(path, offset).ok()?;
    Archived::from_record(&record)
}

/// Bytes of an archived HTTP head read at most.
const MAX_HEAD: u64 = 256 << 10;

/// The record at `offset` of `path` with its status and headers read and its body left
/// in the file, to be streamed ([`Archived::body_stream`]) or read ([`Archived::whole`]).
fn open(path: &std::path::Path, offset: u64) -> Option<Archived> {
    use std::io::{BufRead, Read};
    let mut record = warc::open_at(path, offset).ok()?;
    if record.kind == "resource" {
        return Some(Archived {
            status: 200,
            headers: resource_headers(&record.fields),
            body: Vec::new(),
            rest: Some(record.block),
        });
    }
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut line = Vec::new();
        let n = (&mut record.block)
            .take(MAX_HEAD)
            .read_until(b'\n', &mut line)
            .ok()?;
        if n == 0 || head.len() as u64 + n as u64 > MAX_HEAD {
            return None;
        }
        head.extend_from_slice(&line);
    }
    let (status, headers) = parse_head(&head[..head.len() - 4])?;
    Some(Archived {
        status,
        headers,
        body: Vec::new(),
        rest: Some(record.block),
    })
}

/// The headers a resource record (a rendered DOM, a screenshot) replays with: its
/// record's `Content-Type`.
fn resource_headers(fields: &[(String, String)]) -> Vec<(String, String)> {
    let mime = fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map_or("application/octet-stream".to_string(), |(_, v)| v.clone());
    vec![("content-type".to_string(), mime)]
}

/// An archived HTTP head's status and headers (names in lower case).
fn parse_head(head: &[u8]) -> Option<(u16, Vec<(String, String)>)> {
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some((status, headers))
}

/// Bytes of a body read from the WARC per step of a stream.
const STREAM_CHUNK: usize = 64 << 10;

/// A body read from `reader` a chunk at a time on the blocking pool, as the client takes
/// it: a client that stops reading holds no thread and at most a chunk.
fn stream_body(reader: Box<dyn std::io::BufRead + Send>) -> axum::body::Body {
    let chunks = futures_util::stream::unfold(Some(reader), |state| async move {
        let mut reader = state?;
        let step = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; STREAM_CHUNK];
            let n = std::io::Read::read(&mut reader, &mut buf);
            (
                n.map(|n| {
                    buf.truncate(n);
                    buf
                }),
                reader,
            )
        })
        .await;
        match step {
            Ok((Ok(buf), _)) if buf.is_empty() => None,
            Ok((Ok(buf), reader)) => Some((Ok(bytes::Bytes::from(buf)), Some(reader))),
            Ok((Err(e), _)) => Some((Err(e), None)),
            Err(e) => Some((Err(std::io::Error::other(e)), None)),
        }
    });
    axum::body::Body::from_stream(chunks)
}

/// The TimeGate: the memento nearest `Accept-Datetime`, or the newest.
fn timegate(headers: &HeaderMap, urls: &Urls, captures: &[Capture]) -> Response {
    let chosen = match headers.get("accept-datetime") {
        None => captures.last(),
        Some(v) => {
            let Some(t) = v.to_str().ok().and_then(parse_http_date) else {
                let mut r = pages::error(
                    StatusCode::BAD_REQUEST,
                    "Bad Accept-Datetime",
                    "Accept-Datetime must be an HTTP date, such as Thu, 26 Nov 2026 03:00:00 GMT.",
                )
                .into_response();
                r.headers_mut()
                    .insert(header::VARY, HeaderValue::from_static("accept-datetime"));
                return r;
            };
            nearest(captures, t)
        }
    };
    let Some(c) = chosen else {
        return not_archived(urls.original);
    };
    let link = format!(
        "<{}>; rel=\"original\", <{}>; rel=\"timemap\"; type=\"application/link-format\"",
        urls.original.replace('>', "%3E"),
        urls.timemap()
    );
    redirect(
        &urls.memento(&c.timestamp),
        &[
            (header::VARY, "accept-datetime".to_string()),
            (header::LINK, link),
        ],
    )
}

/// `/timemap/link/<url>`.
pub(crate) async fn timemap(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let raw = uri.path_and_query().map_or("", |p| p.as_str());
    let Some(url) = raw.strip_prefix("/timemap/link/").and_then(original_url) else {
        return pages::error(StatusCode::BAD_REQUEST, "No URL", "").into_response();
    };
    let index = app.index.get();
    let captures = distinct(index.captures(&url));
    if captures.is_empty() {
        return not_archived(&url);
    }
    let base = app.base.clone();
    let urls = Urls {
        base: &base,
        original: &url,
    };
    (
        [(header::CONTENT_TYPE, "application/link-format")],
        urls.timemap_body(&captures),
    )
        .into_response()
}

fn not_archived(url: &str) -> Response {
    pages::error(
        StatusCode::NOT_FOUND,
        "Not in the archive",
        &format!("The archive holds no capture of {url}. Replay never fetches from the live web."),
    )
    .into_response()
}

fn add(r: &mut Response, headers: &[(HeaderName, String)]) {
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            r.headers_mut().insert(k.clone(), v);
        }
    }
}

/// An archived HTTP response: status, headers and body as sent.
struct Archived {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// The body still in the WARC file, when the record was opened rather than read.
    rest: Option<Box<dyn std::io::BufRead + Send>>,
}

/// Archived headers that describe the connection, not the resource: never replayed.
const HOP_BY_HOP: &[&str] = &[
    "transfer-encoding",
    "connection",
    "keep-alive",
    "content-length",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
];

/// Archived headers replayed as they were: what the browser needs to read the bytes.
/// Every other archived header is replayed as `X-Archive-Orig-<name>` (as pywb and the
/// Wayback Machine do): its `Date`, `Server` and `Last-Modified` are the capture's, not
/// this answer's, and cookies, HSTS, CORS grants, reporting endpoints, service-worker
/// scopes, downloads and the like must not act on the archive browser's origin.
const REPLAYED: &[&str] = &["content-type", "content-encoding", "content-language"];

impl Archived {
    /// Reads a response record's status, headers and body.
    fn from_record(record: &warc::Record) -> Option<Archived> {
        // A resource record (a rendered DOM, a screenshot) is its content, whole.
        if record.kind == "resource" {
            return Some(Archived {
                status: 200,
                headers: resource_headers(&record.fields),
                body: record.block.clone(),
                rest: None,
            });
        }
        let (head, body) = record.http_message()?;
        let (status, headers) = parse_head(head)?;
        Some(Archived {
            status,
            headers,
            body: body.to_vec(),
            rest: None,
        })
    }

    /// The body read whole (for rewriting).
    fn whole(mut self) -> Archived {
        if let Some(mut rest) = self.rest.take() {
            let _ = std::io::Read::read_to_end(&mut rest, &mut self.body);
        }
        self
    }

    /// The body as a response body: streamed from the WARC when it is still there.
    fn body_stream(&mut self) -> axum::body::Body {
        match self.rest.take() {
            Some(rest) => stream_body(rest),
            None => axum::body::Body::from(std::mem::take(&mut self.body)),
        }
    }

    /// For a captured redirect, where it pointed (resolved against the capture's URL).
    fn redirect_target(&self, capture: &Capture) -> Option<String> {
        if !(300..400).contains(&self.status) {
            return None;
        }
        let location = self.header("location")?;
        let to = url::Url::parse(&capture.url).ok()?.join(location).ok()?;
        Some(to.to_string())
    }

    /// For a captured redirect, the redirect into the archive (same modifier).
    fn redirect(
        &self,
        capture: &Capture,
        modifier: &str,
        memento: &[(HeaderName, String)],
    ) -> Option<Response> {
        if !(300..400).contains(&self.status) {
            return None;
        }
        let location = self.header("location")?;
        let to = url::Url::parse(&capture.url).ok()?.join(location).ok()?;
        Some(redirect(
            &format!("/web/{}{modifier}/{to}", capture.timestamp),
            memento,
        ))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The original bytes and headers (content encoding and all), sandboxed; archived
    /// headers other than those needed to read the bytes come prefixed `X-Archive-Orig-`.
    fn raw(mut self, memento: &[(HeaderName, String)]) -> Response {
        let mut r = Response::new(axum::body::Body::empty());
        *r.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        for (k, v) in &self.headers {
            if HOP_BY_HOP.contains(&k.as_str()) {
                continue;
            }
            let name = if REPLAYED.contains(&k.as_str()) {
                HeaderName::try_from(k.as_str())
            } else {
                HeaderName::try_from(format!("x-archive-orig-{k}"))
            };
            if let (Ok(k), Ok(v)) = (name, HeaderValue::from_str(v)) {
                r.headers_mut().append(k, v);
            }
        }
        sandbox(&mut r, memento);
        *r.body_mut() = self.body_stream();
        r
    }

    /// The copy rewritten for replay in the frame: decoded, HTML and CSS rewritten.
    fn rewritten(mut self, capture: &Capture, memento: &[(HeaderName, String)]) -> Response {
        let content_type = self
            .header("content-type")
            .unwrap_or("application/octet-stream")
            .to_string();
        let mime = mime_essence(&content_type);
        let rewrites = matches!(
            mime.as_str(),
            "text/html" | "application/xhtml+xml" | "text/css"
        );
        if !rewrites && self.header("content-encoding").is_none() {
            // Nothing to change: streamed as it is stored.
            let mut r = Response::new(self.body_stream());
            *r.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                r.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            sandbox(&mut r, memento);
            return r;
        }
        let this = self.whole();
        let content_type = content_type.clone();
        let body = decode_body(this.header("content-encoding"), &this.body);
        let target = rewrite::Target {
            timestamp: &capture.timestamp,
        };
        let body = match mime.as_str() {
            "text/html" | "application/xhtml+xml" => rewrite::html(&body, &capture.url, &target),
            "text/css" => {
                rewrite::css(&String::from_utf8_lossy(&body), &capture.url, &target).into_bytes()
            }
            _ => body,
        };
        let mut r = Response::new(axum::body::Body::from(body));
        *r.status_mut() = StatusCode::from_u16(this.status).unwrap_or(StatusCode::OK);
        if let Ok(v) = HeaderValue::from_str(&content_type) {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        sandbox(&mut r, memento);
        r
    }
}

fn sandbox(r: &mut Response, memento: &[(HeaderName, String)]) {
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(SANDBOX),
    );
    // The copy runs in an opaque origin, and fonts load by CORS: an archived font may be
    // read by any origin (a font says nothing), so the copy can use it. Nothing else is
    // opened.
    let font = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_font);
    if font {
        r.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    add(r, memento);
}

/// Whether a content type is a web font's.
fn is_font(content_type: &str) -> bool {
    let mime = mime_essence(content_type);
    mime.starts_with("font/")
        || mime.starts_with("application/font-")
        || mime.starts_with("application/x-font-")
        || mime == "application/vnd.ms-fontobject"
}

/// Each capture once: the index may hold several records of one moment (a requisite shared
/// by pages captured in one pass); the first stands for them.
fn distinct(captures: &[Capture]) -> Vec<&Capture> {
    let mut out: Vec<&Capture> = Vec::with_capacity(captures.len());
    for c in captures {
        if out.last().is_none_or(|l| l.timestamp != c.timestamp) {
            out.push(c);
        }
    }
    out
}

/// What the cite box needs besides the capture.
struct Cite {
    /// The copy's absolute replay address.
    replay: String,
    /// The WARC payload digest of what is shown.
    digest: String,
    /// The link's verified copy in a public archive, when one was found or saved.
    public: Option<crate::store::PublicCopy>,
}

impl Cite {
    /// A Robust Link to the cited URL: its version in a public archive when one was
    /// verified (readers can open it; they cannot open this machine's replay address),
    /// else this copy's replay address; dated as that version.
    fn robust_link(&self, capture: &Capture, day: &str) -> String {
        let public = self
            .public
            .as_ref()
            .filter(|p| crate::public::is_writable(p));
        let (version, date) =
            match public.zip(public.and_then(|p| crate::clock::date_of_stamp(&p.captured))) {
                Some((p, date)) => (p.urim.clone(), date),
                None => (self.replay.clone(), day.to_string()),
            };
        format!(
            r#"<a href="{url}" data-versionurl="{version}" data-versiondate="{date}">{url}</a>"#,
            url = capture.url,
        )
    }

    /// The cite box's line for the public copy (empty without one).
    fn public_line(&self) -> String {
        match &self.public {
            Some(p) => format!("<dt>Public copy</dt><dd>{}</dd>", pages::public_copy(p)),
            None => String::new(),
        }
    }
}

/// A capture time to the second (two captures may share a minute).
fn when(secs: i64) -> String {
    let t = crate::clock::format(secs);
    match (t.get(..10), t.get(11..19)) {
        (Some(d), Some(hms)) => format!("{d} {hms} UTC"),
        _ => t,
    }
}

/// For a page rendered by the browser (a `resource` record, listed without an HTTP
/// status): says so, with its screenshot and the page as the server sent it.
fn rendered_note(capture: &Capture, sent: Option<&&Capture>) -> String {
    if capture.status != 0 || !capture.mime.contains("html") {
        return String::new();
    }
    let sent = sent
        .map(|c| {
            format!(
                r#" · <a href="/web/{}/{}">as the server sent it</a>"#,
                h(&c.timestamp),
                h(&c.url)
            )
        })
        .unwrap_or_default();
    format!(
        r#"<p>Rendered by a headless browser when captured (its scripts do not run here) · <a href="/web/{ts}id_/urn:screenshot:{url}">screenshot</a>{sent}</p>"#,
        ts = h(&capture.timestamp),
        url = h(&capture.url),
    )
}

/// " · ← previous · next →": links to the captures of the URL before and after `capture`
/// among `all` (in time order), those there are.
fn steps(capture: &Capture, all: &[&Capture]) -> String {
    let at = all.iter().position(|c| c.timestamp == capture.timestamp);
    let step = |c: Option<&&Capture>, rel: &str, label: &str| match c {
        Some(c) => format!(
            r#" · <a rel="{rel}" href="/web/{}/{}">{label}</a>"#,
            h(&c.timestamp),
            h(&c.url),
        ),
        None => String::new(),
    };
    let prev = at.and_then(|i| i.checked_sub(1)).and_then(|i| all.get(i));
    let next = at.and_then(|i| all.get(i + 1));
    step(prev, "prev", "← previous") + &step(next, "next", "next →")
}

/// The banner page: what this is, when it was captured, the link's status now, the
/// previous and next captures and all of them, how to cite this copy, and the copy in a
/// sandboxed frame.
fn banner(
    capture: &Capture,
    all: &[&Capture],
    state: Option<&crate::store::LinkState>,
    cite: &Cite,
    drifted: Option<crate::store::Drift>,
) -> Page {
    // The link's text drifted since it was cited: say so, and lead to the copy as cited.
    let drift_note = match drifted {
        Some(crate::store::Drift { share, copy }) => {
            let copy = copy
                .map(|(url, at)| {
                    let ts = crate::archive::cdxj::timestamp(at);
                    format!(
                        r#"; see <a href="/web/{}/{}">the copy as cited, of {}</a>"#,
                        h(&ts),
                        h(&url),
                        h(&when(at))
                    )
                })
                .unwrap_or_default();
            format!(
                r#"<p class="drift"><span class="badge drifted">drifted</span> text changed since cited: {:.0}% of it remains{copy}</p>"#,
                share * 100.0
            )
        }
        None => String::new(),
    };
    let status = match state {
        Some(s) => pages::state(s.last_status.as_deref(), &s.verdict),
        None => "not a cited link (a redirect or a page requisite)".to_string(),
    };
    let link_page = state
        .map(|s| format!(r#" · <a href="/link/{}">history</a>"#, s.id))
        .unwrap_or_default();
    let at = all.iter().position(|c| c.timestamp == capture.timestamp);
    let mut others = String::new();
    for c in all {
        let label = h(&when(c.time));
        if c.timestamp == capture.timestamp {
            others.push_str(&format!("<b>{label}</b> · "));
        } else {
            others.push_str(&format!(
                r#"<a href="/web/{}/{}">{label}</a> · "#,
                h(&c.timestamp),
                h(&c.url),
            ));
        }
    }
    let date = crate::clock::format(capture.time);
    let robust = cite.robust_link(capture, &crate::clock::date(capture.time));
    let body = format!(
        r#"<div class="banner" role="banner">
<p><a href="/">citekeep archive</a> · archived copy of <a class="url" href="{url}" rel="noreferrer noopener" target="_blank">{url}</a></p>
<p>Captured <time datetime="{iso}">{when}</time> · link now: {status}{link_page}{steps} · <a href="/web/*/{url}">all captures</a> · <a href="/web/{ts}id_/{url}">original bytes</a></p>
<p class="captures">Captures: {others}</p>{rendered_note}{drift_note}{public_note}
<details class="cite"><summary>Cite this copy</summary>
<dl><dt>Replay address</dt><dd><code>{replay}</code></dd>
<dt>Memento-Datetime</dt><dd><code>{memento}</code></dd>
<dt>Robust Link</dt><dd><code>{robust}</code></dd>
<dt>WARC payload digest</dt><dd><code>{digest}</code></dd>{public}</dl></details>
</div>
<iframe class="replay" sandbox="{FRAME_SANDBOX}" src="/web/{ts}if_/{url}" title="Archived copy of {url}"></iframe>"#,
        url = h(&capture.url),
        ts = h(&capture.timestamp),
        iso = h(&date),
        when = h(&when(capture.time)),
        others = others.trim_end_matches(" · "),
        steps = steps(capture, all),
        replay = h(&cite.replay),
        memento = h(&http_date(capture.time)),
        robust = h(&robust),
        digest = h(&cite.digest),
        public = cite.public_line(),
        rendered_note = rendered_note(
            capture,
            at.and_then(|i| i.checked_sub(1)).and_then(|i| all.get(i))
        ),
        public_note = match &cite.public {
            Some(p) => format!("<p>Public copy for readers: {}</p>", pages::public_copy(p)),
            None => String::new(),
        },
    );
    Page {
        title: format!("Archived: {}", capture.url),
        body,
        full_width: true,
    }
}

/// A PDF capture's own page: its size, its page count, the original bytes to download,
/// how to cite it.
fn pdf_page(capture: &Capture, body: &[u8], cite: &Cite) -> Page {
    let pages = crate::page::pdf::page_count(body);
    let pages = match pages {
        0 => String::new(),
        1 => " · 1 page".to_string(),
        n => format!(" · {n} pages"),
    };
    Page {
        title: format!("Archived PDF: {}", capture.url),
        body: format!(
            r#"<div class="banner" role="banner">
<p><a href="/">citekeep archive</a> · archived copy of <a class="url" href="{url}" rel="noreferrer noopener" target="_blank">{url}</a></p>
<p>Captured <time datetime="{iso}">{when}</time> · <a href="/web/*/{url}">all captures</a></p>
</div>
<section class="pdf"><h1>PDF document</h1>
<p>{size} bytes{pages} · <a href="/web/{ts}id_/{url}" download>download the original bytes</a></p>
<p>A PDF cannot be shown inside the archive's sandboxed frame: download it, or open the
downloaded file in a PDF reader.</p>{text}
<p>Replay address: <code>{replay}</code> · WARC payload digest: <code>{digest}</code></p></section>"#,
            url = h(&capture.url),
            ts = h(&capture.timestamp),
            iso = h(&crate::clock::format(capture.time)),
            when = h(&when(capture.time)),
            size = body.len(),
            replay = h(&cite.replay),
            digest = h(&cite.digest),
            text = {
                // The text it shows, as search reads it (when a small reader finds any).
                let text = crate::page::pdf::text(body);
                if text.is_empty() {
                    String::new()
                } else {
                    let shown: String = text.chars().take(4000).collect();
                    let more = if shown.len() < text.len() { " …" } else { "" };
                    format!(
                        r#"<h2>Its text</h2><div class="pdf-text">{}{more}</div>"#,
                        h(&shown)
                    )
                }
            },
        ),
        full_width: false,
    }
}

/// `/web/*/URL`: every capture of a URL, newest last, each once.
fn listing(url: &str, captures: &[&Capture]) -> Page {
    let mut rows = String::new();
    for c in captures {
        let kind = if c.is_revisit() {
            "unchanged"
        } else {
            "new copy"
        };
        rows.push_str(&format!(
            r#"<tr><td><a href="/web/{ts}/{u}">{when}</a></td><td>{status}</td><td>{kind}</td><td><code>{digest}</code></td></tr>"#,
            ts = h(&c.timestamp),
            u = h(&c.url),
            when = h(&when(c.time)),
            status = c.status,
            digest = h(&c.digest),
        ));
    }
    Page {
        title: format!("Captures of {url}"),
        body: format!(
            r#"<h1>Captures of <a class="url" href="{u}" rel="noreferrer noopener" target="_blank">{u}</a></h1>
<p>{n} capture{s} · <a href="/timemap/link/{u}">TimeMap</a></p>
<table><thead><tr><th>captured</th><th>status</th><th>payload</th><th>digest</th></tr></thead><tbody>{rows}</tbody></table>"#,
            u = h(url),
            n = captures.len(),
            s = if captures.len() == 1 { "" } else { "s" },
        ),
        full_width: false,
    }
}

/// A captured redirect, said: where it pointed at capture time, and its capture.
fn redirect_note(capture: &Capture, all: &[&Capture], status: u16, target: &str) -> Page {
    Page {
        title: format!("Archived redirect: {}", capture.url),
        body: format!(
            r#"<div class="banner" role="banner">
<p><a href="/">citekeep archive</a> · archived copy of <a class="url" href="{url}" rel="noreferrer noopener" target="_blank">{url}</a></p>
<p>At capture time (<time datetime="{iso}">{when}</time>) this address answered <b>{status}</b> → <a class="url" href="/web/{ts}/{to}">{to}</a> (the target's capture nearest that moment){steps} · <a href="/web/*/{url}">all captures</a></p>
</div>"#,
            url = h(&capture.url),
            steps = steps(capture, all),
            ts = h(&capture.timestamp),
            to = h(target),
            iso = h(&crate::clock::format(capture.time)),
            when = h(&when(capture.time)),
        ),
        full_width: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any replay path parses or is refused, never panics; a parsed URL is http(s) and
        /// carries no line break (nothing can reach a header through it).
        #[test]
        fn any_replay_path(rest in "[0-9]{0,16}([a-z]{2}_)?/?[ -~\r\n]{0,60}") {
            if let Some(req) = parse(&rest) {
                proptest::prop_assert!(req.url.starts_with("http://") || req.url.starts_with("https://"));
                proptest::prop_assert!(!req.url.contains(['\r', '\n']));
            }
        }
    }

    #[test]
    fn replay_paths() {
        let p = |s: &str| parse(s);
        assert_eq!(
            p("20261126030000/https://www.gov.uk/a?b=1"),
            Some(Request {
                timestamp: Some("20261126030000".into()),
                modifier: String::new(),
                url: "https://www.gov.uk/a?b=1".into()
            })
        );
        assert_eq!(p("2026id_/https:/x.org/").unwrap().modifier, "id_");
        assert_eq!(p("2026id_/https:/x.org/").unwrap().url, "https://x.org/");
        assert_eq!(p("https://x.org/a").unwrap().timestamp, None);
        assert_eq!(p("x.org/a").unwrap().url, "http://x.org/a");
        assert_eq!(p("2026zz/https://x.org/"), None);
        assert_eq!(p("ftp://x.org/"), None);
        assert_eq!(p("2026/"), None);
    }

    #[test]
    fn archived_fonts_may_be_read_by_the_sandboxed_copy_and_nothing_else() {
        let answer = |content_type: &str| {
            let a = Archived::from_record(&warc::Record {
                kind: "response".into(),
                fields: Vec::new(),
                block: format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n\r\nbytes")
                    .into_bytes(),
            })
            .unwrap();
            a.raw(&[])
        };
        let font = answer("font/woff2");
        assert_eq!(font.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        for other in ["text/html", "text/css", "image/png", "application/json"] {
            let r = answer(other);
            assert!(
                r.headers()
                    .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                    .is_none(),
                "{other}"
            );
        }
        // Inline styles apply in the copy; scripts still do not run.
        let csp = font.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains("style-src 'self' 'unsafe-inline'"), "{csp}");
        assert!(csp.contains("script-src 'none'"), "{csp}");
    }

    #[test]
    fn archived_headers_are_replayed_prefixed_never_as_live() {
        let a = Archived::from_record(&warc::Record {
            kind: "response".into(),
            fields: Vec::new(),
            block: b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nSet-Cookie: s=1\r\nStrict-Transport-Security: max-age=1\r\nX-Kept: yes\r\n\r\n<p>hi</p>".to_vec(),
        })
        .unwrap();
        let r = a.raw(&[]);
        assert!(r.headers().get("set-cookie").is_none());
        assert!(r.headers().get("strict-transport-security").is_none());
        assert!(r.headers().get("x-kept").is_none());
        assert_eq!(r.headers()["x-archive-orig-x-kept"], "yes");
        assert_eq!(r.headers()["x-archive-orig-set-cookie"], "s=1");
        assert_eq!(r.headers()["content-type"], "text/html");
        assert_eq!(r.headers()[header::CONTENT_SECURITY_POLICY], SANDBOX);
    }
}
