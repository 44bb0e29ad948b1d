//! The replay index in memory: `archive/index.cdxj` read into a map from SURT key to the
//! captures of that URL in time order, reloaded when a run rewrites the file, so finding
//! the capture nearest a time costs a hash lookup and a binary search, and reading it one
//! seek.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use serde::Deserialize;

pub use crate::archive::cdxj::parse_timestamp;
use crate::archive::cdxj::surt;

/// One capture (a response, revisit or redirect record) as the index lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capture {
    /// The URL captured.
    pub url: String,
    /// 14-digit timestamp.
    pub timestamp: String,
    /// Unix seconds.
    pub time: i64,
    /// MIME type, or `warc/revisit`.
    pub mime: String,
    /// HTTP status.
    pub status: u16,
    /// Payload digest.
    pub digest: String,
    /// Where the record is: file name, offset and length of its gzip member.
    pub filename: String,
    /// Offset of the gzip member.
    pub offset: u64,
    /// Length of the gzip member.
    pub length: u64,
}

impl Capture {
    /// Whether this is a revisit record (its payload is an earlier capture's).
    pub fn is_revisit(&self) -> bool {
        self.mime == "warc/revisit"
    }
}

#[derive(Deserialize)]
struct Json {
    url: String,
    #[serde(default)]
    mime: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    digest: String,
    length: String,
    offset: String,
    filename: String,
}

/// Captures by SURT key, each list in time order.
#[derive(Debug, Default)]
pub struct Index {
    by_key: HashMap<String, Vec<Capture>>,
    captures: usize,
}

impl Index {
    /// Parses CDXJ text; malformed lines are skipped.
    pub fn parse(text: &str) -> Index {
        let mut by_key: HashMap<String, Vec<Capture>> = HashMap::new();
        let mut captures = 0;
        for line in text.lines() {
            let mut parts = line.splitn(3, ' ');
            let (Some(key), Some(ts), Some(json)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Ok(j) = serde_json::from_str::<Json>(json) else {
                continue;
            };
            let (Ok(offset), Ok(length), Some(time)) =
                (j.offset.parse(), j.length.parse(), parse_timestamp(ts))
            else {
                continue;
            };
            if !valid_file_name(&j.filename) {
                continue;
            }
            by_key.entry(key.to_string()).or_default().push(Capture {
                url: j.url,
                timestamp: ts.to_string(),
                time,
                mime: j.mime.unwrap_or_default(),
                status: j.status.and_then(|s| s.parse().ok()).unwrap_or(0),
                digest: j.digest,
                filename: j.filename,
                offset,
                length,
            });
            captures += 1;
        }
        for list in by_key.values_mut() {
            list.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
        }
        Index { by_key, captures }
    }

    /// How many captures it lists.
    pub fn len(&self) -> usize {
        self.captures
    }

    /// Whether it lists none.
    pub fn is_empty(&self) -> bool {
        self.captures == 0
    }

    /// Every capture of `url`, oldest first.
    pub fn captures(&self, url: &str) -> &[Capture] {
        self.by_key.get(&surt(url)).map_or(&[], Vec::as_slice)
    }

    /// The capture of `url` nearest to `time` (the earlier on a tie).
    pub fn nearest(&self, url: &str, time: i64) -> Option<&Capture> {
        nearest(self.captures(url), time)
    }

    /// The capture holding the payload of `capture`: itself, or for a revisit the earlier
    /// full capture of the same URL with the same digest.
    pub fn payload_of<'a>(&'a self, capture: &'a Capture) -> Option<&'a Capture> {
        if !capture.is_revisit() {
            return Some(capture);
        }
        self.captures(&capture.url)
            .iter()
            .rev()
            .find(|c| !c.is_revisit() && c.digest == capture.digest && c.time <= capture.time)
    }
}

/// The capture of `list` (in time order) nearest to `time`, the earlier on a tie.
pub fn nearest(list: &[Capture], time: i64) -> Option<&Capture> {
    let i = list.partition_point(|c| c.time < time);
    let after = list.get(i);
    let before = i.checked_sub(1).and_then(|j| list.get(j));
    match (before, after) {
        (Some(b), Some(a)) => Some(if time - b.time <= a.time - time { b } else { a }),
        (b, a) => b.or(a),
    }
}

/// A WARC file name the index may name: no path separators, no parent references.
pub fn valid_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && name.ends_with(".warc.gz")
}

