//! Turning what a server answered (or did not) into one of the statuses of DESIGN.md, with a
//! detail in words. Pure functions of the evidence, so every rule is tested on its own.

use serde::Serialize;
use url::Url;

use crate::page::Page;

/// The status of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 2xx with real content (trivial redirects allowed).
    Alive,
    /// A permanent redirect to a different page that is alive.
    Moved,
    /// Looks alive but is not: a redirect to the home page, an error page, or an answer like
    /// a never-existing path's.
    Soft404,
    /// 404 or 410.
    Gone,
    /// A bot wall, paywall, login wall, or 401/403/429/999: we cannot tell; not rot.
    Blocked,
    /// 5xx after retries.
    ServerError,
    /// No answer in time after retries.
    Timeout,
    /// DNS failure, refused or reset connection, TLS failure.
    NetworkError,
    /// The URL itself is malformed.
    Invalid,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 9] = [
        Status::Alive,
        Status::Moved,
        Status::Soft404,
        Status::Gone,
        Status::Blocked,
        Status::ServerError,
        Status::Timeout,
        Status::NetworkError,
        Status::Invalid,
    ];

    /// The snake_case name used in output and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Alive => "alive",
            Status::Moved => "moved",
            Status::Soft404 => "soft404",
            Status::Gone => "gone",
            Status::Blocked => "blocked",
            Status::ServerError => "server_error",
            Status::Timeout => "timeout",
            Status::NetworkError => "network_error",
            Status::Invalid => "invalid",
        }
    }

    /// Whether the answer (or its absence) says the cited page is not there for readers.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Status::Soft404
                | Status::Gone
                | Status::ServerError
                | Status::Timeout
                | Status::NetworkError
        )
    }

    /// Failures that happen below HTTP: the ones a dead local network also produces.
    pub fn is_network_level(self) -> bool {
        matches!(self, Status::Timeout | Status::NetworkError)
    }
}

/// One redirect: the URL requested, its status, and where it pointed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Hop {
    /// The URL requested.
    pub url: String,
    /// The redirect status (301, 302, 303, 307, 308).
    pub status: u16,
    /// The `Location` it gave, resolved against `url`.
    pub location: String,
}

/// What the last request of a chain received.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The URL that gave it.
    pub url: String,
    /// Response headers that matter for classification, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The page, when the body was read and is HTML.
    pub page: Option<Page>,
}

impl Answer {
    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why no answer came.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Nothing within the timeout.
    Timeout,
    /// Below HTTP: DNS, refused, reset, TLS, a proxy that could not connect, an address the
    /// guard refused (by kind, with words).
    Network(crate::fetch::transport::Transport),
    /// Redirects that come back to a URL already visited.
    RedirectLoop(usize),
    /// More redirects than allowed.
    TooManyRedirects(usize),
}

/// Evidence from a random never-existing path next to the page (see [`super::soft404`]).
#[derive(Clone, Debug, Default)]
pub struct Probe {
    /// The probe's final HTTP status, if it got an answer.
    pub status: Option<u16>,
    /// Where its redirects ended.
    pub final_url: String,
    /// Its page, when it answered with HTML.
    pub page: Option<Page>,
}

/// Classifies a failure to get an answer.
pub fn classify_failure(failure: &Failure, attempts: u32) -> (Status, String) {
    let tries = if attempts > 1 {
        format!(" ({attempts} attempts)")
    } else {
        String::new()
    };
    match failure {
        Failure::Timeout => (Status::Timeout, format!("no answer in time{tries}")),
        // A redirect into our own network is not something the site's readers can follow
        // either, but it is no proof of rot: we did not look.
        Failure::Network(t) if t.kind == crate::fetch::transport::Kind::Private => {
            (Status::Blocked, t.detail.clone())
        }
        Failure::Network(t) => (Status::NetworkError, format!("{}{tries}", t.detail)),
        Failure::RedirectLoop(n) => (
            Status::ServerError,
            format!("redirect loop after {n} redirects"),
        ),
        Failure::TooManyRedirects(n) => (Status::ServerError, format!("more than {n} redirects")),
    }
}

