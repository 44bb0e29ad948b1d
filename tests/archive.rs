//! Snapshots: `citekeep archive` and `run` write WARC/1.1 files that independent tools accept
//! (`warcio check`), an index equal to `cdxj-indexer`'s, revisits instead of second copies,
//! and bodies exactly as the server sent them.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use crate::support::web::{Behave, SimWeb};
use crate::support::{citekeep_on, site_dir, stderr, stdout};

fn gzipped(text: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

fn web() -> SimWeb {
    SimWeb::start(|host, path, _| match (host, path) {
        ("www.gov.uk", "/page") => Behave::Page(
            200,
            vec![("content-type", "text/html".into())],
            concat!(
                "<html><head><title>The Bletchley Declaration</title>",
                "<link rel=stylesheet href=/assets/site.css></head><body>",
                "<img src=\"//assets.publishing.service.gov.uk/logo.png\">",
                "<p>Signed by 28 countries.</p></body></html>"
            )
            .into(),
        ),
        ("www.gov.uk", "/assets/site.css") => Behave::Raw(
            200,
            vec![("content-type", "text/css".into())],
            b"@font-face { src: url(fonts/gds.woff2) } body { background: url(/assets/bg.png) }"
                .to_vec(),
        ),
        ("www.gov.uk", "/assets/fonts/gds.woff2") => Behave::Raw(
            200,
            vec![("content-type", "font/woff2".into())],
            b"wOF2font".to_vec(),
        ),
        ("www.gov.uk", "/assets/bg.png") | ("assets.publishing.service.gov.uk", "/logo.png") => {
            Behave::Raw(
                200,
                vec![("content-type", "image/png".into())],
                b"PNG image".to_vec(),
            )
        }
        ("www.gov.uk", "/gzipped") => Behave::Raw(
            200,
            vec![
                ("content-type", "text/html".into()),
                ("content-encoding", "gzip".into()),
            ],
            gzipped(
                "<html><head><title>Compressed</title></head><body>Sent gzip-encoded.</body></html>",
            ),
        ),
        ("www.gov.uk", "/chunked") => Behave::Chunked(
            vec![("content-type", "text/html".into())],
            vec![
                b"<html><body><p>Sent in ".to_vec(),
                b"three chunks".to_vec(),
                b".</p></body></html>".to_vec(),
            ],
        ),
        ("www.gov.uk", "/old") => Behave::Redirect(301, "https://www.gov.uk/new".into()),
        ("www.gov.uk", "/new") => Behave::html("New home", "The page after its move."),
        ("www.gov.uk", "/report.pdf") => Behave::Raw(
            200,
            vec![("content-type", "application/pdf".into())],
            b"%PDF-1.7 report".to_vec(),
        ),
        _ => Behave::status(404, &[], "<title>Not found</title>"),
    })
}

fn citekeep(web: &SimWeb, dir: &Path, args: &[&str]) -> (String, String, i32) {
    citekeep_on(Some(web), dir, args)
}

/// Starts citekeep with `args` in `dir` and kills it (SIGKILL) after `delay_ms`.
fn kill_after(web: &SimWeb, dir: &Path, args: &[&str], delay_ms: u64) {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("citekeep"));
    cmd.current_dir(dir).args(args);
    for (k, v) in web.env() {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(delay_ms));
    let _ = child.kill();
    let _ = child.wait();
}

