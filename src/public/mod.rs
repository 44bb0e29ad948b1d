//! Public web archives: the captures they hold of a cited URL (the Wayback Machine's CDX
//! API; archive.today, the UK Government Web Archive and any other archive through their
//! Memento TimeMaps) and the one to offer readers, verified to show the page: its original
//! bytes, fetched raw (`id_`) where the archive has a raw mode, judged by the same
//! classifier as checks, and compared with our own snapshot. Captures are fetched through a
//! [`Checker`] (the same client, guard, User-Agent and per-host politeness as checks); the
//! lookup APIs are asked through [`crate::fetch::api::Api`], each archive at its own
//! interval.

pub mod lookup;
pub mod save;

use std::time::Duration;

use crate::check::{Checker, Status};
use crate::config::ArchivesConfig;
use crate::link::ARCHIVE_TODAY;

pub use crate::store::{Capture, Verification, Verified};

/// A capture that was looked at and turned down, with why.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejected {
    /// The capture.
    pub capture: Capture,
    /// Why it does not show the page (the classifier's words).
    pub why: String,
}

/// Which of a URL's captures a CDX query asks for (timestamps `YYYYMMDDhhmmss`, inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CdxScope<'a> {
    /// The newest up to a time, from a time when given.
    NewestUpTo(Option<&'a str>, &'a str),
    /// The oldest from a time, up to a time.
    OldestFrom(&'a str, &'a str),
    /// The newest capture the archive answered 200 for.
    Newest,
}

/// Captures one CDX query asks for at most.
pub const CDX_LIMIT: usize = 250;

/// The Wayback Machine's CDX query for `url` within `scope`: JSON with a header row, runs
/// of captures with the same payload collapsed into their first, at most [`CDX_LIMIT`].
pub fn cdx_query(base: &str, url: &str, scope: CdxScope) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("url", url);
    q.append_pair("output", "json");
    q.append_pair("fl", "timestamp,original,statuscode,digest");
    match scope {
        CdxScope::NewestUpTo(from, to) => {
            q.append_pair("collapse", "digest");
            if let Some(from) = from {
                q.append_pair("from", from);
            }
            q.append_pair("to", to);
            q.append_pair("limit", &format!("-{CDX_LIMIT}"));
        }
        CdxScope::OldestFrom(from, to) => {
            q.append_pair("collapse", "digest");
            q.append_pair("from", from);
            q.append_pair("to", to);
            q.append_pair("limit", &CDX_LIMIT.to_string());
        }
        CdxScope::Newest => {
            q.append_pair("filter", "statuscode:200");
            q.append_pair("limit", "-1");
        }
    }
    format!(
        "{}/cdx/search/cdx?{}",
        base.trim_end_matches('/'),
        q.finish()
    )
}

/// How far around the citation the first CDX query looks (a year each way).
const CDX_WINDOW: i64 = 366 * crate::clock::DAY;

/// Reads a CDX JSON answer (a header row naming the fields, then one row per capture) into
/// captures replayed under `base` (`https://web.archive.org`).
pub fn parse_cdx(base: &str, body: &[u8]) -> Result<Vec<Capture>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let rows: Vec<Vec<String>> =
        serde_json::from_slice(body).map_err(|e| format!("not CDX JSON: {e}"))?;
    let Some((header, rows)) = rows.split_first() else {
        return Ok(Vec::new());
    };
    let field = |name: &str| header.iter().position(|f| f == name);
    let (Some(ts), Some(original)) = (field("timestamp"), field("original")) else {
        return Err("the CDX header row names no timestamp or original".into());
    };
    let (status, digest) = (field("statuscode"), field("digest"));
    let archive = crate::link::host_of(base);
    let mut out = Vec::new();
    for row in rows {
        let (Some(t), Some(o)) = (row.get(ts), row.get(original)) else {
            continue;
        };
        let web = o.starts_with("http://") || o.starts_with("https://");
        if !crate::archive::cdxj::is_exact_timestamp(t) || !web {
            continue;
        }
        out.push(Capture {
            archive: archive.clone(),
            urim: format!("{}/web/{t}/{o}", base.trim_end_matches('/')),
            timestamp: t.clone(),
            status: status.and_then(|i| row.get(i)).and_then(|s| s.parse().ok()),
            digest: digest
                .and_then(|i| row.get(i))
                .filter(|d| d.len() == 32)
                .cloned(),
        });
    }
    Ok(out)
}

