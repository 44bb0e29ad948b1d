//! The history database: runs, links, their current citations, and every check.
//!
//! One SQLite file (`citekeep.db` in the archive folder) in WAL mode, so a reader (reports,
//! the archive browser) can work while a run writes. Each check is committed with the link's
//! new state in one transaction: a killed run loses at most the check in flight. rusqlite
//! rather than sqlx: writes come from one thread, a synchronous API keeps them simple and
//! fast, and the bundled SQLite brings FTS5 for the archive browser's search.

mod browse;
mod history;
mod public;
mod schema;

pub use browse::{CitationHit, Drift, PageHit, Place, SourceCitation};
pub use history::{CitedLink, CitedRow, FileDigest, LinkAsOf, Replacement, RunRow};
pub use public::{
    Capture, LastLookup, LookupTarget, PublicCopy, SaveCandidate, SaveRequest, SaveState,
    TurnedDown, Verification, Verified,
};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use crate::Error;

/// The database file's name inside the archive folder.
pub const FILE_NAME: &str = "citekeep.db";

/// What the history knows about one link.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkState {
    /// Row id.
    pub id: i64,
    /// The link's identity and the URL requested (see [`crate::link::link_key`]).
    pub url: String,
    /// Its host.
    pub host: String,
    /// When it was first cited.
    pub first_seen: i64,
    /// When the current failing streak began, if it is failing.
    pub first_failing: Option<i64>,
    /// When it last answered alive (or moved).
    pub last_alive: Option<i64>,
    /// Failing checks in the current streak.
    pub strikes: u32,
    /// `new`, `alive`, `moved`, `blocked`, `failing`, `dead` or `invalid`.
    pub verdict: String,
    /// The status of the last check.
    pub last_status: Option<String>,
    /// When it was last checked.
    pub last_checked: Option<i64>,
    /// When it is next due for a check.
    pub next_due: Option<i64>,
}

/// A citation as the history stores it, read from the caller's own citation type.
#[derive(Clone, Copy, Debug)]
pub struct CitationRow<'a> {
    /// The source file (or crawled page's URL).
    pub file: &'a str,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// Byte range of the destination in the file.
    pub span: (usize, usize),
    /// The link text.
    pub text: &'a str,
    /// The syntax (`inline`, `reference`...).
    pub kind: &'a str,
    /// The section heading's text and id, if any.
    pub section: Option<(&'a str, &'a str)>,
    /// The destination as written.
    pub written: &'a str,
}

/// What a revisit refers to: the last full capture of a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prev {
    /// Its URL.
    pub url: String,
    /// Its payload digest.
    pub payload_digest: String,
    /// Its record id.
    pub record_id: String,
    /// When it was captured (Unix seconds).
    pub captured_at: i64,
}

impl From<&SnapshotRow> for Prev {
    fn from(r: &SnapshotRow) -> Prev {
        Prev {
            url: r.url.clone(),
            payload_digest: r.payload_digest.clone(),
            record_id: r.record_id.clone(),
            captured_at: r.captured_at,
        }
    }
}

/// One check as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckRow {
    /// The run it belongs to.
    pub run: i64,
    /// When it was made.
    pub checked_at: i64,
    /// Its status (`alive`, `gone`...).
    pub status: String,
    /// The final HTTP status, if any answer came.
    pub http_status: Option<u16>,
    /// Where the redirects ended.
    pub final_url: Option<String>,
    /// The redirect chain as JSON (`[{"url","status","location"}]`).
    pub redirects: String,
    /// What happened, in words.
    pub detail: String,
    /// Milliseconds it took, retries included.
    pub elapsed_ms: u64,
    /// Attempts made.
    pub attempts: u32,
    /// Whether it counted as a strike.
    pub strike: bool,
    /// The link's verdict after this check.
    pub verdict: String,
    /// The signals that decided its status, one a line.
    pub evidence: String,
}

const LINK_SELECT: &str = "SELECT id, url, host, first_seen, first_failing, last_alive, strikes, \
                           verdict, last_status, last_checked, next_due FROM links WHERE url = ?1";
const LINK_SELECT_ALL: &str = "SELECT id, url, host, first_seen, first_failing, last_alive, strikes, \
                               verdict, last_status, last_checked, next_due FROM links";

