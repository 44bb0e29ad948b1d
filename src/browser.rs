//! A headless Chromium, driven over the DevTools protocol (`chromiumoxide`), for pages
//! built by script: it loads a page, waits for its network to be idle, scrolls once, and
//! gives back every response the page loaded (with headers and bodies, for the WARC), the
//! rendered DOM, its text and a full-page screenshot.
//!
//! A rendered page is hostile until shown otherwise, so the browser is fenced in:
//! - every connection it opens, from any page, popup, worker or service worker, WebSockets
//!   included, goes through citekeep's guarding proxy ([`crate::fetch::proxy`]), and every
//!   request of the page is also paused and judged over the protocol, so nothing reaches a
//!   loopback or private address no source names; popups are refused outright
//!   (`--block-new-web-contents`), WebRTC may not use UDP outside the proxy, QUIC is off;
//! - certificate errors are errors (nothing fetched over an untrusted connection is kept);
//! - only what was fetched is archived, under the URL it was fetched at: never a URL the
//!   page gives itself (`history.replaceState`), nor `data:`, `about:` or error pages;
//! - dialogs are dismissed and downloads refused, so neither stalls a page;
//! - memory is bounded: a JavaScript heap cap, a screenshot at most [`MAX_SHOT_HEIGHT`]
//!   pixels tall, a DOM of at most [`MAX_DOM`] bytes kept, bodies capped per response and
//!   per page;
//! - Chromium dies with citekeep: it is started in a process group of its own with a
//!   parent-death signal (a `kill -9` or cron's SIGTERM of the run takes it along), its
//!   group is killed when the browser closes, and profiles left by a run that died are
//!   removed by the next.
//!
//! One browser process per pass with a fresh profile (nothing kept between runs),
//! `[browser] concurrency` pages at once, each cut at `[browser] timeout`.

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
use crate::fetch::proxy::GuardProxy;

/// Bytes of one response body kept at most (a larger one is left out of the capture).
const MAX_BODY: usize = 20 << 20;
/// Responses kept per page at most.
const MAX_RESPONSES: usize = 300;
/// Bytes of bodies kept per page at most (the rest of its responses are left out).
const MAX_PAGE_BYTES: usize = 64 << 20;
/// Quiet time that counts as "the network is idle".
const IDLE: Duration = Duration::from_millis(500);
/// Pixels of a page's height its screenshot shows at most.
pub const MAX_SHOT_HEIGHT: u32 = 16_384;
/// Bytes of a rendered DOM kept at most (a larger one is cut).
pub const MAX_DOM: usize = 16 << 20;
/// Megabytes of JavaScript heap a page may use.
const JS_HEAP_MB: u32 = 512;
/// The prefix of the browser's temporary profile folders (then the owner's process id).
const PROFILE_PREFIX: &str = "citekeep-browser-";

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

/// The upstream proxy the browser's traffic goes on to: `[check] proxy`, else the one the
/// environment names for HTTPS or HTTP.
fn upstream_proxy(config: &Config) -> Option<url::Url> {
    let configured = Some(config.check.proxy.trim().to_string()).filter(|p| !p.is_empty());
    configured
        .or_else(|| {
            ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"]
                .iter()
                .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        })
        .and_then(|p| {
            url::Url::parse(&p)
                .or_else(|_| url::Url::parse(&format!("http://{p}")))
                .ok()
        })
}

