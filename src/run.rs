//! The check phase of `check` and `run`: citations grouped into links, the links that are
//! due checked by the engine, each result recorded in the history with the link's new
//! verdict, and the network-down guard applied before any strike is recorded.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::Error;
use crate::check::verdict::{apply, is_due};
use crate::check::{Check, Checker, Status, check_all};
use crate::clock;
use crate::config::Config;
use crate::fetch::guard::Guard;
use crate::link::{host_of, link_key};
use crate::scan::Citation;
use crate::store::{CheckRow, FileDigest, LinkState, Store};

/// Where a link is cited.
#[derive(Clone, Debug, Serialize)]
pub struct Place {
    /// The source file.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The link text.
    pub text: String,
}

/// One link after this run: its check (if it was due), its verdict, and its places.
#[derive(Clone, Debug, Serialize)]
pub struct LinkReport {
    /// The link's identity (URL without fragment and tracking parameters).
    pub url: String,
    /// This run's status, or the last known one when the link was not due.
    pub status: Option<Status>,
    /// The last HTTP status.
    pub http_status: Option<u16>,
    /// Where redirects ended.
    pub final_url: Option<String>,
    /// Redirects followed.
    pub redirects: Vec<crate::check::Hop>,
    /// What happened, in words.
    pub detail: String,
    /// The signals that decided this run's status (empty when the link was not due).
    pub evidence: crate::check::Evidence,
    /// The verdict from the history: alive, moved, blocked, failing, dead, invalid, new.
    pub verdict: String,
    /// Failing checks in the current streak.
    pub strikes: u32,
    /// When the current failing streak began (RFC 3339), if failing.
    pub failing_since: Option<String>,
    /// Whether it was checked in this run.
    pub checked: bool,
    /// Every place it is cited.
    pub sources: Vec<Place>,
}

/// A link that became dead in a run, with where it is cited, for the cron mail.
#[derive(Clone, Debug, Serialize)]
pub struct NewlyDead {
    /// The link.
    pub url: String,
    /// What its last check found.
    pub detail: String,
    /// Where it is cited (`file:line:col`).
    pub places: Vec<String>,
}

/// Totals of a check run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CheckSummary {
    /// Distinct links.
    pub links: usize,
    /// Links checked in this run.
    pub checked: usize,
    /// Links by this run's status (checked links and invalid ones).
    pub by_status: BTreeMap<String, usize>,
    /// Links by verdict.
    pub by_verdict: BTreeMap<String, usize>,
    /// Every cited link by its latest status, checked in this run or before.
    pub links_by_status: BTreeMap<String, usize>,
    /// Links whose verdict became `dead` in this run.
    pub newly_dead: usize,
    /// Whether our own network was down (no strikes were recorded).
    pub network_down: bool,
    /// The run's id in the history.
    pub run: i64,
}

/// The result of a check run.
#[derive(Clone, Debug, Serialize)]
pub struct CheckRun {
    /// Every link, problems first.
    pub links: Vec<LinkReport>,
    /// Totals.
    pub summary: CheckSummary,
    /// The ids of the links whose verdict became `dead` in this run.
    #[serde(skip)]
    pub newly_dead: Vec<i64>,
}

/// How to run the check phase.
pub struct CheckOptions<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The folder relative config paths start from.
    pub base: &'a Path,
    /// The archive folder holding the history.
    pub archive: &'a Path,
    /// Check every link, not only those due.
    pub all: bool,
    /// The command recorded with the run (`check` or `run`).
    pub command: &'a str,
    /// What decided the citations besides the files' bytes ([`crate::link::Site::scan_key`]).
    pub scan_key: String,
    /// Whether these citations are a spot check of some files: the other files' citations
    /// stay recorded (a whole scan replaces them all).
    pub partial: bool,
    /// Whether each link's report lists where it is cited (the nightly run needs only
    /// totals, and leaving the places out keeps its memory to the links').
    pub places: bool,
}

