//! One request of a check: through the address guard and the politeness the engine holds,
//! with the headers configured for its host, reading an HTML body for evidence; a redirect
//! comes back unfollowed, for the engine to record and follow.

use reqwest::{Method, header};

use super::classify::{Answer, Failure};
use crate::fetch::client::{HostHeaders, LARGE_BODY};
use crate::fetch::guard::Guard;
use crate::fetch::transport::{self, Kind, Transport};
use crate::page::Page;

/// What a check's requests go through: the client, the guard it was built under, and the
/// headers configured per host.
pub struct Http {
    /// The client (names resolved under `guard`).
    pub client: reqwest::Client,
    /// The address guard, for literal addresses.
    pub guard: std::sync::Arc<Guard>,
    /// Headers for some hosts.
    pub headers: HostHeaders,
}

/// What one request gave: a redirect to follow, or an answer.
pub enum Reply {
    /// A 3xx with a `Location` (not yet resolved).
    Redirect(u16, String),
    /// Anything else.
    Answer(Answer),
}

/// Headers kept for classification (lower-case names).
const KEPT_HEADERS: &[&str] = &[
    "server",
    "cf-mitigated",
    "x-datadome",
    "x-dd-b",
    "set-cookie",
    "retry-after",
    "proxy-status",
    "x-amz-request-id",
    "x-goog-generation",
    "x-ms-request-id",
    "content-type",
    "content-length",
    "location",
];

/// Bytes of a JSON or XML answer read at most (an error envelope is small).
const MAX_DATA: u64 = 256 << 10;

/// Sends one request; reads an HTML body (up to `max_body` bytes) when `read_body` is set,
/// a body past [`LARGE_BODY`] only with one of the few `large` places (so many large pages
/// at once cannot add up to gigabytes).
pub async fn send(
    http: &Http,
    method: Method,
    url: url::Url,
    read_body: bool,
    max_body: u64,
    large: &tokio::sync::Semaphore,
) -> Result<Reply, Failure> {
    http.guard.check(&url).map_err(|refused| {
        Failure::Network(Transport {
            kind: Kind::Private,
            detail: refused.to_string(),
        })
    })?;
    let url_text = url.to_string();
    let request = http
        .client
        .request(method.clone(), url.clone())
        .header(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8");
    let mut response = http
        .headers
        .apply(request, &url)
        .send()
        .await
        .map_err(|e| failure(&e))?;
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(k, _)| KEPT_HEADERS.contains(&k.as_str()))
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    if (300..400).contains(&status)
        && let Some((_, location)) = headers.iter().find(|(k, _)| k == "location")
    {
        return Ok(Reply::Redirect(status, location.clone()));
    }
    let content_type = headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.to_ascii_lowercase());
    let html = content_type.as_deref().is_none_or(|v| v.contains("html"));
    // JSON and XML answers are read too (smaller): an API or object store says in its body
    // that the item is not there.
    let data = content_type
        .as_deref()
        .is_some_and(|v| v.contains("json") || v.contains("xml"))
        && !html;
    let mut page = None;
    let mut data_text = None;
    if read_body && (html || data) && method == Method::GET {
        let max_body = if data {
            max_body.min(MAX_DATA)
        } else {
            max_body
        };
        let mut body = Vec::new();
        let mut permit = None;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if permit.is_none() && body.len() + chunk.len() > LARGE_BODY {
                        permit = large.acquire().await.ok();
                    }
                    let room = (max_body as usize).saturating_sub(body.len());
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if body.len() as u64 >= max_body {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return Err(Failure::Timeout),
                Err(e) => {
                    return Err(Failure::Network(Transport {
                        kind: Kind::Reset,
                        detail: format!(
                            "connection broken while reading the body ({})",
                            transport::root_cause(&e)
                        ),
                    }));
                }
            }
        }
        if data {
            data_text = Some(String::from_utf8_lossy(&body).into_owned());
        } else {
            page = Some(Page::from_html(&body));
        }
    }
    Ok(Reply::Answer(Answer {
        status,
        url: url_text,
        headers,
        page,
        data: data_text,
    }))
}

/// Reads a reqwest error as a failure to get an answer.
pub fn failure(e: &reqwest::Error) -> Failure {
    let t = transport::classify(e);
    match t.kind {
        Kind::Timeout => Failure::Timeout,
        _ => Failure::Network(t),
    }
}
