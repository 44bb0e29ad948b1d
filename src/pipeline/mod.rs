//! The pipeline, one entry point per command, as the nightly job runs it:
//!
//! ```text
//! sources ──gather──▶ citations ──check (due)──▶ checks ──history──▶ verdicts
//!                                      │                                  │
//!                                      ├──snapshot (alive, owed)──▶ archive/ ──▶ reports · fix · serve
//!                                      └──public copies (failing, dead)──▶ history
//! ```
//!
//! [`gather`] scans files and crawls live sites ([`crate::scan`], [`crate::crawl`]); the
//! check phase ([`crate::run`]) checks what is due and records verdicts in the
//! [`crate::store`]; [`nightly`] then snapshots what was found alive and what earlier runs
//! left without a copy ([`crate::archive`]), looks up public copies of what is failing or
//! dead and saves live pages when asked (`copies`, [`crate::public`]), and writes the
//! report files ([`crate::report`]). Front ends (the `citekeep` binary, a test, a service)
//! call these functions and hear what they have to say through a [`Listener`]; they keep
//! only argument parsing, output and exit codes.

mod copies;

pub use copies::{Lookup, PublicCopies, lookup};

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::archive::{ArchiveSummary, archive_links, wacz};
use crate::check::{Check, Status};
use crate::config::{self, FailOn, Loaded};
use crate::exit_codes::ExitCode;
use crate::link::{Site, host_of, link_key};
use crate::output::{FileTally, Format as ScanFormat, ScanWriter, Tally, render};
use crate::report;
use crate::run::{CheckOptions, CheckRun, check_citations};
use crate::scan::{Citation, FileScan, ScanOptions, scan_all, scan_files};
use crate::source::walk::{self, Filter};
use crate::store::{FileDigest, Store};

use crate::{Error, clock, fix};

/// How much a message matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Something failed; the command goes on with the rest and exits 2.
    Error,
    /// Something the user should know (a file read with replacement characters).
    Warning,
    /// What was done or skipped, for people.
    Note,
}

/// What the pipeline tells its front end besides its results.
pub trait Listener {
    /// A message (errors always; warnings and notes unless the user asked for quiet).
    fn say(&mut self, level: Level, text: &str);

    /// A link's check finished: `done` of `total`.
    fn checked(&mut self, _done: usize, _total: usize, _check: &Check) {}

    /// A long phase moved on: `phase` (`snapshotting`, `rendering`, `looking up`,
    /// `saving`) has done `done` of `total`.
    fn progress(&mut self, _phase: &'static str, _done: usize, _total: usize) {}
}

/// What every command works on: the configuration and the archive folder.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The configuration (and its folder).
    pub loaded: &'a Loaded,
    /// The archive folder.
    pub archive: &'a Path,
}

/// The citations of a site's sources, for checking.
pub struct Gathered {
    /// The citations, by file.
    pub by_file: Vec<Vec<Citation>>,
    /// The digests of the files read.
    pub files: Vec<FileDigest>,
    /// What decided the citations besides the files' bytes.
    pub scan_key: String,
    /// Inputs and files that could not be read (each said): the command goes on with the
    /// rest and exits 2.
    pub errors: usize,
}

/// How the configuration file is named in messages.
fn config_name(loaded: &Loaded) -> String {
    match &loaded.path {
        Some(p) => p.display().to_string(),
        None => "config.toml (there is none here; or give --config FILE)".to_string(),
    }
}

/// `inputs`, or the configured sources when there are none (an error naming the key when
/// there are neither; `command` says what for).
fn inputs_or_sources(
    loaded: &Loaded,
    inputs: Vec<PathBuf>,
    command: &str,
) -> Result<Vec<PathBuf>, Error> {
    let inputs = if inputs.is_empty() {
        loaded.sources()
    } else {
        inputs
    };
    if !inputs.is_empty() {
        return Ok(inputs);
    }
    let config = config_name(loaded);
    Err(Error::Nothing(if command == "run" {
        format!("nothing to check: set `[site] sources` in {config}")
    } else {
        format!("nothing to {command}: give files or folders, or set `[site] sources` in {config}")
    }))
}