/// Checks the links of `citations` (grouped by file) and records the results, with the citations and the
/// digests of the `files` they came from; `progress` is told of each check as it completes
/// (done, total, check). Invalid citations are recorded too (as links never requested).
pub fn check_citations(
    citations: Vec<Vec<Citation>>,
    files: Vec<FileDigest>,
    options: &CheckOptions,
    mut progress: impl FnMut(usize, usize, &Check),
) -> Result<CheckRun, Error> {
    let now = clock::now();
    let mut store = Store::open(options.archive)?;
    let run = store.begin_run(options.command, now)?;

    // Each external citation's link, as an index into `keys` (memory grows with links, not
    // citations); invalid citations are keyed by what was written and never requested.
    let mut citations = citations;
    for file in &mut citations {
        file.retain(|c| !c.internal);
    }
    let Links {
        link_of,
        keys,
        mut reasons,
    } = Links::of(&citations);
    let found = store.links(&Links::wanted(&keys, &reasons), now)?;
    let ids: Vec<i64> = link_of.iter().map(|&i| found[i].id).collect();
    let mut states: HashMap<String, LinkState> =
        found.into_iter().map(|s| (s.url.clone(), s)).collect();

    let due: Vec<String> = keys
        .iter()
        .enumerate()
        .filter(|(i, k)| {
            !reasons.contains_key(i) && (options.all || is_due(&states[k.as_str()], now))
        })
        .map(|(_, k)| k.clone())
        .collect();
    let total = due.len();

    // Check; record real answers at once, hold network-level failures for the guard.
    // Local addresses the sources name literally are the user's choice; nothing else local.
    let guard = Arc::new(Guard::for_cited(
        keys.iter().map(String::as_str),
        options.config.check.allow_private_sources,
    ));
    // Each page that answers is compared with our copy as cited, when we hold one.
    let copies = store.first_pages()?;
    let archive_dir = options.archive.to_path_buf();
    let cited: crate::check::CitedText = Arc::new(move |url: &str| {
        let (file, offset) = copies.get(url)?;
        crate::archive::page_text(&archive_dir, file, *offset)
    });
    let checker = Arc::new(
        Checker::new(&options.config.check, options.base, guard.clone())?
            .comparing_with(cited, options.config.archive.drift),
    );
    let runtime = crate::fetch::runtime()?;
    let mut checks: HashMap<String, Check> = HashMap::new();
    let mut held: Vec<String> = Vec::new();
    // The store is written on its own thread, so commits never stall the checks.
    let (batches, writer) = spawn_writer(store, run, (citations, ids, files), options);
    let mut recorder = Recorder::new(run, options, batches);
    for (&i, reason) in &reasons {
        recorder.add(&mut states, &Check::invalid(&keys[i], reason), true);
    }
    let mut done = 0;
    // Script-built pages wait for the browser, when there is one to judge them with.
    let program = crate::browser::program(options.config);
    let mut shells: Vec<Check> = Vec::new();
    runtime.block_on(check_all(checker.clone(), due, |check| {
        done += 1;
        progress(done, total, &check);
        if check.status.is_network_level() {
            held.push(check.url.clone());
        } else if program.is_some() && check.wants_browser() {
            shells.push(check);
            return;
        } else {
            recorder.add(&mut states, &check, true);
            if recorder.due() {
                recorder.flush();
            }
        }
        checks.insert(check.url.clone(), check);
    }));
    if let (Some(program), false) = (&program, shells.is_empty()) {
        runtime.block_on(judge_shells(program, options, &guard, &mut shells));
    }
    for check in shells {
        recorder.add(&mut states, &check, true);
        checks.insert(check.url.clone(), check);
    }
    // A night whose due links are mostly dead domains looks like our own outage: links
    // that answered on earlier runs decide, rechecked as canaries.
    let network_down =
        network_is_down(&checks) && !runtime.block_on(canaries_answer(&checker, &states, &checks));
    for url in &held {
        recorder.add(&mut states, &checks[url], !network_down);
    }
    recorder.flush();
    let newly_dead = std::mem::take(&mut recorder.newly_dead);
    drop(recorder);
    let (store, cited_at) = writer.join().expect("the store writer panicked")?;
    let checked = checks.len();

    // Where each link is cited, when asked for.
    let mut places: Vec<Vec<Place>> = vec![Vec::new(); keys.len()];
    for (place, &i) in cited_at.into_iter().zip(&link_of) {
        places[i].push(place);
    }
    drop(link_of);

    // Report every link, problems first.
    let mut links: Vec<LinkReport> = keys
        .into_iter()
        .zip(places)
        .enumerate()
        .map(|(i, (url, sources))| {
            if let Some(reason) = reasons.remove(&i) {
                return LinkReport {
                    url,
                    status: Some(Status::Invalid),
                    http_status: None,
                    final_url: None,
                    redirects: Vec::new(),
                    evidence: crate::check::Evidence::of(format!("the URL is malformed: {reason}")),
                    detail: reason,
                    verdict: "invalid".to_string(),
                    strikes: 0,
                    failing_since: None,
                    checked: false,
                    sources,
                };
            }
            let state = &states[&url];
            let check = checks.remove(&url);
            let check = check.as_ref();
            LinkReport {
                status: check
                    .map(|c| c.status)
                    .or_else(|| state.last_status.as_deref().and_then(parse_status)),
                http_status: check.and_then(|c| c.http_status),
                final_url: check.and_then(|c| c.final_url.clone()),
                redirects: check.map(|c| c.redirects.clone()).unwrap_or_default(),
                detail: check
                    .map(|c| c.detail.clone())
                    .unwrap_or_else(|| "not due".to_string()),
                evidence: check.map(|c| c.evidence.clone()).unwrap_or_default(),
                verdict: state.verdict.clone(),
                strikes: state.strikes,
                failing_since: state.first_failing.map(clock::format),
                checked: check.is_some(),
                sources,
                url,
            }
        })
        .collect();
    // Compared by reference: a key function would clone a URL for every comparison.
    let rank_of = |l: &LinkReport| l.status.map_or(usize::MAX, rank);
    links.sort_by(|a, b| rank_of(a).cmp(&rank_of(b)).then_with(|| a.url.cmp(&b.url)));

    let mut summary = CheckSummary {
        links: links.len(),
        checked,
        network_down,
        run,
        ..CheckSummary::default()
    };
    for l in &links {
        if let Some(s) = l.status.filter(|_| l.checked || l.verdict == "invalid") {
            *summary.by_status.entry(s.as_str().to_string()).or_default() += 1;
        }
        *summary.by_verdict.entry(l.verdict.clone()).or_default() += 1;
        if let Some(s) = l.status {
            *summary
                .links_by_status
                .entry(s.as_str().to_string())
                .or_default() += 1;
        }
    }
    summary.newly_dead = newly_dead.len();
    let summary_json = serde_json::to_string(&summary).unwrap_or_default();
    store.finish_run(run, clock::now(), &summary_json, network_down)?;
    Ok(CheckRun {
        links,
        summary,
        newly_dead,
    })
}

