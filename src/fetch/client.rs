//! The HTTP client: reqwest on tokio with HTTP/1.1 and HTTP/2, an honest User-Agent,
//! timeouts, proxies (config, or HTTP_PROXY/HTTPS_PROXY/NO_PROXY), extra trusted roots
//! (SSL_CERT_FILE and config), no automatic redirects (callers follow them hop by hop, to
//! record each and to put each past the address guard), names resolved under the guard,
//! and the headers configured for some hosts, sent to those hosts only.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::guard::Guard;
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

/// Builds the client from `[check]` under `guard`; relative `ca_certs` paths are relative
/// to `base`. `decompress` is on for checks (pages are read as text) and off for captures
/// (bodies are kept as the server sent them).
pub fn build(
    cfg: &CheckConfig,
    base: &Path,
    decompress: bool,
    guard: &Arc<Guard>,
) -> Result<reqwest::Client, Error> {
    builder(cfg, base, decompress)?
        .dns_resolver(guard.resolver())
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

/// How long an idle connection is kept for the next request to its host.
const POOL_IDLE: Duration = Duration::from_secs(3);

fn builder(
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

/// The headers `[check.hosts."HOST"] headers` configure (a cookie, a token), each set sent
/// only to its host and the host's subdomains: never to a host a redirect leads to.
#[derive(Clone, Debug, Default)]
pub struct HostHeaders {
    by_host: Vec<(String, HeaderMap)>,
}

impl HostHeaders {
    /// The headers of `[check.hosts]`, checked (a bad name or value is an error naming it).
    pub fn new(cfg: &CheckConfig) -> Result<HostHeaders, Error> {
        let mut by_host = Vec::new();
        for (host, settings) in &cfg.hosts {
            let mut map = HeaderMap::new();
            for (name, value) in &settings.headers {
                let bad = || {
                    Error::Config(format!(
                        "[check.hosts.\"{host}\"] headers: `{name}` is not a valid header"
                    ))
                };
                let name = HeaderName::try_from(name.as_str()).map_err(|_| bad())?;
                let mut value = HeaderValue::try_from(value.as_str()).map_err(|_| bad())?;
                value.set_sensitive(true);
                map.insert(name, value);
            }
            if !map.is_empty() {
                by_host.push((host.trim().trim_end_matches('.').to_ascii_lowercase(), map));
            }
        }
        Ok(HostHeaders { by_host })
    }

    /// The headers for a request to `host`: those of the host itself or of the nearest
    /// configured domain above it.
    pub fn for_host(&self, host: &str) -> Option<&HeaderMap> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.by_host
            .iter()
            .filter(|(h, _)| crate::link::within(&host, h))
            .max_by_key(|(h, _)| h.len())
            .map(|(_, m)| m)
    }

    /// `request` with the headers for `url`'s host, if any.
    pub fn apply(
        &self,
        request: reqwest::RequestBuilder,
        url: &url::Url,
    ) -> reqwest::RequestBuilder {
        match self.for_host(url.host_str().unwrap_or_default()) {
            Some(headers) => request.headers(headers.clone()),
            None => request,
        }
    }
}

pub use crate::link::redacted;

/// Bodies past this size count as large: few are read at once.
pub const LARGE_BODY: usize = 1 << 20;

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
        let guard = Arc::new(Guard::strict());
        let err = build(&cfg, Path::new("."), true, &guard)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("s3cret"), "{err}");
    }
}
