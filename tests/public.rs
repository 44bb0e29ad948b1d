//! Public archives: the nightly run finds, for each dead citation, a public copy that shows
//! the page as cited (the Wayback Machine, archive.today and the UK Government Web Archive,
//! simulated with their real formats), says how it was verified, and `fix` writes it; Save
//! Page Now saves live pages; archives that fail never fail the run.

use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::support::archives::{Arch, SimArchives, error, page, redirect};
use crate::support::web::{Asked, Behave, SimWeb};

/// The live web of the site's citations, by day: `day` is 1 (all alive) or 2 on (dead).
type Live = Arc<Mutex<u32>>;

const REPORT: &str = "https://www.gov.uk/government/publications/frontier-ai-report";
const PAPER: &str = "https://think.example/paper";
const MOVED: &str = "https://www.gov.uk/guidance/old-guidance";
const POST: &str = "https://blog.example/post";
const ESSAY: &str = "https://essays.example/one";
const NEWS: &str = "https://www.gov.uk/government/news/old-news";

/// What each cited page says while alive.
fn live_page(url: &str) -> Behave {
    match url {
        u if u.starts_with(REPORT) => Behave::html(
            "Frontier AI: capabilities and risks",
            "A discussion paper on the capabilities of frontier AI and the risks it poses, \
             prepared for the AI Safety Summit at Bletchley Park in November.",
        ),
        u if u.starts_with("https://www.news.example/2024/summit?") => Behave::html(
            "Leaders meet at the AI summit",
            "World leaders met at Bletchley Park to discuss the risks of frontier AI and \
             signed a declaration on its safety.",
        ),
        u if u.starts_with(ESSAY) => Behave::html(
            "An essay on pausing AI",
            "We argue that the development of frontier AI should pause until it can be made \
             safe, and we explain how an international treaty could make that happen soon.",
        ),
        u if u.starts_with(POST) => Behave::html(
            "The post",
            "A post about what the summit decided, with quotes from the delegates who were there.",
        ),
        u if [PAPER, MOVED, NEWS].iter().any(|p| u.starts_with(p))
            || u.contains(".example/a")
            || u.contains(".example/b")
            || u.contains(".example/c")
            || u.contains(".example/x") =>
        {
            Behave::html(
                &format!("A page at {u}"),
                &format!("Some words that make {u} a page of its own, long enough to be real."),
            )
        }
        // Anything else (the soft-404 probes' random paths) is not there.
        _ => Behave::status(404, &[], "<title>Not found</title>"),
    }
}

/// The captures the archives hold.
fn captures() -> Vec<crate::support::archives::Snap> {
    let report_text = "A discussion paper on the capabilities of frontier AI and the risks it \
                       poses, prepared for the AI Safety Summit at Bletchley Park in November.";
    vec![
        // The report: a capture of the 404 it became (after death), of a soft-404 page, of
        // a redirect home, and of the page as cited (byte for byte what we archived).
        error(Arch::Wayback, REPORT, "20261203000000", 404),
        page(
            Arch::Wayback,
            REPORT,
            "20261125000000",
            "Page not found - GOV.UK",
            "The page you were looking for is not here.",
        ),
        redirect(
            Arch::Wayback,
            REPORT,
            "20261120000000",
            "https://www.gov.uk/",
        ),
        page(
            Arch::Wayback,
            "https://www.gov.uk/",
            "20261120000001",
            "Welcome to GOV.UK",
            "The best place to find government services and information.",
        ),
        page(
            Arch::Wayback,
            REPORT,
            "20261101000000",
            "Frontier AI: capabilities and risks",
            report_text,
        ),
        // The story, captured over http, without www and with its query in another order;
        // its capture of a redirect leads to the capture of where it moved.
        redirect(
            Arch::Wayback,
            "http://news.example/2024/summit?a=1&b=2",
            "20261110000000",
            "http://news.example/2024/summit-renamed",
        ),
        page(
            Arch::Wayback,
            "http://news.example/2024/summit-renamed",
            "20261110000001",
            "Leaders meet at the AI summit",
            "World leaders met at Bletchley Park to discuss the risks of frontier AI and \
             signed a declaration on the safety of it.",
        ),
        // The paper: captured only after it died.
        page(
            Arch::Wayback,
            PAPER,
            "20261215000000",
            "A paper",
            "Captured too late to matter.",
        ),
        // The guidance: in the UK Government Web Archive only.
        page(
            Arch::Ukgwa,
            MOVED,
            "20260301120000",
            "Old guidance",
            "Guidance on the safe use of frontier AI in public services, kept for the record.",
        ),
        // The news story, as its publisher moved it into the archive.
        page(
            Arch::Ukgwa,
            NEWS,
            "20260101000000",
            &format!("A page at {NEWS}"),
            &format!("Some words that make {NEWS} a page of its own, long enough to be real."),
        ),
        // The post: archive.today holds a consent wall first, then the post.
        page(
            Arch::Today,
            POST,
            "20261121000000",
            "Before you continue",
            "We use cookies and data to deliver and maintain our services.",
        ),
        page(
            Arch::Today,
            POST,
            "20261010000000",
            "The post",
            "A post about what the summit decided, with quotes from the delegates who were there.",
        ),
    ]
}

