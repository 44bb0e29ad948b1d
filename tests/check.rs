//! `citekeep check` against the simulated web: every status of DESIGN.md's table, what the
//! server saw (one request per unique URL, retries and their waits, per-host limits), the
//! history's verdicts across runs, and the network-down guard.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::support::web::{Behave, SimWeb};
use crate::support::{stderr, stdout};

/// The simulated web every test here uses.
fn web() -> SimWeb {
    SimWeb::start(|host, path, earlier| {
        let redirect = |code, to: &str| Behave::Redirect(code, to.to_string());
        match (host, path) {
            ("www.gov.uk", "/alive") => Behave::html(
                "The Bletchley Declaration",
                "The declaration text, signed by 28 countries at the summit.",
            ),
            ("www.gov.uk", "/old-name") => redirect(301, "https://www.gov.uk/new-name"),
            ("www.gov.uk", "/new-name") => Behave::html(
                "Renamed guidance",
                "Guidance that moved to a new address last spring.",
            ),
            ("www.gov.uk", "/temporary") => redirect(302, "/new-name"),
            ("www.gov.uk", p) if p.starts_with("/deleted-news/") => {
                redirect(301, "https://www.gov.uk/")
            }
            ("www.gov.uk", "/") => Behave::html(
                "Welcome to GOV.UK",
                "The best place to find government services and information.",
            ),
            ("www.gov.uk", "/withdrawn") => redirect(
                301,
                "https://webarchive.nationalarchives.gov.uk/ukgwa/20240101000000/https://www.gov.uk/withdrawn",
            ),
            ("webarchive.nationalarchives.gov.uk", p)
                if p.starts_with("/ukgwa/20240101000000/") =>
            {
                Behave::html(
                    "UK Government Web Archive",
                    "An archived copy of a withdrawn government page.",
                )
            }
            ("www.gov.uk", "/missing") => {
                Behave::status(404, &[], "<title>Page not found - GOV.UK</title>")
            }
            ("www.gov.uk", "/removed") => Behave::status(410, &[], "gone"),
            ("plain.example", "/page") => redirect(301, "https://www.plain.example/page/"),
            ("www.plain.example", "/page/") => Behave::html(
                "Upgraded",
                "Served over HTTPS after a redirect from plain HTTP.",
            ),
            ("www.gov.uk", _) => Behave::status(404, &[], "<title>Page not found - GOV.UK</title>"),
            ("www.reuters.com", _) => Behave::status(
                401,
                &[("x-datadome", "protected")],
                "<p>Please enable JS and disable any ad blocker. captcha</p>",
            ),
            ("www.politico.eu", _) => Behave::status(
                403,
                &[("cf-mitigated", "challenge"), ("server", "cloudflare")],
                "<title>Just a moment...</title>",
            ),
            ("www.linkedin.com", _) => Behave::status(999, &[], ""),
            ("thezvi.substack.com", _) => Behave::html(
                "Don't Worry About the Vase",
                "Sorry, we could not find that post. It may have been moved or deleted.",
            ),
            ("errors.example", _) => Behave::html(
                "Page not found | Example",
                "Whatever you were looking for is not here.",
            ),
            ("docs.example", "/refuses-head.pdf") => Behave::NoHead(Box::new(Behave::Page(
                200,
                vec![("content-type", "application/pdf".into())],
                "%PDF-1.7".into(),
            ))),
            ("docs.example", "/report.pdf") => Behave::Page(
                200,
                vec![("content-type", "application/pdf".into())],
                "%PDF-1.7".into(),
            ),
            ("x.com", "/yi_zeng/status/1831133250946838740") => Behave::html(
                "Yi Zeng on X",
                "China's new AI safety institute has been announced today.",
            ),
            ("x.com", _) => Behave::status(404, &[], "<title>Page not found / X</title>"),
            ("flaky.example", "/retry-after") if earlier == 0 => {
                Behave::status(503, &[("retry-after", "1")], "busy")
            }
            ("flaky.example", "/rate") if earlier == 0 => {
                Behave::status(429, &[("retry-after", "1")], "slow down")
            }
            ("flaky.example", "/always-503") => Behave::status(503, &[], "down"),
            ("flaky.example", "/retry-after" | "/rate") => {
                Behave::html("Back", "The page works on the second attempt.")
            }
            ("slow.example", "/hang") => Behave::Hang,
            ("slow.example", p) => Behave::Slow(
                Duration::from_millis(300),
                Box::new(Behave::html(
                    "Slow",
                    &format!("A slow page at {p}, answering in time."),
                )),
            ),
            ("reset.example", _) => Behave::Reset,
            ("nosuch.example", _) | ("nosuch2.example", _) | ("nosuch3.example", _) => {
                Behave::NoSuchHost
            }
            ("loop.example", "/a") => redirect(302, "/b"),
            ("loop.example", "/b") => redirect(302, "/a"),
            ("chain.example", p) => {
                let n: u32 = p.trim_start_matches("/hop").parse().unwrap_or(0);
                redirect(302, &format!("/hop{}", n + 1))
            }
            (_, _) => Behave::status(404, &[], "no route"),
        }
    })
}

