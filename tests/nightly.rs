//! The nightly job as cron sees it: exit codes when inputs are wrong, the report files it
//! writes by default, settings checked before anything runs, and messages that say what
//! is wrong once and plainly.

use std::path::Path;

use crate::support::web::{Behave, SimWeb};

fn web() -> SimWeb {
    SimWeb::start(|host, path, _| match (host, path) {
        ("www.gov.uk", "/alive") => Behave::html("Alive", "A page that answers every night."),
        _ => Behave::status(404, &[], "<title>Not found</title>"),
    })
}

use crate::support::citekeep_on as citekeep;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const CHECK: &str = "[check]\ntimeout = 2\nretries = 0\nhost_interval = 0\n";

/// A cron job pointed at a folder that is not there, or at a file too large to scan, is
/// told so by exit 2, after the rest was checked (and, for run, snapshotted and reported).
#[test]
fn run_and_check_exit_2_when_a_source_is_missing_or_too_large() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "site/a.md", "[a](https://www.gov.uk/alive)\n");
    write(dir.path(), "big/b.md", &"x".repeat(5000));
    write(
        dir.path(),
        "config.toml",
        &format!(
            "[site]\nsources = [\"site\", \"nosuch\", \"big\"]\nmax_file_size = 4000\n{CHECK}"
        ),
    );
    for command in ["check", "run"] {
        let (out, err, code) = citekeep(Some(&web), dir.path(), &[command]);
        assert_eq!(code, 2, "{command}: {out}{err}");
        assert!(
            err.contains("nosuch"),
            "{command} names the missing folder: {err}"
        );
        assert!(
            err.contains("b.md") && err.contains("max_file_size"),
            "{err}"
        );
        assert!(err.contains("2 inputs could not be read"), "{err}");
        // The rest was done: the readable source's link was checked (and, by run after
        // check, snapshotted).
        assert!(
            out.contains("https://www.gov.uk/alive") || out.contains("1 page snapshotted"),
            "{command}: {out}"
        );
    }
    // run still snapshotted and reported what it could.
    assert!(dir.path().join("archive/reports/latest.json").is_file());
}

