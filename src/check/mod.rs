//! The check engine: each unique link requested once per run, politely and concurrently,
//! following redirects hop by hop, retrying what may pass, probing for soft 404s, and
//! classified by [`classify`].

pub mod classify;
pub mod request;
pub mod soft404;
pub mod verdict;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use serde::Serialize;
use tokio::sync::OnceCell;
use url::Url;

use classify::{Answer, Cited, Failure, Probe, Verdict, classify_failure, judge_answer};
pub use classify::{Evidence, Hop, SHELL_UNJUDGED, Status};
use request::{Http, Reply};

use crate::Error;
use crate::config::CheckConfig;
use crate::fetch::client::{self, HostHeaders};
use crate::fetch::guard::Guard;
use crate::fetch::politeness::{Gates, backoff, retry_after};
use crate::fetch::{WAITING_PER_SLOT, interleave_by_host};

/// The result of checking one link once.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// The URL requested (the link's identity).
    pub url: String,
    /// What happened.
    pub status: Status,
    /// The last HTTP status received, if any.
    pub http_status: Option<u16>,
    /// Where the redirects ended, if anywhere else.
    pub final_url: Option<String>,
    /// Every redirect followed.
    pub redirects: Vec<Hop>,
    /// What happened, in words.
    pub detail: String,
    /// The signals that decided the status, each in words.
    pub evidence: Evidence,
    /// Milliseconds from the first request to the verdict, waits included.
    pub elapsed_ms: u64,
    /// Attempts made (1 + retries).
    pub attempts: u32,
}

impl Check {
    /// The result for a URL that is malformed and never requested.
    pub fn invalid(url: &str, reason: &str) -> Check {
        Check {
            url: url.to_string(),
            status: Status::Invalid,
            http_status: None,
            final_url: None,
            redirects: Vec::new(),
            detail: reason.to_string(),
            evidence: Evidence::of(format!("the URL is malformed: {reason}")),
            elapsed_ms: 0,
            attempts: 0,
        }
    }
}

impl Check {
    /// Whether this check could not judge a script-built page without a browser.
    pub fn wants_browser(&self) -> bool {
        self.status == Status::Blocked && self.detail == SHELL_UNJUDGED
    }

    /// Judges this script-built page again from what `browser` renders of it; unchanged
    /// when it cannot be rendered or says too little even then.
    pub async fn judge_with(&mut self, browser: &crate::browser::Browser) {
        let rendered = match browser.render(&self.url).await {
            Ok(r) => r,
            Err(why) => {
                self.evidence
                    .push(format!("a headless browser could not render it: {why}"));
                return;
            }
        };
        let page = crate::page::Page::from_html(rendered.dom.as_bytes());
        let judged = classify::judge_rendered(
            &self.url,
            &rendered.url,
            page.title.as_deref(),
            &rendered.text,
            &rendered.dom,
        );
        match judged {
            Some((status, detail, signals)) => {
                self.status = status;
                self.detail = detail;
                for s in signals {
                    self.evidence.push(s);
                }
            }
            None => self
                .evidence
                .push("rendered by a headless browser, it still says too little to judge"),
        }
    }
}

/// A public archive's capture as judged by [`Checker::check_capture`].
pub struct CaptureCheck {
    /// What the capture shows, as a check of the page would say.
    pub status: Status,
    /// Why, in a few words.
    pub detail: String,
    /// The archive address that answered last (after the archive's redirects).
    pub final_url: Option<String>,
    /// The captured page, when HTML.
    pub page: Option<crate::page::Page>,
}

/// Checks links: one client, one set of politeness gates and one probe cache per run.
pub struct Checker {
    http: Http,
    gates: Gates,
    cfg: CheckConfig,
    /// Soft-404 probes by origin and parent folder, each made once per run.
    probes: Mutex<HashMap<String, Arc<OnceCell<Probe>>>>,
    /// Places for bodies past [`client::LARGE_BODY`] being read at once.
    large: tokio::sync::Semaphore,
    /// Our copies as cited, to compare answers with, and the drift threshold.
    cited: Option<(CitedText, f64)>,
}

