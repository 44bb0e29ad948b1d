//! Capturing a page: the request and the response exactly as sent (no decompression, bodies
//! up to `[archive] max_size`), hop by hop through redirects.

use std::io::Read;
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use reqwest::header;
use url::Url;

/// A `Content-Type`'s MIME type without its parameters, lower-cased (`text/html`).
pub fn mime_essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// One HTTP exchange as it went over the wire.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The URL requested.
    pub url: String,
    /// The request head as sent (request line and headers).
    pub request: Vec<u8>,
    /// The response status.
    pub status: u16,
    /// The response head (status line and headers; `Transfer-Encoding` left out, since the
    /// body is stored de-chunked).
    pub response_head: Vec<u8>,
    /// The body as sent (still content-encoded), at most the size cap.
    pub body: Vec<u8>,
    /// Whether the body was cut at the cap.
    pub truncated: bool,
    /// The MIME type without parameters, if the response named one.
    pub mime: Option<String>,
    /// `Content-Encoding`, if any.
    pub encoding: Option<String>,
    /// For a body past [`LARGE_BODY`], its place among the few large bodies held at once
    /// (given back when the exchange is dropped, once written).
    pub large: Option<Arc<OwnedSemaphorePermit>>,
}

use crate::fetch::client::HostHeaders;
/// Bodies past this size count as large (as for checks): only a few are held at once.
pub use crate::fetch::client::LARGE_BODY;
use crate::fetch::guard::Guard;
use crate::fetch::transport;

/// Captures holding large bodies at once; the others wait until one is written. With the
/// rest below [`LARGE_BODY`], a run's captures hold at most about
/// `concurrency × 1 MB + LARGE_AT_ONCE × ([archive] max_size + 60 × requisite_max_size)`
/// of bodies (and a large body costs about three times its size while it is compressed and
/// read for its text).
pub const LARGE_AT_ONCE: usize = 1;

/// One capture's place among the few that hold large bodies: taken by its first large body
/// (page or requisite) and shared by all the others of the same capture until the capture
/// is written, so a capture never waits for a place it holds itself. Waiting for a place
/// ends at the capture's deadline.
pub struct LargeSlot {
    places: Arc<Semaphore>,
    held: std::sync::Mutex<Option<Arc<OwnedSemaphorePermit>>>,
    deadline: tokio::time::Instant,
}

impl LargeSlot {
    /// A capture's slot among `places`, waited for until `deadline` at most.
    pub fn new(places: Arc<Semaphore>, deadline: tokio::time::Instant) -> LargeSlot {
        LargeSlot {
            places,
            held: std::sync::Mutex::new(None),
            deadline,
        }
    }

    /// The capture's place: the one it holds, or a new one once free (before the deadline).
    pub async fn take(&self) -> Result<Arc<OwnedSemaphorePermit>, String> {
        if let Some(held) = self.held() {
            return Ok(held);
        }
        let permit = tokio::time::timeout_at(self.deadline, self.places.clone().acquire_owned())
            .await
            .map_err(|_| "the capture's deadline passed while other large pages were written")?
            .map_err(|e| e.to_string())?;
        let permit = Arc::new(permit);
        *self.held.lock().unwrap_or_else(|e| e.into_inner()) = Some(permit.clone());
        Ok(permit)
    }