/// The links of a scan's citations: each citation's link (an index into `keys`), the links'
/// keys, and why the malformed ones are invalid (by index; never requested).
struct Links {
    link_of: Vec<usize>,
    keys: Vec<String>,
    reasons: BTreeMap<usize, String>,
}

impl Links {
    /// The links of `citations`, in the order first cited (memory grows with links, not
    /// citations).
    fn of(citations: &[Vec<Citation>]) -> Links {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut keys: Vec<String> = Vec::new();
        let mut reasons: BTreeMap<usize, String> = BTreeMap::new();
        let link_of = citations
            .iter()
            .flatten()
            .map(|c| {
                let i = *index.entry(key_of(c)).or_insert_with_key(|key| {
                    keys.push(key.clone());
                    keys.len() - 1
                });
                if let Some(reason) = &c.invalid {
                    reasons.entry(i).or_insert_with(|| reason.clone());
                }
                i
            })
            .collect();
        Links {
            link_of,
            keys,
            reasons,
        }
    }

    /// The links as the store is asked for them: key and host (none for a malformed one).
    fn wanted<'k>(keys: &'k [String], reasons: &BTreeMap<usize, String>) -> Vec<(&'k str, String)> {
        keys.iter()
            .enumerate()
            .map(|(i, k)| {
                let host = if reasons.contains_key(&i) {
                    String::new()
                } else {
                    host_of(k)
                };
                (k.as_str(), host)
            })
            .collect()
    }
}

/// The key a citation's link is recorded under: its link key, or, for a malformed URL
/// (never requested), what was written.
fn key_of(c: &Citation) -> String {
    match c.invalid {
        None => link_key(&c.url),
        Some(_) => c.url.clone(),
    }
}