fn web(archives: SimArchives, live: Live) -> SimWeb {
    SimWeb::start_with(move |asked: &Asked| {
        if SimArchives::serves(&asked.host) {
            return archives.answer(asked);
        }
        let url = format!("https://{}{}", asked.host, asked.path);
        if *live.lock().unwrap() >= 2 {
            // The news story moved into the UK Government Web Archive; the rest died.
            if url == NEWS {
                return Behave::Redirect(
                    301,
                    format!(
                        "https://webarchive.nationalarchives.gov.uk/ukgwa/20260101000000/{NEWS}"
                    ),
                );
            }
            return Behave::status(404, &[], "<title>Not found</title>");
        }
        live_page(&format!("https://{}{}", asked.host, asked.path))
    })
}

const SITE: &str = "# Sources\n\n\
    - [The report](https://www.gov.uk/government/publications/frontier-ai-report)\n\
    - [The story](https://www.news.example/2024/summit?b=2&a=1&utm_source=newsletter)\n\
    - [The paper](https://think.example/paper)\n\
    - [The guidance](https://www.gov.uk/guidance/old-guidance)\n\
    - [The post](https://blog.example/post)\n\
    - [The news](https://www.gov.uk/government/news/old-news)\n";

const CONFIG: &str = "[site]\nsources = [\"site\"]\n\
    [check]\ntimeout = 5\nretries = 1\nretry_after_cap = 5\nhost_interval = 0\n\
    [verdict]\nstrikes = 1\ndays = 0\n\
    [archives]\napi_interval = 0.05\narchive_today_interval = 0.05\n\
    [fix]\nstyle = \"replace\"\n";

/// Runs citekeep in `dir` through `web` on `day` (2026-11-`day`).
fn on_day(
    web: &SimWeb,
    dir: &std::path::Path,
    day: u32,
    args: &[&str],
    env: &[(&str, &str)],
) -> (String, String, i32) {
    crate::support::citekeep_on_day(web, dir, day, args, env)
}

fn problem<'a>(json: &'a Value, url: &str) -> &'a Value {
    json["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["problems"].as_array().unwrap())
        .find(|p| p["url"].as_str().unwrap().starts_with(url))
        .unwrap_or_else(|| panic!("no problem for {url} in {json}"))
}

