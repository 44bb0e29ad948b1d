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
    /// The address answers, but little of the text as cited remains (our copy as cited
    /// decides): reference rot, not link rot.
    Drifted,
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
    pub const ALL: [Status; 10] = [
        Status::Alive,
        Status::Moved,
        Status::Drifted,
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
            Status::Drifted => "drifted",
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
                | Status::Drifted
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
    /// The body, when it was read and is JSON or XML (an API's or object store's answer).
    pub data: Option<String>,
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
    /// Whether it was redirected.
    pub redirected: bool,
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

/// A status with the detail that says it in words and the evidence that decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The status.
    pub status: Status,
    /// Why, in a few words.
    pub detail: String,
    /// The signals that decided it, each in words (`evidence` in JSON).
    pub evidence: Evidence,
}

/// The signals that decided a status, each in words, in the order they were read. Kept in
/// one string (a run holds every check's until it is printed): a list in JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence(String);

impl Evidence {
    /// Evidence of one signal.
    pub fn of(signal: impl AsRef<str>) -> Evidence {
        let mut e = Evidence::default();
        e.push(signal);
        e
    }

    /// Adds a signal (one line: line breaks in it become spaces).
    pub fn push(&mut self, signal: impl AsRef<str>) {
        if !self.0.is_empty() {
            self.0.push('\n');
        }
        self.0.push_str(&signal.as_ref().replace('\n', " "));
    }

    /// The signals, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split('\n').filter(|s| !s.is_empty())
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The signals, one a line (as the history stores them).
    pub fn as_lines(&self) -> &str {
        &self.0
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// Classifies an answer reached from `original` through `hops`; `probe` is the soft-404 probe
/// next to the cited page, when one was made. (The status and detail of [`judge_answer`].)
pub fn classify_answer(
    original: &str,
    hops: &[Hop],
    answer: &Answer,
    probe: Option<&Probe>,
    attempts: u32,
) -> (Status, String) {
    let v = judge_answer(original, hops, answer, probe, attempts, None);
    (v.status, v.detail)
}

/// Our copy of the page as cited, to compare the answer with.
#[derive(Clone, Copy, Debug)]
pub struct Cited<'a> {
    /// The main text of our first capture of the page.
    pub text: &'a str,
    /// Below this share of that text kept, the page has drifted (`[archive] drift`).
    pub drift_below: f64,
}

/// Below this share of the text as cited kept, a page keeps none of it: an error page, an
/// unrelated page a redirect leads to, a notice left alone. Edited pages keep 70% or more
/// and rotten ones 15% or less on the validation corpus (`page::drift_corpus`).
pub const KEEPS_NONE: f64 = 0.15;

/// Words of its own a page needs before its text is compared with the copy as cited
/// (fewer: a wall, a shell or a stub, judged by the other rules).
const WORDS_TO_COMPARE: usize = 20;

/// Where a redirect chain ended, as evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Landing {
    /// No redirect, or one to the same page (http→https, `www.`, a trailing slash).
    Same,
    /// The site's home page, from a deeper page.
    Home,
    /// A listing page of the site (`/tech`, `/news/`), from a deeper page, or where a
    /// never-existing sibling lands too.
    SectionFront,
    /// Another site's page where a never-existing sibling is sent too.
    WhereSiblingsGo,
    /// A login page.
    Login,
    /// A consent page (cookie wall) on its own host.
    Consent,
    /// A domain marketplace or parking service.
    Parking,
    /// A web archive, from a live-web URL.
    IntoArchive,
    /// Another page of the same site.
    OtherPage,
    /// A page on another registrable domain.
    OtherSite,
}

