//! Save Page Now 2: asking the Wayback Machine to capture a live page, so a public copy
//! exists before the page rots. A job is submitted (`POST /save`, `Authorization: LOW
//! key:secret`), then its status polled (`GET /save/status/JOB`) until it succeeds, fails,
//! or the run's patience ends (the job is polled again next run). Within the archive's
//! limits: a few jobs at once, submissions through the API gate, and on a rate limit or the
//! daily quota no more submissions until the next run.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::StreamExt;
use serde::Deserialize;

use super::{Capture, WAYBACK};
use crate::fetch::api::Api;

/// Save Page Now's credentials (an archive.org account's S3-like keys), from the
/// environment only: never printed, never stored.
#[derive(Clone)]
pub struct Credentials {
    access: String,
    secret: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(..)")
    }
}

/// The environment variables holding the access key and secret.
pub const ENV: [&str; 2] = ["CITEKEEP_IA_ACCESS", "CITEKEEP_IA_SECRET"];

impl Credentials {
    /// The keys in `CITEKEEP_IA_ACCESS` and `CITEKEEP_IA_SECRET`, when both are set.
    pub fn from_env() -> Option<Credentials> {
        let get = |k| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Some(Credentials {
            access: get(ENV[0])?,
            secret: get(ENV[1])?,
        })
    }

    fn header(&self) -> String {
        format!("LOW {}:{}", self.access.trim(), self.secret.trim())
    }
}

pub use crate::store::SaveRequest as Request;

/// What became of one save request in this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The archive captured the page: this capture.
    Saved(Capture),
    /// Submitted; not finished within the run's patience (polled again next run).
    Pending(String),
    /// Not submitted now (limits, or a passing failure): asked again next run.
    Later(Option<String>),
    /// The archive refused the page for good (`error:blocked-url`...), with its words.
    Failed(String),
}

/// How a run's saves went as a whole.
#[derive(Debug, Default)]
pub struct Stopped(Mutex<Option<String>>);

impl Stopped {
    fn stop(&self, why: String) {
        let mut s = self.0.lock().expect("poisoned");
        s.get_or_insert(why);
    }

    fn is_set(&self) -> bool {
        self.0.lock().expect("poisoned").is_some()
    }

    /// Why submitting stopped for this run (a rate limit, the daily quota, refused
    /// credentials), if it did.
    pub fn reason(&self) -> Option<String> {
        self.0.lock().expect("poisoned").clone()
    }
}

/// How long to wait for jobs.
#[derive(Clone, Copy, Debug)]
pub struct Patience {
    /// Between two polls of a job.
    pub poll: Duration,
    /// For one job in all.
    pub wait: Duration,
}

/// An answer of the save or status API.
#[derive(Debug, Default, Deserialize)]
struct Answer {
    #[serde(default)]
    job_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    status_ext: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
}

/// Errors that mean the page will never be saved: reported, not asked again.
const FINAL_ERRORS: &[&str] = &[
    "error:blocked-url",
    "error:blocked",
    "error:invalid-url",
    "error:invalid-host-resolution",
    "error:not-found",
    "error:no-access",
    "error:method-not-allowed",
    "error:filesize-limit",
    "error:too-many-redirects",
];

/// Errors that mean no more submissions this run.
const QUOTA_ERRORS: &[&str] = &[
    "error:too-many-daily-captures",
    "error:user-session-limit",
    "error:too-many-requests",
];

const MAX_ANSWER: usize = 64 * 1024;

/// Submits or polls every request, `jobs` at once, through `api` (each finished one
/// told to `each` with how many are done); each outcome with its request, and why
/// submitting stopped.
pub async fn save_all(
    api: &Api,
    credentials: &Credentials,
    requests: Vec<Request>,
    (jobs, patience): (usize, Patience),
    mut each: impl FnMut(usize),
) -> (Vec<(Request, Outcome)>, Option<String>) {
    let stopped = Stopped::default();
    let mut outcomes = Vec::with_capacity(requests.len());
    let mut running = futures_util::stream::iter(requests)
        .map(|r| {
            let stopped = &stopped;
            async move {
                let outcome = save_one(api, credentials, &r, patience, stopped).await;
                (r, outcome)
            }
        })
        .buffer_unordered(jobs.max(1));
    while let Some(done) = running.next().await {
        outcomes.push(done);
        each(outcomes.len());
    }
    drop(running);
    (outcomes, stopped.reason())
}

