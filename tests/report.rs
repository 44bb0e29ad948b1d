//! `report`, the reports `run` writes, its exit codes, and `fix`, on a history of several
//! nightly runs days apart (simulated with `CITEKEEP_NOW`) through the simulated web:
//! links that die, recover, move, get blocked and drift.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::support::web::{Behave, SimWeb};
use crate::support::{stderr, stdout};

/// The fixture site: one Markdown page with every kind of citation, one HTML page.
const SOURCES_MD: &str = "\
---
title: Sources
---
# Sources

## Summits {#summits}

The [Bletchley declaration](https://www.gov.uk/bletchley \"Declaration\") was signed.
A [report that dies][r], cited twice: [the same report][r].
See <https://news.example/story> and https://blog.example/post.
![Chart of attendance](https://img.example/chart.png)

[r]: https://www.gov.uk/report

## Press {#press}

[Reuters on the summit](https://www.reuters.com/a) and [again](https://www.reuters.com/b).
[A page that moves](https://old.example/page), [an essay that drifts](https://drift.example/essay).
[A flaky server](https://flaky.example/x) and [\\<script\\>alert(1)\\</script\\> \\*x\\*](https://evil.example/a?q=%3Cb%3E).
";

const PAGE_HTML: &str = "<!doctype html>
<html><body><h1 id=\"top\">Background</h1>
<p>The <a href=\"https://www.gov.uk/report\">same report, from HTML</a>.</p>
</body></html>
";

/// Unix seconds of day `d` of the history, 03:00 UTC.
fn day(d: i64) -> String {
    (1_795_662_000 + d * 86_400).to_string()
}

/// What each URL does on day `d`.
fn behave(d: i64, host: &str, path: &str) -> Behave {
    let page = |title: &str, text: &str| Behave::html(title, text);
    let essay = "Frontier models should be paused until they can be shown safe, the essay \
                 argues, citing the summit declarations and the open letters of researchers.";
    match (host, path) {
        (_, p) if p.contains("citekeep-probe") => Behave::status(404, &[], "not found"),
        ("www.gov.uk", "/bletchley") => page(
            "The Bletchley Declaration",
            "Countries agreed on the risks of frontier AI at Bletchley Park.",
        ),
        ("www.gov.uk", "/report") if d == 0 => page(
            "Interim report on AI safety",
            "The interim report on the safety of advanced AI, published for the summit.",
        ),
        ("www.gov.uk", "/report") => Behave::status(404, &[], "<title>Page not found</title>"),
        ("news.example", "/story") if d == 1 => Behave::status(500, &[], "oops"),
        ("news.example", "/story") => page("Story", "A story about the summit and its guests."),
        ("blog.example", "/post") => page("Post", "A blog post that stays where it is."),
        ("img.example", "/chart.png") => Behave::Raw(
            200,
            vec![("content-type", "image/png".into())],
            b"\x89PNG\r\n\x1a\nchart".to_vec(),
        ),
        ("www.reuters.com", _) if d == 0 => page("Reuters", "An article about the summit."),
        ("www.reuters.com", _) => Behave::status(
            401,
            &[("x-datadome", "protected")],
            "Please enable JS and disable any ad blocker",
        ),
        ("old.example", "/page") if d >= 2 => {
            Behave::Redirect(301, "https://new.example/page".into())
        }
        ("old.example", "/page") | ("new.example", "/page") => {
            page("A page", "A page that will move to a new domain next week.")
        }
        ("drift.example", "/essay") if d >= 4 => page(
            "Essay",
            "Rewritten, nothing left. Contact the broker for offers on this premium name.",
        ),
        ("drift.example", "/essay") => page("Essay", essay),
        ("flaky.example", "/x") if (1..=2).contains(&d) => {
            Behave::status(503, &[], "Service Unavailable")
        }
        ("flaky.example", "/x") => page("Flaky", "Up again, as usual after maintenance."),
        ("evil.example", _) if d >= 4 => Behave::status(404, &[], "<script>alert(2)</script>"),
        ("evil.example", _) => page("Evil", "<script>alert(2)</script>"),
        _ => Behave::status(404, &[], "not found"),
    }
}

fn config(dir: &Path, extra: &str) {
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[site]\nsources = [\"site\"]\nbase_url = \"https://pauseai.info\"\n\n\
             [check]\ntimeout = 2\nconnect_timeout = 2\nretries = 0\nhost_interval = 10\n\
             contact = \"mailto:test@example.org\"\n\n\
             [report]\nfiles = [\"archive/reports/latest.html\", \"archive/reports/latest.json\"]\n\
             replay_url = \"https://archive.example.org/web/{{timestamp}}/{{url}}\"\n{extra}\n"
        ),
    )
    .unwrap();
}

fn citekeep(web: Option<&SimWeb>, dir: &Path, args: &[&str], now: Option<&str>) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
    cmd.current_dir(dir).args(args);
    if let Some(web) = web {
        for (k, v) in web.env() {
            cmd.env(k, v);
        }
    }
    match now {
        Some(now) => cmd.env("CITEKEEP_NOW", now),
        None => cmd.env_remove("CITEKEEP_NOW"),
    };
    cmd.env_remove("NO_COLOR");
    cmd.output().unwrap()
}

/// The history: nightly `run --all` on days 0, 1, 2, 4 and 5, with each run's exit code
/// and stdout.
struct History {
    dir: tempfile::TempDir,
    codes: Vec<(i64, i32, String)>,
}

fn history() -> &'static History {
    static HISTORY: OnceLock<History> = OnceLock::new();
    HISTORY.get_or_init(|| {
        let today = Arc::new(AtomicI64::new(0));
        let seen_day = today.clone();
        let web =
            SimWeb::start(move |host, path, _| behave(seen_day.load(Ordering::SeqCst), host, path));
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("site")).unwrap();
        std::fs::write(dir.path().join("site/sources.md"), SOURCES_MD).unwrap();
        std::fs::write(dir.path().join("site/page.html"), PAGE_HTML).unwrap();
        config(dir.path(), "");
        let mut codes = Vec::new();
        for d in [0, 1, 2, 4, 5] {
            today.store(d, Ordering::SeqCst);
            let out = citekeep(Some(&web), dir.path(), &["run", "--all"], Some(&day(d)));
            codes.push((d, out.status.code().unwrap_or(-1), stdout(&out)));
        }
        History { dir, codes }
    })
}

/// A copy of the history's folder, for tests that change it.
fn copy_of_history() -> tempfile::TempDir {
    let h = history();
    let dir = tempfile::tempdir().unwrap();
    copy_tree(h.dir.path(), dir.path());
    dir
}

/// Copies a site folder with its archive (not its lock).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else if entry.file_name() != "citekeep.lock" {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn report(format: &str, extra: &[&str]) -> String {
    let mut args = vec!["report", "--format", format];
    args.extend(extra);
    let out = citekeep(None, history().dir.path(), &args, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

/// Snapshot settings: the time a report was made (the one wall-clock time in it; the runs'
/// times are simulated) redacted.
fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r#""generated_at": "[^"]+""#, r#""generated_at": "[made]""#);
    s.add_filter(r"Made [0-9T:.Z-]+\.", "Made [made].");
    s.set_prepend_module_to_snapshot(false);
    s
}

#[test]
fn nightly_exit_codes_follow_fail_on() {
    let h = history();
    let codes: Vec<(i64, i32)> = h.codes.iter().map(|(d, c, _)| (*d, *c)).collect();
    // Day 4: the report is dead (3 strikes over 3 days): rot, exit 1. Other days: nothing
    // newly dead, exit 0 (fail_on = "new").
    assert_eq!(
        codes,
        [(0, 0), (1, 0), (2, 0), (4, 1), (5, 0)],
        "{:#?}",
        h.codes
    );
    // Without a terminal: one summary line on stdout, nothing else (no progress bar).
    for (_, _, out) in &h.codes {
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.starts_with("citekeep run: 11 links"), "{out}");
    }
    // The reports `[report] files` names were written by the last run.
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(h.dir.path().join("archive/reports/latest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["run"]["id"], 5);
    let html = std::fs::read_to_string(h.dir.path().join("archive/reports/latest.html")).unwrap();
    assert!(html.starts_with("<!doctype html>"), "{html}");

    // fail_on = "any": a dead link is still cited, so the next run exits 1; "never": 0.
    for (fail_on, want) in [("any", 1), ("never", 0)] {
        let dir = copy_of_history();
        config(dir.path(), &format!("fail_on = \"{fail_on}\"\n"));
        let web = SimWeb::start(|host, path, _| behave(6, host, path));
        let out = citekeep(Some(&web), dir.path(), &["run"], Some(&day(6)));
        assert_eq!(out.status.code(), Some(want), "{fail_on}: {}", stderr(&out));
    }
}

#[test]
fn report_json_says_what_changed() {
    let json: Value = serde_json::from_str(&report("json", &[])).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["run"]["id"], 5);
    assert_eq!(json["compared_to"]["id"], 4);
    let s = &json["summary"];
    assert_eq!(s["links"], 11, "{s}");
    assert_eq!(s["rotten"], 1, "{s}");
    assert_eq!(s["by_status"]["blocked"], 2, "{s}");
    let urls = |json: &Value, key: &str| -> Vec<String> {
        json["changes"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["url"].as_str().unwrap().to_string())
            .collect()
    };
    // Against run 4 (day 4): the evil page failed twice, nothing else changed.
    assert_eq!(urls(&json, "newly_rotten"), Vec::<String>::new());
    // Against run 1 (day 0, all alive): the report died, reuters put up a bot wall, the
    // page moved.
    let json: Value = serde_json::from_str(&report("json", &["--since", "1"])).unwrap();
    assert_eq!(json["compared_to"]["id"], 1);
    assert_eq!(urls(&json, "newly_rotten"), ["https://www.gov.uk/report"]);
    assert_eq!(
        urls(&json, "newly_blocked"),
        ["https://www.reuters.com/a", "https://www.reuters.com/b"]
    );
    assert_eq!(urls(&json, "newly_moved"), ["https://old.example/page"]);
    assert_eq!(urls(&json, "recovered"), Vec::<String>::new());
    // Against run 2 (day 1): the flaky server and the story failed then, answer now; the
    // page moved on day 2; reuters was blocked already.
    let json: Value = serde_json::from_str(&report("json", &["--since", "2"])).unwrap();
    assert_eq!(json["compared_to"]["id"], 2);
    assert_eq!(urls(&json, "newly_rotten"), ["https://www.gov.uk/report"]);
    assert_eq!(
        urls(&json, "recovered"),
        ["https://flaky.example/x", "https://news.example/story"]
    );
    assert_eq!(urls(&json, "newly_blocked"), Vec::<String>::new());
    assert_eq!(urls(&json, "newly_moved"), ["https://old.example/page"]);
    // By date: the last run on or before day 1's date is run 2.
    let json: Value = serde_json::from_str(&report("json", &["--since", "2026-11-27"])).unwrap();
    assert_eq!(json["compared_to"]["id"], 2);
    // The dead report, cited three times, with its archived copy from day 0.
    let problems: Vec<&Value> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["problems"].as_array().unwrap())
        .filter(|p| p["url"] == "https://www.gov.uk/report")
        .collect();
    assert_eq!(problems.len(), 3, "{problems:#?}");
    for p in problems {
        assert_eq!(p["verdict"], "dead");
        assert_eq!(p["strikes"], 4);
        assert_eq!(p["failing_since"], "2026-11-27T03:00:00Z");
        assert_eq!(
            p["copy"]["url"],
            "https://archive.example.org/web/20261126030000/https://www.gov.uk/report"
        );
    }
}