/// Splits inputs into live sites to crawl (http(s) URLs) and paths.
fn split_inputs(inputs: Vec<PathBuf>) -> (Vec<String>, Vec<PathBuf>) {
    let (sites, paths): (Vec<PathBuf>, Vec<PathBuf>) = inputs
        .into_iter()
        .partition(|p| p.to_str().is_some_and(config::is_site));
    let sites = sites
        .into_iter()
        .filter_map(|p| p.to_str().map(str::to_string))
        .collect();
    (sites, paths)
}

/// Crawls each site, one scan per page; what went wrong is returned, what it did said.
fn crawl_sites(
    loaded: &Loaded,
    sites: &[String],
    keep_internal: bool,
    ui: &mut dyn Listener,
) -> (Vec<FileScan>, Vec<String>) {
    let mut pages = Vec::new();
    let mut errors = Vec::new();
    for site in sites {
        let started = std::time::Instant::now();
        match crate::crawl::crawl(site, &loaded.config, &loaded.dir, keep_internal) {
            Ok(crawl) => {
                let s = &crawl.stats;
                ui.say(
                    Level::Note,
                    &format!(
                        "crawled {site}: {} pages in {:.1} s ({} requests; not followed: {} by \
                         robots.txt, {} not HTML, {} duplicates, {} past the limits, {} private \
                         addresses)",
                        s.pages,
                        started.elapsed().as_secs_f64(),
                        s.requests,
                        s.robots,
                        s.not_html,
                        s.duplicates,
                        s.over_limit,
                        s.private
                    ),
                );
                errors.extend(crawl.errors);
                pages.extend(crawl.pages);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    (pages, errors)
}

/// Every citation of `inputs` (or the configured sources), for checking, with the digests
/// of the files read. Unreadable inputs are said and counted; the rest is gathered.
pub fn gather(
    ctx: Context,
    command: &str,
    inputs: Vec<PathBuf>,
    base_url: Option<&str>,
    ui: &mut dyn Listener,
) -> Result<Gathered, Error> {
    let loaded = ctx.loaded;
    let site_cfg = &loaded.config.site;
    let inputs = inputs_or_sources(loaded, inputs, command)?;
    let options = ScanOptions {
        site: Site::new(base_url.or(site_cfg.base_url.as_deref()), &site_cfg.aliases)?,
        keep_internal: false,
        digest: true,
        max_file_size: site_cfg.max_file_size,
    };
    let filter = Filter::new(&site_cfg.include, &site_cfg.exclude)?;
    let (sites, inputs) = split_inputs(inputs);
    let (crawled, crawl_errors) = crawl_sites(loaded, &sites, false, ui);
    let (files, walk_errors) = walk::collect(&inputs, &filter);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (mut scans, errors) = scan_all(&files, &options, threads);
    scans.extend(crawled);
    for e in &crawl_errors {
        ui.say(Level::Error, e);
    }
    for e in walk_errors.iter().chain(&errors) {
        ui.say(Level::Error, &e.to_string());
    }
    for w in scans.iter().flat_map(|s| &s.warnings) {
        ui.say(Level::Warning, w);
    }
    let ignored: usize = scans.iter().map(|s| s.ignored).sum();
    if ignored > 0 {
        ui.say(
            Level::Note,
            &format!(
                "{ignored} link{} with schemes that are never checked (mailto:, tel:, ...) skipped",
                if ignored == 1 { "" } else { "s" }
            ),
        );
    }
    let digests = scans.iter().filter_map(|s| s.digest.clone()).collect();
    Ok(Gathered {
        errors: crawl_errors.len() + walk_errors.len() + errors.len(),
        scan_key: options.site.scan_key(),
        by_file: scans.into_iter().map(|s| s.citations).collect(),
        files: digests,
    })
}

/// The check phase: what is due (or everything, `all`), recorded in the history; `places`
/// keeps where each link is cited (for printing every link's sources).
fn check_phase(
    ctx: Context,
    gathered: Gathered,
    (all, command, places, partial): (bool, &str, bool, bool),
    ui: &mut dyn Listener,
) -> Result<CheckRun, Error> {
    let options = CheckOptions {
        partial,
        config: &ctx.loaded.config,
        base: &ctx.loaded.dir,
        archive: ctx.archive,
        all,
        command,
        places,
        scan_key: gathered.scan_key,
    };
    check_citations(
        gathered.by_file,
        gathered.files,
        &options,
        |done, total, check| ui.checked(done, total, check),
    )
}

/// 2 when our network was down or `read_errors` inputs could not be read (each said),
/// else 1 when `rot`, else 0.
fn exit_code(run: &CheckRun, rot: bool, read_errors: usize, ui: &mut dyn Listener) -> ExitCode {
    let mut code = if rot { ExitCode::Rot } else { ExitCode::Ok };
    if run.summary.network_down {
        ui.say(
            Level::Error,
            "our own network looks down: (nearly) every host failed to connect; no strikes \
             were recorded. Check the connection or proxy settings and run again.",
        );
        code = ExitCode::Error;
    }
    if read_errors > 0 {
        ui.say(
            Level::Error,
            &format!(
                "{read_errors} input{} could not be read (said above); the rest was checked",
                if read_errors == 1 { "" } else { "s" }
            ),
        );
        code = ExitCode::Error;
    }
    code
}

/// `check`: every external citation of `inputs` (or the sources) checked now. Exits 1
/// when a link failed.
pub fn check(
    ctx: Context,
    inputs: Vec<PathBuf>,
    base_url: Option<&str>,
    ui: &mut dyn Listener,
) -> Result<(CheckRun, ExitCode), Error> {
    // Files named on the command line are a spot check: the rest of the site stays recorded.
    let partial = !inputs.is_empty();
    let gathered = gather(ctx, "check", inputs, base_url, ui)?;
    let read_errors = gathered.errors;
    let run = check_phase(ctx, gathered, (true, "check", true, partial), ui)?;
    let rot = run
        .links
        .iter()
        .any(|l| l.status.is_some_and(|s| s.is_failure()));
    let code = exit_code(&run, rot, read_errors, ui);
    Ok((run, code))
}

/// What the nightly job did.
pub struct Nightly {
    /// The check phase: every link with its status and verdict, and the totals.
    pub run: CheckRun,
    /// The snapshots taken (none when our network was down).
    pub snapshots: Option<ArchiveSummary>,
    /// The public archives' lookups and saves (none when off or our network was down).
    pub public: Option<PublicCopies>,
    /// The links that became dead in this run, with where they are cited.
    pub newly_dead: Vec<crate::run::NewlyDead>,
    /// The exit code cron sees: 2 on an error, 1 on rot as `[report] fail_on` says, else 0.
    pub code: ExitCode,
}

/// `run`, the nightly job: gather the configured sources, check what is due (everything
/// with `all`), snapshot what was found alive and what earlier runs left without a copy,
/// write the report files.
pub fn nightly(ctx: Context, all: bool, ui: &mut dyn Listener) -> Result<Nightly, Error> {
    let loaded = ctx.loaded;
    let gathered = gather(ctx, "run", Vec::new(), None, ui)?;
    let read_errors = gathered.errors;
    let run = check_phase(ctx, gathered, (all, "run", false, false), ui)?;
    let snapshots = if run.summary.network_down {
        None
    } else {
        // What this run found alive, and script-built pages it could not judge: those
        // answer the page itself (not a wall), so they are captured too, rendered.
        let shell = |l: &crate::run::LinkReport| {
            l.status == Some(Status::Blocked) && l.detail == crate::check::SHELL_UNJUDGED
        };
        let live: HashSet<&str> = run
            .links
            .iter()
            .filter(|l| {
                l.checked
                    && (matches!(
                        l.status,
                        Some(Status::Alive | Status::Moved | Status::Drifted)
                    ) || shell(l))
            })
            .map(|l| l.url.as_str())
            .collect();
        let shells: HashSet<&str> = run
            .links
            .iter()
            .filter(|l| l.checked && shell(l))
            .map(|l| l.url.as_str())
            .collect();
        let mut store = Store::open(ctx.archive)?;
        // What this run found alive, and what earlier runs left without a recent snapshot
        // (a run killed or cut short between its checks and its snapshots).
        let refresh = i64::from(loaded.config.archive.refresh_days) * clock::DAY;
        let owed: HashSet<i64> = store
            .links_owed_a_snapshot(clock::now() - refresh)?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let mut links: Vec<(i64, String)> = store
            .links_to_archive()?
            .into_iter()
            .filter(|(id, url)| live.contains(url.as_str()) || owed.contains(id))
            .collect();
        links.extend(store.cited_links_among(&shells)?);
        let (links, mementos) = without_mementos(links, &loaded.config);
        let mut snap = archive_links(
            &mut store,
            links,
            &loaded.config,
            (&loaded.dir, ctx.archive),
            Some(run.summary.run),
            &mut |phase, done, total| ui.progress(phase, done, total),
        )?;
        snap.mementos = mementos;
        say_snapshots(&snap, ui);
        Some(snap)
    };
    // Public copies: an archive's failure is said, never the run's.
    let public = match &snapshots {
        Some(_) if loaded.config.archives.enabled => match copies::public_copies(ctx, ui) {
            Ok(done) => Some(done),
            Err(e) => {
                ui.say(Level::Warning, &format!("public copies: {e}"));
                None
            }
        },
        _ => None,
    };
    let written = write_report_files(ctx, ui);
    let rot = match loaded.config.report.fail_on {
        FailOn::New => run.summary.newly_dead > 0,
        FailOn::Any => run.summary.by_verdict.get("dead").is_some_and(|&n| n > 0),
        FailOn::Never => false,
    };
    let code = match exit_code(&run, rot, read_errors, ui) {
        _ if !written => ExitCode::Error,
        code => code,
    };
    let newly_dead = newly_dead(ctx, &run)?;
    Ok(Nightly {
        run,
        snapshots,
        public,
        newly_dead,
        code,
    })
}

/// The links `run` found newly dead, with their last check's words and their places.
fn newly_dead(ctx: Context, run: &CheckRun) -> Result<Vec<crate::run::NewlyDead>, Error> {
    if run.newly_dead.is_empty() {
        return Ok(Vec::new());
    }
    let store = Store::open_read_only(ctx.archive)?;
    let mut out: Vec<crate::run::NewlyDead> = Vec::new();
    for c in store.cited_of(&run.newly_dead)? {
        let place = format!("{}:{}:{}", c.file, c.line, c.column);
        match out.iter_mut().find(|d| d.url == c.url) {
            Some(d) => d.places.push(place),
            None => out.push(crate::run::NewlyDead {
                detail: run
                    .links
                    .iter()
                    .find(|l| l.url == c.url)
                    .map(|l| l.detail.clone())
                    .unwrap_or_default(),
                url: c.url,
                places: vec![place],
            }),
        }
    }
    out.sort_by(|a, b| a.url.cmp(&b.url));
    Ok(out)
}

/// Says what could not be snapshotted and what drifted.
fn say_snapshots(s: &ArchiveSummary, ui: &mut dyn Listener) {
    for w in &s.warnings {
        ui.say(Level::Warning, w);
    }
    if s.mementos > 0 {
        ui.say(
            Level::Note,
            &format!(
                "{} public archive address{} cited: checked, not snapshotted (already a memento)",
                s.mementos,
                if s.mementos == 1 { "" } else { "es" }
            ),
        );
    }
    if s.rendered > 0 {
        ui.say(
            Level::Note,
            &format!(
                "{} page{} built by script rendered with the browser",
                s.rendered,
                if s.rendered == 1 { "" } else { "s" }
            ),
        );
    }
    for (url, why) in &s.failed {
        ui.say(Level::Error, &format!("could not snapshot {url}: {why}"));
    }
    for (url, remains) in &s.drifted {
        ui.say(
            Level::Note,
            &format!(
                "{url} drifted: {:.0}% of the text first archived remains",
                remains * 100.0
            ),
        );
    }
}

/// `archive`: snapshot the links of `inputs` now (without checking them first), or, with
/// none, every cited link last found alive.
pub fn snapshot(
    ctx: Context,
    inputs: Vec<PathBuf>,
    ui: &mut dyn Listener,
) -> Result<ArchiveSummary, Error> {
    let mut store = Store::open(ctx.archive)?;
    let links = if inputs.is_empty() {
        store.links_to_archive()?
    } else {
        let gathered = gather(ctx, "archive", inputs, None, ui)?;
        let mut keys: Vec<String> = gathered
            .by_file
            .iter()
            .flatten()
            .filter(|c| !c.internal && c.invalid.is_none())
            .map(|c| link_key(&c.url))
            .collect();
        keys.sort();
        keys.dedup();
        let wanted: Vec<(&str, String)> = keys.iter().map(|k| (k.as_str(), host_of(k))).collect();
        store
            .links(&wanted, clock::now())?
            .into_iter()
            .map(|l| (l.id, l.url))
            .collect()
    };
    let (links, mementos) = without_mementos(links, &ctx.loaded.config);
    let mut snap = archive_links(
        &mut store,
        links,
        &ctx.loaded.config,
        (&ctx.loaded.dir, ctx.archive),
        None,
        &mut |phase, done, total| ui.progress(phase, done, total),
    )?;
    snap.mementos = mementos;
    say_snapshots(&snap, ui);
    Ok(snap)
}

/// Whether `host` serves mementos: a public web archive's, or the host of the addresses
/// `fix` and the reports write for our own copies (`[fix] copy_url`, `[report] replay_url`).
fn is_memento_host(host: &str, cfg: &config::Config) -> bool {
    let of_template = |t: &str| {
        !t.trim().is_empty()
            && host_of(&report::model::replay_url(
                t,
                "20000101000000",
                "https://x.example/",
            )) == host
    };
    crate::public::is_archive_host(host, &cfg.archives)
        || of_template(&cfg.fix.copy_url)
        || of_template(&cfg.replay_url())
}

/// `links` without the public archives' own addresses (a copy `fix` wrote, or one an
/// author cited): those are mementos already, checked but never captured again; and how
/// many were left out.
fn without_mementos(
    links: Vec<(i64, String)>,
    cfg: &config::Config,
) -> (Vec<(i64, String)>, usize) {
    let before = links.len();
    let links: Vec<(i64, String)> = links
        .into_iter()
        .filter(|(_, url)| !is_memento_host(&host_of(url), cfg))
        .collect();
    let left_out = before - links.len();
    (links, left_out)
}

/// `export --wacz FILE`.
pub fn export(archive: &Path, file: &Path) -> Result<wacz::Exported, Error> {
    let store = Store::open_existing(archive)?;
    wacz::export(archive, &store, file)
}

/// The report of the latest run, compared with `since` (by default the run before).
pub fn report(ctx: Context, since: Option<report::Since>) -> Result<report::Report, Error> {
    let store = Store::open_existing(ctx.archive)?;
    report::build(&store, &report_options(ctx.loaded, since))
}

fn report_options(loaded: &Loaded, since: Option<report::Since>) -> report::Options {
    report::Options {
        since: since.unwrap_or_default(),
        replay_url: loaded.config.replay_url(),
        drift: loaded.config.archive.drift,
    }
}

/// Writes the report files `[report] files` names (by default two in the archive);
/// false, after saying why, when one could not be written.
pub fn write_report_files(ctx: Context, ui: &mut dyn Listener) -> bool {
    let files = ctx.loaded.report_files(ctx.archive);
    if files.is_empty() {
        return true;
    }
    let report = match report(ctx, None) {
        Ok(r) => r,
        Err(e) => {
            ui.say(Level::Error, &format!("cannot make the reports: {e}"));
            return false;
        }
    };
    let mut ok = true;
    for path in files {
        let Some(format) = report::Format::from_path(&path) else {
            ui.say(
                Level::Error,
                &format!(
                    "{}: a report file must end in .txt, .json, .md, .html or .xml",
                    path.display()
                ),
            );
            ok = false;
            continue;
        };
        if let Err(e) = write_atomically(&path, |out| report::write(out, &report, format, false)) {
            ui.say(Level::Error, &e.to_string());
            ok = false;
        }
    }
    ok
}

/// Writes a file through a temporary file and a rename, so readers never see half of it.
/// The temporary file has an unpredictable name and is created new (`O_EXCL`), so a
/// symlink planted beside the file cannot redirect the write.
pub fn write_atomically(
    path: &Path,
    render: impl FnOnce(&mut io::BufWriter<std::fs::File>) -> io::Result<()>,
) -> Result<(), Error> {
    let io_err = |p: &Path| {
        let p = p.to_path_buf();
        move |error| Error::Io { path: p, error }
    };
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
            dir
        }
        None => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".citekeep-report")
        .tempfile_in(dir)
        .map_err(io_err(dir))?;
    let (file, tmp_path) = tmp.into_parts();
    // Readable by others, as a file written with `>` would be (the temporary file is 0600).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(io_err(path))?;
    }
    let mut out = io::BufWriter::new(file);
    render(&mut out).map_err(io_err(path))?;
    out.into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .map_err(io_err(path))?;
    tmp_path.persist(path).map_err(|e| io_err(path)(e.error))
}

