//! What a report says, read from the history: the latest run compared with an earlier one.
//! Every format renders this one model, and JSON is its serialization (docs/json.md).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::Error;
use crate::archive::cdxj::timestamp;
use crate::clock;
use crate::link::registrable_domain;
use crate::store::{CitedLink, LinkAsOf, RunRow, SnapshotRow, Store};

/// The version of the JSON document; raised only when a field changes meaning or goes.
pub const VERSION: u32 = 1;

/// Runs shown in the history chart at most.
const HISTORY_RUNS: usize = 60;

/// Which earlier run the latest is compared with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Since {
    /// The run before the latest one whose network was up.
    #[default]
    Previous,
    /// The run with this id.
    Run(i64),
    /// The last run that began at or before these Unix seconds.
    Time(i64),
}

impl std::str::FromStr for Since {
    type Err = String;

    /// A run id (`12`), a date (`2026-11-26`) or a time (RFC 3339).
    fn from_str(s: &str) -> Result<Since, String> {
        let s = s.trim();
        if let Ok(id) = s.parse::<i64>() {
            return Ok(Since::Run(id));
        }
        if let Ok(ts) = s.parse::<jiff::Timestamp>() {
            return Ok(Since::Time(ts.as_second()));
        }
        if let Ok(date) = s.parse::<jiff::civil::Date>() {
            // The whole day counts: runs up to its end.
            let start = jiff::tz::TimeZone::UTC
                .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
                .map_err(|e| e.to_string())?;
            let end = start.as_second() + clock::DAY - 1;
            return Ok(Since::Time(end));
        }
        Err(format!(
            "{s:?} is neither a run id (12), a date (2026-11-26) nor a time (2026-11-26T03:00:00Z)"
        ))
    }
}

/// How to build a report.
#[derive(Clone, Debug)]
pub struct Options {
    /// The earlier run to compare with.
    pub since: Since,
    /// The replay URL template (`{timestamp}`, `{url}`) of archived copies.
    pub replay_url: String,
    /// Below this share of remaining first text, a page has drifted.
    pub drift: f64,
}

/// A run, as reports name it.
#[derive(Clone, Debug, Serialize)]
pub struct RunInfo {
    /// Its id.
    pub id: i64,
    /// `check` or `run`.
    pub command: String,
    /// When it began (RFC 3339).
    pub started_at: String,
    /// When it ended (RFC 3339).
    pub finished_at: Option<String>,
    /// Whether our own network was down.
    pub network_down: bool,
}

/// Totals of the latest run and what changed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Distinct cited links.
    pub links: usize,
    /// Citations.
    pub citations: usize,
    /// Source files with citations.
    pub files: usize,
    /// Links by their latest status (`not_checked` when never checked).
    pub by_status: BTreeMap<String, usize>,
    /// Links by verdict.
    pub by_verdict: BTreeMap<String, usize>,
    /// Links confirmed dead.
    pub rotten: usize,
    /// Links first cited since the earlier run.
    pub new_links: usize,
    /// Links that became dead since the earlier run.
    pub newly_rotten: usize,
    /// Links failing or dead then, alive or moved now.
    pub recovered: usize,
    /// Links blocked now and not then.
    pub newly_blocked: usize,
    /// Links moved now and not then.
    pub newly_moved: usize,
    /// Links whose text drifted from their first snapshot.
    pub drifted: usize,
}

/// An archived copy to link instead.
#[derive(Clone, Debug, Serialize)]
pub struct Copy {
    /// When it was captured (RFC 3339).
    pub captured_at: String,
    /// The capture's 14-digit timestamp.
    pub timestamp: String,
    /// The URL captured (the link, or where its redirects led).
    pub archived_url: String,
    /// Where to read it: the replay URL template filled in.
    pub url: String,
}

