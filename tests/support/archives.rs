//! The simulated public archives, with their real formats: the Wayback Machine (CDX JSON
//! with a header row, link-format TimeMaps, replay with Memento headers, `id_` raw replay,
//! Save Page Now 2 jobs and their status), archive.today (TimeMap, mementos) and the UK
//! Government Web Archive (TimeMap, `id_` replay). Each archive answers every endpoint from
//! one table of captures, which the captures Save Page Now makes join, so every endpoint
//! agrees. URLs match as the archives' SURT keys do: scheme, `www.` and case of the host,
//! and query order do not matter.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sha1::Digest;

use super::web::{Asked, Behave};

/// Which archive holds a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// web.archive.org
    Wayback,
    /// archive.ph
    Today,
    /// webarchive.nationalarchives.gov.uk
    Ukgwa,
}

impl Arch {
    fn host(self) -> &'static str {
        match self {
            Arch::Wayback => "web.archive.org",
            Arch::Today => "archive.ph",
            Arch::Ukgwa => "webarchive.nationalarchives.gov.uk",
        }
    }

    /// The replay prefix before the timestamp.
    fn prefix(self) -> String {
        match self {
            Arch::Wayback => "https://web.archive.org/web".into(),
            Arch::Today => "https://archive.ph".into(),
            Arch::Ukgwa => "https://webarchive.nationalarchives.gov.uk/ukgwa".into(),
        }
    }
}

/// What a capture holds.
#[derive(Clone, Debug)]
pub enum Held {
    /// A page (200) with this title and text, as [`Behave::html`] makes it.
    Page(String, String),
    /// An error status with a short body.
    Error(u16),
    /// A redirect (this status) to another URL, captured a second later.
    Redirect(u16, String),
}

/// One capture.
#[derive(Clone, Debug)]
pub struct Snap {
    /// The archive.
    pub arch: Arch,
    /// The URL as captured.
    pub url: String,
    /// When, `YYYYMMDDhhmmss`.
    pub ts: String,
    /// What it holds.
    pub held: Held,
}

/// A capture of a page.
pub fn page(arch: Arch, url: &str, ts: &str, title: &str, text: &str) -> Snap {
    Snap {
        arch,
        url: url.into(),
        ts: ts.into(),
        held: Held::Page(title.into(), text.into()),
    }
}

/// A capture of an error.
pub fn error(arch: Arch, url: &str, ts: &str, status: u16) -> Snap {
    Snap {
        arch,
        url: url.into(),
        ts: ts.into(),
        held: Held::Error(status),
    }
}

/// A capture of a redirect to `to` (whose capture, a second later, must be in the table).
pub fn redirect(arch: Arch, url: &str, ts: &str, to: &str) -> Snap {
    Snap {
        arch,
        url: url.into(),
        ts: ts.into(),
        held: Held::Redirect(301, to.into()),
    }
}

/// The SURT-like key archives match URLs by.
pub fn key(url: &str) -> String {
    let Ok(u) = url::Url::parse(url) else {
        return url.to_string();
    };
    let host = u.host_str().unwrap_or_default().to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    let mut query: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    query.sort();
    let path = u.path().trim_end_matches('/');
    format!("{host}{path}?{query:?}")
}

fn body_of(held: &Held) -> Behave {
    match held {
        Held::Page(title, text) => Behave::html(title, text),
        Held::Error(status) => Behave::status(*status, &[], "<h1>Not Found</h1>"),
        Held::Redirect(..) => Behave::status(200, &[], ""),
    }
}