/// Decides an answer from all the evidence (DESIGN's statuses; the table is in
/// docs/verdicts.md, one line per class of evidence, in this order):
///
/// | evidence | status |
/// | --- | --- |
/// | a bot-wall fingerprint (DataDome, Cloudflare challenge) | blocked |
/// | the proxy says it could not reach the host | network_error / timeout |
/// | 404, 410, other 4xx | gone |
/// | 401, 403, 407, 429, 451, 999 | blocked |
/// | 5xx | server_error |
/// | redirected to a login page | blocked (login wall) |
/// | redirected to a consent host | blocked (consent wall: article not seen) |
/// | redirected to a domain marketplace or parking service, or a page saying the domain is for sale | soft404 (parked domain) |
/// | a cited archive copy answering from inside its archive | alive (rules about archives do not apply) |
/// | a deep page redirected to the home page | soft404 |
/// | a deep page redirected to a section front, or to where a never-existing sibling lands | soft404 |
/// | a live-web page redirected into a web archive | moved (into the publisher's archive) |
/// | answers like a never-existing sibling (same landing, or ≥ 90% the same text), and the page is an application shell | blocked (script-built page), unless its title names the item |
/// | answers like a never-existing sibling | soft404 |
/// | error words in the title, and a never-existing sibling gets 404/410 with other text | alive (the probe proves the path is real) |
/// | error words in the title | soft404 |
/// | a temporary redirect to another site, landing on a page with no text of its own | blocked (cannot tell) |
/// | a permanent redirect to another page | moved |
/// | anything else 2xx | alive |
///
/// Whatever the status, a notice the page carries (withdrawn, retracted, superseded,
/// archived) is added to the detail.
pub fn judge_answer(
    original: &str,
    hops: &[Hop],
    answer: &Answer,
    probe: Option<&Probe>,
    attempts: u32,
    cited: Option<Cited>,
) -> Verdict {
    let code = answer.status;
    let mut evidence = Evidence::of(format!("HTTP {code}"));
    if !hops.is_empty() {
        let chain: Vec<String> = hops
            .iter()
            .map(|h| format!("{} to {}", h.status, h.location))
            .collect();
        evidence.push(format!("redirects: {}", chain.join(", ")));
    }
    let verdict = |status, detail: String, evidence: Evidence| Verdict {
        status,
        detail,
        evidence,
    };
    if let Some(wall) = bot_wall(answer) {
        evidence.push(format!("bot-wall fingerprint: {wall}"));
        return verdict(Status::Blocked, wall, evidence);
    }
    if let Some((status, detail)) = proxy_error(answer) {
        evidence.push(detail.clone());
        return verdict(status, detail, evidence);
    }
    if let Some(said) = object_store_error(answer) {
        evidence.push(format!("object storage answered {said}"));
        return verdict(Status::Gone, format!("object storage: {said}"), evidence);
    }
    if let Some(said) = site_gone(answer) {
        evidence.push(format!("the hosting platform says \"{said}\""));
        return verdict(
            Status::Gone,
            format!("the site no longer exists: the platform says \"{said}\""),
            evidence,
        );
    }
    let tries = if attempts > 1 {
        format!(" after {attempts} attempts")
    } else {
        String::new()
    };
    let by_code = match code {
        404 => Some((Status::Gone, "404 Not Found".to_string())),
        410 => Some((Status::Gone, "410 Gone".to_string())),
        401 => Some((Status::Blocked, "401: login required".to_string())),
        403 => Some((Status::Blocked, "403: access denied".to_string())),
        407 => Some((
            Status::Blocked,
            "407: proxy authentication required".to_string(),
        )),
        429 => Some((
            Status::Blocked,
            match answer.header("retry-after") {
                Some(after) => format!("429: rate limited{tries}; retry after {}", after.trim()),
                None => format!("429: rate limited{tries}"),
            },
        )),
        451 => Some((
            Status::Blocked,
            "451: unavailable for legal reasons".to_string(),
        )),
        999 => Some((
            Status::Blocked,
            "999: refused to automated clients (LinkedIn-style)".to_string(),
        )),
        500..=599 => Some((Status::ServerError, format!("HTTP {code}{tries}"))),
        300..=399 => Some((
            Status::ServerError,
            format!("HTTP {code} without a usable Location"),
        )),
        400..=499 => Some((Status::Gone, format!("HTTP {code}"))),
        200..=299 => None,
        _ => Some((
            Status::ServerError,
            format!("unexpected HTTP status {code}"),
        )),
    };
    if let Some((status, detail)) = by_code {
        return verdict(status, detail, evidence);
    }

    if let Some(said) = answer.data.as_deref().and_then(data_error) {
        evidence.push(format!("the answer is an error envelope: {said}"));
        return verdict(
            Status::Soft404,
            format!("{code}, but the answer says the item is not there: {said}"),
            evidence,
        );
    }
    let final_url = answer.url.as_str();
    let page = answer.page.as_ref();
    let probe = probe.filter(|p| p.status.is_some());
    if let Some(p) = probe {
        let status = p.status.unwrap_or_default();
        if p.redirected {
            evidence.push(format!(
                "never-existing sibling: HTTP {status} at {}",
                p.final_url
            ));
        } else {
            evidence.push(format!("never-existing sibling: HTTP {status}"));
        }
    }
    let probe_ok = probe.is_some_and(|p| p.status.is_some_and(|s| (200..300).contains(&s)));
    let probe_missing = probe.is_some_and(|p| p.status.is_some_and(|s| s == 404 || s == 410));
    let landing = landing(original, hops, final_url, probe);
    let notice = page.and_then(|p| p.notice.clone());
    let with_notice = |mut v: Verdict| {
        if let Some(n) = &notice {
            v.detail.push_str(&format!("; notice on the page: \"{n}\""));
            v.evidence.push(format!("notice: {n}"));
        }
        v
    };
    if let Some(title) = page.and_then(|p| p.title.as_deref()) {
        evidence.push(format!("title: \"{title}\""));
    }
    // How much of our copy as cited the page keeps, when we hold one and the page has
    // words of its own to compare.
    let kept = match (cited, page) {
        (Some(c), Some(p))
            if !p.is_app_shell() && p.text().split_whitespace().count() >= WORDS_TO_COMPARE =>
        {
            p.keeps(c.text)
        }
        _ => None,
    };
    if let Some(k) = kept {
        evidence.push(format!("keeps {:.0}% of the text as cited", k * 100.0));
    }
    let keeps_none = kept.is_some_and(|k| k < KEEPS_NONE);

    match landing {
        Landing::Login => {
            evidence.push("landed on a login page");
            return verdict(
                Status::Blocked,
                format!("redirected to a login page: {final_url}"),
                evidence,
            );
        }
        Landing::Consent => {
            evidence.push("landed on a consent host");
            return verdict(
                Status::Blocked,
                format!("consent wall: article not seen ({final_url})"),
                evidence,
            );
        }
        Landing::Parking => {
            evidence.push("landed on a domain marketplace or parking service");
            return verdict(
                Status::Soft404,
                format!("parked domain: redirected to {final_url}"),
                evidence,
            );
        }
        _ => {}
    }
    if page.is_some_and(Page::is_parked) {
        evidence.push("the page says the domain is for sale");
        return verdict(
            Status::Soft404,
            "parked domain: the page offers the domain for sale".to_string(),
            evidence,
        );
    }
    match landing {
        Landing::Home => {
            evidence.push("a deep page landed on the home page");
            return verdict(
                Status::Soft404,
                format!("redirected to the home page {final_url}"),
                evidence,
            );
        }
        Landing::SectionFront => {
            evidence.push("a deep page landed on a section front");
            return verdict(
                Status::Soft404,
                format!("redirected to a section front {final_url}"),
                evidence,
            );
        }
        Landing::WhereSiblingsGo => {
            evidence.push("a never-existing sibling is sent to the same place");
            return verdict(
                Status::Soft404,
                format!("redirected to {final_url}, where a never-existing path is sent too"),
                evidence,
            );
        }
        Landing::IntoArchive => {
            evidence.push("a live-web page landed in a web archive");
            return with_notice(verdict(
                Status::Moved,
                format!("moved into the publisher's archive: {final_url}"),
                evidence,
            ));
        }
        _ => {}
    }

    // A page that sends its reader on by itself (a meta refresh, a script) is judged by
    // where it sends them, as a redirect would be: into a web archive ("this page has been
    // archived"), to the home page, to a section front.
    if landing == Landing::Same
        && let Some(target) = page.and_then(Page::sends_to)
        && let Some(to) = Url::parse(final_url).ok().and_then(|u| u.join(target).ok())
        && !trivially_same(final_url, to.as_str())
    {
        let hop = [Hop {
            url: final_url.to_string(),
            status: 200,
            location: to.to_string(),
        }];
        let how = "by itself (a meta refresh or a script)";
        match self::landing(original, &hop, to.as_str(), probe) {
            Landing::IntoArchive => {
                evidence.push(format!(
                    "the page sends the reader into a web archive, {how}: {to}"
                ));
                return with_notice(verdict(
                    Status::Moved,
                    format!(
                        "moved into the publisher's archive: {to} (the page sends readers there)"
                    ),
                    evidence,
                ));
            }
            Landing::Home | Landing::SectionFront => {
                evidence.push(format!("the page sends the reader to {to}, {how}"));
                return verdict(
                    Status::Soft404,
                    format!("sends readers to {to}, a front page of the site"),
                    evidence,
                );
            }
            _ => {}
        }
    }
    // The page's embedded state says the item is gone (a video player's status), before
    // any script: no browser needed.
    if let Some(said) = page.and_then(Page::unavailable) {
        evidence.push(format!("the page's embedded player state says \"{said}\""));
        return verdict(
            Status::Soft404,
            format!("the page says the item is unavailable (\"{said}\")"),
            evidence,
        );
    }
    // A page like the answer to a never-existing sibling.
    let error_title = page.and_then(|p| p.error_title());
    if let (Some(p), Some(page)) = (probe.filter(|_| probe_ok), page) {
        let same_place = !hops.is_empty() && p.final_url == final_url;
        let similar = p.page.as_ref().map_or(0.0, |pp| page.similarity(pp));
        if same_place || similar >= 0.9 {
            let why = if same_place {
                "same final URL".to_string()
            } else {
                format!("{:.0}% the same text", similar * 100.0)
            };
            evidence.push(format!("answers like a never-existing sibling ({why})"));
            if page.is_app_shell() {
                evidence.push("an application shell: almost no text of its own, built by script");
                let probe_title = p.page.as_ref().and_then(|pp| pp.title.as_deref());
                let names_item = page
                    .og_title()
                    .or(page.title.as_deref())
                    .filter(|t| Some(*t) != probe_title && !t.trim().is_empty());
                if let Some(t) = names_item {
                    evidence.push(format!("its title names the item: \"{t}\""));
                    return with_notice(verdict(
                        Status::Alive,
                        format!("script-built page whose title names the item: \"{t}\""),
                        evidence,
                    ));
                }
                return verdict(Status::Blocked, SHELL_UNJUDGED.to_string(), evidence);
            }
            // The title says it more plainly when it says it.
            let detail = match error_title {
                Some(title) => {
                    evidence.push("error words in the title");
                    format!("error page title: \"{title}\"")
                }
                None => format!("answers like a never-existing path ({why})"),
            };
            return verdict(Status::Soft404, detail, evidence);
        }
    }
    if let Some(title) = error_title {
        evidence.push("error words in the title");
        if probe_missing && keeps_none {
            // Removed items answer 200 with an error page, unknown paths 404: the text
            // as cited decides.
            return verdict(
                Status::Soft404,
                format!("error page title: \"{title}\", and none of the text as cited remains"),
                evidence,
            );
        } else if probe_missing {
            evidence.push("a never-existing sibling gets 404: the cited path is real");
        } else {
            return verdict(
                Status::Soft404,
                format!("error page title: \"{title}\""),
                evidence,
            );
        }
    }
    if let Some(k) = kept {
        let redirected = !hops.is_empty() && landing != Landing::Same;
        let share = format!("{:.0}%", k * 100.0);
        if page.is_some_and(Page::is_paywalled) && k < cited.map_or(0.0, |c| c.drift_below) {
            evidence.push("its structured data says it is not free to read");
            return verdict(
                Status::Blocked,
                format!(
                    "paywall: {share} of the text as cited is shown, the rest is for subscribers"
                ),
                evidence,
            );
        }
        if let (Some(title), true) = (page.and_then(Page::not_there_title), keeps_none) {
            evidence.push("the title says the page is not there");
            return verdict(
                Status::Soft404,
                format!("error page title: \"{title}\", and none of the text as cited remains"),
                evidence,
            );
        }
        if redirected && keeps_none {
            evidence.push("the redirect leads to a page that keeps none of the text as cited");
            return verdict(
                Status::Soft404,
                format!(
                    "redirected to an unrelated page, {final_url} ({share} of the text as cited remains)"
                ),
                evidence,
            );
        }
        if let (Some(n), true) = (&notice, keeps_none) {
            evidence.push(format!("notice: {n}"));
            return verdict(
                Status::Soft404,
                format!("only a notice remains: \"{n}\""),
                evidence,
            );
        }
        if k < cited.map_or(0.0, |c| c.drift_below) {
            let where_ = if redirected {
                format!(" at {final_url}")
            } else {
                String::new()
            };
            return with_notice(verdict(
                Status::Drifted,
                format!(
                    "the address answers{where_}, but only {share} of the text as cited remains"
                ),
                evidence,
            ));
        }
    }
    if hops.is_empty() || landing == Landing::Same {
        return with_notice(verdict(Status::Alive, format!("{code}"), evidence));
    }
    let permanent = hops.iter().any(|h| matches!(h.status, 301 | 308));
    if permanent {
        return with_notice(verdict(
            Status::Moved,
            format!("moved permanently to {final_url}"),
            evidence,
        ));
    }
    let first = hops.first().map_or(0, |h| h.status);
    if landing == Landing::OtherSite
        && page.is_none_or(|p| p.text().split_whitespace().count() < 20)
    {
        evidence.push("a temporary redirect to another site, to a page with no text of its own");
        return verdict(
            Status::Blocked,
            format!(
                "temporary redirect ({first}) to another site, {final_url}: cannot tell whether the page is there"
            ),
            evidence,
        );
    }
    with_notice(verdict(
        Status::Alive,
        format!("{code} after a temporary redirect ({first}) to {final_url}"),
        evidence,
    ))
}

