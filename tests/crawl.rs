//! `citekeep scan URL`: crawling a live site served by the simulated web on 127.0.0.1 (a few
//! hundred pages, a sitemap index with a gzip sitemap, robots.txt with Disallow, Allow and
//! Crawl-delay, a redirect loop, an endless calendar, documents, a link to a private
//! address), and the guard against private addresses.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::Value;

use crate::support::web::{Behave, SimWeb};
use crate::support::{stderr, stdout};

const PAGES: usize = 200;
const ORPHANS: usize = 50;

fn page(title: &str, body: &str) -> Behave {
    Behave::Page(
        200,
        vec![("content-type", "text/html; charset=utf-8".into())],
        format!(
            "<!doctype html><html><head><title>{title}</title></head>\n<body>\n{body}\n</body></html>"
        ),
    )
}

fn gzip(text: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

/// The site: `port` is where it is served (known once the server started); `earlier`
/// requests of the same path came before.
fn site(port: &OnceLock<u16>, path: &str, earlier: usize) -> Behave {
    let origin = format!("http://127.0.0.1:{}", port.get().copied().unwrap_or(0));
    match path {
        "/robots.txt" => Behave::Page(
            200,
            vec![("content-type", "text/plain".into())],
            format!(
                "User-agent: *\nAllow: /private/open.html\nDisallow: /private/\nCrawl-delay: 0.01\n\
                 Sitemap: {origin}/sitemap-index.xml\n"
            ),
        ),
        "/sitemap-index.xml" => Behave::Page(
            200,
            vec![("content-type", "application/xml".into())],
            format!(
                "<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\
                 <sitemap><loc>{origin}/sitemap-orphans.xml.gz</loc></sitemap>\
                 <sitemap><loc>{origin}/sitemap-pages.xml</loc></sitemap></sitemapindex>"
            ),
        ),
        "/sitemap-orphans.xml.gz" => Behave::Raw(
            200,
            vec![("content-type", "application/gzip".into())],
            gzip(&format!(
                "<?xml version=\"1.0\"?><urlset>{}</urlset>",
                (0..ORPHANS)
                    .map(|i| format!("<url><loc>{origin}/orphan/{i}.html</loc></url>"))
                    .collect::<String>()
            )),
        ),
        "/sitemap-pages.xml" => Behave::Page(
            200,
            vec![("content-type", "application/xml".into())],
            format!("<urlset><url><loc>{origin}/a/0.html</loc></url></urlset>"),
        ),
        // Busy the first time: come back in a second.
        "/a/5.html" if earlier == 0 => Behave::status(429, &[("retry-after", "1")], "busy"),
        "/" => page(
            "Home",
            &format!(
                "<h1 id=\"top\">Sources</h1>\n{}\n\
                 <a href=\"/private/secret.html\">secret</a> <a href=\"/private/open.html\">open</a>\n\
                 <a href=\"/calendar?page=1\">calendar</a> <a href=\"/loop1\">loop</a>\n\
                 <a href=\"/doc.pdf\">pdf</a> <a href=\"/data\">data</a>\n\
                 <a href=\"http://10.0.0.1/admin\">router admin</a>\n\
                 <a href=\"https://www.gov.uk/report\">The report</a>",
                (0..PAGES)
                    .map(|i| format!("<a href=\"/a/{i}.html#part\">page {i}</a>"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        ),
        p if p.starts_with("/a/") => {
            let n: usize = p[3..].split('.').next().unwrap_or("0").parse().unwrap_or(0);
            let canonical = format!("<link rel=\"canonical\" href=\"/a/{n}.html\">");
            page(
                &format!("Page {n}"),
                &format!(
                    "{canonical}<h2>Section {n}</h2>\n<p>See <a href=\"https://example.org/cite/{n}\">citation {n}</a>\n\
                     and <a href=\"/a/{}.html?ref=nav\">the next page</a>.</p>",
                    (n + 1) % PAGES
                ),
            )
        }
        p if p.starts_with("/orphan/") => page(
            "Orphan",
            &format!("<a href=\"https://example.org{p}\">only in the sitemap</a>"),
        ),
        "/private/open.html" => page("Open", "<a href=\"https://example.org/open\">open</a>"),
        "/private/secret.html" => page(
            "Secret",
            "<a href=\"https://example.org/secret\">secret</a>",
        ),
        p if p.starts_with("/calendar?page=") => {
            let n: usize = p["/calendar?page=".len()..].parse().unwrap_or(0);
            page(
                "Calendar",
                &format!("<a href=\"/calendar?page={}\">next month</a>", n + 1),
            )
        }
        "/loop1" => Behave::Redirect(301, "/loop2".into()),
        "/loop2" => Behave::Redirect(301, "/loop1".into()),
        "/data" => Behave::Page(
            200,
            vec![("content-type", "application/json".into())],
            "{}".into(),
        ),
        _ => Behave::status(404, &[], "not found"),
    }
}

fn start_site() -> (SimWeb, String) {
    let port = Arc::new(OnceLock::new());
    let p = port.clone();
    let web = SimWeb::start(move |host, path, earlier| match host {
        "127.0.0.1" => site(&p, path, earlier),
        _ if path.contains("citekeep-probe") => Behave::status(404, &[], "not found"),
        _ => Behave::html("Elsewhere", "A page elsewhere."),
    });
    let addr = web.addr();
    port.set(addr.rsplit(':').next().unwrap().parse().unwrap())
        .unwrap();
    (web, format!("http://{addr}"))
}

fn config(dir: &Path, crawl: &str) {
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[check]\ntimeout = 5\nper_host = 4\nhost_interval = 0\nretries = 1\n\
             contact = \"mailto:test@example.org\"\n[crawl]\n{crawl}\n"
        ),
    )
    .unwrap();
}

fn citekeep(dir: &Path, args: &[&str], proxy: Option<&SimWeb>) -> std::process::Output {
    let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
    cmd.current_dir(dir).args(args);
    for k in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(k);
    }
    if let Some(web) = proxy {
        for (k, v) in web.env() {
            cmd.env(k, v);
        }
    }
    cmd.output().unwrap()
}

/// The crawl of the whole site, shared by the tests that read it.
struct Crawled {
    web: SimWeb,
    origin: String,
    json: Value,
    err: String,
    code: i32,
}

fn crawled() -> &'static Crawled {
    static CRAWLED: OnceLock<Crawled> = OnceLock::new();
    CRAWLED.get_or_init(|| {
        let (web, origin) = start_site();
        let dir = tempfile::tempdir().unwrap();
        config(dir.path(), "allow_private = true\nmax_depth = 5\n");
        let out = citekeep(
            dir.path(),
            &["scan", &format!("{origin}/"), "--format", "json"],
            None,
        );
        Crawled {
            json: serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null),
            err: stderr(&out),
            code: out.status.code().unwrap_or(-1),
            web,
            origin,
        }
    })
}

