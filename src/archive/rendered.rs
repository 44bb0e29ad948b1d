//! A page rendered by the browser, as WARC records: every response it loaded as a
//! `response`/`request` pair (a payload already archived becomes a `revisit`), the rendered
//! DOM as a `resource` record of the page's own URL (`text/html`; replay shows it), and the
//! full-page screenshot as a `resource` record of `urn:screenshot:URL` (`image/png`).

use crate::browser::{Loaded, Rendered};

use super::capture::Exchange;
use super::warc::{self, Record, record_id, sha1_digest, warc_date};

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
    let mime = loaded
        .mime
        .split(';')
        .next()
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty());
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
