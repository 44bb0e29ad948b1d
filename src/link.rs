//! Judging a destination as written: which URL it means, whether it is the site's own
//! (internal) or a citation of someone else's page (external), and whether it is
//! malformed (invalid, so an editor sees it) or a scheme we never check (`mailto:`...).

use url::Url;

use crate::Error;

/// The hosts that belong to the site itself (from `[site] base_url` and `aliases`).
#[derive(Clone, Debug, Default)]
pub struct Site {
    hosts: Vec<String>,
}

impl Site {
    /// The site at `base_url` (if any) with its alias host names.
    pub fn new(base_url: Option<&str>, aliases: &[String]) -> Result<Site, Error> {
        let mut hosts = Vec::new();
        if let Some(base) = base_url {
            let url = Url::parse(base)
                .map_err(|e| Error::Config(format!("[site] base_url `{base}`: {e}")))?;
            let host = url
                .host_str()
                .ok_or_else(|| Error::Config(format!("[site] base_url `{base}` has no host")))?;
            hosts.push(strip_www(host).to_string());
        }
        for alias in aliases {
            let host = match Url::parse(alias) {
                Ok(url) => url.host_str().unwrap_or_default().to_string(),
                Err(_) => alias.trim().trim_end_matches('/').to_ascii_lowercase(),
            };
            if host.is_empty() {
                return Err(Error::Config(format!(
                    "[site] aliases: `{alias}` has no host"
                )));
            }
            hosts.push(strip_www(&host).to_string());
        }
        Ok(Site { hosts })
    }

    /// What, besides a file's bytes, decides which of its links are citations: the site's
    /// hosts and citekeep's version (a file scanned under another key is recorded again).
    pub fn scan_key(&self) -> String {
        format!("{} {}", env!("CARGO_PKG_VERSION"), self.hosts.join(" "))
    }

    /// Whether `host` is the site's own (a leading `www.` is ignored on both sides).
    pub fn is_own(&self, host: &str) -> bool {
        let host = strip_www(host);
        self.hosts.iter().any(|h| h == host)
    }
}

fn strip_www(host: &str) -> &str {
    host.strip_prefix("www.").unwrap_or(host)
}

/// What a destination as written turns out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judged {
    /// Someone else's page: a citation to check, as a normalized absolute URL.
    External(String),
    /// The site's own page (relative, root-relative, or on the site's hosts).
    Internal(String),
    /// Malformed: kept so an editor sees it, with the reason.
    Invalid(String),
    /// A scheme that is never checked (`mailto:`, `tel:`, `javascript:`...).
    Ignored(String),
}

/// Schemes that name something other than a web page; never checked, never flagged.
const IGNORED_SCHEMES: &[&str] = &[
    "mailto",
    "tel",
    "sms",
    "javascript",
    "data",
    "ftp",
    "ftps",
    "sftp",
    "file",
    "irc",
    "ircs",
    "news",
    "nntp",
    "git",
    "ssh",
    "magnet",
    "geo",
    "urn",
    "about",
    "blob",
    "cid",
    "xmpp",
    "webcal",
    "callto",
    "skype",
    "fax",
    "bitcoin",
    "ipfs",
    "ipns",
    "matrix",
    "signal",
    "slack",
    "spotify",
    "steam",
    "zoommtg",
    "facetime",
    "maps",
    "market",
    "itms-apps",
    "chrome",
    "ws",
    "wss",
    "doi",
    "isbn",
    "svn",
    "feed",
    "rtsp",
    "rtmp",
    "vnc",
    "ldap",
    "telnet",
    "gopher",
];

/// A URL fit for a log: its password, if any, replaced by `***`.
pub fn redacted(url: &str) -> String {
    if !url.contains('@') {
        return url.to_string();
    }
    match url::Url::parse(url.trim()) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        // Not a URL: whatever follows a `:` before an `@` may be a password.
        Err(_) => match (url.find("://"), url.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
            _ => url.to_string(),
        },
    }
}