/// Records the citations of files read again outside a check (after `fix --write`), with
/// the files' digests, under the latest run: their links (a new one as never checked), the
/// citations, the digests; the other files' citations stay as they were.
pub fn record_citations(
    store: &mut Store,
    mut citations: Vec<Vec<Citation>>,
    files: &[FileDigest],
    scan_key: &str,
) -> Result<(), Error> {
    let Some(run) = store.runs()?.last().map(|r| r.id) else {
        return Ok(());
    };
    for file in &mut citations {
        file.retain(|c| !c.internal);
    }
    let links = Links::of(&citations);
    let found = store.links(&Links::wanted(&links.keys, &links.reasons), clock::now())?;
    let link_of = links.link_of;
    let ids: Vec<i64> = link_of.iter().map(|&i| found[i].id).collect();
    let rows = (citations, Citation::as_row);
    store.replace_citations(run, rows, &ids, (files, true), scan_key, |_| {})
}

/// Turns checks into stored rows with the links' new verdicts, committing them in groups:
/// whatever completed since the last commit, at least every 100 ms, so a killed run loses at
/// most the checks of the last fraction of a second and a commit costs little per check.
struct Recorder<'a> {
    run: i64,
    options: &'a CheckOptions<'a>,
    batches: std::sync::mpsc::Sender<Vec<(LinkState, CheckRow)>>,
    pending: Vec<(LinkState, CheckRow)>,
    last_flush: std::time::Instant,
    newly_dead: Vec<i64>,
}

impl<'a> Recorder<'a> {
    fn new(
        run: i64,
        options: &'a CheckOptions<'a>,
        batches: std::sync::mpsc::Sender<Vec<(LinkState, CheckRow)>>,
    ) -> Self {
        Recorder {
            run,
            options,
            batches,
            pending: Vec::new(),
            last_flush: std::time::Instant::now(),
            newly_dead: Vec::new(),
        }
    }

    /// Applies a check to its link's state (with a strike only when `strikes` is on; off
    /// when our network was down) and queues both for the store.
    fn add(&mut self, states: &mut HashMap<String, LinkState>, check: &Check, strikes: bool) {
        let now = clock::now();
        let prev = &states[&check.url];
        let cfg = &self.options.config;
        let (next, strike) = if strikes {
            apply(
                prev,
                check.status,
                now,
                &cfg.verdict,
                cfg.check.recheck_days,
            )
        } else {
            // Our network was down: no strike and no new verdict, but the link's latest
            // status is this check's, so every view (report, browser) tells the same.
            let mut next = prev.clone();
            next.last_status = Some(check.status.as_str().to_string());
            next.last_checked = Some(now);
            (next, false)
        };
        if next.verdict == "dead" && prev.verdict != "dead" {
            self.newly_dead.push(next.id);
        }
        let row = CheckRow {
            run: self.run,
            checked_at: now,
            status: check.status.as_str().to_string(),
            http_status: check.http_status,
            final_url: check.final_url.clone(),
            redirects: serde_json::to_string(&check.redirects).unwrap_or_else(|_| "[]".into()),
            detail: check.detail.clone(),
            elapsed_ms: check.elapsed_ms,
            attempts: check.attempts,
            strike,
            verdict: next.verdict.clone(),
            evidence: check.evidence.as_lines().to_string(),
        };
        states.insert(check.url.clone(), next.clone());
        self.pending.push((next, row));
    }

    /// Whether the pending checks should be committed now.
    fn due(&self) -> bool {
        self.pending.len() >= 512
            || self.last_flush.elapsed() >= std::time::Duration::from_millis(100)
    }

    /// Hands the pending checks to the writer thread (which reports errors at the end).
    fn flush(&mut self) {
        if !self.pending.is_empty() {
            // A send fails only when the writer stopped on an error, which `join` reports.
            let _ = self.batches.send(std::mem::take(&mut self.pending));
        }
        self.last_flush = std::time::Instant::now();
    }
}