/// Chromium's switches: headless, quiet, and fenced in (see the module's notes).
fn switches(
    profile: &std::path::Path,
    proxy: std::net::SocketAddr,
    user_agent: &str,
) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--mute-audio",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-background-timer-throttling",
        "--disable-backgrounding-occluded-windows",
        "--disable-renderer-backgrounding",
        "--disable-breakpad",
        "--disable-client-side-phishing-detection",
        "--disable-component-extensions-with-background-pages",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--disable-hang-monitor",
        "--disable-sync",
        "--disable-domain-reliability",
        "--metrics-recording-only",
        "--password-store=basic",
        "--use-mock-keychain",
        // No popup, no new window: `window.open`, `target=_blank` links and forms.
        "--block-new-web-contents",
        // No UDP outside the proxy (WebRTC's STUN and TURN), no QUIC, no local discovery.
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--disable-quic",
        "--disable-features=MediaRouter,DialMediaRouteProvider,Translate,OptimizationHints,InterestFeedContentSuggestions",
        // Every connection through the guarding proxy, loopback ones too.
        "--proxy-bypass-list=<-loopback>",
        "--remote-debugging-port=0",
        "--window-size=1280,900",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("--js-flags=--max-old-space-size={JS_HEAP_MB}"));
    args.push(format!("--proxy-server=http://{proxy}"));
    // Every target's default, workers' included (pages are told again over the protocol).
    args.push(format!("--user-agent={user_agent}"));
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push("about:blank".to_string());
    args
}

/// Removes the profile folders of browsers whose citekeep is no longer running (a run
/// killed mid-render).
fn remove_stale_profiles() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(PROFILE_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: kill with signal 0 only asks whether the process exists.
        let gone = unsafe { libc::kill(pid, 0) } != 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A Chromium process: started in a process group of its own by a keeper thread that
/// waits for it to exit (the parent-death signal follows the thread that started it).
struct Process {
    pid: i32,
    exited: Arc<std::sync::atomic::AtomicBool>,
}

impl Process {
    /// Kills Chromium and every process of its group (the keeper thread reaps it).
    fn kill(&self) {
        if !self.exited.load(std::sync::atomic::Ordering::SeqCst) {
            // SAFETY: signals the process group Chromium was started in (its own).
            unsafe {
                libc::kill(-self.pid, libc::SIGKILL);
            }
        }
    }
}

/// Starts Chromium in a process group of its own that dies with this process, and reads
/// the address of its DevTools endpoint from what it prints.
async fn spawn_chromium(
    program: &std::path::Path,
    args: &[String],
) -> Result<(Process, String), String> {
    use std::io::BufRead;
    use std::os::unix::process::CommandExt;
    let mut command = std::process::Command::new(program);
    command
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::setpgid(0, 0) != 0
                || libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the signal was asked for.
            if libc::getppid() == 1 {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    let exited = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (tx, rx) = tokio::sync::oneshot::channel::<Result<(i32, String), String>>();
    let name = program.display().to_string();
    let keeper_exited = exited.clone();
    std::thread::spawn(move || {
        let mut child = match command.spawn() {
            Ok(c) => c,
            Err(e) => {
                let _ = tx.send(Err(format!("{name}: {e}")));
                return;
            }
        };
        let pid = i32::try_from(child.id()).unwrap_or(0);
        let stderr = child.stderr.take().expect("stderr is piped");
        // Its output is read to the end, so Chromium never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            let mut said = String::new();
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(ws) = line.split("DevTools listening on ").nth(1)
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(Ok((pid, ws.trim().to_string())));
                } else if tx.is_some() && said.len() < 4000 {
                    said.push_str(&line);
                    said.push('\n');
                }
            }
            if let Some(tx) = tx {
                let _ = tx.send(Err(format!("{name} did not start: {}", said.trim())));
            }
        });
        let _ = child.wait();
        keeper_exited.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    match tokio::time::timeout(Duration::from_secs(30), rx).await {
        Ok(Ok(Ok((pid, ws)))) => Ok((Process { pid, exited }, ws)),
        Ok(Ok(Err(why))) => Err(why),
        _ => Err(format!(
            "{} gave no DevTools address within 30 s",
            program.display()
        )),
    }
}

/// A running headless Chromium.
pub struct Browser {
    inner: chromiumoxide::Browser,
    handler: tokio::task::JoinHandle<()>,
    process: Process,
    proxy: GuardProxy,
    /// Whether names are resolved here (no upstream proxy resolves them).
    resolve_names: bool,
    _profile: tempfile::TempDir,
    guard: Arc<Guard>,
    pages: tokio::sync::Semaphore,
    timeout: Duration,
    user_agent: String,
}