/// Whether a memento at `urim` is one the archive at `archive` (a host) holds: on its own
/// host (archive.today's mirrors count as one), over http(s), with no user name.
fn on_archive(urim: &str, archive: &str) -> bool {
    let Ok(u) = url::Url::parse(urim) else {
        return false;
    };
    let host = u.host_str().unwrap_or_default().to_ascii_lowercase();
    matches!(u.scheme(), "http" | "https")
        && u.username().is_empty()
        && u.password().is_none()
        && (host == archive
            || (ARCHIVE_TODAY.contains(&host.as_str()) && ARCHIVE_TODAY.contains(&archive)))
}

/// Whether a public copy may be written into a source: its address on its archive's own
/// host, over http(s), with no user name, captured at an exact timestamp.
pub fn is_writable(copy: &crate::store::PublicCopy) -> bool {
    on_archive(&copy.urim, &copy.archive)
        && crate::archive::cdxj::is_exact_timestamp(&copy.captured)
}

/// A memento's address as readers should open it: archive.today's TimeMaps name
/// `http://archive.md/...`, which it serves over https too.
fn https_form(urim: &str) -> String {
    match urim.strip_prefix("http://") {
        Some(rest) if ARCHIVE_TODAY.contains(&crate::link::host_of(urim).as_str()) => {
            format!("https://{rest}")
        }
        _ => urim.to_string(),
    }
}

/// Captures kept from one archive's answer at most, those nearest to when the link was
/// cited (a URL captured a hundred thousand times would otherwise fill the history).
pub const MAX_CAPTURES: usize = 2000;

/// Reads a Memento TimeMap (RFC 7089 link format) of the archive at host `archive` into
/// its captures: every link whose `rel` includes `memento`, with a `datetime` that parses,
/// on the archive's own host (a memento elsewhere is not the archive's to vouch for).
pub fn parse_timemap(body: &str, archive: &str) -> Vec<Capture> {
    let mut out = Vec::new();
    for entry in split_links(body) {
        let Some((target, params)) = entry.trim().split_once('>') else {
            continue;
        };
        let Some(urim) = target.trim().strip_prefix('<') else {
            continue;
        };
        if !on_archive(urim, archive) {
            continue;
        }
        let mut memento = false;
        let mut when = None;
        for param in split_outside_quotes(params, ';') {
            let Some((key, value)) = param.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match key.trim().to_ascii_lowercase().as_str() {
                "rel" => memento = value.split_whitespace().any(|r| r == "memento"),
                "datetime" => when = jiff::fmt::rfc2822::parse(value).ok(),
                _ => {}
            }
        }
        if let (true, Some(when)) = (memento, when) {
            out.push(Capture {
                archive: archive.to_string(),
                urim: https_form(urim),
                timestamp: when
                    .with_time_zone(jiff::tz::TimeZone::UTC)
                    .strftime("%Y%m%d%H%M%S")
                    .to_string(),
                status: None,
                digest: None,
            });
        }
    }
    out
}

/// Splits `s` at each `sep` outside double quotes (a link's `title="a; rel=memento"` is
/// one parameter).
fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let (mut out, mut start, mut quoted) = (Vec::new(), 0, false);
    for (i, c) in s.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            out.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&s[start..]);
    out
}

