//! The current time, in Unix seconds. `CITEKEEP_NOW` (Unix seconds or an RFC 3339 time)
//! overrides it, so tests and trials can simulate runs days apart.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, or the time `CITEKEEP_NOW` names.
pub fn now() -> i64 {
    if let Ok(value) = std::env::var("CITEKEEP_NOW") {
        if let Ok(secs) = value.trim().parse::<i64>() {
            return secs;
        }
        if let Ok(ts) = value.trim().parse::<jiff::Timestamp>() {
            return ts.as_second();
        }
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `secs` as an RFC 3339 UTC time, for people and JSON.
pub fn format(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| secs.to_string())
}

/// The UTC date of `secs` (`YYYY-MM-DD`), for people.
pub fn date(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| secs.to_string())
}

/// The date (`YYYY-MM-DD`) of a capture timestamp (`YYYYMMDDhhmmss`, at least the
/// date's 8 digits), when it is one.
pub fn date_of_stamp(ts: &str) -> Option<String> {
    let d = ts
        .get(..8)
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
    Some(format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..8]))
}

/// One day in seconds.
pub const DAY: i64 = 86_400;