/// Classifies an answer reached from `original` through `hops`; `probe` is the soft-404 probe
/// of the page's neighbourhood, when one was made.
pub fn classify_answer(
    original: &str,
    hops: &[Hop],
    answer: &Answer,
    probe: Option<&Probe>,
    attempts: u32,
) -> (Status, String) {
    let code = answer.status;
    if let Some(wall) = bot_wall(answer) {
        return (Status::Blocked, wall);
    }
    if let Some(proxy) = proxy_error(answer) {
        return proxy;
    }
    let tries = if attempts > 1 {
        format!(" after {attempts} attempts")
    } else {
        String::new()
    };
    match code {
        404 => return (Status::Gone, "404 Not Found".to_string()),
        410 => return (Status::Gone, "410 Gone".to_string()),
        401 => return (Status::Blocked, "401: login required".to_string()),
        403 => return (Status::Blocked, "403: access denied".to_string()),
        407 => {
            return (
                Status::Blocked,
                "407: proxy authentication required".to_string(),
            );
        }
        429 => return (Status::Blocked, format!("429: rate limited{tries}")),
        451 => {
            return (
                Status::Blocked,
                "451: unavailable for legal reasons".to_string(),
            );
        }
        999 => {
            return (
                Status::Blocked,
                "999: refused to automated clients (LinkedIn-style)".to_string(),
            );
        }
        500..=599 => return (Status::ServerError, format!("HTTP {code}{tries}")),
        300..=399 => {
            return (
                Status::ServerError,
                format!("HTTP {code} without a usable Location"),
            );
        }
        400..=499 => return (Status::Gone, format!("HTTP {code}")),
        _ => {}
    }
    if !(200..300).contains(&code) {
        return (
            Status::ServerError,
            format!("unexpected HTTP status {code}"),
        );
    }
    let final_url = answer.url.as_str();
    if !hops.is_empty() {
        if is_login_page(final_url) {
            return (
                Status::Blocked,
                format!("redirected to a login page: {final_url}"),
            );
        }
        if is_deep(original) && is_home_page(final_url) {
            return (
                Status::Soft404,
                format!("redirected to the home page {final_url}"),
            );
        }
        // The publisher's own archive is a move, whatever its pages look like.
        if is_publisher_archive(final_url) {
            return (
                Status::Moved,
                format!("moved into the publisher's archive: {final_url}"),
            );
        }
    }
    if let Some(title) = answer.page.as_ref().and_then(|p| p.error_title()) {
        return (Status::Soft404, format!("error page title: \"{title}\""));
    }
    if let (Some(probe), Some(page)) = (probe, answer.page.as_ref())
        && probe.status.is_some_and(|s| (200..300).contains(&s))
    {
        let same_place = !hops.is_empty() && probe.final_url == final_url;
        let similar = probe.page.as_ref().map_or(0.0, |p| page.similarity(p));
        if same_place || similar >= 0.9 {
            let why = if same_place {
                "same final URL".to_string()
            } else {
                format!("{:.0}% the same text", similar * 100.0)
            };
            return (
                Status::Soft404,
                format!("answers like a never-existing path ({why})"),
            );
        }
    }
    if hops.is_empty() || trivially_same(original, final_url) {
        return (Status::Alive, format!("{code}"));
    }
    let permanent = hops.iter().any(|h| matches!(h.status, 301 | 308));
    if permanent {
        (Status::Moved, format!("moved permanently to {final_url}"))
    } else {
        let first = hops.first().map_or(0, |h| h.status);
        (
            Status::Alive,
            format!("{code} after a temporary redirect ({first}) to {final_url}"),
        )
    }
}

/// A bot wall's fingerprint in an answer, described.
fn bot_wall(answer: &Answer) -> Option<String> {
    let code = answer.status;
    if answer
        .header("cf-mitigated")
        .is_some_and(|v| v.eq_ignore_ascii_case("challenge"))
    {
        return Some(format!("Cloudflare challenge ({code})"));
    }
    let datadome = answer.header("x-datadome").is_some()
        || answer.header("x-dd-b").is_some()
        || answer
            .headers
            .iter()
            .any(|(k, v)| k == "set-cookie" && v.starts_with("datadome="));
    if datadome && (code == 401 || code == 403 || code == 429 || captcha(answer)) {
        return Some(format!("DataDome bot wall ({code})"));
    }
    let cloudflare = answer
        .header("server")
        .is_some_and(|v| v.eq_ignore_ascii_case("cloudflare"));
    if cloudflare && matches!(code, 403 | 503) && captcha(answer) {
        return Some(format!("Cloudflare challenge ({code})"));
    }
    None
}