/// Splits link format at the commas between links (not those inside `<…>` or quotes).
fn split_links(body: &str) -> Vec<&str> {
    let (mut out, mut start, mut angle, mut quoted) = (Vec::new(), 0, false, false);
    for (i, c) in body.char_indices() {
        match c {
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            '"' if !angle => quoted = !quoted,
            ',' if !angle && !quoted => {
                out.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&body[start..]);
    out
}

/// The capture's original bytes: a Wayback-style URI-M (`…/TS/URL`) in raw mode
/// (`…/TSid_/URL`); archive.today's and other archives' as they are.
pub fn raw(urim: &str) -> String {
    let host = crate::link::host_of(urim);
    match crate::link::memento_parts(urim) {
        Some((prefix, ts, original)) if !ARCHIVE_TODAY.contains(&host.as_str()) => {
            format!("{prefix}/{ts}id_/{original}")
        }
        _ => urim.to_string(),
    }
}

/// The captures worth fetching, best first: those before the link started failing
/// (`failing_since`, a `YYYYMMDDhhmmss` timestamp) whose recorded status is not an error,
/// nearest to when it was cited (`cited_at`), the earlier of two equally near.
pub fn candidates(captures: &[Capture], cited_at: &str, failing_since: &str) -> Vec<Capture> {
    let seconds = |ts: &str| crate::archive::cdxj::parse_timestamp(ts).unwrap_or(0);
    let cited = seconds(cited_at);
    let mut keep: Vec<Capture> = captures
        .iter()
        .filter(|c| c.timestamp.as_str() < failing_since)
        .filter(|c| c.status.is_none_or(|s| (200..400).contains(&s)))
        .cloned()
        .collect();
    keep.sort_by_key(|c| {
        let t = seconds(&c.timestamp);
        ((t - cited).abs(), t)
    });
    keep.dedup_by(|a, b| a.urim == b.urim);
    keep
}

/// Captures fetched at most, per link, before saying none shows the page.
pub const MAX_TRIED: usize = 4;

/// Below this share of our own copy's text, a capture is kept only when no nearer one
/// holds more of it (the page may have changed between the two captures).
pub const SIMILAR_ENOUGH: f64 = 0.5;

/// The first of `candidates` whose original bytes show the page as cited (`original`),
/// fetched raw through `checker`; compared with our own snapshot where we hold one
/// (`ours`: its payload digest in base32 and its page), where a capture much unlike ours
/// gives way to a later candidate more like it. Also the captures turned down.
pub async fn verify(
    checker: &Checker,
    original: &str,
    candidates: &[Capture],
    ours: Option<(&str, &crate::page::Page)>,
) -> (Option<Verified>, Vec<Rejected>) {
    let mut rejected = Vec::new();
    let mut best: Option<Verified> = None;
    for capture in candidates.iter().take(MAX_TRIED) {
        let seen = checker.check_capture(original, &raw(&capture.urim)).await;
        // A captured redirect leads to its target's capture: offer that one.
        let landed = seen
            .final_url
            .as_deref()
            .and_then(crate::link::memento_parts)
            .map(|(prefix, ts, url)| Capture {
                archive: capture.archive.clone(),
                urim: format!("{prefix}/{ts}/{url}"),
                timestamp: format!("{ts:0<14}"),
                status: Some(200),
                digest: None,
            })
            .unwrap_or_else(|| capture.clone());
        if !matches!(seen.status, Status::Alive | Status::Moved) {
            rejected.push(Rejected {
                capture: capture.clone(),
                why: format!("{}: {}", seen.status.as_str(), seen.detail),
            });
            continue;
        }
        // A capture that leads off the archive, or to an address that is no capture, is
        // not one to write into a source.
        let off = seen
            .final_url
            .as_deref()
            .filter(|f| !on_archive(f, &capture.archive));
        let no_capture = !crate::archive::cdxj::is_exact_timestamp(&landed.timestamp);
        if off.is_some() || no_capture {
            rejected.push(Rejected {
                capture: capture.clone(),
                why: match off {
                    Some(f) => {
                        format!("redirected off the archive, to {}", crate::link::host_of(f))
                    }
                    None => "not a capture address".to_string(),
                },
            });
            continue;
        }
        let verification = match ours {
            Some((digest, _)) if capture.digest.as_deref() == Some(digest) => {
                Verification::Identical
            }
            Some((_, page)) => match &seen.page {
                Some(theirs) => Verification::Similar(page.similarity(theirs)),
                None => Verification::ContentChecked,
            },
            None => Verification::ContentChecked,
        };
        let found = Verified {
            capture: landed,
            verification,
        };
        match found.verification {
            Verification::Similar(s) if s < SIMILAR_ENOUGH => {
                let better = match &best {
                    Some(Verified {
                        verification: Verification::Similar(b),
                        ..
                    }) => s > *b,
                    _ => true,
                };
                if better {
                    best = Some(found);
                }
            }
            _ => return (Some(found), rejected),
        }
    }
    (best, rejected)
}

/// An API answer read at most (a CDX or TimeMap of a URL captured a hundred thousand
/// times).
const MAX_API: usize = 16 << 20;

/// How an archive is asked for its captures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Api {
    /// A Wayback CDX server at this base (`https://web.archive.org`): statuses and digests.
    Cdx(String),
    /// A Memento TimeMap in link format at this template (`{url}` is the cited URL).
    TimeMap(String),
}

/// One public archive citekeep asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Archive {
    /// Its name in reports (its host).
    pub name: String,
    /// How it is asked.
    pub api: Api,
    /// Whether it only holds UK public-sector sites (asked for those alone).
    pub uk_only: bool,
    /// The least time between two requests to its lookup API.
    pub interval: Duration,
}

