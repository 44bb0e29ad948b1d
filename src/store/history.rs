//! Reading the history back for reports and `fix`: the runs, the current citations with
//! their links, each link's state as of a run, the newest good snapshots, the scanned files.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::{SNAPSHOT_COLUMNS, SnapshotRow, Store, snapshot_row};
use crate::Error;

/// One run of `check` or `run`.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    /// Its id.
    pub id: i64,
    /// `check` or `run`.
    pub command: String,
    /// Unix seconds when it began.
    pub started_at: i64,
    /// Unix seconds when it ended, if it did.
    pub finished_at: Option<i64>,
    /// Whether our own network was down (no strikes were recorded).
    pub network_down: bool,
    /// Its totals as JSON ([`crate::run::CheckSummary`]), if it ended.
    pub summary: Option<String>,
}

/// A citation `fix --write` rewrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    /// The link cited before.
    pub link_id: i64,
    /// Its URL (filled in when read back).
    pub url: String,
    /// The source file.
    pub file: String,
    /// 1-based line, as scanned before the rewrite.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What the source cites now: the archived copy, or where the link moved.
    pub with: String,
    /// Whether it was pointed where the link moved (else at an archived copy).
    pub moved: bool,
    /// Unix seconds when it was written.
    pub at: i64,
}

/// A citation of the latest scan with its link.
#[derive(Clone, Debug, PartialEq)]
pub struct CitedRow {
    /// The link's id.
    pub link_id: i64,
    /// The link's identity.
    pub url: String,
    /// The link's host.
    pub host: String,
    /// The source file.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column in characters.
    pub column: u32,
    /// Byte range of the destination in the file.
    pub span: (usize, usize),
    /// The link text.
    pub text: String,
    /// The syntax it was written in (`inline`, `reference`...).
    pub kind: String,
    /// The nearest heading's text and id.
    pub section: Option<(String, String)>,
    /// The destination as written.
    pub written: String,
    /// The link's current verdict.
    pub verdict: String,
    /// Failing checks in the current streak.
    pub strikes: u32,
    /// When the current failing streak began.
    pub first_failing: Option<i64>,
    /// When the link was first cited.
    pub first_seen: i64,
    /// When the link last answered alive (or moved).
    pub last_alive: Option<i64>,
}

/// A link's latest check up to some run.
/// A cited link with its verdict and how often it is cited.
#[derive(Clone, Debug, PartialEq)]
pub struct CitedLink {
    pub id: i64,
    pub url: String,
    pub host: String,
    pub verdict: String,
    pub first_seen: i64,
    pub citations: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LinkAsOf {
    /// The run of that check.
    pub run: i64,
    /// Unix seconds of the check.
    pub checked_at: i64,
    /// Its status.
    pub status: String,
    /// The last HTTP status.
    pub http_status: Option<u16>,
    /// Where redirects ended.
    pub final_url: Option<String>,
    /// What happened, in words.
    pub detail: String,
    /// The verdict after it (absent in histories from before verdicts were kept per check).
    pub verdict: Option<String>,
    /// The signals that decided its status (none in histories from before they were kept).
    pub evidence: Vec<String>,
}

/// A scanned file's size and SHA-256, as it was when its citations were recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDigest {
    /// The file's path as scanned.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, hex.
    pub sha256: String,
}

const CITED_SELECT: &str =
    "SELECT l.id, l.url, l.host, c.file, c.line, c.col, c.span_start, c.span_end, c.text, c.kind,
            c.section_text, c.section_id, c.written, l.verdict, l.strikes, l.first_failing,
            l.first_seen, l.last_alive
     FROM citations c JOIN links l ON l.id = c.link_id";

fn cited_row(r: &rusqlite::Row) -> rusqlite::Result<CitedRow> {
    let section_text: Option<String> = r.get(10)?;
    let section_id: Option<String> = r.get(11)?;
    Ok(CitedRow {
        link_id: r.get(0)?,
        url: r.get(1)?,
        host: r.get(2)?,
        file: r.get(3)?,
        line: r.get(4)?,
        column: r.get(5)?,
        span: (r.get::<_, i64>(6)? as usize, r.get::<_, i64>(7)? as usize),
        text: r.get(8)?,
        kind: r.get(9)?,
        section: section_text.map(|t| (t, section_id.unwrap_or_default())),
        written: r.get(12)?,
        verdict: r.get(13)?,
        strikes: r.get(14)?,
        first_failing: r.get(15)?,
        first_seen: r.get(16)?,
        last_alive: r.get(17)?,
    })
}

impl Store {
    /// Every finished run, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRow>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, command, started_at, finished_at, network_down, summary FROM runs
                 WHERE finished_at IS NOT NULL ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(RunRow {
                    id: r.get(0)?,
                    command: r.get(1)?,
                    started_at: r.get(2)?,
                    finished_at: r.get(3)?,
                    network_down: r.get(4)?,
                    summary: r.get(5)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The citations of the latest scan with their links, in file and line order.
    pub fn cited(&self) -> Result<Vec<CitedRow>, Error> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "{CITED_SELECT} ORDER BY c.file, c.line, c.col, c.id"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], cited_row).map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Every link the latest scan cites, with its number of citations, by id.
    pub fn cited_links(&self) -> Result<Vec<CitedLink>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT l.id, l.url, l.host, l.verdict, l.first_seen, c.n
                 FROM (SELECT link_id, count(*) AS n FROM citations GROUP BY link_id) c
                 JOIN links l ON l.id = c.link_id ORDER BY l.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(CitedLink {
                    id: r.get(0)?,
                    url: r.get(1)?,
                    host: r.get(2)?,
                    verdict: r.get(3)?,
                    first_seen: r.get(4)?,
                    citations: r.get::<_, i64>(5)? as usize,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Each source file of the latest scan with its number of citations, by path.
    pub fn citations_by_file(&self) -> Result<Vec<(String, usize)>, Error> {
        let mut stmt = self
            .conn
            .prepare("SELECT file, count(*) FROM citations GROUP BY file ORDER BY file")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The citations of `links`, in the order of [`Store::cited`] (file, line, column).
    pub fn cited_of(&self, links: &[i64]) -> Result<Vec<CitedRow>, Error> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "{CITED_SELECT} WHERE c.link_id = ?1 ORDER BY c.id"
            ))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for link in links {
            let rows = stmt.query_map([link], cited_row).map_err(|e| self.err(e))?;
            for row in rows {
                out.push(row.map_err(|e| self.err(e))?);
            }
        }
        out.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        Ok(out)
    }

