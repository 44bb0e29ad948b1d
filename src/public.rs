//! Public web archives: the captures they hold of a cited URL (the Wayback Machine's CDX
//! API, any Memento TimeMap) and the one to offer readers, verified to show the page: its
//! original bytes, fetched raw (`id_`) through the checker, judged by the same classifier as
//! checks, and compared with our own snapshot.
//!
//! Not yet built (issue 17): recording captures in the history, archive.today and the UK
//! Government Web Archive by default, Save Page Now, and their use in `report` and `fix`.

use std::fmt;

use crate::check::{Checker, Status};

/// One capture a public archive holds of a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capture {
    /// The archive's name (its host).
    pub archive: String,
    /// The address of the capture in the archive (URI-M), as readers open it.
    pub urim: String,
    /// When it was captured, `YYYYMMDDhhmmss` (UTC).
    pub timestamp: String,
    /// The HTTP status the archive recorded, when it says.
    pub status: Option<u16>,
    /// The payload's SHA-1 in base32, when the archive says (the same as a WARC record's
    /// `WARC-Payload-Digest` without its `sha1:`).
    pub digest: Option<String>,
}

/// How an offered copy was shown to hold what was cited.
#[derive(Clone, Debug, PartialEq)]
pub enum Verification {
    /// Its payload digest equals our own snapshot's.
    Identical,
    /// Its text keeps this share of our own snapshot's text.
    Similar(f64),
    /// Its original bytes were judged a real page (not an error, soft-404, consent, login or
    /// parking page), with no copy of ours to compare.
    ContentChecked,
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verification::Identical => write!(f, "identical to our copy"),
            Verification::Similar(s) => write!(f, "similar {:.0}% to our copy", s * 100.0),
            Verification::ContentChecked => write!(f, "content checked"),
        }
    }
}

/// A public copy to offer readers, with how it was verified.
#[derive(Clone, Debug, PartialEq)]
pub struct Verified {
    /// The capture (after a captured redirect, its target's capture).
    pub capture: Capture,
    /// How it was verified.
    pub verification: Verification,
}

/// A capture that was looked at and turned down, with why.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejected {
    /// The capture.
    pub capture: Capture,
    /// Why it does not show the page (the classifier's words).
    pub why: String,
}

/// The Wayback Machine's CDX query for `url`: every capture, JSON with a header row.
pub fn cdx_query(base: &str, url: &str) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("url", url);
    q.append_pair("output", "json");
    q.append_pair("fl", "timestamp,original,statuscode,digest");
    format!(
        "{}/cdx/search/cdx?{}",
        base.trim_end_matches('/'),
        q.finish()
    )
}

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
        if t.len() != 14 || !t.bytes().all(|b| b.is_ascii_digit()) {
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

/// Reads a Memento TimeMap (RFC 7089 link format) into its captures: every link whose
/// `rel` includes `memento`, with its `datetime`.
pub fn parse_timemap(body: &str) -> Vec<Capture> {
    let mut out = Vec::new();
    for entry in split_links(body) {
        let Some((target, params)) = entry.trim().split_once('>') else {
            continue;
        };
        let Some(urim) = target.trim().strip_prefix('<') else {
            continue;
        };
        let mut memento = false;
        let mut when = None;
        for param in params.split(';') {
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
                archive: crate::link::host_of(urim),
                urim: urim.to_string(),
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

/// The capture's original bytes: a Wayback-style URI-M (`…/web/TS/URL`) in raw mode
/// (`…/web/TSid_/URL`); other archives' as they are.
pub fn raw(urim: &str) -> String {
    match wayback_parts(urim) {
        Some((prefix, ts, original)) => format!("{prefix}/web/{ts}id_/{original}"),
        None => urim.to_string(),
    }
}

/// A Wayback-style URI-M's archive prefix, timestamp (without a mode such as `id_`) and
/// original URL.
fn wayback_parts(urim: &str) -> Option<(&str, &str, &str)> {
    let at = urim.find("/web/")?;
    let rest = &urim[at + 5..];
    let (stamp, original) = rest.split_once('/')?;
    let digits = stamp.trim_end_matches(|c: char| !c.is_ascii_digit());
    (digits.len() >= 4 && digits.bytes().all(|b| b.is_ascii_digit())).then_some((
        &urim[..at],
        digits,
        original,
    ))
}

/// The captures worth fetching, best first: those before the link started failing
/// (`failing_since`, a `YYYYMMDDhhmmss` timestamp) whose recorded status is not an error,
/// nearest to when it was cited (`cited_at`), the earlier of two equally near.
pub fn candidates(captures: &[Capture], cited_at: &str, failing_since: &str) -> Vec<Capture> {
    let seconds = |ts: &str| {
        jiff::civil::DateTime::strptime("%Y%m%d%H%M%S", format!("{ts:0<14}"))
            .and_then(|t| jiff::tz::TimeZone::UTC.to_timestamp(t))
            .map_or(0i64, |t| t.as_second())
    };
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

/// The first of `candidates` whose original bytes show the page as cited (`original`),
/// fetched raw through `checker`; compared with our own snapshot where we hold one
/// (`ours`: its payload digest in base32 and its page). Also the captures turned down.
pub async fn verify(
    checker: &Checker,
    original: &str,
    candidates: &[Capture],
    ours: Option<(&str, &crate::page::Page)>,
) -> (Option<Verified>, Vec<Rejected>) {
    let mut rejected = Vec::new();
    for capture in candidates.iter().take(MAX_TRIED) {
        let seen = checker.check_capture(original, &raw(&capture.urim)).await;
        // A captured redirect leads to its target's capture: offer that one.
        let landed = seen
            .final_url
            .as_deref()
            .and_then(wayback_parts)
            .map(|(prefix, ts, url)| Capture {
                archive: capture.archive.clone(),
                urim: format!("{prefix}/web/{ts}/{url}"),
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
        return (
            Some(Verified {
                capture: landed,
                verification,
            }),
            rejected,
        );
    }
    (None, rejected)
}

/// A CDX answer read at most (a URL captured a hundred thousand times).
const MAX_CDX: usize = 16 << 20;

/// The captures the Wayback Machine at `base` holds of `url`, asked through `checker`.
pub async fn wayback_captures(
    checker: &Checker,
    base: &str,
    url: &str,
) -> Result<Vec<Capture>, String> {
    let (status, body) = checker.get_api(&cdx_query(base, url), MAX_CDX).await?;
    if status != 200 {
        return Err(format!("{}: HTTP {status}", crate::link::host_of(base)));
    }
    parse_cdx(base, &body).map_err(|e| format!("{}: {e}", crate::link::host_of(base)))
}

/// The verified public copy of `url` in the Wayback Machine at `base`, if one shows the page:
/// the capture nearest to `cited_at` from before `failing_since` that passes [`verify`].
pub async fn wayback_copy(
    checker: &Checker,
    base: &str,
    url: &str,
    cited_at: &str,
    failing_since: &str,
    ours: Option<(&str, &crate::page::Page)>,
) -> Result<(Option<Verified>, Vec<Rejected>), String> {
    let all = wayback_captures(checker, base, url).await?;
    let tried = candidates(&all, cited_at, failing_since);
    Ok(verify(checker, url, &tried, ours).await)
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
        let got = parse_timemap(body);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].urim, "https://archive.ph/AbCd");
        assert_eq!(got[0].timestamp, "20240102100000");
        assert_eq!(got[1].urim, "https://archive.ph/x,y");
        assert_eq!(got[1].archive, "archive.ph");
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