/// The main text of our copy as cited of a URL, when we hold one (read from the archive
/// by whoever owns it: checks sit below the archive).
pub type CitedText = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Large bodies read at once (see [`request::send`]).
const LARGE_AT_ONCE: usize = 2;

/// Paths that name documents: asked with HEAD first so a check does not start a download.
const DOCUMENT_EXTENSIONS: &[&str] = &[
    ".pdf", ".zip", ".gz", ".tar", ".docx", ".doc", ".xlsx", ".xls", ".pptx", ".ppt", ".odt",
    ".epub", ".mp4", ".mp3", ".mov", ".avi", ".webm", ".csv", ".iso", ".dmg", ".exe",
];

impl Checker {
    /// A checker with `[check]` settings under `guard`; relative CA paths resolve against
    /// `base`.
    pub fn new(cfg: &CheckConfig, base: &Path, guard: Arc<Guard>) -> Result<Checker, Error> {
        Ok(Checker {
            http: Http {
                client: client::build(cfg, base, true, &guard)?,
                guard,
                headers: HostHeaders::new(cfg)?,
            },
            gates: Gates::new(
                cfg.concurrency,
                cfg.per_host,
                Duration::from_millis(cfg.host_interval),
            ),
            cfg: cfg.clone(),
            probes: Mutex::new(HashMap::new()),
            large: tokio::sync::Semaphore::new(LARGE_AT_ONCE),
            cited: None,
        })
    }

    /// The same checker comparing each page that answers with our copy as cited
    /// (`cited`), a page keeping less than `drift_below` of its text being drifted.
    pub fn comparing_with(mut self, cited: CitedText, drift_below: f64) -> Checker {
        self.cited = Some((cited, drift_below));
        self
    }

    /// The text as cited of `url`, read off the async workers, when the answer is a page
    /// to compare with it.
    async fn cited_text(&self, url: &str, answer: &Answer) -> Option<String> {
        let (load, _) = self.cited.as_ref()?;
        if !(200..300).contains(&answer.status) || answer.page.is_none() {
            return None;
        }
        let (load, url) = (load.clone(), url.to_string());
        tokio::task::spawn_blocking(move || load(&url))
            .await
            .ok()
            .flatten()
            .filter(|t| !t.trim().is_empty())
    }

    /// Checks one URL: attempts with retries, then classification, all within the link's
    /// deadline (`[check] deadline`): a chain of slow hops or a host that keeps asking to
    /// retry ends as a timeout then, however each request fared.
    pub async fn check(&self, url: &str) -> Check {
        let started = tokio::time::Instant::now();
        let deadline = self.cfg.link_deadline();
        match tokio::time::timeout(deadline, self.attempt(url, started)).await {
            Ok(check) => check,
            Err(_) => Check {
                url: url.to_string(),
                status: Status::Timeout,
                http_status: None,
                final_url: None,
                redirects: Vec::new(),
                detail: format!(
                    "no answer within the link's deadline of {:.0} s (every hop, retry and \
                     wait together)",
                    deadline.as_secs_f64()
                ),
                evidence: Evidence::of(format!(
                    "no verdict within the link's deadline ({:.0} s)",
                    deadline.as_secs_f64()
                )),
                elapsed_ms: started.elapsed().as_millis() as u64,
                attempts: 1,
            },
        }
    }

