//! The public archives' APIs (CDX, TimeMaps, Save Page Now), asked politely: each host's
//! API one request at a time at its own interval, through the address guard and the
//! headers configured per host, retried on 429 and 5xx as checks are (`Retry-After`
//! honoured up to its cap), an answer read up to a size or refused whole. Checks judge
//! pages; this only asks and reads, so it lives beside the other HTTP plumbing.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::client::{self, HostHeaders};
use super::guard::Guard;
use super::politeness::{Gates, backoff, retry_after};
use crate::Error;
use crate::config::CheckConfig;

/// A client for APIs: one reqwest client, and one gate per API host.
pub struct Api {
    client: reqwest::Client,
    guard: Arc<Guard>,
    headers: HostHeaders,
    gates: Gates,
    /// How long one call may take in all.
    deadline: Duration,
    retries: u32,
    retry_after_cap: Duration,
}

impl Api {
    /// A client with `[check]` settings (proxy, roots, User-Agent, retries) under `guard`;
    /// relative CA paths resolve against `base`.
    pub fn new(cfg: &CheckConfig, base: &Path, guard: Arc<Guard>) -> Result<Api, Error> {
        Ok(Api {
            client: client::build(cfg, base, true, &guard)?,
            guard,
            headers: HostHeaders::new(cfg)?,
            gates: Gates::new(cfg.concurrency, cfg.per_host, Duration::ZERO),
            deadline: cfg.link_deadline(),
            retries: cfg.retries,
            retry_after_cap: Duration::from_secs(cfg.retry_after_cap),
        })
    }

    /// Holds calls to `host` to one at a time, `interval` apart (an archive's published
    /// rate limit).
    pub fn limit(&self, host: &str, interval: Duration) {
        self.gates.limit(host, 1, interval);
    }

    /// GETs an answer: see [`Api::call`].
    pub async fn get(&self, url: &str, max: usize) -> Result<(u16, Vec<u8>), String> {
        self.call(url, None, &[], max).await
    }

    /// Calls an API as a GET or (with a `form`) a form POST, with `headers` besides those
    /// configured for its host: the status and up to `max` bytes of the answer (a longer
    /// one is an error, never read as fewer results than there are).
    pub async fn call(
        &self,
        url: &str,
        form: Option<&[(&str, &str)]>,
        headers: &[(&str, &str)],
        max: usize,
    ) -> Result<(u16, Vec<u8>), String> {
        let parsed = Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
        self.guard.check(&parsed).map_err(|e| e.to_string())?;
        let host = parsed.host_str().unwrap_or_default().to_string();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let answer = {
                let _pass = self.gates.enter(&host).await;
                let mut request = match form {
                    Some(form) => self.client.post(parsed.clone()).form(form),
                    None => self.client.get(parsed.clone()),
                };
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                let sent = self.headers.apply(request, &parsed).send();
                tokio::time::timeout(self.deadline, sent).await
            };
            let mut response = match answer {
                Err(_) => return Err(format!("{host}: no answer in time")),
                Ok(Err(e)) => {
                    return Err(format!("{host}: {}", super::transport::root_cause(&e)));
                }
                Ok(Ok(r)) => r,
            };
            let status = response.status().as_u16();
            if (status == 429 || status >= 500) && attempts <= self.retries {
                let wait = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| retry_after(v, crate::clock::now()))
                    .unwrap_or_else(|| backoff(attempts));
                if wait > self.retry_after_cap {
                    return Err(format!(
                        "{host}: HTTP {status}, asked to wait {} s",
                        wait.as_secs()
                    ));
                }
                self.gates.defer(&host, tokio::time::Instant::now() + wait);
                tokio::time::sleep(wait).await;
                continue;
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| format!("{host}: {}", super::transport::root_cause(&e)))?
            {
                if body.len() + chunk.len() > max {
                    return Err(format!(
                        "{host}: an answer larger than {} MB, not read",
                        max >> 20
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            return Ok((status, body));
        }
    }
}