/// A public archive's copy to give readers, verified to show the page as cited.
#[derive(Clone, Debug, Serialize)]
pub struct PublicCopy {
    /// The archive (its host).
    pub archive: String,
    /// The capture's address (URI-M): what to link.
    pub url: String,
    /// When it was captured (RFC 3339).
    pub captured_at: String,
    /// The capture's 14-digit timestamp.
    pub timestamp: String,
    /// How it was verified, in words: `identical to our copy`, `similar 87% to our copy`,
    /// `content checked`, `saved by citekeep from the live page`.
    pub verification: String,
}

impl PublicCopy {
    /// The report's view of a copy from the history.
    pub fn of(copy: &crate::store::PublicCopy) -> PublicCopy {
        PublicCopy {
            archive: copy.archive.clone(),
            url: copy.urim.clone(),
            captured_at: rfc3339_of_stamp(&copy.captured),
            timestamp: copy.captured.clone(),
            verification: copy.verification.to_string(),
        }
    }
}

/// A 14-digit timestamp as RFC 3339 (as it is when it cannot be read).
pub fn rfc3339_of_stamp(ts: &str) -> String {
    crate::archive::cdxj::parse_timestamp(ts).map_or_else(|| ts.to_string(), clock::format)
}

/// One citation an editor should look at.
#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    /// 1-based line.
    pub line: u32,
    /// 1-based column in characters.
    pub column: u32,
    /// The link text.
    pub text: String,
    /// The nearest heading's text.
    pub section: Option<String>,
    /// The nearest heading's anchor id.
    pub section_id: Option<String>,
    /// The link.
    pub url: String,
    /// The syntax it was written in.
    pub kind: String,
    /// The latest status (`not_checked` when never checked).
    pub status: String,
    /// The latest HTTP status.
    pub http_status: Option<u16>,
    /// What happened, in words.
    pub detail: String,
    /// The signals that decided the status.
    pub evidence: Vec<String>,
    /// The verdict: failing, dead, moved, invalid...
    pub verdict: String,
    /// Failing checks in the current streak.
    pub strikes: u32,
    /// When the current failing streak began (RFC 3339).
    pub failing_since: Option<String>,
    /// When it was last checked (RFC 3339).
    pub checked_at: Option<String>,
    /// Where its redirects end, for moved links.
    pub final_url: Option<String>,
    /// The share of its first archived text that remains, when it drifted.
    pub drift: Option<f64>,
    /// The archived copy to link instead: the newest good one, or for a drifted page the
    /// first.
    pub copy: Option<Copy>,
    /// The public archive's copy to give readers, verified to show the page, when one was
    /// found or saved.
    pub public_copy: Option<PublicCopy>,
    /// When the link last answered alive (RFC 3339).
    pub last_alive: Option<String>,
}

impl Problem {
    /// Whether readers need another copy of this citation: its link is failing or dead,
    /// or what it says is no longer what was cited (drifted).
    pub fn needs_copy(&self) -> bool {
        matches!(self.verdict.as_str(), "failing" | "dead" | "drifted")
    }

    /// For a citation that needs a copy and has no public one: `no public copy: last seen
    /// alive on DATE` (or `never seen alive`).
    pub fn no_public_copy(&self) -> Option<String> {
        if !self.needs_copy() || self.public_copy.is_some() {
            return None;
        }
        Some(match &self.last_alive {
            Some(at) => format!(
                "no public copy: last seen alive on {}",
                &at[..at.len().min(10)]
            ),
            None => "no public copy: never seen alive by citekeep".to_string(),
        })
    }
}

/// A source file and the citations in it to look at.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    /// The file as scanned.
    pub file: String,
    /// Its citations in all.
    pub citations: usize,
    /// Those to look at, in line order.
    pub problems: Vec<Problem>,
}

/// Links of one registrable domain by status.
#[derive(Clone, Debug, Serialize)]
pub struct DomainRow {
    /// The registrable domain (`reuters.com`).
    pub domain: String,
    /// Distinct links.
    pub links: usize,
    /// Links by latest status.
    pub by_status: BTreeMap<String, usize>,
}