fn files(json: &Value) -> Vec<String> {
    let mut files: Vec<String> = json["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["file"].as_str().unwrap().to_string())
        .collect();
    files.dedup();
    files
}

#[test]
fn crawls_the_sites_pages_and_their_citations() {
    let c = crawled();
    assert_eq!(c.code, 2, "the redirect loop is an error: {}", c.err);
    assert!(
        c.err.contains("/loop1") && c.err.contains("redirects"),
        "{}",
        c.err
    );
    let o = &c.origin;
    // Home, 200 pages, 50 pages only the gzip sitemap lists, the page robots.txt allows,
    // and the calendar until the depth limit (months 1 to 5, which cite nothing).
    let pages = files(&c.json);
    assert_eq!(
        pages.len(),
        1 + PAGES + ORPHANS + 1,
        "{pages:#?}\n{}",
        c.err
    );
    assert!(pages.contains(&format!("{o}/orphan/49.html")));
    let read = 1 + PAGES + ORPHANS + 1 + 5;
    assert!(
        c.err.contains(&format!("crawled {o}/: {read} pages")),
        "{}",
        c.err
    );
    let asked: Vec<String> = c.web.seen().into_iter().map(|s| s.path).collect();
    assert!(asked.contains(&"/calendar?page=5".to_string()));
    assert!(
        !asked.contains(&"/calendar?page=6".to_string()),
        "past max_depth"
    );
    // Citations carry the page and the line of the link in its HTML.
    let home: Vec<&Value> = c.json["citations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["file"] == format!("{o}/"))
        .collect();
    let urls: Vec<&str> = home.iter().map(|x| x["url"].as_str().unwrap()).collect();
    assert_eq!(urls, ["http://10.0.0.1/admin", "https://www.gov.uk/report"]);
    assert_eq!(home[1]["line"], 3 + PAGES + 5);
    assert_eq!(home[1]["text"], "The report");
    let page7: Vec<&Value> = c.json["citations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["file"] == format!("{o}/a/7.html"))
        .collect();
    assert_eq!(page7.len(), 1);
    assert_eq!(page7[0]["url"], "https://example.org/cite/7");
    assert_eq!(page7[0]["section"]["text"], "Section 7");
}

#[test]
fn robots_txt_and_politeness_are_obeyed() {
    let c = crawled();
    let seen = c.web.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert!(paths.contains(&"/robots.txt"));
    assert!(!paths.contains(&"/private/secret.html"), "Disallow ignored");
    assert!(paths.contains(&"/private/open.html"), "Allow ignored");
    // Crawl-delay: one request at a time, starts at least 10 ms apart (after robots.txt).
    assert_eq!(c.web.max_in_flight("127.0.0.1"), 1);
    let mut starts: Vec<_> = seen.iter().skip(1).map(|s| s.at).collect();
    starts.sort();
    // Arrival times jitter by a connection setup or a busy machine, so the typical gap and
    // the whole span are what is held to the delay, not the closest pair.
    let mut gaps: Vec<Duration> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort();
    assert!(gaps[gaps.len() / 2] >= Duration::from_millis(9), "{gaps:?}");
    let span = *starts.last().unwrap() - starts[0];
    let least = Duration::from_millis(10) * (starts.len() as u32 - 1);
    assert!(
        span >= least.mul_f64(0.95),
        "{span:?} for {} requests",
        starts.len()
    );
    // Each page once: fragments and canonical duplicates are one page.
    for p in ["/a/3.html", "/", "/calendar?page=2"] {
        assert_eq!(paths.iter().filter(|x| **x == p).count(), 1, "{p}");
    }
    // Retry-After: the busy page was asked again, a second later, and read.
    let busy: Vec<_> = seen.iter().filter(|s| s.path == "/a/5.html").collect();
    assert_eq!(busy.len(), 2);
    assert!(busy[1].at - busy[0].at >= Duration::from_millis(950));
    // Documents are not fetched; a resource that turns out not to be HTML is not read.
    assert!(!paths.contains(&"/doc.pdf"));
    assert_eq!(paths.iter().filter(|x| **x == "/data").count(), 1);
    // Nothing off the site was requested: external citations are for `check`.
    assert!(seen.iter().all(|s| s.host == "127.0.0.1"), "{seen:#?}");
    assert!(seen.iter().all(|s| s.user_agent.starts_with("citekeep/")));
}

#[test]
fn private_addresses_are_refused_unless_allowed() {
    let (web, origin) = start_site();
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), "max_depth = 1\n");
    // An address literal.
    let out = citekeep(dir.path(), &["scan", &format!("{origin}/")], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("allow_private"), "{}", stderr(&out));
    // `localhost` is refused by its name (other names on the addresses they resolve to:
    // `fetch::guard`'s `names_are_judged_on_what_they_resolve_to`).
    let port = origin.rsplit(':').next().unwrap();
    let out = citekeep(
        dir.path(),
        &["scan", &format!("http://localhost:{port}/")],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("localhost is a loopback, private or link-local address")
            && stderr(&out).contains("allow_private"),
        "{}",
        stderr(&out)
    );
    assert!(
        web.seen().is_empty(),
        "the site was reached: {:#?}",
        web.seen()
    );
}

#[test]
fn a_crawled_site_is_checked_and_reported_by_page() {
    let (web, origin) = start_site();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[site]\nsources = [\"{origin}/\"]\n[check]\ntimeout = 2\nper_host = 4\nhost_interval = 0\n\
             retries = 0\n[crawl]\nallow_private = true\nmax_depth = 0\nsitemaps = false\n"
        ),
    )
    .unwrap();
    // The crawl and the checks go through the proxy (the simulated web plays every host).
    let out = citekeep(dir.path(), &["check", "--format", "json"], Some(&web));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null);
    assert!(json.is_object(), "{}", stderr(&out));
    let gov = json["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["url"] == "https://www.gov.uk/report")
        .unwrap();
    assert_eq!(gov["status"], "alive");
    assert_eq!(gov["sources"][0]["file"], format!("{origin}/"));
    let out = citekeep(dir.path(), &["report", "--format", "json"], None);
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["summary"]["files"], 1, "{report}");
    // fix leaves crawled pages alone (they are not files here).
    let out = citekeep(dir.path(), &["fix"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