fn setup(dir: &Path) {
    std::fs::create_dir_all(dir.join("site")).unwrap();
    std::fs::write(
        dir.join("site/page.md"),
        "[a](https://www.gov.uk/page) [b](https://www.gov.uk/gzipped) [c](https://www.gov.uk/old) \
         [d](https://www.gov.uk/report.pdf) [gone](https://www.gov.uk/missing)\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "[site]\nsources = [\"site\"]\n[check]\nhost_interval = 0\nretries = 0\n[archive]\ndir = \"archive\"\n",
    )
    .unwrap();
}

fn warc_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("archive/warc"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// Runs an independent validator; a missing tool is a failure (`tests/run` installs them).
pub(crate) fn tool(name: &str, args: &[&str], dir: &Path) -> String {
    let out = Command::new(name)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{name} is needed: run the tests with `tests/run`, which installs it \
                 (or pip install warcio cdxj-indexer wacz pywb): {e}"
            )
        });
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}{}",
        stdout_of(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout_of(&out)
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every WARC passes `warcio check`, and our index equals cdxj-indexer's (sorted) line for line.
pub(crate) fn validate(dir: &Path) {
    let warc_dir = dir.join("archive/warc");
    let files: Vec<String> = warc_files(dir)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    let mut check_args = vec!["check", "-v"];
    check_args.extend(&names);
    tool("warcio", &check_args, &warc_dir);
    let theirs = tool("cdxj-indexer", &names, &warc_dir);
    let mut theirs: Vec<&str> = theirs.lines().filter(|l| !l.is_empty()).collect();
    theirs.sort();
    let ours = std::fs::read_to_string(dir.join("archive/index.cdxj")).unwrap();
    let ours: Vec<&str> = ours.lines().collect();
    pretty_assertions::assert_eq!(ours, theirs);
}

/// No capture is recorded twice in the history.
fn assert_no_capture_twice(dir: &Path) {
    let conn = rusqlite::Connection::open(dir.join("archive/citekeep.db")).unwrap();
    let dupes: i64 = conn
        .query_row(
            "SELECT count(*) - count(DISTINCT filename || ':' || offset) FROM snapshots",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(dupes, 0);
}

pub(crate) fn records(dir: &Path) -> Vec<citekeep::archive::warc::Record> {
    warc_files(dir)
        .iter()
        .flat_map(|p| citekeep::archive::warc::read_all(p).unwrap())
        .map(|(_, r)| r)
        .collect()
}

#[test]
fn snapshots_are_valid_warcs_indexed_as_cdxj_indexer_does() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let (_, err, _) = citekeep(&web, dir.path(), &["check"]);
    assert!(!err.contains("error"), "{err}");
    let (out, err, code) = citekeep(&web, dir.path(), &["archive"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("4 pages snapshotted"), "{out}");
    validate(dir.path());

    let recs = records(dir.path());
    assert_eq!(recs[0].kind, "warcinfo");
    let responses: Vec<_> = recs.iter().filter(|r| r.kind == "response").collect();
    // page, gzipped, old (301), new, report.pdf, and the page's requisites: its stylesheet,
    // the logo on another host, and the font and background image the stylesheet names.
    // The 404 was never archived.
    assert_eq!(
        responses.len(),
        9,
        "{:?}",
        responses
            .iter()
            .map(|r| r.field("WARC-Target-URI"))
            .collect::<Vec<_>>()
    );
    // Each response has its request, linked by WARC-Concurrent-To.
    for r in &responses {
        let id = r.field("WARC-Record-ID").unwrap();
        assert!(
            recs.iter()
                .any(|q| q.kind == "request" && q.field("WARC-Concurrent-To") == Some(id))
        );
    }
    // The gzip body is stored as sent, and its payload digest is over those bytes.
    let gz = responses
        .iter()
        .find(|r| r.field("WARC-Target-URI") == Some("https://www.gov.uk/gzipped"))
        .unwrap();
    let sent = gzipped(
        "<html><head><title>Compressed</title></head><body>Sent gzip-encoded.</body></html>",
    );
    assert!(gz.block.ends_with(&sent));
    assert_eq!(
        gz.field("WARC-Payload-Digest"),
        Some(citekeep::archive::warc::sha1_digest(&sent).as_str())
    );

    // Every snapshot is linked to its link's check.
    let conn = rusqlite::Connection::open(dir.path().join("archive/citekeep.db")).unwrap();
    let unlinked: i64 = conn
        .query_row(
            "SELECT count(*) FROM snapshots WHERE check_id IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unlinked, 0);

    // An independent Rust reader (the `warc` crate) reads every record back, bodies included.
    for file in warc_files(dir.path()) {
        let reader = warc::WarcReader::from_path_gzip(&file).unwrap();
        let theirs: Vec<(String, Vec<u8>)> = reader
            .iter_records()
            .map(|r| {
                let r = r.unwrap();
                (r.warc_type().to_string(), r.body().to_vec())
            })
            .collect();
        let ours: Vec<(String, Vec<u8>)> = citekeep::archive::warc::read_all(&file)
            .unwrap()
            .into_iter()
            .map(|(_, r)| (r.kind, r.block))
            .collect();
        assert_eq!(theirs, ours);
    }

    // A second pass finds nothing changed: revisits, not second copies.
    let (out, err, code) = citekeep(&web, dir.path(), &["archive"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("4 pages snapshotted (0 new, 4 unchanged), 4 page requisites"),
        "{out}"
    );
    let recs = records(dir.path());
    assert_eq!(recs.iter().filter(|r| r.kind == "response").count(), 9);
    let revisits: Vec<_> = recs.iter().filter(|r| r.kind == "revisit").collect();
    assert_eq!(revisits.len(), 9);
    for r in &revisits {
        assert_eq!(
            r.field("WARC-Profile"),
            Some("http://netpreserve.org/warc/1.1/revisit/identical-payload-digest")
        );
        let refers = r.field("WARC-Refers-To").unwrap();
        assert!(
            recs.iter()
                .any(|o| o.kind == "response" && o.field("WARC-Record-ID") == Some(refers))
        );
    }
    validate(dir.path());
}

#[test]
fn run_snapshots_what_it_found_alive() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let (out, err, code) = citekeep(&web, dir.path(), &["run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("citekeep run: 5 links: 5 checked"), "{out}");
    assert!(
        out.contains("4 pages snapshotted (4 new, 0 unchanged), 4 page requisites"),
        "{out}{err}"
    );
    validate(dir.path());
}

#[test]
fn leftovers_of_a_killed_run_are_cut_and_files_store_and_index_agree() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    citekeep(&web, dir.path(), &["check"]);
    let (out, err, code) = citekeep(&web, dir.path(), &["archive"]);
    assert_eq!(code, 0, "{out}{err}");
    let file = warc_files(dir.path()).pop().unwrap();
    let recorded = std::fs::metadata(&file).unwrap().len();
    let before = records(dir.path()).len();
    // What a run killed mid-write leaves: a complete record it never recorded, then half a
    // gzip member.
    {
        let mut w = citekeep::archive::warc::WarcWriter::open_at_end(&file).unwrap();
        w.write(&citekeep::archive::warc::Record {
            kind: "response".into(),
            fields: vec![("WARC-Target-URI".into(), "https://www.gov.uk/orphan".into())],
            block: b"HTTP/1.1 200 OK\r\n\r\norphan".to_vec(),
        })
        .unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap();
        f.write_all(&gzipped("WARC/1.1\r\nWARC-Type: resp")[..20])
            .unwrap();
    }
    let (out, err, code) = citekeep(&web, dir.path(), &["archive"]);
    assert_eq!(code, 0, "{out}{err}");
    let recs = records(dir.path());
    assert!(
        !recs
            .iter()
            .any(|r| r.field("WARC-Target-URI") == Some("https://www.gov.uk/orphan"))
    );
    // The second pass appended after the recorded captures: 9 revisits and their requests.
    assert_eq!(recs.len(), before + 18);
    assert!(std::fs::metadata(&file).unwrap().len() > recorded);
    validate(dir.path());
}

#[test]
fn kill_9_at_random_moments_never_breaks_the_archive() {
    // Many pages, so that some kills land while records are being written.
    let web =
        SimWeb::start(|_, path, _| Behave::html("Page", &format!("The page at {path}, captured.")));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    let page: String = (0..120)
        .map(|i| format!("[p{i}](https://www.example{}.org/p{i})\n", i % 6))
        .collect();
    std::fs::write(dir.path().join("site/page.md"), page).unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[site]\nsources = [\"site\"]\n[check]\nhost_interval = 0\nper_host = 8\nsoft404_probe = false\n[archive]\ndir = \"archive\"\n",
    )
    .unwrap();
    citekeep(&web, dir.path(), &["check"]);
    for delay_ms in [5u64, 40, 90, 150, 220, 300] {
        kill_after(&web, dir.path(), &["archive"], delay_ms);
        // The next run completes, and everything agrees.
        let (out, err, code) = citekeep(&web, dir.path(), &["archive"]);
        assert_eq!(code, 0, "after a kill at {delay_ms} ms: {out}{err}");
        validate(dir.path());
        assert_no_capture_twice(dir.path());
        assert_no_snapshot_debt(dir.path());
    }
}

/// A moved link and an alive link that lead to the same page: each requisite of the page
/// is fetched once in the run, not once per link.
#[test]
fn a_page_reached_by_two_links_fetches_its_requisites_once() {
    let web = SimWeb::start(|_, path, _| match path {
        "/article" => Behave::Page(
            200,
            vec![("content-type", "text/html".into())],
            "<html><head><title>Article</title><link rel=stylesheet href=/site.css></head>\
             <body><img src=/chart.png><p>The article's text.</p></body></html>"
                .into(),
        ),
        "/old-article" => Behave::Redirect(301, "/article".into()),
        "/site.css" => Behave::Raw(
            200,
            vec![("content-type", "text/css".into())],
            b"body { background: url(/bg.png) }".to_vec(),
        ),
        _ => Behave::Raw(
            200,
            vec![("content-type", "image/png".into())],
            b"PNG".to_vec(),
        ),
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    std::fs::write(
        dir.path().join("site/page.md"),
        "[now](https://news.example/article) [then](https://news.example/old-article)\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[site]\nsources = [\"site\"]\n[check]\nhost_interval = 0\nsoft404_probe = false\n",
    )
    .unwrap();
    let (out, err, code) = citekeep(&web, dir.path(), &["run"]);
    assert_eq!(code, 0, "{out}{err}");
    for requisite in ["/site.css", "/chart.png", "/bg.png"] {
        assert_eq!(
            web.requests("news.example", requisite).len(),
            1,
            "{requisite} fetched more than once: {out}"
        );
    }
    validate(dir.path());
}

/// Two page requisites over a megabyte each (the size past which few bodies are held at
/// once) in one capture: the capture completes; it hung forever, waiting for the place
/// its own first large body held. The test fails by its time limit, not by hanging CI.
#[test]
fn two_large_requisites_in_one_capture_do_not_deadlock() {
    let big = |byte: u8| vec![byte; 1_500_000];
    let web = SimWeb::start(move |_, path, _| match path {
        "/page" => Behave::Page(
            200,
            vec![("content-type", "text/html".into())],
            "<html><head><title>Big</title></head><body><img src=/one.png><img src=/two.png>\
             <p>A page with two large images.</p></body></html>"
                .into(),
        ),
        "/big-page" => Behave::Page(
            200,
            vec![("content-type", "text/html".into())],
            format!(
                "<html><body><img src=/one.png><p>{}</p></body></html>",
                "Long text. ".repeat(150_000)
            ),
        ),
        _ => Behave::Raw(200, vec![("content-type", "image/png".into())], big(b'x')),
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    std::fs::write(
        dir.path().join("site/page.md"),
        "[a](https://big.example/page) [b](https://other.example/big-page)\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[site]\nsources = [\"site\"]\n[check]\nhost_interval = 0\nsoft404_probe = false\n",
    )
    .unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
    cmd.current_dir(dir.path())
        .args(["run"])
        .timeout(std::time::Duration::from_secs(60));
    for (k, v) in web.env() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let (out, err) = (stdout(&out), stderr(&out));
    assert!(
        out.contains("2 pages snapshotted (2 new"),
        "the run did not finish in 60 s: {out}{err}"
    );
    validate(dir.path());
}

/// Every cited link whose last check found it alive (or moved) has a snapshot.
fn assert_no_snapshot_debt(dir: &Path) {
    let conn = rusqlite::Connection::open(dir.join("archive/citekeep.db")).unwrap();
    let owed: Vec<String> = conn
        .prepare(
            "SELECT url FROM links WHERE last_status IN ('alive', 'moved')
               AND id IN (SELECT link_id FROM citations)
               AND id NOT IN (SELECT link_id FROM snapshots)",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(owed.is_empty(), "alive links without a snapshot: {owed:?}");
}

/// A run cut short after recording its checks (here: `check`, which snapshots nothing,
/// as a run killed or stopped by a full disk before its snapshots would leave it) leaves
/// live links without a copy; the next `run` snapshots them although none is due for a
/// check, and a later one does not fetch them again.
#[test]
fn snapshot_debt_is_paid_by_the_next_run() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let (_, err, code) = citekeep(&web, dir.path(), &["check"]);
    assert_eq!(code, 1, "the missing page is rot: {err}");
    let page_gets = || web.requests("www.gov.uk", "/page").len();
    let before = page_gets();
    let (out, err, code) = citekeep(&web, dir.path(), &["run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("1 checked (1 gone)"),
        "only the failing link was due: {out}"
    );
    assert!(out.contains("4 pages snapshotted (4 new"), "{out}{err}");
    assert_eq!(page_gets(), before + 1, "one capture, no check");
    assert_no_snapshot_debt(dir.path());
    validate(dir.path());
    // Paid: the next night neither checks nor captures again.
    let (out, _, _) = citekeep(&web, dir.path(), &["run"]);
    assert!(out.contains("0 pages snapshotted"), "{out}");
    assert_eq!(page_gets(), before + 1);
}

/// kill -9 of the nightly `run` at 20 moments spread over its length (checks, captures,
/// WARC writes, store commits): each following run completes, the archive validates
/// (warcio, cdxj-indexer), no capture is recorded twice, and no committed check is lost.
#[test]
fn kill_9_of_run_at_twenty_moments() {
    // The content changes with each request, so every run writes new records.
    let web = SimWeb::start(|_, path, earlier| {
        Behave::html("Page", &format!("The page at {path}, version {earlier}."))
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    let page: String = (0..150)
        .map(|i| format!("[p{i}](https://www.example{}.org/p{i})\n", i % 8))
        .collect();
    std::fs::write(dir.path().join("site/page.md"), page).unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[site]\nsources = [\"site\"]\n[check]\nhost_interval = 0\nper_host = 8\nsoft404_probe = false\n",
    )
    .unwrap();
    let checks = |dir: &Path| -> i64 {
        let conn = rusqlite::Connection::open(dir.join("archive/citekeep.db")).unwrap();
        conn.query_row("SELECT count(*) FROM checks", [], |r| r.get(0))
            .unwrap()
    };
    let (_, err, code) = citekeep(&web, dir.path(), &["run", "--all"]);
    assert_eq!(code, 0, "{err}");
    // Moments spread over a run (a full one takes a second or two here), in a fixed
    // pseudo-random order.
    let mut seed = 0x2545_f491_u64;
    let mut moments = Vec::new();
    for _ in 0..20 {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        moments.push(5 + (seed >> 33) % 1500);
    }
    for delay_ms in moments {
        let before = checks(dir.path());
        kill_after(&web, dir.path(), &["run", "--all"], delay_ms);
        let after_kill = checks(dir.path());
        assert!(
            after_kill >= before,
            "checks lost by the kill at {delay_ms} ms"
        );
        // The next run completes, checks every link, and everything agrees.
        let (out, err, code) = citekeep(&web, dir.path(), &["run", "--all"]);
        assert_eq!(code, 0, "after a kill at {delay_ms} ms: {out}{err}");
        assert_eq!(
            checks(dir.path()),
            after_kill + 150,
            "after a kill at {delay_ms} ms"
        );
        validate(dir.path());
        assert_no_capture_twice(dir.path());
    }
}

#[test]
fn a_second_writer_is_refused_and_a_stale_lock_is_taken_over() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    // A stale lock file (its holder is gone, so nothing holds the OS lock) is taken over.
    std::fs::create_dir_all(dir.path().join("archive")).unwrap();
    std::fs::write(
        dir.path().join("archive/citekeep.lock"),
        "pid 999999\ncommand run\n",
    )
    .unwrap();
    let (_, err, code) = citekeep(&web, dir.path(), &["check"]);
    assert_eq!(code, 1, "rot found, no lock error: {err}");
    // While another process holds the lock, a run says who and exits 2.
    let lock = citekeep::lock::acquire(&dir.path().join("archive"), "test").unwrap();
    let (_, err, code) = citekeep(&web, dir.path(), &["run"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("pid {}", std::process::id())) && err.contains("command test"),
        "{err}"
    );
    drop(lock);
    let (_, err, code) = citekeep(&web, dir.path(), &["archive"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn drift_from_the_first_snapshot_is_noted_and_said_once() {
    let web = SimWeb::start(|_, path, earlier| match path {
        // The first two answers (check, first snapshot) carry the cited text; later ones do not.
        "/statement" if earlier < 2 => Behave::html(
            "Statement",
            "Mitigating the risk of extinction from AI should be a global priority alongside other societal-scale risks.",
        ),
        "/statement" => Behave::html(
            "Statement",
            "This page now promotes an unrelated product launch with new pricing tiers and a newsletter signup.",
        ),
        "/steady" => Behave::html(
            "Steady",
            "A page that keeps saying the same thing every single day.",
        ),
        _ => Behave::status(404, &[], "no"),
    });
    let dir = site_dir(
        "p.md",
        "[s](https://www.safe.ai/statement) [t](https://www.safe.ai/steady)\n",
        "[site]\nsources = [\"site\"]\n[check]\nhost_interval = 0\nsoft404_probe = false\n[archive]\ndir = \"archive\"\n",
    );
    let (out, err, _) = citekeep(&web, dir.path(), &["run"]);
    assert!(
        out.contains("2 pages snapshotted (2 new, 0 unchanged), 0 page requisites"),
        "{out}{err}"
    );
    let (out, err, _) = citekeep(&web, dir.path(), &["run", "--all"]);
    assert!(
        out.contains("2 pages snapshotted (1 new, 1 unchanged), 0 page requisites, 1 drifted"),
        "{out}{err}"
    );
    assert!(
        err.contains("https://www.safe.ai/statement drifted"),
        "{err}"
    );
    // Drift is a fact of the snapshot (issue 29: no note written back onto the check).
    let conn = rusqlite::Connection::open(dir.path().join("archive/citekeep.db")).unwrap();
    let similarity: f64 = conn
        .query_row(
            "SELECT similarity FROM snapshots WHERE url = 'https://www.safe.ai/statement'
             AND revisit = 0 ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(similarity < 0.5, "{similarity}");
    let steady: String = conn
        .query_row(
            "SELECT detail FROM checks JOIN links ON links.id = checks.link_id
             WHERE links.url = 'https://www.safe.ai/steady' ORDER BY checks.id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!steady.contains("drifted"), "{steady}");
    // The text report says so once, with the check's words.
    let (report, _, _) = citekeep(&web, dir.path(), &["report"]);
    assert_eq!(
        report
            .matches("% of the text first archived remains")
            .count(),
        1,
        "{report}"
    );
    validate(dir.path());
}

#[test]
fn wacz_validates_and_pywb_replays_the_original_bytes() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let (out, err, code) = citekeep(&web, dir.path(), &["run"]);
    assert_eq!(code, 0, "{out}{err}");

    // WACZ: `wacz validate` (PyPI) accepts the package.
    let (out, err, code) = citekeep(&web, dir.path(), &["export", "--wacz", "site.wacz"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("pages"), "{out}");
    tool("wacz", &["validate", "--file", "site.wacz"], dir.path());

    // pywb replays a captured page from our WARCs with its original body.
    let coll = dir.path().join("pywb");
    std::fs::create_dir_all(&coll).unwrap();
    tool("wb-manager", &["init", "cites"], &coll);
    let warcs: Vec<String> = warc_files(dir.path())
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut add = vec!["add", "cites"];
    add.extend(warcs.iter().map(String::as_str));
    tool("wb-manager", &add, &coll);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut wayback = Command::new("wayback")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .current_dir(&coll)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("wayback (pip install pywb) runs");
    let url = format!("http://127.0.0.1:{port}/cites/2id_/https://www.gov.uk/page");
    let mut body = None;
    for _ in 0..100 {
        let fetched = std::process::Command::new("python3")
            .args(["-c", "import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())", &url])
            .output()
            .unwrap();
        if fetched.status.success() {
            body = Some(fetched.stdout);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let _ = wayback.kill();
    let _ = wayback.wait();
    let body = String::from_utf8(body.expect("pywb answered")).unwrap();
    assert!(body.contains("<p>Signed by 28 countries.</p>"), "{body}");
    assert!(
        body.contains("<link rel=stylesheet href=/assets/site.css>"),
        "the original bytes, not rewritten: {body}"
    );
}

#[test]
fn chunked_bodies_are_stored_dechunked_with_digests_over_the_payload() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    std::fs::write(dir.path().join("list.txt"), "https://www.gov.uk/chunked\n").unwrap();
    let (out, err, code) = citekeep(&web, dir.path(), &["archive", "list.txt"]);
    assert_eq!(code, 0, "{out}{err}");
    let recs = records(dir.path());
    let r = recs.iter().find(|r| r.kind == "response").unwrap();
    let payload = b"<html><body><p>Sent in three chunks.</p></body></html>";
    let head =
        String::from_utf8_lossy(&r.block[..r.block.len() - payload.len()]).to_ascii_lowercase();
    assert!(
        r.block.ends_with(payload),
        "{}",
        String::from_utf8_lossy(&r.block)
    );
    assert!(!head.contains("transfer-encoding"), "{head}");
    assert_eq!(
        r.field("WARC-Payload-Digest"),
        Some(citekeep::archive::warc::sha1_digest(payload).as_str())
    );
    validate(dir.path());
}

#[test]
fn files_rotate_at_the_configured_size_and_all_stay_valid() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    // Every capture starts a new file once the current one passes 1,500 bytes.
    let config = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!("{config}max_file_size = 1500\n"),
    )
    .unwrap();
    let (out, err, code) = citekeep(&web, dir.path(), &["run"]);
    assert_eq!(code, 0, "{out}{err}");
    let files = warc_files(dir.path());
    assert!(files.len() >= 4, "{files:?}");
    for f in &files {
        let recs = citekeep::archive::warc::read_all(f).unwrap();
        assert_eq!(recs[0].1.kind, "warcinfo", "{f:?} starts with its warcinfo");
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("citekeep-") && name.ends_with(".warc.gz"),
            "{name}"
        );
    }
    validate(dir.path());
}

/// A full disk (a 3 MB tmpfs as the archive folder): `run` stops with an error naming what
/// could not be written, and what was archived before stays valid; once there is room
/// again, the next run completes.
#[test]
fn a_full_disk_is_a_clear_error_and_the_archive_stays_valid() {
    let mount_point = tempfile::tempdir().unwrap();
    let archive = mount_point.path().join("archive");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"])
        .arg(mount_point.path())
        .status()
        .is_ok_and(|s| s.success());
    assert!(mounted, "mounting a tmpfs needs root (CI runs as root)");
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(mount_point.path());

    // Pages of 200 KB that do not compress: twenty of them cannot fit.
    let web = SimWeb::start(|_, path, _| {
        let mut seed = path
            .bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
        let noise: String = (0..200_000)
            .map(|_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                (b'a' + ((seed >> 40) % 26) as u8) as char
            })
            .collect();
        Behave::html("Page", &noise)
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    let pages = |n: usize| -> String {
        (0..n)
            .map(|i| format!("[p{i}](https://www.example.org/p{i})\n"))
            .collect()
    };
    // First a night with room: five pages archived.
    std::fs::write(dir.path().join("site/page.md"), pages(5)).unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[site]\nsources = [\"site\"]\n[check]\nhost_interval = 0\nsoft404_probe = false\n\
             [archive]\ndir = \"{}\"\n",
            archive.display()
        ),
    )
    .unwrap();
    let (out, err, code) = citekeep(&web, dir.path(), &["run", "--all"]);
    assert_eq!(code, 0, "{out}{err}");
    // Then twenty more pages than fit.
    std::fs::write(dir.path().join("site/page.md"), pages(25)).unwrap();
    let (out, err, code) = citekeep(&web, dir.path(), &["run", "--all"]);
    assert_eq!(code, 2, "{out}{err}");
    // The error names the file and says why (from the OS, or from SQLite for the database).
    assert!(
        err.contains("No space left on device") || err.contains("disk is full"),
        "{err}"
    );
    assert!(err.contains(&archive.display().to_string()), "{err}");
    // What was archived before the disk filled is whole: the WARC files and the index
    // validate as they are, full disk and all.
    let conn = rusqlite::Connection::open(archive.join("citekeep.db")).unwrap();
    let recorded: i64 = conn
        .query_row(
            "SELECT count(*) FROM snapshots WHERE requisite = 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    assert!(
        recorded >= 5,
        "the first night's captures are gone: {recorded}"
    );
    validate_copy(&archive);
    // Room again (a bigger tmpfs over the same files): the next run completes and the
    // archive validates whole.
    let status = std::process::Command::new("mount")
        .args(["-o", "remount,size=64m"])
        .arg(mount_point.path())
        .status()
        .unwrap();
    assert!(status.success());
    let (out, err, code) = citekeep(&web, dir.path(), &["run", "--all"]);
    assert_eq!(code, 0, "{out}{err}");
    validate_copy(&archive);
}

/// Validates an archive folder from a copy of its WARC files and index (the tools write
/// nothing beside them, and the folder may be full).
fn validate_copy(archive: &Path) {
    let copy = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(copy.path().join("archive/warc")).unwrap();
    for entry in std::fs::read_dir(archive.join("warc")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            copy.path().join("archive/warc").join(entry.file_name()),
        )
        .unwrap();
    }
    std::fs::copy(
        archive.join("index.cdxj"),
        copy.path().join("archive/index.cdxj"),
    )
    .unwrap();
    validate(copy.path());
}

/// Configured headers (a token some site wants) are sent to their host only, never to a
/// host a redirect leads to, never printed, and kept out of WARC request records unless
/// `[archive] record_credentials`.
#[test]
fn configured_credentials_are_sent_but_not_archived_or_logged() {
    let web = SimWeb::start(|host, path, _| match (host, path) {
        ("members.example", "/c") => Behave::Redirect(302, "https://other.example/c".into()),
        _ => Behave::html("Members", "For members only."),
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    std::fs::write(
        dir.path().join("site/page.md"),
        "[a](https://members.example/a) [b](https://www.members.example/b) \
         [c](https://members.example/c)\n",
    )
    .unwrap();
    let config = |record: bool| {
        std::fs::write(
            dir.path().join("config.toml"),
            format!(
                "[site]\nsources = [\"site\"]\n[check]\nhost_interval = 0\nsoft404_probe = false\n\
                 [check.hosts.\"members.example\"]\n\
                 headers = {{ Authorization = \"Bearer s3cret-token\" }}\n\
                 [archive]\nrecord_credentials = {record}\n"
            ),
        )
        .unwrap();
    };
    config(false);
    let (out, err, code) = citekeep(&web, dir.path(), &["run", "--all"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!format!("{out}{err}").contains("s3cret"));
    let sent = |host: &str| -> Vec<String> {
        web.seen()
            .into_iter()
            .filter(|s| s.method != "CONNECT" && s.host == host)
            .map(|s| s.authorization)
            .collect()
    };
    // The host and its subdomains get the header; the redirect target never does.
    for host in ["members.example", "www.members.example"] {
        let sent = sent(host);
        assert!(
            !sent.is_empty() && sent.iter().all(|a| a == "Bearer s3cret-token"),
            "{host}: {sent:?}"
        );
    }
    let elsewhere = sent("other.example");
    assert!(
        !elsewhere.is_empty() && elsewhere.iter().all(String::is_empty),
        "{elsewhere:?}"
    );
    let archived = |dir: &Path| {
        records(dir)
            .iter()
            .any(|r| String::from_utf8_lossy(&r.block).contains("s3cret-token"))
    };
    assert!(!archived(dir.path()), "a credential reached a WARC record");
    validate(dir.path());
    // Asked for, the request records say what was sent.
    config(true);
    let (out, err, code) = citekeep(&web, dir.path(), &["run", "--all"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(archived(dir.path()));
    validate(dir.path());
    // A header that cannot be sent is named, its value never shown.
    std::fs::write(
        dir.path().join("config.toml"),
        "[check.hosts.\"members.example\"]\nheaders = { \"Bad Name\" = \"s3cret\" }\n",
    )
    .unwrap();
    let (_, err, code) = citekeep(&web, dir.path(), &["check", "site"]);
    assert_eq!(code, 2);
    assert!(err.contains("`Bad Name` is not a valid header"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    // Headers for every host are refused, with the way to scope them.
    std::fs::write(
        dir.path().join("config.toml"),
        "[check]\nheaders = { Authorization = \"s3cret\" }\n",
    )
    .unwrap();
    let (_, err, code) = citekeep(&web, dir.path(), &["check", "site"]);
    assert_eq!(code, 2);
    assert!(err.contains("[check.hosts."), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
}

/// What a researcher's browser needs to show the copy as it was: images named in `<style>`
/// blocks and `style=""`, `<picture>` sources, posters, media, icons and manifests are
/// captured with the page and indexed.
#[test]
fn images_named_in_inline_css_and_media_are_captured() {
    let web = SimWeb::start(|_, path, _| {
        match path {
        "/story" => Behave::Page(
            200,
            vec![("content-type", "text/html".into())],
            "<html><head><title>Story</title><style>.hero { background: url(/img/hero.jpg) }</style>\
             <link rel=manifest href=/site.webmanifest></head><body>\
             <div class=hero style=\"background-image: url('/img/inline.png')\">x</div>\
             <picture><source srcset=\"/img/wide.webp 2x\"><img src=/img/narrow.jpg></picture>\
             <video poster=/img/poster.jpg></video><p>The story's text.</p></body></html>"
                .into(),
        ),
        p if p.starts_with("/img/") || p == "/site.webmanifest" => {
            Behave::Raw(200, vec![("content-type", "image/png".into())], b"PNG".to_vec())
        }
        _ => Behave::status(404, &[], "not found"),
    }
    });
    let dir = site_dir(
        "page.md",
        "[s](https://styled.example/story)\n",
        "[site]\nsources = [\"site\"]\n[check]\nhost_interval = 0\nsoft404_probe = false\n",
    );
    let (out, err, code) = citekeep(&web, dir.path(), &["run"]);
    assert_eq!(code, 0, "{out}{err}");
    let index = std::fs::read_to_string(dir.path().join("archive/index.cdxj")).unwrap();
    for path in [
        "/img/hero.jpg",
        "/img/inline.png",
        "/img/wide.webp",
        "/img/narrow.jpg",
        "/img/poster.jpg",
        "/site.webmanifest",
    ] {
        assert!(
            index.contains(&format!("https://styled.example{path}")),
            "{path} not captured:\n{index}"
        );
    }
    validate(dir.path());
}

/// Every WARC file's name and bytes.
fn warc_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    warc_files(dir)
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(p).unwrap(),
            )
        })
        .collect()
}

/// The third attack: a missing or empty history next to existing WARC files once made the
/// next run cut every file back to its warcinfo. Now nothing runs and nothing changes.
#[test]
fn a_lost_database_never_destroys_captures() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let (out, err, code) = citekeep(&web, dir.path(), &["run"]);
    assert!(code <= 1, "{out}{err}");
    let before = warc_bytes(dir.path());
    assert!(!before.is_empty());
    let db = dir.path().join("archive/citekeep.db");
    for lose in ["missing", "empty"] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        if lose == "empty" {
            std::fs::write(&db, b"").unwrap();
        }
        for command in [&["run"][..], &["archive"], &["check"]] {
            let (out, err, code) = citekeep(&web, dir.path(), command);
            assert_eq!(code, 2, "{lose} db, {command:?}: {out}{err}");
            assert!(
                err.contains("records none") && err.contains("Nothing was changed"),
                "{lose} db, {command:?}: {err}"
            );
            assert_eq!(warc_bytes(dir.path()), before, "{lose} db, {command:?}");
        }
    }
}

/// The third attack: a foreign file in `archive/warc/` (random bytes, or another tool's
/// WARC) was deleted or appended to. Now it is named and left as it was, and citekeep's
/// own files and index stay valid.
#[test]
fn a_foreign_warc_file_is_named_and_left_untouched() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    citekeep(&web, dir.path(), &["check"]);
    let (out, err, code) = citekeep(&web, dir.path(), &["archive"]);
    assert_eq!(code, 0, "{out}{err}");
    let ours = warc_files(dir.path());
    let warc_dir = dir.path().join("archive/warc");
    // Sorted after ours, so a careless writer would append to them.
    let random: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(warc_dir.join("zz-random.warc.gz"), &random).unwrap();
    let theirs = std::fs::read(&ours[0]).unwrap();
    std::fs::write(warc_dir.join("zz-other-tool.warc.gz"), &theirs).unwrap();
    let (out, err, code) = citekeep(&web, dir.path(), &["archive"]);
    assert_eq!(code, 0, "{out}{err}");
    for name in ["zz-random.warc.gz", "zz-other-tool.warc.gz"] {
        assert!(
            err.contains(name) && err.contains("left untouched"),
            "{err}"
        );
    }
    assert_eq!(
        std::fs::read(warc_dir.join("zz-random.warc.gz")).unwrap(),
        random
    );
    assert_eq!(
        std::fs::read(warc_dir.join("zz-other-tool.warc.gz")).unwrap(),
        theirs
    );
    // Our files and index agree with the independent tools once the strangers are gone.
    std::fs::remove_file(warc_dir.join("zz-random.warc.gz")).unwrap();
    std::fs::remove_file(warc_dir.join("zz-other-tool.warc.gz")).unwrap();
    validate(dir.path());
}

/// The third attack: a truncated or bit-flipped WARC file of ours was silently cut or
/// appended to, and `export --wacz` packed it. Now it is named, left as it is, new captures
/// go to a new file, and no package is written.
#[test]
fn a_damaged_warc_file_is_named_and_never_packaged() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    citekeep(&web, dir.path(), &["check"]);
    let (out, err, code) = citekeep(&web, dir.path(), &["archive"]);
    assert_eq!(code, 0, "{out}{err}");
    let file = warc_files(dir.path()).pop().unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&file, &bytes).unwrap();
    let (out, err, code) = citekeep(&web, dir.path(), &["archive"]);
    assert_eq!(code, 0, "{out}{err}");
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    assert!(err.contains(&name) && err.contains("damaged"), "{err}");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        bytes,
        "the damaged file was changed"
    );
    assert!(
        warc_files(dir.path()).len() >= 2,
        "new captures went to a new file"
    );
    let (out, err, code) = citekeep(&web, dir.path(), &["export", "--wacz", "out.wacz"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(&name) && err.contains("damaged"), "{err}");
    assert!(!dir.path().join("out.wacz").exists());
}