/// A link whose state changed between the two runs.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    /// The link.
    pub url: String,
    /// Its status then (absent when not yet cited or checked).
    pub status_before: Option<String>,
    /// Its verdict then.
    pub verdict_before: Option<String>,
    /// Its status now.
    pub status: String,
    /// Its verdict now.
    pub verdict: String,
    /// What happened, in words.
    pub detail: String,
    /// The signals that decided the status now.
    pub evidence: Vec<String>,
    /// Where redirects end now.
    pub final_url: Option<String>,
    /// Where it is cited (`file:line:column`).
    pub cited_at: Vec<String>,
}

/// What changed between the two runs.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Changes {
    /// Links that became dead.
    pub newly_rotten: Vec<Change>,
    /// Links failing or dead then, alive or moved now.
    pub recovered: Vec<Change>,
    /// Links blocked now and not then.
    pub newly_blocked: Vec<Change>,
    /// Links moved now and not then.
    pub newly_moved: Vec<Change>,
}

impl Changes {
    /// The four kinds of change with their names, in the order reports list them.
    pub fn groups(&self) -> [(&'static str, &[Change]); 4] {
        [
            ("newly rotten", &self.newly_rotten),
            ("recovered", &self.recovered),
            ("newly blocked", &self.newly_blocked),
            ("newly moved", &self.newly_moved),
        ]
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.groups().iter().all(|g| g.1.is_empty())
    }

    /// Where a changed link's redirects lead now, if it moved.
    pub fn moved_to(change: &Change) -> Option<&str> {
        change
            .final_url
            .as_deref()
            .filter(|_| change.status == "moved")
    }
}

/// A citation `fix --write` rewrote since the earlier run (each shown in one report).
#[derive(Clone, Debug, Serialize)]
pub struct Replaced {
    /// The source file.
    pub file: String,
    /// 1-based line, as scanned before the rewrite.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The URL cited before.
    pub url: String,
    /// What the source cites now.
    pub with: String,
    /// Whether it now points where the link moved (else at an archived copy).
    pub moved: bool,
    /// When it was written (RFC 3339).
    pub at: String,
    /// The day it was written (`YYYY-MM-DD`).
    pub date: String,
}

/// Links by status after one run, for the chart over time.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryPoint {
    /// The run.
    pub run: i64,
    /// When it began (RFC 3339).
    pub at: String,
    /// Whether our own network was down.
    pub network_down: bool,
    /// Cited links by latest status after it.
    pub by_status: BTreeMap<String, usize>,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// [`VERSION`].
    pub version: u32,
    /// When the report was made (RFC 3339).
    pub generated_at: String,
    /// The latest run.
    pub run: RunInfo,
    /// The earlier run compared with, if any.
    pub compared_to: Option<RunInfo>,
    /// Totals and counts of changes.
    pub summary: Summary,
    /// By source file, the citations to look at.
    pub files: Vec<FileReport>,
    /// By registrable domain, links by status, most links first.
    pub domains: Vec<DomainRow>,
    /// What changed since the earlier run.
    pub changes: Changes,
    /// Citations `fix --write` rewrote since the earlier run.
    pub replaced: Vec<Replaced>,
    /// Links by status over the recent runs, oldest first.
    pub history: Vec<HistoryPoint>,
}

/// Statuses that mean the cited page is not there.
pub fn is_rot_status(status: &str) -> bool {
    matches!(
        status,
        "gone" | "soft404" | "drifted" | "server_error" | "timeout" | "network_error" | "invalid"
    )
}

fn run_info(r: &RunRow) -> RunInfo {
    RunInfo {
        id: r.id,
        command: r.command.clone(),
        started_at: clock::format(r.started_at),
        finished_at: r.finished_at.map(clock::format),
        network_down: r.network_down,
    }
}

/// Fills in a replay URL template.
pub fn replay_url(template: &str, ts: &str, url: &str) -> String {
    template.replace("{timestamp}", ts).replace("{url}", url)
}