    /// [`Checker::check`] without its deadline.
    async fn attempt(&self, url: &str, started: tokio::time::Instant) -> Check {
        let mut attempts = 0;
        let (hops, outcome) = loop {
            attempts += 1;
            let (hops, outcome) = self.follow(url, true).await;
            let wait = match &outcome {
                Ok((answer, _)) if answer.status == 429 || (500..600).contains(&answer.status) => {
                    match answer
                        .header("retry-after")
                        .and_then(|v| retry_after(v, crate::clock::now()))
                    {
                        Some(w) if w > Duration::from_secs(self.cfg.retry_after_cap) => None,
                        // A wait past the link's deadline would end as a timeout: the
                        // answer as it is decides (a 429 stays a 429 in the evidence).
                        Some(w) if started.elapsed() + w >= self.cfg.link_deadline() => None,
                        Some(w) => Some(w.max(backoff(attempts))),
                        None => Some(backoff(attempts)),
                    }
                }
                Err(Failure::Timeout) => Some(backoff(attempts)),
                Err(Failure::Network(t)) if t.kind.is_transient() => Some(backoff(attempts)),
                _ => None,
            };
            match wait {
                Some(wait) if attempts <= self.cfg.retries => {
                    if let Some(host) = Url::parse(url)
                        .ok()
                        .and_then(|u| u.host_str().map(str::to_string))
                    {
                        self.gates.defer(&host, tokio::time::Instant::now() + wait);
                    }
                    tokio::time::sleep(wait).await;
                }
                _ => break (hops, outcome),
            }
        };
        let (verdict, http_status, final_url) = match &outcome {
            Err(failure) => {
                let (status, detail) = classify_failure(failure, attempts);
                let evidence = Evidence::of(&detail);
                let v = Verdict {
                    status,
                    detail,
                    evidence,
                };
                (v, None, hops.last().map(|h| h.location.clone()))
            }
            Ok((answer, page_url)) => {
                // The probe sits next to the page as cited, so where it lands can be
                // compared with where the citation lands.
                let parsed;
                let cited = if hops.is_empty() {
                    Some(page_url)
                } else {
                    parsed = Url::parse(url).ok();
                    parsed.as_ref()
                };
                let probe = match cited {
                    Some(cited) => self.probe_for(answer, cited).await,
                    None => None,
                };
                let cited_text = self.cited_text(url, answer).await;
                let cited = cited_text.as_deref().map(|text| Cited {
                    text,
                    drift_below: self.cited.as_ref().map_or(0.0, |(_, d)| *d),
                });
                let v = judge_answer(url, &hops, answer, probe.as_ref(), attempts, cited);
                let final_url = (!hops.is_empty()).then(|| answer.url.clone());
                (v, Some(answer.status), final_url)
            }
        };
        Check {
            url: url.to_string(),
            status: verdict.status,
            http_status,
            final_url,
            redirects: hops,
            detail: verdict.detail,
            evidence: verdict.evidence,
            elapsed_ms: started.elapsed().as_millis() as u64,
            attempts,
        }
    }

    /// Judges a public archive's capture of `original` by its original bytes (`raw`, such as
    /// Wayback's `id_` address) with the classifier checks use: the archive's redirects
    /// between captures are read as the page's own, so a capture of a redirect to the home
    /// page is a soft-404 as the live one would be. Once, within the link's deadline.
    pub async fn check_capture(&self, original: &str, raw: &str) -> CaptureCheck {
        let deadline = self.cfg.link_deadline();
        let Ok((hops, outcome)) = tokio::time::timeout(deadline, self.follow(raw, true)).await
        else {
            return CaptureCheck {
                status: Status::Timeout,
                detail: "the archive did not answer in time".into(),
                final_url: None,
                page: None,
            };
        };
        let archived = |u: &str| crate::link::original_of(u).to_string();
        match outcome {
            Err(failure) => {
                let (status, detail) = classify_failure(&failure, 1);
                CaptureCheck {
                    status,
                    detail,
                    final_url: None,
                    page: None,
                }
            }
            Ok((mut answer, at)) => {
                let hops: Vec<Hop> = hops
                    .iter()
                    .map(|h| Hop {
                        url: archived(&h.url),
                        status: h.status,
                        location: archived(&h.location),
                    })
                    .collect();
                answer.url = archived(&answer.url);
                let verdict = judge_answer(original, &hops, &answer, None, 1, None);
                CaptureCheck {
                    status: verdict.status,
                    detail: verdict.detail,
                    final_url: Some(at.to_string()),
                    page: answer.page,
                }
            }
        }
    }