/// The Internet Archive's Wayback Machine.
pub const WAYBACK: &str = "https://web.archive.org";
/// archive.today's Memento TimeMap.
pub const ARCHIVE_TODAY_TIMEMAP: &str = "https://archive.ph/timemap/{url}";
/// The UK Government Web Archive's Memento TimeMap.
pub const UKGWA_TIMEMAP: &str =
    "https://webarchive.nationalarchives.gov.uk/ukgwa/timemap/link/{url}";

/// The archives `[archives]` switches on, in the order they are listed in reports.
pub fn archives(cfg: &ArchivesConfig) -> Vec<Archive> {
    let interval = Duration::from_secs_f64(cfg.api_interval);
    let timemap = |template: &str, uk_only, interval| Archive {
        name: crate::link::host_of(&template.replace("{url}", "")),
        api: Api::TimeMap(template.to_string()),
        uk_only,
        interval,
    };
    let mut out = Vec::new();
    if cfg.wayback {
        out.push(Archive {
            name: crate::link::host_of(WAYBACK),
            api: Api::Cdx(WAYBACK.to_string()),
            uk_only: false,
            interval,
        });
    }
    if cfg.archive_today {
        let stricter = Duration::from_secs_f64(cfg.archive_today_interval);
        out.push(timemap(ARCHIVE_TODAY_TIMEMAP, false, stricter));
    }
    if cfg.ukgwa {
        out.push(timemap(UKGWA_TIMEMAP, true, interval));
    }
    out.extend(cfg.timemaps.iter().map(|t| timemap(t, false, interval)));
    out
}

/// Whether `host` is a public web archive's (those configured, and the well-known ones a
/// publisher may move its pages into).
pub fn is_archive_host(host: &str, cfg: &ArchivesConfig) -> bool {
    crate::link::is_web_archive(host) || archives(cfg).iter().any(|a| a.name == host)
}

/// Whether `host` is a UK public-sector site, as the UK Government Web Archive collects.
pub fn is_uk_public_sector(host: &str) -> bool {
    const DOMAINS: &[&str] = &[
        "gov.uk",
        "nhs.uk",
        "parliament.uk",
        "police.uk",
        "mod.uk",
        "gov.scot",
        "gov.wales",
        "llyw.cymru",
    ];
    DOMAINS.iter().any(|d| crate::link::within(host, d))
}

impl Found {
    /// Records this lookup of `link_id` in the history.
    pub fn record(
        &self,
        store: &mut crate::store::Store,
        link_id: i64,
        now: i64,
    ) -> Result<(), crate::Error> {
        let errors: Vec<String> = self.errors.iter().map(|(_, why)| why.clone()).collect();
        let rejected: Vec<crate::store::TurnedDown> = self
            .rejected
            .iter()
            .map(|r| crate::store::TurnedDown {
                urim: r.capture.urim.clone(),
                why: r.why.clone(),
            })
            .collect();
        store.record_lookup(
            link_id,
            now,
            &self.captures,
            (&errors, &rejected),
            self.copy.as_ref(),
        )
    }
}

/// What the archives said about one URL.
#[derive(Clone, Debug, Default)]
pub struct Found {
    /// Every capture found, over all archives asked.
    pub captures: Vec<Capture>,
    /// Archives that could not say (archive name, why).
    pub errors: Vec<(String, String)>,
    /// The copy to offer, when one shows the page.
    pub copy: Option<Verified>,
    /// Captures looked at and turned down.
    pub rejected: Vec<Rejected>,
}

/// The public archives: their APIs asked through one client, their captures judged by
/// one checker.
pub struct Archives {
    checker: Checker,
    api: crate::fetch::api::Api,
    list: Vec<Archive>,
}

impl Archives {
    /// The archives of `list`, their APIs asked through `api` (each held to one request at
    /// a time, its own interval apart), their captures judged by `checker`.
    pub fn new(checker: Checker, api: crate::fetch::api::Api, list: Vec<Archive>) -> Archives {
        for archive in &list {
            api.limit(&archive.name, archive.interval);
        }
        Archives { checker, api, list }
    }