#[test]
fn dead_citations_get_verified_public_copies_and_fix_writes_them() {
    let mut archives = SimArchives::new(captures());
    archives.today_busy_first = true;
    let live: Live = Arc::new(Mutex::new(1));
    let web = web(archives.clone(), live.clone());
    let dir = crate::support::site_dir("sources.md", SITE, CONFIG);
    let dir = dir.path();
    std::fs::write(
        dir.join("site/page.html"),
        format!("<p>See <a href=\"{REPORT}\">the report</a>.</p>\n"),
    )
    .unwrap();

    // Night one: everything alive and archived by us; no lookups yet.
    let (out, err, code) = on_day(&web, dir, 27, &["run"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        web.seen().iter().all(|s| !SimArchives::serves(&s.host)),
        "nothing to look up on a healthy night"
    );
    // Night two: everything dead; each gets a public copy where one shows the page.
    *live.lock().unwrap() = 2;
    let (out, err, code) = on_day(&web, dir, 28, &["run", "--all"], &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("public copies: 6 links looked up, 5 with a verified copy"),
        "{err}"
    );

    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("archive/reports/latest.json")).unwrap(),
    )
    .unwrap();
    // The report: the capture as cited, byte for byte our copy; the three nearer ones
    // were turned down (the 404 after death never even fetched).
    let report = problem(&json, REPORT);
    assert_eq!(
        report["public_copy"]["url"],
        format!("https://web.archive.org/web/20261101000000/{REPORT}")
    );
    assert_eq!(
        report["public_copy"]["verification"],
        "identical to our copy"
    );
    assert!(
        web.requests(
            "web.archive.org",
            &format!("/web/20261203000000id_/{REPORT}")
        )
        .is_empty()
    );
    assert_eq!(
        web.requests(
            "web.archive.org",
            &format!("/web/20261125000000id_/{REPORT}")
        )
        .len(),
        1
    );
    // The story: found across scheme, www and query order, its captured redirect followed
    // to the renamed page's capture, compared with our copy by text.
    let story = problem(&json, "https://www.news.example/2024/summit");
    assert_eq!(
        story["public_copy"]["url"],
        "https://web.archive.org/web/20261110000001/http://news.example/2024/summit-renamed"
    );
    let words = story["public_copy"]["verification"].as_str().unwrap();
    assert!(
        words.starts_with("similar ") && words.ends_with("% to our copy"),
        "{words}"
    );
    // The paper: captured only after it died: no copy, and when it was last seen alive.
    let paper = problem(&json, PAPER);
    assert!(paper["public_copy"].is_null(), "{paper}");
    assert_eq!(paper["last_alive"], "2026-11-27T03:00:00Z");
    // The guidance: from the UK Government Web Archive (gov.uk), raw bytes asked.
    let guidance = problem(&json, MOVED);
    assert_eq!(
        guidance["public_copy"]["url"],
        format!("https://webarchive.nationalarchives.gov.uk/ukgwa/20260301120000/{MOVED}")
    );
    assert_eq!(
        web.requests(
            "webarchive.nationalarchives.gov.uk",
            &format!("/ukgwa/20260301120000id_/{MOVED}")
        )
        .len(),
        1
    );
    // The post: archive.today's 429 waited out; its consent wall turned down.
    let post = problem(&json, POST);
    assert_eq!(
        post["public_copy"]["url"],
        format!("https://archive.ph/20261010000000/{POST}")
    );
    assert_eq!(post["public_copy"]["archive"], "archive.ph");
    assert_eq!(
        web.requests("archive.ph", &format!("/timemap/{POST}"))
            .len(),
        2
    );
    // The news story moved into the UK Government Web Archive: its capture there is the
    // copy, and the citation is rot at the address cited (fix writes the copy without
    // `--moved`); the report's archived copy is ours of the page as cited.
    let news = problem(&json, NEWS);
    assert_eq!(news["status"], "moved", "{news}");
    assert_eq!(
        news["public_copy"]["url"],
        format!("https://webarchive.nationalarchives.gov.uk/ukgwa/20260101000000/{NEWS}")
    );
    assert!(
        news["copy"]["archived_url"] == NEWS,
        "our copy is of the page as cited, not of the archive's replay page: {news}"
    );
    // Only gov.uk links were asked of the UK Government Web Archive.
    assert!(
        web.seen()
            .iter()
            .filter(|s| s.host == "webarchive.nationalarchives.gov.uk" && s.method != "CONNECT")
            .all(|s| s.path.contains("gov.uk"))
    );

    // Every format says it.
    let (text, _, _) = on_day(&web, dir, 28, &["report"], &[]);
    assert!(text.contains("public copy 2026-11-01 (web.archive.org, identical to our copy): https://web.archive.org/web/20261101000000/"), "{text}");
    assert!(
        text.contains("no public copy: last seen alive on 2026-11-27"),
        "{text}"
    );
    let (md, _, _) = on_day(&web, dir, 28, &["report", "--format", "markdown"], &[]);
    assert!(md.contains("archive.ph, similar 100% to our copy"), "{md}");
    let html = std::fs::read_to_string(dir.join("archive/reports/latest.html")).unwrap();
    assert!(html.contains("identical to our copy"), "{html}");

    // The archive browser: the link page names the copy, how it was verified and what was
    // turned down; the cite box of our own copy gives the public one.
    let server = crate::serve::serve(dir, "127.0.0.1:0");
    let db = rusqlite::Connection::open(dir.join("archive/citekeep.db")).unwrap();
    let id: i64 = db
        .query_row("SELECT id FROM links WHERE url = ?1", [REPORT], |r| {
            r.get(0)
        })
        .unwrap();
    let page = crate::serve::get(&server, &format!("/link/{id}"), &[]);
    let page = page.text();
    assert!(
        page.contains(&format!(
            "Give readers <a class=\"url\" href=\"https://web.archive.org/web/20261101000000/{REPORT}\""
        )),
        "{page}"
    );
    assert!(page.contains("identical to our copy"), "{page}");
    assert!(page.contains("soft404: error page title"), "{page}");
    let banner = crate::serve::get(&server, &format!("/web/20261127030000/{REPORT}"), &[]);
    let banner = banner.text();
    assert!(banner.contains("<dt>Public copy</dt>"), "{banner}");
    assert!(
        banner.contains("web.archive.org, captured 2026-11-01; identical to our copy"),
        "{banner}"
    );
    // The issue-28 researcher's Robust Link named this machine's replay address, which no
    // reader can open: with a verified public copy, it names that, dated as that copy.
    assert!(
        banner.contains(&format!(
            "data-versionurl=&quot;https://web.archive.org/web/20261101000000/{REPORT}&quot; \
             data-versiondate=&quot;2026-11-01&quot;"
        )),
        "{banner}"
    );
    assert!(
        !banner.contains("data-versionurl=&quot;http://127.0.0.1"),
        "{banner}"
    );
    let source = crate::serve::get(&server, "/source?file=site%2Fsources.md", &[]).text();
    assert!(
        source.contains(&format!(
            "public:</span> <a href=\"https://web.archive.org/web/20261101000000/{REPORT}\""
        )),
        "{source}"
    );
    drop(server);

    // The cache: the next night asks no archive again.
    let asked = web
        .seen()
        .iter()
        .filter(|s| SimArchives::serves(&s.host))
        .count();
    let (out, err, _) = on_day(&web, dir, 29, &["run"], &[]);
    assert_eq!(
        web.seen()
            .iter()
            .filter(|s| SimArchives::serves(&s.host))
            .count(),
        asked,
        "{out}{err}"
    );

    // fix writes the verified copies, and each resolves to its capture.
    let (out, err, code) = on_day(&web, dir, 29, &["fix", "--write"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    let fixed = std::fs::read_to_string(dir.join("site/sources.md")).unwrap();
    for copy in [
        format!("https://web.archive.org/web/20261101000000/{REPORT}"),
        "https://web.archive.org/web/20261110000001/http://news.example/2024/summit-renamed"
            .to_string(),
        format!("https://archive.ph/20261010000000/{POST}"),
        format!("https://webarchive.nationalarchives.gov.uk/ukgwa/20260101000000/{NEWS}"),
    ] {
        assert!(
            fixed.contains(&format!("]({copy})")),
            "{copy} not in\n{fixed}"
        );
    }
    assert!(
        fixed.contains("[The paper](https://think.example/paper)"),
        "{fixed}"
    );
    assert!(!fixed.contains("127.0.0.1"), "{fixed}");
    // The copies written are there where readers open them.
    let links: String = fixed
        .lines()
        .filter(|l| {
            l.contains("web.archive.org")
                || l.contains("archive.ph")
                || l.contains("nationalarchives")
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.join("copies.md"), &links).unwrap();
    let (out, err, code) = on_day(&web, dir, 29, &["check", "copies.md"], &[]);
    assert_eq!(code, 0, "a written copy is not there:\n{links}\n{out}{err}");
}

#[test]
fn archives_lookup_says_what_it_found_and_turned_down() {
    let web = web(SimArchives::new(captures()), Arc::new(Mutex::new(2)));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[check]\ntimeout = 3\nretries = 1\nhost_interval = 0\n[archives]\napi_interval = 0\n\
         archive_today_interval = 0\n",
    )
    .unwrap();
    let (out, err, code) = on_day(
        &web,
        dir.path(),
        28,
        &["archives", "lookup", REPORT, PAPER],
        &[],
    );
    // The paper has no copy from before now... it was captured after: none shows it.
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains(&format!("  copy: https://web.archive.org/web/20261101000000/{REPORT} (content checked; captured 20261101000000)")), "{out}");
    assert!(
        out.contains(&format!(
            "  turned down: https://web.archive.org/web/20261125000000/{REPORT} (soft404: "
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "  turned down: https://web.archive.org/web/20261120000000/{REPORT} (soft404: "
        )),
        "{out}"
    );
    // Its one capture is from after the lookup: not asked for (captures are asked for up
    // to when the link failed, here now).
    assert!(
        out.contains(&format!(
            "{PAPER}\n  no public copy shows the page (0 captures found)"
        )),
        "{out}"
    );
}