    /// Requests `url` and follows its redirects, recording each hop; the answer comes with
    /// its parsed URL. (Each URL is parsed once: parsing was a tenth of a check's CPU.)
    async fn follow(
        &self,
        url: &str,
        read_body: bool,
    ) -> (Vec<Hop>, Result<(Answer, Url), Failure>) {
        let mut hops = Vec::new();
        let mut current = match Url::parse(url) {
            Ok(parsed) => parsed,
            Err(e) => {
                let failure = Failure::Network(crate::fetch::transport::Transport {
                    kind: crate::fetch::transport::Kind::Other,
                    detail: format!("cannot request {url}: {e}"),
                });
                return (hops, Err(failure));
            }
        };
        let mut seen = HashSet::new();
        loop {
            seen.insert(current.as_str().to_string());
            let reply = match self.request(&current, read_body).await {
                Ok(reply) => reply,
                Err(failure) => return (hops, Err(failure)),
            };
            match reply {
                Reply::Answer(answer) => return (hops, Ok((answer, current))),
                Reply::Redirect(status, location) => {
                    let Some(next) = current
                        .join(location.trim())
                        .ok()
                        .filter(|u| matches!(u.scheme(), "http" | "https"))
                    else {
                        let answer = Answer {
                            status,
                            url: current.to_string(),
                            headers: vec![("location".into(), location)],
                            page: None,
                            data: None,
                        };
                        return (hops, Ok((answer, current)));
                    };
                    hops.push(Hop {
                        url: current.to_string(),
                        status,
                        location: next.to_string(),
                    });
                    if seen.contains(next.as_str()) {
                        return (hops.clone(), Err(Failure::RedirectLoop(hops.len())));
                    }
                    if hops.len() > self.cfg.max_redirects {
                        return (hops, Err(Failure::TooManyRedirects(self.cfg.max_redirects)));
                    }
                    current = next;
                }
            }
        }
    }

    /// One request through the politeness gates: HEAD for documents (then GET if HEAD is
    /// refused or odd), GET otherwise, reading HTML bodies for soft-404 evidence.
    async fn request(&self, parsed: &Url, read_body: bool) -> Result<Reply, Failure> {
        let host = parsed.host_str().unwrap_or_default();
        let path = parsed.path().as_bytes();
        let document = DOCUMENT_EXTENSIONS.iter().any(|ext| {
            path.len() >= ext.len()
                && path[path.len() - ext.len()..].eq_ignore_ascii_case(ext.as_bytes())
        });
        if document {
            let _pass = self.gates.enter(host).await;
            let reply = request::send(
                &self.http,
                Method::HEAD,
                parsed.clone(),
                false,
                0,
                &self.large,
            )
            .await?;
            match &reply {
                Reply::Redirect(..) => return Ok(reply),
                Reply::Answer(a) if (200..300).contains(&a.status) => return Ok(reply),
                // HEAD refused or suspicious: ask again with GET.
                Reply::Answer(_) => {}
            }
        }
        let _pass = self.gates.enter(host).await;
        request::send(
            &self.http,
            Method::GET,
            parsed.clone(),
            // A document's own bytes are never read (not HTML, JSON or XML); an HTML or
            // XML answer in its place is, for what it says (an object store's error).
            read_body,
            self.cfg.max_body,
            &self.large,
        )
        .await
    }

    /// The soft-404 probe for a page that answered 2xx with HTML: a never-existing
    /// sibling of the page as `cited` (a random name in its folder, or a random value of
    /// the query parameter that names the item), made once per place per run.
    async fn probe_for(&self, answer: &Answer, cited: &Url) -> Option<Probe> {
        if !self.cfg.soft404_probe || !(200..300).contains(&answer.status) || answer.page.is_none()
        {
            return None;
        }
        let name = format!("citekeep-probe-{:016x}", rand::random::<u64>());
        let (key, url) = soft404::sibling(cited, &name)?;
        let cell = {
            let mut probes = self.probes.lock().expect("probe cache poisoned");
            probes.entry(key).or_default().clone()
        };
        let probe = cell
            .get_or_init(|| async {
                let (hops, outcome) = self.follow(&url, true).await;
                match outcome {
                    Ok((a, _)) => Probe {
                        status: Some(a.status),
                        final_url: a.url.clone(),
                        redirected: !hops.is_empty(),
                        page: a.page.map(|p| p.without(&name)),
                    },
                    Err(_) => Probe::default(),
                }
            })
            .await;
        Some(probe.clone())
    }
}