/// What a link's latest check said (its detail and evidence), with the drift its newest
/// snapshot found (`drift`, the share of the first text that remains) when the check did
/// not judge the page drifted itself: a fact of the snapshot, said once, here.
fn said(state: Option<&LinkAsOf>, drift: Option<f64>) -> (String, Vec<String>) {
    let mut detail = state.map(|s| s.detail.clone()).unwrap_or_default();
    let mut evidence = state.map(|s| s.evidence.clone()).unwrap_or_default();
    if let Some(share) = drift.filter(|_| state.is_none_or(|s| s.status != "drifted")) {
        let note = format!(
            "drifted: {:.0}% of the text first archived remains",
            share * 100.0
        );
        if !detail.is_empty() {
            detail.push_str("; ");
        }
        detail.push_str(&note);
        evidence.push(note);
    }
    (detail, evidence)
}

/// A verdict for a check recorded before checks kept one.
fn verdict_of(c: &LinkAsOf) -> String {
    match &c.verdict {
        Some(v) if !v.is_empty() => v.clone(),
        _ => match c.status.as_str() {
            "alive" | "moved" | "blocked" | "invalid" | "drifted" => c.status.clone(),
            _ => "failing".to_string(),
        },
    }
}

/// Builds the report of the latest run from the history.
pub fn build(store: &Store, options: &Options) -> Result<Report, Error> {
    let runs = store.runs()?;
    let Some(latest) = runs.last() else {
        return Err(Error::Nothing(
            "the history has no finished run yet: run `citekeep run` or `citekeep check` first"
                .to_string(),
        ));
    };
    let earlier = match options.since {
        Since::Previous => runs
            .iter()
            .rev()
            .skip(1)
            .find(|r| !r.network_down || latest.network_down),
        Since::Run(id) => Some(runs.iter().find(|r| r.id == id).ok_or_else(|| {
            Error::Nothing(format!(
                "no finished run {id} in the history (runs {}..{})",
                runs[0].id, latest.id
            ))
        })?),
        Since::Time(t) => Some(
            runs.iter()
                .rev()
                .find(|r| r.started_at <= t && r.id != latest.id)
                .ok_or_else(|| {
                    Error::Nothing(format!(
                        "no run on or before {} to compare with: the first run recorded \
                         started {} (give a later date, or a run id)",
                        clock::format(t),
                        clock::format(runs[0].started_at)
                    ))
                })?,
        ),
    };

    // Read per link, not per citation: only the citations of links to look at (or that
    // changed) are read, so a report costs little on a large, healthy site.
    let links = store.cited_links()?;
    let now = store.as_of(latest.id)?;
    let before = match earlier {
        Some(r) => store.as_of(r.id)?,
        None => HashMap::new(),
    };
    let similarities = store.similarities()?;
    let drift_of = |link: i64| {
        similarities
            .get(&link)
            .copied()
            .filter(|&s| s < options.drift)
    };
    let status_of = |link: i64| now.get(&link).map_or("not_checked", |s| s.status.as_str());

    let mut summary = Summary {
        links: links.len(),
        citations: links.iter().map(|l| l.citations).sum(),
        ..Summary::default()
    };
    let mut domains: HashMap<&str, DomainRow> = HashMap::new();
    // Each change (which group, which link), filled in with its places below.
    let mut changed: Vec<(usize, &CitedLink)> = Vec::new();
    // Links whose citations the editor should look at, and every link whose citations are
    // read (those and the changed ones).
    let mut problem_links: std::collections::HashSet<i64> = std::collections::HashSet::new();
    let mut look: Vec<i64> = Vec::new();
    let since = earlier.map(|r| r.started_at);
    for link in &links {
        let status = status_of(link.id);
        *summary.by_status.entry(status.to_string()).or_default() += 1;
        *summary.by_verdict.entry(link.verdict.clone()).or_default() += 1;
        if link.verdict == "dead" {
            summary.rotten += 1;
        }
        if since.is_none_or(|t| link.first_seen > t) {
            summary.new_links += 1;
        }
        let drift = drift_of(link.id);
        if drift.is_some() {
            summary.drifted += 1;
        }
        let domain = if link.host.is_empty() {
            "(invalid)"
        } else {
            registrable_domain(&link.host)
        };
        let row = domains.entry(domain).or_insert_with(|| DomainRow {
            domain: domain.to_string(),
            links: 0,
            by_status: BTreeMap::new(),
        });
        row.links += 1;
        *row.by_status.entry(status.to_string()).or_default() += 1;

        let then = before.get(&link.id);
        let status_before = then.map(|s| s.status.as_str());
        let verdict_before = then.map(verdict_of);
        let groups = [
            // Newly rotten: newly dead, or newly drifted (reference rot: the address
            // answers, the text as cited is gone).
            (link.verdict == "dead" && verdict_before.as_deref() != Some("dead"))
                || (link.verdict == "drifted" && verdict_before.as_deref() != Some("drifted")),
            matches!(verdict_before.as_deref(), Some("failing" | "dead"))
                && matches!(status, "alive" | "moved"),
            status == "blocked" && status_before != Some("blocked"),
            status == "moved" && status_before != Some("moved"),
        ];
        changed.extend(
            groups
                .iter()
                .enumerate()
                .filter(|(_, yes)| **yes)
                .map(|(group, _)| (group, link)),
        );
        let to_look = is_rot_status(status)
            || status == "moved"
            || matches!(link.verdict.as_str(), "failing" | "dead")
            || drift.is_some();
        if to_look {
            problem_links.insert(link.id);
        }
        if to_look || groups.iter().any(|&g| g) {
            look.push(link.id);
        }
    }

    // The citations of the links to look at and of the changed ones, by file and line.
    let cited = store.cited_of(&look)?;
    let mut places: HashMap<i64, Vec<String>> = HashMap::new();
    for c in &cited {
        places
            .entry(c.link_id)
            .or_default()
            .push(format!("{}:{}:{}", c.file, c.line, c.column));
    }
    let mut changes = Changes::default();
    for (group, link) in changed {
        let state = now.get(&link.id);
        let then = before.get(&link.id);
        let change = Change {
            url: link.url.clone(),
            status_before: then.map(|s| s.status.clone()),
            verdict_before: then.map(verdict_of),
            status: status_of(link.id).to_string(),
            verdict: link.verdict.clone(),
            detail: said(state, drift_of(link.id)).0,
            evidence: said(state, drift_of(link.id)).1,
            final_url: state.and_then(|s| s.final_url.clone()),
            cited_at: places.get(&link.id).cloned().unwrap_or_default(),
        };
        match group {
            0 => changes.newly_rotten.push(change),
            1 => changes.recovered.push(change),
            2 => changes.newly_blocked.push(change),
            _ => changes.newly_moved.push(change),
        }
    }
    for group in [
        &mut changes.newly_rotten,
        &mut changes.recovered,
        &mut changes.newly_blocked,
        &mut changes.newly_moved,
    ] {
        group.sort_by(|a, b| a.url.cmp(&b.url));
    }
    summary.newly_rotten = changes.newly_rotten.len();
    summary.recovered = changes.recovered.len();
    summary.newly_blocked = changes.newly_blocked.len();
    summary.newly_moved = changes.newly_moved.len();

    // By file, the citations to look at. A drifted page's copy to link is its first: the
    // text that was cited.
    let mut copies: HashMap<i64, Option<Copy>> = HashMap::new();
    let public = store.public_copies()?;
    let mut problems: HashMap<&str, Vec<Problem>> = HashMap::new();
    for c in &cited {
        let state = now.get(&c.link_id);
        let status = status_of(c.link_id);
        if !problem_links.contains(&c.link_id) {
            continue;
        }
        let drift = drift_of(c.link_id);
        // A page moved into a web archive: our copy of the page as cited, not of the
        // archive's replay page it now leads to.
        let into_archive = status == "moved"
            && state
                .and_then(|s| s.final_url.as_deref())
                .is_some_and(|u| crate::link::is_web_archive(&crate::link::host_of(u)));
        let copy = match copies.get(&c.link_id) {
            Some(copy) => copy.clone(),
            None => {
                let found = store
                    .good_snapshot(c.link_id, drift.is_some() || into_archive)?
                    .map(|s| copy(&s, &options.replay_url));
                copies.insert(c.link_id, found.clone());
                found
            }
        };
        problems.entry(&c.file).or_default().push(Problem {
            line: c.line,
            column: c.column,
            text: c.text.clone(),
            section: c.section.as_ref().map(|s| s.0.clone()),
            section_id: c.section.as_ref().map(|s| s.1.clone()),
            url: c.url.clone(),
            kind: c.kind.clone(),
            status: status.to_string(),
            http_status: state.and_then(|s| s.http_status),
            detail: said(state, drift).0,
            evidence: said(state, drift).1,
            verdict: c.verdict.clone(),
            strikes: c.strikes,
            failing_since: c.first_failing.map(clock::format),
            checked_at: state.map(|s| clock::format(s.checked_at)),
            final_url: state.and_then(|s| s.final_url.clone()),
            drift,
            copy,
            public_copy: public.get(&c.link_id).map(PublicCopy::of),
            last_alive: c.last_alive.map(clock::format),
        });
    }
    let files: Vec<FileReport> = store
        .citations_by_file()?
        .into_iter()
        .map(|(file, citations)| FileReport {
            problems: problems.remove(file.as_str()).unwrap_or_default(),
            file,
            citations,
        })
        .collect();
    summary.files = files.len();

    let mut domains: Vec<DomainRow> = domains.into_values().collect();
    domains.sort_by(|a, b| b.links.cmp(&a.links).then_with(|| a.domain.cmp(&b.domain)));

    let history = runs
        .iter()
        .skip(runs.len().saturating_sub(HISTORY_RUNS))
        .filter_map(|r| {
            let summary: serde_json::Value = serde_json::from_str(r.summary.as_deref()?).ok()?;
            let counts = summary
                .get("links_by_status")
                .or_else(|| summary.get("by_status"))?;
            let by_status = serde_json::from_value(counts.clone()).ok()?;
            Some(HistoryPoint {
                run: r.id,
                at: clock::format(r.started_at),
                network_down: r.network_down,
                by_status,
            })
        })
        .collect();

    let replaced = store
        .replacements(since.unwrap_or(0), None)?
        .into_iter()
        .map(|r| Replaced {
            file: r.file,
            line: r.line,
            column: r.column,
            url: r.url,
            with: r.with,
            moved: r.moved,
            at: clock::format(r.at),
            date: clock::date(r.at),
        })
        .collect();

    Ok(Report {
        version: VERSION,
        generated_at: clock::format(clock::now()),
        run: run_info(latest),
        compared_to: earlier.map(run_info),
        summary,
        files,
        domains,
        changes,
        replaced,
        history,
    })
}

fn copy(s: &SnapshotRow, template: &str) -> Copy {
    let ts = timestamp(s.captured_at);
    Copy {
        captured_at: clock::format(s.captured_at),
        url: replay_url(template, &ts, &s.url),
        timestamp: ts,
        archived_url: s.url.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_run_ids_dates_and_times() {
        assert_eq!("12".parse::<Since>(), Ok(Since::Run(12)));
        assert_eq!(
            "2026-11-26T03:00:00Z".parse::<Since>(),
            Ok(Since::Time(1_795_662_000))
        );
        // A date means the end of that day (UTC).
        assert_eq!(
            "2026-11-26".parse::<Since>(),
            Ok(Since::Time(1_795_651_200 + 86_399))
        );
        let err = "last tuesday".parse::<Since>().unwrap_err();
        assert!(err.contains("last tuesday"), "{err}");
    }

    #[test]
    fn replay_url_fills_the_template() {
        assert_eq!(
            replay_url(
                "https://web.archive.org/web/{timestamp}/{url}",
                "20261127030000",
                "https://www.gov.uk/a?b=1"
            ),
            "https://web.archive.org/web/20261127030000/https://www.gov.uk/a?b=1"
        );
    }
}