/// Where a chain from `original` that ended at `final_url` landed.
fn landing(original: &str, hops: &[Hop], final_url: &str, probe: Option<&Probe>) -> Landing {
    if hops.is_empty() || trivially_same(original, final_url) {
        return Landing::Same;
    }
    let host = |u: &str| {
        Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
    };
    let (from, to) = (
        host(original).unwrap_or_default(),
        host(final_url).unwrap_or_default(),
    );
    if is_login_page(final_url) {
        return Landing::Login;
    }
    if is_consent_host(&to) {
        return Landing::Consent;
    }
    if is_parking_host(&to) {
        return Landing::Parking;
    }
    // A cited archive copy that moves inside its archive (a timestamp made exact) is an
    // archive page like any other; only a live-web page leaving for an archive moved.
    if crate::link::is_web_archive(&to) {
        return if crate::link::is_web_archive(&from) {
            Landing::OtherPage
        } else {
            Landing::IntoArchive
        };
    }
    if is_deep(original) && is_home_page(final_url) {
        return Landing::Home;
    }
    let domain = |h: &str| crate::link::registrable_domain(h).to_string();
    let same_site = domain(&from) == domain(&to);
    // A listing page of the article's own site; anywhere a never-existing sibling is sent
    // too.
    let sibling_lands_here =
        probe.is_some_and(|p| p.final_url == final_url && !p.final_url.is_empty());
    if is_deep(original)
        && same_site
        && (sibling_lands_here || is_section_front(original, final_url))
    {
        return Landing::SectionFront;
    }
    if sibling_lands_here {
        return Landing::WhereSiblingsGo;
    }
    if same_site {
        Landing::OtherPage
    } else {
        Landing::OtherSite
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
    if let Some(t) = challenge_title(answer) {
        return Some(format!("bot wall: a challenge page (\"{t}\", {code})"));
    }
    consent_title(answer).map(|t| format!("consent wall: article not seen (\"{t}\")"))
}

/// An object store's answer that the object or bucket is not there (Amazon S3, Google
/// Cloud Storage and S3-compatible stores: `NoSuchKey`, `NoSuchBucket`, and `AccessDenied`
/// on a GET, which is what a bucket that is not listable answers for a missing object;
/// Azure Blob Storage: `BlobNotFound`, `ContainerNotFound`, `ResourceNotFound`). Read from
/// the XML error body and the store's headers, whatever the status.
fn object_store_error(answer: &Answer) -> Option<String> {
    let body = answer.data.as_deref()?;
    let code = body.split("<Code>").nth(1)?.split("</Code>").next()?.trim();
    let store = answer.header("x-amz-request-id").is_some()
        || answer.header("x-goog-generation").is_some()
        || answer.header("x-ms-request-id").is_some()
        || answer.header("server").is_some_and(|s| {
            let s = s.to_ascii_lowercase();
            s.contains("amazons3")
                || s.contains("uploadserver")
                || s.contains("minio")
                || s.contains("windows-azure-blob")
                || s.contains("garage")
        })
        || body.contains("<RequestId>");
    const MISSING: &[&str] = &[
        "NoSuchKey",
        "NoSuchBucket",
        "BlobNotFound",
        "ContainerNotFound",
        "ResourceNotFound",
    ];
    if !store {
        return None;
    }
    if MISSING.contains(&code) {
        return Some(code.to_string());
    }
    (code == "AccessDenied" && answer.status == 403).then(|| {
        "AccessDenied (what a bucket that is not listable answers for a missing object)".to_string()
    })
}

/// What a hosting platform or CDN answers when the site itself is gone (the app deleted,
/// the domain no longer configured), found in its page.
fn site_gone(answer: &Answer) -> Option<&'static str> {
    const SIGNS: &[&str] = &[
        "fastly error: unknown domain",
        "no such app",
        "there isn't a github pages site here",
        "deployment_not_found",
        "the deployment could not be found on vercel",
        "sorry, this shop is currently unavailable",
        "this site has been deactivated",
        "domain not configured",
        "the requested url was not found on this server. there is no site",
        "404 web site not found",
        "error 1001",
    ];
    let page = answer.page.as_ref()?;
    let lower = format!(
        "{} {}",
        page.title.as_deref().unwrap_or_default(),
        page.text()
    )
    .to_lowercase();
    // Short pages only: an article about such errors is no such page.
    if lower.split_whitespace().count() > 150 {
        return None;
    }
    SIGNS.iter().copied().find(|s| lower.contains(s))
}

