//! A headless Chromium, driven over the DevTools protocol (`chromiumoxide`), for pages
//! built by script: it loads a page, waits for its network to be idle, scrolls once, and
//! gives back every response the page loaded (with headers and bodies, for the WARC), the
//! rendered DOM, its text and a full-page screenshot.
//!
//! Bounds and safety: one browser process per run with a fresh profile in a temporary
//! folder (nothing kept between runs), `[browser] concurrency` pages at once, each cut at
//! `[browser] timeout`; every request the browser makes (the page, its redirects, its
//! subresources, its scripts' fetches) is paused and checked against the same address guard
//! as crawling before it may go, so a page cannot reach loopback or private addresses;
//! downloads are refused.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::browser::{
    SetDownloadBehaviorBehavior, SetDownloadBehaviorParams,
};
use chromiumoxide::cdp::browser_protocol::fetch::{
    ContinueRequestParams, EventRequestPaused, FailRequestParams,
};
use chromiumoxide::cdp::browser_protocol::network::{
    ErrorReason, EventLoadingFailed, EventLoadingFinished, EventRequestWillBeSent,
    EventResponseReceived, GetResponseBodyParams, Headers, RequestId,
};
use chromiumoxide::page::ScreenshotParams;
use futures_util::StreamExt;

use crate::config::{BrowserConfig, BrowserUse, Config};
use crate::fetch::guard::Guard;

/// Bytes of one response body kept at most (a larger one is left out of the capture).
const MAX_BODY: usize = 20 << 20;
/// Responses kept per page at most.
const MAX_RESPONSES: usize = 300;
/// Bytes of bodies kept per page at most (the rest of its responses are left out).
const MAX_PAGE_BYTES: usize = 64 << 20;
/// Quiet time that counts as "the network is idle".
const IDLE: Duration = Duration::from_millis(500);

/// One response the page loaded.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// Its URL.
    pub url: String,
    /// The request method.
    pub method: String,
    /// The request headers the browser sent.
    pub request_headers: Vec<(String, String)>,
    /// The status.
    pub status: u16,
    /// The status text.
    pub status_text: String,
    /// The response headers.
    pub headers: Vec<(String, String)>,
    /// The MIME type the browser saw.
    pub mime: String,
    /// The body (decoded: the browser gives bodies without their content encoding).
    pub body: Vec<u8>,
}

/// A page as the browser rendered it.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    /// The page's URL after redirects.
    pub url: String,
    /// Every response the page loaded, in the order they finished.
    pub responses: Vec<Loaded>,
    /// The rendered DOM, serialized.
    pub dom: String,
    /// The rendered text (`document.body.innerText`).
    pub text: String,
    /// A full-page screenshot (PNG).
    pub screenshot: Vec<u8>,
    /// Whether the page was cut at its timeout before its network was idle.
    pub timed_out: bool,
    /// Requests refused by the address guard.
    pub refused: Vec<String>,
}

/// The Chromium program a run uses: none when `[archive] browser = "never"`, else
/// [`find_executable`].
pub fn program(config: &Config) -> Option<PathBuf> {
    match config.archive.browser {
        BrowserUse::Never => None,
        _ => find_executable(&config.browser),
    }
}

