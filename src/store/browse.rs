//! Queries of the archive browser: sources with their counts, one source's citations, one
//! link's timeline, and search over link texts, URLs and the archived pages' text.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{OptionalExtension, params};

use super::{LINK_SELECT, SNAPSHOT_COLUMNS, SnapshotRow, Store, link_row, snapshot_row_at};
use crate::Error;
use crate::store::LinkState;

/// A source file and its citations counted by status.
pub type SourceCounts = (String, BTreeMap<String, usize>);

/// A citation as a source page lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceCitation {
    /// The link's id.
    pub link_id: i64,
    /// The link.
    pub url: String,
    /// 1-based line and column.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The link text.
    pub text: String,
    /// The nearest heading's text.
    pub section: Option<String>,
    /// The link's latest status, if checked.
    pub status: Option<String>,
    /// The link's verdict.
    pub verdict: String,
    /// Its copy as cited: URL and Unix seconds.
    pub copy: Option<(String, i64)>,
    /// How many captures of it (and its redirects) the archive holds, requisites aside.
    pub captures: u32,
    /// The share of its first text its newest capture keeps, when below the drift bound.
    pub drifted: Option<f64>,
}

/// How a link's text drifted from what was cited.
#[derive(Clone, Debug, PartialEq)]
pub struct Drift {
    /// The share of the first text its newest capture keeps.
    pub share: f64,
    /// Its copy as cited: URL and Unix seconds.
    pub copy: Option<(String, i64)>,
}

/// A place a link is cited.
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    /// The source file.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The link text.
    pub text: String,
}

/// An archived page matching a search.
#[derive(Clone, Debug, PartialEq)]
pub struct PageHit {
    /// The link it belongs to.
    pub link_id: i64,
    /// The URL captured.
    pub url: String,
    /// Its title.
    pub title: Option<String>,
    /// Unix seconds of the capture.
    pub captured_at: i64,
    /// The WARC file of its record.
    pub filename: String,
    /// The record's offset in that file (its text gives the hit's snippet, see
    /// [`crate::page::text::snippet`]).
    pub offset: u64,
}

/// A cited link matching a search by URL or link text.
#[derive(Clone, Debug, PartialEq)]
pub struct CitationHit {
    /// The link's id.
    pub link_id: i64,
    /// The link.
    pub url: String,
    /// Every place it is cited, in file and line order.
    pub places: Vec<Place>,
    /// The link's latest status.
    pub status: Option<String>,
}