/// The address `fix` writes for an archived copy: `[fix] copy_url` as set, else
/// `[report] replay_url` unless that is this machine or a private network (an address
/// only the editor's machine can open must never reach a published source by default).
pub fn fix_copy_url(cfg: &config::Config) -> Option<String> {
    if !cfg.fix.copy_url.trim().is_empty() {
        return Some(cfg.fix.copy_url.clone());
    }
    let template = cfg.replay_url();
    let probe = report::model::replay_url(&template, "20000101000000", "https://x.example/");
    let local = url::Url::parse(&probe).map_or(true, |u| crate::fetch::guard::is_local_url(&u));
    (!local).then_some(template)
}

/// `fix`: the plan of edits pointing dead citations at their copies (and, with `moved`,
/// moved citations at where they lead), for `only` those files or all.
pub fn fix_plan(
    ctx: Context,
    only: Vec<PathBuf>,
    (moved, drifted): (bool, bool),
) -> Result<fix::Plan, Error> {
    let store = Store::open_existing(ctx.archive)?;
    let cfg = &ctx.loaded.config;
    let options = fix::Options {
        style: cfg.fix.style,
        copy_url: fix_copy_url(cfg),
        moved,
        drifted,
        only,
    };
    // An address made from the template is asked for before it is written: it must open,
    // judged as a capture of the page cited (an archive's 404 or error page does not).
    let probe = options
        .copy_url
        .as_deref()
        .map(|t| report::model::replay_url(t, "20000101000000", "https://x.example/"));
    let guard = std::sync::Arc::new(crate::fetch::guard::Guard::for_cited(
        probe.iter().map(String::as_str),
        cfg.check.allow_private_sources,
    ));
    let checker = crate::check::Checker::new(&cfg.check, &ctx.loaded.dir, guard)?;
    let runtime = crate::fetch::runtime()?;
    let mut opens = |address: &str, cited: &str| {
        let seen = runtime.block_on(checker.check_capture(cited, address));
        if !matches!(seen.status, Status::Alive | Status::Moved) {
            return Err(format!("{}: {}", seen.status.as_str(), seen.detail));
        }
        let landed = seen.final_url.unwrap_or_else(|| address.to_string());
        if host_of(&landed) != host_of(address) {
            return Err(format!("it leads off to {}", host_of(&landed)));
        }
        Ok(landed)
    };
    fix::plan(&store, &options, &mut opens)
}

