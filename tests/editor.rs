//! The editor's path over fifteen nights, as issue 28 tried it: a four-file site (a page
//! citing government sources, a 25-link reading list whose pages die one after another, a
//! styled page, an HTML press page) checked nightly through a simulated web and simulated
//! public archives; the editor reads the report, runs `fix --write`, and runs it again.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::support::archives::{Arch, SimArchives, page};
use crate::support::web::{Asked, Behave, SimWeb};

/// The reading list's pages: the `i`th dies on night `DIES + i / 3` (every third night one
/// more goes), its text the same as the capture the Wayback Machine made in October.
const READING: u32 = 25;
const DIES: u32 = 3;

fn reading(i: u32) -> String {
    format!("https://essays{}.example/reading/{i:02}", i % 4)
}

fn text_of(url: &str) -> String {
    format!(
        "The essay at {url} argues its case at length, with sources, figures and a conclusion \
         that the summit should have gone further."
    )
}

/// Runs citekeep in `dir` on night `night` (2026-11-`night`).
fn on_night(web: &SimWeb, dir: &Path, night: u32, args: &[&str]) -> (String, String, i32) {
    crate::support::citekeep_on_day(web, dir, night, args, &[])
}

#[test]
fn fifteen_nights_of_the_editors_path() {
    // Every reading-list page but the last three was captured in October, as cited.
    let mut snaps = Vec::new();
    for i in 0..READING - 3 {
        let url = reading(i);
        snaps.push(page(
            Arch::Wayback,
            &url,
            "20261015000000",
            "An essay",
            &text_of(&url),
        ));
    }
    snaps.push(page(
        Arch::Today,
        "https://x.com/someone/status/1831133250946838740",
        "20261016000000",
        "A post on X",
        &text_of("https://x.com/someone/status/1831133250946838740"),
    ));
    let archives = SimArchives::new(snaps);
    let night = Arc::new(AtomicU32::new(1));
    let (sim, now) = (archives.clone(), night.clone());
    let web = SimWeb::start_with(move |asked: &Asked| {
        if SimArchives::serves(&asked.host) {
            return sim.answer(asked);
        }
        let n = now.load(Ordering::SeqCst);
        let url = format!("https://{}{}", asked.host, asked.path);
        let gone = || Behave::status(404, &[], "<title>Not found</title>");
        if asked.path.contains("citekeep-probe") {
            return gone();
        }
        if let Some(i) = (0..READING).find(|&i| url == reading(i)) {
            return if n >= DIES + i / 3 {
                gone()
            } else {
                Behave::html("An essay", &text_of(&url))
            };
        }
        match asked.host.as_str() {
            "www.reuters.com" => Behave::status(
                401,
                &[("x-datadome", "protected")],
                "Please enable JS and disable any ad blocker",
            ),
            "x.com" if n >= 5 => gone(),
            "www.gov.uk" if asked.path == "/withdrawn" && n >= 4 => Behave::status(
                410,
                &[],
                "<title>This page has been withdrawn - GOV.UK</title>",
            ),
            _ => Behave::html("A page", &text_of(&url)),
        }
    });

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |name: &str, text: &str| {
        let path = d.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "site/summit.md",
        "# The summit\n\nThe [declaration](https://www.gov.uk/declaration), a \
         [statement since withdrawn](https://www.gov.uk/withdrawn), \
         [Reuters' story](https://www.reuters.com/technology/summit) and \
         [a post](https://x.com/someone/status/1831133250946838740).\n",
    );
    let mut list = String::from("# Reading list\n\n");
    for i in 0..READING {
        list.push_str(&format!("- [Essay {i}]({})\n", reading(i)));
    }
    write("site/reading.md", &list);
    write(
        "site/styled.md",
        "Some *styled* text citing <https://www.gov.uk/declaration> and \
         [an essay](https://essays0.example/reading/00) again.\n",
    );
    write(
        "site/press.html",
        "<p>Press: <a href=\"https://www.gov.uk/withdrawn\">the statement</a> and \
         <a href=\"https://essays1.example/reading/01\">an essay</a>.</p>\n",
    );
    write(
        "config.toml",
        "[site]\nsources = [\"site\"]\nbase_url = \"https://pauseai.info\"\n\
         [check]\ntimeout = 5\nretries = 0\nhost_interval = 0\n\
         [verdict]\nstrikes = 2\ndays = 1\n\
         [archives]\napi_interval = 0\narchive_today_interval = 0\n",
    );

    let sources = ["summit.md", "reading.md", "styled.md", "press.html"];
    let read_all = || -> String {
        sources
            .iter()
            .map(|f| std::fs::read_to_string(d.join("site").join(f)).unwrap())
            .collect()
    };
    let mut fixed_once = false;
    for n in 1..=15u32 {
        night.store(n, Ordering::SeqCst);
        let (out, err, code) = on_night(&web, d, n, &["run"]);
        assert_ne!(code, 2, "night {n}: {out}{err}");
        if n % 5 != 0 {
            continue;
        }
        // The editor's turn (nights 5, 10 and 15): the report, fix, fix again.
        let (report, err, code) = on_night(&web, d, n, &["report"]);
        assert_eq!(code, 0, "night {n}: {err}");
        let before = read_all();
        let (out, err, code) = on_night(&web, d, n, &["fix", "--write"]);
        assert_eq!(code, 0, "night {n}: {out}{err}\n{report}");
        let after = read_all();
        fixed_once |= before != after;
        let (out, err, code) = on_night(&web, d, n, &["fix", "--write"]);
        assert_eq!(code, 0, "night {n}, second fix: {out}{err}");
        assert!(
            out.contains("nothing to fix"),
            "night {n}, second fix: {out}{err}"
        );
        assert_eq!(
            read_all(),
            after,
            "night {n}: the second fix changed a file"
        );
        // Every address written is a public capture that opens for readers: checked
        // through the simulated archives.
        let written: Vec<String> = after
            .split(['(', ')', '<', '>', '"'])
            .filter(|s| {
                s.starts_with("https://web.archive.org/") || s.starts_with("https://archive.")
            })
            .map(str::to_string)
            .collect();
        assert!(!after.contains("127.0.0.1"), "{after}");
        if !written.is_empty() {
            let list = d.join("written.txt");
            std::fs::write(&list, written.join("\n")).unwrap();
            let (out, err, code) = on_night(&web, d, n, &["check", "written.txt"]);
            assert_eq!(
                code, 0,
                "night {n}: a written copy does not open:\n{out}{err}"
            );
            std::fs::remove_file(list).unwrap();
        }
    }
    assert!(fixed_once, "fix never had anything to do");
    let after = read_all();
    // Every essay is dead by night 15: those with a capture as cited point at it, those
    // without are left as they are; the wall (Reuters) is never touched.
    for i in 0..READING - 3 {
        assert!(
            after.contains(&format!(
                "https://web.archive.org/web/20261015000000/{}",
                reading(i)
            )),
            "essay {i} not fixed:\n{after}"
        );
    }
    assert!(
        after.contains(&format!("({})", reading(READING - 1))),
        "{after}"
    );
    assert!(after.contains("(https://www.reuters.com/technology/summit)"));
    assert!(
        after.contains("https://archive.ph/20261016000000/https://x.com/someone/status/"),
        "{after}"
    );

    // Nothing snapshotted twice: no public archive's page is in our archive, and no page's
    // same payload is stored in full twice (an unchanged page is a revisit).
    let index = std::fs::read_to_string(d.join("archive/index.cdxj")).unwrap();
    for archive in ["org,archive,web)", "ph,archive)"] {
        assert!(!index.contains(archive), "{archive} snapshotted:\n{index}");
    }
    let db = rusqlite::Connection::open(d.join("archive/citekeep.db")).unwrap();
    let twice: i64 = db
        .query_row(
            "SELECT count(*) FROM (SELECT url, payload_digest FROM snapshots WHERE revisit = 0
             GROUP BY url, payload_digest HAVING count(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(twice, 0, "a payload stored in full twice");
    // The history knows what fix replaced; each replacement reported once.
    let replaced: i64 = db
        .query_row("SELECT count(*) FROM replacements", [], |r| r.get(0))
        .unwrap();
    assert!(replaced > 0);
}