/// Judges `written`, resolving relative destinations against `base` (an HTML `<base href>`).
pub fn judge(written: &str, base: Option<&Url>, site: &Site) -> Judged {
    let written = written.trim();
    let http_base = base.filter(|b| b.scheme().starts_with("http"));
    if written.is_empty() {
        return Judged::Internal(written.to_string());
    }
    if written.starts_with('#') || written.starts_with('?') {
        // Relative to the page itself, unless a `<base href>` says where they lead.
        return match http_base.map(|b| b.join(written)) {
            Some(Ok(url)) => judge_absolute(url.as_str(), site),
            _ => Judged::Internal(written.to_string()),
        };
    }
    if let Some(rest) = written.strip_prefix("//") {
        // Protocol-relative: the page's own scheme, https for a file on disk.
        let scheme = base.map_or("https", |b| b.scheme());
        return judge_absolute(&format!("{scheme}://{rest}"), site);
    }
    match scheme_of(written) {
        Some(scheme) => {
            let lower = scheme.to_ascii_lowercase();
            if lower == "http" || lower == "https" {
                if !written[scheme.len() + 1..].starts_with("//") {
                    return Judged::Invalid(format!("`{scheme}:` must be followed by `//`"));
                }
                return judge_absolute(written, site);
            }
            if IGNORED_SCHEMES.contains(&lower.as_str()) {
                return Judged::Ignored(lower);
            }
            if lower.contains("ttp") || lower.contains("htp") {
                return Judged::Invalid(format!("misspelled scheme `{scheme}:`"));
            }
            Judged::Ignored(lower)
        }
        None => {
            if misspelled_scheme(written) {
                return Judged::Invalid(format!(
                    "misspelled scheme: `{written}` should start with `https://` or `http://`"
                ));
            }
            if let Some(base) = http_base {
                return match base.join(written) {
                    Ok(url) => judge_absolute(url.as_str(), site),
                    Err(e) => Judged::Invalid(e.to_string()),
                };
            }
            if looks_like_domain(written) {
                return Judged::Invalid(format!(
                    "missing scheme: `{written}` is a relative path; write `https://{written}`"
                ));
            }
            Judged::Internal(written.to_string())
        }
    }
}

/// Whether `written` begins like a mistyped `http(s)://`: `https;//`, `https//`,
/// `http:/x`, `htps:/`... (letters with `ttp` or `htp`, then `//` or one `:/`).
fn misspelled_scheme(written: &str) -> bool {
    let letters = written.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (word, rest) = written.split_at(letters);
    let word = word.to_ascii_lowercase();
    if !(2..=6).contains(&letters) || !(word.contains("ttp") || word.contains("htp")) {
        return false;
    }
    let rest = rest.trim_start_matches([';', ':', '.', ',', ' ']);
    rest.starts_with('/') && written.len() - rest.len() > letters || rest.starts_with("//")
}

fn judge_absolute(written: &str, site: &Site) -> Judged {
    // Most cited URLs are already in normal form, or lack only the `/` of an empty path.
    let with_slash;
    let candidate = if written
        .get(8..)
        .is_some_and(|t| !t.contains(['/', '?', '#']))
    {
        with_slash = format!("{written}/");
        &with_slash
    } else {
        written
    };
    if let Some(host) = already_normalized(candidate) {
        return if site.is_own(host) {
            Judged::Internal(candidate.to_string())
        } else {
            Judged::External(candidate.to_string())
        };
    }
    match Url::parse(written) {
        Err(e) => Judged::Invalid(e.to_string()),
        Ok(mut url) => {
            // Credentials in a cited URL are neither sent nor kept: the link is the page.
            if !url.username().is_empty() || url.password().is_some() {
                let _ = url.set_username("");
                let _ = url.set_password(None);
            }
            judge_parsed(url, site)
        }
    }
}

fn judge_parsed(url: Url, site: &Site) -> Judged {
    match url.host_str() {
        None | Some("") => Judged::Invalid("no host".to_string()),
        Some(host) if site.is_own(host) => Judged::Internal(url.into()),
        Some(_) => Judged::External(url.into()),
    }
}