#[test]
fn a_failing_archive_never_fails_the_run_and_is_asked_again() {
    let down = Arc::new(Mutex::new(true));
    let flag = down.clone();
    let archives = SimArchives::new(captures());
    let live: Live = Arc::new(Mutex::new(2));
    let web = SimWeb::start_with(move |asked: &Asked| {
        // Night one the Wayback Machine is down; night two its CDX API still is, its
        // TimeMaps and replay are back.
        if asked.host == "web.archive.org"
            && (*flag.lock().unwrap() || asked.path.starts_with("/cdx/"))
        {
            return Behave::status(503, &[], "Service Unavailable");
        }
        if asked.host == "archive.ph" {
            return Behave::status(200, &[], "<html>garbage, not a TimeMap</html>");
        }
        if SimArchives::serves(&asked.host) {
            return archives.answer(asked);
        }
        let _ = &live;
        Behave::status(404, &[], "gone")
    });
    let dir = crate::support::site_dir(
        "a.md",
        &format!("[r]({REPORT})\n[p]({PAPER})\n"),
        &CONFIG.replace("retries = 1", "retries = 0"),
    );
    let (out, err, code) = on_day(&web, dir.path(), 28, &["run"], &[]);
    // Dead links make exit 1 (rot), not 2: the archives' failure is not the run's.
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        err.matches("web.archive.org could not be asked").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains(
            "web.archive.org could not be asked about 2 links (web.archive.org: HTTP 503)"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "archive.ph could not be asked about 2 links (archive.ph: the answer is not a TimeMap)"
        ),
        "{err}"
    );
    // Next night the archive is back: asked again, the copy found through its TimeMap.
    *down.lock().unwrap() = false;
    let (out, err, _) = on_day(&web, dir.path(), 29, &["run"], &[]);
    assert!(
        err.contains("public copies: 2 links looked up, 1 with a verified copy"),
        "{out}{err}"
    );
}

