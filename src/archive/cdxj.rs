//! The CDXJ index (`archive/index.cdxj`): one line per response or revisit record,
//! `SURT-key 14-digit-timestamp {json}`, sorted, so replay finds a capture with one seek.
//! Keys are computed as the `surt` library (used by pywb and cdxj-indexer) computes them,
//! so the index agrees line for line with `cdxj-indexer` on the same files.

use std::io::Write;

use url::Url;

/// The SURT key of a URL: host reversed without `www`, path and query lower-cased,
/// normalized and sorted, no fragment (`https://www.Gov.UK/a/B?y=1&x=2` →
/// `uk,gov)/a/b?x=2&y=1`).
pub fn surt(url: &str) -> String {
    let Ok(u) = Url::parse(url) else {
        return url.to_ascii_lowercase();
    };
    // A `urn:` (`urn:screenshot:URL`) is keyed as the surt library keys it: lower-cased,
    // its query's arguments sorted.
    if u.scheme() == "urn" {
        let lower = url.to_ascii_lowercase();
        return match lower.split_once('?') {
            Some((before, query)) => {
                let mut args: Vec<&str> = query.split('&').collect();
                args.sort_unstable();
                format!("{before}?{}", args.join("&"))
            }
            None => lower,
        };
    }
    let host = u.host_str().unwrap_or_default().to_ascii_lowercase();
    let host = strip_www(&host);
    let mut key = if host.starts_with('[') {
        host.to_string()
    } else {
        host.split('.').rev().collect::<Vec<_>>().join(",")
    };
    if let Some(port) = u.port() {
        key.push_str(&format!(":{port}"));
    }
    key.push(')');
    let mut path = canonical(u.path());
    while path.contains("//") {
        path = path.replace("//", "/");
    }
    if path.len() > 1 && path.ends_with('/') {
        path.pop();
    }
    if path.is_empty() {
        path.push('/');
    }
    key.push_str(&path);
    if let Some(query) = u.query().filter(|q| !q.is_empty()) {
        let query = canonical(query);
        let mut parts: Vec<&str> = query.split('&').collect();
        parts.sort_unstable();
        key.push('?');
        key.push_str(&parts.join("&"));
    }
    key
}

fn strip_www(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix("www") {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let Some(after) = rest[digits..].strip_prefix('.') {
            return after;
        }
    }
    host
}

/// Percent-decodes (until nothing changes), lower-cases, and escapes again only what must
/// be: controls, space, non-ASCII bytes, `#` and `%`.
fn canonical(s: &str) -> String {
    let mut bytes = s.as_bytes().to_vec();
    loop {
        let decoded: Vec<u8> = percent_encoding::percent_decode(&bytes).collect();
        if decoded == bytes {
            break;
        }
        bytes = decoded;
    }
    let mut out = String::with_capacity(bytes.len());
    for b in bytes {
        if b <= 0x20 || b >= 0x7f || b == b'#' || b == b'%' {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push(b.to_ascii_lowercase() as char);
        }
    }
    out
}

/// A 14-digit timestamp (`20261127060000`) from Unix seconds.
pub fn timestamp(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y%m%d%H%M%S").to_string())
        .unwrap_or_else(|_| "19700101000000".to_string())
}

/// A 14-digit timestamp (or a prefix of one, padded as the earliest time it names) as
/// Unix seconds.
pub fn parse_timestamp(ts: &str) -> Option<i64> {
    if ts.is_empty() || ts.len() > 14 || !ts.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Pad a prefix to the first moment it names: 2026 -> 20260101000000.
    let mut full = ts.as_bytes().to_vec();
    full.extend_from_slice(&b"00000101000000"[ts.len()..]);
    // A prefix ending inside the month or day: its first such (0 -> 01, 1 -> 10, 2 -> 20).
    for field in [4, 6] {
        if ts.len() == field + 1 {
            full[field + 1] = if full[field] == b'0' { b'1' } else { b'0' };
        }
    }
    let full = String::from_utf8(full).ok()?;
    // Out-of-range fields (month 13, February 31) are clamped to the nearest valid time.
    let n = |r: std::ops::Range<usize>| full[r].parse::<i16>().unwrap_or(0);
    let (year, month, day) = (n(0..4), n(4..6).clamp(1, 12), n(6..8).max(1));
    let (hour, minute, second) = (n(8..10).min(23), n(10..12).min(59), n(12..14).min(59));
    let date = jiff::civil::Date::new(year, month as i8, 1).ok()?;
    let day = day.min(date.days_in_month() as i16) as i8;
    let dt = jiff::civil::datetime(
        year,
        month as i8,
        day,
        hour as i8,
        minute as i8,
        second as i8,
        0,
    );
    jiff::tz::TimeZone::UTC
        .to_timestamp(dt)
        .ok()
        .map(|t| t.as_second())
}