/// `fix --write`: writes the planned files (each edit said as a note), then records in the
/// history what was replaced and the files as written (so the next `fix`, report and
/// browser read them as they are); the number of files written and whether one failed.
pub fn fix_write(ctx: Context, plan: &fix::Plan, ui: &mut dyn Listener) -> (usize, bool) {
    let roots = ctx.loaded.sources();
    let mut written = Vec::new();
    let mut failed = false;
    for file in &plan.files {
        match fix::write(file, &roots) {
            Ok(()) => {
                written.push(file);
                for n in &file.notes {
                    ui.say(Level::Note, &format!("{}:{n}", file.file));
                }
            }
            Err(e) => {
                ui.say(Level::Error, &e.to_string());
                failed = true;
            }
        }
    }
    if !written.is_empty()
        && let Err(e) = record_fix(ctx, &written, ui)
    {
        ui.say(
            Level::Error,
            &format!(
                "the files were written, but the history could not record it ({e}); run \
                 `citekeep check` or `citekeep run` to record the new state"
            ),
        );
        failed = true;
    }
    (written.len(), failed)
}

/// Records what `fix --write` did: each citation replaced, and the written files read
/// again (their citations and digests).
fn record_fix(
    ctx: Context,
    written: &[&fix::FilePlan],
    ui: &mut dyn Listener,
) -> Result<(), Error> {
    let mut store = Store::open(ctx.archive)?;
    let now = clock::now();
    let done: Vec<crate::store::Replacement> = written
        .iter()
        .flat_map(|p| p.replaced.iter().cloned())
        .map(|r| crate::store::Replacement { at: now, ..r })
        .collect();
    store.record_replacements(&done)?;
    let site_cfg = &ctx.loaded.config.site;
    let options = ScanOptions {
        site: Site::new(site_cfg.base_url.as_deref(), &site_cfg.aliases)?,
        keep_internal: false,
        digest: true,
        max_file_size: site_cfg.max_file_size,
    };
    let paths: Vec<PathBuf> = written.iter().map(|p| PathBuf::from(&p.file)).collect();
    let (files, walk_errors) = walk::collect(&paths, &Filter::new(&[], &[])?);
    let (scans, errors) = scan_all(&files, &options, 1);
    for e in walk_errors.iter().chain(&errors) {
        ui.say(Level::Error, &e.to_string());
    }
    let digests: Vec<FileDigest> = scans.iter().filter_map(|s| s.digest.clone()).collect();
    let citations = scans.into_iter().map(|s| s.citations).collect();
    crate::run::record_citations(&mut store, citations, &digests, &options.site.scan_key())
}

