//! Public archives in the history: the captures found of each link, each link's last
//! lookup, the copy offered readers, and Save Page Now requests.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::Store;
use crate::Error;
use std::fmt;

/// One capture a public archive holds of a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capture {
    /// The archive's name (its host).
    pub archive: String,
    /// The address of the capture in the archive (URI-M), as readers open it.
    pub urim: String,
    /// When it was captured, `YYYYMMDDhhmmss` (UTC).
    pub timestamp: String,
    /// The HTTP status the archive recorded, when it says.
    pub status: Option<u16>,
    /// The payload's SHA-1 in base32, when the archive says (the same as a WARC record's
    /// `WARC-Payload-Digest` without its `sha1:`).
    pub digest: Option<String>,
}

/// How an offered copy was shown to hold what was cited.
#[derive(Clone, Debug, PartialEq)]
pub enum Verification {
    /// citekeep submitted the live page to the archive (Save Page Now) and this is the
    /// capture it made.
    Saved,
    /// Its payload digest equals our own snapshot's.
    Identical,
    /// Its text keeps this share of our own snapshot's text.
    Similar(f64),
    /// Its original bytes were judged a real page (not an error, soft-404, consent, login or
    /// parking page), with no copy of ours to compare.
    ContentChecked,
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verification::Saved => write!(f, "saved by citekeep from the live page"),
            Verification::Identical => write!(f, "identical to our copy"),
            Verification::Similar(s) => write!(f, "similar {:.0}% to our copy", s * 100.0),
            Verification::ContentChecked => write!(f, "content checked"),
        }
    }
}

impl Verification {
    /// The word the history keeps, with the similarity where there is one.
    pub fn stored(&self) -> (&'static str, Option<f64>) {
        match self {
            Verification::Saved => ("saved", None),
            Verification::Identical => ("identical", None),
            Verification::Similar(s) => ("similar", Some(*s)),
            Verification::ContentChecked => ("content_checked", None),
        }
    }

    /// Reads what [`Verification::stored`] gave.
    pub fn from_stored(word: &str, similarity: Option<f64>) -> Verification {
        match (word, similarity) {
            ("saved", _) => Verification::Saved,
            ("identical", _) => Verification::Identical,
            ("similar", Some(s)) => Verification::Similar(s),
            _ => Verification::ContentChecked,
        }
    }
}

/// A public copy to offer readers, with how it was verified.
#[derive(Clone, Debug, PartialEq)]
pub struct Verified {
    /// The capture (after a captured redirect, its target's capture).
    pub capture: Capture,
    /// How it was verified.
    pub verification: Verification,
}

/// A Save Page Now request waiting or in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaveRequest {
    /// The link's row id.
    pub link_id: i64,
    /// The link.
    pub url: String,
    /// The job, once submitted.
    pub job_id: Option<String>,
}

/// A live cited page that may be submitted to Save Page Now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaveCandidate {
    /// The link's row id.
    pub link_id: i64,
    /// The link.
    pub url: String,
    /// When it was first cited.
    pub first_seen: i64,
}

/// Where a page stands with Save Page Now (see [`Store::record_save`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaveState<'a> {
    /// `queued`, `skipped`, `covered`, `pending`, `saved` or `failed`.
    pub state: &'a str,
    /// The job, while pending.
    pub job_id: Option<&'a str>,
    /// Why, in the archive's or our words.
    pub error: Option<&'a str>,
    /// Whether a request was sent for it now.
    pub submitted: bool,
}

/// A link whose public copies are to be looked up.
#[derive(Clone, Debug)]
pub struct LookupTarget {
    /// The link's row id.
    pub link_id: i64,
    /// The link.
    pub url: String,
    /// When it was first cited (seen by citekeep).
    pub first_seen: i64,
    /// When its current failing streak began.
    pub first_failing: Option<i64>,
    /// Its first citation: file, line and the URL as written there.
    pub cited: Option<(String, u32, String)>,
}

/// The public copy offered for a link.
#[derive(Clone, Debug, PartialEq)]
pub struct PublicCopy {
    /// The archive's name.
    pub archive: String,
    /// The capture's address (URI-M).
    pub urim: String,
    /// When it was captured, `YYYYMMDDhhmmss`.
    pub captured: String,
    /// How it was verified.
    pub verification: Verification,
    /// When it was verified (Unix seconds).
    pub verified_at: i64,
}