fn captcha(answer: &Answer) -> bool {
    answer.page.as_ref().is_some_and(|p| {
        let t = p.text().to_ascii_lowercase();
        t.contains("captcha") || t.contains("just a moment") || t.contains("verify you are human")
    })
}

/// RFC 9209 `Proxy-Status`: the proxy says it could not reach the origin.
fn proxy_error(answer: &Answer) -> Option<(Status, String)> {
    let value = answer.header("proxy-status")?;
    let error = value
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("error="))
        .next()?
        .trim_matches('"');
    let status = if error == "connection_timeout" || error == "http_response_timeout" {
        Status::Timeout
    } else {
        Status::NetworkError
    };
    let words = match error {
        "dns_error" | "dns_timeout" => "DNS lookup failed",
        "connection_refused" => "connection refused",
        "connection_terminated" => "connection reset",
        "connection_timeout" => "connection timed out",
        e if e.starts_with("tls_") => "TLS failure",
        _ => "proxy could not reach the host",
    };
    Some((status, format!("{words} (reported by the proxy: {error})")))
}

fn path_of(url: &str) -> String {
    Url::parse(url)
        .map(|u| u.path().to_string())
        .unwrap_or_default()
}

/// A page below the root: something that redirecting to the home page loses.
fn is_deep(url: &str) -> bool {
    let path = path_of(url);
    !matches!(
        path.as_str(),
        "" | "/" | "/index.html" | "/index.htm" | "/index.php"
    )
}

fn is_home_page(url: &str) -> bool {
    let Ok(u) = Url::parse(url) else {
        return false;
    };
    let path = u.path().trim_end_matches('/');
    let root = matches!(path, "" | "/index.html" | "/index.htm" | "/index.php");
    // Localised home pages: /en, /nl-nl, /en-GB, /zh-hans.
    let segment = path.trim_start_matches('/');
    let (lang, region) = segment.split_once('-').unwrap_or((segment, ""));
    let language = lang.len() == 2
        && lang.chars().all(|c| c.is_ascii_alphabetic())
        && (region.is_empty()
            || (2..=4).contains(&region.len()) && region.chars().all(|c| c.is_ascii_alphabetic()))
        && !segment.contains('/');
    root || language
}

fn is_login_page(url: &str) -> bool {
    let path = path_of(url).to_ascii_lowercase();
    [
        "/login",
        "/signin",
        "/sign-in",
        "/sign_in",
        "/accounts/login",
        "/auth/login",
        "/session/new",
        "/m/login",
    ]
    .iter()
    .any(|p| path.starts_with(p) || path.contains(&format!("{p}/")) || path.ends_with(p))
}

fn is_publisher_archive(url: &str) -> bool {
    Url::parse(url).is_ok_and(|u| {
        matches!(
            u.host_str(),
            Some(
                "webarchive.nationalarchives.gov.uk"
                    | "web.archive.org"
                    | "www.webarchive.org.uk"
                    | "wayback.archive-it.org"
            )
        )
    })
}