/// Starts the thread that records this run's citations (`ids` holds each one's link id),
/// then commits batches of checks; joining it gives the store back with the citations'
/// places when `options.places` asks for them (none otherwise: citations are freed as they
/// are recorded), or the first error.
#[allow(clippy::type_complexity)]
fn spawn_writer(
    mut store: Store,
    run: i64,
    (citations, ids, files): (Vec<Vec<Citation>>, Vec<i64>, Vec<FileDigest>),
    options: &CheckOptions,
) -> (
    std::sync::mpsc::Sender<Vec<(LinkState, CheckRow)>>,
    std::thread::JoinHandle<Result<(Store, Vec<Place>), Error>>,
) {
    let (tx, rx) = std::sync::mpsc::channel::<Vec<(LinkState, CheckRow)>>();
    let (keep, scan_key, partial) = (options.places, options.scan_key.clone(), options.partial);
    let writer = std::thread::spawn(move || {
        // Only the places are kept (when asked for), so memory shrinks as files are written.
        let mut places: Vec<Place> = Vec::with_capacity(if keep { ids.len() } else { 0 });
        let rows = (citations, Citation::as_row);
        store.replace_citations(run, rows, &ids, (&files, partial), &scan_key, |file| {
            if keep {
                places.extend(file.into_iter().map(|c| Place {
                    file: c.file,
                    line: c.line,
                    column: c.column,
                    text: c.text,
                }));
            }
        })?;
        for batch in rx {
            store.record_checks(&batch)?;
        }
        Ok((store, places))
    });
    (tx, writer)
}

/// Our own network is down when (nearly) every host failed below HTTP: at least three hosts
/// were tried and at least 90% of them gave nothing but timeouts and network errors.
pub fn network_is_down(checks: &HashMap<String, Check>) -> bool {
    let mut hosts: HashMap<String, bool> = HashMap::new();
    for c in checks.values() {
        let all_failed = hosts.entry(host_of(&c.url)).or_insert(true);
        *all_failed &= c.status.is_network_level();
    }
    let failed = hosts.values().filter(|&&f| f).count();
    hosts.len() >= 3 && failed * 10 >= hosts.len() * 9
}

/// Links rechecked as canaries at most, each on its own host.
const CANARIES: usize = 5;

/// Whether any of a few links that were alive on earlier runs (and not checked in this
/// one) answers now: then our network is up, and the due links' failures are their own.
/// With no such link (a first run), there is nothing to tell by.
async fn canaries_answer(
    checker: &Checker,
    states: &HashMap<String, LinkState>,
    checked: &HashMap<String, Check>,
) -> bool {
    let mut hosts = std::collections::HashSet::new();
    let canaries: Vec<&str> = states
        .values()
        .filter(|s| matches!(s.last_status.as_deref(), Some("alive" | "moved")))
        .filter(|s| !checked.contains_key(&s.url))
        .filter(|s| hosts.insert(host_of(&s.url)))
        .take(CANARIES)
        .map(|s| s.url.as_str())
        .collect();
    let answers =
        futures_util::future::join_all(canaries.iter().map(|url| checker.check(url))).await;
    answers.iter().any(|c| !c.status.is_network_level())
}

fn rank(s: Status) -> usize {
    // Rot first, then what an editor may act on, then the rest.
    match s {
        Status::Gone => 0,
        Status::Soft404 => 1,
        Status::Drifted => 2,
        Status::Invalid => 3,
        Status::NetworkError => 4,
        Status::Timeout => 5,
        Status::ServerError => 6,
        Status::Moved => 7,
        Status::Blocked => 8,
        Status::Alive => 9,
    }
}

fn parse_status(s: &str) -> Option<Status> {
    Status::ALL.into_iter().find(|st| st.as_str() == s)
}

/// Judges script-built pages again with a headless browser, `[browser] concurrency` at
/// once; a browser that cannot start leaves them as they were judged (said in evidence).
async fn judge_shells(
    program: &std::path::Path,
    options: &CheckOptions<'_>,
    guard: &Arc<Guard>,
    shells: &mut [Check],
) {
    let cfg = options.config;
    let browser = match crate::browser::Browser::launch(program, cfg, guard.clone()).await {
        Ok(b) => b,
        Err(why) => {
            for c in shells.iter_mut() {
                c.evidence
                    .push(format!("a headless browser could not start: {why}"));
            }
            return;
        }
    };
    use futures_util::StreamExt;
    futures_util::stream::iter(shells.iter_mut())
        .for_each_concurrent(cfg.browser.concurrency.max(1), |c| c.judge_with(&browser))
        .await;
    browser.close().await;
}