/// An API's 200 answer that is an error envelope (`{"error": ...}`, a message that the
/// item was not found), in JSON or XML: what it says, cut short.
fn data_error(body: &str) -> Option<String> {
    let short = |s: &str| s.chars().take(120).collect::<String>();
    let not_there = |s: &str| {
        let l = s.to_lowercase();
        [
            "not found",
            "not_found",
            "notfound",
            "does not exist",
            "doesn't exist",
            "no such",
            "unavailable",
            "has been removed",
            "has been deleted",
            "no longer available",
        ]
        .iter()
        .any(|w| l.contains(w))
    };
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(body) {
        // A small envelope whose error field is set, or whose message says not found.
        if map.len() > 6 {
            return None;
        }
        for key in ["error", "errors", "error_message", "errorMessage"] {
            match map.get(key) {
                Some(serde_json::Value::Null | serde_json::Value::Bool(false)) | None => {}
                Some(serde_json::Value::Array(a)) if a.is_empty() => {}
                Some(v) => return Some(short(&v.to_string())),
            }
        }
        for key in ["message", "detail", "status", "msg"] {
            if let Some(serde_json::Value::String(s)) = map.get(key)
                && not_there(s)
            {
                return Some(short(s));
            }
        }
        return None;
    }
    let trimmed = body.trim_start();
    if trimmed.starts_with('<') && body.len() < 4096 {
        let lower = body.to_lowercase();
        if (lower.contains("<error") || lower.contains("<message")) && not_there(body) {
            let text: String = body
                .split(['<', '>'])
                .enumerate()
                .filter(|(i, _)| i % 2 == 0)
                .map(|(_, t)| t.trim())
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            return Some(short(&text));
        }
    }
    None
}