#[test]
fn save_page_now_saves_live_pages_within_its_limits() {
    let mut archives = SimArchives::new(Vec::new());
    archives.daily_limit = Some(2);
    archives.pending_polls = 2;
    let sim = archives.clone();
    let web = SimWeb::start_with(move |asked: &Asked| {
        if SimArchives::serves(&asked.host) {
            return sim.answer(asked);
        }
        live_page(&format!("https://{}{}", asked.host, asked.path))
    });
    let site = "[a](https://one.example/a)\n[b](https://two.example/b)\n[c](https://three.example/c)\n[blocked](https://blocked.example/x)\n";
    let config = CONFIG.replace(
        "[archives]\n",
        "[archives]\nsave = true\nsave_poll = 0.05\nsave_wait = 10\nsave_jobs = 1\n",
    );
    let dir = crate::support::site_dir("a.md", site, &config);
    let dir = dir.path();

    // Without credentials: said, nothing submitted, the requests kept.
    let (out, err, code) = on_day(&web, dir, 27, &["run"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains(
            "CITEKEEP_IA_ACCESS and CITEKEEP_IA_SECRET are not set: 4 pages not submitted"
        ),
        "{err}"
    );
    assert!(web.requests("web.archive.org", "/save").is_empty());

    // Wrong credentials: the archive's 401 said once, nothing lost.
    let wrong = [
        ("CITEKEEP_IA_ACCESS", "nobody"),
        ("CITEKEEP_IA_SECRET", "wrong"),
    ];
    let (out, err, _) = on_day(&web, dir, 27, &["run"], &wrong);
    assert!(
        err.contains("Save Page Now refused the credentials (HTTP 401)"),
        "{out}{err}"
    );
    assert!(!err.contains("wrong"), "a secret was printed: {err}");

    // With them: two saved (pending first, then success), the blocked one refused for
    // good, the fourth left for tomorrow by the daily limit.
    let keys = [
        ("CITEKEEP_IA_ACCESS", "test-access"),
        ("CITEKEEP_IA_SECRET", "test-secret"),
    ];
    let (out, err, code) = on_day(&web, dir, 28, &["run"], &keys);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("Save Page Now will not save https://blocked.example/x: error:blocked-url"),
        "{err}"
    );
    assert!(err.contains("error:too-many-daily-captures"), "{err}");
    assert!(
        err.contains("saved 2 pages to the Wayback Machine"),
        "{err}"
    );
    assert!(!err.contains("test-secret") && !out.contains("test-secret"));
    let saved = archives.snaps();
    assert_eq!(saved.len(), 2, "{saved:?}");
    // Every request carried the credentials; none to any other host.
    for s in web.seen().iter().filter(|s| s.path.starts_with("/save")) {
        assert_eq!(s.host, "web.archive.org");
    }
    assert!(
        web.seen()
            .iter()
            .filter(|s| !SimArchives::serves(&s.host))
            .all(|s| s.authorization.is_empty())
    );
    // The saved captures are recorded as public copies (the archive browser's link page
    // says so); the next night submits the one left, and never the blocked one again.
    let blocked_before = web.seen().iter().filter(|s| s.path == "/save").count();
    let (out, err, _) = on_day(&web, dir, 29, &["run"], &keys);
    let submitted = web.seen().iter().filter(|s| s.path == "/save").count() - blocked_before;
    assert_eq!(submitted, 1, "{out}{err}");
    let db = rusqlite::Connection::open(dir.join("archive/citekeep.db")).unwrap();
    let copies: i64 = db
        .query_row(
            "SELECT count(*) FROM public_copies WHERE verification = 'saved'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(copies, 2, "the daily limit still holds on night three");
    let failed: String = db
        .query_row(
            "SELECT error FROM public_saves WHERE state = 'failed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(failed.starts_with("error:blocked-url"), "{failed}");
}

/// The third attack: a hostile or broken archive answers a TimeMap of 20,000 mementos,
/// names mementos on another host (once through a title holding `; rel=memento`), has its
/// captures redirect to another host, and writes terminal escapes into its pages' titles.
/// Nothing of it becomes a copy to write, the history keeps a bounded number of its
/// captures, and no escape reaches the terminal.
#[test]
fn a_lying_archive_never_gets_an_address_into_sources() {
    const CITED: &str = "https://think.example/vanished";
    let web = SimWeb::start_with(|asked: &Asked| {
        let page =
            |title: &str| Behave::html(title, "The full text of the vanished paper, as it was.");
        match (asked.host.as_str(), asked.path.as_str()) {
            ("liar.example", p) if p.starts_with("/timemap/") => {
                let mut body = format!("<{CITED}>; rel=\"original\",\n");
                body.push_str(&format!(
                    "<https://attacker.example/20240101000000/{CITED}>; rel=\"memento\"; datetime=\"Mon, 01 Jan 2024 00:00:00 GMT\",\n"
                ));
                body.push_str(
                    "<https://attacker.example/titled>; rel=\"original\"; title=\"a; rel=memento; datetime=Mon, 01 Jan 2024 00:00:00 GMT\",\n"
                );
                for i in 0..20_000u32 {
                    let (day, second) = (1 + i % 28, i % 60);
                    body.push_str(&format!(
                        "<https://liar.example/202401{day:02}0000{second:02}/{CITED}>; rel=\"memento\"; datetime=\"{}, {day:02} Jan 2024 00:00:{second:02} GMT\",\n",
                        ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][(day as usize) % 7]
                    ));
                }
                Behave::Page(
                    200,
                    vec![("content-type", "application/link-format".into())],
                    body,
                )
            }
            // Every capture of the liar leads off the archive, or is an error page whose
            // title tries to drive the terminal.
            ("liar.example", p) if p.starts_with("/2024") => {
                Behave::Redirect(301, "https://attacker.example/landing".into())
            }
            ("liar.example", _) => {
                Behave::status(404, &[], "<title>Not found \u{1b}[31mRED\u{1b}[0m</title>")
            }
            ("attacker.example", _) => page("The vanished paper"),
            _ => Behave::status(404, &[], "<title>Not found</title>"),
        }
    });
    let dir = crate::support::site_dir(
        "a.md",
        &format!("[paper]({CITED})\n"),
        "[site]\nsources = [\"site\"]\n[check]\ntimeout = 5\nretries = 0\nhost_interval = 0\n\
         [verdict]\nstrikes = 1\ndays = 0\n\
         [archives]\nwayback = false\narchive_today = false\nukgwa = false\napi_interval = 0\n\
         timemaps = [\"https://liar.example/timemap/{url}\"]\n",
    );
    let (out, err, _) = on_day(&web, dir.path(), 28, &["run"], &[]);
    assert!(
        !out.contains('\u{1b}') && !err.contains('\u{1b}'),
        "{out}{err}"
    );
    let (out, err, code) = on_day(&web, dir.path(), 28, &["archives", "lookup", CITED], &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("copy: "), "{out}");
    assert!(
        !out.contains('\u{1b}') && !err.contains('\u{1b}'),
        "{out}{err}"
    );
    assert!(
        out.contains("redirected off the archive, to attacker.example"),
        "{out}"
    );
    // The captures kept are bounded, and none is on another host.
    let conn = rusqlite::Connection::open(dir.path().join("archive/citekeep.db")).unwrap();
    let (kept, foreign): (i64, i64) = conn
        .query_row(
            "SELECT count(*), sum(urim NOT LIKE 'https://liar.example/%') FROM public_captures",
            [],
            |r| Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0))),
        )
        .unwrap();
    assert!(
        kept > 0 && kept <= citekeep::public::MAX_CAPTURES as i64,
        "{kept} captures kept"
    );
    assert_eq!(foreign, 0);
    // fix writes nothing from it.
    let (out, err, _) = on_day(&web, dir.path(), 28, &["fix"], &[]);
    assert!(
        !out.contains("attacker.example") && !out.contains("liar.example"),
        "{out}{err}"
    );
}