#[test]
fn report_formats_match_their_snapshots() {
    let settings = snapshot_settings();
    settings.bind(|| {
        // The latest run against the one before, where little changed...
        insta::assert_snapshot!("report_text", report("text", &[]));
        // ...and against day 1, where everything did: each format.
        let since = ["--since", "2"];
        insta::assert_snapshot!("report_since_text", report("text", &since));
        insta::assert_snapshot!("report_since_markdown", report("markdown", &since));
        insta::assert_snapshot!("report_since_json", report("json", &since));
        insta::assert_snapshot!("report_since_html", report("html", &since));
        insta::assert_snapshot!("report_since_junit", report("junit", &since));
    });
}

#[test]
fn reports_escape_what_they_echo() {
    // The link text is literally `<script>alert(1)</script> *x*`.
    let html = report("html", &[]);
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; *x*"),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");
    let md = report("markdown", &[]);
    assert!(!md.contains("<script>"), "{md}");
    let junit = report("junit", &[]);
    assert!(!junit.contains("<script>"), "{junit}");
    // A strict XML parse: well-formed whatever was echoed.
    let parsed = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.buffer.read())",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(junit.as_bytes())?;
            child.wait()
        })
        .unwrap();
    assert!(parsed.success(), "JUnit XML is not well-formed:\n{junit}");
}

