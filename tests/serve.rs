//! `citekeep serve` over an archive made by nightly runs through the simulated web: every
//! page, replay (banner, rewritten, original bytes), Memento (headers, TimeGate, TimeMap),
//! and the isolation of archived scripts, over HTTP and in headless Chromium.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::support::web::{Behave, SimWeb};
use crate::support::{stderr, stdout};

/// The page whose script tries to reach the archive browser's cookie and DOM.
const REPORT_PAGE: &str = r#"<!doctype html><html><head><title>Interim report on AI safety</title>
<link rel="stylesheet" href="/assets/site.css"></head>
<body><main><h1>Interim report</h1><p>The interim report on the safety of frontier AI, published for the summit at Bletchley Park.</p>
<p><img src="/assets/logo.png" alt="logo"> <a href="https://www.gov.uk/other">Another page</a></p></main>
<script>document.title = 'STOLEN ' + document.cookie; try { parent.document.body.innerHTML = 'PWNED'; } catch (e) {} document.body.innerHTML += '<p id="ran">script ran</p>';</script>
</body></html>"#;

const SITE_CSS: &str = "body { background: #fff url(/assets/bg.png) repeat-x; } h1 { color: #123 }";

fn behave(d: i64, host: &str, path: &str) -> Behave {
    match (host, path) {
        (_, p) if p.contains("citekeep-probe") => Behave::status(404, &[], "not found"),
        ("www.gov.uk", "/report") if d >= 2 => Behave::status(404, &[], "gone"),
        ("www.gov.uk", "/report") => Behave::Page(
            200,
            vec![
                ("content-type", "text/html; charset=utf-8".into()),
                ("set-cookie", "tracker=1; Path=/".into()),
                ("server", "govuk-frontend".into()),
                ("access-control-allow-origin", "*".into()),
                (
                    "nel",
                    "{\"report_to\":\"default\",\"max_age\":2592000}".into(),
                ),
                (
                    "report-to",
                    "{\"group\":\"default\",\"endpoints\":[]}".into(),
                ),
                ("service-worker-allowed", "/".into()),
                (
                    "content-disposition",
                    "attachment; filename=report.html".into(),
                ),
            ],
            REPORT_PAGE.to_string(),
        ),
        ("www.gov.uk", "/assets/site.css") => Behave::Page(
            200,
            vec![("content-type", "text/css".into())],
            SITE_CSS.to_string(),
        ),
        ("www.gov.uk", "/assets/logo.png" | "/assets/bg.png") => Behave::Raw(
            200,
            vec![("content-type", "image/png".into())],
            b"\x89PNG\r\n\x1a\nimage".to_vec(),
        ),
        ("old.example", "/page") => Behave::Redirect(301, "https://new.example/page".into()),
        ("new.example", "/page") => Behave::html("New home", "The page in its new home."),
        ("drift.example", "/essay") if d >= 1 => Behave::html(
            "Essay",
            "Rewritten, nothing left. Contact the broker for offers on this premium name.",
        ),
        ("drift.example", "/essay") => Behave::html(
            "Essay",
            "Frontier models should be paused until they are shown safe, the essay argues.",
        ),
        _ => Behave::status(404, &[], "not found"),
    }
}

const SOURCES: &str = "# Sources\n\n## Summits\n\n\
The [interim report](https://www.gov.uk/report) and [a moved page](https://old.example/page).\n\
An [essay that drifts](https://drift.example/essay).\n";

/// Unix seconds of day `d`, 03:00 UTC (day 0 is 2026-11-26).
fn day(d: i64) -> String {
    (1_795_662_000 + d * 86_400).to_string()
}

struct Fixture {
    dir: tempfile::TempDir,
    web: SimWeb,
    today: Arc<AtomicI64>,
}

/// An archive from runs on days 0 and 1; shared by the tests that only read it.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build)
}

fn build() -> Fixture {
    let today = Arc::new(AtomicI64::new(0));
    let seen = today.clone();
    let web = SimWeb::start(move |host, path, _| behave(seen.load(Ordering::SeqCst), host, path));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    std::fs::write(dir.path().join("site/sources.md"), SOURCES).unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[site]\nsources = [\"site\"]\n[check]\ntimeout = 2\nretries = 0\nhost_interval = 10\n",
    )
    .unwrap();
    let fixture = Fixture { dir, web, today };
    for d in [0, 1] {
        fixture.run(d);
    }
    fixture
}

impl Fixture {
    fn run(&self, d: i64) {
        self.today.store(d, Ordering::SeqCst);
        let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
        cmd.current_dir(self.dir.path())
            .args(["run", "--all"])
            .env("CITEKEEP_NOW", day(d));
        for (k, v) in self.web.env() {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.code().unwrap_or(9) <= 1,
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
    }
}

/// A running `citekeep serve`, stopped when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
    said: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `citekeep serve` in `dir` on `listen` and waits for its address.
pub(crate) fn serve(dir: &Path, listen: &str) -> Server {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("citekeep"))
        .current_dir(dir)
        .args(["serve", "--listen", listen])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    Server {
        child,
        base: format!("http://{addr}"),
        said: line,
    }
}

/// One HTTP answer.
pub(crate) struct Answer {
    pub(crate) status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// GETs `path` from the server, redirects not followed.
pub(crate) fn get(server: &Server, path: &str, headers: &[(&str, &str)]) -> Answer {
    let url = format!("{}{path}", server.base);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let mut req = client.get(&url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.send().await.unwrap();
        Answer {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.bytes().await.unwrap().to_vec(),
        }
    })
}