fn link_row(r: &rusqlite::Row) -> rusqlite::Result<LinkState> {
    Ok(LinkState {
        id: r.get(0)?,
        url: r.get(1)?,
        host: r.get(2)?,
        first_seen: r.get(3)?,
        first_failing: r.get(4)?,
        last_alive: r.get(5)?,
        strikes: r.get(6)?,
        verdict: r.get(7)?,
        last_status: r.get(8)?,
        last_checked: r.get(9)?,
        next_due: r.get(10)?,
    })
}

/// One snapshot of a link in the archive (a response or revisit record).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SnapshotRow {
    /// The link captured.
    pub link_id: i64,
    /// The run that captured it.
    pub run: Option<i64>,
    /// The URL of the record (the link, or a hop of its redirects).
    pub url: String,
    /// Unix seconds of the capture.
    pub captured_at: i64,
    /// WARC file name.
    pub filename: String,
    /// Offset of the record's gzip member.
    pub offset: u64,
    /// Length of the member.
    pub length: u64,
    /// HTTP status captured.
    pub status: u16,
    /// MIME type without parameters.
    pub mime: String,
    /// `sha1:` payload digest.
    pub payload_digest: String,
    /// The WARC record id (revisits refer to it).
    pub record_id: String,
    /// Whether it is a revisit of an identical earlier payload.
    pub revisit: bool,
    /// The page's title, for HTML.
    pub title: Option<String>,
    /// A similarity hash of the page's main text, for HTML (`simhash:` and 16 hex digits).
    pub text_hash: Option<String>,
    /// The page's main text, for HTML: indexed for search when written, never kept in the
    /// database nor read back with the row (see [`crate::archive::page_text`]).
    pub main_text: Option<String>,
    /// How much of the link's first archived text remains (0 to 1), when compared.
    pub similarity: Option<f64>,
    /// Offset in the WARC file just after this capture's records (response and request).
    pub warc_end: u64,
    /// Whether it is a page requisite (stylesheet, image...) captured with the page.
    pub requisite: bool,
    /// Whether it is a `resource` record (a rendered DOM, a screenshot), not an HTTP
    /// response.
    pub resource: bool,
}

/// Snapshot columns as read back; the main text is not kept (`NULL`).
const SNAPSHOT_COLUMNS: &str = "link_id, run_id, url, captured_at, filename, offset, length, status, \
                                mime, payload_digest, record_id, revisit, title, text_hash, NULL, \
                                similarity, warc_end, requisite, resource";

fn snapshot_row(r: &rusqlite::Row) -> rusqlite::Result<SnapshotRow> {
    snapshot_row_at(r, 0)
}

/// A snapshot row whose [`SNAPSHOT_COLUMNS`] start at column `at`.
fn snapshot_row_at(r: &rusqlite::Row, at: usize) -> rusqlite::Result<SnapshotRow> {
    Ok(SnapshotRow {
        link_id: r.get(at)?,
        run: r.get(at + 1)?,
        url: r.get(at + 2)?,
        captured_at: r.get(at + 3)?,
        filename: r.get(at + 4)?,
        offset: r.get::<_, i64>(at + 5)? as u64,
        length: r.get::<_, i64>(at + 6)? as u64,
        status: r.get(at + 7)?,
        mime: r.get(at + 8)?,
        payload_digest: r.get(at + 9)?,
        record_id: r.get(at + 10)?,
        revisit: r.get(at + 11)?,
        title: r.get(at + 12)?,
        text_hash: r.get(at + 13)?,
        main_text: r.get(at + 14)?,
        similarity: r.get(at + 15)?,
        warc_end: r.get::<_, i64>(at + 16)? as u64,
        requisite: r.get(at + 17)?,
        resource: r.get(at + 18)?,
    })
}

/// Refuses to start a history for `dir` when its `warc/` folder already holds WARC files:
/// the database that accounted for them was lost or replaced, and a fresh one would not
/// know which bytes are captures (nothing is created or changed).
fn refuse_lost_history(dir: &Path, db: &Path) -> Result<(), Error> {
    let warc_dir = dir.join("warc");
    let Ok(entries) = std::fs::read_dir(&warc_dir) else {
        return Ok(());
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".warc.gz"))
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    names.sort();
    let count = names.len();
    names.truncate(3);
    Err(Error::Refused(format!(
        "{}: {count} WARC file{} ({}{}) but the history {} records none: was the database \
         lost or replaced? Nothing was changed. Restore the database from a backup, or move \
         the WARC files out of that folder to start a new history.",
        warc_dir.display(),
        if count == 1 { "" } else { "s" },
        names.join(", "),
        if count > 3 { ", ..." } else { "" },
        db.display(),
    )))
}