/// The host of `s` when `s` is an `http(s)` URL that the WHATWG parser would return
/// unchanged, judged conservatively in one pass (most cited URLs are; full parsing costs
/// thousands of instructions each). `None` means "parse it properly", never "invalid".
///
/// Unchanged means: a lower-case `http://` or `https://`; a host of lower-case ASCII letters,
/// digits, `-` and `.` (no port, no user info, no IPv4 look-alike, no punycode); a non-empty
/// path without dot segments or backslashes; and no character in path, query or fragment
/// that the parser would percent-encode or strip.
pub(crate) fn already_normalized(s: &str) -> Option<&str> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))?;
    let https = s.starts_with("https");
    let bytes = rest.as_bytes();
    // The host, in one pass: no empty label (leading, trailing or doubled dot), no `xn--`.
    let mut host_len = None;
    let mut after_dot = true;
    let mut last_label = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if CLASS[b as usize] & HOST == 0 {
            host_len = Some(i);
            break;
        }
        match b {
            b'.' if after_dot => return None,
            b'.' => {
                after_dot = true;
                last_label = i + 1;
            }
            b'x' if bytes[i..].starts_with(b"xn--") => return None,
            _ => after_dot = false,
        }
    }
    let host_len = host_len?;
    if after_dot {
        return None;
    }
    let host = &rest[..host_len];
    if bytes[last_label].is_ascii_digit() && !canonical_ipv4(host) {
        return None;
    }
    // An explicit port stays unless it is the scheme's default.
    let mut path_start = host_len;
    if bytes[host_len] == b':' {
        let digits = bytes[host_len + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let port = &rest[host_len + 1..host_len + 1 + digits];
        let default = if https { "443" } else { "80" };
        if digits == 0
            || digits > 5
            || port.starts_with('0')
            || port == default
            || port.parse::<u32>().ok()? > 65535
        {
            return None;
        }
        path_start = host_len + 1 + digits;
    }
    if bytes.get(path_start) != Some(&b'/') {
        return None;
    }
    // Path, then query, then fragment: each allows a different set of bytes unchanged.
    let mut part = PATH;
    let mut i = path_start;
    loop {
        // Runs of bytes that stand unchanged in this part, skipped in one tight loop.
        i += bytes[i..]
            .iter()
            .position(|&b| CLASS[b as usize] & part == 0)
            .unwrap_or(bytes.len() - i);
        let Some(&b) = bytes.get(i) else { break };
        match b {
            b'?' if part == PATH => part = QUERY,
            b'#' if part != FRAGMENT => part = FRAGMENT,
            // A dot segment (`/./`, `/../`, or one at the end) is resolved by the parser.
            b'.' if part == PATH => {
                let dots = bytes[i..].iter().take_while(|&&c| c == b'.').count();
                let after = bytes.get(i + dots);
                if bytes[i - 1] == b'/'
                    && dots <= 2
                    && matches!(after, None | Some(b'/' | b'?' | b'#'))
                {
                    return None;
                }
                i += dots;
                continue;
            }
            // `%2e` is a dot to the parser.
            b'%' if part == PATH => {
                if bytes
                    .get(i + 1..i + 3)
                    .is_some_and(|h| h.eq_ignore_ascii_case(b"2e"))
                {
                    return None;
                }
            }
            _ => return None,
        }
        i += 1;
    }
    Some(host)
}

/// Whether `host` is an IPv4 address written as the parser writes it: four decimal parts
/// without leading zeros, each at most 255.
fn canonical_ipv4(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

/// Byte classes for [`already_normalized`]: which bytes stand unchanged in a host, a path,
/// a query and a fragment of an `http(s)` URL.
const HOST: u8 = 1;
const PATH: u8 = 2;
const QUERY: u8 = 4;
const FRAGMENT: u8 = 8;
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0x21;
    while b < 0x7f {
        let c = b as u8;
        let mut class = PATH | QUERY | FRAGMENT;
        // Percent-encoded (or structural) in the path: " # < > ? ` { } \ and `.`/`%` (checked).
        if matches!(
            c,
            b'"' | b'#' | b'<' | b'>' | b'?' | b'`' | b'{' | b'}' | b'\\' | b'.' | b'%'
        ) {
            class &= !PATH;
        }
        // In a special scheme's query: " # < > '
        if matches!(c, b'"' | b'#' | b'<' | b'>' | b'\'' | b'\\') {
            class &= !QUERY;
        }
        // In the fragment: " < > `
        if matches!(c, b'"' | b'<' | b'>' | b'`' | b'\\') {
            class &= !FRAGMENT;
        }
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.' {
            class |= HOST;
        }
        t[b] = class;
        b += 1;
    }
    t
};

