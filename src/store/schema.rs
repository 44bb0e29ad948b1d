//! Schema migrations, applied in order and remembered in SQLite's `user_version`.

use rusqlite::Connection;

/// Each entry moves the schema one version up. Never edit a released entry; add one.
const MIGRATIONS: &[&str] = &[
    // 1: runs, links, citations, checks.
    "CREATE TABLE runs (
         id INTEGER PRIMARY KEY,
         command TEXT NOT NULL,
         started_at INTEGER NOT NULL,
         finished_at INTEGER,
         network_down INTEGER NOT NULL DEFAULT 0,
         summary TEXT
     );
     CREATE TABLE links (
         id INTEGER PRIMARY KEY,
         url TEXT NOT NULL UNIQUE,
         host TEXT NOT NULL,
         first_seen INTEGER NOT NULL,
         first_failing INTEGER,
         last_alive INTEGER,
         strikes INTEGER NOT NULL DEFAULT 0,
         verdict TEXT NOT NULL,
         last_status TEXT,
         last_checked INTEGER,
         next_due INTEGER
     );
     CREATE INDEX links_due ON links (next_due);
     CREATE TABLE citations (
         id INTEGER PRIMARY KEY,
         run_id INTEGER NOT NULL REFERENCES runs (id),
         link_id INTEGER NOT NULL REFERENCES links (id),
         file TEXT NOT NULL,
         line INTEGER NOT NULL,
         col INTEGER NOT NULL,
         span_start INTEGER NOT NULL,
         span_end INTEGER NOT NULL,
         text TEXT NOT NULL,
         kind TEXT NOT NULL,
         section_text TEXT,
         section_id TEXT,
         written TEXT NOT NULL
     );
     CREATE INDEX citations_link ON citations (link_id);
     CREATE TABLE checks (
         id INTEGER PRIMARY KEY,
         run_id INTEGER NOT NULL REFERENCES runs (id),
         link_id INTEGER NOT NULL REFERENCES links (id),
         checked_at INTEGER NOT NULL,
         status TEXT NOT NULL,
         http_status INTEGER,
         final_url TEXT,
         redirects TEXT NOT NULL,
         detail TEXT NOT NULL,
         elapsed_ms INTEGER NOT NULL,
         attempts INTEGER NOT NULL,
         strike INTEGER NOT NULL
     );
     CREATE INDEX checks_link ON checks (link_id);
     CREATE INDEX checks_run ON checks (run_id);",
    // 2: snapshots in the WARC archive.
    "CREATE TABLE snapshots (
         id INTEGER PRIMARY KEY,
         link_id INTEGER NOT NULL REFERENCES links (id),
         run_id INTEGER REFERENCES runs (id),
         check_id INTEGER REFERENCES checks (id),
         url TEXT NOT NULL,
         captured_at INTEGER NOT NULL,
         filename TEXT NOT NULL,
         offset INTEGER NOT NULL,
         length INTEGER NOT NULL,
         status INTEGER NOT NULL,
         mime TEXT NOT NULL,
         payload_digest TEXT NOT NULL,
         record_id TEXT NOT NULL,
         revisit INTEGER NOT NULL,
         title TEXT,
         text_hash TEXT,
         main_text TEXT,
         similarity REAL,
         warc_end INTEGER NOT NULL
     );
     CREATE INDEX snapshots_link ON snapshots (link_id);
     CREATE INDEX snapshots_url ON snapshots (url);
     CREATE INDEX snapshots_file ON snapshots (filename);",
    // 3: each check's resulting verdict (reports compare runs), and the scanned files'
    // digests (`fix` refuses a file changed since).
    "ALTER TABLE checks ADD COLUMN verdict TEXT;
     CREATE TABLE files (
         path TEXT PRIMARY KEY,
         run_id INTEGER NOT NULL REFERENCES runs (id),
         size INTEGER NOT NULL,
         sha256 TEXT NOT NULL
     );",
    // 4: which snapshots are page requisites (not the cited page itself), and full-text
    // search over the archived pages (the archive browser's search). Requisites recorded
    // before are recognised as what is neither the link's URL nor a page.
    "ALTER TABLE snapshots ADD COLUMN requisite INTEGER NOT NULL DEFAULT 0;
     UPDATE snapshots SET requisite = 1
     WHERE title IS NULL AND main_text IS NULL AND status BETWEEN 200 AND 299
       AND url != (SELECT url FROM links WHERE links.id = snapshots.link_id)
       AND mime NOT IN ('text/html', 'application/pdf');
     CREATE VIRTUAL TABLE snapshots_fts USING fts5(
         url, title, main_text, content = 'snapshots', content_rowid = 'id'
     );
     CREATE TRIGGER snapshots_fts_insert AFTER INSERT ON snapshots
     WHEN new.revisit = 0 AND (new.title IS NOT NULL OR new.main_text IS NOT NULL) BEGIN
         INSERT INTO snapshots_fts (rowid, url, title, main_text)
         VALUES (new.id, new.url, new.title, new.main_text);
     END;
     INSERT INTO snapshots_fts (rowid, url, title, main_text)
         SELECT id, url, title, main_text FROM snapshots
         WHERE revisit = 0 AND (title IS NOT NULL OR main_text IS NOT NULL);",
    // 5: citations by file (reports and the browser count and list them by file; a run
    // replaces only the citations of files that changed), and what decided a file's
    // citations besides its bytes (the site's hosts, citekeep's version).
    "CREATE INDEX citations_file ON citations (file, link_id);
     ALTER TABLE files ADD COLUMN scan_key TEXT;",
    // 6: the main text of pages is read from the WARC record when needed (the bytes are
    // there); the database kept a second copy of every page's text, most of its size and of
    // the archiving time. The search index keeps its own tokens (contentless).
    "DROP TRIGGER snapshots_fts_insert;
     DROP TABLE snapshots_fts;
     CREATE VIRTUAL TABLE snapshots_fts USING fts5(url, title, main_text, content = '');
     INSERT INTO snapshots_fts (rowid, url, title, main_text)
         SELECT id, url, title, main_text FROM snapshots
         WHERE revisit = 0 AND (title IS NOT NULL OR main_text IS NOT NULL);
     ALTER TABLE snapshots DROP COLUMN main_text;",
    // 7: the evidence that decided each check (its signals, one a line), so every view of a
    // verdict can show it.
    "ALTER TABLE checks ADD COLUMN evidence TEXT;",
    // 8: public archives: every capture found of a link, each link's last lookup (so a
    // dead link is not asked about every night), the copy offered readers with how it was
    // verified, and Save Page Now requests.
    "CREATE TABLE public_captures (
         id INTEGER PRIMARY KEY,
         link_id INTEGER NOT NULL REFERENCES links (id),
         archive TEXT NOT NULL,
         urim TEXT NOT NULL,
         captured TEXT NOT NULL,
         status INTEGER,
         digest TEXT,
         found_at INTEGER NOT NULL,
         UNIQUE (link_id, urim)
     );
     CREATE TABLE public_lookups (
         link_id INTEGER PRIMARY KEY REFERENCES links (id),
         looked_at INTEGER NOT NULL,
         captures INTEGER NOT NULL,
         errors TEXT,
         rejected TEXT
     );
     CREATE TABLE public_copies (
         link_id INTEGER PRIMARY KEY REFERENCES links (id),
         archive TEXT NOT NULL,
         urim TEXT NOT NULL,
         captured TEXT NOT NULL,
         verification TEXT NOT NULL,
         similarity REAL,
         verified_at INTEGER NOT NULL
     );
     CREATE TABLE public_saves (
         link_id INTEGER PRIMARY KEY REFERENCES links (id),
         asked_at INTEGER NOT NULL,
         state TEXT NOT NULL,
         job_id TEXT,
         error TEXT,
         updated_at INTEGER NOT NULL
     );",
    // 9: snapshots that are `resource` records (a browser's rendered DOM, a screenshot):
    // their index lines carry no HTTP status.
    "ALTER TABLE snapshots ADD COLUMN resource INTEGER NOT NULL DEFAULT 0;",
    // 10: the WARC files citekeep created, registered before their first byte is written:
    // crash recovery cuts only these, never a file it cannot account for (one copied in,
    // or one left by a database that was lost). Each file's size and modification time when
    // it was last read through whole, so damage is found without rereading every file each run.
    "CREATE TABLE warc_files (
         name TEXT PRIMARY KEY,
         created_at INTEGER NOT NULL,
         verified_size INTEGER,
         verified_mtime INTEGER
     );
     INSERT INTO warc_files (name, created_at)
         SELECT filename, min(captured_at) FROM snapshots GROUP BY filename;",
    // 11: a revisit (an unchanged page) keeps as much of the text as cited as the capture
    // whose payload it repeats; without it, the newest revisit of a drifted page passed for
    // the copy as cited.
    "UPDATE snapshots SET similarity = (
         SELECT earlier.similarity FROM snapshots earlier
         WHERE earlier.url = snapshots.url AND earlier.payload_digest = snapshots.payload_digest
           AND earlier.revisit = 0 AND earlier.captured_at <= snapshots.captured_at
         ORDER BY earlier.captured_at DESC, earlier.id DESC LIMIT 1)
     WHERE revisit = 1 AND requisite = 0 AND similarity IS NULL;",
    // 12: what `fix --write` replaced (the history knows a citation was rewritten, and
    // with what); lookups that failed in a row (asked again later and later); when a page
    // was last submitted to Save Page Now (never twice within `lookup_days`).
    "CREATE TABLE replacements (
         id INTEGER PRIMARY KEY,
         link_id INTEGER NOT NULL REFERENCES links (id),
         file TEXT NOT NULL,
         line INTEGER NOT NULL,
         col INTEGER NOT NULL,
         replaced_with TEXT NOT NULL,
         moved INTEGER NOT NULL,
         replaced_at INTEGER NOT NULL
     );
     CREATE INDEX replacements_by_link ON replacements (link_id);
     ALTER TABLE public_lookups ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE public_saves ADD COLUMN submitted_at INTEGER;",
    // 13: a lookup's errors and the captures it turned down are JSON arrays (strings, and
    // objects with `urim` and `why`), not lines to split again: the lines kept before are
    // turned into them.
    "WITH RECURSIVE split(link_id, rest, item, n) AS (
         SELECT link_id, errors || char(10), NULL, 0 FROM public_lookups
         WHERE errors IS NOT NULL AND errors NOT LIKE '[%'
         UNION ALL
         SELECT link_id, substr(rest, instr(rest, char(10)) + 1),
                substr(rest, 1, instr(rest, char(10)) - 1), n + 1
         FROM split WHERE rest != ''
     )
     UPDATE public_lookups SET errors = (
         SELECT json_group_array(item) FROM (
             SELECT item FROM split s
             WHERE s.link_id = public_lookups.link_id AND item IS NOT NULL AND item != ''
             ORDER BY n))
     WHERE errors IS NOT NULL AND errors NOT LIKE '[%';
     WITH RECURSIVE split(link_id, rest, item, n) AS (
         SELECT link_id, rejected || char(10), NULL, 0 FROM public_lookups
         WHERE rejected IS NOT NULL AND rejected NOT LIKE '[%'
         UNION ALL
         SELECT link_id, substr(rest, instr(rest, char(10)) + 1),
                substr(rest, 1, instr(rest, char(10)) - 1), n + 1
         FROM split WHERE rest != ''
     )
     UPDATE public_lookups SET rejected = (
         SELECT json_group_array(json_object(
                    'urim', substr(item, 1, instr(item || ' ', ' ') - 1),
                    'why', substr(item, instr(item || ' ', ' ') + 1)))
         FROM (SELECT item FROM split s
               WHERE s.link_id = public_lookups.link_id AND item IS NOT NULL AND item != ''
               ORDER BY n))
     WHERE rejected IS NOT NULL AND rejected NOT LIKE '[%';",
    // 14: drift is a fact of the snapshot (its similarity), said by reports from there: the
    // notes the archive pass used to append to a check's detail and evidence are taken out.
    "UPDATE checks SET detail = substr(detail, 1, instr(detail, '; drifted: ') - 1)
     WHERE status != 'drifted' AND instr(detail, '; drifted: ') > 0
       AND detail LIKE '%of the text first archived remains';
     UPDATE checks SET evidence = CASE
             WHEN evidence LIKE 'drifted: %' THEN NULL
             ELSE substr(evidence, 1, instr(evidence, char(10) || 'drifted: ') - 1) END
     WHERE status != 'drifted' AND evidence LIKE '%drifted: %of the text first archived remains'
       AND (evidence LIKE 'drifted: %' OR instr(evidence, char(10) || 'drifted: ') > 0);",
];