/// Whether `ts` is a whole 14-digit timestamp of a real moment (no field out of range):
/// what an archive's capture address must carry before it is written anywhere.
pub fn is_exact_timestamp(ts: &str) -> bool {
    ts.len() == 14
        && ts.bytes().all(|b| b.is_ascii_digit())
        && parse_timestamp(ts).is_some_and(|secs| timestamp(secs) == ts)
}

/// One index line's fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The record's target URI.
    pub url: String,
    /// Unix seconds of the capture.
    pub time: i64,
    /// MIME type without parameters, or `warc/revisit`; none when the response had none.
    pub mime: Option<String>,
    /// HTTP status; none for a `resource` record.
    pub status: Option<u16>,
    /// The payload digest (`sha1:...`).
    pub digest: String,
    /// The gzip member's length.
    pub length: u64,
    /// The gzip member's offset.
    pub offset: u64,
    /// The WARC file's name.
    pub filename: String,
}

impl Entry {
    /// The index line, as cdxj-indexer writes it.
    pub fn line(&self) -> String {
        let json = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let mime = self
            .mime
            .as_deref()
            .map(|m| format!("\"mime\": {}, ", json(m)))
            .unwrap_or_default();
        let status = self
            .status
            .map(|s| format!("\"status\": \"{s}\", "))
            .unwrap_or_default();
        format!(
            "{} {} {{\"url\": {}, {mime}{status}\"digest\": {}, \"length\": \"{}\", \"offset\": \"{}\", \"filename\": {}}}",
            surt(&self.url),
            timestamp(self.time),
            json(&self.url),
            json(&self.digest),
            self.length,
            self.offset,
            json(&self.filename)
        )
    }
}

/// Writes `lines` sorted to `path` through a temporary file renamed over it; returns how
/// many lines were written.
pub fn write_sorted(path: &std::path::Path, mut lines: Vec<String>) -> std::io::Result<usize> {
    lines.sort();
    lines.dedup();
    let tmp = path.with_extension("cdxj.tmp");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    for line in &lines {
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.into_inner().map_err(|e| e.into_error())?;
    std::fs::rename(&tmp, path)?;
    Ok(lines.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// SURT keys of anything never panic and are lower case; those of real URLs are free
        /// of the scheme.
        #[test]
        fn surt_of_anything(url in "(https?://)?[ -~]{0,80}") {
            let key = surt(&url);
            proptest::prop_assert_eq!(key.to_ascii_lowercase(), key.clone());
            if url::Url::parse(&url).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty())) {
                proptest::prop_assert!(!key.starts_with("http"), "{}", key);
            }
        }
    }

    #[test]
    fn surt_keys_as_the_surt_library_writes_them() {
        // Pairs checked against the Python `surt` library (used by pywb and cdxj-indexer).
        let cases = [
            (
                "https://www.Gov.UK/government/News/x?B=2&a=1#frag",
                "uk,gov)/government/news/x?a=1&b=2",
            ),
            (
                "https://example.com/A%2fB%7e?x=Y%20Z",
                "com,example)/a/b~?x=y%20z",
            ),
            ("https://example.com", "com,example)/"),
            (
                "urn:screenshot:https://www.Live.example/Feed?B=1&a=2",
                "urn:screenshot:https://www.live.example/feed?a=2&b=1",
            ),
            ("https://example.com/a//b/", "com,example)/a/b"),
            ("https://m.example.com/x", "com,example,m)/x"),
            ("https://www.example.com:443/x", "com,example)/x"),
            ("http://example.com:80/x", "com,example)/x"),
            ("https://example.com/?", "com,example)/"),
            (
                "https://example.com/p?utm_source=x&id=3",
                "com,example)/p?id=3&utm_source=x",
            ),
            ("https://EXAMPLE.com/%E2%82%AC", "com,example)/%e2%82%ac"),
            ("https://127.0.0.1:8080/x", "1,0,0,127:8080)/x"),
            ("https://example.com/x?a=1&a=0", "com,example)/x?a=0&a=1"),
            ("https://sub.www.example.com/", "com,example,www,sub)/"),
            ("https://www2.example.org/", "org,example)/"),
        ];
        for (url, key) in cases {
            assert_eq!(surt(url), key, "{url}");
        }
    }
}