/// Without a `[report]` table, run writes the two reports the README promises; with
/// `files = []` none.
#[test]
fn reports_are_written_by_default() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "site/a.md", "[a](https://www.gov.uk/alive)\n");
    write(
        dir.path(),
        "config.toml",
        &format!("[site]\nsources = [\"site\"]\n{CHECK}"),
    );
    let (out, err, code) = citekeep(Some(&web), dir.path(), &["run"]);
    assert_eq!(code, 0, "{out}{err}");
    for name in ["latest.html", "latest.json"] {
        let path = dir.path().join("archive/reports").join(name);
        let meta = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(meta.len() > 100, "{name} is empty");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            meta.permissions().mode() & 0o777,
            0o644,
            "{name} readable by others"
        );
    }
    // No temporary file is left beside them.
    let left: Vec<_> = std::fs::read_dir(dir.path().join("archive/reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "site/a.md", "[a](https://www.gov.uk/alive)\n");
    write(
        dir.path(),
        "config.toml",
        &format!("[site]\nsources = [\"site\"]\n{CHECK}[report]\nfiles = []\n"),
    );
    let (out, err, code) = citekeep(Some(&web), dir.path(), &["run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!dir.path().join("archive/reports").exists());
}

/// Every duration, number and file of the configuration and the command line is checked
/// before anything runs, with an error naming the key, its range and unit: none of these
/// may panic, hang, or turn a healthy page into a timeout strike.
#[test]
fn every_setting_is_checked_with_its_range() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "site/a.md", "[a](https://www.gov.uk/alive)\n");
    let cases: &[(&str, &str)] = &[
        ("[check]\ntimeout = 0", "[check] timeout"),
        ("[check]\ntimeout = -5", "[check] timeout"),
        ("[check]\ntimeout = nan", "[check] timeout"),
        ("[check]\ntimeout = inf", "[check] timeout"),
        ("[check]\ntimeout = 1e30", "[check] timeout"),
        ("[check]\nconnect_timeout = inf", "[check] connect_timeout"),
        ("[check]\ndeadline = 0", "[check] deadline"),
        (
            "[check]\nconcurrency = 18446744073709551615",
            "[check] concurrency",
        ),
        ("[check]\nconcurrency = 0", "[check] concurrency"),
        (
            "[check]\nper_host = 9223372036854775807",
            "[check] per_host",
        ),
        (
            "[check]\nhost_interval = 18446744073709551615",
            "[check] host_interval",
        ),
        ("[check]\nmax_redirects = 100000", "[check] max_redirects"),
        ("[archive]\ndrift = nan", "[archive] drift"),
        ("[archive]\ndrift = 2", "[archive] drift"),
        ("[verdict]\nstrikes = 0", "[verdict] strikes"),
    ];
    for (toml, key) in cases {
        write(
            dir.path(),
            "config.toml",
            &format!("[site]\nsources = [\"site\"]\n{toml}\n"),
        );
        let (out, err, code) = citekeep(None, dir.path(), &["check"]);
        assert_eq!(code, 2, "{toml}: {out}{err}");
        assert!(
            err.contains("config.toml") && err.contains(key) && err.contains("from"),
            "{toml}: {err}"
        );
        assert!(!err.contains("panicked"), "{toml}: {err}");
    }
    // A certificate bundle that is a device is refused at once, not read forever.
    write(
        dir.path(),
        "config.toml",
        "[site]\nsources = [\"site\"]\n[check]\nca_certs = [\"/dev/zero\"]\n",
    );
    let started = std::time::Instant::now();
    let (_, err, code) = citekeep(None, dir.path(), &["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("/dev/zero") && err.contains("regular file"),
        "{err}"
    );
    assert!(started.elapsed().as_secs() < 20);
    // The command line's --timeout too.
    write(dir.path(), "config.toml", "[site]\nsources = [\"site\"]\n");
    for bad in ["0", "-1", "nan", "inf", "1e30", "soon"] {
        let arg = format!("--timeout={bad}");
        let (_, err, code) = citekeep(None, dir.path(), &["check", &arg]);
        assert_eq!(code, 2, "--timeout {bad}: {err}");
        assert!(err.contains("--timeout"), "--timeout {bad}: {err}");
    }
}

/// Messages say what is wrong once, in the words of the thing that failed.
#[test]
fn messages_name_what_failed_once() {
    let dir = tempfile::tempdir().unwrap();
    // run without sources points at the configuration, not at arguments run refuses.
    write(dir.path(), "config.toml", "[check]\ntimeout = 2\n");
    let (_, err, code) = citekeep(None, dir.path(), &["run"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("[site] sources") && err.contains("config.toml"),
        "{err}"
    );
    assert!(!err.contains("give files"), "{err}");
    // A missing input: the system's words once, not twice.
    let (_, err, code) = citekeep(None, dir.path(), &["scan", "nosuch.md"]);
    assert_eq!(code, 2);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    // export before any snapshot.
    write(dir.path(), "site/a.md", "[a](https://www.gov.uk/alive)\n");
    write(
        dir.path(),
        "config.toml",
        &format!("[site]\nsources = [\"site\"]\n{CHECK}"),
    );
    let web = SimWeb::start(|_, _, _| Behave::status(404, &[], "gone"));
    let (_, err, _) = citekeep(Some(&web), dir.path(), &["check"]);
    assert!(!err.contains("error:"), "{err}");
    let (_, err, code) = citekeep(None, dir.path(), &["export", "--wacz", "a.wacz"]);
    assert_eq!(code, 2);
    assert!(err.contains("nothing to export yet"), "{err}");
    assert_eq!(err.matches("os error").count(), 0, "{err}");
    // serve on a port in use names the browser, not the history database.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (_, err, code) = citekeep(None, dir.path(), &["serve", "--listen", &addr]);
    assert_eq!(code, 2);
    assert!(err.contains("archive browser: cannot listen"), "{err}");
    assert!(!err.contains("history database"), "{err}");
}

/// The summary line's parts add up to its whole: invalid links are not among the checked.
#[test]
fn the_summary_line_adds_up() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "site/a.md",
        "[a](https://www.gov.uk/alive) [b](https://www.gov.uk/gone) [bad](<https://exa mple.com/x>)\n",
    );
    write(
        dir.path(),
        "config.toml",
        &format!("[site]\nsources = [\"site\"]\n{CHECK}"),
    );
    let (out, err, _) = citekeep(Some(&web), dir.path(), &["run"]);
    assert!(
        out.starts_with("citekeep run: 3 links: 2 checked (1 alive, 1 gone), 1 invalid"),
        "{out}{err}"
    );
    assert!(
        out.contains("1 page snapshotted (1 new, 0 unchanged), 0 page requisites"),
        "{out}"
    );
    // The next night the alive link is not due.
    let (out, _, _) = citekeep(Some(&web), dir.path(), &["run"]);
    assert!(
        out.starts_with("citekeep run: 3 links: 1 checked (1 gone), 1 not due, 1 invalid"),
        "{out}"
    );
}

/// The nightly job is one call of the library, without the binary: another front end (a
/// service, a worker) runs it the same way, and hears what it says through a listener.
#[test]
fn the_nightly_job_is_one_library_call() {
    use citekeep::exit_codes::ExitCode;
    use citekeep::pipeline::{self, Context, Level, Listener};

    struct Heard(Vec<(Level, String)>, Vec<(&'static str, usize, usize)>);
    impl Listener for Heard {
        fn say(&mut self, level: Level, text: &str) {
            self.0.push((level, text.to_string()));
        }
        fn checked(&mut self, done: usize, total: usize, _: &citekeep::check::Check) {
            self.1.push(("checking", done, total));
        }
        fn progress(&mut self, phase: &'static str, done: usize, total: usize) {
            self.1.push((phase, done, total));
        }
    }

    let web = web();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "site/a.md",
        "[a](https://www.gov.uk/alive) [b](https://www.gov.uk/gone)\n",
    );
    // The simulated web through the configuration, not the process's environment.
    write(
        dir.path(),
        "config.toml",
        &format!(
            "[site]\nsources = [\"site\"]\n{CHECK}proxy = \"{}\"\nca_certs = [\"{}\"]\n",
            web.proxy,
            web.ca_file.display()
        ),
    );
    let loaded = citekeep::config::load(Some(&dir.path().join("config.toml"))).unwrap();
    let archive = dir.path().join("archive");
    let ctx = Context {
        loaded: &loaded,
        archive: &archive,
    };
    let mut heard = Heard(Vec::new(), Vec::new());
    let night = pipeline::nightly(ctx, false, &mut heard).unwrap();
    assert_eq!(night.code, ExitCode::Ok, "{:?}", heard.0);
    assert_eq!(night.run.summary.links, 2);
    assert_eq!(night.run.summary.by_status.get("alive"), Some(&1));
    assert_eq!(night.run.summary.by_status.get("gone"), Some(&1));
    assert_eq!(night.snapshots.as_ref().map(|s| s.captured), Some(1));
    assert!(archive.join("reports/latest.json").is_file());
    assert!(
        heard.0.iter().all(|(level, _)| *level != Level::Error),
        "{:?}",
        heard.0
    );
    // Issue 28: the bar sat at "2/2 ETA 0s" while snapshots and lookups ran. Each long
    // phase says how it goes, with its own count, in order.
    let phases: Vec<&str> = heard.1.iter().map(|p| p.0).fold(Vec::new(), |mut v, p| {
        if v.last() != Some(&p) {
            v.push(p);
        }
        v
    });
    assert_eq!(
        phases,
        ["checking", "snapshotting", "looking up"],
        "{:?}",
        heard.1
    );
    for phase in ["checking", "snapshotting", "looking up"] {
        let last = heard.1.iter().rev().find(|p| p.0 == phase).unwrap();
        assert_eq!(last.1, last.2, "{phase} ends done: {:?}", heard.1);
    }
    assert_eq!(
        heard.1.iter().find(|p| p.0 == "snapshotting").map(|p| p.2),
        Some(1)
    );
    // Its history is the binary's: `report` reads it.
    let (out, _, code) = citekeep(None, dir.path(), &["report", "--format", "json"]);
    assert_eq!(code, 0);
    assert!(out.contains("https://www.gov.uk/gone"), "{out}");
}

/// The issue-28 editor spot-checked one file (`check FILE`), and `report` then counted that
/// file's links alone and the archive browser showed one source until the next run. A spot
/// check records its checks and that file's citations; the other files' stay.
#[test]
fn a_spot_check_keeps_the_other_files_citations() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "site/a.md", "[a](https://www.gov.uk/alive)\n");
    write(
        dir.path(),
        "site/b.md",
        "[b](https://www.gov.uk/other) and [c](https://www.gov.uk/third)\n",
    );
    write(
        dir.path(),
        "config.toml",
        &format!("[site]\nsources = [\"site\"]\n{CHECK}"),
    );
    let (out, err, _) = citekeep(Some(&web), dir.path(), &["run"]);
    let summary = |dir: &Path| {
        let (json, err, code) = citekeep(None, dir, &["report", "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        (
            v["summary"]["links"].as_u64().unwrap(),
            v["summary"]["files"].as_u64().unwrap(),
        )
    };
    assert_eq!(summary(dir.path()), (3, 2), "{out}{err}");
    // The editor fixes a.md's link and spot-checks that file alone.
    write(
        dir.path(),
        "site/a.md",
        "[a](https://www.gov.uk/alive) and [d](https://www.gov.uk/fourth)\n",
    );
    let (out, err, code) = citekeep(Some(&web), dir.path(), &["check", "site/a.md"]);
    assert_eq!(code, 1, "the new link is dead: {out}{err}");
    assert!(out.contains("https://www.gov.uk/fourth"), "{out}");
    assert!(
        !out.contains("https://www.gov.uk/other"),
        "only a.md: {out}"
    );
    assert_eq!(summary(dir.path()), (4, 2), "b.md's citations stay");
    // The browser lists both sources.
    let server = crate::serve::serve(dir.path(), "127.0.0.1:0");
    let home = crate::serve::get(&server, "/", &[]).text();
    assert!(
        home.contains("site/a.md") && home.contains("site/b.md"),
        "{home}"
    );
    // A whole run forgets a file that is gone.
    std::fs::remove_file(dir.path().join("site/b.md")).unwrap();
    citekeep(Some(&web), dir.path(), &["run"]);
    assert_eq!(summary(dir.path()), (2, 1));
}

/// After `fix`, sources cite public archives' addresses (and authors cite some anyway):
/// the issue-28 run snapshotted eleven Wayback and archive.today replay pages into our own
/// archive. They are mementos already: checked, never captured again.
#[test]
fn a_cited_memento_is_checked_but_never_snapshotted() {
    let web = SimWeb::start(|host, path, _| match (host, path) {
        ("www.gov.uk", "/alive") => Behave::html("Alive", "A page that answers every night."),
        ("web.archive.org", "/web/20240102030405/https://www.gov.uk/report") => {
            Behave::html("Report", "The report as the Wayback Machine holds it.")
        }
        ("archive.ph", "/AbCd") => Behave::html("Report", "The report as archive.today holds it."),
        _ => Behave::status(404, &[], "<title>Not found</title>"),
    });
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "site/a.md",
        "[a](https://www.gov.uk/alive), [copy](https://web.archive.org/web/20240102030405/https://www.gov.uk/report) \
         and [another](https://archive.ph/AbCd)\n",
    );
    write(
        dir.path(),
        "config.toml",
        &format!("[site]\nsources = [\"site\"]\n{CHECK}"),
    );
    let (out, err, code) = citekeep(Some(&web), dir.path(), &["run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("2 public archive addresses cited: checked, not snapshotted"),
        "{err}"
    );
    assert!(!web.requests("archive.ph", "/AbCd").is_empty(), "checked");
    let index = std::fs::read_to_string(dir.path().join("archive/index.cdxj")).unwrap();
    assert!(index.contains("uk,gov)/alive"), "{index}");
    assert!(
        !index.contains("org,archive") && !index.contains("ph,archive"),
        "{index}"
    );
    // `archive` with the file named does the same.
    let (out, err, _) = citekeep(Some(&web), dir.path(), &["archive", "site/a.md"]);
    assert!(err.contains("not snapshotted"), "{out}{err}");
    let index = std::fs::read_to_string(dir.path().join("archive/index.cdxj")).unwrap();
    assert!(!index.contains("org,archive"), "{index}");
}

/// The issue-28 cron mail said "6 newly dead" and not which. The links that died are
/// listed under the summary line (with their places), up to a limit, then how many more.
#[test]
fn the_cron_mail_names_the_newly_dead_links() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    let mut md = String::from("[alive](https://www.gov.uk/alive)\n");
    for i in 0..25 {
        md.push_str(&format!("- [gone {i}](https://www.gov.uk/gone/{i:02})\n"));
    }
    md.push_str("Again: [gone](https://www.gov.uk/gone/00)\n");
    write(dir.path(), "site/a.md", &md);
    write(
        dir.path(),
        "config.toml",
        &format!(
            "[site]\nsources = [\"site\"]\n{CHECK}\n[verdict]\nstrikes = 1\ndays = 0\n\
             [archives]\nenabled = false\n"
        ),
    );
    let (out, err, code) = citekeep(Some(&web), dir.path(), &["run"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("25 newly dead"), "{out}");
    let listed: Vec<&str> = err.lines().filter(|l| l.contains("newly dead: ")).collect();
    assert_eq!(listed.len(), 21, "{err}");
    assert_eq!(
        listed[0],
        "citekeep: newly dead: https://www.gov.uk/gone/00 (404 Not Found) cited at \
         site/a.md:2:3, site/a.md:27:8"
    );
    assert!(listed[19].contains("https://www.gov.uk/gone/19"), "{err}");
    assert_eq!(
        listed[20],
        "citekeep: newly dead: 5 more (`citekeep report` lists them all)"
    );
    // The next night nothing new died: nothing listed.
    let (_, err, _) = citekeep(Some(&web), dir.path(), &["run"]);
    assert!(
        !err.contains("newly dead"),
        "nothing new the second night: {err}"
    );
}

/// A newcomer's set-up (issue 28): `init` in a site's git repository writes a config.toml
/// that the nightly job runs on, keeps the archive out of `git status`, and completions
/// and the manual page come from the command line's own definition.
#[test]
fn init_completions_and_the_manual() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status();
    write(dir.path(), "posts/a.md", "[a](https://www.gov.uk/alive)\n");
    write(dir.path(), "CNAME", "pauseai.info\n");
    let (out, err, code) = citekeep(None, dir.path(), &["init"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("sources: posts; base_url: https://pauseai.info, from CNAME"),
        "{out}"
    );
    let (out, err, code) = citekeep(None, dir.path(), &["init"]);
    assert_eq!(code, 2, "never over a config: {out}{err}");
    // Quick checks for the test: the documented config's politeness waits cut.
    let config = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        config
            .replace("host_interval = 250", "host_interval = 0")
            .replace("\nenabled = true\n", "\nenabled = false\n"),
    )
    .unwrap();
    let (out, err, code) = citekeep(Some(&web), dir.path(), &["run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 links: 1 checked (1 alive)"), "{out}");
    if git.is_ok_and(|s| s.success()) {
        let status = std::process::Command::new("git")
            .args(["status", "--porcelain"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let status = String::from_utf8_lossy(&status.stdout);
        assert!(!status.contains("archive"), "{status}");
        assert!(status.contains("?? .gitignore"), "{status}");
    }
    let (bash, _, code) = citekeep(None, dir.path(), &["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(
        bash.contains("_citekeep()") && bash.contains("lookup"),
        "{bash}"
    );
    let (man, _, code) = citekeep(None, dir.path(), &["man"]);
    assert_eq!(code, 0);
    assert!(
        man.starts_with(".ie") || man.contains(".TH citekeep"),
        "{man}"
    );
    assert!(man.contains("init"), "{man}");
}
