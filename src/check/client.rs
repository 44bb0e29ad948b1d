//! The HTTP client: reqwest on tokio with HTTP/1.1 and HTTP/2, an honest User-Agent,
//! timeouts, proxies (config, or HTTP_PROXY/HTTPS_PROXY/NO_PROXY), extra trusted roots
//! (SSL_CERT_FILE and config), no automatic redirects (the engine follows them to record
//! every hop), and bodies read in chunks up to a cap.

use std::path::Path;
use std::time::Duration;

use reqwest::{Method, header};

use super::classify::{Answer, Failure};
use super::soft404::Page;
use crate::Error;
use crate::config::CheckConfig;

/// The User-Agent citekeep sends: its name, version and the configured contact.
pub fn user_agent(contact: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    if contact.trim().is_empty() {
        format!("citekeep/{version} (link checker; +https://crates.io/crates/citekeep)")
    } else {
        format!("citekeep/{version} (link checker; +{})", contact.trim())
    }
}

/// Builds the client from `[check]`; relative `ca_certs` paths are relative to `base`.
/// `decompress` is on for checks (pages are read as text) and off for captures (bodies are
/// kept as the server sent them).
pub fn build(cfg: &CheckConfig, base: &Path, decompress: bool) -> Result<reqwest::Client, Error> {
    builder(cfg, base, decompress)?
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

/// How long an idle connection is kept for the next request to its host.
const POOL_IDLE: Duration = Duration::from_secs(3);

/// The client's builder, for callers that add to it (the crawler's address guard).
pub fn builder(
    cfg: &CheckConfig,
    base: &Path,
    decompress: bool,
) -> Result<reqwest::ClientBuilder, Error> {
    let secs = |s: f64| Duration::from_secs_f64(s.max(0.001));
    let mut builder = reqwest::Client::builder()
        .user_agent(user_agent(&cfg.contact))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(secs(cfg.timeout))
        .connect_timeout(secs(cfg.connect_timeout))
        // Idle connections are closed after a few seconds: on a site citing thousands of
        // hosts, they would otherwise hold a file descriptor and buffers each.
        .pool_max_idle_per_host(cfg.per_host.max(1))
        .pool_idle_timeout(POOL_IDLE)
        .gzip(decompress)
        .brotli(decompress)
        .deflate(decompress);
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in &cfg.headers {
        let bad = || Error::Config(format!("[check] headers: `{name}` is not a valid header"));
        let name = reqwest::header::HeaderName::try_from(name.as_str()).map_err(|_| bad())?;
        let mut value =
            reqwest::header::HeaderValue::try_from(value.as_str()).map_err(|_| bad())?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    builder = builder.default_headers(headers);
    if !cfg.proxy.trim().is_empty() {
        let proxy = reqwest::Proxy::all(cfg.proxy.trim())
            .map_err(|e| Error::Config(format!("[check] proxy `{}`: {e}", redacted(&cfg.proxy))))?
            .no_proxy(reqwest::NoProxy::from_env());
        builder = builder.proxy(proxy);
    }
    let mut pem_files: Vec<std::path::PathBuf> = cfg
        .ca_certs
        .iter()
        .map(|p| {
            if Path::new(p).is_absolute() {
                p.into()
            } else {
                base.join(p)
            }
        })
        .collect();
    if let Some(file) = std::env::var_os("SSL_CERT_FILE") {
        pem_files.push(file.into());
    }
    for file in pem_files {
        let pem = read_pem_file(&file)?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| Error::Config(format!("{}: not PEM certificates: {e}", file.display())))?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    Ok(builder)
}

/// Certificate bundles larger than this are refused (the system's whole bundle is 200 KB).
const MAX_PEM_FILE: u64 = 16 << 20;

/// Reads a PEM bundle named by `[check] ca_certs` or SSL_CERT_FILE: a regular file of at
/// most [`MAX_PEM_FILE`] bytes (a device such as /dev/zero would be read forever).
fn read_pem_file(file: &Path) -> Result<Vec<u8>, Error> {
    let io = |error| Error::Io {
        path: file.to_path_buf(),
        error,
    };
    let meta = std::fs::metadata(file).map_err(io)?;
    if !meta.is_file() {
        return Err(Error::Config(format!(
            "{}: a certificate bundle must be a regular file of PEM certificates",
            file.display()
        )));
    }
    if meta.len() > MAX_PEM_FILE {
        return Err(Error::Config(format!(
            "{}: {} bytes is too large for a certificate bundle (at most {MAX_PEM_FILE})",
            file.display(),
            meta.len()
        )));
    }
    use std::io::Read;
    let mut pem = Vec::new();
    std::fs::File::open(file)
        .map_err(io)?
        .take(MAX_PEM_FILE + 1)
        .read_to_end(&mut pem)
        .map_err(io)?;
    Ok(pem)
}

/// A URL fit for a log: its password, if any, replaced by `***`.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        // Not a URL: whatever follows a `:` before an `@` may be a password.
        Err(_) => match (url.find("://"), url.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
            _ => url.to_string(),
        },
    }
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
    "content-type",
    "content-length",
    "location",
];