const PAGE: &str = "# Sources

- [alive](https://www.gov.uk/alive), again [with tracking](https://www.gov.uk/alive?utm_source=substack&utm_medium=email) and <https://www.gov.uk/alive#section>
- [moved](https://www.gov.uk/old-name) and [temporary](https://www.gov.uk/temporary)
- [deleted](https://www.gov.uk/deleted-news/2024/story)
- [withdrawn](https://www.gov.uk/withdrawn)
- [missing](https://www.gov.uk/missing) and [removed](https://www.gov.uk/removed)
- [upgraded](http://plain.example/page)
- [reuters](https://www.reuters.com/technology/summit-2024-04-29/)
- [politico](https://www.politico.eu/article/ai-safety/)
- [linkedin](https://www.linkedin.com/in/someone)
- [zvi](https://thezvi.substack.com/p/the-paris-ai-anti-safety-summit)
- [error title](https://errors.example/docs/page)
- [post](https://x.com/yi_zeng/status/1831133250946838740)
- [retry-after](https://flaky.example/retry-after) [rate](https://flaky.example/rate) [503](https://flaky.example/always-503)
- [hang](https://slow.example/hang)
- [reset](https://reset.example/page)
- [no such host](https://nosuch.example/page) and [plain no such host](http://nosuch.example/plain)
- [loop](https://loop.example/a) [chain](https://chain.example/hop0)
- [bad](<https://exa mple.com/x>)
- [report](https://docs.example/report.pdf) [refuses HEAD](https://docs.example/refuses-head.pdf)
";

fn config(dir: &Path, extra: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[site]\nsources = [\"site\"]\nbase_url = \"https://pauseai.info\"\n\n\
             [check]\ntimeout = 2\nconnect_timeout = 2\nretries = 2\nper_host = 2\nhost_interval = 50\n\
             retry_after_cap = 5\ncontact = \"mailto:test@example.org\"\n{extra}\n\
             [archive]\ndir = \"archive\"\n"
        ),
    )
    .unwrap();
    path
}

fn site(dir: &Path, page: &str) {
    std::fs::create_dir_all(dir.join("site")).unwrap();
    std::fs::write(dir.join("site/sources.md"), page).unwrap();
}

fn run_check(web: &SimWeb, dir: &Path, args: &[&str], now: Option<&str>) -> (Value, String, i32) {
    let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
    cmd.current_dir(dir).args(args);
    for (k, v) in web.env() {
        cmd.env(k, v);
    }
    if let Some(now) = now {
        cmd.env("CITEKEEP_NOW", now);
    }
    let out = cmd.output().unwrap();
    let text = stdout(&out);
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (json, stderr(&out), out.status.code().unwrap_or(-1))
}

fn by_url(json: &Value) -> HashMap<String, Value> {
    json["links"]
        .as_array()
        .unwrap_or_else(|| panic!("no links in {json}"))
        .iter()
        .map(|l| (l["url"].as_str().unwrap().to_string(), l.clone()))
        .collect()
}

#[test]
fn every_status_from_what_the_server_does() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    site(dir.path(), PAGE);
    config(dir.path(), "");
    let started = std::time::Instant::now();
    let (json, err, code) = run_check(&web, dir.path(), &["check", "--format", "json"], None);
    let elapsed = started.elapsed();
    assert_eq!(code, 1, "rot was found: {err}");
    let links = by_url(&json);
    let expect = [
        ("https://www.gov.uk/alive", "alive"),
        ("https://www.gov.uk/old-name", "moved"),
        ("https://www.gov.uk/temporary", "alive"),
        ("https://www.gov.uk/deleted-news/2024/story", "soft404"),
        ("https://www.gov.uk/withdrawn", "moved"),
        ("https://www.gov.uk/missing", "gone"),
        ("https://www.gov.uk/removed", "gone"),
        ("http://plain.example/page", "alive"),
        (
            "https://www.reuters.com/technology/summit-2024-04-29/",
            "blocked",
        ),
        ("https://www.politico.eu/article/ai-safety/", "blocked"),
        ("https://www.linkedin.com/in/someone", "blocked"),
        (
            "https://thezvi.substack.com/p/the-paris-ai-anti-safety-summit",
            "soft404",
        ),
        ("https://errors.example/docs/page", "soft404"),
        ("https://x.com/yi_zeng/status/1831133250946838740", "alive"),
        ("https://flaky.example/retry-after", "alive"),
        ("https://flaky.example/rate", "alive"),
        ("https://flaky.example/always-503", "server_error"),
        ("https://slow.example/hang", "timeout"),
        ("https://reset.example/page", "network_error"),
        ("https://nosuch.example/page", "network_error"),
        ("http://nosuch.example/plain", "network_error"),
        ("https://loop.example/a", "server_error"),
        ("https://chain.example/hop0", "server_error"),
        ("https://exa mple.com/x", "invalid"),
        ("https://docs.example/report.pdf", "alive"),
        ("https://docs.example/refuses-head.pdf", "alive"),
    ];
    let got: Vec<(&str, String)> = expect
        .iter()
        .map(|(u, _)| {
            (
                *u,
                links.get(*u).map_or("MISSING".into(), |l| {
                    l["status"].as_str().unwrap_or("none").to_string()
                }),
            )
        })
        .collect();
    let want: Vec<(&str, String)> = expect.iter().map(|(u, s)| (*u, s.to_string())).collect();
    let details: Vec<String> = links
        .values()
        .map(|l| format!("{} {} {}", l["url"], l["status"], l["detail"]))
        .collect();
    pretty_assertions::assert_eq!(got, want, "{}", details.join("\n"));
    assert_eq!(
        links.len(),
        expect.len(),
        "no other links: {:?}",
        links.keys()
    );

    // Details say what happened.
    let detail = |u: &str| links[u]["detail"].as_str().unwrap().to_string();
    assert_eq!(detail("https://www.gov.uk/removed"), "410 Gone");
    assert!(detail("https://www.gov.uk/withdrawn").contains("publisher's archive"));
    assert!(detail("https://www.reuters.com/technology/summit-2024-04-29/").contains("DataDome"));
    assert!(detail("https://www.politico.eu/article/ai-safety/").contains("Cloudflare"));
    assert!(
        detail("https://thezvi.substack.com/p/the-paris-ai-anti-safety-summit")
            .contains("never-existing")
    );
    assert!(detail("https://errors.example/docs/page").contains("error page title"));
    assert!(detail("https://www.gov.uk/deleted-news/2024/story").contains("home page"));
    assert!(detail("https://loop.example/a").contains("loop"));
    assert!(
        detail("http://nosuch.example/plain").contains("DNS"),
        "{}",
        detail("http://nosuch.example/plain")
    );
    assert_eq!(
        links["https://www.gov.uk/old-name"]["final_url"],
        "https://www.gov.uk/new-name"
    );
    assert_eq!(
        links["https://www.gov.uk/old-name"]["redirects"][0]["status"],
        301
    );
    assert_eq!(
        links["https://www.gov.uk/alive"]["sources"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(links["https://www.gov.uk/alive"]["sources"][0]["line"], 3);

    // One request per unique URL, however often and however tracked it is cited.
    assert_eq!(web.requests("www.gov.uk", "/alive").len(), 1);
    // Never a retry on 404 or 410; retries on 5xx and 429, waiting for Retry-After.
    assert_eq!(web.requests("www.gov.uk", "/missing").len(), 1);
    assert_eq!(web.requests("www.gov.uk", "/removed").len(), 1);
    assert_eq!(web.requests("flaky.example", "/always-503").len(), 3);
    for path in ["/retry-after", "/rate"] {
        let seen = web.requests("flaky.example", path);
        assert_eq!(seen.len(), 2, "{path}");
        assert!(
            seen[1].at - seen[0].at >= Duration::from_millis(950),
            "{path} waited for Retry-After"
        );
    }
    // Timeouts are retried too, and the run stays within its timeouts.
    assert_eq!(web.requests("slow.example", "/hang").len(), 3);
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    // Documents are asked with HEAD first; GET only when HEAD is refused.
    let methods = |path: &str| -> Vec<String> {
        web.requests("docs.example", path)
            .into_iter()
            .map(|s| s.method)
            .collect()
    };
    assert_eq!(methods("/report.pdf"), ["HEAD"]);
    assert_eq!(methods("/refuses-head.pdf"), ["HEAD", "GET"]);
    // Pages are asked with GET alone (their body is soft-404 evidence).
    assert_eq!(web.requests("www.gov.uk", "/alive")[0].method, "GET");
    // Every request carried an honest User-Agent with the configured contact.
    let agents: std::collections::HashSet<String> = web
        .seen()
        .into_iter()
        .filter(|s| s.method != "CONNECT")
        .map(|s| s.user_agent)
        .collect();
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        agents.into_iter().collect::<Vec<_>>(),
        [format!(
            "citekeep/{version} (link checker; +mailto:test@example.org)"
        )]
    );
    // A soft-404 probe went to substack, next to the page.
    assert!(
        web.seen()
            .iter()
            .any(|s| s.host == "thezvi.substack.com" && s.path.starts_with("/p/citekeep-probe-"))
    );
}

#[test]
fn per_host_limit_and_interval_hold() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    let page: String = (0..12)
        .map(|i| format!("- [p{i}](https://slow.example/page{i})\n"))
        .collect();
    site(dir.path(), &page);
    config(dir.path(), "concurrency = 16\nsoft404_probe = false");
    let (json, err, code) = run_check(&web, dir.path(), &["check", "--format", "json"], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["summary"]["by_status"]["alive"], 12);
    assert_eq!(web.max_in_flight("slow.example"), 2);
    let mut starts: Vec<_> = web
        .seen()
        .into_iter()
        .filter(|s| s.host == "slow.example" && s.method != "CONNECT")
        .map(|s| s.at)
        .collect();
    starts.sort();
    // Starts are 50 ms apart when sent; arrival adds a few ms of jitter on a busy machine
    // (the suite runs tests side by side), so each gap has some slack, the typical gap and
    // the whole span none. Without the interval, gaps would be a millisecond or two.
    let mut gaps: Vec<Duration> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort();
    assert!(gaps[0] >= Duration::from_millis(30), "{gaps:?}");
    assert!(
        gaps[gaps.len() / 2] >= Duration::from_millis(48),
        "{gaps:?}"
    );
    let span = *starts.last().unwrap() - starts[0];
    assert!(span >= Duration::from_millis(50 * 11 - 10), "{span:?}");
}

#[test]
fn dead_only_after_strikes_spanning_days() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    site(
        dir.path(),
        "[missing](https://www.gov.uk/missing) [alive](https://www.gov.uk/alive)\n",
    );
    config(dir.path(), "");
    let day = |d: i64| (1_790_000_000 + d * 86_400).to_string();
    let verdict = |json: &Value| {
        by_url(json)["https://www.gov.uk/missing"]["verdict"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let mut verdicts = Vec::new();
    for d in [0, 1, 3] {
        let (json, err, _) = run_check(
            &web,
            dir.path(),
            &["check", "--format", "json"],
            Some(&day(d)),
        );
        assert!(json.is_object(), "{err}");
        verdicts.push(verdict(&json));
    }
    assert_eq!(verdicts, ["failing", "failing", "dead"]);

    // `run` checks only what is due: the alive link waits for its recheck day. But `check`
    // snapshots nothing, so the alive link is owed a snapshot: one GET, not a check.
    let (_, err, code) = run_check(&web, dir.path(), &["run"], Some(&day(3)));
    assert_eq!(code, 0, "nothing newly dead: {err}");
    let alive_requests = web.requests("www.gov.uk", "/alive").len();
    assert_eq!(
        alive_requests, 4,
        "run on day 3 rechecked the alive link, or did not snapshot it"
    );
    // `run --all` checks every link, due or not (and snapshots the live one: a second GET).
    let (_, err, _) = run_check(&web, dir.path(), &["run", "--all"], Some(&day(3)));
    assert!(!err.contains("error"), "{err}");
    assert_eq!(web.requests("www.gov.uk", "/alive").len(), 6);
    assert_eq!(web.requests("www.gov.uk", "/missing").len(), 4);
}

#[test]
fn network_down_records_no_strike() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    site(
        dir.path(),
        "[a](https://nosuch.example/a) [b](https://nosuch2.example/b) [c](https://nosuch3.example/c)\n",
    );
    config(dir.path(), "");
    let (json, err, code) = run_check(&web, dir.path(), &["check", "--format", "json"], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("network looks down"), "{err}");
    assert_eq!(json["summary"]["network_down"], true);
    for link in json["links"].as_array().unwrap() {
        assert_eq!(link["strikes"], 0, "{link}");
        assert_eq!(link["verdict"], "new", "{link}");
    }
    let conn = rusqlite::Connection::open(dir.path().join("archive/citekeep.db")).unwrap();
    let (checks, strikes): (i64, i64) = conn
        .query_row(
            "SELECT count(*), coalesce(sum(strike), 0) FROM checks",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((checks, strikes), (3, 0));
    // One truth: the links' latest status (what the archive browser shows) is the
    // network error the report shows, not "not checked"; the verdict is untouched.
    let statuses: Vec<(String, String)> = conn
        .prepare("SELECT coalesce(last_status, ''), verdict FROM links ORDER BY url")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        statuses,
        vec![("network_error".to_string(), "new".to_string()); 3]
    );
}

/// A night whose due links are mostly dead domains (failing links are due every night,
/// alive ones weekly) is not our own outage while links that answered before still answer:
/// they are rechecked as canaries, and the dead domains get their strikes.
#[test]
fn dead_domains_due_tonight_are_not_taken_for_our_outage() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    let alive = "[a](https://www.gov.uk/alive) [b](https://docs.example/report.pdf) \
                 [c](https://x.com/yi_zeng/status/1831133250946838740)\n";
    site(dir.path(), alive);
    config(dir.path(), "soft404_probe = false");
    let day = |d: i64| (1_790_000_000 + d * 86_400).to_string();
    let (_, err, code) = run_check(&web, dir.path(), &["run"], Some(&day(0)));
    assert_eq!(code, 0, "{err}");
    // The next night the site cites three domains that no longer resolve: only they are due.
    site(
        dir.path(),
        &format!(
            "{alive}[d](https://nosuch.example/a) [e](https://nosuch2.example/b) \
             [f](https://nosuch3.example/c)\n"
        ),
    );
    let (_, err, code) = run_check(&web, dir.path(), &["run"], Some(&day(1)));
    assert!(!err.contains("network looks down"), "{err}");
    assert_eq!(code, 0, "nothing newly dead yet: {err}");
    let conn = rusqlite::Connection::open(dir.path().join("archive/citekeep.db")).unwrap();
    let strikes: i64 = conn
        .query_row("SELECT count(*) FROM checks WHERE strike = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(strikes, 3, "each dead domain got its strike");
}

/// One link's check ends by its deadline however its requests fare: a chain of redirects,
/// each answered just inside the per-request timeout, used to take hops x timeout.
#[test]
fn a_slow_redirect_chain_ends_at_the_link_deadline() {
    let web = SimWeb::start(|_, path, _| {
        let n: u32 = path.trim_start_matches("/hop").parse().unwrap_or(0);
        Behave::Slow(
            Duration::from_millis(900),
            Box::new(Behave::Redirect(302, format!("/hop{}", n + 1))),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    site(dir.path(), "[chain](https://slow-chain.example/hop0)\n");
    config(dir.path(), "deadline = 3\nmax_redirects = 20");
    let started = std::time::Instant::now();
    let (json, err, _) = run_check(&web, dir.path(), &["check", "--format", "json"], None);
    let elapsed = started.elapsed();
    let link = &json["links"][0];
    assert_eq!(link["status"], "timeout", "{err}{json}");
    assert!(
        link["detail"].as_str().unwrap().contains("deadline"),
        "{link}"
    );
    assert!(elapsed < Duration::from_secs(8), "took {elapsed:?}");
}

#[test]
fn markdown_output_escapes_what_it_echoes() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    // Backslash escapes make the link text literally `<script>alert(1)</script> | *bold*`.
    site(
        dir.path(),
        "[\\<script\\>alert(1)\\</script\\> \\| \\*bold\\*](https://www.gov.uk/missing)\n",
    );
    config(dir.path(), "");
    let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
    cmd.current_dir(dir.path())
        .args(["check", "--format", "markdown"]);
    for (k, v) in web.env() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let md = stdout(&out);
    assert!(md.contains("### gone (1)"), "{md}");
    assert!(
        md.contains(r"| <https://www.gov.uk/missing> | 404 Not Found | failing | site/sources.md:1:1 “\<script\>alert\(1\)\</script\> \| \*bold\*” |"),
        "{md}"
    );
    assert!(!md.contains("<script>"), "{md}");
}

#[test]
fn proxy_and_trusted_roots_from_the_config_alone() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    site(
        dir.path(),
        "[alive](https://www.gov.uk/alive) [plain](http://plain.example/page)\n",
    );
    config(
        dir.path(),
        &format!(
            "proxy = \"{}\"\nca_certs = [{:?}]",
            web.proxy,
            web.ca_file.display().to_string()
        ),
    );
    let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
    cmd.current_dir(dir.path())
        .args(["check", "--format", "json"]);
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "SSL_CERT_FILE",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().unwrap();
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null);
    let links = by_url(&json);
    assert_eq!(
        links["https://www.gov.uk/alive"]["status"],
        "alive",
        "{}",
        stderr(&out)
    );
    assert_eq!(links["http://plain.example/page"]["status"], "alive");
    assert_eq!(web.requests("www.gov.uk", "/alive").len(), 1);
}

#[test]
fn the_global_limit_is_tighter_than_the_per_host_one_when_set_so() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    // Slow pages: per host, two may be in flight; in all, only one.
    let page: String = (0..6)
        .map(|i| format!("- [p{i}](https://slow.example/global{i})\n"))
        .collect();
    site(dir.path(), &page);
    config(dir.path(), "concurrency = 1\nsoft404_probe = false");
    let (json, err, code) = run_check(&web, dir.path(), &["check", "--format", "json"], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["summary"]["by_status"]["alive"], 6);
    assert_eq!(web.max_total_in_flight(), 1);
}

#[test]
fn a_run_records_again_only_the_files_that_changed() {
    let web = web();
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("a.md"), "[a](https://www.gov.uk/alive)\n").unwrap();
    std::fs::write(
        site.join("b.md"),
        "[b](https://www.gov.uk/alive) [c](https://www.gov.uk/missing)\n",
    )
    .unwrap();
    std::fs::write(site.join("c.md"), "[d](https://www.gov.uk/alive)\n").unwrap();
    config(dir.path(), "");
    let rows = || -> Vec<(i64, String, String)> {
        let conn = rusqlite::Connection::open(dir.path().join("archive/citekeep.db")).unwrap();
        let mut stmt = conn
            .prepare("SELECT run_id, file, text FROM citations ORDER BY file, id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let runs_of = |rows: &[(i64, String, String)], file: &str| -> Vec<i64> {
        rows.iter()
            .filter(|r| r.1.ends_with(file))
            .map(|r| r.0)
            .collect()
    };
    let (json, err, _) = run_check(&web, dir.path(), &["check", "--format", "json"], None);
    assert!(json.is_object(), "{err}");
    let first = rows();
    assert_eq!(first.len(), 4, "{first:?}");

    // b.md edited, c.md deleted: a.md's rows stay as they were, b.md's are the new text.
    std::fs::write(site.join("b.md"), "[b, edited](https://www.gov.uk/alive)\n").unwrap();
    std::fs::remove_file(site.join("c.md")).unwrap();
    let (json, err, _) = run_check(&web, dir.path(), &["check", "--format", "json"], None);
    assert_eq!(json["summary"]["links"], 1, "{err}");
    let second = rows();
    assert_eq!(runs_of(&second, "a.md"), [1], "a.md was recorded again");
    assert_eq!(runs_of(&first, "b.md"), [1, 1]);
    assert_eq!(runs_of(&second, "b.md"), [2]);
    let texts: Vec<&str> = second.iter().map(|r| r.2.as_str()).collect();
    assert_eq!(texts, ["a", "b, edited"]);

    // A new base_url makes gov.uk the site itself: unchanged files are judged again.
    let cfg = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        cfg.replace("https://pauseai.info", "https://www.gov.uk"),
    )
    .unwrap();
    let (_, err, _) = run_check(&web, dir.path(), &["check", "--format", "json"], None);
    assert!(rows().is_empty(), "{:?} {err}", rows());
}

/// HTTP/2 faults are transport failures of their own kind: a stream reset (RST_STREAM) is
/// retried like a connection reset, and the page that answers the retry is alive. (Retries
/// were chosen by words in error messages, which said neither "reset" nor "broken".)
#[test]
fn an_http2_stream_reset_is_retried() {
    let web = SimWeb::start(|_, path, earlier| match path {
        "/page" if earlier == 0 => Behave::Reset,
        "/page" => Behave::html(
            "Over HTTP/2",
            "A page served over HTTP/2 after a reset stream.",
        ),
        _ => Behave::status(404, &[], "<title>Not found</title>"),
    });
    let dir = tempfile::tempdir().unwrap();
    site(dir.path(), "[h2](https://h2.example/page)\n");
    config(dir.path(), "");
    let (json, err, _) = run_check(&web, dir.path(), &["check", "--format", "json"], None);
    let link = &json["links"][0];
    assert_eq!(link["status"], "alive", "{err}{json}");
    assert_eq!(
        web.requests("h2.example", "/page").len(),
        2,
        "reset, then retried"
    );
    // A reset every time is a network error said as such.
    let web = SimWeb::start(|_, _, _| Behave::Reset);
    let (json, err, _) = run_check(&web, dir.path(), &["check", "--format", "json"], None);
    let link = &json["links"][0];
    assert_eq!(link["status"], "network_error", "{err}{json}");
    assert!(
        link["detail"]
            .as_str()
            .unwrap()
            .contains("HTTP/2 stream reset"),
        "{link}"
    );
}

/// Retries do not pile onto a hung server: an attempt that timed out has its connection
/// closed (the server sees it go) before the retry is sent, so the host never has more
/// requests in flight than `per_host`.
#[test]
fn retries_never_pile_onto_a_hung_server() {
    let web = SimWeb::start(|_, _, _| Behave::Hang);
    let dir = tempfile::tempdir().unwrap();
    site(
        dir.path(),
        "[a](https://hung.example/a) [b](https://hung.example/b) [c](https://hung.example/c)\n",
    );
    // per_host = 2 and timeout = 2 come with the test's configuration.
    config(dir.path(), "soft404_probe = false");
    let (json, err, _) = run_check(&web, dir.path(), &["check", "--format", "json"], None);
    for link in json["links"].as_array().unwrap() {
        assert_eq!(link["status"], "timeout", "{err}{link}");
    }
    // Three links, retried (within each link's deadline), never more than two at once.
    assert!(web.requests("hung.example", "/a").len() >= 2);
    assert!(
        web.max_in_flight("hung.example") <= 2,
        "{} in flight at once",
        web.max_in_flight("hung.example")
    );
}