impl Browser {
    /// Starts Chromium (`program`) headless with a fresh profile, as `config`'s
    /// `[browser]` says; its connections go through a proxy under `guard`, its requests
    /// carry citekeep's User-Agent (its `[check] contact`) marked as rendered.
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
        remove_stale_profiles();
        let profile = tempfile::Builder::new()
            .prefix(&format!("{PROFILE_PREFIX}{}-", std::process::id()))
            .tempdir()
            .map_err(|e| format!("a profile folder for the browser: {e}"))?;
        let upstream = upstream_proxy(config);
        let resolve_names = upstream.is_none();
        let proxy = GuardProxy::start(
            guard.clone(),
            upstream,
            Duration::from_secs_f64(config.check.timeout.max(cfg.timeout)),
        )
        .await
        .map_err(|e| format!("the browser's guarding proxy: {e}"))?;
        let args = switches(profile.path(), proxy.addr(), &user_agent);
        let (process, ws) = spawn_chromium(program, &args).await?;
        let handler_config = chromiumoxide::handler::HandlerConfig {
            ignore_https_errors: false,
            request_intercept: true,
            request_timeout: Duration::from_secs_f64(cfg.timeout),
            ..Default::default()
        };
        let connected = chromiumoxide::Browser::connect_with_config(ws, handler_config).await;
        let (inner, mut handler) = match connected {
            Ok(c) => c,
            Err(e) => {
                process.kill();
                return Err(format!("{}: {e}", program.display()));
            }
        };
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        let mut browser = Browser {
            inner,
            handler,
            process,
            proxy,
            resolve_names,
            _profile: profile,
            guard,
            pages: tokio::sync::Semaphore::new(cfg.concurrency.max(1)),
            timeout: Duration::from_secs_f64(cfg.timeout),
            user_agent,
        };
        let denied = browser
            .inner
            .execute(SetDownloadBehaviorParams::new(
                SetDownloadBehaviorBehavior::Deny,
            ))
            .await;
        if let Err(e) = denied {
            browser.kill();
            return Err(format!("the browser refused to disable downloads: {e}"));
        }
        Ok(browser)
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
            render_on(
                &page,
                url,
                (&self.guard, self.resolve_names),
                &self.user_agent,
                self.timeout,
            ),
        )
        .await
        .unwrap_or_else(|_| Err(format!("the browser did not finish {url} in time")));
        let _ = page.close().await;
        result.map(|mut r| {
            r.refused.extend(self.proxy.take_refused());
            r
        })
    }

    fn kill(&mut self) {
        self.process.kill();
        self.handler.abort();
    }

    /// Stops the browser and every process it started.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.inner.close()).await;
        self.kill();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Dropped without `close` (a run's error path): no Chromium is left behind.
        self.kill();
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
    (guard, resolve_names): (&Arc<Guard>, bool),
    user_agent: &str,
    timeout: Duration,
) -> Result<Rendered, String> {
    let started = tokio::time::Instant::now();
    let deadline = started + timeout;
    let cdp = |e: chromiumoxide::error::CdpError| format!("browser: {e}");
    page.set_user_agent(user_agent).await.map_err(cdp)?;
    let traffic: Arc<Mutex<Traffic>> = Arc::default();

    let gate = guard_requests(page, (guard.clone(), resolve_names), traffic.clone())
        .await
        .map_err(cdp)?;
    let watch = watch_traffic(page, traffic.clone()).await.map_err(cdp)?;
    let dialogs = dismiss_dialogs(page).await.map_err(cdp)?;

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
        dialogs.abort();
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
        .map(|mut dom| {
            if dom.len() > MAX_DOM {
                let mut cut = MAX_DOM;
                while !dom.is_char_boundary(cut) {
                    cut -= 1;
                }
                dom.truncate(cut);
            }
            dom
        })
        .unwrap_or_default();
    let text = page
        .evaluate("document.body ? document.body.innerText : ''")
        .await
        .ok()
        .and_then(|v| v.into_value::<String>().ok())
        .unwrap_or_default();
    let shown_url = page.url().await.ok().flatten();
    // The page's height, bounded: a page thousands of screens tall is shown in part.
    let height = page
        .evaluate(
            "Math.max(document.documentElement ? document.documentElement.scrollHeight : 0, \
             document.body ? document.body.scrollHeight : 0)",
        )
        .await
        .ok()
        .and_then(|v| v.into_value::<f64>().ok())
        .unwrap_or(900.0)
        .clamp(1.0, f64::from(MAX_SHOT_HEIGHT));
    let clip = chromiumoxide::cdp::browser_protocol::page::Viewport {
        x: 0.0,
        y: 0.0,
        width: 1280.0,
        height,
        scale: 1.0,
    };
    let screenshot = page
        .screenshot(
            ScreenshotParams::builder()
                .clip(clip)
                .capture_beyond_viewport(true)
                .build(),
        )
        .await
        .unwrap_or_default();
    dialogs.abort();

    // Only what was fetched over http(s) is kept (not `data:` or `blob:` URLs).
    let done: Vec<(RequestId, Loaded)> =
        std::mem::take(&mut traffic.lock().expect("poisoned").done)
            .into_iter()
            .filter(|(_, l)| l.url.starts_with("http://") || l.url.starts_with("https://"))
            .collect();
    let Some(final_url) = document_url(url, shown_url.as_deref(), &done) else {
        gate.abort();
        watch.abort();
        return Err(format!(
            "{url}: the browser could not load it ({})",
            shown_url.as_deref().unwrap_or("no page")
        ));
    };

    // The bodies, read from the browser while the page is still open.
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

/// The URL the rendered document was fetched at: the cited `url`, or where its redirects
/// led. A URL the page shows for itself (`history.replaceState`, `pushState`) counts only
/// when the document was fetched there; `None` when no document was fetched at all (a
/// failed navigation leaves Chromium's error page).
fn document_url(url: &str, shown: Option<&str>, done: &[(RequestId, Loaded)]) -> Option<String> {
    let fetched = |u: &str| done.iter().any(|(_, l)| l.url == u);
    // Follow the cited URL's redirect hops as the browser recorded them.
    let mut at = url.to_string();
    for _ in 0..=done.len() {
        let hop = done
            .iter()
            .find(|(_, l)| l.url == at && (300..400).contains(&l.status));
        let next = hop.and_then(|(_, l)| {
            let location = l
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("location"))?;
            url::Url::parse(&at).ok()?.join(&location.1).ok()
        });
        match next {
            Some(n) if n.as_str() != at => at = n.to_string(),
            _ => break,
        }
    }
    match shown {
        Some(s)
            if s != at && fetched(s) && (s.starts_with("http://") || s.starts_with("https://")) =>
        {
            Some(s.to_string())
        }
        _ => fetched(&at).then_some(at),
    }
}