/// A 14-digit timestamp as an HTTP date (Memento-Datetime, TimeMap datetimes).
fn http_date(ts: &str) -> String {
    jiff::tz::TimeZone::UTC
        .to_timestamp(jiff::civil::DateTime::strptime("%Y%m%d%H%M%S", ts).unwrap())
        .unwrap()
        .strftime("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// The payload's SHA-1 in base32, as CDX and WARC give it.
pub fn digest(held: &Held) -> String {
    let bytes = match body_of(held) {
        Behave::Page(_, _, body) => body.into_bytes(),
        _ => Vec::new(),
    };
    data_encoding::BASE32.encode(&sha1::Sha1::digest(&bytes))
}

/// Save Page Now's state.
#[derive(Debug, Default)]
struct Spn {
    jobs: HashMap<String, (String, usize)>,
    saves: usize,
    submitted: Vec<String>,
}

/// The archives; clone freely (they share their tables).
#[derive(Clone, Default)]
pub struct SimArchives {
    /// The captures by the key of their URL.
    snaps: Arc<Mutex<HashMap<String, Vec<Snap>>>>,
    spn: Arc<Mutex<Spn>>,
    /// Rows each CDX answer held, in order.
    cdx_rows: Arc<Mutex<Vec<usize>>>,
    /// archive.today answers a TimeMap's first request with 429 (`Retry-After: 1`).
    pub today_busy_first: bool,
    /// Save Page Now captures this many pages a day, then says so.
    pub daily_limit: Option<usize>,
    /// The credentials Save Page Now accepts (`LOW key:secret`).
    pub key: String,
    /// Polls of a job answered "pending" before it succeeds.
    pub pending_polls: usize,
}

impl SimArchives {
    /// Archives holding `snaps`.
    pub fn new(snaps: Vec<Snap>) -> SimArchives {
        let mut by_key: HashMap<String, Vec<Snap>> = HashMap::new();
        for s in snaps {
            by_key.entry(key(&s.url)).or_default().push(s);
        }
        SimArchives {
            snaps: Arc::new(Mutex::new(by_key)),
            key: "LOW test-access:test-secret".into(),
            pending_polls: 1,
            ..SimArchives::default()
        }
    }

    /// Every capture now (those Save Page Now made included).
    pub fn snaps(&self) -> Vec<Snap> {
        self.snaps
            .lock()
            .unwrap()
            .values()
            .flatten()
            .cloned()
            .collect()
    }

    /// Every URL submitted to Save Page Now (with the right credentials), in order.
    pub fn submitted(&self) -> Vec<String> {
        self.spn.lock().unwrap().submitted.clone()
    }

    /// How many rows each CDX answer so far held.
    pub fn cdx_answers(&self) -> Vec<usize> {
        self.cdx_rows.lock().unwrap().clone()
    }

    /// Whether `host` is one of the archives.
    pub fn serves(host: &str) -> bool {
        [Arch::Wayback, Arch::Today, Arch::Ukgwa]
            .iter()
            .any(|a| a.host() == host)
    }

    /// The answer to a request for one of the archives' hosts.
    pub fn answer(&self, asked: &Asked) -> Behave {
        let path = asked.path.as_str();
        match asked.host.as_str() {
            "web.archive.org" => {
                if let Some(q) = path.strip_prefix("/cdx/search/cdx?") {
                    self.cdx(q)
                } else if let Some(u) = path.strip_prefix("/web/timemap/link/") {
                    self.timemap(Arch::Wayback, u)
                } else if path == "/save" && asked.method == "POST" {
                    self.save(asked)
                } else if let Some(job) = path.strip_prefix("/save/status/") {
                    self.status(asked, job)
                } else if let Some(rest) = path.strip_prefix("/web/") {
                    self.replay(Arch::Wayback, rest)
                } else {
                    Behave::status(404, &[], "no such page")
                }
            }
            "archive.ph" => {
                if let Some(u) = path.strip_prefix("/timemap/") {
                    if self.today_busy_first && asked.earlier == 0 {
                        return Behave::status(429, &[("retry-after", "1")], "slow down");
                    }
                    self.timemap(Arch::Today, u)
                } else {
                    self.replay(Arch::Today, path.trim_start_matches('/'))
                }
            }
            "webarchive.nationalarchives.gov.uk" => {
                if let Some(u) = path.strip_prefix("/ukgwa/timemap/link/") {
                    self.timemap(Arch::Ukgwa, u)
                } else if let Some(rest) = path.strip_prefix("/ukgwa/") {
                    self.replay(Arch::Ukgwa, rest)
                } else {
                    Behave::status(404, &[], "no such page")
                }
            }
            _ => Behave::status(404, &[], "no such page"),
        }
    }

    fn matching(&self, arch: Arch, url: &str) -> Vec<Snap> {
        let mut out: Vec<Snap> = self
            .snaps
            .lock()
            .unwrap()
            .get(&key(url))
            .into_iter()
            .flatten()
            .filter(|s| s.arch == arch)
            .cloned()
            .collect();
        out.sort_by(|a, b| a.ts.cmp(&b.ts));
        out
    }

    fn cdx(&self, query: &str) -> Behave {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let Some(url) = get("url") else {
            return Behave::status(400, &[], "url is required");
        };
        assert_eq!(get("output").as_deref(), Some("json"), "{query}");
        // As the Wayback CDX server reads them: `from`/`to` padded to 14 digits (inclusive),
        // `filter=statuscode:N`, `collapse=digest` (adjacent rows with one payload become
        // their first), `limit=N` (the first N) or `limit=-N` (the last N).
        let from = get("from").map(|t| format!("{t:0<14}"));
        let to = get("to").map(|t| format!("{t:9<14}"));
        let status_only: Option<u16> =
            get("filter").and_then(|f| f.strip_prefix("statuscode:").and_then(|c| c.parse().ok()));
        let collapse = get("collapse").as_deref() == Some("digest");
        let limit: Option<i64> = get("limit").and_then(|l| l.parse().ok());
        let mut picked: Vec<(Snap, u16, String)> = Vec::new();
        for s in self.matching(Arch::Wayback, &url) {
            let status = match &s.held {
                Held::Page(..) => 200,
                Held::Error(code) => *code,
                Held::Redirect(code, _) => *code,
            };
            let d = digest(&s.held);
            if from.as_ref().is_some_and(|f| s.ts < *f)
                || to.as_ref().is_some_and(|t| s.ts > *t)
                || status_only.is_some_and(|want| want != status)
                || (collapse && picked.last().is_some_and(|(_, _, last)| *last == d))
            {
                continue;
            }
            picked.push((s, status, d));
        }
        match limit {
            Some(n) if n >= 0 => picked.truncate(n as usize),
            Some(n) => {
                let keep = picked.len().saturating_sub(n.unsigned_abs() as usize);
                picked.drain(..keep);
            }
            None => {}
        }
        self.cdx_rows.lock().unwrap().push(picked.len());
        let mut rows =
            vec![r#"["timestamp","original","statuscode","digest","mimetype"]"#.to_string()];
        for (s, status, d) in picked {
            rows.push(format!(
                r#"["{}","{}","{status}","{d}","text/html"]"#,
                s.ts, s.url
            ));
        }
        let body = if rows.len() == 1 {
            "[]".to_string()
        } else {
            format!("[{}]", rows.join(",\n"))
        };
        Behave::status(200, &[("content-type", "application/json")], &body)
    }

    fn timemap(&self, arch: Arch, url: &str) -> Behave {
        let snaps = self.matching(arch, url);
        if snaps.is_empty() {
            return Behave::status(404, &[], "no captures");
        }
        let mut lines = vec![format!("<{url}>; rel=\"original\"")];
        for s in &snaps {
            let when = http_date(&s.ts);
            lines.push(format!(
                "<{}/{}/{}>; rel=\"memento\"; datetime=\"{when}\"",
                arch.prefix(),
                s.ts,
                s.url
            ));
        }
        Behave::status(
            200,
            &[("content-type", "application/link-format")],
            &lines.join(",\n"),
        )
    }

    /// `TS[mode]/URL`: the capture at TS, or a redirect to the nearest one.
    fn replay(&self, arch: Arch, rest: &str) -> Behave {
        let Some((stamp, url)) = rest.split_once('/') else {
            return Behave::status(404, &[], "no such page");
        };
        let raw = stamp.ends_with("id_");
        let ts = stamp.trim_end_matches(|c: char| !c.is_ascii_digit());
        let snaps = self.matching(arch, url);
        let Some(nearest) = snaps.iter().min_by_key(|s| {
            (s.ts.parse::<i64>().unwrap_or(0) - ts.parse::<i64>().unwrap_or(0)).abs()
        }) else {
            return Behave::status(404, &[], "Wayback Machine has not archived that URL.");
        };
        let mode = if raw && arch != Arch::Today {
            "id_"
        } else {
            ""
        };
        if nearest.ts != ts {
            return Behave::Redirect(
                302,
                format!("{}/{}{mode}/{}", arch.prefix(), nearest.ts, nearest.url),
            );
        }
        match &nearest.held {
            Held::Redirect(code, to) => {
                let next = (ts.parse::<i64>().unwrap_or(0) + 1).to_string();
                Behave::Redirect(*code, format!("{}/{next}{mode}/{to}", arch.prefix()))
            }
            held => {
                let mut answer = body_of(held);
                if let Behave::Page(_, headers, _) = &mut answer {
                    headers.push(("memento-datetime", http_date(&nearest.ts)));
                    headers.push(("link", format!("<{}>; rel=\"original\"", nearest.url)));
                }
                answer
            }
        }
    }

    fn save(&self, asked: &Asked) -> Behave {
        let json =
            |code, body: &str| Behave::status(code, &[("content-type", "application/json")], body);
        if asked.authorization != self.key {
            return json(
                401,
                r#"{"message":"You need to be logged in to use Save Page Now."}"#,
            );
        }
        let url = url::form_urlencoded::parse(asked.body.as_bytes())
            .find(|(k, _)| k == "url")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        let mut spn = self.spn.lock().unwrap();
        spn.submitted.push(url.clone());
        if url.contains("blocked") {
            return json(
                200,
                r#"{"status":"error","status_ext":"error:blocked-url","message":"This URL is in the Save Page Now service block list."}"#,
            );
        }
        if self.daily_limit.is_some_and(|limit| spn.saves >= limit) {
            return json(
                200,
                r#"{"status":"error","status_ext":"error:too-many-daily-captures","message":"This URL has been captured 10 times today."}"#,
            );
        }
        spn.saves += 1;
        let job = format!("spn2-{:040}", spn.saves);
        spn.jobs.insert(job.clone(), (url.clone(), 0));
        json(200, &format!(r#"{{"url":"{url}","job_id":"{job}"}}"#))
    }

    fn status(&self, asked: &Asked, job: &str) -> Behave {
        let json = |body: &str| Behave::status(200, &[("content-type", "application/json")], body);
        if asked.authorization != self.key {
            return Behave::status(401, &[("content-type", "application/json")], "{}");
        }
        let mut spn = self.spn.lock().unwrap();
        let Some((url, polls)) = spn.jobs.get_mut(job) else {
            return json(
                r#"{"status":"error","status_ext":"error:not-found","message":"no such job"}"#,
            );
        };
        *polls += 1;
        if *polls <= self.pending_polls {
            return json(&format!(r#"{{"status":"pending","job_id":"{job}"}}"#));
        }
        let url = url.clone();
        let ts = format!("2026112903{:04}", spn.saves);
        drop(spn);
        let mut snaps = self.snaps.lock().unwrap();
        let same = snaps.entry(key(&url)).or_default();
        if !same.iter().any(|s| s.arch == Arch::Wayback && s.ts == ts) {
            same.push(page(
                Arch::Wayback,
                &url,
                &ts,
                "Saved",
                &format!("The page at {url} as saved."),
            ));
        }
        json(&format!(
            r#"{{"status":"success","job_id":"{job}","original_url":"{url}","timestamp":"{ts}","duration_sec":1.5}}"#
        ))
    }
}