#[test]
fn report_to_a_file_and_a_missing_store() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "");
    let out = citekeep(None, dir.path(), &["report"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no history yet"), "{}", stderr(&out));
    // An empty store (created, no run finished) is a clear message too.
    std::fs::create_dir_all(dir.path().join("archive")).unwrap();
    rusqlite::Connection::open(dir.path().join("archive/citekeep.db"))
        .unwrap()
        .execute_batch("CREATE TABLE x (y)")
        .unwrap();
    let out = citekeep(None, dir.path(), &["report"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no finished run"), "{}", stderr(&out));

    let target = dir.path().join("out/report.md");
    let out = citekeep(
        None,
        history().dir.path(),
        &["report", "--output", target.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let md = std::fs::read_to_string(&target).unwrap();
    assert!(md.starts_with("## citekeep report: run 5"), "{md}");
}

/// Chromium renders the HTML report: a screenshot is written and the page shows the rows.
#[test]
fn html_report_renders_in_chromium() {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("Chromium is installed (tests/run installs Debian's chromium)");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, report("html", &["--since", "2"])).unwrap();
    let shot = screenshot_path();
    let args = HEADLESS;
    let url = format!("file://{}", page.display());
    let out = std::process::Command::new(chromium)
        .args(args)
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1100,2600")
        .arg(&url)
        .output()
        .unwrap();
    let png = std::fs::read(&shot)
        .unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    // The DOM as Chromium parsed it holds the rows an editor needs.
    let out = std::process::Command::new(chromium)
        .args(args)
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile2").display()
        ))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("<h3>site/sources.md"), "{dom}");
    assert!(
        dom.contains(r#"<td class="num">9:3</td><td>report that dies"#),
        "{dom}"
    );
    assert!(dom.contains("reuters.com"), "{dom}");
    assert_eq!(dom.matches("<svg").count(), 2, "two charts");
    assert!(!dom.contains("<script"), "nothing echoed runs");
}

/// How the report tests start Chromium: headless, no sandbox (CI runs as root), nothing
/// fetched of its own.
const HEADLESS: [&str; 6] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--hide-scrollbars",
];

/// Where the screenshot goes: `target/report-screenshot.png`, kept for people to look at.
fn screenshot_path() -> PathBuf {
    crate::support::root().join("target/report-screenshot.png")
}

/// A public mirror of the archive at `archive.example.org` (the history's `replay_url`,
/// which `fix` writes): it holds the copy of `www.gov.uk/report` made on day 0 when
/// `holds` says so, and answers 404 for anything else.
fn mirror(holds: bool) -> SimWeb {
    SimWeb::start(move |host, path, _| match (host, path) {
        ("archive.example.org", "/web/20261126030000/https://www.gov.uk/report") if holds => {
            Behave::html(
                "Interim report on AI safety",
                "The interim report on the safety of advanced AI, published for the summit.",
            )
        }
        ("127.0.0.1", p) if holds && p.starts_with("/web/") => Behave::html(
            "Interim report on AI safety",
            "The interim report on the safety of advanced AI, published for the summit.",
        ),
        _ => Behave::status(404, &[], "<title>Not found</title><h1>Not found</h1>"),
    })
}

#[test]
fn fix_points_dead_citations_at_their_copies() {
    let dir = copy_of_history();
    let md = dir.path().join("site/sources.md");
    let html = dir.path().join("site/page.html");
    let web = mirror(true);
    // The diff, by default; nothing written.
    let out = citekeep(Some(&web), dir.path(), &["fix"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let diff = stdout(&out);
    let copy = "https://archive.example.org/web/20261126030000/https://www.gov.uk/report";
    assert!(
        diff.contains("--- a/site/page.html\n+++ b/site/page.html"),
        "{diff}"
    );
    assert!(
        diff.contains(&format!("-[r]: https://www.gov.uk/report\n+[r]: {copy}")),
        "{diff}"
    );
    assert_eq!(std::fs::read_to_string(&md).unwrap(), SOURCES_MD);

    let out = citekeep(Some(&web), dir.path(), &["fix", "--write"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("2 files written (2 citations fixed"),
        "{}",
        stdout(&out)
    );
    // Byte for byte the same outside the edited spans.
    assert_eq!(
        std::fs::read_to_string(&md).unwrap(),
        SOURCES_MD.replace("[r]: https://www.gov.uk/report", &format!("[r]: {copy}"))
    );
    assert_eq!(
        std::fs::read_to_string(&html).unwrap(),
        PAGE_HTML.replace(
            "<a href=\"https://www.gov.uk/report\">",
            &format!(
                "<a href=\"{copy}\" data-originalurl=\"https://www.gov.uk/report\" data-versiondate=\"2026-11-26\">"
            )
        )
    );
}

/// The issue-28 editor found a second `fix --write` failing with "changed since it was
/// scanned" for the very files it had written. The history records what fix wrote and the
/// files as written: a second fix has nothing left to do, says so, and exits 0.
#[test]
fn a_second_fix_with_nothing_left_to_fix_says_so_and_succeeds() {
    let dir = copy_of_history();
    let web = mirror(true);
    let out = citekeep(Some(&web), dir.path(), &["fix", "--write"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = std::fs::read_to_string(dir.path().join("site/sources.md")).unwrap();
    for args in [&["fix", "--write"][..], &["fix"][..]] {
        let out = citekeep(Some(&web), dir.path(), args, None);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("nothing to fix"),
            "{args:?}: {}",
            stdout(&out)
        );
        assert!(!stderr(&out).contains("changed since"), "{}", stderr(&out));
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("site/sources.md")).unwrap(),
        written
    );
    // A file changed by hand after the fix is still refused, naming it.
    std::fs::write(
        dir.path().join("site/sources.md"),
        format!("{written}\nA new line.\n"),
    )
    .unwrap();
    let out = citekeep(Some(&web), dir.path(), &["fix", "--moved", "--write"], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("site/sources.md: changed since it was scanned"),
        "{}",
        stderr(&out)
    );
}

/// After `fix`, the issue-28 editor's link page said "Cited in" over an empty list, and
/// nothing told what had become of the citation. The history knows what fix replaced: the
/// link page says where, when and with what, and the next report lists it once.
#[test]
fn the_history_knows_what_fix_replaced() {
    let dir = copy_of_history();
    let web = mirror(true);
    let fixed_at = (day(5).parse::<i64>().unwrap() + 3600).to_string();
    let out = citekeep(Some(&web), dir.path(), &["fix", "--write"], Some(&fixed_at));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let copy = "https://archive.example.org/web/20261126030000/https://www.gov.uk/report";
    // The nightly run after the fix: its report lists each replaced citation once.
    let night = SimWeb::start(|host, path, _| match host {
        "archive.example.org" if path == "/web/20261126030000/https://www.gov.uk/report" => {
            Behave::html(
                "Interim report on AI safety",
                "The interim report on the safety of advanced AI, published for the summit.",
            )
        }
        _ => behave(6, host, path),
    });
    let out = citekeep(Some(&night), dir.path(), &["run"], Some(&day(6)));
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    // The copy now cited is a memento (of our own archive's mirror): checked, not captured.
    let index = std::fs::read_to_string(dir.path().join("archive/index.cdxj")).unwrap();
    assert!(!index.contains("org,example,archive"), "{index}");
    let text = stdout(&citekeep(
        None,
        dir.path(),
        &["report", "--format", "text"],
        None,
    ));
    let section = text
        .split("Replaced by `fix`")
        .nth(1)
        .unwrap_or_else(|| panic!("no replaced section: {text}"));
    assert!(
        section.contains("site/sources.md:9:3  https://www.gov.uk/report")
            && section.contains(&format!("-> {copy} (archived copy on 2026-12-01)")),
        "{section}"
    );
    assert!(section.contains("site/page.html:"), "{section}");
    let json: Value = serde_json::from_str(&stdout(&citekeep(
        None,
        dir.path(),
        &["report", "--format", "json"],
        None,
    )))
    .unwrap();
    assert_eq!(json["replaced"].as_array().unwrap().len(), 2, "{json}");
    assert_eq!(json["replaced"][0]["with"], copy);
    // The link page, though no source cites the link now.
    let server = crate::serve::serve(dir.path(), "127.0.0.1:0");
    let page = (1..40)
        .map(|id| crate::serve::get(&server, &format!("/link/{id}"), &[]).text())
        .find(|p| p.contains(r#"<h1 class="url">https://www.gov.uk/report</h1>"#))
        .expect("the link's page");
    assert!(
        page.contains("replaced by <code>fix</code> on 2026-12-01 with"),
        "{page}"
    );
    assert!(page.contains(copy), "{page}");
    // A night later, it is said no more.
    let out = citekeep(Some(&night), dir.path(), &["run"], Some(&day(7)));
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stdout(&citekeep(
        None,
        dir.path(),
        &["report", "--format", "text"],
        None,
    ));
    assert!(!text.contains("Replaced by `fix`"), "{text}");
}

/// The issue-28 editor followed config.toml's own example, a Wayback template, and fix
/// wrote addresses built from our local capture time, which the archive answers 404. An
/// address made from `[fix] copy_url` is asked for first and written only when it opens.
#[test]
fn a_copy_url_that_does_not_open_is_never_written() {
    let dir = copy_of_history();
    let md = dir.path().join("site/sources.md");
    let web = mirror(false);
    let out = citekeep(Some(&web), dir.path(), &["fix", "--write"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&md).unwrap(), SOURCES_MD);
    assert!(
        stderr(&out).contains(
            "https://archive.example.org/web/20261126030000/https://www.gov.uk/report \
             ([fix] copy_url) does not open"
        ),
        "{}",
        stderr(&out)
    );
    assert!(
        !web.requests(
            "archive.example.org",
            "/web/20261126030000/https://www.gov.uk/report"
        )
        .is_empty(),
        "the address was asked for"
    );
}

/// The default replay address is this machine's: fix must not publish it in sources. Set
/// explicitly as `[fix] copy_url`, it is the user's choice. `-q` quiets fix's notes.
#[test]
fn fix_never_writes_a_loopback_address_unless_told_to() {
    let dir = copy_of_history();
    let md = dir.path().join("site/sources.md");
    let local_config = |extra: &str| {
        std::fs::write(
            dir.path().join("config.toml"),
            format!("[site]\nsources = [\"site\"]\nbase_url = \"https://pauseai.info\"\n{extra}\n"),
        )
        .unwrap();
    };
    local_config("");
    let out = citekeep(None, dir.path(), &["fix", "--write"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&md).unwrap(), SOURCES_MD);
    assert!(stdout(&out).contains("nothing to fix"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("only served on this machine"),
        "{}",
        stderr(&out)
    );
    // -q: no notes, the one-line result only.
    let out = citekeep(None, dir.path(), &["-q", "fix", "--write"], None);
    assert_eq!(stderr(&out), "");
    // A private address is refused as well as loopback.
    local_config("[report]\nreplay_url = \"http://192.168.1.5:8080/web/{timestamp}/{url}\"");
    let out = citekeep(None, dir.path(), &["fix", "--write"], None);
    assert_eq!(
        std::fs::read_to_string(&md).unwrap(),
        SOURCES_MD,
        "{}",
        stderr(&out)
    );
    // Said explicitly, it is written (once it opens: a mirror on this machine).
    let web = mirror(true);
    let port = web.addr().rsplit(':').next().unwrap().to_string();
    local_config(&format!(
        "[fix]\ncopy_url = \"http://127.0.0.1:{port}/web/{{timestamp}}/{{url}}\""
    ));
    let out = citekeep(Some(&web), dir.path(), &["fix", "--write"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(&md).unwrap().contains(&format!(
            "[r]: http://127.0.0.1:{port}/web/20261126030000/https://www.gov.uk/report"
        )),
        "{}",
        stderr(&out)
    );
}

/// `report -o` refuses a name whose format it cannot tell, and `--since` a date before the
/// first run says there is nothing that old instead of comparing with nothing.
#[test]
fn report_refuses_unknown_extensions_and_says_when_since_is_too_early() {
    let dir = copy_of_history();
    let out = citekeep(None, dir.path(), &["report", "-o", "r.pdf"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("r.pdf") && stderr(&out).contains(".html"));
    assert!(!dir.path().join("r.pdf").exists());
    let out = citekeep(
        None,
        dir.path(),
        &["report", "--format", "text", "-o", "r.pdf"],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "an explicit format is the user's choice"
    );
    let out = citekeep(None, dir.path(), &["report", "--since", "2020-01-01"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no run on or before 2020-01-01"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn fix_moved_and_append_style() {
    let dir = copy_of_history();
    config(dir.path(), "\n[fix]\nstyle = \"append\"\n");
    let md = dir.path().join("site/sources.md");
    let web = mirror(true);
    let out = citekeep(
        Some(&web),
        dir.path(),
        &["fix", "--write", "--moved", "site/sources.md"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let copy = "https://archive.example.org/web/20261126030000/https://www.gov.uk/report";
    assert_eq!(
        std::fs::read_to_string(&md).unwrap(),
        SOURCES_MD
            .replace("[r]: https://www.gov.uk/report", &format!("[r]: {copy}"))
            .replace("https://old.example/page", "https://new.example/page")
    );
    // page.html was not asked for.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("site/page.html")).unwrap(),
        PAGE_HTML
    );
}

#[test]
fn fix_refuses_a_file_changed_since_the_scan() {
    let dir = copy_of_history();
    let md = dir.path().join("site/sources.md");
    let edited = format!("An editor's new first line.\n{SOURCES_MD}");
    std::fs::write(&md, &edited).unwrap();
    let web = mirror(true);
    let out = citekeep(Some(&web), dir.path(), &["fix", "--write"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("site/sources.md: changed since it was scanned"),
        "{err}"
    );
    // The editor's change is kept; the other file is still fixed.
    assert_eq!(std::fs::read_to_string(&md).unwrap(), edited);
    assert!(
        std::fs::read_to_string(dir.path().join("site/page.html"))
            .unwrap()
            .contains("data-originalurl")
    );
}

/// Every kind of citation, dead after one failed check, fixed in both styles.
#[test]
fn fix_every_citation_kind() {
    const MD: &str = "\
# Kinds

Inline [a](https://dead.example/inline) and titled [b](https://dead.example/titled \"T\").
Angle [c](<https://dead.example/angle>), reference [d][ref], collapsed [ref][].
Autolink <https://dead.example/auto>, bare https://dead.example/bare.
![image](https://dead.example/image.png)
A footnote.[^1]
<a href=\"https://dead.example/html\">raw</a> <blockquote cite='https://dead.example/cite'>q</blockquote>

[ref]: https://dead.example/ref
[^1]: See https://dead.example/footnote for more.
";
    const HTML: &str = "<p><a href=\"https://dead.example/page?a=1&amp;b=2\">page</a></p>\n";
    const TXT: &str = "https://dead.example/list\n";
    let alive = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let up = alive.clone();
    // The archive's public mirror holds every copy fix writes.
    let web = SimWeb::start(move |host, path, _| {
        let mirror = host == "archive.example.org";
        if mirror || (up.load(Ordering::SeqCst) && !path.contains("citekeep-probe")) {
            Behave::html("Page", &format!("The page at {path}, as it was cited."))
        } else {
            Behave::status(404, &[], "not found")
        }
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    std::fs::write(dir.path().join("site/kinds.md"), MD).unwrap();
    std::fs::write(dir.path().join("site/page.html"), HTML).unwrap();
    std::fs::write(dir.path().join("site/list.txt"), TXT).unwrap();
    config(dir.path(), "\n[verdict]\nstrikes = 1\ndays = 0\n");
    let out = citekeep(Some(&web), dir.path(), &["run"], Some(&day(0)));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    alive.store(false, Ordering::SeqCst);
    let out = citekeep(Some(&web), dir.path(), &["run", "--all"], Some(&day(1)));
    assert_eq!(
        out.status.code(),
        Some(1),
        "all newly dead: {}",
        stderr(&out)
    );

    let c = |path: &str| {
        format!("https://archive.example.org/web/20261126030000/https://dead.example/{path}")
    };
    let link = |path: &str| format!(" ([archived copy]({}))", c(path));
    let original = |path: &str| format!("https://dead.example/{path}");
    let read =
        |dir: &Path, name: &str| std::fs::read_to_string(dir.join("site").join(name)).unwrap();

    // Append: each URL stays, with a link to its copy after it; a definition and a URL list
    // hold one URL, so they point to the copy; HTML gets Robust Links attributes.
    let before = tempfile::tempdir().unwrap();
    copy_tree(dir.path(), before.path());
    config(
        dir.path(),
        "\n[verdict]\nstrikes = 1\ndays = 0\n[fix]\nstyle = \"append\"\n",
    );
    let out = citekeep(Some(&web), dir.path(), &["fix", "--write"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let robust = |path: &str, quote: char| {
        format!(
            "{quote} data-versionurl=\"{}\" data-versiondate=\"2026-11-26\"",
            c(path)
        )
    };
    let expected = MD
        .replace(
            "(https://dead.example/inline)",
            &format!("({}){}", original("inline"), link("inline")),
        )
        .replace("\"T\")", &format!("\"T\"){}", link("titled")))
        .replace("angle>)", &format!("angle>){}", link("angle")))
        .replace("auto>", &format!("auto>{}", link("auto")))
        .replace("bare.", &format!("bare{}.", link("bare")))
        .replace("image.png)", &format!("image.png){}", link("image.png")))
        .replace("html\"", &format!("html{}", robust("html", '"')))
        .replace("cite'", &format!("cite{}", robust("cite", '\'')))
        .replace("]: https://dead.example/ref", &format!("]: {}", c("ref")))
        .replace("footnote for", &format!("footnote{} for", link("footnote")));
    assert_eq!(read(dir.path(), "kinds.md"), expected);
    assert_eq!(read(dir.path(), "list.txt"), format!("{}\n", c("list")));
    assert_eq!(
        read(dir.path(), "page.html"),
        HTML.replace(
            "b=2\"",
            "b=2\" data-versionurl=\"https://archive.example.org/web/20261126030000/https://dead.example/page?a=1&amp;b=2\" data-versiondate=\"2026-11-26\""
        )
    );

    // Replace: each URL becomes its copy's; a bare one becomes an autolink; HTML keeps the
    // original in data-originalurl.
    let dir = before;
    config(dir.path(), "\n[verdict]\nstrikes = 1\ndays = 0\n");
    let out = citekeep(Some(&web), dir.path(), &["fix", "--write"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let expected = "\
# Kinds

Inline [a](C/inline) and titled [b](C/titled \"T\").
Angle [c](<C/angle>), reference [d][ref], collapsed [ref][].
Autolink <C/auto>, bare <C/bare>.
![image](C/image.png)
A footnote.[^1]
<a href=\"C/html\" data-originalurl=\"https://dead.example/html\" data-versiondate=\"2026-11-26\">raw</a> <blockquote cite='C/cite' data-originalurl=\"https://dead.example/cite\" data-versiondate=\"2026-11-26\">q</blockquote>

[ref]: C/ref
[^1]: See <C/footnote> for more.
"
    .replace("C/", &c(""));
    assert_eq!(read(dir.path(), "kinds.md"), expected);
}

/// Not a test of the project: the seed page of `../shared` (when present) as a new user
/// would try it, nightly runs days apart through a simulated web where two cited pages
/// vanish after the first night; then `report` and `fix`, printed for a person to read.
/// Run with `cargo test --test tests trial_seed_page -- --ignored --nocapture`.
#[test]
#[ignore]
fn trial_seed_page() {
    let seed = crate::support::root().join("../shared/seeds/summit-nl.md");
    let Ok(page) = std::fs::read_to_string(&seed) else {
        eprintln!("no {}: nothing to try", seed.display());
        return;
    };
    let today = Arc::new(AtomicI64::new(0));
    let seen_day = today.clone();
    let web = SimWeb::start(move |host, path, _| {
        let d = seen_day.load(Ordering::SeqCst);
        let html = |t: &str| {
            Behave::html(
                t,
                &format!("The article {t} in full, as published on {host}."),
            )
        };
        let probe = path.contains("citekeep-probe");
        match host {
            _ if probe => Behave::status(404, &[], "<title>Not found</title>"),
            "www.gov.uk" if path.starts_with("/government/news/uk-and-republic-of-korea") => {
                Behave::Redirect(
                    301,
                    format!(
                        "https://webarchive.nationalarchives.gov.uk/ukgwa/20240601000000/https://www.gov.uk{path}"
                    ),
                )
            }
            // The Seoul statement is withdrawn after the first night.
            "www.gov.uk" if path.contains("seoul-ministerial-statement") && d >= 1 => {
                Behave::status(
                    410,
                    &[],
                    "<title>This page has been withdrawn - GOV.UK</title>",
                )
            }
            "www.gov.uk" | "webarchive.nationalarchives.gov.uk" => html("GOV.UK page"),
            "www.bracknellnews.co.uk" if path != "/" => {
                Behave::Redirect(301, "https://www.bracknellnews.co.uk/".into())
            }
            "www.bracknellnews.co.uk" => html("Bracknell News"),
            "www.reuters.com" => Behave::status(401, &[("x-datadome", "protected")], "captcha"),
            "www.politico.eu" => {
                Behave::status(403, &[("cf-mitigated", "challenge")], "Just a moment...")
            }
            "www.commerce.gov" => Behave::status(
                404,
                &[],
                "<title>Page Not Found | U.S. Department of Commerce</title>",
            ),
            // The post is deleted after the first night.
            "x.com" if d >= 1 => Behave::status(404, &[], "<title>Page not found / X</title>"),
            "x.com" => html("Yi Zeng on X"),
            "www.aisi.gov.uk" if path.starts_with("/work/conference") => Behave::Redirect(
                301,
                "/events/conference-on-frontier-ai-safety-frameworks".into(),
            ),
            "www.aisi.gov.uk" if path == "/events/conference-on-frontier-ai-safety-frameworks" => {
                html("AISI conference")
            }
            "legrandcontinent-eu.translate.goog" => Behave::status(503, &[], "Service Unavailable"),
            "thezvi.substack.com" => html("The Paris AI Anti-Safety Summit"),
            "aiforgood.itu.int" => Behave::Hang,
            _ => Behave::status(404, &[], "<title>Not found</title>"),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    std::fs::write(dir.path().join("site/summit-nl.md"), &page).unwrap();
    config(dir.path(), "");
    let show = |what: &str, out: &Output| {
        println!(
            "$ {what}\n{}{}(exit {:?})\n",
            stdout(out),
            stderr(out),
            out.status.code()
        );
    };
    // Two nightly runs a day apart, then what an editor would read and do.
    for d in [0, 1] {
        today.store(d, Ordering::SeqCst);
        show(
            &format!("citekeep run   # day {d}"),
            &citekeep(Some(&web), dir.path(), &["run"], Some(&day(d))),
        );
    }
    show(
        "citekeep report",
        &citekeep(None, dir.path(), &["report"], Some(&day(1))),
    );
    show(
        "citekeep fix",
        &citekeep(None, dir.path(), &["fix"], Some(&day(1))),
    );
    // A week of nights: each page is rechecked on its day, the failures are confirmed, and
    // fix has copies to point to.
    for d in 3..=8 {
        today.store(d, Ordering::SeqCst);
        show(
            &format!("citekeep run   # day {d}"),
            &citekeep(Some(&web), dir.path(), &["run"], Some(&day(d))),
        );
    }
    show(
        "citekeep report",
        &citekeep(None, dir.path(), &["report"], Some(&day(8))),
    );
    show(
        "citekeep fix",
        &citekeep(None, dir.path(), &["fix"], Some(&day(8))),
    );

    // Then the archive browser, as a researcher would open it: pages as text.
    let server = crate::serve::serve(dir.path(), "127.0.0.1:0");
    let as_text = |html: &str| -> String {
        let mut out = String::new();
        let mut in_tag = false;
        let html = html
            .replace("</tr>", "\n")
            .replace("</p>", "\n")
            .replace("</h2>", "\n");
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        let lines: Vec<&str> = out
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        lines.join("\n")
    };
    let x = "https://x.com/yi_zeng/status/1831133250946838740";
    for path in [
        "/".to_string(),
        "/source?file=site/summit-nl.md".to_string(),
        "/search?q=Seoul".to_string(),
        format!("/timemap/link/{x}"),
        format!("/web/2026/{x}"),
        format!("/web/20261126030000/{x}"),
    ] {
        let a = crate::serve::get(&server, &path, &[]);
        let body = if path.starts_with("/timemap") {
            a.text()
        } else {
            as_text(&a.text())
        };
        println!("$ GET {path}  ({})\n{body}\n", a.status);
    }
}

/// Not a test of the project: the HTML report and a link page with long URLs, as an editor
/// and a researcher see them at 1280 and 390 px wide, written to `target/look-*.png` for a
/// person to look at. Run with `cargo test --test tests look_at_long_urls -- --ignored`.
#[test]
#[ignore]
fn look_at_long_urls() {
    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok()
        })
        .expect("Chromium");
    let dir = copy_of_history();
    let long = "https://www.gov.uk/government/publications/frontier-ai-capabilities-and-risks-discussion-paper/frontier-ai-capabilities-and-risks-discussion-paper-annex-a-technical-background?utm_campaign=newsletter&section=annex-a";
    let md = dir.path().join("site/sources.md");
    let text = std::fs::read_to_string(&md).unwrap();
    std::fs::write(
        &md,
        format!("{text}\nA [very long citation]({long}) and [its copy](https://web.archive.org/web/20240101000000/{long}).\n"),
    )
    .unwrap();
    let night = SimWeb::start(move |host, path, _| match host {
        "web.archive.org" => Behave::status(404, &[], "<title>Not found</title>"),
        "www.gov.uk" if path.starts_with("/government/publications/frontier") => {
            Behave::status(404, &[], "<title>Page not found - GOV.UK</title>")
        }
        _ => behave(6, host, path),
    });
    for d in [6, 7, 8, 9] {
        citekeep(Some(&night), dir.path(), &["run", "--all"], Some(&day(d)));
    }
    let report = dir.path().join("report.html");
    let out = citekeep(None, dir.path(), &["report", "-o", "report.html"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let server = crate::serve::serve(dir.path(), "127.0.0.1:0");
    let link = (1..40)
        .map(|id| format!("{}/link/{id}", server.base))
        .find(|u| {
            crate::serve::get(&server, &u[server.base.len()..], &[])
                .text()
                .contains("frontier-ai-capabilities")
        })
        .unwrap();
    for (name, url) in [
        ("report", format!("file://{}", report.display())),
        ("link", link),
    ] {
        for width in [1280, 390] {
            let shot = crate::support::root().join(format!("target/look-{name}-{width}.png"));
            let profile = tempfile::tempdir().unwrap();
            std::process::Command::new(chromium)
                .args(HEADLESS)
                .arg(format!("--user-data-dir={}", profile.path().display()))
                .arg(format!("--screenshot={}", shot.display()))
                .arg(format!("--window-size={width},2400"))
                .arg(&url)
                .output()
                .unwrap();
            println!("{}", shot.display());
        }
    }
}