/// A page titled as a bot challenge (Cloudflare's "Just a moment...", DDoS-Guard, Amazon's
/// "Robot Check", PerimeterX's "Access to this page has been denied"): recognised by its
/// title alone, whatever its status and headers.
fn challenge_title(answer: &Answer) -> Option<&str> {
    let title = answer.page.as_ref()?.title.as_deref()?;
    let lower = title.to_lowercase();
    let lower = lower.trim().trim_end_matches(['.', '…']).trim();
    const EXACT: &[&str] = &[
        "just a moment",
        "one moment, please",
        "please wait",
        "checking your browser",
        "security check",
        "human verification",
        "robot check",
        "are you a robot?",
        "ddos-guard",
        "pardon our interruption",
        "access to this page has been denied",
        "verifying you are human",
    ];
    let wall = EXACT.contains(&lower)
        || lower.starts_with("attention required! | cloudflare")
        || lower.starts_with("please wait... | cloudflare")
        || (lower.ends_with("| cloudflare") && lower.contains("access denied"))
        || lower.starts_with("just a moment");
    wall.then_some(title)
}

/// A page titled as a cookie-consent interstitial ("Before you continue to Google"): the
/// article behind it was not seen.
fn consent_title(answer: &Answer) -> Option<&str> {
    let title = answer.page.as_ref()?.title.as_deref()?;
    let lower = title.to_ascii_lowercase();
    let lower = lower.trim();
    let consent = lower.starts_with("before you continue")
        || matches!(
            lower,
            "consent" | "cookie consent" | "we value your privacy" | "your privacy choices"
        );
    consent.then_some(title)
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
        "/servicelogin",
        "/v3/signin",
        "/i/flow/login",
    ]
    .iter()
    .any(|p| path.starts_with(p) || path.contains(&format!("{p}/")) || path.ends_with(p))
}

