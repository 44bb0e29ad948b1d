//! The `citekeep` binary: parses the command line and runs one command.

mod cli;

use std::collections::HashSet;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Parser;

use citekeep::archive::{ArchiveSummary, archive_links};
use citekeep::check::Status;
use citekeep::config::FailOn;
use citekeep::exit_codes::ExitCode;
use citekeep::link::{Site, host_of, link_key};
use citekeep::output::{FileTally, ScanWriter, Tally, render};
use citekeep::report;
use citekeep::run::{CheckOptions, CheckRun, check_citations};
use citekeep::scan::{Citation, FileScan, ScanOptions, scan_all, scan_files};
use citekeep::source::walk::{self, Filter};
use citekeep::store::{FileDigest, Store};
use citekeep::{Error, config, lock};
use cli::{
    ArchiveArgs, CheckArgs, Cli, Command, ExportArgs, FixArgs, ReportArgs, RunArgs, ScanArgs,
    ServeArgs,
};

/// mimalloc: per-thread heaps that give memory back, where glibc's arenas held a third more
/// than the live heap at a million citations, and allocation is cheaper on the hot paths.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process. mimalloc asks for them on its arena
/// (where the system allows them on request, as Debian's default does), and then any 4 KiB
/// touched keeps 2 MiB resident: a scan holding 60 MB of freed memory showed 120 MB.
/// The kernel checks the flag at each fault, so it covers the arena already reserved.
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes plain integers and touches no memory of
    // ours; a failure (an old kernel) only leaves huge pages on.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// mimalloc's `mi_option_purge_delay` (its option enum in mimalloc.h, v2 and v3 alike).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    disable_transparent_huge_pages();
    let cli = Cli::parse();
    // Freed memory goes back to the system 50 ms after it is freed, not mimalloc's default
    // second: a scan's live heap is 5 MB, yet it held 60 MB (36 MB at 50 ms, 30 MB at 10 ms
    // but 5% slower, refaulting). Where pages are fetched or replayed it goes back at once:
    // large bodies (50 MB documents, inflated gzip bombs) come and go, and resident memory
    // is what a cron job on a small machine is judged by.
    let purge_delay_ms = if matches!(
        cli.command,
        Command::Check(_) | Command::Run(_) | Command::Archive(_) | Command::Serve(_)
    ) {
        0
    } else {
        50
    };
    // SAFETY: sets a process-wide allocator option before any other thread starts.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, purge_delay_ms) };
    match run(cli) {
        Ok(code) => code.into(),
        Err(err) if is_broken_pipe(&err) => ExitCode::Ok.into(),
        Err(err) => {
            eprintln!("citekeep: error: {err:#}");
            ExitCode::Error.into()
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let loaded = config::load(cli.config.as_deref())?;
    let archive = cli
        .archive
        .clone()
        .unwrap_or_else(|| loaded.resolve(&loaded.config.archive.dir));
    // Commands that write the archive hold its lock while they run.
    let _lock = match cli.command {
        Command::Scan(_) => None,
        Command::Check(_) => Some(lock::acquire(&archive, "check")?),
        Command::Run(_) => Some(lock::acquire(&archive, "run")?),
        Command::Archive(_) => Some(lock::acquire(&archive, "archive")?),
        Command::Export(_) => Some(lock::acquire(&archive, "export")?),
        Command::Report(_) | Command::Fix(_) | Command::Serve(_) => None,
    };
    let quiet = cli.quiet;
    match cli.command {
        Command::Scan(args) => scan(&loaded, args, quiet),
        Command::Check(args) => check(loaded, &archive, args, quiet),
        Command::Run(args) => nightly(loaded, &archive, args, quiet),
        Command::Archive(args) => snapshot(&loaded, &archive, args, quiet),
        Command::Export(args) => export(&archive, args),
        Command::Report(args) => report_cmd(&loaded, &archive, args),
        Command::Fix(args) => fix(&loaded, &archive, args, quiet),
        Command::Serve(args) => serve(&loaded, &archive, args),
    }
}

/// `--timeout` wins over `[check] timeout`.
fn override_timeout(loaded: &mut config::Loaded, timeout: Option<f64>) {
    if let Some(t) = timeout {
        loaded.config.check.timeout = t;
    }
}

/// `check`: every external citation of the inputs, checked now, printed.
fn check(
    mut loaded: config::Loaded,
    archive: &Path,
    args: CheckArgs,
    quiet: bool,
) -> Result<ExitCode> {
    override_timeout(&mut loaded, args.timeout);
    let citations = citations(
        &loaded,
        "check",
        args.inputs,
        args.base_url.as_deref(),
        quiet,
    )?;
    let read_errors = citations.errors;
    let run = check_phase(&loaded, archive, citations, true, "check", true, quiet)?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    report::write_check(&mut out, &run, args.format)?;
    out.flush()?;
    let rot = run
        .links
        .iter()
        .any(|l| l.status.is_some_and(|s| s.is_failure()));
    Ok(exit_code(&run, rot, read_errors))
}

/// `run`, the nightly job: scan the configured sources, check what is due, snapshot what was
/// found alive, print one line.
fn nightly(
    mut loaded: config::Loaded,
    archive: &Path,
    args: RunArgs,
    quiet: bool,
) -> Result<ExitCode> {
    override_timeout(&mut loaded, args.timeout);
    let citations = citations(&loaded, "run", Vec::new(), None, quiet)?;
    let read_errors = citations.errors;
    let run = check_phase(&loaded, archive, citations, args.all, "run", false, quiet)?;
    let mut line = report::summary_line(&run);
    if !run.summary.network_down {
        let live: HashSet<&str> = run
            .links
            .iter()
            .filter(|l| l.checked && matches!(l.status, Some(Status::Alive | Status::Moved)))
            .map(|l| l.url.as_str())
            .collect();
        let mut store = Store::open(archive)?;
        // What this run found alive, and what earlier runs left without a recent snapshot
        // (a run killed or cut short between its checks and its snapshots).
        let refresh = i64::from(loaded.config.archive.refresh_days) * citekeep::clock::DAY;
        let owed: HashSet<i64> = store
            .links_owed_a_snapshot(citekeep::clock::now() - refresh)?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let links = store
            .links_to_archive()?
            .into_iter()
            .filter(|(id, url)| live.contains(url.as_str()) || owed.contains(id))
            .collect();
        let snap = archive_links(
            &mut store,
            links,
            &loaded.config,
            &loaded.dir,
            archive,
            Some(run.summary.run),
        )?;
        line.push_str(&format!("; {}", archive_line(&snap)));
    }
    println!("citekeep run: {line}");
    let written = write_report_files(&loaded, archive);
    let rot = match loaded.config.report.fail_on {
        FailOn::New => run.summary.newly_dead > 0,
        FailOn::Any => run.summary.by_verdict.get("dead").is_some_and(|&n| n > 0),
        FailOn::Never => false,
    };
    let code = exit_code(&run, rot, read_errors);
    Ok(if written { code } else { ExitCode::Error })
}

fn report_options(loaded: &config::Loaded, since: Option<report::Since>) -> report::Options {
    report::Options {
        since: since.unwrap_or_default(),
        replay_url: loaded.config.report.replay_url.clone(),
        drift: loaded.config.archive.drift,
    }
}

/// Writes the report files `[report] files` names; false (after saying why on stderr) when
/// one could not be written.
fn write_report_files(loaded: &config::Loaded, archive: &Path) -> bool {
    let files = loaded.report_files(archive);
    if files.is_empty() {
        return true;
    }
    let built = Store::open_existing(archive)
        .and_then(|store| report::build(&store, &report_options(loaded, None)));
    let report = match built {
        Ok(r) => r,
        Err(e) => {
            eprintln!("citekeep: error: cannot make the reports: {e}");
            return false;
        }
    };
    let mut ok = true;
    for path in files {
        let Some(format) = report::Format::from_path(&path) else {
            eprintln!(
                "citekeep: error: {}: a report file must end in .txt, .json, .md, .html or .xml",
                path.display()
            );
            ok = false;
            continue;
        };
        if let Err(e) = write_atomically(&path, |out| report::write(out, &report, format, false)) {
            eprintln!("citekeep: error: {}: {e:#}", path.display());
            ok = false;
        }
    }
    ok
}

/// Writes a file through a temporary file and a rename, so readers never see half of it.
/// The temporary file has an unpredictable name and is created new (`O_EXCL`), so a
/// symlink planted beside the report cannot redirect the write.
fn write_atomically(
    path: &Path,
    render: impl FnOnce(&mut io::BufWriter<std::fs::File>) -> io::Result<()>,
) -> Result<()> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            dir
        }
        None => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".citekeep-report")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    let (file, tmp_path) = tmp.into_parts();
    // Readable by others, as a report written with `>` would be (the temporary file is 0600).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))
            .context("writing the report")?;
    }
    let mut out = io::BufWriter::new(file);
    render(&mut out).context("writing the report")?;
    out.into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .context("writing the report")?;
    tmp_path
        .persist(path)
        .map_err(|e| e.error)
        .context("writing the report")?;
    Ok(())
}