/// A link's last lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastLookup {
    /// When (Unix seconds).
    pub looked_at: i64,
    /// Captures found.
    pub captures: usize,
    /// Archives that could not say, in their words.
    pub errors: Vec<String>,
    /// Captures turned down: each capture's address and why.
    pub rejected: Vec<TurnedDown>,
}

/// A capture a lookup turned down, as the history keeps it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TurnedDown {
    /// The capture's address (URI-M).
    pub urim: String,
    /// Why it does not show the page.
    pub why: String,
}

/// A JSON array of the history (`errors`, `rejected`), read back; what is not one reads as
/// nothing.
fn json_list<T: serde::de::DeserializeOwned>(text: Option<String>) -> Vec<T> {
    text.and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

const COPY_COLUMNS: &str = "archive, urim, captured, verification, similarity, verified_at";

fn copy_row(r: &rusqlite::Row, at: usize) -> rusqlite::Result<PublicCopy> {
    let word: String = r.get(at + 3)?;
    Ok(PublicCopy {
        archive: r.get(at)?,
        urim: r.get(at + 1)?,
        captured: r.get(at + 2)?,
        verification: Verification::from_stored(&word, r.get(at + 4)?),
        verified_at: r.get(at + 5)?,
    })
}

impl Store {
    /// Cited links to look up in the public archives: failing or dead ones, and those whose
    /// last check found them moved into an archive (`archive_host` says which hosts are
    /// archives), not looked up within `again` seconds before `now`; a lookup that could not
    /// ask every archive is made again after a day, then two, four..., at most `again`
    /// (an archive that is down is not asked about a link every night for ever). At most
    /// `max`: never looked up first, dead before failing, then those failing longest.
    pub fn links_to_look_up(
        &self,
        (now, again): (i64, i64),
        archive_host: impl Fn(&str) -> bool,
        max: usize,
    ) -> Result<Vec<LookupTarget>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT l.id, l.url, l.first_seen, l.first_failing, l.verdict, l.last_status,
                        (SELECT final_url FROM checks c WHERE c.link_id = l.id
                         ORDER BY c.id DESC LIMIT 1),
                        p.looked_at IS NULL
                 FROM links l LEFT JOIN public_lookups p ON p.link_id = l.id
                 WHERE l.id IN (SELECT link_id FROM citations)
                   AND (l.verdict IN ('failing', 'dead', 'drifted') OR l.last_status = 'moved')
                   AND (p.looked_at IS NULL OR p.looked_at <= ?1 - ?2
                        OR (p.errors IS NOT NULL
                            AND p.looked_at <= ?1 - min(?2, ?3 << min(max(p.failures, 1) - 1, 20)) + ?4))
                 ORDER BY p.looked_at IS NOT NULL, l.verdict != 'dead',
                          coalesce(l.first_failing, l.first_seen), l.url",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            // A night's runs start at about the same time: an hour of slack, so a lookup
            // due "in a day" is due the next night.
            .query_map(params![now, again, crate::clock::DAY, 3600], |r| {
                let verdict: String = r.get(4)?;
                let final_url: Option<String> = r.get(6)?;
                let url: String = r.get(1)?;
                // A cited memento is an archive's own page: not looked up in the archives.
                let wanted = !archive_host(&crate::link::host_of(&url))
                    && (matches!(verdict.as_str(), "failing" | "dead" | "drifted")
                        || final_url
                            .as_deref()
                            .is_some_and(|u| archive_host(&crate::link::host_of(u))));
                Ok(wanted.then(|| LookupTarget {
                    link_id: r.get(0).unwrap_or_default(),
                    url,
                    first_seen: r.get(2).unwrap_or_default(),
                    first_failing: r.get(3).unwrap_or_default(),
                    cited: None,
                }))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            if out.len() >= max {
                break;
            }
            if let Some(target) = row.map_err(|e| self.err(e))? {
                out.push(target);
            }
        }
        let mut first = self
            .conn
            .prepare(
                "SELECT file, line, written FROM citations WHERE link_id = ?1
                 ORDER BY file, line, col LIMIT 1",
            )
            .map_err(|e| self.err(e))?;
        for target in &mut out {
            target.cited = first
                .query_row(params![target.link_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
                .map_err(|e| self.err(e))?;
        }
        Ok(out)
    }

    /// Records a lookup of `link_id` at `now`: every capture found, what could not be asked
    /// and what was turned down (JSON arrays; none is NULL), and the copy to offer when one
    /// was verified (a copy verified before stays when none is found now).
    pub fn record_lookup(
        &mut self,
        link_id: i64,
        now: i64,
        captures: &[Capture],
        (errors, rejected): (&[String], &[TurnedDown]),
        copy: Option<&Verified>,
    ) -> Result<(), Error> {
        let tx = self.conn.transaction().map_err(|e| db_err(&self.path, e))?;
        {
            let mut add = tx
                .prepare(
                    "INSERT OR IGNORE INTO public_captures
                     (link_id, archive, urim, captured, status, digest, found_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(|e| db_err(&self.path, e))?;
            for c in captures {
                add.execute(params![
                    link_id,
                    c.archive,
                    c.urim,
                    c.timestamp,
                    c.status,
                    c.digest,
                    now
                ])
                .map_err(|e| db_err(&self.path, e))?;
            }
            let errors = (!errors.is_empty()).then(|| serde_json::json!(errors).to_string());
            let rejected = (!rejected.is_empty()).then(|| serde_json::json!(rejected).to_string());
            tx.execute(
                "INSERT INTO public_lookups (link_id, looked_at, captures, errors, rejected, failures)
                 VALUES (?1, ?2, ?3, ?4, ?5, (?4 IS NOT NULL))
                 ON CONFLICT (link_id) DO UPDATE SET
                     looked_at = excluded.looked_at, captures = excluded.captures,
                     errors = excluded.errors, rejected = excluded.rejected,
                     failures = CASE WHEN excluded.errors IS NULL THEN 0
                                     ELSE public_lookups.failures + 1 END",
                params![link_id, now, captures.len() as i64, errors, rejected],
            )
            .map_err(|e| db_err(&self.path, e))?;
            if let Some(copy) = copy {
                put_copy(&tx, link_id, copy, now).map_err(|e| db_err(&self.path, e))?;
            }
        }
        tx.commit().map_err(|e| db_err(&self.path, e))
    }

    /// Records `copy` as the public copy of `link_id` (a capture Save Page Now made).
    pub fn set_public_copy(
        &mut self,
        link_id: i64,
        copy: &Verified,
        now: i64,
    ) -> Result<(), Error> {
        let tx = self.conn.transaction().map_err(|e| db_err(&self.path, e))?;
        tx.execute(
            "INSERT OR IGNORE INTO public_captures
             (link_id, archive, urim, captured, status, digest, found_at)
             VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
            params![
                link_id,
                copy.capture.archive,
                copy.capture.urim,
                copy.capture.timestamp,
                copy.capture.status,
                now
            ],
        )
        .map_err(|e| db_err(&self.path, e))?;
        put_copy(&tx, link_id, copy, now).map_err(|e| db_err(&self.path, e))?;
        tx.commit().map_err(|e| db_err(&self.path, e))
    }

    /// Every link's public copy, by link id.
    pub fn public_copies(&self) -> Result<HashMap<i64, PublicCopy>, Error> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT link_id, {COPY_COLUMNS} FROM public_copies"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, copy_row(r, 1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// A link's public copy.
    pub fn public_copy(&self, link_id: i64) -> Result<Option<PublicCopy>, Error> {
        self.conn
            .query_row(
                &format!("SELECT {COPY_COLUMNS} FROM public_copies WHERE link_id = ?1"),
                params![link_id],
                |r| copy_row(r, 0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// A link's last lookup, if it had one.
    pub fn last_lookup(&self, link_id: i64) -> Result<Option<LastLookup>, Error> {
        self.conn
            .query_row(
                "SELECT looked_at, captures, errors, rejected FROM public_lookups
                 WHERE link_id = ?1",
                params![link_id],
                |r| {
                    Ok(LastLookup {
                        looked_at: r.get(0)?,
                        captures: r.get::<_, i64>(1)? as usize,
                        errors: json_list(r.get(2)?),
                        rejected: json_list(r.get(3)?),
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every capture found of a link, oldest first.
    pub fn public_captures_of(&self, link_id: i64) -> Result<Vec<Capture>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT archive, urim, captured, status, digest FROM public_captures
                 WHERE link_id = ?1 ORDER BY captured, archive",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![link_id], |r| {
                Ok(Capture {
                    archive: r.get(0)?,
                    urim: r.get(1)?,
                    timestamp: r.get(2)?,
                    status: r.get(3)?,
                    digest: r.get(4)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Live cited pages that may be submitted to Save Page Now: alive at their last check,
    /// never submitted within `again` seconds before `now`, not refused for good, not in
    /// progress; those never considered first, then those of the newest citations.
    pub fn save_candidates(&self, now: i64, again: i64) -> Result<Vec<SaveCandidate>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT l.id, l.url, l.first_seen, s.link_id IS NOT NULL FROM links l
                 LEFT JOIN public_saves s ON s.link_id = l.id
                 WHERE l.id IN (SELECT link_id FROM citations)
                   AND l.verdict = 'alive' AND l.last_status = 'alive'
                   AND (s.link_id IS NULL
                        OR s.state IN ('queued', 'skipped')
                        OR (s.state IN ('covered', 'saved') AND s.updated_at <= ?1 - ?2))
                   AND (s.submitted_at IS NULL OR s.submitted_at <= ?1 - ?2)
                 ORDER BY s.link_id IS NOT NULL, l.first_seen DESC, l.url",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![now, again], |r| {
                Ok(SaveCandidate {
                    link_id: r.get(0)?,
                    url: r.get(1)?,
                    first_seen: r.get(2)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Save jobs submitted and not finished, oldest first.
    pub fn pending_saves(&self) -> Result<Vec<SaveRequest>, Error> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.link_id, l.url, s.job_id FROM public_saves s
                 JOIN links l ON l.id = s.link_id
                 WHERE s.state = 'pending' ORDER BY s.submitted_at, l.url",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SaveRequest {
                    link_id: r.get(0)?,
                    url: r.get(1)?,
                    job_id: r.get(2)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Records where a page stands with Save Page Now: `queued` (waits for the next run),
    /// `skipped` (not alive when about to be submitted), `covered` (a recent public capture
    /// exists), `pending` (with its job), `saved`, or `failed` (with the archive's reason;
    /// never asked again). `submitted` when a request was sent for it now.
    pub fn record_save(&self, link_id: i64, save: &SaveState, now: i64) -> Result<(), Error> {
        self.conn
            .execute(
                "INSERT INTO public_saves
                     (link_id, asked_at, state, job_id, error, updated_at, submitted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?2, CASE WHEN ?6 THEN ?2 END)
                 ON CONFLICT (link_id) DO UPDATE SET
                     state = excluded.state, job_id = excluded.job_id, error = excluded.error,
                     updated_at = excluded.updated_at,
                     submitted_at = coalesce(excluded.submitted_at, public_saves.submitted_at)",
                params![
                    link_id,
                    now,
                    save.state,
                    save.job_id,
                    save.error,
                    save.submitted
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Every link's save request that failed, with the archive's reason, by link id.
    pub fn failed_saves(&self) -> Result<HashMap<i64, String>, Error> {
        let mut stmt = self
            .conn
            .prepare("SELECT link_id, error FROM public_saves WHERE state = 'failed'")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                ))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}

fn put_copy(
    tx: &rusqlite::Transaction,
    link_id: i64,
    copy: &Verified,
    now: i64,
) -> rusqlite::Result<usize> {
    let (word, similarity) = copy.verification.stored();
    tx.execute(
        "INSERT OR REPLACE INTO public_copies
         (link_id, archive, urim, captured, verification, similarity, verified_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            link_id,
            copy.capture.archive,
            copy.capture.urim,
            copy.capture.timestamp,
            word,
            similarity,
            now
        ],
    )
}

fn db_err(path: &std::path::Path, e: rusqlite::Error) -> Error {
    super::db(e, path)
}