/// A file's modification time and size: when either changes, the file was rewritten.
type FileStamp = (SystemTime, u64);

/// The index of an archive folder, reloaded whenever `index.cdxj` changes on disk.
pub struct LiveIndex {
    path: PathBuf,
    current: RwLock<(Option<FileStamp>, Arc<Index>)>,
}

impl LiveIndex {
    /// The index of the archive in `dir` (empty until the file exists).
    pub fn new(dir: &Path) -> LiveIndex {
        let live = LiveIndex {
            path: dir.join("index.cdxj"),
            current: RwLock::new((None, Arc::new(Index::default()))),
        };
        live.get();
        live
    }

    /// The index as the file is now.
    pub fn get(&self) -> Arc<Index> {
        let stamp = std::fs::metadata(&self.path)
            .ok()
            .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
        {
            let cur = self.current.read().unwrap_or_else(|e| e.into_inner());
            if cur.0 == stamp {
                return cur.1.clone();
            }
        }
        let index = Arc::new(match std::fs::read_to_string(&self.path) {
            Ok(text) => Index::parse(&text),
            Err(_) => Index::default(),
        });
        let mut cur = self.current.write().unwrap_or_else(|e| e.into_inner());
        *cur = (stamp, index.clone());
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CDXJ: &str = r#"com,example)/a 20261126030000 {"url": "https://example.com/a", "mime": "text/html", "status": "200", "digest": "sha1:AAA", "length": "100", "offset": "0", "filename": "a.warc.gz"}
com,example)/a 20261128030000 {"url": "https://example.com/a", "mime": "warc/revisit", "status": "200", "digest": "sha1:AAA", "length": "90", "offset": "500", "filename": "a.warc.gz"}
com,example)/a 20261201030000 {"url": "https://example.com/a", "mime": "text/html", "status": "200", "digest": "sha1:BBB", "length": "100", "offset": "900", "filename": "a.warc.gz"}
com,example)/b 20261126030000 {"url": "https://example.com/b", "mime": "text/html", "status": "200", "digest": "sha1:CCC", "length": "100", "offset": "0", "filename": "../../etc/passwd"}
broken line
"#;

    #[test]
    fn nearest_capture_and_revisit_payload() {
        let index = Index::parse(CDXJ);
        assert_eq!(
            index.len(),
            3,
            "the bad file name and the broken line are skipped"
        );
        let at = |ts: &str| {
            index
                .nearest("https://www.example.com/a", parse_timestamp(ts).unwrap())
                .map(|c| c.timestamp.clone())
        };
        assert_eq!(at("2020").as_deref(), Some("20261126030000"));
        assert_eq!(at("20261127").as_deref(), Some("20261126030000"));
        assert_eq!(at("20261129").as_deref(), Some("20261128030000"));
        assert_eq!(at("2030").as_deref(), Some("20261201030000"));
        let revisit = &index.captures("https://example.com/a")[1];
        assert_eq!(index.payload_of(revisit).unwrap().offset, 0);
        assert!(index.captures("https://example.com/b").is_empty());
    }

    #[test]
    fn partial_timestamps_name_their_first_moment() {
        assert_eq!(parse_timestamp("2026"), parse_timestamp("20260101000000"));
        assert_eq!(parse_timestamp("202611"), parse_timestamp("20261101000000"));
        assert_eq!(parse_timestamp("20261127030000"), Some(1_795_748_400));
        assert_eq!(parse_timestamp("20261"), parse_timestamp("20261001000000"));
        assert_eq!(parse_timestamp("20260231"), parse_timestamp("20260228"));
        assert_eq!(parse_timestamp("x"), None);
        assert_eq!(parse_timestamp("202611270300001"), None);
    }
}
