//! Memento (RFC 7089): HTTP dates, the `Link` header every memento carries, and TimeMaps
//! in `application/link-format`.

use jiff::fmt::rfc2822::{DateTimeParser, DateTimePrinter};

use super::index::Capture;

/// Unix seconds as an HTTP date (`Thu, 26 Nov 2026 03:00:00 GMT`).
pub fn http_date(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .ok()
        .and_then(|t| DateTimePrinter::new().timestamp_to_rfc9110_string(&t).ok())
        .unwrap_or_default()
}

/// An `Accept-Datetime` value as Unix seconds, or `None` when it is not an HTTP date.
pub fn parse_http_date(value: &str) -> Option<i64> {
    let value = value.trim();
    // RFC 7089 asks for RFC 1123 dates in GMT; a numeric zone is taken too.
    DateTimeParser::new()
        .parse_timestamp(value)
        .ok()
        .map(|t| t.as_second())
}

/// The URLs a memento's headers and the TimeMap name, under `base` (`http://host:port`).
pub struct Urls<'a> {
    /// The scheme and authority the browser used.
    pub base: &'a str,
    /// The original URL.
    pub original: &'a str,
}

impl Urls<'_> {
    /// The memento at `timestamp`.
    pub fn memento(&self, timestamp: &str) -> String {
        format!("{}/web/{timestamp}/{}", self.base, self.original)
    }

    /// The TimeGate.
    pub fn timegate(&self) -> String {
        format!("{}/web/{}", self.base, self.original)
    }

    /// The link-format TimeMap.
    pub fn timemap(&self) -> String {
        format!("{}/timemap/link/{}", self.base, self.original)
    }

    /// The `Link` header of a memento (or of the TimeGate's redirect): original, timegate
    /// and timemap.
    pub fn link_header(&self) -> String {
        format!(
            "<{}>; rel=\"original\", <{}>; rel=\"timegate\", <{}>; rel=\"timemap\"; type=\"application/link-format\"",
            link_escape(self.original),
            self.timegate(),
            self.timemap()
        )
    }

    /// The TimeMap of `captures` (oldest first) in `application/link-format`.
    pub fn timemap_body(&self, captures: &[&Capture]) -> String {
        let mut out = format!("<{}>; rel=\"original\",\n", link_escape(self.original));
        let (from, until) = match (captures.first(), captures.last()) {
            (Some(f), Some(l)) => (
                format!("; from=\"{}\"", http_date(f.time)),
                format!("; until=\"{}\"", http_date(l.time)),
            ),
            _ => Default::default(),
        };
        out.push_str(&format!(
            "<{}>; rel=\"self\"; type=\"application/link-format\"{from}{until},\n",
            self.timemap()
        ));
        out.push_str(&format!("<{}>; rel=\"timegate\"", self.timegate()));
        let n = captures.len();
        for (i, c) in captures.iter().enumerate() {
            let rel = match (i == 0, i + 1 == n) {
                (true, true) => "first last memento",
                (true, false) => "first memento",
                (false, true) => "last memento",
                (false, false) => "memento",
            };
            out.push_str(&format!(
                ",\n<{}>; rel=\"{rel}\"; datetime=\"{}\"",
                self.memento(&c.timestamp),
                http_date(c.time)
            ));
        }
        out.push('\n');
        out
    }
}

/// A URL fit to stand between `<` and `>` in a Link header.
fn link_escape(url: &str) -> String {
    url.replace('>', "%3E").replace(['\r', '\n'], "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_both_ways() {
        assert_eq!(http_date(1_795_662_000), "Thu, 26 Nov 2026 03:00:00 GMT");
        assert_eq!(
            parse_http_date("Thu, 26 Nov 2026 03:00:00 GMT"),
            Some(1_795_662_000)
        );
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date("2026-11-26"), None);
    }
}