/// Checks `urls` (unique link identities) concurrently, calling `each` as results arrive.
/// URLs are interleaved by host so one busy host does not hold the global slots.
///
/// The checks are driven on the runtime's workers, which hand results to the caller's thread
/// in batches (at most `BATCH_WAIT` late): woken once a result, the caller's thread cost a
/// context switch a check on a machine whose cores the checks keep busy.
pub async fn check_all(checker: Arc<Checker>, urls: Vec<String>, mut each: impl FnMut(Check)) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<Check>>();
    let driver = tokio::spawn(async move {
        let concurrency = checker.cfg.concurrency.max(1);
        let mut stream =
            futures_util::stream::iter(interleave_by_host(urls, |u| crate::link::host_of(u)))
                .map(|url| {
                    let checker = checker.clone();
                    // Spawned, so checks (parsing bodies, classifying) run on every worker.
                    tokio::spawn(async move { checker.check(&url).await })
                })
                .buffer_unordered(concurrency * WAITING_PER_SLOT);
        let mut batch = Vec::new();
        let mut oldest = tokio::time::Instant::now();
        loop {
            let next = if batch.is_empty() {
                stream.next().await
            } else {
                match tokio::time::timeout_at(oldest + BATCH_WAIT, stream.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        // The caller has gone only if it panicked; the panic is its to report.
                        let _ = tx.send(std::mem::take(&mut batch));
                        continue;
                    }
                }
            };
            let Some(joined) = next else { break };
            match joined {
                Ok(check) => batch.push(check),
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
            if batch.len() == 1 {
                oldest = tokio::time::Instant::now();
            }
            if batch.len() >= BATCH_MAX {
                let _ = tx.send(std::mem::take(&mut batch));
            }
        }
        if !batch.is_empty() {
            let _ = tx.send(batch);
        }
    });
    while let Some(batch) = rx.recv().await {
        batch.into_iter().for_each(&mut each);
    }
    if let Err(e) = driver.await {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// How long a finished check may wait to be handed over with others.
const BATCH_WAIT: Duration = Duration::from_millis(10);

/// Checks handed over at most at once.
const BATCH_MAX: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    /// TOML's spelling of a float, infinities and NaN included.
    fn toml_float(x: f64) -> String {
        if x.is_nan() {
            "nan".into()
        } else if x.is_infinite() {
            if x > 0.0 { "inf".into() } else { "-inf".into() }
        } else {
            format!("{x:?}")
        }
    }

    proptest::proptest! {
        /// Any numbers in the settings that checks run on: a configuration that parses
        /// builds a working checker (client, politeness gates, deadlines) without a panic;
        /// one that does not is an error naming the file.
        #[test]
        fn any_numbers_parse_or_are_refused_and_what_parses_runs(
            timeout in proptest::prop_oneof![proptest::num::f64::ANY, 0.001f64..=3600.0],
            connect in proptest::prop_oneof![proptest::num::f64::ANY, 0.001f64..=3600.0],
            deadline in proptest::prop_oneof![proptest::num::f64::ANY, 0.001f64..=3600.0],
            concurrency in proptest::prop_oneof![proptest::num::u64::ANY, 1u64..=100_000],
            per_host in proptest::prop_oneof![proptest::num::u64::ANY, 1u64..=100_000],
            interval in proptest::prop_oneof![proptest::num::u64::ANY, 0u64..=600_000],
            drift in proptest::prop_oneof![proptest::num::f64::ANY, 0.0f64..=1.0],
            retries in 0u32..100,
        ) {
            let text = format!(
                "[check]\ntimeout = {}\nconnect_timeout = {}\ndeadline = {}\nconcurrency = {}\n\
                 per_host = {}\nhost_interval = {}\nretries = {retries}\n[archive]\ndrift = {}\n",
                toml_float(timeout), toml_float(connect), toml_float(deadline),
                concurrency % (1 << 63), per_host % (1 << 63), interval % (1 << 63),
                toml_float(drift),
            );
            match crate::config::parse(&text, Path::new("c.toml")) {
                Err(e) => proptest::prop_assert!(e.to_string().starts_with("c.toml"), "{}", e),
                Ok(config) => {
                    let guard = std::sync::Arc::new(crate::fetch::guard::Guard::strict());
                    let checker = Checker::new(&config.check, Path::new("."), guard);
                    proptest::prop_assert!(checker.is_ok());
                    let d = config.check.link_deadline();
                    proptest::prop_assert!(d.as_secs_f64() > 0.0 && d.as_secs_f64() <= crate::config::MAX_SECONDS);
                }
            }
        }
    }
}