    /// The similarity to its first text of each link's newest compared snapshot.
    pub fn similarities(&self) -> Result<HashMap<i64, f64>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT link_id, similarity FROM snapshots WHERE similarity IS NOT NULL
                 ORDER BY captured_at, id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The newest (or, with `first`, the oldest) good snapshot of the page `link` cites.
    pub fn good_snapshot(&self, link: i64, first: bool) -> Result<Option<SnapshotRow>, Error> {
        let order = if first { "ASC" } else { "DESC" };
        let sql = format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM snapshots
             WHERE link_id = ?1 AND status BETWEEN 200 AND 299 AND requisite = 0
             ORDER BY captured_at {order}, id {order} LIMIT 1"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        stmt.query_row([link], snapshot_row)
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn as_of(&self, run: i64) -> Result<HashMap<i64, LinkAsOf>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT link_id, run_id, checked_at, status, http_status, final_url, detail, verdict,
                        coalesce(evidence, '')
                 FROM checks WHERE id IN (SELECT max(id) FROM checks WHERE run_id <= ?1
                                          GROUP BY link_id)",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![run], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    LinkAsOf {
                        run: r.get(1)?,
                        checked_at: r.get(2)?,
                        status: r.get(3)?,
                        http_status: r.get(4)?,
                        final_url: r.get(5)?,
                        detail: r.get(6)?,
                        verdict: r.get(7)?,
                        evidence: r
                            .get::<_, String>(8)?
                            .lines()
                            .filter(|l| !l.is_empty())
                            .map(str::to_string)
                            .collect(),
                    },
                ))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Each link's newest snapshot with a 2xx status (the copy to link instead), by link id.
    pub fn newest_good_snapshots(&self) -> Result<HashMap<i64, SnapshotRow>, Error> {
        self.last_snapshots("status BETWEEN 200 AND 299 AND requisite = 0", "ASC")
    }

    /// Each link's first snapshot with a 2xx status (what was cited, before any drift).
    pub fn first_good_snapshots(&self) -> Result<HashMap<i64, SnapshotRow>, Error> {
        self.last_snapshots("status BETWEEN 200 AND 299 AND requisite = 0", "DESC")
    }

    /// Each link's newest snapshot compared with its first text (for drift), by link id.
    pub fn newest_compared_snapshots(&self) -> Result<HashMap<i64, SnapshotRow>, Error> {
        self.last_snapshots("similarity IS NOT NULL", "ASC")
    }

    /// Per link, the last row matching `filter` in `order` of capture time.
    fn last_snapshots(
        &self,
        filter: &str,
        order: &str,
    ) -> Result<HashMap<i64, SnapshotRow>, Error> {
        let sql = format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM snapshots WHERE {filter}
             ORDER BY captured_at {order}, id {order}"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], snapshot_row).map_err(|e| self.err(e))?;
        let mut out = HashMap::new();
        for row in rows {
            let row = row.map_err(|e| self.err(e))?;
            out.insert(row.link_id, row);
        }
        Ok(out)
    }

    /// The scanned files' digests, by path.
    pub fn files(&self) -> Result<HashMap<String, FileDigest>, Error> {
        let mut stmt = self
            .conn
            .prepare("SELECT path, size, sha256 FROM files")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(FileDigest {
                    path: r.get(0)?,
                    size: r.get::<_, i64>(1)? as u64,
                    sha256: r.get(2)?,
                })
            })
            .map_err(|e| self.err(e))?;
        let mut out = HashMap::new();
        for row in rows {
            let row = row.map_err(|e| self.err(e))?;
            out.insert(row.path.clone(), row);
        }
        Ok(out)
    }

    /// Records what `fix --write` rewrote.
    pub fn record_replacements(&mut self, done: &[Replacement]) -> Result<(), Error> {
        let path = self.path.clone();
        let err = |e| super::db(e, &path);
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut put = tx
                .prepare(
                    "INSERT INTO replacements
                     (link_id, file, line, col, replaced_with, moved, replaced_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(err)?;
            for r in done {
                put.execute(params![
                    r.link_id, r.file, r.line, r.column, r.with, r.moved, r.at
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// What `fix --write` rewrote at or after `since` (everything with 0), oldest first;
    /// of one link only when `link` is given.
    pub fn replacements(&self, since: i64, link: Option<i64>) -> Result<Vec<Replacement>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.link_id, l.url, r.file, r.line, r.col, r.replaced_with, r.moved,
                        r.replaced_at
                 FROM replacements r JOIN links l ON l.id = r.link_id
                 WHERE r.replaced_at >= ?1 AND (?2 IS NULL OR r.link_id = ?2)
                 ORDER BY r.replaced_at, r.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![since, link], |r| {
                Ok(Replacement {
                    link_id: r.get(0)?,
                    url: r.get(1)?,
                    file: r.get(2)?,
                    line: r.get(3)?,
                    column: r.get(4)?,
                    with: r.get(5)?,
                    moved: r.get(6)?,
                    at: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}