/// Sends one request; reads an HTML body (up to `max_body` bytes) when `read_body` is set,
/// a body past [`LARGE_BODY`] only with one of the few `large` places (so many large pages
/// at once cannot add up to gigabytes).
pub async fn send(
    client: &reqwest::Client,
    method: Method,
    url: url::Url,
    read_body: bool,
    max_body: u64,
    large: &tokio::sync::Semaphore,
) -> Result<Reply, Failure> {
    let url_text = url.to_string();
    let mut response = client
        .request(method.clone(), url)
        .header(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
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
    let html = headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .is_none_or(|(_, v)| v.contains("html"));
    let mut page = None;
    if read_body && html && method == Method::GET {
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
                    return Err(Failure::Network(format!(
                        "connection broken while reading the body ({})",
                        root_cause(&e)
                    )));
                }
            }
        }
        page = Some(Page::from_html(&body));
    }
    Ok(Reply::Answer(Answer {
        status,
        url: url_text,
        headers,
        page,
    }))
}

/// Bodies past this size count as large: few are read at once.
pub const LARGE_BODY: usize = 1 << 20;

/// Reads a reqwest error as a failure to get an answer, in words.
pub fn failure(e: &reqwest::Error) -> Failure {
    if e.is_timeout() {
        return Failure::Timeout;
    }
    let cause = root_cause(e);
    let chain = error_chain(e).to_ascii_lowercase();
    let detail = if chain.contains("dns error") || chain.contains("failed to lookup address") {
        "DNS lookup failed".to_string()
    } else if chain.contains("connection refused") {
        "connection refused".to_string()
    } else if chain.contains("tunnel") {
        "the proxy could not connect to the host".to_string()
    } else if [
        "reset",
        "closed",
        "close_notify",
        "incomplete",
        "broken pipe",
        "eof",
    ]
    .iter()
    .any(|w| chain.contains(w))
    {
        "connection reset".to_string()
    } else if chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake")
    {
        format!("TLS failure: {cause}")
    } else {
        format!("connection failed: {cause}")
    };
    Failure::Network(detail)
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &dyn std::error::Error = e;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_passwords_never_reach_a_log() {
        assert_eq!(
            redacted("http://me:s3cret@proxy.corp:3128"),
            "http://me:***@proxy.corp:3128/"
        );
        assert!(!redacted("http://me:s3cret@[bad").contains("s3cret"));
        let cfg = CheckConfig {
            proxy: "http://me:s3cret@pro xy".into(),
            ..CheckConfig::default()
        };
        let err = build(&cfg, Path::new("."), true).unwrap_err().to_string();
        assert!(!err.contains("s3cret"), "{err}");
    }
}