/// The detail of a script-built page judged without a browser: the check asks one, when
/// there is one ([`judge_rendered`]).
pub const SHELL_UNJUDGED: &str = "script-built page: cannot judge without a browser";

/// What script-built pages say when the item is gone (X, Mastodon, Substack, news sites).
const GONE_WORDS: &[&str] = &[
    "this post is unavailable",
    "this page doesn’t exist",
    "this page doesn't exist",
    "this post was deleted",
    "this tweet was deleted",
    "this account doesn’t exist",
    "this account doesn't exist",
    "post not found",
    "page not found",
    "this content isn't available",
    "this content is no longer available",
    "the page you requested could not be found",
    "video unavailable",
    "this video is unavailable",
    "this video has been removed",
    "this video is private",
    "account suspended",
    "this account has been suspended",
    "this page isn't available",
    "this page isn’t available",
    "sorry, this page isn't available",
    "sorry, this page isn’t available",
    "the link you followed may be broken",
    "this post has been deleted",
    "this post has been removed",
    "post deleted",
    "this channel does not exist",
    "this account no longer exists",
    "dieses video ist nicht verfügbar",
    "dieser beitrag ist nicht verfügbar",
    "seite nicht gefunden",
    "vidéo non disponible",
    "cette page n'est pas disponible",
    "cette publication n'est pas disponible",
    "page introuvable",
    "vídeo no disponible",
    "esta página no está disponible",
    "página no encontrada",
    "video non disponibile",
    "questa pagina non è disponibile",
    "video niet beschikbaar",
    "deze pagina is niet beschikbaar",
    "pagina niet gevonden",
];