    /// The place this capture holds, if any.
    pub fn held(&self) -> Option<Arc<OwnedSemaphorePermit>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Exchange {
    /// The body with its content encoding (gzip, deflate) undone, for reading text.
    pub fn decoded_body(&self) -> Vec<u8> {
        decode_body(self.encoding.as_deref(), &self.body)
    }
}

/// Bytes a decoded body may reach: a gzip bomb (a megabyte inflating to gigabytes) stops here.
pub const MAX_DECODED: u64 = 16 << 20;

/// `body` with its content encoding (gzip, deflate; at most [`MAX_DECODED`] out) undone;
/// empty when it does not decode, the body itself for no or an unknown encoding.
pub fn decode_body(encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
    decode_body_up_to(encoding, body, MAX_DECODED)
}

/// [`decode_body`] with at most `limit` bytes out (a body not encoded comes whole).
pub fn decode_body_up_to(encoding: Option<&str>, body: &[u8], limit: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let ok = match encoding.map(str::to_ascii_lowercase).as_deref() {
        Some("gzip" | "x-gzip") => flate2::read::MultiGzDecoder::new(body)
            .take(limit)
            .read_to_end(&mut out)
            .is_ok(),
        Some("deflate") => flate2::read::ZlibDecoder::new(body)
            .take(limit)
            .read_to_end(&mut out)
            .is_ok(),
        _ => return body.to_vec(),
    };
    if ok { out } else { Vec::new() }
}

/// What captures go through: the client (bodies as sent, names resolved under the guard),
/// the address guard for literal addresses, the headers configured per host, and whether
/// those headers are written into request records.
pub struct Fetcher {
    /// The client.
    pub client: reqwest::Client,
    /// The address guard.
    pub guard: Arc<Guard>,
    /// Headers for some hosts.
    pub headers: HostHeaders,
    /// The User-Agent, as recorded.
    pub user_agent: String,
    /// Whether the configured headers are written into request records.
    pub record_credentials: bool,
}

/// Fetches `url` and its redirects (at most `max_redirects`), one exchange per hop, each
/// past the address guard (a redirect into our own network ends the capture there); a
/// body growing past [`LARGE_BODY`] takes the capture's `large` slot.
pub async fn fetch(
    fetcher: &Fetcher,
    url: &str,
    (max_size, max_redirects): (u64, usize),
    large: &LargeSlot,
) -> Result<Vec<Exchange>, String> {
    let mut hops = Vec::new();
    let mut current = Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    for _ in 0..=max_redirects {
        fetcher.guard.check(&current).map_err(|e| e.to_string())?;
        let exchange = fetch_one(fetcher, &current, max_size, large).await?;
        let location = (300..400)
            .contains(&exchange.status)
            .then(|| header_value(&exchange.response_head, "location"))
            .flatten();
        hops.push(exchange);
        match location.and_then(|l| current.join(&l).ok()) {
            Some(next) if fetcher.guard.check(&next).is_err() => return Ok(hops),
            Some(next) if hops.iter().all(|h| h.url != next.as_str()) => current = next,
            _ => return Ok(hops),
        }
    }
    Ok(hops)
}

async fn fetch_one(
    fetcher: &Fetcher,
    url: &Url,
    max_size: u64,
    large: &LargeSlot,
) -> Result<Exchange, String> {
    const ACCEPT: &str = "text/html,application/xhtml+xml,*/*;q=0.8";
    const ENCODINGS: &str = "gzip, deflate";
    let request = fetcher
        .client
        .get(url.clone())
        .header(header::ACCEPT, ACCEPT)
        .header(header::ACCEPT_ENCODING, ENCODINGS);
    let mut response = fetcher
        .headers
        .apply(request, url)
        .send()
        .await
        .map_err(|e| format!("{url}: {}", transport::classify(&e).detail))?;
    let mut target = url.path().to_string();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    let user_agent = &fetcher.user_agent;
    let mut request = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {user_agent}\r\nAccept: {ACCEPT}\r\nAccept-Encoding: {ENCODINGS}\r\n"
    );
    // Configured headers (credentials, often) go into request records only when asked.
    let configured = fetcher
        .headers
        .for_host(url.host_str().unwrap_or_default())
        .filter(|_| fetcher.record_credentials);
    for (k, v) in configured.into_iter().flatten() {
        let clean = |s: &str| s.replace(['\r', '\n'], "");
        let value = String::from_utf8_lossy(v.as_bytes());
        request.push_str(&format!("{}: {}\r\n", clean(k.as_str()), clean(&value)));
    }
    request.push_str("\r\n");
    let request = request.into_bytes();
    let status = response.status();
    let version = match response.version() {
        reqwest::Version::HTTP_10 => "HTTP/1.0",
        _ => "HTTP/1.1",
    };
    let mut head = format!(
        "{version} {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    for (name, value) in response.headers() {
        if name == header::TRANSFER_ENCODING {
            continue;
        }
        head.push_str(name.as_str());
        head.push_str(": ");
        head.push_str(&String::from_utf8_lossy(value.as_bytes()));
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mime = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(mime_essence);
    let encoding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // The announced length, when there is one, spares the doubling of a growing buffer.
    let announced = response.content_length().unwrap_or(0).min(max_size) as usize;
    let mut body = Vec::with_capacity(announced.min(LARGE_BODY * 64));
    let mut truncated = false;
    let mut permit = None;
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("{url}: {e}"))? {
        if permit.is_none() && body.len() + chunk.len() > LARGE_BODY {
            permit = Some(large.take().await.map_err(|e| format!("{url}: {e}"))?);
        }
        let room = (max_size as usize).saturating_sub(body.len());
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Exchange {
        url: url.to_string(),
        request,
        status: status.as_u16(),
        response_head: head.into_bytes(),
        body,
        truncated,
        mime,
        encoding,
        large: permit,
    })
}

/// The value of header `name` in an HTTP head.
pub fn header_value(head: &[u8], name: &str) -> Option<String> {
    String::from_utf8_lossy(head)
        .lines()
        .skip(1)
        .find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
}