const TS0: &str = "20261126030000";
const TS1: &str = "20261127030000";

#[test]
fn pages_show_sources_links_and_search() {
    let f = fixture();
    let s = serve(f.dir.path(), "127.0.0.1:0");
    assert!(s.said.contains("this machine only"), "{}", s.said);

    let home = get(&s, "/", &[]);
    assert_eq!(home.status, 200);
    let text = home.text();
    assert!(
        text.contains(r#"<a href="/source?file=site%2Fsources%2Emd">site/sources.md</a>"#),
        "{text}"
    );
    assert!(text.contains("Last run: run 2"), "{text}");
    assert!(text.contains(r#"<form action="/search""#), "{text}");
    // The drifted essay is counted in all and on its source's row.
    assert_eq!(
        text.matches(r#"<span class="badge drifted">1 drifted</span>"#)
            .count(),
        2,
        "{text}"
    );
    assert!(
        home.header("content-security-policy")
            .contains("script-src 'none'")
    );

    let source = get(&s, "/source?file=site/sources.md", &[]).text();
    assert!(source.contains("<h2>Summits</h2>"), "{source}");
    assert!(source.contains(">interim report</td>"), "{source}");
    assert!(
        source.contains(&format!("href=\"/web/{TS1}/https://www.gov.uk/report\"")),
        "the newest copy: {source}"
    );
    // The drifted essay leads to its copy as cited (before the text changed), not the
    // newest.
    assert!(
        source.contains(&format!(
            "as cited: <a href=\"/web/{TS0}/https://drift.example/essay\">"
        )),
        "the essay's copy as cited: {source}"
    );
    assert!(
        !source.contains(&format!("href=\"/web/{TS1}/https://drift.example/essay\"")),
        "{source}"
    );
    assert_eq!(
        source.matches(r#"class="badge drifted""#).count(),
        1,
        "{source}"
    );
    // Its newest capture says the text changed since it was cited, and leads to the copy
    // as cited.
    let banner = get(&s, &format!("/web/{TS1}/https://drift.example/essay"), &[]).text();
    assert!(
        banner.contains("text changed since cited: 0% of it remains"),
        "{banner}"
    );
    assert!(
        banner.contains(&format!(
            r#"<a href="/web/{TS0}/https://drift.example/essay">the copy as cited"#
        )),
        "{banner}"
    );

    // The drifted essay's timeline: checks, snapshots, and what changed in its text.
    let essay = source
        .split("href=\"/link/")
        .find_map(|part| {
            let (id, rest) = part.split_once('"')?;
            rest.starts_with(">https://drift.example/essay")
                .then(|| id.to_string())
        })
        .unwrap();
    let link = get(&s, &format!("/link/{essay}"), &[]).text();
    assert_eq!(link.matches("<td>check</td>").count(), 2, "{link}");
    assert_eq!(link.matches("<td>snapshot</td>").count(), 2, "{link}");
    assert!(
        link.contains(
            "<del>Frontier models should be paused until they are shown safe, </del>\
             <ins>Rewritten, nothing left. Contact </ins>the <del>essay argues.</del>\
             <ins>broker for offers on this premium name.</ins>"
        ),
        "{link}"
    );
    // A strip of its captures, each leading to its replay.
    assert!(link.contains("<h2>Captures (2)</h2>"), "{link}");
    assert_eq!(link.matches(r#"<rect x="#).count(), 2, "{link}");
    assert!(
        link.contains(&format!(
            r#"<a href="/web/{TS0}/https://drift.example/essay"><rect"#
        )),
        "{link}"
    );
    // Any two captures compare: the newest against the first is the same diff reversed.
    let ids: Vec<String> = link
        .split(r#"<option value=""#)
        .skip(1)
        .filter_map(|o| o.split('"').next().map(str::to_string))
        .collect();
    assert_eq!(ids.len(), 4, "two selects of two captures each: {link}");
    let reversed = get(
        &s,
        &format!("/link/{essay}?from={}&to={}", ids[1], ids[0]),
        &[],
    )
    .text();
    assert!(
        reversed
            .contains("<ins>Frontier models should be paused until they are shown safe, </ins>"),
        "{reversed}"
    );

    // Search: archived text (with the match marked) and link texts.
    let found = get(&s, "/search?q=Bletchley", &[]).text();
    assert!(found.contains("<mark>Bletchley</mark>"), "{found}");
    assert!(
        found.contains(&format!("href=\"/web/{TS0}/https://www.gov.uk/report\""))
            || found.contains(&format!("href=\"/web/{TS1}/https://www.gov.uk/report\"")),
        "{found}"
    );
    let found = get(&s, "/search?q=moved+page", &[]).text();
    assert!(found.contains("https://old.example/page"), "{found}");
    // The essay, captured twice with different texts (both titled "Essay"), is one hit.
    let found = get(&s, "/search?q=Essay", &[]).text();
    assert!(found.contains("Archived pages (1 in all)"), "{found}");
    assert_eq!(found.matches(r#"<p class="hit">"#).count(), 1, "{found}");
    // What the search echoes is escaped.
    let found = get(&s, "/search?q=%3Cscript%3Ealert(1)%3C/script%3E", &[]).text();
    assert!(!found.contains("<script>"), "{found}");
    assert!(found.contains("&lt;script&gt;"), "{found}");

    let rot = get(&s, "/rot", &[]);
    assert_eq!(rot.status, 200);
    let rot = rot.text();
    assert!(rot.contains("Citation rot report"));
    // Inside the browser's layout, its cited links leading to their pages here.
    assert!(rot.contains(r#"<header class="top">"#), "{rot}");
    assert!(
        rot.contains(r#"<a class="url" href="/link?url=https%3A%2F%2Fold%2Eexample%2Fpage">"#),
        "{rot}"
    );
    let to = get(&s, "/link?url=https://www.gov.uk/report", &[]);
    assert_eq!(to.status, 302);
    assert!(
        to.header("location").starts_with("/link/"),
        "{}",
        to.header("location")
    );
    assert_eq!(get(&s, "/link/999999", &[]).status, 404);
    assert_eq!(get(&s, "/nothing/here", &[]).status, 404);
}

#[test]
fn replay_and_memento() {
    let f = fixture();
    let s = serve(f.dir.path(), "127.0.0.1:0");
    let url = "https://www.gov.uk/report";

    // The banner page, with Memento headers.
    let page = get(&s, &format!("/web/{TS0}/{url}"), &[]);
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("memento-datetime"),
        "Thu, 26 Nov 2026 03:00:00 GMT"
    );
    let link = page.header("link");
    assert!(
        link.contains(&format!("<{url}>; rel=\"original\"")),
        "{link}"
    );
    assert!(
        link.contains(&format!("<{}/web/{url}>; rel=\"timegate\"", s.base)),
        "{link}"
    );
    assert!(
        link.contains(&format!("<{}/timemap/link/{url}>; rel=\"timemap\"", s.base)),
        "{link}"
    );
    let text = page.text();
    assert!(text.contains("archived copy of"), "{text}");
    assert!(
        text.contains(&format!(r#"src="/web/{TS0}if_/{url}""#)),
        "{text}"
    );
    assert!(
        text.contains(r#"<iframe class="replay" sandbox="#),
        "{text}"
    );
    assert!(
        text.contains(&format!(r#"href="/web/{TS1}/{url}""#)),
        "other captures: {text}"
    );

    // A partial timestamp resolves to the nearest capture.
    let r = get(&s, &format!("/web/2026/{url}"), &[]);
    assert_eq!(
        (r.status, r.header("location")),
        (302, &*format!("/web/{TS0}/{url}"))
    );
    let r = get(&s, &format!("/web/20261127120000id_/{url}"), &[]);
    assert_eq!(r.header("location"), format!("/web/{TS1}id_/{url}"));

    // The rewritten copy: sandboxed, no script, requisites from the archive.
    let copy = get(&s, &format!("/web/{TS0}if_/{url}"), &[]);
    assert_eq!(copy.status, 200);
    let csp = copy.header("content-security-policy");
    assert!(
        csp.starts_with("sandbox") && csp.contains("script-src 'none'"),
        "{csp}"
    );
    let html = copy.text();
    assert!(!html.contains("<script"), "{html}");
    assert!(
        html.contains(&format!(
            r#"href="/web/{TS0}if_/https://www.gov.uk/assets/site.css""#
        )),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            r#"src="/web/{TS0}if_/https://www.gov.uk/assets/logo.png""#
        )),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            r#"href="/web/{TS0}/https://www.gov.uk/other" target="_top""#
        )),
        "{html}"
    );
    let css = get(
        &s,
        &format!("/web/{TS0}if_/https://www.gov.uk/assets/site.css"),
        &[],
    );
    assert_eq!(css.header("content-type"), "text/css");
    assert!(
        css.text().contains(&format!(
            "url(/web/{TS0}if_/https://www.gov.uk/assets/bg.png)"
        )),
        "{}",
        css.text()
    );
    let logo = get(
        &s,
        &format!("/web/{TS0}if_/https://www.gov.uk/assets/logo.png"),
        &[],
    );
    assert_eq!(logo.body, b"\x89PNG\r\n\x1a\nimage");

    // The original bytes and headers, minus what would act on our origin.
    let raw = get(&s, &format!("/web/{TS0}id_/{url}"), &[]);
    assert_eq!(raw.status, 200);
    assert_eq!(raw.text(), REPORT_PAGE);
    assert_eq!(raw.header("content-type"), "text/html; charset=utf-8");
    assert!(raw.headers.get("set-cookie").is_none());
    assert!(raw.header("content-security-policy").starts_with("sandbox"));
    // Archived headers that would act on our origin or pose as this answer's own come
    // prefixed, as pywb and the Wayback Machine replay them.
    for name in [
        "access-control-allow-origin",
        "nel",
        "report-to",
        "service-worker-allowed",
        "content-disposition",
        "server",
    ] {
        assert!(raw.headers.get(name).is_none(), "{name} replayed as live");
        assert!(
            raw.headers.get(format!("x-archive-orig-{name}")).is_some(),
            "{name} not kept as x-archive-orig-{name}"
        );
    }
    assert_eq!(raw.header("x-archive-orig-server"), "govuk-frontend");
    assert_eq!(raw.header("x-archive-orig-set-cookie"), "tracker=1; Path=/");
    assert_eq!(
        raw.header("memento-datetime"),
        "Thu, 26 Nov 2026 03:00:00 GMT"
    );

    // The TimeGate.
    let r = get(&s, &format!("/web/{url}"), &[]);
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), format!("{}/web/{TS1}/{url}", s.base));
    assert_eq!(r.header("vary"), "accept-datetime");
    let r = get(
        &s,
        &format!("/web/{url}"),
        &[("accept-datetime", "Wed, 25 Nov 2026 00:00:00 GMT")],
    );
    assert_eq!(r.header("location"), format!("{}/web/{TS0}/{url}", s.base));
    let r = get(
        &s,
        &format!("/web/{url}"),
        &[("accept-datetime", "yesterday")],
    );
    assert_eq!(r.status, 400);

    // The TimeMap.
    let map = get(&s, &format!("/timemap/link/{url}"), &[]);
    assert_eq!(map.header("content-type"), "application/link-format");
    let map = map.text();
    for want in [
        format!("<{url}>; rel=\"original\""),
        format!(
            "<{}/timemap/link/{url}>; rel=\"self\"; type=\"application/link-format\"",
            s.base
        ),
        format!("<{}/web/{url}>; rel=\"timegate\"", s.base),
        format!(
            "<{}/web/{TS0}/{url}>; rel=\"first memento\"; datetime=\"Thu, 26 Nov 2026 03:00:00 GMT\"",
            s.base
        ),
        format!(
            "<{}/web/{TS1}/{url}>; rel=\"last memento\"; datetime=\"Fri, 27 Nov 2026 03:00:00 GMT\"",
            s.base
        ),
    ] {
        assert!(map.contains(&want), "{want}\nnot in\n{map}");
    }

    // A captured redirect is said, as the Wayback Machine says it, with the target's
    // capture linked; the frame and the raw bytes follow it into the archive.
    let r = get(&s, &format!("/web/{TS0}/https://old.example/page"), &[]);
    assert_eq!(r.status, 200);
    let note = r.text();
    assert!(note.contains("answered <b>301</b>"), "{note}");
    // Issue 28: a captured redirect's page had no way to the URL's other captures.
    assert!(
        note.contains(&format!(
            r#"<a rel="next" href="/web/{TS1}/https://old.example/page">next →</a>"#
        )),
        "{note}"
    );
    assert!(
        note.contains(&format!(r#"href="/web/{TS0}/https://new.example/page""#)),
        "{note}"
    );
    assert!(!r.header("memento-datetime").is_empty());
    let r = get(&s, &format!("/web/{TS0}if_/https://old.example/page"), &[]);
    assert_eq!(
        (r.status, r.header("location")),
        (302, &*format!("/web/{TS0}if_/https://new.example/page"))
    );

    // Every capture of a URL, once each, and the cite box on the banner.
    let list = get(&s, &format!("/web/*/{url}"), &[]).text();
    assert_eq!(list.matches("<tr><td>").count(), 2, "{list}");
    assert!(list.contains("2026-11-26 03:00:00 UTC"), "{list}");
    let page = get(&s, &format!("/web/{TS0}/{url}"), &[]).text();
    assert!(page.contains("Cite this copy"), "{page}");
    assert!(
        page.contains(&format!("{}/web/{TS0}/{url}", s.base)),
        "the replay address in the cite box: {page}"
    );
    assert!(
        page.contains("data-versiondate=&quot;2026-11-26&quot;"),
        "{page}"
    );
    assert!(page.contains("sha1:"), "the payload digest: {page}");
    assert!(
        page.contains(&format!(r#"rel="next" href="/web/{TS1}/{url}""#)),
        "{page}"
    );
}

/// DNS rebinding: a page elsewhere that points its own name at this machine gets 421, not
/// the archive; a request's Host never reaches a Location; a client that sends its headers
/// slowly, or holds a connection idle, is cut off; hundreds of idle connections do not
/// starve a real request.
#[test]
fn serve_answers_only_its_own_host_and_sheds_slow_clients() {
    use std::io::{Read, Write};
    let f = fixture();
    let s = serve(f.dir.path(), "127.0.0.1:0");
    let addr = s.base.trim_start_matches("http://").to_string();
    let port = addr.rsplit(':').next().unwrap().to_string();
    let url = "https://www.gov.uk/report";
    for (host, status) in [
        ("attacker.example", 421),
        (&*format!("attacker.example:{port}"), 421),
        (&*addr, 200),
        (&*format!("localhost:{port}"), 200),
    ] {
        let r = get(&s, "/", &[("host", host)]);
        assert_eq!(r.status, status, "Host: {host}");
    }
    let r = get(
        &s,
        &format!("/web/{url}"),
        &[("host", &format!("localhost:{port}"))],
    );
    assert_eq!(r.status, 302);
    assert!(
        r.header("location").starts_with(&s.base),
        "{}",
        r.header("location")
    );

    // Headers sent slowly: the connection is closed within the header timeout.
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    slow.set_read_timeout(Some(std::time::Duration::from_secs(15)))
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 512];
    let n = slow.read(&mut buf).unwrap_or(0);
    assert!(
        n == 0 || String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    // More idle connections than the server serves at once: a real request still gets
    // its answer once the idle ones are shed. (This process needs the descriptors: a soft
    // limit of 1,024 is common, the hard one higher.)
    crate::support::raise_open_files_limit();
    let idle: Vec<std::net::TcpStream> = (0..530)
        .filter_map(|_| std::net::TcpStream::connect(&addr).ok())
        .collect();
    assert!(idle.len() > 512, "{} connections opened", idle.len());
    let started = std::time::Instant::now();
    let r = get(&s, "/", &[]);
    assert_eq!(r.status, 200);
    assert!(started.elapsed() < std::time::Duration::from_secs(12));
    drop(idle);
}

#[test]
fn replay_never_reaches_the_live_web_nor_the_disk() {
    let f = fixture();
    let s = serve(f.dir.path(), "127.0.0.1:0");
    let before = f.web.seen().len();
    let r = get(&s, "/web/2026/https://never.example/page", &[]);
    assert_eq!(r.status, 404);
    assert!(r.text().contains("Replay never fetches from the live web"));
    assert_eq!(f.web.seen().len(), before, "nothing asked of the web");
    // Nothing is served from the disk by its path.
    for path in [
        "/web/2026/../../config.toml",
        "/../config.toml",
        "/%2e%2e/config.toml",
        "/source?file=../config.toml",
        "/source?file=config.toml",
        "/style.css/../../config.toml",
    ] {
        let r = get(&s, path, &[]);
        assert!(!r.text().contains("[site]"), "{path}: {}", r.text());
        assert_ne!(r.status, 200, "{path}");
    }
    // No header injection through the replayed URL.
    let r = get(
        &s,
        "/web/2026/https://www.gov.uk/report%0d%0aSet-Cookie:%20x=1",
        &[],
    );
    assert!(r.headers.get("set-cookie").is_none());
}

#[test]
fn serve_reads_while_a_run_writes_and_warns_beyond_loopback() {
    let f = build();
    let s = serve(f.dir.path(), "127.0.0.1:0");
    let map = |s: &Server| get(s, "/timemap/link/https://drift.example/essay", &[]).text();
    assert_eq!(map(&s).matches("memento\"").count(), 2);
    f.run(2);
    // The new capture is seen without a restart.
    assert_eq!(map(&s).matches("memento\"").count(), 3, "{}", map(&s));
    drop(s);
    let s = serve(f.dir.path(), "0.0.0.0:0");
    assert!(
        s.said.contains("warning: listening beyond this machine"),
        "{}",
        s.said
    );
}

/// A running chromedriver, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromedriver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed (tests/run installs Debian's chromium-driver)");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "chromedriver did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// Where a screenshot goes: `target/serve-NAME.png`, kept for people to look at.
fn screenshot_path(name: &str) -> std::path::PathBuf {
    crate::support::root().join(format!("target/serve-{name}.png"))
}

/// Headless Chromium, driven through WebDriver: home, search, a replay with its banner and
/// the archived text; the archived page's script (which tries to read the UI's cookie and
/// rewrite its DOM) never runs, neither in the frame nor opened directly.
#[test]
fn a_browser_searches_and_replays_and_archived_scripts_stay_inert() {
    use fantoccini::{ClientBuilder, Locator};

    let f = fixture();
    let s = serve(f.dir.path(), "127.0.0.1:0");
    let driver = chromedriver();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({"args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--no-first-run", "--window-size=1280,1000", "--hide-scrollbars"
            ]}),
        );
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a Chromium session");
        let shot = |name: &'static str| {
            let c = c.clone();
            async move {
                let png = c.screenshot().await.unwrap();
                std::fs::write(screenshot_path(name), &png).unwrap();
                png.len()
            }
        };

        // Home, with a cookie of the UI's origin that an archived script would want.
        c.goto(&format!("{}/", s.base)).await.unwrap();
        // (SameSite spelled out: fantoccini sends None unless told, which needs Secure.)
        let cookie = fantoccini::cookies::Cookie::parse(
            "ui_secret=s3cret; Path=/; Domain=127.0.0.1; SameSite=Lax".to_string(),
        )
        .unwrap();
        c.add_cookie(cookie).await.unwrap();
        c.goto(&format!("{}/", s.base)).await.unwrap();
        let home = c
            .find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(home.contains("site/sources.md"), "{home}");
        assert!(shot("home").await > 10_000);

        // Search from the box every page has.
        let q = c.find(Locator::Css("header input[name=q]")).await.unwrap();
        q.send_keys("Bletchley").await.unwrap();
        c.find(Locator::Css("header form button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .for_url(&url::Url::parse(&format!("{}/search?q=Bletchley", s.base)).unwrap())
            .await
            .unwrap();
        let mark = c
            .find(Locator::Css("p.hit mark"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(mark, "Bletchley");
        shot("search").await;

        // Open the archived page: the banner, and the archived text in the frame.
        c.find(Locator::Css("p.hit a"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let banner = c.wait().for_element(Locator::Css(".banner")).await.unwrap();
        let banner = banner.text().await.unwrap();
        assert!(
            banner.contains("archived copy of https://www.gov.uk/report"),
            "{banner}"
        );
        assert!(
            banner.contains("Captured 2026-11-26 03:00:00 UTC"),
            "{banner}"
        );
        c.enter_frame(0).await.unwrap();
        let framed = c.wait().for_element(Locator::Css("main")).await.unwrap();
        let framed = framed.text().await.unwrap();
        assert!(
            framed.contains("The interim report on the safety of frontier AI"),
            "{framed}"
        );
        assert!(
            c.find(Locator::Id("ran")).await.is_err(),
            "the archived script ran"
        );
        c.enter_parent_frame().await.unwrap();
        // The UI's own document can read its cookie (so the checks below could fail)...
        let read = "try { return document.cookie } catch (e) { return 'refused: ' + e.name }";
        let ui = c.execute(read, vec![]).await.unwrap();
        assert!(ui.to_string().contains("ui_secret=s3cret"), "{ui}");
        let top = c.source().await.unwrap();
        assert!(!top.contains("PWNED"), "the archived script reached the UI");
        assert!(!c.title().await.unwrap().contains("STOLEN"));
        shot("replay").await;

        // The original bytes opened directly, script and all: the sandbox policy keeps it
        // from running (it would set the title to the cookie and add #ran).
        c.goto(&format!(
            "{}/web/{TS0}id_/https://www.gov.uk/report",
            s.base
        ))
        .await
        .unwrap();
        assert_eq!(c.title().await.unwrap(), "Interim report on AI safety");
        assert!(
            c.find(Locator::Id("ran")).await.is_err(),
            "the raw script ran"
        );
        // ...and a sandboxed archived document cannot, even from the driver's own script.
        if let Ok(v) = c.execute(read, vec![]).await {
            assert!(!v.to_string().contains("s3cret"), "{v}");
        }

        // A phone, 390 px wide: no page scrolls sideways, and the banner leaves the copy
        // most of the screen. Each page type is kept as a screenshot at both widths.
        let essay_link = {
            c.goto(&format!("{}/source?file=site/sources.md", s.base))
                .await
                .unwrap();
            c.find(Locator::Css("a.url[href^='/link/']"))
                .await
                .unwrap()
                .attr("href")
                .await
                .unwrap()
                .unwrap()
        };
        let pages = [
            ("home", "/".to_string()),
            ("source", "/source?file=site/sources.md".to_string()),
            ("link", essay_link),
            ("search", "/search?q=Bletchley".to_string()),
            ("rot", "/rot".to_string()),
            ("captures", "/web/*/https://www.gov.uk/report".to_string()),
            ("replay", format!("/web/{TS0}/https://www.gov.uk/report")),
        ];
        for (width, height) in [(1280u32, 1000u32), (390, 844)] {
            c.set_window_size(width, height).await.unwrap();
            for (name, path) in &pages {
                c.goto(&format!("{}{path}", s.base)).await.unwrap();
                let overflow = c
                    .execute(
                        "return document.documentElement.scrollWidth - window.innerWidth",
                        vec![],
                    )
                    .await
                    .unwrap();
                assert!(
                    overflow.as_i64().unwrap_or(0) <= 0,
                    "{name} at {width} px scrolls sideways by {overflow} px"
                );
                let png = c.screenshot().await.unwrap();
                std::fs::write(screenshot_path(&format!("{name}-{width}")), &png).unwrap();
            }
            if width == 390 {
                c.goto(&format!("{}/web/{TS0}/https://www.gov.uk/report", s.base))
                    .await
                    .unwrap();
                let frame = c.find(Locator::Css("iframe.replay")).await.unwrap();
                let (_, top, _, frame_height) = frame.rectangle().await.unwrap();
                assert!(
                    frame_height > 400.0 && top < 420.0,
                    "the banner pushes the copy down: frame at {top} px, {frame_height} px high"
                );
            }
        }
        c.close().await.unwrap();
    });
}

/// A PNG of `width` × `height` pixels of one colour, made here (no image crate needed).
fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    use std::io::Write;
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // Each row: filter type 0, then the pixels.
    let row: Vec<u8> = std::iter::once(0)
        .chain(std::iter::repeat_n(rgb, width as usize).flatten())
        .collect();
    let raw = row.repeat(height as usize);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw).unwrap();
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The copy looks like the page, in a real browser: its web font (named in a `<style>`
/// block) is used, its inline styles apply, an image named in CSS loads from the archive,
/// a fragment link scrolls the copy without leaving the banner, and no request leaves for
/// the live web (Chromium goes through the simulated web's proxy, whose log would show it).
#[test]
fn a_browser_sees_the_copy_as_it_was() {
    use fantoccini::{ClientBuilder, Locator};

    const PAGE: &str = r##"<!doctype html><html><head><title>Fidelity</title>
<style>
@font-face { font-family: "Archived Sans"; src: url(/f/archived.ttf) format("truetype"); }
.archived { font-family: "Archived Sans", monospace; font-size: 40px; }
.fallback { font-family: monospace; font-size: 40px; }
.chart::before { content: url(/img/chart.png); }
.chart { display: inline-block; }
</style></head><body><main>
<p id="styled" style="color: rgb(1, 2, 3); font-size: 20px">Styled inline.</p>
<span id="archived" class="archived">mmmmmmmmmm</span><br><span id="fallback" class="fallback">mmmmmmmmmm</span>
<div><span id="chart" class="chart"></span></div>
<p><a id="jump" href="#part2">to part 2</a></p>
<div style="height: 3000px"></div><h2 id="part2">Part 2</h2>
</main></body></html>"##;
    let font = std::fs::read("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
        .expect("a font file (tests/run installs fonts-dejavu-core)");
    let chart = png(37, 23, [200, 30, 30]);
    let web = SimWeb::start(move |_, path, _| match path {
        "/fidelity" => Behave::Page(200, vec![("content-type", "text/html".into())], PAGE.into()),
        "/f/archived.ttf" => {
            Behave::Raw(200, vec![("content-type", "font/ttf".into())], font.clone())
        }
        "/img/chart.png" => Behave::Raw(
            200,
            vec![("content-type", "image/png".into())],
            chart.clone(),
        ),
        _ => Behave::status(404, &[], "not found"),
    });
    let dir = crate::support::site_dir(
        "a.md",
        "[f](https://fidelity.example/fidelity)\n",
        "[site]\nsources = [\"site\"]\n[check]\nhost_interval = 0\nsoft404_probe = false\n",
    );
    let (out, err, _) = crate::support::citekeep_on(Some(&web), dir.path(), &["archive", "site"]);
    assert!(out.contains("1 page snapshotted"), "{out}{err}");
    let index = std::fs::read_to_string(dir.path().join("archive/index.cdxj")).unwrap();
    let ts = index
        .lines()
        .find(|l| l.contains("\"https://fidelity.example/fidelity\""))
        .and_then(|l| l.split(' ').nth(1))
        .unwrap()
        .to_string();
    let before = web.seen().len();

    let s = serve(dir.path(), "127.0.0.1:0");
    let driver = chromedriver();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({"args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--no-first-run", "--window-size=1280,1000", "--hide-scrollbars",
                format!("--proxy-server={}", web.proxy),
            ]}),
        );
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a Chromium session");
        let replay = format!("{}/web/{ts}/https://fidelity.example/fidelity", s.base);
        c.goto(&replay).await.unwrap();
        c.wait().for_element(Locator::Css(".banner")).await.unwrap();
        c.enter_frame(0).await.unwrap();
        c.wait().for_element(Locator::Id("styled")).await.unwrap();
        // Give the font and the image a moment to come from the archive.
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        let styled = c.find(Locator::Id("styled")).await.unwrap();
        assert_eq!(styled.css_value("color").await.unwrap(), "rgba(1, 2, 3, 1)");
        let width = |id: &'static str| {
            let c = c.clone();
            async move {
                let (_, _, w, h) = c
                    .find(Locator::Id(id))
                    .await
                    .unwrap()
                    .rectangle()
                    .await
                    .unwrap();
                (w, h)
            }
        };
        let (archived, _) = width("archived").await;
        let (fallback, _) = width("fallback").await;
        assert!(
            (archived - fallback).abs() > 20.0,
            "the archived font is not used: {archived} against the fallback's {fallback}"
        );
        // The image's own width (its line box is taller than the image).
        let (chart_w, _) = width("chart").await;
        assert_eq!(chart_w, 37.0, "the CSS-named image did not load");
        c.find(Locator::Id("jump"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        c.enter_parent_frame().await.unwrap();
        assert_eq!(
            c.current_url().await.unwrap().as_str(),
            replay,
            "the fragment left the banner"
        );
        assert!(c.find(Locator::Css(".banner")).await.is_ok());
        let png = c.screenshot().await.unwrap();
        std::fs::write(screenshot_path("fidelity"), &png).unwrap();
        c.close().await.unwrap();
    });
    // (Chromium's own services ask for updates and the time whatever it is told; they are
    // not the copy's requests.)
    let chromium_itself = |host: &str| {
        ["google.com", "googleapis.com", "gstatic.com", "gvt1.com"]
            .iter()
            .any(|d| host == *d || host.ends_with(&format!(".{d}")))
    };
    let left: Vec<String> = web.seen()[before..]
        .iter()
        .filter(|s| !chromium_itself(&s.host))
        .map(|s| format!("{} {}{}", s.method, s.host, s.path))
        .collect();
    assert!(left.is_empty(), "requests left for the live web: {left:?}");
}

/// A PDF capture gets a page of its own (a browser will not show a PDF in the sandboxed
/// frame): its size, its page count, the original bytes to download, how to cite it.
#[test]
fn a_pdf_capture_has_its_own_page() {
    const PDF: &str = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
                       2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >> endobj\n\
                       3 0 obj << /Type /Page /Parent 2 0 R /Contents 5 0 R >> endobj\n\
                       4 0 obj << /Type/Page /Parent 2 0 R >> endobj\n\
                       5 0 obj << /Length 44 >>\nstream\nBT /F1 12 Tf (Frontier AI capabilities) Tj ET\nendstream endobj\n\
                       6 0 obj << /Title (Capabilities report) >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let web = SimWeb::start(|_, path, _| match path {
        "/report.pdf" => Behave::Page(
            200,
            vec![("content-type", "application/pdf".into())],
            PDF.into(),
        ),
        _ => Behave::status(404, &[], "not found"),
    });
    let dir = crate::support::site_dir(
        "a.md",
        "[r](https://docs.example/report.pdf)\n",
        "[site]\nsources = [\"site\"]\n[check]\nhost_interval = 0\nsoft404_probe = false\n",
    );
    let (out, err, _) = crate::support::citekeep_on(Some(&web), dir.path(), &["archive", "site"]);
    assert!(out.contains("1 page snapshotted"), "{err}");
    let s = serve(dir.path(), "127.0.0.1:0");
    let page = get(&s, "/web/2030/https://docs.example/report.pdf", &[]);
    let location = page.header("location").to_string();
    let page = get(&s, &location, &[]);
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("PDF document"), "{text}");
    assert!(
        text.contains(&format!("{} bytes · 2 pages", PDF.len())),
        "{text}"
    );
    assert!(
        text.contains("id_/https://docs.example/report.pdf\" download"),
        "{text}"
    );
    assert!(!text.contains("<iframe"), "{text}");
    let raw = get(&s, &location.replacen("/https:", "id_/https:", 1), &[]);
    assert_eq!(raw.text(), PDF);
    // Its text, read at capture time, is shown and found by search under its title.
    assert!(
        text.contains("Its text</h2><div class=\"pdf-text\">Frontier AI capabilities"),
        "{text}"
    );
    let found = get(&s, "/search?q=capabilities", &[]).text();
    assert!(found.contains("Capabilities report"), "{found}");
    assert!(found.contains("<mark>capabilities</mark>"), "{found}");
}

/// The third attack: 530 clients asked for a 7 MB capture and never read it; each answer
/// was held whole (2.6 to 3.6 GB) and every connection place was taken. Now bodies are
/// streamed from the WARC, one address holds at most 64 connections (so a researcher on
/// another is answered at once), and a connection whose answer stalls is closed.
#[test]
fn clients_that_never_read_hold_neither_memory_nor_every_place() {
    use std::io::Read;
    const BIG: usize = 7 << 20;
    let web = SimWeb::start(|_, path, _| match path {
        "/big.bin" => Behave::Raw(
            200,
            vec![("content-type", "application/octet-stream".into())],
            (0..BIG)
                .map(|i| (i.wrapping_mul(2654435761) >> 11) as u8)
                .collect(),
        ),
        _ => Behave::html("Page", "A page."),
    });
    let dir = crate::support::site_dir(
        "a.md",
        "[data](https://data.example/big.bin)\n",
        "[site]\nsources = [\"site\"]\n[check]\ntimeout = 20\nhost_interval = 0\n[archives]\nenabled = false\n",
    );
    let (out, err, code) = crate::support::citekeep_on(Some(&web), dir.path(), &["run"]);
    assert_eq!(code, 0, "{out}{err}");
    let s = serve(dir.path(), "127.0.0.1:0");
    let addr: std::net::SocketAddr = s.base.trim_start_matches("http://").parse().unwrap();
    let exact = redirect_target(&s, "/web/2100id_/https://data.example/big.bin");
    // The capture replays whole, byte for byte.
    let whole = get(&s, &exact, &[]);
    assert_eq!(whole.status, 200, "{exact}");
    assert_eq!(whole.body.len(), BIG);
    crate::support::raise_open_files_limit();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let request = format!("GET {exact} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    // 530 clients from another loopback address ask and never read.
    let stalled: Vec<std::net::TcpStream> = runtime.block_on(async {
        let mut out = Vec::new();
        for _ in 0..530 {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            // A small window, so what the kernel buffers is far less than the answer.
            socket.set_recv_buffer_size(4096).unwrap();
            socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
            if let Ok(stream) = socket.connect(addr).await {
                let mut stream = stream.into_std().unwrap();
                stream.set_nonblocking(false).unwrap();
                use std::io::Write;
                let _ = stream.write_all(request.as_bytes());
                out.push(stream);
            }
        }
        out
    });
    assert_eq!(stalled.len(), 530);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let rss_kb = std::fs::read_to_string(format!("/proc/{}/status", s.child.id()))
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("VmRSS:")
                .map(|v| v.trim().trim_end_matches(" kB").parse::<u64>().unwrap())
        })
        .unwrap();
    assert!(
        rss_kb < 400 * 1024,
        "serve holds {rss_kb} kB for 530 stalled answers"
    );
    // A researcher is answered at once.
    let started = std::time::Instant::now();
    assert_eq!(get(&s, "/", &[]).status, 200);
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    // Connections beyond the address's share were closed at once; the others are closed
    // once their answer stalls for the write timeout (20 s), not held for ever.
    std::thread::sleep(std::time::Duration::from_secs(25));
    let mut closed = 0;
    for mut c in stalled {
        c.set_read_timeout(Some(std::time::Duration::from_secs(40)))
            .unwrap();
        let mut sink = vec![0u8; 1 << 20];
        let mut total = 0usize;
        loop {
            match c.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
        if total < BIG {
            closed += 1;
        }
    }
    assert_eq!(
        closed, 530,
        "every stalled connection ended before its answer did"
    );
}

/// The address the TimeGate sends `path` to (its exact capture).
fn redirect_target(s: &Server, path: &str) -> String {
    let r = get(s, path, &[]);
    if (300..400).contains(&r.status) {
        r.header("location").trim_start_matches(&s.base).to_string()
    } else {
        path.to_string()
    }
}

/// A page unchanged for three nights, then rewritten, then unchanged again: its copy as
/// cited is the last capture from before the rewrite, never a later revisit of the
/// rewritten text (revisits once had no share of the cited text, and passed for copies as
/// cited).
#[test]
fn the_copy_as_cited_is_from_before_the_text_drifted_whatever_the_revisits() {
    let today = Arc::new(AtomicI64::new(0));
    let seen = today.clone();
    let web = SimWeb::start(
        move |_, path, _| match (path, seen.load(Ordering::SeqCst)) {
            ("/essay", d) if d >= 3 => Behave::html(
                "Essay",
                "Rewritten entirely: the premium name is for sale, contact the broker for offers today.",
            ),
            ("/essay", _) => Behave::html(
                "Essay",
                "Frontier models should be paused until they are shown safe, the essay argues at length.",
            ),
            _ => Behave::status(404, &[], "not found"),
        },
    );
    let dir = crate::support::site_dir(
        "a.md",
        "An [essay](https://drift.example/essay).\n",
        "[site]\nsources = [\"site\"]\n[check]\ntimeout = 5\nretries = 0\nhost_interval = 0\n\
         [archives]\nenabled = false\n",
    );
    for d in 0..5 {
        today.store(d, Ordering::SeqCst);
        let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
        cmd.current_dir(dir.path())
            .args(["run", "--all"])
            .env("CITEKEEP_NOW", day(d));
        for (k, v) in web.env() {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.code().unwrap_or(-1) <= 1,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let s = serve(dir.path(), "127.0.0.1:0");
    let source = get(&s, "/source?file=site%2Fa.md", &[]).text();
    // Day 2 (the last unchanged night) is the copy as cited; days 3 and 4 drifted.
    let stamp = |d: i64| citekeep::archive::cdxj::timestamp(day(d).parse().unwrap());
    assert!(
        source.contains(&format!(
            "href=\"/web/{}/https://drift.example/essay\"",
            stamp(2)
        )),
        "{source}"
    );
    for d in [3, 4] {
        assert!(
            !source.contains(&format!("as cited: <a href=\"/web/{}/", stamp(d))),
            "day {d} passed for the copy as cited: {source}"
        );
    }
}