    /// The client the archives' APIs are asked through (Save Page Now uses it too).
    pub fn api(&self) -> &crate::fetch::api::Api {
        &self.api
    }

    /// The checker the archives are asked through (Save Page Now uses it too).
    pub fn checker(&self) -> &Checker {
        &self.checker
    }

    /// The archives that may hold `url`.
    pub fn for_url(&self, url: &str) -> impl Iterator<Item = &Archive> {
        let uk = is_uk_public_sector(&crate::link::host_of(url));
        self.list.iter().filter(move |a| uk || !a.uk_only)
    }

    /// The captures `archive` holds of `url` within `scope` (a TimeMap holds them all; a
    /// Wayback Machine whose CDX API fails is asked for its TimeMap instead).
    pub async fn captures(
        &self,
        archive: &Archive,
        url: &str,
        scope: CdxScope<'_>,
    ) -> Result<Vec<Capture>, String> {
        let answer = self.ask(&archive.api, &archive.name, url, scope).await;
        match (&archive.api, answer) {
            (Api::Cdx(base), Err(why)) => {
                let timemap = Api::TimeMap(format!("{base}/web/timemap/link/{{url}}"));
                self.ask(&timemap, &archive.name, url, scope)
                    .await
                    .map_err(|_| why)
            }
            (_, answer) => answer,
        }
    }

    /// The captures `archive` holds of `url` nearest to when it was cited (`cited_at`): for
    /// a CDX API, the newest in the year before and the oldest in the year after (up to
    /// `failing_since`); a TimeMap's every capture.
    async fn captures_near(
        &self,
        archive: &Archive,
        url: &str,
        cited_at: &str,
        failing_since: &str,
    ) -> Result<Vec<Capture>, String> {
        let cited = crate::archive::cdxj::parse_timestamp(cited_at).unwrap_or(0);
        let year_before = crate::archive::cdxj::timestamp(cited - CDX_WINDOW);
        let year_after =
            crate::archive::cdxj::timestamp(cited + CDX_WINDOW).min(failing_since.to_string());
        let until = cited_at.min(failing_since);
        let before = CdxScope::NewestUpTo(Some(&year_before), until);
        let mut captures = self.captures(archive, url, before).await?;
        if matches!(archive.api, Api::Cdx(_)) && until < failing_since {
            let after = CdxScope::OldestFrom(cited_at, &year_after);
            captures.extend(self.captures(archive, url, after).await?);
        }
        Ok(captures)
    }

    /// Asks one API for the captures of `url`.
    async fn ask(
        &self,
        api: &Api,
        name: &str,
        url: &str,
        scope: CdxScope<'_>,
    ) -> Result<Vec<Capture>, String> {
        let asked = match api {
            Api::Cdx(base) => cdx_query(base, url, scope),
            Api::TimeMap(template) => template.replace("{url}", url),
        };
        let (status, body) = self.api.get(&asked, MAX_API).await?;
        match (api, status) {
            (Api::Cdx(base), 200) => parse_cdx(base, &body).map_err(|e| format!("{}: {e}", name)),
            // A TimeMap of nothing is a 404 (RFC 7089 section 4.3.1).
            (Api::TimeMap(_), 404) => Ok(Vec::new()),
            (Api::TimeMap(_), 200) => {
                let text = String::from_utf8_lossy(&body);
                let captures = parse_timemap(&text, name);
                if captures.is_empty() && !text.contains("rel=") && !text.trim().is_empty() {
                    return Err(format!("{}: the answer is not a TimeMap", name));
                }
                Ok(captures)
            }
            (_, status) => Err(format!("{}: HTTP {status}", name)),
        }
    }

    /// When the Wayback Machine last captured `url` with a 200 answer (`YYYYMMDDhhmmss`),
    /// if it ever did: asked before a page is submitted to Save Page Now.
    pub async fn newest_capture(&self, url: &str) -> Result<Option<String>, String> {
        let wayback = self
            .list
            .iter()
            .find(|a| matches!(a.api, Api::Cdx(_)))
            .cloned()
            .unwrap_or_else(|| Archive {
                name: crate::link::host_of(WAYBACK),
                api: Api::Cdx(WAYBACK.to_string()),
                uk_only: false,
                interval: Duration::ZERO,
            });
        let captures = self.captures(&wayback, url, CdxScope::Newest).await?;
        Ok(captures
            .into_iter()
            .filter(|c| c.status.is_none_or(|s| s == 200))
            .map(|c| c.timestamp)
            .max())
    }