/// A drifted citation (the address answers another article) is listed with its public copy,
/// and `fix --drifted` writes the verified copy most like ours; plain `fix` leaves it.
#[test]
fn fix_drifted_writes_the_public_copy_of_the_page_as_cited() {
    const ESSAY: &str = "https://essays.example/pause";
    let text = "Frontier models should be paused until they are shown to be safe, the essay argues, \
                because evaluations today cannot rule out dangerous capabilities before release \
                and nobody can recall a model once its weights are published on the open web.";
    let archives = SimArchives::new(vec![crate::support::archives::page(
        Arch::Wayback,
        ESSAY,
        "20261120000000",
        "Pause",
        text,
    )]);
    let night = Arc::new(Mutex::new(0));
    let seen = night.clone();
    let web = SimWeb::start_with(move |asked: &Asked| {
        if SimArchives::serves(&asked.host) {
            return archives.answer(asked);
        }
        match (asked.path.as_str(), *seen.lock().unwrap()) {
            ("/pause", 0) => Behave::html("Pause", text),
            ("/pause", _) => Behave::html(
                "Markets",
                "Shares rose on Tuesday as investors welcomed figures showing inflation easing faster \
                 than expected, and analysts said rates could fall before the summer arrives.",
            ),
            _ => Behave::status(404, &[], "<title>Not found</title>"),
        }
    });
    let dir = crate::support::site_dir(
        "a.md",
        &format!("The [essay]({ESSAY}) argues for a pause.\n"),
        CONFIG,
    );
    let (out, err, code) = on_day(&web, dir.path(), 26, &["run"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    *night.lock().unwrap() = 1;
    let (out, err, _) = on_day(&web, dir.path(), 27, &["run", "--all"], &[]);
    let (json, _, _) = on_day(&web, dir.path(), 27, &["report", "--format", "json"], &[]);
    let json: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let p = problem(&json, ESSAY);
    assert_eq!(p["status"], "drifted", "{p}");
    assert_eq!(p["verdict"], "drifted", "{p}");
    let copy = format!("https://web.archive.org/web/20261120000000/{ESSAY}");
    assert_eq!(p["public_copy"]["url"], copy.as_str(), "{p}");
    // Plain fix leaves a drifted citation alone; --drifted writes the copy.
    let (out, _, _) = on_day(&web, dir.path(), 27, &["fix"], &[]);
    assert!(!out.contains(&copy), "{out}");
    let (out, err, code) = on_day(&web, dir.path(), 27, &["fix", "--drifted", "--write"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    let source = std::fs::read_to_string(dir.path().join("site/a.md")).unwrap();
    assert_eq!(source, format!("The [essay]({copy}) argues for a pause.\n"));
}

/// The issue-28 nights: Save Page Now was sent dead links and drifted pages, the same URL
/// four nights running, and its daily allowance ran out before the pages that needed it.
/// Now each page is looked up first (a recent capture: no submission), checked alive right
/// then (never an error page into the public record), never submitted twice within
/// `lookup_days`, and an allowance smaller than the candidates goes to pages with no
/// capture at all, newest citations first.
#[test]
fn save_page_now_spends_its_allowance_on_what_matters_most() {
    let archives = SimArchives::new(vec![
        page(
            Arch::Wayback,
            "https://fresh.example/a",
            "20261120000000",
            "Fresh",
            "Captured a week ago.",
        ),
        page(
            Arch::Wayback,
            "https://old.example/a",
            "20230101000000",
            "Old",
            "Captured years ago.",
        ),
    ]);
    let sim = archives.clone();
    let page_of = |title: &str| {
        Behave::html(
            title,
            &format!("The page {title}, with words enough to be a page of its own."),
        )
    };
    let web = SimWeb::start_with(move |asked: &Asked| {
        if SimArchives::serves(&asked.host) {
            return sim.answer(asked);
        }
        match (asked.host.as_str(), asked.path.as_str()) {
            (_, p) if p.contains("citekeep-probe") => Behave::status(404, &[], "not found"),
            ("dead.example", _) => Behave::status(404, &[], "<title>Not found</title>"),
            // Alive for the night's check and snapshot, gone when about to be submitted.
            ("flaky.example", _) if asked.earlier >= 2 => {
                Behave::status(404, &[], "<title>Not found</title>")
            }
            (host, _) => page_of(host),
        }
    });
    let night_one = "[fresh](https://fresh.example/a) [old](https://old.example/a) \
                     [none1](https://none1.example/a) [dead](https://dead.example/a) \
                     [flaky](https://flaky.example/a)\n";
    let dir = crate::support::site_dir(
        "a.md",
        night_one,
        &CONFIG.replace("[archives]\n", "[archives]\nsave = false\n"),
    );
    let dir = dir.path();
    let keys = [
        ("CITEKEEP_IA_ACCESS", "test-access"),
        ("CITEKEEP_IA_SECRET", "test-secret"),
    ];
    let (out, err, _) = on_day(&web, dir, 27, &["run"], &keys);
    assert!(
        web.requests("web.archive.org", "/save").is_empty(),
        "{out}{err}"
    );
    // Night two: saving on, an allowance of two, and a new citation.
    std::fs::write(
        dir.join("config.toml"),
        CONFIG.replace(
            "[archives]\n",
            "[archives]\nsave = true\nsave_max = 2\nsave_poll = 0.05\nsave_wait = 10\n",
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("site/a.md"),
        format!("{night_one}[none2](https://none2.example/a)\n"),
    )
    .unwrap();
    let submitted = |_: &SimWeb| archives.submitted();
    let (out, err, code) = on_day(&web, dir, 28, &["run"], &keys);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        submitted(&web),
        ["https://none2.example/a", "https://none1.example/a"],
        "no capture at all first, the newest citation first: {err}"
    );
    assert!(
        err.contains("Save Page Now: 2 pages to submit next run ([archives] save_max = 2)"),
        "{err}"
    );
    assert!(
        err.contains("saved 2 pages to the Wayback Machine"),
        "{err}"
    );
    // Night three: the rest, but never the flaky page (404 when asked), the fresh one, the
    // dead one, or one submitted within lookup_days.
    let (out, err, code) = on_day(&web, dir, 29, &["run"], &keys);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        submitted(&web),
        [
            "https://none2.example/a",
            "https://none1.example/a",
            "https://old.example/a"
        ],
        "{err}"
    );
    let (_, err, _) = on_day(&web, dir, 30, &["run"], &keys);
    assert_eq!(submitted(&web).len(), 3, "nothing twice: {err}");
    let sent = submitted(&web);
    for never in [
        "https://dead.example/a",
        "https://flaky.example/a",
        "https://fresh.example/a",
    ] {
        assert!(!sent.iter().any(|s| s == never), "{never} was submitted");
    }
    // Each decision is in the history, with its reason.
    let db = rusqlite::Connection::open(dir.join("archive/citekeep.db")).unwrap();
    let state = |url: &str| -> (String, Option<String>) {
        db.query_row(
            "SELECT s.state, s.error FROM public_saves s JOIN links l ON l.id = s.link_id
             WHERE l.url = ?1",
            [url],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    assert_eq!(
        state("https://fresh.example/a"),
        ("covered".into(), Some("captured 20261120000000".into()))
    );
    let (flaky, why) = state("https://flaky.example/a");
    assert_eq!(flaky, "skipped");
    assert!(why.unwrap().starts_with("gone: "));
}

/// The issue-28 lookups asked the Wayback Machine for every capture of a URL, which for a
/// popular page is tens of thousands. A lookup asks for the captures nearest the citation
/// (the newest in the year before it, and the oldest in the year after when the link
/// failed later), runs of identical payloads collapsed, at most a limit, and widens to
/// everything before the link failed only when nothing there fits.
#[test]
fn cdx_lookups_ask_for_a_window_around_the_citation() {
    const POPULAR: &str = "https://popular.example/page";
    const SPARSE: &str = "https://sparse.example/page";
    let mut snaps = Vec::new();
    // 30,000 captures, one every three hours from 2016, the payload changing every tenth.
    let start = 1_451_606_400i64; // 2016-01-01
    for i in 0..30_000i64 {
        let ts = jiff::Timestamp::from_second(start + i * 3 * 3600)
            .unwrap()
            .strftime("%Y%m%d%H%M%S")
            .to_string();
        snaps.push(page(
            Arch::Wayback,
            POPULAR,
            &ts,
            "Popular",
            &format!("The popular page, version {}.", i / 10),
        ));
    }
    // The sparse page was captured once, four years before it was cited.
    snaps.push(page(
        Arch::Wayback,
        SPARSE,
        "20221101000000",
        "Sparse",
        "The sparse page as it stood.",
    ));
    let archives = SimArchives::new(snaps);
    let sim = archives.clone();
    let web = SimWeb::start_with(move |asked: &Asked| {
        if SimArchives::serves(&asked.host) {
            return sim.answer(asked);
        }
        Behave::status(404, &[], "<title>Not found</title>")
    });
    let dir = crate::support::site_dir(
        "a.md",
        &format!("[popular]({POPULAR}) [sparse]({SPARSE})\n"),
        &CONFIG.replace("[archives]\n", "[archives]\narchive_today = false\n"),
    );
    let (out, err, _) = on_day(&web, dir.path(), 27, &["run"], &[]);
    assert!(
        err.contains("public copies: 2 links looked up, 2 with a verified copy"),
        "{out}{err}"
    );
    let asked: Vec<String> = web
        .seen()
        .iter()
        .filter(|s| s.path.starts_with("/cdx/search/cdx?"))
        .map(|s| s.path.clone())
        .collect();
    let popular: Vec<&String> = asked.iter().filter(|p| p.contains("popular")).collect();
    assert_eq!(popular.len(), 1, "the window held a capture: {asked:?}");
    for part in [
        "collapse=digest",
        "from=20251126",
        "to=20261127",
        "limit=-250",
    ] {
        assert!(popular[0].contains(part), "{part} in {}", popular[0]);
    }
    let sparse: Vec<&String> = asked.iter().filter(|p| p.contains("sparse")).collect();
    assert_eq!(sparse.len(), 2, "widened once: {asked:?}");
    assert!(sparse[1].contains("limit=-250") && !sparse[1].contains("from="));
    assert!(
        archives.cdx_answers().iter().all(|&rows| rows <= 250),
        "{:?}",
        archives.cdx_answers()
    );
    // The copies found are the captures nearest the citation.
    let (out, _, _) = on_day(&web, dir.path(), 27, &["report", "--format", "json"], &[]);
    let report: Value = serde_json::from_str(&out).unwrap();
    let copies: Vec<String> = report["files"][0]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["public_copy"]["url"].as_str().map(str::to_string))
        .collect();
    // The popular page's newest capture before it was cited (its captures end in April).
    assert!(
        copies
            .iter()
            .any(|c| c.contains("/web/20260406") && c.ends_with(POPULAR)),
        "{copies:?}"
    );
    assert!(
        copies.iter().any(|c| c.contains("/web/20221101000000/")),
        "{copies:?}"
    );
}

/// A lookup that could not ask every archive was made again every night for ever. It is
/// made again after a day, then two, then four..., at most `lookup_days` apart.
#[test]
fn a_failed_lookup_backs_off() {
    let archives = SimArchives::new(Vec::new());
    let sim = archives.clone();
    let web = SimWeb::start_with(move |asked: &Asked| match asked.host.as_str() {
        "web.archive.org" => Behave::status(503, &[], "down"),
        h if SimArchives::serves(h) => sim.answer(asked),
        _ => Behave::status(404, &[], "<title>Not found</title>"),
    });
    let dir = crate::support::site_dir(
        "a.md",
        "[gone](https://gone.example/a)\n",
        &CONFIG.replace("[check]\n", "[check]\nrecheck_days = 1\n"),
    );
    let asked = || {
        web.seen()
            .iter()
            .filter(|s| s.host == "web.archive.org")
            .count()
    };
    let mut nights = Vec::new();
    for day in 20..=28 {
        let before = asked();
        on_day(&web, dir.path(), day, &["run"], &[]);
        if asked() > before {
            nights.push(day);
        }
    }
    assert_eq!(nights, [20, 21, 23, 27], "a day, two, four apart");
}