/// The Chromium program: `[browser] executable`, else the first known name on PATH.
pub fn find_executable(cfg: &BrowserConfig) -> Option<PathBuf> {
    if !cfg.executable.trim().is_empty() {
        let p = PathBuf::from(cfg.executable.trim());
        return p.is_file().then_some(p);
    }
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .find_map(|name| which(name))
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// The proxy Chromium should use: the one the environment names for HTTPS or HTTP.
fn proxy_from_env() -> Option<String> {
    ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
}

/// A running headless Chromium.
pub struct Browser {
    inner: chromiumoxide::Browser,
    handler: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
    guard: Arc<Guard>,
    pages: tokio::sync::Semaphore,
    timeout: Duration,
    user_agent: String,
}

impl Browser {
    /// Starts Chromium (`program`) headless with a fresh profile, as `config`'s
    /// `[browser]` says; its requests go through `guard`, with citekeep's User-Agent
    /// (its `[check] contact`) marked as rendered.
    pub async fn launch(
        program: &std::path::Path,
        config: &Config,
        guard: Arc<Guard>,
    ) -> Result<Browser, String> {
        let cfg = &config.browser;
        let user_agent = format!(
            "{} (rendered)",
            crate::fetch::client::user_agent(&config.check.contact)
        );
        let profile = tempfile::Builder::new()
            .prefix("citekeep-browser")
            .tempdir()
            .map_err(|e| format!("a profile folder for the browser: {e}"))?;
        let mut config = chromiumoxide::BrowserConfig::builder()
            .chrome_executable(program)
            .user_data_dir(profile.path())
            .no_sandbox()
            .enable_request_intercept()
            .launch_timeout(Duration::from_secs(30))
            .request_timeout(Duration::from_secs_f64(cfg.timeout))
            .window_size(1280, 900)
            .args([
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--disable-dev-shm-usage",
                "--mute-audio",
            ]);
        if let Some(proxy) = proxy_from_env() {
            // Loopback addresses too go through the proxy, where the guard has checked them.
            config = config
                .arg(format!("--proxy-server={proxy}"))
                .arg("--proxy-bypass-list=<-loopback>");
        }
        let config = config.build()?;
        let (inner, mut handler) = chromiumoxide::Browser::launch(config)
            .await
            .map_err(|e| format!("{}: {e}", program.display()))?;
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        inner
            .execute(SetDownloadBehaviorParams::new(
                SetDownloadBehaviorBehavior::Deny,
            ))
            .await
            .map_err(|e| format!("the browser refused to disable downloads: {e}"))?;
        Ok(Browser {
            inner,
            handler,
            _profile: profile,
            guard,
            pages: tokio::sync::Semaphore::new(cfg.concurrency.max(1)),
            timeout: Duration::from_secs_f64(cfg.timeout),
            user_agent,
        })
    }

    /// Loads `url` and renders it, within the page timeout.
    pub async fn render(&self, url: &str) -> Result<Rendered, String> {
        let _slot = self.pages.acquire().await.map_err(|e| e.to_string())?;
        let page = self
            .inner
            .new_page("about:blank")
            .await
            .map_err(|e| format!("a browser page: {e}"))?;
        let result = tokio::time::timeout(
            self.timeout + Duration::from_secs(5),
            render_on(&page, url, &self.guard, &self.user_agent, self.timeout),
        )
        .await
        .unwrap_or_else(|_| Err(format!("the browser did not finish {url} in time")));
        let _ = page.close().await;
        result
    }

    /// Stops the browser and its process.
    pub async fn close(mut self) {
        let _ = self.inner.close().await;
        let _ = self.inner.wait().await;
        self.handler.abort();
    }
}

/// What the network listeners gather while a page loads.
#[derive(Default)]
struct Traffic {
    /// Requests started and not finished or failed.
    in_flight: std::collections::HashSet<String>,
    /// Requests that ended before their start was seen (the events come on separate
    /// streams).
    ended_early: std::collections::HashSet<String>,
    /// When the last request started or ended.
    last_change: Option<tokio::time::Instant>,
    /// Request method and headers by request id.
    requests: HashMap<String, (String, Vec<(String, String)>)>,
    /// Responses received, by request id, waiting for their bodies.
    responses: HashMap<String, Loaded>,
    /// Responses finished (and redirects), in order.
    done: Vec<(RequestId, Loaded)>,
    /// Requests whose loading finished before their response was seen (the events come
    /// on separate streams).
    finished_early: std::collections::HashSet<String>,
    refused: Vec<String>,
}

impl Traffic {
    /// A request finished or failed.
    fn end(&mut self, id: &str) {
        if !self.in_flight.remove(id) {
            self.ended_early.insert(id.to_string());
        }
    }
}

fn pairs(headers: &Headers) -> Vec<(String, String)> {
    headers
        .inner()
        .as_object()
        .map(|o| {
            o.iter()
                .flat_map(|(k, v)| {
                    // Chromium joins repeated headers with newlines.
                    v.as_str()
                        .unwrap_or_default()
                        .split('\n')
                        .map(|v| (k.clone(), v.to_string()))
                        .collect::<Vec<_>>()
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn render_on(
    page: &chromiumoxide::Page,
    url: &str,
    guard: &Arc<Guard>,
    user_agent: &str,
    timeout: Duration,
) -> Result<Rendered, String> {
    let started = tokio::time::Instant::now();
    let deadline = started + timeout;
    let cdp = |e: chromiumoxide::error::CdpError| format!("browser: {e}");
    page.set_user_agent(user_agent).await.map_err(cdp)?;
    let traffic: Arc<Mutex<Traffic>> = Arc::default();

    let gate = guard_requests(page, guard.clone(), traffic.clone())
        .await
        .map_err(cdp)?;
    let watch = watch_traffic(page, traffic.clone()).await.map_err(cdp)?;

    // A navigation error (a script that never settles, an aborted subresource) still
    // leaves a page to read; a page the guard refused does not.
    let navigated = tokio::time::timeout_at(deadline, page.goto(url)).await;
    let mut timed_out = navigated.is_err();
    if traffic
        .lock()
        .expect("poisoned")
        .refused
        .iter()
        .any(|r| r == url)
    {
        gate.abort();
        watch.abort();
        return Err(format!("{url}: refused (a private or local address)"));
    }
    timed_out |= !wait_idle(&traffic, deadline).await;
    // Once down the page, for content that loads as it scrolls into view.
    let _ = page
        .evaluate("window.scrollTo(0, document.body ? document.body.scrollHeight : 0)")
        .await;
    timed_out |= !wait_idle(&traffic, deadline).await;

    // The DOM as rendered: with script on, `<noscript>` says nothing, so it is left out (a
    // replay with scripts off would show it over the page).
    let dom = page
        .evaluate(
            "(function () { var d = document.documentElement.cloneNode(true); \
             d.querySelectorAll('noscript').forEach(function (n) { n.remove(); }); \
             return '<!DOCTYPE html>' + d.outerHTML; })()",
        )
        .await
        .ok()
        .and_then(|v| v.into_value::<String>().ok())
        .unwrap_or_default();
    let text = page
        .evaluate("document.body ? document.body.innerText : ''")
        .await
        .ok()
        .and_then(|v| v.into_value::<String>().ok())
        .unwrap_or_default();
    let final_url = page
        .url()
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| url.to_string());
    let screenshot = page
        .screenshot(ScreenshotParams::builder().full_page(true).build())
        .await
        .unwrap_or_default();

    // The bodies, read from the browser while the page is still open.
    let done = std::mem::take(&mut traffic.lock().expect("poisoned").done);
    let mut responses = Vec::with_capacity(done.len().min(MAX_RESPONSES));
    let mut kept = 0usize;
    for (id, mut loaded) in done.into_iter().take(MAX_RESPONSES) {
        if kept >= MAX_PAGE_BYTES {
            break;
        }
        let redirect = (300..400).contains(&loaded.status);
        if !redirect && let Ok(body) = page.execute(GetResponseBodyParams::new(id)).await {
            let bytes = if body.base64_encoded {
                data_encoding::BASE64
                    .decode(body.body.as_bytes())
                    .unwrap_or_default()
            } else {
                body.body.clone().into_bytes()
            };
            if bytes.len() > MAX_BODY || kept + bytes.len() > MAX_PAGE_BYTES {
                continue;
            }
            kept += bytes.len();
            loaded.body = bytes;
        }
        responses.push(loaded);
    }
    gate.abort();
    watch.abort();
    let refused = std::mem::take(&mut traffic.lock().expect("poisoned").refused);
    Ok(Rendered {
        url: final_url,
        responses,
        dom,
        text,
        screenshot,
        timed_out,
        refused,
    })
}

/// Pauses every request the page makes until the guard has judged it: continued, or
/// failed as blocked (and noted in `traffic`).
async fn guard_requests(
    page: &chromiumoxide::Page,
    guard: Arc<Guard>,
    traffic: Arc<Mutex<Traffic>>,
) -> Result<tokio::task::JoinHandle<()>, chromiumoxide::error::CdpError> {
    let mut paused = page.event_listener::<EventRequestPaused>().await?;
    let page = page.clone();
    // Through a proxy, the proxy resolves names (as for checks): literal addresses are
    // judged here; without one, names are resolved and judged too.
    let resolve = proxy_from_env().is_none();
    Ok(tokio::spawn(async move {
        while let Some(event) = paused.next().await {
            let allowed = match url::Url::parse(&event.request.url) {
                Err(e) => Err(e.to_string()),
                Ok(u) => match u.scheme() {
                    "http" | "https" if resolve => {
                        guard.check_resolving(&u).await.map_err(|e| e.to_string())
                    }
                    "http" | "https" => guard.check(&u).map_err(|e| e.to_string()),
                    "data" | "blob" => Ok(()),
                    other => Err(format!("{other}: not fetched")),
                },
            };
            let id = event.request_id.clone();
            if allowed.is_ok() {
                let _ = page.execute(ContinueRequestParams::new(id)).await;
            } else {
                traffic
                    .lock()
                    .expect("poisoned")
                    .refused
                    .push(event.request.url.clone());
                let _ = page
                    .execute(FailRequestParams::new(id, ErrorReason::BlockedByClient))
                    .await;
            }
        }
    }))
}

/// Follows the page's network events into `traffic`: requests in flight, each response
/// with its request's method and headers, redirects as hops of their own.
async fn watch_traffic(
    page: &chromiumoxide::Page,
    traffic: Arc<Mutex<Traffic>>,
) -> Result<tokio::task::JoinHandle<()>, chromiumoxide::error::CdpError> {
    let mut sent = page.event_listener::<EventRequestWillBeSent>().await?;
    let mut received = page.event_listener::<EventResponseReceived>().await?;
    let mut finished = page.event_listener::<EventLoadingFinished>().await?;
    let mut failed = page.event_listener::<EventLoadingFailed>().await?;
    let t = traffic;
    Ok(tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(e) = sent.next() => {
                    let mut t = t.lock().expect("poisoned");
                    let id = e.request_id.inner().clone();
                    // A redirect: the hop's response ends here, the same request goes on.
                    if let Some(r) = &e.redirect_response {
                        let (method, headers) = t.requests.get(&id).cloned().unwrap_or_default();
                        let hop = Loaded {
                            url: r.url.clone(),
                            method,
                            request_headers: headers,
                            status: u16::try_from(r.status).unwrap_or(0),
                            status_text: r.status_text.clone(),
                            headers: pairs(&r.headers),
                            mime: r.mime_type.clone(),
                            body: Vec::new(),
                        };
                        t.done.push((e.request_id.clone(), hop));
                    } else if !t.ended_early.remove(&id) {
                        t.in_flight.insert(id.clone());
                    }
                    t.requests.insert(id, (e.request.method.clone(), pairs(&e.request.headers)));
                    t.last_change = Some(tokio::time::Instant::now());
                }
                Some(e) = received.next() => {
                    let mut t = t.lock().expect("poisoned");
                    let id = e.request_id.inner().clone();
                    let (method, headers) = t.requests.get(&id).cloned().unwrap_or_default();
                    let r = &e.response;
                    let request_headers = r.request_headers.as_ref().map(pairs).unwrap_or(headers);
                    let loaded = Loaded {
                        url: r.url.clone(),
                        method,
                        request_headers,
                        status: u16::try_from(r.status).unwrap_or(0),
                        status_text: r.status_text.clone(),
                        headers: pairs(&r.headers),
                        mime: r.mime_type.clone(),
                        body: Vec::new(),
                    };
                    if t.finished_early.remove(&id) {
                        t.done.push((e.request_id.clone(), loaded));
                    } else {
                        t.responses.insert(id, loaded);
                    }
                }
                Some(e) = finished.next() => {
                    let mut t = t.lock().expect("poisoned");
                    t.end(e.request_id.inner());
                    t.last_change = Some(tokio::time::Instant::now());
                    match t.responses.remove(e.request_id.inner()) {
                        Some(loaded) => t.done.push((e.request_id.clone(), loaded)),
                        None => {
                            t.finished_early.insert(e.request_id.inner().clone());
                        }
                    }
                }
                Some(e) = failed.next() => {
                    let mut t = t.lock().expect("poisoned");
                    t.end(e.request_id.inner());
                    t.last_change = Some(tokio::time::Instant::now());
                    t.responses.remove(e.request_id.inner());
                }
                else => break,
            }
        }
    }))
}

/// Waits until no request has been in flight for [`IDLE`]; false when `deadline` came
/// first.
async fn wait_idle(traffic: &Arc<Mutex<Traffic>>, deadline: tokio::time::Instant) -> bool {
    loop {
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return false;
        }
        let (in_flight, last) = {
            let t = traffic.lock().expect("poisoned");
            (t.in_flight.len(), t.last_change)
        };
        let quiet = last.is_none_or(|l| now.duration_since(l) >= IDLE);
        if in_flight == 0 && quiet {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