/// The scheme of an absolute URL (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`).
fn scheme_of(s: &str) -> Option<&str> {
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// `www.example.org/...`: a URL whose scheme was forgotten, not a relative path.
fn looks_like_domain(s: &str) -> bool {
    let first = s.split(['/', '?', '#']).next().unwrap_or("");
    first
        .get(..4)
        .is_some_and(|www| www.eq_ignore_ascii_case("www."))
        && first[4..].contains('.')
}

/// Query parameters that only track where a click came from; they never change the page.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
    "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "ref_src", "ref_url", "s_cid",
];

/// The identity of a link: the URL without fragment and tracking parameters (`utm_*`,
/// `fbclid`, `gclid`...), so that one page cited with different tracking is checked once.
/// This is also the URL that is requested.
pub fn link_key(url: &str) -> String {
    // A normalized URL without query or fragment is its own key.
    if !url.contains(['?', '#']) && already_normalized(url).is_some() {
        return url.to_string();
    }
    let Ok(mut parsed) = Url::parse(url) else {
        return url.to_string();
    };
    parsed.set_fragment(None);
    if parsed.query().is_some() {
        let kept: Vec<(String, String)> = parsed
            .query_pairs()
            .filter(|(k, _)| {
                let k = k.to_ascii_lowercase();
                !k.starts_with("utm_") && !TRACKING_PARAMS.contains(&k.as_str())
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let total = parsed.query_pairs().count();
        if kept.is_empty() {
            parsed.set_query(None);
        } else if kept.len() != total {
            parsed.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    parsed.into()
}

/// Whether `host` is `domain` or one of its subdomains (`news.bbc.co.uk` is within
/// `bbc.co.uk`; `notbbc.co.uk` is not), case and a trailing dot aside.
pub fn within(host: &str, domain: &str) -> bool {
    let host = host.trim_end_matches('.');
    let domain = domain.trim_end_matches('.');
    host.len() >= domain.len()
        && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain)
        && (host.len() == domain.len() || host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

/// archive.today's names: one archive with many mirrors, and no raw mode.
pub const ARCHIVE_TODAY: &[&str] = &[
    "archive.today",
    "archive.ph",
    "archive.is",
    "archive.li",
    "archive.vn",
    "archive.md",
    "archive.fo",
];

/// The public web archives' hosts: a live page redirected there has moved into an archive,
/// and an address there is a memento (checked as the archive's page, never captured again).
pub const WEB_ARCHIVES: &[&str] = &[
    "web.archive.org",
    "webarchive.nationalarchives.gov.uk",
    "www.webarchive.org.uk",
    "wayback.archive-it.org",
    "arquivo.pt",
    "webarchive.loc.gov",
    "timetravel.mementoweb.org",
];

/// Whether `host` is a public web archive's ([`WEB_ARCHIVES`], [`ARCHIVE_TODAY`]).
pub fn is_web_archive(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    WEB_ARCHIVES.contains(&host.as_str()) || ARCHIVE_TODAY.contains(&host.as_str())
}

/// The host of an absolute URL, lower-case, or "" when it has none.
pub fn host_of(url: &str) -> String {
    if let Some(host) = already_normalized(url) {
        return host.to_string();
    }
    Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default()
}

/// The host of a URL the `url` crate has already normalized, read off the string (user
/// info, port and path stripped; IPv6 hosts keep their brackets), without parsing.
pub fn host_str(url: &str) -> Option<&str> {
    let bytes = url.as_bytes();
    // A scheme has no colon, so the first one ends it. (Plain loops here: these strings
    // are a few bytes, shorter than memchr takes to set up.)
    let colon = bytes.iter().position(|&b| b == b':')?;
    if !bytes[colon..].starts_with(b"://") {
        return None;
    }
    // The authority runs to the path, query or fragment; the host follows the last `@`.
    let mut host_start = colon + 3;
    let mut end = bytes.len();
    for (i, &b) in bytes.iter().enumerate().skip(host_start) {
        match b {
            b'/' | b'?' | b'#' => {
                end = i;
                break;
            }
            b'@' => host_start = i + 1,
            _ => {}
        }
    }
    let host_port = &url[host_start..end];
    if host_port.starts_with('[') {
        return host_port.find(']').map(|i| &host_port[..=i]);
    }
    Some(match host_port.bytes().position(|b| b == b':') {
        Some(i) => &host_port[..i],
        None => host_port,
    })
}

/// The registrable domain of a host (`www.reuters.com` → `reuters.com`), by the Public
/// Suffix List, with a leading `www.` dropped (`www.gov.uk` → `gov.uk`); IPs stay as they are.
pub fn registrable_domain(host: &str) -> &str {
    let host = host.trim_end_matches('.');
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return host;
    }
    let domain = psl::domain_str(host).unwrap_or(host);
    strip_www(domain)
}

/// A Wayback-style URI-M's archive prefix (up to the timestamp's slash), timestamp (without
/// a mode such as `id_`) and original URL: `https://web.archive.org/web/20240105120000/
/// https://x.org/a` is (`https://web.archive.org/web`, `20240105120000`, `https://x.org/a`).
pub fn memento_parts(urim: &str) -> Option<(&str, &str, &str)> {
    let after_scheme = urim.find("://")? + 3;
    let mut at = after_scheme;
    while let Some(slash) = urim[at..].find('/') {
        let start = at + slash + 1;
        let segment_end = urim[start..].find('/').map(|e| start + e)?;
        let segment = &urim[start..segment_end];
        let digits = segment.trim_end_matches(|c: char| c.is_ascii_lowercase() || c == '_');
        let original = &urim[segment_end + 1..];
        if (4..=14).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (original.starts_with("http://") || original.starts_with("https://"))
        {
            return Some((&urim[..start - 1], digits, original));
        }
        at = start;
    }
    None
}

/// The page a URI-M is a capture of (the URL itself when it is not Wayback-style).
pub fn original_of(urim: &str) -> &str {
    memento_parts(urim).map_or(urim, |(_, _, original)| original)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_a_domain_and_the_web_archives() {
        assert!(within("news.bbc.co.uk", "bbc.co.uk"));
        assert!(within("BBC.co.uk.", "bbc.co.uk"));
        assert!(!within("notbbc.co.uk", "bbc.co.uk"));
        assert!(!within("co.uk", "bbc.co.uk"));
        assert!(is_web_archive("web.archive.org") && is_web_archive("ARCHIVE.FO"));
        assert!(!is_web_archive("archive.org") && !is_web_archive("example.org"));
    }

    fn site() -> Site {
        Site::new(Some("https://pauseai.info"), &["pauseai.nl".to_string()]).unwrap()
    }

    #[test]
    fn credentials_in_a_cited_url_are_dropped() {
        let site = Site::new(Some("https://pauseai.info"), &[]).unwrap();
        assert!(matches!(
            judge("https://alice:secret@host.example/p", None, &site),
            Judged::External(u) if u == "https://host.example/p"
        ));
        assert!(matches!(
            judge("https://alice@host.example/p", None, &site),
            Judged::External(u) if u == "https://host.example/p"
        ));
    }

    #[test]
    fn misspelled_schemes_are_invalid_not_internal() {
        let site = Site::new(Some("https://pauseai.info"), &[]).unwrap();
        for written in [
            "https;//example.com/x",
            "https//example.com/x",
            "http//a.example",
            "htps;//a.example",
        ] {
            assert!(
                matches!(judge(written, None, &site), Judged::Invalid(_)),
                "{written}"
            );
        }
        for written in ["http/x.md", "https-notes.md", "./http//x"] {
            assert!(
                matches!(judge(written, None, &site), Judged::Internal(_)),
                "{written}"
            );
        }
    }

    #[test]
    fn query_and_fragment_links_follow_the_base() {
        let site = Site::new(Some("https://pauseai.info"), &[]).unwrap();
        let base = Url::parse("https://other.example/dir/page").unwrap();
        assert!(matches!(
            judge("?q=1", Some(&base), &site),
            Judged::External(u) if u == "https://other.example/dir/page?q=1"
        ));
        assert!(matches!(
            judge("#top", Some(&base), &site),
            Judged::External(u) if u.starts_with("https://other.example/dir/page")
        ));
        assert!(matches!(judge("#top", None, &site), Judged::Internal(_)));
    }

    #[test]
    fn judging_destinations() {
        let s = site();
        let ext = |w: &str| match judge(w, None, &s) {
            Judged::External(u) => u,
            other => panic!("{w}: {other:?}"),
        };
        assert_eq!(
            ext("HTTPS://WWW.Gov.UK:443/a?b#c"),
            "https://www.gov.uk/a?b#c"
        );
        assert_eq!(ext("http://example.com:80"), "http://example.com/");
        assert_eq!(ext("http://example.com"), "http://example.com/");
        assert_eq!(ext("https://example.com/"), "https://example.com/");
        assert_eq!(
            ext("http://example.com:8080/x"),
            "http://example.com:8080/x"
        );
        assert_eq!(
            ext("//cdn.example.com/x.js"),
            "https://cdn.example.com/x.js"
        );
        assert_eq!(judge("/risks", None, &s), Judged::Internal("/risks".into()));
        assert_eq!(
            judge("../x.md", None, &s),
            Judged::Internal("../x.md".into())
        );
        assert!(matches!(
            judge("https://pauseai.info/x", None, &s),
            Judged::Internal(_)
        ));
        assert!(matches!(
            judge("https://www.pauseai.info/x", None, &s),
            Judged::Internal(_)
        ));
        assert!(matches!(
            judge("https://pauseai.nl/", None, &s),
            Judged::Internal(_)
        ));
        assert_eq!(
            judge("mailto:a@b.c", None, &s),
            Judged::Ignored("mailto".into())
        );
        assert_eq!(
            judge("JavaScript:void(0)", None, &s),
            Judged::Ignored("javascript".into())
        );
        assert!(matches!(
            judge("https://exa mple.com/", None, &s),
            Judged::Invalid(_)
        ));
        assert!(matches!(judge("https://", None, &s), Judged::Invalid(_)));
        assert!(matches!(
            judge("https:example.com", None, &s),
            Judged::Invalid(_)
        ));
        assert!(matches!(
            judge("htps://example.com", None, &s),
            Judged::Invalid(_)
        ));
        assert!(matches!(
            judge("www.example.com/page", None, &s),
            Judged::Invalid(_)
        ));
        let base = Url::parse("https://example.org/docs/").unwrap();
        assert_eq!(
            judge("a/b.html", Some(&base), &s),
            Judged::External("https://example.org/docs/a/b.html".into())
        );
        assert_eq!(
            judge("//x.org/y", Some(&Url::parse("http://a.org/").unwrap()), &s),
            Judged::External("http://x.org/y".into())
        );
    }

    /// The fast path must agree with the `url` crate wherever it answers.
    #[test]
    fn fast_path_agrees_with_the_parser() {
        let cases = [
            ("https://www.gov.uk/a/b?c=d&e#f", true),
            ("https://example.com/", true),
            ("http://a-b.example.org/x%20y?q='1'", false),
            ("https://example.com", false),
            ("https://Example.com/", false),
            ("https://example.com:443/", false),
            ("http://example.com:80/", false),
            ("http://example.com:8080/x", true),
            ("https://example.com:080/x", false),
            ("https://example.com:99999/x", false),
            ("http://127.0.0.5:18080/p/3.html", true),
            ("http://127.0.0.05/", false),
            ("http://256.0.0.1/", false),
            ("https://u@example.com/", false),
            ("https://example.com/a/../b", false),
            ("https://example.com/a/./b", false),
            ("https://example.com/a/.", false),
            ("https://example.com/a/%2e%2E/b", false),
            ("https://example.com/a/.b/..c/...", true),
            ("https://example.com/a b", false),
            ("https://example.com/{x}", false),
            ("https://example.com/?{x}", true),
            ("https://example.com/`", false),
            ("https://example.com/?`", true),
            ("https://example.com/#`", false),
            ("https://example.com/é", false),
            ("https://1.2.3.4/", true),
            ("https://0x7f.1/", false),
            ("https://xn--bcher-kva.example/", false),
            ("https://a..b/", false),
            ("https://example.com\\x", false),
        ];
        for (s, fast) in cases {
            assert_eq!(already_normalized(s).is_some(), fast, "{s}");
            if let Some(host) = already_normalized(s) {
                let url = Url::parse(s).unwrap();
                assert_eq!(url.as_str(), s);
                assert_eq!(url.host_str(), Some(host));
            }
        }
    }

    proptest::proptest! {
        /// Random URL-ish strings near the edge cases: whenever the fast path answers, the
        /// parser gives the same URL and host.
        #[test]
        fn fast_path_never_disagrees(
            scheme in "(https?|HTTP)://",
            host in "([a-z0-9.A-]{1,12}|[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,4})(:[0-9]{1,6})?",
            tail in "/?[/a-z0-9.%?#'`{}<> \"\\\\\t\u{e9}-]{0,24}",
        ) {
            let s = format!("{scheme}{host}{tail}");
            if let Some(h) = already_normalized(&s) {
                let url = Url::parse(&s).map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{s}: {e}")))?;
                proptest::prop_assert_eq!(url.as_str(), s.as_str());
                proptest::prop_assert_eq!(url.host_str(), Some(h));
            }
        }
    }

    proptest::proptest! {
        /// Judging never panics, and whatever it calls external is a URL the parser accepts.
        #[test]
        fn judging_any_text_is_safe(s in "\\PC{0,40}", t in "(https?:)?//[a-zé.:/?#@\\[\\]%-]{0,20}") {
            for w in [&s, &t] {
                if let Judged::External(url) = judge(w, None, &Site::default()) {
                    proptest::prop_assert!(Url::parse(&url).is_ok(), "{url}");
                }
            }
        }
    }

    #[test]
    fn link_keys_drop_fragments_and_tracking() {
        assert_eq!(
            link_key("https://www.gov.uk/a?utm_source=substack&utm_medium=email#x"),
            "https://www.gov.uk/a"
        );
        assert_eq!(
            link_key("https://e.com/p?id=3&fbclid=abc&b=2"),
            "https://e.com/p?id=3&b=2"
        );
        assert_eq!(
            link_key("https://e.com/p?id=3&b=2"),
            "https://e.com/p?id=3&b=2"
        );
        assert_eq!(
            link_key("https://a-b.translate.goog/x/?_x_tr_sl=es&_x_tr_tl=en"),
            "https://a-b.translate.goog/x/?_x_tr_sl=es&_x_tr_tl=en"
        );
    }

    #[test]
    fn hosts_read_off_normalized_urls() {
        for url in [
            "https://www.gov.uk/a?b#c",
            "http://user:pw@example.com:8080/x",
            "http://[::1]:8080/x",
            "https://example.com",
        ] {
            let parsed = Url::parse(url).unwrap();
            assert_eq!(host_str(parsed.as_str()), parsed.host_str(), "{url}");
        }
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(registrable_domain("www.reuters.com"), "reuters.com");
        assert_eq!(registrable_domain("www.gov.uk"), "gov.uk");
        assert_eq!(registrable_domain("aisi.gov.uk"), "aisi.gov.uk");
        assert_eq!(registrable_domain("thezvi.substack.com"), "substack.com");
        assert_eq!(registrable_domain("127.0.0.1"), "127.0.0.1");
    }
}