/// Dismisses every dialog the page opens (`alert`, `confirm`, `prompt`, `beforeunload`):
/// an open dialog stops the page until it is answered.
async fn dismiss_dialogs(
    page: &chromiumoxide::Page,
) -> Result<tokio::task::JoinHandle<()>, chromiumoxide::error::CdpError> {
    use chromiumoxide::cdp::browser_protocol::page::{
        EventJavascriptDialogOpening, HandleJavaScriptDialogParams,
    };
    let mut opened = page
        .event_listener::<EventJavascriptDialogOpening>()
        .await?;
    let page = page.clone();
    Ok(tokio::spawn(async move {
        while opened.next().await.is_some() {
            let _ = page.execute(HandleJavaScriptDialogParams::new(false)).await;
        }
    }))
}

/// Pauses every request the page makes until the guard has judged it: continued, or
/// failed as blocked (and noted in `traffic`). Names are resolved and judged here when
/// no upstream proxy resolves them (`resolve`); the guarding proxy judges every
/// connection again.
async fn guard_requests(
    page: &chromiumoxide::Page,
    (guard, resolve): (Arc<Guard>, bool),
    traffic: Arc<Mutex<Traffic>>,
) -> Result<tokio::task::JoinHandle<()>, chromiumoxide::error::CdpError> {
    let mut paused = page.event_listener::<EventRequestPaused>().await?;
    let page = page.clone();
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