/// What `scan` is asked for besides its inputs.
pub struct ScanRequest {
    /// Files, folders or live sites; none: the configured sources.
    pub inputs: Vec<PathBuf>,
    /// The output format.
    pub format: ScanFormat,
    /// Whether internal links are listed too.
    pub internal: bool,
    /// The site's address, over `[site] base_url`.
    pub base_url: Option<String>,
    /// Worker threads (none: one per core).
    pub threads: Option<usize>,
}

/// `scan`: every citation of the inputs written to `out` as it is found (live sites first,
/// then files in order), then the totals. Exits 2 when an input could not be read.
pub fn scan(
    loaded: &Loaded,
    request: ScanRequest,
    out: impl Write,
    ui: &mut dyn Listener,
) -> Result<ExitCode, Error> {
    let site_cfg = &loaded.config.site;
    let inputs = inputs_or_sources(loaded, request.inputs, "scan")?;
    let base_url = request.base_url.as_deref().or(site_cfg.base_url.as_deref());
    let options = ScanOptions {
        site: Site::new(base_url, &site_cfg.aliases)?,
        keep_internal: request.internal,
        digest: false,
        max_file_size: site_cfg.max_file_size,
    };
    let filter = Filter::new(&site_cfg.include, &site_cfg.exclude)?;
    let (sites, inputs) = split_inputs(inputs);
    let (files, walk_errors) = walk::collect(&inputs, &filter);
    let threads = request
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let format = request.format;

    let mut tally = Tally::default();
    for e in walk_errors {
        ui.say(Level::Error, &e.to_string());
        tally.error(e.to_string());
    }
    let mut writer =
        ScanWriter::new(io::BufWriter::with_capacity(1 << 16, out), format).map_err(write_error)?;
    let mut failed_write = None;
    // Live sites first, page by page, then the files.
    let (pages, crawl_errors) = crawl_sites(loaded, &sites, request.internal, ui);
    for e in crawl_errors {
        ui.say(Level::Error, &e);
        tally.error(e);
    }
    for page in pages {
        let file_tally = FileTally::of(&page);
        if failed_write.is_none() {
            failed_write = writer.file(&render(&page, format)).err();
        }
        tally.add(file_tally);
    }
    let work = |result: Result<FileScan, Error>| {
        result.map(|scan| (render(&scan, format), FileTally::of(&scan)))
    };
    scan_files(&files, &options, threads, work, |result| match result {
        Ok((rendered, file_tally)) => {
            for w in file_tally.warnings() {
                ui.say(Level::Warning, w);
            }
            tally.add(file_tally);
            if failed_write.is_none() {
                failed_write = writer.file(&rendered).err();
            }
        }
        Err(e) => {
            ui.say(Level::Error, &e.to_string());
            tally.error(e.to_string());
        }
    });
    if let Some(e) = failed_write {
        return Err(write_error(e));
    }
    let summary = tally.finish();
    writer.finish(&summary).map_err(write_error)?;
    Ok(if summary.errors.is_empty() {
        ExitCode::Ok
    } else {
        ExitCode::Error
    })
}

/// Writing the output failed (a closed pipe, a full disk).
fn write_error(error: io::Error) -> Error {
    Error::Io {
        path: PathBuf::from("<output>"),
        error,
    }
}