async fn save_one(
    api: &Api,
    credentials: &Credentials,
    request: &Request,
    patience: Patience,
    stopped: &Stopped,
) -> Outcome {
    let auth = credentials.header();
    let headers = [
        ("Accept", "application/json"),
        ("Authorization", auth.as_str()),
    ];
    let job = match &request.job_id {
        Some(job) => job.clone(),
        None => {
            if stopped.is_set() {
                return Outcome::Later(None);
            }
            let form = [("url", request.url.as_str()), ("skip_first_archive", "1")];
            let asked = api
                .call(
                    &format!("{WAYBACK}/save"),
                    Some(&form),
                    &headers,
                    MAX_ANSWER,
                )
                .await;
            match asked {
                Err(why) => return Outcome::Later(Some(why)),
                Ok((401 | 403, _)) => {
                    stopped.stop(
                        "Save Page Now refused the credentials (HTTP 401): check \
                         CITEKEEP_IA_ACCESS and CITEKEEP_IA_SECRET"
                            .to_string(),
                    );
                    return Outcome::Later(None);
                }
                Ok((429, _)) => {
                    stopped.stop("Save Page Now asked to slow down (HTTP 429)".to_string());
                    return Outcome::Later(None);
                }
                Ok((status, body)) => {
                    let answer: Answer = serde_json::from_slice(&body).unwrap_or_default();
                    match answer.job_id {
                        Some(job) if status == 200 => job,
                        _ => return failure(&answer, status, stopped),
                    }
                }
            }
        }
    };
    let started = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(patience.poll).await;
        let asked = api
            .call(
                &format!("{WAYBACK}/save/status/{job}"),
                None,
                &headers,
                MAX_ANSWER,
            )
            .await;
        let answer = match asked {
            Ok((200, body)) => serde_json::from_slice::<Answer>(&body).unwrap_or_default(),
            Ok((status, body)) => {
                let answer: Answer = serde_json::from_slice(&body).unwrap_or_default();
                return match failure(&answer, status, stopped) {
                    Outcome::Later(why) if request.job_id.is_none() => {
                        Outcome::Later(why.or(Some(format!("job {job}: HTTP {status}"))))
                    }
                    other => other,
                };
            }
            Err(_) if started.elapsed() < patience.wait => continue,
            Err(_) => return Outcome::Pending(job),
        };
        match answer.status.as_deref() {
            Some("success") => {
                let Some(ts) = answer.timestamp else {
                    return Outcome::Later(Some(format!("job {job}: success without a timestamp")));
                };
                // Only a real timestamp and the page asked for become an address written
                // into sources (an answer's own strings are not trusted).
                if !crate::archive::cdxj::is_exact_timestamp(&ts) {
                    return Outcome::Later(Some(format!(
                        "job {job}: success with a timestamp that is not one"
                    )));
                }
                // The archive matches its captures by SURT: the page we asked it to save is
                // the address to write, whatever original the answer names.
                let original = &request.url;
                return Outcome::Saved(Capture {
                    archive: crate::link::host_of(WAYBACK),
                    urim: format!("{WAYBACK}/web/{ts}/{original}"),
                    timestamp: ts,
                    status: Some(200),
                    digest: None,
                });
            }
            Some("error") => return failure(&answer, 200, stopped),
            _ if started.elapsed() >= patience.wait => return Outcome::Pending(job),
            _ => {}
        }
    }
}

/// What an error answer means: the page refused for good, the quota reached (stop), or a
/// passing failure.
fn failure(answer: &Answer, status: u16, stopped: &Stopped) -> Outcome {
    let ext = answer.status_ext.as_deref().unwrap_or_default();
    let said = match (&answer.message, ext) {
        (Some(m), "") => m.clone(),
        (Some(m), ext) => format!("{ext}: {m}"),
        (None, "") => format!("HTTP {status}"),
        (None, ext) => ext.to_string(),
    };
    if QUOTA_ERRORS.contains(&ext) {
        stopped.stop(format!("Save Page Now: {said}"));
        Outcome::Later(None)
    } else if FINAL_ERRORS.contains(&ext) {
        Outcome::Failed(said)
    } else {
        Outcome::Later(Some(said))
    }
}