    /// Asks every archive that may hold `url` at once, and verifies the best candidates
    /// over all of them: from before `failing_since`, nearest to `cited_at` (both
    /// `YYYYMMDDhhmmss`), compared with `ours` where we hold a copy.
    pub async fn find(
        &self,
        url: &str,
        cited_at: &str,
        failing_since: &str,
        ours: Option<(&str, &crate::page::Page)>,
    ) -> Found {
        let asked: Vec<&Archive> = self.for_url(url).collect();
        // A CDX API is asked for the captures nearest the citation (a popular URL has tens
        // of thousands): the newest in the year before it and the oldest in the year after
        // (up to when the link failed); for everything before the link failed only when
        // nothing there fits. A TimeMap holds every capture in one answer.
        let cited = crate::archive::cdxj::parse_timestamp(cited_at).unwrap_or(0);
        let answers = futures_util::future::join_all(
            asked
                .iter()
                .map(|a| self.captures_near(a, url, cited_at, failing_since)),
        )
        .await;
        let mut found = Found::default();
        let mut widen = Vec::new();
        for (archive, answer) in asked.into_iter().zip(answers) {
            match answer {
                Ok(captures) => {
                    let fits = !candidates(&captures, cited_at, failing_since).is_empty();
                    if matches!(archive.api, Api::Cdx(_)) && !fits {
                        widen.push(archive);
                    }
                    found.captures.extend(captures)
                }
                Err(why) => found.errors.push((archive.name.clone(), why)),
            }
        }
        for archive in widen {
            let before_failing = CdxScope::NewestUpTo(None, failing_since);
            match self.captures(archive, url, before_failing).await {
                Ok(captures) => found.captures.extend(captures),
                Err(why) => found.errors.push((archive.name.clone(), why)),
            }
        }
        if found.captures.len() > MAX_CAPTURES {
            found.captures.sort_by_key(|c| {
                let t = crate::archive::cdxj::parse_timestamp(&c.timestamp);
                (t.unwrap_or(0) - cited).abs()
            });
            found.captures.truncate(MAX_CAPTURES);
        }
        let tried = candidates(&found.captures, cited_at, failing_since);
        let (copy, rejected) = verify(&self.checker, url, &tried, ours).await;
        found.copy = copy;
        found.rejected = rejected;
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdx_rows_become_captures_by_their_header() {
        let body = br#"[["timestamp","original","statuscode","digest"],
            ["20240105120000","https://www.gov.uk/a","200","ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"],
            ["20250105120000","https://www.gov.uk/a","404","-"],
            ["garbage","https://www.gov.uk/a","200","-"]]"#;
        let got = parse_cdx("https://web.archive.org", body).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].urim,
            "https://web.archive.org/web/20240105120000/https://www.gov.uk/a"
        );
        assert_eq!(got[0].status, Some(200));
        assert_eq!(
            got[0].digest.as_deref(),
            Some("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        );
        assert_eq!((got[1].status, got[1].digest.as_deref()), (Some(404), None));
        assert_eq!(parse_cdx("https://web.archive.org", b"").unwrap(), vec![]);
        assert!(parse_cdx("https://web.archive.org", b"<html>").is_err());
    }

    #[test]
    fn timemaps_give_their_mementos() {
        let body = r#"<https://www.gov.uk/a>; rel="original",
<https://archive.ph/timemap/https://www.gov.uk/a>; rel="self"; type="application/link-format",
<https://archive.ph/AbCd>; rel="first memento"; datetime="Tue, 02 Jan 2024 10:00:00 GMT",
<https://archive.ph/x,y>; rel="memento"; datetime="Wed, 03 Jan 2024 11:30:05 GMT""#;
        let got = parse_timemap(body, "archive.ph");
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].urim, "https://archive.ph/AbCd");
        assert_eq!(got[0].timestamp, "20240102100000");
        assert_eq!(got[1].urim, "https://archive.ph/x,y");
        assert_eq!(got[1].archive, "archive.ph");
    }

    /// The third attack: a TimeMap that names mementos on other hosts, one whose title
    /// holds `; rel=memento`, one with no date that parses, or one with a user name in it,
    /// gave addresses that `fix` wrote into sources. Only the archive's own mementos count.
    #[test]
    fn a_lying_timemap_gives_only_the_archives_own_mementos() {
        let body = r#"<https://evil.example/web/20240102100000/https://www.gov.uk/a>; rel="memento"; datetime="Tue, 02 Jan 2024 10:00:00 GMT",
<https://archive.ph/Title>; rel="original"; title="x; rel=memento; datetime="Tue, 02 Jan 2024 10:00:00 GMT"",
<https://archive.ph/NoDate>; rel="memento"; datetime="yesterday",
<https://user@archive.ph/Cred>; rel="memento"; datetime="Tue, 02 Jan 2024 10:00:00 GMT",
<javascript:alert(1)>; rel="memento"; datetime="Tue, 02 Jan 2024 10:00:00 GMT",
<http://archive.md/Mirror>; rel="memento"; datetime="Wed, 03 Jan 2024 11:30:05 GMT""#;
        let got = parse_timemap(body, "archive.ph");
        let urims: Vec<&str> = got.iter().map(|c| c.urim.as_str()).collect();
        // archive.today's http addresses are written in their https form.
        assert_eq!(urims, ["https://archive.md/Mirror"]);
        assert_eq!(got[0].archive, "archive.ph");
        let cdx = br#"[["timestamp","original","statuscode","digest"],
["20240102100000","javascript:alert(1)","200","-"],
["20241399999999","https://www.gov.uk/a","200","-"],
["20240102100000","https://www.gov.uk/a","200","-"]]"#;
        let got = parse_cdx("https://web.archive.org", cdx).unwrap();
        let urims: Vec<&str> = got.iter().map(|c| c.urim.as_str()).collect();
        assert_eq!(
            urims,
            ["https://web.archive.org/web/20240102100000/https://www.gov.uk/a"]
        );
    }

    /// Issue 28: every archive's API was held to one interval; archive.today is stricter.
    #[test]
    fn each_archive_has_its_own_interval() {
        let cfg = ArchivesConfig {
            timemaps: vec!["https://arquivo.pt/wayback/timemap/link/{url}".into()],
            ..ArchivesConfig::default()
        };
        let got: Vec<(String, f64)> = archives(&cfg)
            .into_iter()
            .map(|a| (a.name, a.interval.as_secs_f64()))
            .collect();
        assert_eq!(
            got,
            [
                ("web.archive.org".to_string(), 2.5),
                ("archive.ph".to_string(), 10.0),
                ("webarchive.nationalarchives.gov.uk".to_string(), 2.5),
                ("arquivo.pt".to_string(), 2.5),
            ]
        );
    }

    #[test]
    fn cdx_queries_ask_for_the_captures_near_the_citation() {
        let q = cdx_query(
            WAYBACK,
            "https://x.org/a",
            CdxScope::NewestUpTo(Some("20231101000000"), "20241101000000"),
        );
        assert!(
            q.ends_with("&collapse=digest&from=20231101000000&to=20241101000000&limit=-250"),
            "{q}"
        );
        let q = cdx_query(WAYBACK, "https://x.org/a", CdxScope::Newest);
        assert!(q.ends_with("&filter=statuscode%3A200&limit=-1"), "{q}");
    }

    #[test]
    fn raw_mode_and_candidates() {
        assert_eq!(
            raw("https://web.archive.org/web/20240105120000/https://x.org/a?b=1"),
            "https://web.archive.org/web/20240105120000id_/https://x.org/a?b=1"
        );
        assert_eq!(raw("https://archive.ph/AbCd"), "https://archive.ph/AbCd");
        let at = |ts: &str, status| Capture {
            archive: "web.archive.org".into(),
            urim: format!("https://web.archive.org/web/{ts}/https://x.org/a"),
            timestamp: ts.into(),
            status,
            digest: None,
        };
        let all = [
            at("20230101000000", Some(200)),
            at("20240301000000", Some(404)),
            at("20240201000000", Some(301)),
            at("20240110000000", None),
            at("20250101000000", Some(200)),
        ];
        let got: Vec<String> = candidates(&all, "20240115000000", "20241201000000")
            .into_iter()
            .map(|c| c.timestamp)
            .collect();
        assert_eq!(got, ["20240110000000", "20240201000000", "20230101000000"]);
    }
}