/// `report`: the latest run from the history, in the format asked for.
fn report_cmd(loaded: &config::Loaded, archive: &Path, args: ReportArgs) -> Result<ExitCode> {
    let store = Store::open_existing(archive)?;
    let report = report::build(&store, &report_options(loaded, args.since))?;
    let format = match (args.format, &args.output) {
        (Some(format), _) => format,
        (None, None) => report::Format::Text,
        (None, Some(path)) => report::Format::from_path(path).with_context(|| {
            format!(
                "{}: a report file must end in .txt, .json, .md, .html or .xml (or give --format)",
                path.display()
            )
        })?,
    };
    match &args.output {
        Some(path) => {
            write_atomically(path, |out| report::write(out, &report, format, false))?;
        }
        None => {
            let color = io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut out = io::BufWriter::new(io::stdout().lock());
            report::write(&mut out, &report, format, color)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::Ok)
}

/// `serve`: the archive browser, until interrupted.
fn serve(loaded: &config::Loaded, archive: &Path, args: ServeArgs) -> Result<ExitCode> {
    if !archive.join(citekeep::store::FILE_NAME).is_file() {
        bail!(
            "{}: no archive here yet (run `citekeep run` first, or pass --archive DIR)",
            archive.display()
        );
    }
    citekeep::serve::serve(citekeep::serve::Options {
        archive: archive.to_path_buf(),
        listen: args.listen,
        drift: loaded.config.archive.drift,
        public_url: loaded.config.serve.public_url()?,
    })?;
    Ok(ExitCode::Ok)
}

/// `fix`: dead citations pointed at their archived copies, as a diff or in place.
/// The address `fix` writes for an archived copy: `[fix] copy_url` as set, else
/// `[report] replay_url` unless that is this machine or a private network (an address
/// only the editor's machine can open must never reach a published source by default).
fn fix_copy_url(cfg: &config::Config) -> Option<String> {
    if !cfg.fix.copy_url.trim().is_empty() {
        return Some(cfg.fix.copy_url.clone());
    }
    let probe = report::model::replay_url(
        &cfg.report.replay_url,
        "20000101000000",
        "https://x.example/",
    );
    let local = url::Url::parse(&probe).map_or(true, |u| citekeep::fetch::guard::is_local_url(&u));
    (!local).then(|| cfg.report.replay_url.clone())
}

fn fix(loaded: &config::Loaded, archive: &Path, args: FixArgs, quiet: bool) -> Result<ExitCode> {
    let store = Store::open_existing(archive)?;
    let cfg = &loaded.config;
    let options = citekeep::fix::Options {
        style: cfg.fix.style,
        copy_url: fix_copy_url(cfg),
        moved: args.moved,
        only: args.files,
    };
    let plan = citekeep::fix::plan(&store, &options)?;
    if !quiet {
        for note in &plan.skipped {
            eprintln!("citekeep: note: {note}");
        }
    }
    let mut failed = !plan.errors.is_empty();
    for e in &plan.errors {
        eprintln!("citekeep: error: {e}");
    }
    let edits: usize = plan.files.iter().map(|f| f.notes.len()).sum();
    let roots = loaded.sources();
    if args.write {
        let mut written = 0;
        for file in &plan.files {
            match citekeep::fix::write(file, &roots) {
                Ok(()) => {
                    written += 1;
                    if !quiet {
                        for n in &file.notes {
                            eprintln!("{}:{n}", file.file);
                        }
                    }
                }
                Err(e) => {
                    eprintln!("citekeep: error: {e}");
                    failed = true;
                }
            }
        }
        println!(
            "citekeep fix: {written} file{} written ({edits} citation{} fixed){}",
            if written == 1 { "" } else { "s" },
            if edits == 1 { "" } else { "s" },
            if written > 0 {
                "; run `citekeep check` or `citekeep run` to record the new state"
            } else {
                ""
            }
        );
    } else {
        let mut out = io::BufWriter::new(io::stdout().lock());
        for file in &plan.files {
            write!(out, "{}", citekeep::fix::diff(file))?;
        }
        out.flush()?;
        if !quiet {
            eprintln!(
                "citekeep fix: {edits} citation{} in {} file{} to fix; `citekeep fix --write` edits them",
                if edits == 1 { "" } else { "s" },
                plan.files.len(),
                if plan.files.len() == 1 { "" } else { "s" }
            );
        }
    }
    Ok(if failed {
        ExitCode::Error
    } else {
        ExitCode::Ok
    })
}

/// `archive`: snapshot the links of the inputs, or every cited link last found alive.
fn snapshot(
    loaded: &config::Loaded,
    archive: &Path,
    args: ArchiveArgs,
    quiet: bool,
) -> Result<ExitCode> {
    let mut store = Store::open(archive)?;
    let links = if args.inputs.is_empty() {
        store.links_to_archive()?
    } else {
        let scanned = citations(loaded, "archive", args.inputs, None, quiet)?;
        let mut keys: Vec<String> = scanned
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
            .links(&wanted, citekeep::clock::now())?
            .into_iter()
            .map(|l| (l.id, l.url))
            .collect()
    };
    let snap = archive_links(
        &mut store,
        links,
        &loaded.config,
        &loaded.dir,
        archive,
        None,
    )?;
    println!("citekeep archive: {}", archive_line(&snap));
    Ok(if snap.failed.is_empty() {
        ExitCode::Ok
    } else {
        ExitCode::Error
    })
}

/// `export --wacz FILE`.
fn export(archive: &Path, args: ExportArgs) -> Result<ExitCode> {
    let store = Store::open_existing(archive)?;
    let done = citekeep::archive::wacz::export(archive, &store, &args.wacz)?;
    println!(
        "citekeep export: {} ({} WARC files, {} pages, {} bytes)",
        args.wacz.display(),
        done.warcs,
        done.pages,
        done.bytes
    );
    Ok(ExitCode::Ok)
}

/// One line on what an archiving pass did, failures listed on stderr.
fn archive_line(s: &ArchiveSummary) -> String {
    for (url, why) in &s.failed {
        eprintln!("citekeep: error: could not snapshot {url}: {why}");
    }
    for (url, remains) in &s.drifted {
        eprintln!(
            "citekeep: note: {url} drifted: {:.0}% of the text first archived remains",
            remains * 100.0
        );
    }
    let drifted = if s.drifted.is_empty() {
        String::new()
    } else {
        format!(", {} drifted", s.drifted.len())
    };
    format!(
        "{} ({} new, {} unchanged), {}{drifted}{}",
        plural(s.captured, "page snapshotted", "pages snapshotted"),
        s.new,
        s.unchanged,
        plural(s.requisites, "page requisite", "page requisites"),
        if s.failed.is_empty() {
            String::new()
        } else {
            format!(", {} failed", s.failed.len())
        }
    )
}

/// `n` and the noun, singular or plural.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// 2 when our network was down or `read_errors` inputs could not be read (each said on
/// stderr), else 1 when `rot`, else 0.
fn exit_code(run: &CheckRun, rot: bool, read_errors: usize) -> ExitCode {
    let mut code = if rot { ExitCode::Rot } else { ExitCode::Ok };
    if run.summary.network_down {
        eprintln!(
            "citekeep: error: our own network looks down: (nearly) every host failed to connect; \
             no strikes were recorded. Check the connection or proxy settings and run again."
        );
        code = ExitCode::Error;
    }
    if read_errors > 0 {
        eprintln!(
            "citekeep: error: {read_errors} input{} could not be read (said above); the rest \
             was checked",
            if read_errors == 1 { "" } else { "s" }
        );
        code = ExitCode::Error;
    }
    code
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

/// Crawls each site, one scan per page; what went wrong is returned, what it did said on
/// stderr (unless quiet).
fn crawl_sites(
    loaded: &config::Loaded,
    sites: &[String],
    keep_internal: bool,
    quiet: bool,
) -> (Vec<FileScan>, Vec<String>) {
    let mut pages = Vec::new();
    let mut errors = Vec::new();
    for site in sites {
        let started = std::time::Instant::now();
        match citekeep::crawl::crawl(site, &loaded.config, &loaded.dir, keep_internal) {
            Ok(crawl) => {
                let s = &crawl.stats;
                if !quiet {
                    eprintln!(
                        "citekeep: crawled {site}: {} pages in {:.1} s ({} requests; not followed: \
                         {} by robots.txt, {} not HTML, {} duplicates, {} past the limits, {} \
                         private addresses)",
                        s.pages,
                        started.elapsed().as_secs_f64(),
                        s.requests,
                        s.robots,
                        s.not_html,
                        s.duplicates,
                        s.over_limit,
                        s.private
                    );
                }
                errors.extend(crawl.errors);
                pages.extend(crawl.pages);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    (pages, errors)
}

/// The citations of a site's sources, for checking.
struct Scanned {
    /// The citations, by file.
    by_file: Vec<Vec<Citation>>,
    /// The digests of the files read.
    files: Vec<FileDigest>,
    /// What decided the citations besides the files' bytes.
    scan_key: String,
    /// Inputs and files that could not be read (each said on stderr): the command goes
    /// on with the rest and exits 2.
    errors: usize,
}

/// How the configuration file is named in messages.
fn config_name(loaded: &config::Loaded) -> String {
    match &loaded.path {
        Some(p) => p.display().to_string(),
        None => "config.toml (there is none here; or give --config FILE)".to_string(),
    }
}

/// Every citation of `inputs` (or the configured sources), for checking, with the digests
/// of the files read. Unreadable files are reported and skipped.
fn citations(
    loaded: &config::Loaded,
    command: &str,
    inputs: Vec<PathBuf>,
    base_url: Option<&str>,
    quiet: bool,
) -> Result<Scanned> {
    let site_cfg = &loaded.config.site;
    let inputs = if inputs.is_empty() {
        loaded.sources()
    } else {
        inputs
    };
    if inputs.is_empty() {
        if command == "run" {
            bail!(
                "nothing to check: set `[site] sources` in {}",
                config_name(loaded)
            );
        }
        bail!(
            "nothing to {command}: give files or folders, or set `[site] sources` in {}",
            config_name(loaded)
        );
    }
    let options = ScanOptions {
        site: Site::new(base_url.or(site_cfg.base_url.as_deref()), &site_cfg.aliases)?,
        keep_internal: false,
        digest: true,
        max_file_size: site_cfg.max_file_size,
    };
    let filter = Filter::new(&site_cfg.include, &site_cfg.exclude)?;
    let (sites, inputs) = split_inputs(inputs);
    let (crawled, crawl_errors) = crawl_sites(loaded, &sites, false, quiet);
    let (files, walk_errors) = walk::collect(&inputs, &filter);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (mut scans, errors) = scan_all(&files, &options, threads);
    scans.extend(crawled);
    for e in &crawl_errors {
        eprintln!("citekeep: error: {e}");
    }
    for e in walk_errors.iter().chain(&errors) {
        eprintln!("citekeep: error: {e}");
    }
    if !quiet {
        for w in scans.iter().flat_map(|s| &s.warnings) {
            eprintln!("citekeep: warning: {w}");
        }
        let ignored: usize = scans.iter().map(|s| s.ignored).sum();
        if ignored > 0 {
            eprintln!(
                "citekeep: note: {ignored} link{} with schemes that are never checked (mailto:, tel:, ...) skipped",
                if ignored == 1 { "" } else { "s" }
            );
        }
    }
    let digests = scans.iter().filter_map(|s| s.digest.clone()).collect();
    Ok(Scanned {
        errors: crawl_errors.len() + walk_errors.len() + errors.len(),
        scan_key: options.site.scan_key(),
        by_file: scans.into_iter().map(|s| s.citations).collect(),
        files: digests,
    })
}

/// Runs the check phase with a progress bar on a terminal; `places` keeps where each link
/// is cited (for printing every link's sources).
fn check_phase(
    loaded: &config::Loaded,
    archive: &Path,
    scanned: Scanned,
    all: bool,
    command: &str,
    places: bool,
    quiet: bool,
) -> Result<CheckRun> {
    let options = CheckOptions {
        config: &loaded.config,
        base: &loaded.dir,
        archive,
        all,
        command,
        places,
        scan_key: scanned.scan_key,
    };
    let bar = (!quiet && io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} {per_sec} ETA {eta}  {msg}",
            )
            .expect("valid progress template"),
        );
        bar
    });
    let mut counts: std::collections::BTreeMap<&'static str, usize> = Default::default();
    let run = check_citations(
        scanned.by_file,
        scanned.files,
        &options,
        |done, total, check| {
            if let Some(bar) = &bar {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                *counts.entry(check.status.as_str()).or_default() += 1;
                let msg: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
                bar.set_message(msg.join(", "));
            }
        },
    )?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(run)
}

fn scan(loaded: &config::Loaded, args: ScanArgs, quiet: bool) -> Result<ExitCode> {
    let site_cfg = &loaded.config.site;
    let inputs = if args.inputs.is_empty() {
        loaded.sources()
    } else {
        args.inputs
    };
    if inputs.is_empty() {
        bail!("nothing to scan: give files or folders, or set `[site] sources` in config.toml");
    }
    let base_url = args.base_url.as_deref().or(site_cfg.base_url.as_deref());
    let options = ScanOptions {
        site: Site::new(base_url, &site_cfg.aliases)?,
        keep_internal: args.internal,
        digest: false,
        max_file_size: site_cfg.max_file_size,
    };
    let filter = Filter::new(&site_cfg.include, &site_cfg.exclude)?;
    let (sites, inputs) = split_inputs(inputs);
    let (files, walk_errors) = walk::collect(&inputs, &filter);
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));

    let mut tally = Tally::default();
    for e in walk_errors {
        report_error(&mut tally, &e);
    }
    let stdout = io::stdout().lock();
    let mut writer = ScanWriter::new(io::BufWriter::with_capacity(1 << 16, stdout), args.format)?;
    let mut write_error = None;
    let format = args.format;
    // Live sites first, page by page, then the files.
    let (pages, crawl_errors) = crawl_sites(loaded, &sites, args.internal, quiet);
    for e in crawl_errors {
        eprintln!("citekeep: error: {e}");
        tally.error(e);
    }
    for page in pages {
        let file_tally = FileTally::of(&page);
        if write_error.is_none() {
            write_error = writer.file(&render(&page, format)).err();
        }
        tally.add(file_tally);
    }
    let work = |result: Result<FileScan, Error>| {
        result.map(|scan| (render(&scan, format), FileTally::of(&scan)))
    };
    scan_files(&files, &options, threads, work, |result| match result {
        Ok((rendered, file_tally)) => {
            if !quiet {
                for w in file_tally.warnings() {
                    eprintln!("citekeep: warning: {w}");
                }
            }
            tally.add(file_tally);
            if write_error.is_none() {
                write_error = writer.file(&rendered).err();
            }
        }
        Err(e) => report_error(&mut tally, &e),
    });
    if let Some(e) = write_error {
        return Err(e).context("writing the scan");
    }
    let summary = tally.finish();
    writer.finish(&summary).context("writing the scan")?;
    Ok(if summary.errors.is_empty() {
        ExitCode::Ok
    } else {
        ExitCode::Error
    })
}

fn report_error(tally: &mut Tally, e: &Error) {
    eprintln!("citekeep: error: {e}");
    tally.error(e.to_string());
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