/// What a login wall says.
const LOGIN_WORDS: &[&str] = &[
    "log in to continue",
    "sign in to continue",
    "you must be logged in",
    "log in to see",
    "sign in to see",
    "subscribe to continue reading",
];

/// Judges a script-built page again from what a browser rendered of it (`title`, `text`,
/// the URL it ended at): a page that says the item is gone is a soft-404, a login wall is
/// blocked, a page with words of its own is alive. The detail says a browser decided.
/// `None` when even rendered the page says too little to tell.
pub fn judge_rendered(
    original: &str,
    final_url: &str,
    title: Option<&str>,
    text: &str,
    dom: &str,
) -> Option<(Status, String, Vec<String>)> {
    let lower = format!("{} {}", title.unwrap_or_default(), text).to_lowercase();
    let words = text.split_whitespace().count();
    let mut evidence = vec![format!(
        "rendered by a headless browser: {words} words{}",
        title
            .map(|t| format!(", title \"{t}\""))
            .unwrap_or_default()
    )];
    if let Some(said) = GONE_WORDS.iter().find(|w| lower.contains(*w)) {
        evidence.push(format!("the rendered page says \"{said}\""));
        return Some((
            Status::Soft404,
            format!("rendered by a browser, the page says \"{said}\""),
            evidence,
        ));
    }
    if let Some(said) = LOGIN_WORDS.iter().find(|w| lower.contains(*w))
        && words < 200
    {
        evidence.push(format!("the rendered page asks to log in (\"{said}\")"));
        return Some((
            Status::Blocked,
            "rendered by a browser: a login wall".to_string(),
            evidence,
        ));
    }
    let moved = (final_url != original).then(|| format!(" (at {final_url})"));
    if words >= 30 {
        return Some((
            Status::Alive,
            format!(
                "rendered by a browser: {words} words of its own{}",
                moved.unwrap_or_default()
            ),
            evidence,
        ));
    }
    // A short post is still a post: an `<article>` or a dated `<time>` in what the script
    // built, with words in it, is content of its own however few.
    let lower_dom = dom.to_ascii_lowercase();
    let post = lower_dom.contains("<article") || lower_dom.contains("<time datetime=");
    if post && words >= 5 {
        evidence.push(
            "the rendered page holds a post of its own (an article or a dated time)".to_string(),
        );
        return Some((
            Status::Alive,
            format!(
                "rendered by a browser: a post of its own, {words} words{}",
                moved.unwrap_or_default()
            ),
            evidence,
        ));
    }
    None
}

/// Consent managers' hosts: a redirect there means the article was not seen.
fn is_consent_host(host: &str) -> bool {
    const HOSTS: &[&str] = &[
        "consent.yahoo.com",
        "consent.google.com",
        "consent.youtube.com",
        "consent.cookiebot.com",
        "cmp.quantcast.com",
        "quantcast.mgr.consensu.org",
        "privacy-mgmt.com",
        "sdk.privacy-center.org",
        "privacy.didomi.io",
        "cdn.cookielaw.org",
        "geolocation.onetrust.com",
    ];
    HOSTS.iter().any(|h| crate::link::within(host, h))
        || [
            "consent.",
            "myprivacy.",
            "cmp.",
            "cookies.",
            "privacy-center.",
        ]
        .iter()
        .any(|p| host.starts_with(p))
        || host.contains(".consent.")
}