/// The history database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

fn db(e: rusqlite::Error, path: &Path) -> Error {
    Error::Store(format!("{}: {e}", path.display()))
}

impl Store {
    /// Opens (creating if needed) the database in `dir`, migrating it to the current schema.
    pub fn open(dir: &Path) -> Result<Store, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::Io {
            path: dir.to_path_buf(),
            error: e,
        })?;
        let path = dir.join(FILE_NAME);
        let fresh = std::fs::metadata(&path).map_or(true, |m| m.len() == 0);
        if fresh {
            refuse_lost_history(dir, &path)?;
        }
        let conn = Connection::open(&path).map_err(|e| db(e, &path))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| db(e, &path))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=8192;",
        )
        .map_err(|e| db(e, &path))?;
        schema::migrate(&conn).map_err(|e| db(e, &path))?;
        let store = Store { conn, path };
        if store.warc_files()?.is_empty() {
            refuse_lost_history(dir, &store.path)?;
        }
        Ok(store)
    }

    /// Opens an existing, migrated database for reading only (the archive browser reads
    /// while a run writes).
    pub fn open_read_only(dir: &Path) -> Result<Store, Error> {
        let path = dir.join(FILE_NAME);
        let conn = Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| db(e, &path))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| db(e, &path))?;
        Ok(Store { conn, path })
    }

    /// Opens an existing database read-only; a missing one is a clear error.
    pub fn open_existing(dir: &Path) -> Result<Store, Error> {
        let path = dir.join(FILE_NAME);
        if !path.is_file() {
            return Err(Error::Store(format!(
                "{}: no history yet (run `citekeep check` or `citekeep run` first)",
                path.display()
            )));
        }
        Store::open(dir)
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        db(e, &self.path)
    }

    /// Starts a run and returns its id.
    pub fn begin_run(&self, command: &str, now: i64) -> Result<i64, Error> {
        self.conn
            .execute(
                "INSERT INTO runs (command, started_at) VALUES (?1, ?2)",
                params![command, now],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Ends a run with its summary (JSON) and whether our own network was down.
    pub fn finish_run(
        &self,
        run: i64,
        now: i64,
        summary: &str,
        network_down: bool,
    ) -> Result<(), Error> {
        self.conn
            .execute(
                "UPDATE runs SET finished_at = ?2, summary = ?3, network_down = ?4 WHERE id = ?1",
                params![run, now, summary, network_down],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The links with these identities and hosts, created (verdict `new`) when never cited
    /// before; one transaction for all.
    pub fn links(&mut self, links: &[(&str, String)], now: i64) -> Result<Vec<LinkState>, Error> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| db(e, &path))?;
        // Where each URL first sits in `links`.
        let mut wanted: HashMap<&str, usize> = HashMap::with_capacity(links.len());
        for (i, (url, _)) in links.iter().enumerate() {
            wanted.entry(*url).or_insert(i);
        }
        let mut found: Vec<Option<LinkState>> = (0..links.len()).map(|_| None).collect();
        {
            // One scan of the table beats a lookup per link.
            let mut all = tx.prepare(LINK_SELECT_ALL).map_err(|e| db(e, &path))?;
            let rows = all.query_map([], link_row).map_err(|e| db(e, &path))?;
            for row in rows {
                let state = row.map_err(|e| db(e, &path))?;
                if let Some(&i) = wanted.get(state.url.as_str()) {
                    found[i] = Some(state);
                }
            }
            // The rest are new: inserted, and their state known without reading it back.
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO links (url, host, first_seen, verdict) VALUES (?1, ?2, ?3, 'new')",
                )
                .map_err(|e| db(e, &path))?;
            for (i, (url, host)) in links.iter().enumerate() {
                let first = wanted[url];
                if first != i {
                    found[i] = found[first].clone();
                    continue;
                }
                if found[i].is_some() {
                    continue;
                }
                insert
                    .execute(params![url, host, now])
                    .map_err(|e| db(e, &path))?;
                found[i] = Some(LinkState {
                    id: tx.last_insert_rowid(),
                    url: url.to_string(),
                    host: host.clone(),
                    first_seen: now,
                    first_failing: None,
                    last_alive: None,
                    strikes: 0,
                    verdict: "new".to_string(),
                    last_status: None,
                    last_checked: None,
                    next_due: None,
                });
            }
        }
        tx.commit().map_err(|e| db(e, &path))?;
        found
            .into_iter()
            .zip(links)
            .map(|(state, (url, _))| {
                state.ok_or_else(|| Error::Store(format!("link {url} missing after insert")))
            })
            .collect()
    }

    /// What the history knows about `url`, if anything.
    pub fn link_state(&self, url: &str) -> Result<Option<LinkState>, Error> {
        self.conn
            .query_row(LINK_SELECT, params![url], link_row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Records checks, each with its link's new state, in one transaction (the caller
    /// groups checks that complete together, so a commit costs little per check and a kill
    /// loses only checks completed since the last commit).
    pub fn record_checks(&mut self, batch: &[(LinkState, CheckRow)]) -> Result<(), Error> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| db(e, &path))?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO checks (run_id, link_id, checked_at, status, http_status, final_url,
                                         redirects, detail, elapsed_ms, attempts, strike, verdict,
                                         evidence)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )
                .map_err(|e| db(e, &path))?;
            let mut update = tx
                .prepare_cached(
                    "UPDATE links SET first_failing = ?2, last_alive = ?3, strikes = ?4, verdict = ?5,
                                      last_status = ?6, last_checked = ?7, next_due = ?8
                     WHERE id = ?1",
                )
                .map_err(|e| db(e, &path))?;
            for (link, check) in batch {
                insert
                    .execute(params![
                        check.run,
                        link.id,
                        check.checked_at,
                        check.status,
                        check.http_status,
                        check.final_url,
                        check.redirects,
                        check.detail,
                        check.elapsed_ms as i64,
                        check.attempts,
                        check.strike,
                        check.verdict,
                        check.evidence
                    ])
                    .map_err(|e| db(e, &path))?;
                update
                    .execute(params![
                        link.id,
                        link.first_failing,
                        link.last_alive,
                        link.strikes,
                        link.verdict,
                        link.last_status,
                        link.last_checked,
                        link.next_due
                    ])
                    .map_err(|e| db(e, &path))?;
            }
        }
        tx.commit().map_err(|e| db(e, &path))
    }

    /// Records the latest scan: `citations` by file (`ids` gives each one's link id) and the
    /// scanned files' digests `files`, all scanned under `scan_key`. Files recorded before
    /// with the same digest and key keep their rows untouched; the rows of every other file
    /// (changed, gone, or without a digest, such as crawled pages) are replaced. A `partial`
    /// scan (an editor's spot check of a few files) replaces only the files it read: the
    /// other files' citations stay as the last whole scan recorded them.
    /// The caller's citations are stored as `row` reads them; each file's citations are
    /// handed to `done` once written (to keep what the caller needs of them, or to free
    /// them).
    pub fn replace_citations<C>(
        &mut self,
        run: i64,
        (citations, row): (Vec<Vec<C>>, impl Fn(&C) -> CitationRow<'_>),
        ids: &[i64],
        (files, partial): (&[FileDigest], bool),
        scan_key: &str,
        mut done: impl FnMut(Vec<C>),
    ) -> Result<(), Error> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| db(e, &path))?;
        let mut kept: std::collections::HashSet<String> = std::collections::HashSet::new();
        {
            let mut stored: std::collections::HashMap<String, (String, Option<String>)> =
                std::collections::HashMap::new();
            let mut all = tx
                .prepare("SELECT path, sha256, scan_key FROM files")
                .map_err(|e| db(e, &path))?;
            let rows = all
                .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
                .map_err(|e| db(e, &path))?;
            for row in rows {
                let (file, digest) = row.map_err(|e| db(e, &path))?;
                stored.insert(file, digest);
            }
            kept.extend(
                files
                    .iter()
                    .filter(|f| {
                        stored.get(&f.path).is_some_and(|(sha, key)| {
                            *sha == f.sha256 && key.as_deref() == Some(scan_key)
                        })
                    })
                    .map(|f| f.path.clone()),
            );
        }
        if partial {
            // The files read: those with a digest, and pages (crawled) with citations.
            let mut read: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
            read.extend(
                citations
                    .iter()
                    .filter_map(|f| f.first())
                    .map(|c| row(c).file.to_string()),
            );
            read.sort();
            read.dedup();
            let mut forget = tx
                .prepare_cached("DELETE FROM citations WHERE file = ?1")
                .map_err(|e| db(e, &path))?;
            let mut unfile = tx
                .prepare_cached("DELETE FROM files WHERE path = ?1")
                .map_err(|e| db(e, &path))?;
            for f in read.iter().filter(|f| !kept.contains(*f)) {
                forget.execute([f]).map_err(|e| db(e, &path))?;
                unfile.execute([f]).map_err(|e| db(e, &path))?;
            }
        } else {
            tx.execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS kept (path TEXT PRIMARY KEY); DELETE FROM kept;",
            )
            .map_err(|e| db(e, &path))?;
            {
                let mut keep = tx
                    .prepare_cached("INSERT OR IGNORE INTO kept (path) VALUES (?1)")
                    .map_err(|e| db(e, &path))?;
                for file in &kept {
                    keep.execute([file]).map_err(|e| db(e, &path))?;
                }
            }
            tx.execute_batch(
                "DELETE FROM citations WHERE file NOT IN (SELECT path FROM kept);
                 DELETE FROM files WHERE path NOT IN (SELECT path FROM kept);
                 DELETE FROM kept;",
            )
            .map_err(|e| db(e, &path))?;
        }
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO files (path, run_id, size, sha256, scan_key)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(|e| db(e, &path))?;
            for f in files.iter().filter(|f| !kept.contains(f.path.as_str())) {
                insert
                    .execute(params![f.path, run, f.size as i64, f.sha256, scan_key])
                    .map_err(|e| db(e, &path))?;
            }
        }
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO citations (run_id, link_id, file, line, col, span_start, span_end,
                                            text, kind, section_text, section_id, written)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .map_err(|e| db(e, &path))?;
            let mut ids = ids.iter();
            for file in citations {
                // The file's citations first: zip stops on them without taking an id.
                for (c, link) in file.iter().zip(ids.by_ref()) {
                    let c = row(c);
                    if kept.contains(c.file) {
                        continue;
                    }
                    insert
                        .execute(params![
                            run,
                            link,
                            c.file,
                            c.line,
                            c.column,
                            c.span.0 as i64,
                            c.span.1 as i64,
                            c.text,
                            c.kind,
                            c.section.map(|s| s.0),
                            c.section.map(|s| s.1),
                            c.written
                        ])
                        .map_err(|e| db(e, &path))?;
                }
                done(file);
            }
        }
        tx.commit().map_err(|e| db(e, &path))
    }

    /// Records snapshots (one transaction), each linked to its link's latest check.
    pub fn add_snapshots(&mut self, rows: &[SnapshotRow]) -> Result<(), Error> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| db(e, &path))?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO snapshots (link_id, run_id, check_id, url, captured_at, filename, offset,
                                            length, status, mime, payload_digest, record_id, revisit,
                                            title, text_hash, similarity, warc_end, requisite,
                                            resource)
                     VALUES (?1, ?2, (SELECT max(id) FROM checks WHERE link_id = ?1), ?3, ?4, ?5, ?6,
                             ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
                )
                .map_err(|e| db(e, &path))?;
            let mut index = tx
                .prepare_cached(
                    "INSERT INTO snapshots_fts (rowid, url, title, main_text) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(|e| db(e, &path))?;
            for r in rows {
                insert
                    .execute(params![
                        r.link_id,
                        r.run,
                        r.url,
                        r.captured_at,
                        r.filename,
                        r.offset as i64,
                        r.length as i64,
                        r.status,
                        r.mime,
                        r.payload_digest,
                        r.record_id,
                        r.revisit,
                        r.title,
                        r.text_hash,
                        r.similarity,
                        r.warc_end as i64,
                        r.requisite,
                        r.resource
                    ])
                    .map_err(|e| db(e, &path))?;
                if !r.revisit && (r.title.is_some() || r.main_text.is_some()) {
                    index
                        .execute(params![tx.last_insert_rowid(), r.url, r.title, r.main_text])
                        .map_err(|e| db(e, &path))?;
                }
            }
        }
        tx.commit().map_err(|e| db(e, &path))
    }

    /// The newest full (non-revisit) snapshot of `url`, which a revisit would refer to.
    pub fn last_full_snapshot(&self, url: &str) -> Result<Option<SnapshotRow>, Error> {
        let sql = format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM snapshots WHERE url = ?1 AND revisit = 0
             ORDER BY captured_at DESC, id DESC LIMIT 1"
        );
        self.conn
            .query_row(&sql, params![url], snapshot_row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The last full (non-revisit) capture of every URL, for deciding revisits.
    pub fn last_full_snapshots(&self) -> Result<std::collections::HashMap<String, Prev>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT url, payload_digest, record_id, captured_at FROM snapshots
                 WHERE revisit = 0 ORDER BY captured_at, id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Prev {
                    url: r.get(0)?,
                    payload_digest: r.get(1)?,
                    record_id: r.get(2)?,
                    captured_at: r.get(3)?,
                })
            })
            .map_err(|e| self.err(e))?;
        let mut out = std::collections::HashMap::new();
        for row in rows {
            let prev = row.map_err(|e| self.err(e))?;
            out.insert(prev.url.clone(), prev);
        }
        Ok(out)
    }

    /// Every snapshot, in no particular order (the index is built from them).
    pub fn snapshots(&self) -> Result<Vec<SnapshotRow>, Error> {
        let mut all = Vec::new();
        self.each_snapshot(|s| all.push(s))?;
        Ok(all)
    }

    /// Calls `f` with every snapshot, one at a time.
    pub fn each_snapshot(&self, mut f: impl FnMut(SnapshotRow)) -> Result<(), Error> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {SNAPSHOT_COLUMNS} FROM snapshots"))
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], snapshot_row).map_err(|e| self.err(e))?;
        for row in rows {
            f(row.map_err(|e| self.err(e))?);
        }
        Ok(())
    }

    /// Where the link's first HTML snapshot is (WARC file name and offset): its main text is
    /// what was cited.
    pub fn first_page(&self, link_id: i64) -> Result<Option<(String, u64)>, Error> {
        self.conn
            .query_row(
                "SELECT filename, offset FROM snapshots
                 WHERE link_id = ?1 AND text_hash IS NOT NULL AND revisit = 0
                 ORDER BY captured_at, id LIMIT 1",
                params![link_id],
                |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// For every link with one, where its first HTML snapshot is (WARC file name and
    /// offset), by the link's URL: the copies as cited that checks compare answers with.
    pub fn first_pages(&self) -> Result<HashMap<String, (String, u64)>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT l.url, s.filename, s.offset FROM links l JOIN snapshots s ON s.id = (
                     SELECT id FROM snapshots WHERE link_id = l.id AND text_hash IS NOT NULL
                       AND revisit = 0 ORDER BY captured_at, id LIMIT 1)",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, (r.get(1)?, r.get::<_, i64>(2)? as u64)))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Registers a WARC file citekeep is about to create, so that recovery may later cut
    /// it back to its recorded captures (committed before the file's first byte).
    pub fn register_warc_file(&self, name: &str, now: i64) -> Result<(), Error> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO warc_files (name, created_at) VALUES (?1, ?2)",
                params![name, now],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The WARC files citekeep created in this archive (see [`Store::register_warc_file`]),
    /// each with the size and modification time it had when last read through whole.
    pub fn warc_files(
        &self,
    ) -> Result<std::collections::HashMap<String, Option<(u64, i64)>>, Error> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, verified_size, verified_mtime FROM warc_files")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let size: Option<i64> = r.get(1)?;
                let mtime: Option<i64> = r.get(2)?;
                Ok((r.get(0)?, size.zip(mtime).map(|(s, m)| (s as u64, m))))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Notes that WARC file `name` was read through whole and found sound at this size
    /// and modification time.
    pub fn warc_file_verified(&self, name: &str, size: u64, mtime: i64) -> Result<(), Error> {
        self.conn
            .execute(
                "UPDATE warc_files SET verified_size = ?2, verified_mtime = ?3 WHERE name = ?1",
                params![name, size as i64, mtime],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Where the recorded captures in WARC file `filename` end: what survives a crash.
    pub fn recorded_end(&self, filename: &str) -> Result<Option<u64>, Error> {
        self.conn
            .query_row(
                "SELECT max(warc_end) FROM snapshots WHERE filename = ?1",
                params![filename],
                |r| r.get::<_, Option<i64>>(0),
            )
            .map(|v| v.map(|v| v as u64))
            .map_err(|e| self.err(e))
    }

    /// The cited links (id, URL) among `urls`.
    pub fn cited_links_among(
        &self,
        urls: &std::collections::HashSet<&str>,
    ) -> Result<Vec<(i64, String)>, Error> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, url FROM links WHERE url = ?1 AND id IN (SELECT link_id FROM citations)",
            )
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        let mut sorted: Vec<&&str> = urls.iter().collect();
        sorted.sort();
        for url in sorted {
            let row = stmt
                .query_row(params![url], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(|e| self.err(e))?;
            out.extend(row);
        }
        Ok(out)
    }

    /// Cited links whose last check found them alive, moved or drifted (a page that
    /// answers: what it says now is kept beside the copy as cited): what `archive` captures.
    pub fn links_to_archive(&self) -> Result<Vec<(i64, String)>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, url FROM links
                 WHERE last_status IN ('alive', 'moved', 'drifted')
                   AND id IN (SELECT link_id FROM citations)
                 ORDER BY url",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Cited links whose last check found them alive or moved and whose newest snapshot
    /// is older than `before` (or that have none): the snapshots a run still owes, after
    /// a run cut short between its checks and its snapshots.
    pub fn links_owed_a_snapshot(&self, before: i64) -> Result<Vec<(i64, String)>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, url FROM links
                 WHERE last_status IN ('alive', 'moved') AND id IN (SELECT link_id FROM citations)
                   AND coalesce((SELECT max(captured_at) FROM snapshots
                                 WHERE snapshots.link_id = links.id), 0) < ?1
                 ORDER BY url",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![before], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Every check of a link, oldest first.
    pub fn checks_of(&self, link_id: i64) -> Result<Vec<CheckRow>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT run_id, checked_at, status, http_status, final_url, redirects, detail,
                        elapsed_ms, attempts, strike, coalesce(verdict, ''), coalesce(evidence, '')
                 FROM checks WHERE link_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![link_id], |r| {
                Ok(CheckRow {
                    run: r.get(0)?,
                    checked_at: r.get(1)?,
                    status: r.get(2)?,
                    http_status: r.get(3)?,
                    final_url: r.get(4)?,
                    redirects: r.get(5)?,
                    detail: r.get(6)?,
                    elapsed_ms: r.get::<_, i64>(7)? as u64,
                    attempts: r.get(8)?,
                    strike: r.get(9)?,
                    verdict: r.get(10)?,
                    evidence: r.get(11)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// How many checks are recorded in all.
    pub fn check_count(&self) -> Result<u64, Error> {
        self.conn
            .query_row("SELECT count(*) FROM checks", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_created_once_and_found_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let a = "https://a.example/x";
        let b = "https://b.example/y";
        let first = store
            .links(&[(a, "a.example".into()), (b, "b.example".into())], 100)
            .unwrap();
        assert_eq!(first[0].url, a);
        assert_eq!(first[0].verdict, "new");
        assert_eq!(first[0].first_seen, 100);
        assert_ne!(first[0].id, first[1].id);
        // Read back as written; a repeated URL gets the same link; a new one is added.
        assert_eq!(store.link_state(a).unwrap().as_ref(), Some(&first[0]));
        let c = "https://c.example/z";
        let again = store
            .links(
                &[
                    (b, "b.example".into()),
                    (c, "c.example".into()),
                    (b, "b.example".into()),
                ],
                200,
            )
            .unwrap();
        assert_eq!(again[0], first[1]);
        assert_eq!(again[2], first[1]);
        assert_eq!(again[1].first_seen, 200);
        assert!(![first[0].id, first[1].id].contains(&again[1].id));
        assert_eq!(store.link_state(c).unwrap().as_ref(), Some(&again[1]));
    }
}