/// Search words as an FTS5 query: each word a quoted phrase, all required.
fn fts_query(q: &str) -> Option<String> {
    let words: Vec<String> = q
        .split_whitespace()
        .take(12)
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

impl Store {
    /// Each source file of the last scan with its citations counted by their link's latest
    /// status (`not_checked` when never checked).
    pub fn sources(&self) -> Result<Vec<SourceCounts>, Error> {
        // Two scans (links, then the file index) beat a join per citation.
        let mut stmt = self
            .conn
            .prepare("SELECT id, coalesce(last_status, 'not_checked') FROM links")
            .map_err(|e| self.err(e))?;
        let statuses: HashMap<i64, String> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        let mut stmt = self
            .conn
            .prepare("SELECT file, link_id FROM citations INDEXED BY citations_file ORDER BY file")
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        let mut out: Vec<SourceCounts> = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let file = row.get_ref(0).map_err(|e| self.err(e))?;
            let file = file.as_str().map_err(|e| self.err(e.into()))?;
            let link: i64 = row.get(1).map_err(|e| self.err(e))?;
            if out.last().is_none_or(|(f, _)| f != file) {
                out.push((file.to_string(), BTreeMap::new()));
            }
            let status = statuses.get(&link).map_or("not_checked", String::as_str);
            if let Some((_, counts)) = out.last_mut() {
                match counts.get_mut(status) {
                    Some(n) => *n += 1,
                    None => drop(counts.insert(status.to_string(), 1)),
                }
            }
        }
        Ok(out)
    }

    /// Citations by source file whose link's text drifted (its newest capture keeps less
    /// than `drift` of its first text). Drifted links are few: they are found first, then
    /// their citations counted.
    pub fn drifted_by_file(&self, drift: f64) -> Result<HashMap<String, usize>, Error> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT link_id FROM snapshots WHERE similarity < ?1")
            .map_err(|e| self.err(e))?;
        let candidates: Vec<i64> = stmt
            .query_map(params![drift], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        let mut out: HashMap<String, usize> = HashMap::new();
        for link in candidates {
            if self.drift_of(link, drift)?.is_none() {
                continue;
            }
            let mut stmt = self
                .conn
                .prepare_cached("SELECT file FROM citations WHERE link_id = ?1")
                .map_err(|e| self.err(e))?;
            let files = stmt
                .query_map(params![link], |r| r.get::<_, String>(0))
                .map_err(|e| self.err(e))?;
            for file in files {
                *out.entry(file.map_err(|e| self.err(e))?).or_default() += 1;
            }
        }
        Ok(out)
    }

    /// The citations of one source file, in order, each with its copy as cited: the
    /// newest good capture of the page itself (not of where it moved) from before its
    /// text drifted (less than `drift` of its first text left).
    pub fn citations_in(&self, file: &str, drift: f64) -> Result<Vec<SourceCitation>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT l.id, l.url, c.line, c.col, c.text, c.section_text, l.last_status, l.verdict,
                        (SELECT s.url || ' ' || s.captured_at FROM snapshots s
                         WHERE s.link_id = l.id AND s.status BETWEEN 200 AND 299
                           AND s.requisite = 0 AND s.url = l.url
                           AND (s.similarity IS NULL OR s.similarity >= ?2)
                         ORDER BY s.captured_at DESC, s.id DESC LIMIT 1),
                        (SELECT count(*) FROM snapshots s WHERE s.link_id = l.id AND s.requisite = 0),
                        (SELECT s.similarity FROM snapshots s
                         WHERE s.link_id = l.id AND s.requisite = 0 AND s.revisit = 0
                           AND s.text_hash IS NOT NULL
                         ORDER BY s.captured_at DESC, s.id DESC LIMIT 1)
                 FROM citations c JOIN links l ON l.id = c.link_id
                 WHERE c.file = ?1 ORDER BY c.line, c.col, c.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![file, drift], |r| {
                let copy: Option<String> = r.get(8)?;
                Ok(SourceCitation {
                    link_id: r.get(0)?,
                    url: r.get(1)?,
                    line: r.get(2)?,
                    column: r.get(3)?,
                    text: r.get(4)?,
                    section: r.get(5)?,
                    status: r.get(6)?,
                    verdict: r.get(7)?,
                    copy: copy.and_then(|c| {
                        let (url, at) = c.rsplit_once(' ')?;
                        Some((url.to_string(), at.parse().ok()?))
                    }),
                    captures: r.get(9)?,
                    drifted: r.get::<_, Option<f64>>(10)?.filter(|&v| v < drift),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// How a link's text drifted, when its newest capture keeps less than `drift` of the
    /// first text: that share, and its copy as cited (URL and Unix seconds).
    pub fn drift_of(&self, link: i64, drift: f64) -> Result<Option<Drift>, Error> {
        let newest: Option<f64> = self
            .conn
            .query_row(
                "SELECT similarity FROM snapshots WHERE link_id = ?1 AND requisite = 0
                   AND revisit = 0 AND text_hash IS NOT NULL
                 ORDER BY captured_at DESC, id DESC LIMIT 1",
                params![link],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?
            .flatten();
        let Some(share) = newest.filter(|&v| v < drift) else {
            return Ok(None);
        };
        let copy: Option<(String, i64)> = self
            .conn
            .query_row(
                "SELECT s.url, s.captured_at FROM snapshots s JOIN links l ON l.id = s.link_id
                 WHERE s.link_id = ?1 AND s.status BETWEEN 200 AND 299 AND s.requisite = 0
                   AND s.url = l.url AND (s.similarity IS NULL OR s.similarity >= ?2)
                 ORDER BY s.captured_at DESC, s.id DESC LIMIT 1",
                params![link, drift],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(Some(Drift { share, copy }))
    }

    /// The link with this id.
    pub fn link_by_id(&self, id: i64) -> Result<Option<LinkState>, Error> {
        let sql = LINK_SELECT.replace("WHERE url = ?1", "WHERE id = ?1");
        self.conn
            .query_row(&sql, params![id], link_row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// A link by its identity ([`crate::link::link_key`] of the URL as cited).
    pub fn link_by_url(&self, key: &str) -> Result<Option<LinkState>, Error> {
        self.conn
            .query_row(LINK_SELECT, params![key], link_row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Where a link is cited.
    pub fn places_of(&self, link_id: i64) -> Result<Vec<Place>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT file, line, col, text FROM citations WHERE link_id = ?1
                 ORDER BY file, line, col",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![link_id], |r| {
                Ok(Place {
                    file: r.get(0)?,
                    line: r.get(1)?,
                    column: r.get(2)?,
                    text: r.get(3)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Every snapshot of a link with its row id, oldest first.
    pub fn snapshots_of(&self, link_id: i64) -> Result<Vec<(i64, SnapshotRow)>, Error> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT id, {SNAPSHOT_COLUMNS} FROM snapshots WHERE link_id = ?1
                 ORDER BY captured_at, id"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![link_id], |r| {
                Ok((r.get(0)?, snapshot_row_at(r, 1)?))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Archived pages whose URL, title or text match `q`, best first.
    pub fn search_pages(&self, q: &str, limit: usize) -> Result<Vec<PageHit>, Error> {
        let Some(query) = fts_query(q) else {
            return Ok(Vec::new());
        };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.link_id, s.url, s.title, s.captured_at, s.filename, s.offset
                 FROM snapshots_fts JOIN snapshots s ON s.id = snapshots_fts.rowid
                 WHERE snapshots_fts MATCH ?1 ORDER BY rank LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![query, limit as i64], |r| {
                Ok(PageHit {
                    link_id: r.get(0)?,
                    url: r.get(1)?,
                    title: r.get(2)?,
                    captured_at: r.get(3)?,
                    filename: r.get(4)?,
                    offset: r.get::<_, i64>(5)? as u64,
                })
            })
            .map_err(|e| self.err(e))?;
        // One hit a page (its best-ranked capture): a page captured four times is one hit.
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for row in rows {
            let hit = row.map_err(|e| self.err(e))?;
            if seen.insert(hit.url.clone()) {
                out.push(hit);
            }
        }
        Ok(out)
    }

    /// Cited links whose URL or link text contains `q` (case-insensitive for ASCII).
    pub fn search_citations(&self, q: &str, limit: usize) -> Result<Vec<CitationHit>, Error> {
        let q = q.trim();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let pattern = format!(
            "%{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let mut stmt = self
            .conn
            .prepare(
                "SELECT l.id, l.url, c.file, c.line, c.col, c.text, l.last_status
                 FROM citations c JOIN links l ON l.id = c.link_id
                 WHERE c.text LIKE ?1 ESCAPE '\\' OR l.url LIKE ?1 ESCAPE '\\'
                 ORDER BY c.file, c.line LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![pattern, limit as i64], |r| {
                Ok(CitationHit {
                    link_id: r.get(0)?,
                    url: r.get(1)?,
                    places: vec![Place {
                        file: r.get(2)?,
                        line: r.get(3)?,
                        column: r.get(4)?,
                        text: r.get(5)?,
                    }],
                    status: r.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?;
        // One hit a link, with every place it is cited.
        let mut out: Vec<CitationHit> = Vec::new();
        let mut at: HashMap<i64, usize> = HashMap::new();
        for row in rows {
            let hit = row.map_err(|e| self.err(e))?;
            match at.get(&hit.link_id) {
                Some(&i) => out[i].places.extend(hit.places),
                None => {
                    at.insert(hit.link_id, out.len());
                    out.push(hit);
                }
            }
        }
        Ok(out)
    }
}