/// Brings the database up to the newest schema.
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    // Version 6 dropped the copy of every page's text, most of an older archive's database:
    // give that space back to the file system once.
    if (1..6).contains(&version) {
        conn.execute_batch("VACUUM")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 29: a lookup's lines, kept before version 13, become JSON arrays.
    #[test]
    fn lookups_kept_as_lines_become_json() {
        let conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..12] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 12).unwrap();
        conn.execute_batch(
            "INSERT INTO links (id, url, host, first_seen, verdict)
                 VALUES (1, 'https://x.org/a', 'x.org', 0, 'dead');
             INSERT INTO public_lookups (link_id, looked_at, captures, errors, rejected)
                 VALUES (1, 0, 2, 'archive.ph: HTTP 503' || char(10) || 'web.archive.org: down',
                         'https://web.archive.org/web/20240101000000/https://x.org/a soft404: error page title: \"Not found\"'
                         || char(10) || 'https://archive.ph/AbCd gone: 404 Not Found');",
        )
        .unwrap();
        migrate(&conn).unwrap();
        let (errors, rejected): (String, String) = conn
            .query_row("SELECT errors, rejected FROM public_lookups", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        let errors: Vec<String> = serde_json::from_str(&errors).unwrap();
        assert_eq!(errors, ["archive.ph: HTTP 503", "web.archive.org: down"]);
        let rejected: Vec<super::super::TurnedDown> = serde_json::from_str(&rejected).unwrap();
        assert_eq!(rejected.len(), 2);
        assert_eq!(
            rejected[0].urim,
            "https://web.archive.org/web/20240101000000/https://x.org/a"
        );
        assert_eq!(rejected[0].why, "soft404: error page title: \"Not found\"");
        assert_eq!(rejected[1].why, "gone: 404 Not Found");
    }

    /// Issue 29: the drift notes appended to checks before version 14 are taken out (the
    /// report says drift from the snapshot); a check that judged the page drifted keeps
    /// its words.
    #[test]
    fn drift_notes_leave_the_checks() {
        let conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..13] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 13).unwrap();
        let note = "drifted: 12% of the text first archived remains";
        conn.execute(
            "INSERT INTO runs (id, command, started_at) VALUES (1, 'run', 0)",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO links (id, url, host, first_seen, verdict)
                 VALUES (1, 'https://x.org/a', 'x.org', 0, 'alive')",
            [],
        )
        .unwrap();
        for (status, detail, evidence) in [
            (
                "alive",
                format!("200; {note}"),
                Some(format!("200 OK\n{note}")),
            ),
            (
                "alive",
                format!("200; {note}; {note}"),
                Some(note.to_string()),
            ),
            ("drifted", note.to_string(), Some(note.to_string())),
            ("alive", "200".to_string(), None),
        ] {
            conn.execute(
                "INSERT INTO checks (run_id, link_id, checked_at, status, detail, evidence,
                                     redirects, elapsed_ms, attempts, strike, verdict)
                 VALUES (1, 1, 0, ?1, ?2, ?3, '[]', 0, 1, 0, ?1)",
                rusqlite::params![status, detail, evidence],
            )
            .unwrap();
        }
        migrate(&conn).unwrap();
        let got: Vec<(String, Option<String>)> = conn
            .prepare("SELECT detail, evidence FROM checks ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            got,
            [
                ("200".to_string(), Some("200 OK".to_string())),
                ("200".to_string(), None),
                (note.to_string(), Some(note.to_string())),
                ("200".to_string(), None),
            ]
        );
    }

    #[test]
    fn texts_kept_before_version_6_stay_searchable() {
        let conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..5] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 5).unwrap();
        conn.execute_batch(
            "INSERT INTO links (id, url, host, first_seen, verdict)
                 VALUES (1, 'https://www.gov.uk/report', 'www.gov.uk', 0, 'alive');
             INSERT INTO snapshots (link_id, url, captured_at, filename, offset, length, status,
                                    mime, payload_digest, record_id, revisit, title, text_hash,
                                    main_text, warc_end)
                 VALUES (1, 'https://www.gov.uk/report', 0, 'a.warc.gz', 0, 10, 200,
                         'text/html', 'sha1:X', '<urn:uuid:1>', 0, 'Report', 'simhash:0',
                         'The Bletchley declaration', 10);",
        )
        .unwrap();
        migrate(&conn).unwrap();
        let found: i64 = conn
            .query_row(
                "SELECT rowid FROM snapshots_fts WHERE snapshots_fts MATCH 'bletchley'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(found, 1);
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('snapshots')")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(columns.contains(&"text_hash".to_string()));
        assert!(!columns.contains(&"main_text".to_string()));
    }
}