/// Domain marketplaces and parking services: a redirect there means the domain lapsed.
fn is_parking_host(host: &str) -> bool {
    const HOSTS: &[&str] = &[
        "hugedomains.com",
        "sedo.com",
        "sedoparking.com",
        "dan.com",
        "afternic.com",
        "bodis.com",
        "parkingcrew.net",
        "above.com",
        "buydomains.com",
        "undeveloped.com",
        "atom.com",
        "domainmarket.com",
        "parklogic.com",
        "uniregistry.com",
        "namebright.com",
        "domainnamesales.com",
    ];
    let godaddy_sale = host.ends_with("godaddy.com") && host.contains("domain");
    godaddy_sale || HOSTS.iter().any(|h| crate::link::within(host, h))
}

/// A listing page a deep page was sent to: a path of one or two short words (`/tech`,
/// `/news/`, `/en.html`, `/home`, `/index_en`), shallower than the cited one. A slug
/// (`/the-summit-agreed`) or an id is a page, not a section.
fn is_section_front(original: &str, final_url: &str) -> bool {
    let segments = |u: &str| -> Vec<String> {
        Url::parse(u)
            .map(|u| {
                u.path()
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(str::to_ascii_lowercase)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (from, to) = (segments(original), segments(final_url));
    let Some(last) = to.last() else {
        return false;
    };
    let word = last.trim_end_matches(".html").trim_end_matches(".htm");
    let wordish = word.len() <= 20
        && !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == '_' || c == '-')
        && !word.contains('-');
    to.len() <= 2 && to.len() < from.len() && wordish
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

    /// [`judge_rendered`] of a page whose DOM says nothing besides its text.
    fn judge_rendered_text(
        original: &str,
        final_url: &str,
        title: Option<&str>,
        text: &str,
    ) -> Option<(Status, String, Vec<String>)> {
        judge_rendered(original, final_url, title, text, "")
    }

    fn answer(status: u16, url: &str, headers: &[(&str, &str)]) -> Answer {
        Answer {
            status,
            url: url.to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            page: None,
            data: None,
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
    fn rendered_pages_are_judged_by_what_they_say() {
        let u = "https://x.com/someone/status/1";
        let gone = judge_rendered_text(
            u,
            u,
            Some("X"),
            "Hmm...this page doesn't exist. Try searching for something else.",
        );
        assert_eq!(gone.map(|g| g.0), Some(Status::Soft404));
        let post = "The summit agreed on a statement about frontier systems ".repeat(5);
        let alive = judge_rendered_text(u, u, Some("Someone on X"), &post).unwrap();
        assert_eq!(alive.0, Status::Alive);
        assert!(alive.1.starts_with("rendered by a browser"), "{}", alive.1);
        let wall = judge_rendered_text(
            u,
            u,
            None,
            "Log in to continue. Don't have an account? Sign up",
        );
        assert_eq!(wall.map(|w| w.0), Some(Status::Blocked));
        assert_eq!(judge_rendered_text(u, u, None, "Loading"), None);
        // A short post with a date is a post.
        let short = "Lovely to meet the delegates in Seoul today. More soon.";
        let dom =
            format!("<article><p>{short}</p><time datetime=\"2024-05-21\">May 21</time></article>");
        let (status, detail, _) = judge_rendered(u, u, Some("X"), short, &dom).unwrap();
        assert_eq!(status, Status::Alive, "{detail}");
        assert_eq!(judge_rendered(u, u, Some("X"), short, "<div>x</div>"), None);
        let video = judge_rendered(
            u,
            u,
            Some("YouTube"),
            "Video unavailable This video is private",
            "",
        )
        .unwrap();
        assert_eq!(video.0, Status::Soft404);
    }

    #[test]
    fn consent_interstitials_are_blocked() {
        let u = "https://www.youtube.com/watch?v=x";
        let mut a = answer(200, u, &[]);
        a.page = Some(crate::page::Page::from_html(
            b"<title>Before you continue to YouTube</title><p>We use cookies</p>",
        ));
        assert_eq!(
            classify_answer(u, &[], &a, None, 1).0,
            Status::Blocked,
            "{:?}",
            classify_answer(u, &[], &a, None, 1)
        );
        a.page = Some(crate::page::Page::from_html(
            b"<title>Before the summit: what to expect</title><p>Text</p>",
        ));
        assert_eq!(classify_answer(u, &[], &a, None, 1).0, Status::Alive);
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