/// Whether two URLs are the same page up to http→https, `www.`, a trailing slash, or case
/// of the host: redirects between them are not moves.
pub fn trivially_same(a: &str, b: &str) -> bool {
    fn norm(s: &str) -> Option<String> {
        let u = Url::parse(s).ok()?;
        let host = u
            .host_str()?
            .trim_start_matches("www.")
            .to_ascii_lowercase();
        let path = u.path().trim_end_matches('/');
        Some(format!("{host}{path}?{}", u.query().unwrap_or("")))
    }
    norm(a).is_some() && norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, url: &str, headers: &[(&str, &str)]) -> Answer {
        Answer {
            status,
            url: url.to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            page: None,
        }
    }

    fn hop(url: &str, status: u16, location: &str) -> Hop {
        Hop {
            url: url.into(),
            status,
            location: location.into(),
        }
    }

    fn status_of(original: &str, hops: &[Hop], a: &Answer) -> Status {
        classify_answer(original, hops, a, None, 1).0
    }

    #[test]
    fn statuses_by_code() {
        let u = "https://e.com/a/b";
        assert_eq!(status_of(u, &[], &answer(200, u, &[])), Status::Alive);
        assert_eq!(status_of(u, &[], &answer(404, u, &[])), Status::Gone);
        assert_eq!(
            classify_answer(u, &[], &answer(410, u, &[]), None, 1).1,
            "410 Gone"
        );
        assert_eq!(status_of(u, &[], &answer(403, u, &[])), Status::Blocked);
        assert_eq!(status_of(u, &[], &answer(401, u, &[])), Status::Blocked);
        assert_eq!(status_of(u, &[], &answer(429, u, &[])), Status::Blocked);
        assert_eq!(status_of(u, &[], &answer(999, u, &[])), Status::Blocked);
        assert_eq!(status_of(u, &[], &answer(503, u, &[])), Status::ServerError);
    }

    #[test]
    fn bot_walls_are_blocked_whatever_the_code() {
        let u = "https://www.reuters.com/x";
        let dd = answer(403, u, &[("x-datadome", "protected")]);
        assert_eq!(
            classify_answer(u, &[], &dd, None, 1),
            (Status::Blocked, "DataDome bot wall (403)".into())
        );
        let cf = answer(
            403,
            u,
            &[("cf-mitigated", "challenge"), ("server", "cloudflare")],
        );
        assert_eq!(
            classify_answer(u, &[], &cf, None, 1).1,
            "Cloudflare challenge (403)"
        );
    }

    #[test]
    fn redirects() {
        let u = "http://www.gov.uk/government/news/x";
        let https = "https://www.gov.uk/government/news/x";
        assert_eq!(
            status_of(u, &[hop(u, 301, https)], &answer(200, https, &[])),
            Status::Alive
        );
        let new = "https://www.gov.uk/government/news/y";
        assert_eq!(
            status_of(u, &[hop(u, 301, new)], &answer(200, new, &[])),
            Status::Moved
        );
        assert_eq!(
            status_of(u, &[hop(u, 302, new)], &answer(200, new, &[])),
            Status::Alive
        );
        let page = "https://www.plain.example/page/";
        assert_eq!(
            status_of(u, &[hop(u, 301, page)], &answer(200, page, &[])),
            Status::Moved
        );
        let localised = "https://www.gov.uk/en-GB/";
        assert_eq!(
            status_of(u, &[hop(u, 301, localised)], &answer(200, localised, &[])),
            Status::Soft404
        );
        let home = "https://www.gov.uk/";
        assert_eq!(
            status_of(u, &[hop(u, 301, home)], &answer(200, home, &[])),
            Status::Soft404
        );
        let archive = "https://webarchive.nationalarchives.gov.uk/ukgwa/2024/https://www.gov.uk/x";
        let (s, d) = classify_answer(
            u,
            &[hop(u, 301, archive)],
            &answer(200, archive, &[]),
            None,
            1,
        );
        assert_eq!(s, Status::Moved);
        assert!(d.contains("publisher's archive"), "{d}");
        let login = "https://www.linkedin.com/login?next=x";
        assert_eq!(
            status_of(u, &[hop(u, 302, login)], &answer(200, login, &[])),
            Status::Blocked
        );
    }

    #[test]
    fn proxy_status_names_network_failures() {
        let u = "http://nowhere.example/x";
        let a = answer(502, u, &[("proxy-status", "testproxy; error=dns_error")]);
        let (s, d) = classify_answer(u, &[], &a, None, 1);
        assert_eq!(s, Status::NetworkError);
        assert!(d.starts_with("DNS lookup failed"), "{d}");
    }

    #[test]
    fn trivial_redirects() {
        assert!(trivially_same("http://a.com/x", "https://www.a.com/x/"));
        assert!(!trivially_same("http://a.com/x", "https://a.com/y"));
        assert!(!trivially_same("http://a.com/x?a=1", "https://a.com/x?a=2"));
    }
}
