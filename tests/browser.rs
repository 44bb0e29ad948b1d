//! Pages built by script, captured with Debian's headless Chromium (`tests/run` installs
//! it): the text only script produces is in the WARC's rendered DOM, in search and in the
//! replayed copy; the script's fetch is a response record; the screenshot is a PNG; the
//! WARC files stay valid; a page that never goes idle is cut at its timeout; a page that
//! reaches for a loopback address does not get there.

use std::time::{Duration, Instant};

use crate::support::web::{Asked, Behave, SimWeb};

const SHELL: &str = r#"<!doctype html><html><head><title>Loading…</title></head>
<body><noscript>You need to enable JavaScript to run this app.</noscript>
<div id="root"></div>
<script src="/static/app.js"></script>
<img src="http://127.0.0.1:PORT/secret.png" alt="">
</body></html>"#;

const APP: &str = r#"fetch('/api/posts/1.json')
  .then(function (r) { return r.json(); })
  .then(function (post) {
    document.title = post.title;
    document.getElementById('root').innerHTML =
      '<article><h1>' + post.title + '</h1><p>' + post.text + '</p></article>';
  });"#;

const POST: &str = r#"{"title": "Only script writes this headline",
 "text": "The delegates agreed that frontier systems need independent evaluation before release, and that the results should be published."}"#;

/// A page whose script polls forever: its network is never idle.
const RESTLESS: &str = r#"<!doctype html><html><head><title>Live</title></head>
<body><noscript>Please enable JavaScript.</noscript><div id="feed"></div>
<script>
setInterval(function () {
  fetch('/poll?' + Math.random()).then(function (r) { return r.text(); })
    .then(function (t) { document.getElementById('feed').textContent = 'live feed ' + t; });
}, 150);
</script></body></html>"#;

/// The newest capture of `url` as the replay frame shows it, the archive's redirects to its
/// exact timestamp followed: its path and the answer.
fn newest(server: &crate::serve::Server, url: &str) -> (String, crate::serve::Answer) {
    let mut path = format!("/web/2100if_/{url}");
    let mut replay = crate::serve::get(server, &path, &[]);
    for _ in 0..3 {
        if !(300..400).contains(&replay.status) {
            break;
        }
        path = replay.header("location").to_string();
        replay = crate::serve::get(server, &path, &[]);
    }
    (path, replay)
}

fn web() -> SimWeb {
    let port = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let seen_port = port.clone();
    let web = SimWeb::start_with(move |asked: &Asked| {
        let typed = |mime: &str, body: &str| {
            Behave::Page(
                200,
                vec![("content-type", mime.to_string())],
                body.to_string(),
            )
        };
        match (asked.host.as_str(), asked.path.as_str()) {
            ("spa.example", "/posts/1") => typed(
                "text/html; charset=utf-8",
                &SHELL.replace("PORT", seen_port.get().map_or("1", String::as_str)),
            ),
            ("spa.example", "/static/app.js") => typed("application/javascript", APP),
            ("spa.example", "/api/posts/1.json") => typed("application/json", POST),
            ("live.example", "/feed") => typed("text/html; charset=utf-8", RESTLESS),
            ("live.example", p) if p.starts_with("/poll") => typed("text/plain", "tick"),
            _ => Behave::status(404, &[], "<title>Not found</title>"),
        }
    });
    let _ = port.set(web.addr().rsplit(':').next().unwrap().to_string());
    web
}

#[test]
fn a_script_built_page_is_captured_rendered_and_replayed() {
    if citekeep::browser::find_executable(&Default::default()).is_none() {
        panic!(
            "Chromium is needed: run the tests with `tests/run`, which installs Debian's chromium"
        );
    }
    let web = web();
    let dir = crate::support::site_dir(
        "a.md",
        "[the post](http://spa.example/posts/1)\n[the feed](http://live.example/feed)\n",
        "[site]\nsources = [\"site\"]\n[check]\ntimeout = 5\nhost_interval = 0\n\
         [browser]\ntimeout = 4\n[archives]\nenabled = false\n",
    );
    let dir = dir.path();
    let started = Instant::now();
    let (out, err, code) = crate::support::citekeep_on(Some(&web), dir, &["run"]);
    let took = started.elapsed();
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("2 pages built by script rendered with the browser"),
        "{err}"
    );
    // The restless page was cut at its timeout (4 s), not waited on.
    assert!(took < Duration::from_secs(45), "{took:?}");

    let records = crate::archive::records(dir);
    let of = |kind: &str, uri: &str| {
        records
            .iter()
            .filter(|r| r.kind == kind)
            .find(|r| {
                r.fields
                    .iter()
                    .any(|(k, v)| k == "WARC-Target-URI" && v == uri)
            })
            .unwrap_or_else(|| panic!("no {kind} record of {uri}"))
    };
    // The rendered DOM holds what only the script wrote.
    let dom =
        String::from_utf8_lossy(&of("resource", "http://spa.example/posts/1").block).into_owned();
    assert!(dom.contains("Only script writes this headline"), "{dom}");
    // Rendered with script on, the page's "enable JavaScript" notice is not part of it.
    assert!(!dom.contains("enable JavaScript"), "{dom}");
    // The script's fetch is a response record of its own, with its real headers and body.
    let api = of("response", "http://spa.example/api/posts/1.json");
    let api = String::from_utf8_lossy(&api.block).into_owned();
    assert!(api.starts_with("HTTP/1.1 200"), "{api}");
    assert!(
        api.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{api}"
    );
    assert!(api.contains("independent evaluation"), "{api}");
    // The script the browser ran is kept, once.
    let script: Vec<_> = records
        .iter()
        .filter(|r| {
            r.fields
                .iter()
                .any(|(k, v)| k == "WARC-Target-URI" && v == "http://spa.example/static/app.js")
                && r.kind != "request"
        })
        .map(|r| r.kind.as_str())
        .collect();
    assert_eq!(script, ["response"]);
    // The screenshot is a PNG.
    let png = &of("resource", "urn:screenshot:http://spa.example/posts/1").block;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // The restless page was captured as far as it got.
    let feed =
        String::from_utf8_lossy(&of("resource", "http://live.example/feed").block).into_owned();
    assert!(feed.contains("feed"), "{feed}");
    // The loopback address the page named was never reached.
    assert!(
        web.seen().iter().all(|s| !s.path.contains("secret.png")),
        "the page reached a loopback address: {:?}",
        web.seen()
    );
    // Independent validators agree with the archive and its index.
    crate::archive::validate(dir);

    // Search finds the rendered words; the replay shows the rendered page.
    let server = crate::serve::serve(dir, "127.0.0.1:0");
    let hits = crate::serve::get(&server, "/search?q=headline", &[]).text();
    assert!(hits.contains("spa.example/posts/1"), "{hits}");
    let link: i64 = rusqlite::Connection::open(dir.join("archive/citekeep.db"))
        .unwrap()
        .query_row(
            "SELECT id FROM links WHERE url = 'http://spa.example/posts/1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let page = crate::serve::get(&server, &format!("/link/{link}"), &[]).text();
    assert!(
        page.contains("urn:screenshot:http://spa.example/posts/1"),
        "{page}"
    );
    // The thumbnail is served: a PNG.
    let src = page
        .split("<img class=\"shot\" src=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no thumbnail in {page}"))
        .replace("&amp;", "&");
    let shot = crate::serve::get(&server, &src, &[]);
    assert_eq!(shot.status, 200, "{src}");
    assert_eq!(shot.header("content-type"), "image/png");
    // The newest capture of the page is the rendered DOM, which the frame shows.
    let (path, replay) = newest(&server, "http://spa.example/posts/1");
    assert_eq!(replay.status, 200, "{path}");
    // Its banner says a browser rendered it, and leads to the screenshot and to the page as
    // the server sent it.
    let banner = crate::serve::get(&server, &path.replace("if_/", "/"), &[]).text();
    assert!(
        banner.contains("Rendered by a headless browser"),
        "{banner}"
    );
    assert!(
        banner.contains("id_/urn:screenshot:http://spa.example/posts/1"),
        "{banner}"
    );
    assert!(banner.contains("as the server sent it"), "{banner}");
    assert!(
        replay.text().contains("Only script writes this headline"),
        "{path}: {}",
        replay.text()
    );
}

#[test]
fn without_chromium_pages_are_archived_as_sent_with_one_warning() {
    let web = web();
    let dir = crate::support::site_dir(
        "a.md",
        "[the post](http://spa.example/posts/1)\n[the feed](http://live.example/feed)\n",
        "[site]\nsources = [\"site\"]\n[check]\ntimeout = 5\nhost_interval = 0\n\
         [browser]\nexecutable = \"/nonexistent/chromium\"\n[archives]\nenabled = false\n",
    );
    let (out, err, code) = crate::support::citekeep_on(Some(&web), dir.path(), &["run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(err.matches("no Chromium found").count(), 1, "{err}");
    assert!(
        err.contains("2 pages built by script were archived as sent"),
        "{err}"
    );
    assert!(out.contains("2 pages snapshotted"), "{out}");
}

/// An X-like site: every path answers the same application shell (as x.com does), and the
/// script asks the API for the post, which exists or is gone.
fn posts_web() -> SimWeb {
    SimWeb::start_with(|asked: &Asked| {
        let typed = |mime: &str, body: String| {
            Behave::Page(200, vec![("content-type", mime.to_string())], body)
        };
        let path = asked.path.as_str();
        if let Some(id) = path.strip_prefix("/api/status/") {
            let id = id.trim_end_matches(".json");
            return match id {
                "1" => typed(
                    "application/json",
                    r#"{"text": "We are calling on the summit to agree a pause on training frontier systems until they can be shown to be safe, and to set up an international body that can verify it, with the power to inspect the largest training runs."}"#.to_string(),
                ),
                // A short post: 19 words, as the seed page's x.com posts are.
                "3" => typed(
                    "application/json",
                    r#"{"text": "Glad to see so many people at the protest in London today asking for a pause on frontier AI.", "date": "2024-05-13"}"#.to_string(),
                ),
                _ => typed("application/json", r#"{"error": "This post is unavailable."}"#.to_string()),
            };
        }
        if path.starts_with("/static/") {
            return typed(
                "application/javascript",
                "var id = location.pathname.split('/').pop();\
                 fetch('/api/status/' + id + '.json').then(r => r.json()).then(p => {\
                 var app = document.getElementById('app');\
                 if (p.date) { app.innerHTML = '<article><p></p><time datetime=\"' + p.date + '\">' + p.date + '</time></article>';\
                 app.querySelector('p').textContent = p.text; }\
                 else { app.textContent = p.text || p.error; } });"
                    .to_string(),
            );
        }
        typed(
            "text/html; charset=utf-8",
            "<!doctype html><html><head><title>X</title></head><body>\
             <noscript>JavaScript is not available. Please enable JavaScript.</noscript>\
             <div id=\"app\"></div><script src=\"/static/main.js\"></script></body></html>"
                .to_string(),
        )
    })
}

#[test]
fn script_built_posts_are_judged_with_the_browser() {
    let web = posts_web();
    let dir = crate::support::site_dir(
        "a.md",
        "[a post](http://x.example/someone/status/1)\n[a deleted post](http://x.example/someone/status/2)\n",
        "[site]\nsources = [\"site\"]\n[check]\ntimeout = 5\nhost_interval = 0\n\
         [browser]\ntimeout = 8\n[archives]\nenabled = false\n",
    );
    let (out, err, code) =
        crate::support::citekeep_on(Some(&web), dir.path(), &["check", "--format", "json"]);
    let json: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let link = |url: &str| {
        json["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["url"] == url)
            .unwrap_or_else(|| panic!("{url} missing: {json}"))
            .clone()
    };
    let live = link("http://x.example/someone/status/1");
    assert_eq!(live["status"], "alive", "{live}");
    assert!(
        live["detail"]
            .as_str()
            .unwrap()
            .starts_with("rendered by a browser"),
        "{live}"
    );
    let gone = link("http://x.example/someone/status/2");
    assert_eq!(gone["status"], "soft404", "{gone}");
    assert!(
        gone["detail"]
            .as_str()
            .unwrap()
            .contains("this post is unavailable"),
        "{gone}"
    );
    assert_eq!(code, 1, "{out}{err}");

    // The nightly run archives the live post rendered; a researcher reads it in the archive
    // browser, and the report names the deleted one.
    let (out, err, _) = crate::support::citekeep_on(Some(&web), dir.path(), &["run", "--all"]);
    assert!(
        err.contains("1 page built by script rendered with the browser"),
        "{out}{err}"
    );
    let server = crate::serve::serve(dir.path(), "127.0.0.1:0");
    let (path, replay) = newest(&server, "http://x.example/someone/status/1");
    assert!(
        replay.text().contains("agree a pause on training"),
        "{path}: {}",
        replay.text()
    );
    let report = std::fs::read_to_string(dir.path().join("archive/reports/latest.json")).unwrap();
    assert!(report.contains("this post is unavailable"), "{report}");
}

/// A page that tries every way out of the capture browser's fence at once: popups by
/// script, link and form; a WebSocket; dedicated and shared workers; WebRTC over STUN
/// (UDP) and TURN (TCP); a name that resolves to loopback; an image (added by script, so
/// only the browser asks for it) over a connection whose certificate Chromium does not
/// trust (the test CA is citekeep's through `SSL_CERT_FILE`, not Chromium's); a `data:` frame; a new URL for itself with
/// `history.replaceState`; and an `alert()` that would hold the page until its timeout.
const HOSTILE: &str = r#"<!doctype html><html><head><title>Loading</title></head>
<body><div id="root"></div>
<a id="out" href="http://127.0.0.1:TCP/link" target="_blank">x</a>
<form id="post" method="post" action="http://127.0.0.1:TCP/form" target="_blank"><input name="a" value="b"></form>
<iframe src="data:text/html,<p>inline frame</p>"></iframe>
<script>
var img = new Image(); img.src = 'https://untrusted.example/pixel.png'; document.body.appendChild(img);
alert('hello');
try { window.open('http://127.0.0.1:TCP/popup'); } catch (e) {}
try { document.getElementById('out').click(); } catch (e) {}
try { document.getElementById('post').submit(); } catch (e) {}
try { new WebSocket('ws://127.0.0.1:TCP/socket'); } catch (e) {}
try { new Worker('/worker.js'); } catch (e) {}
try { new SharedWorker('/shared.js'); } catch (e) {}
try { fetch('http://localhost:TCP/by-name'); } catch (e) {}
try {
  var pc = new RTCPeerConnection({iceServers: [
    {urls: 'stun:127.0.0.1:UDP'},
    {urls: 'turn:127.0.0.1:TCP?transport=tcp', username: 'u', credential: 'p'}]});
  pc.createDataChannel('x');
  pc.createOffer().then(function (o) { return pc.setLocalDescription(o); });
} catch (e) {}
history.replaceState(null, '', '/never-cited');
document.getElementById('root').innerHTML =
  '<article><h1>Written after the alert</h1><p>The script ran to its end.</p></article>';
</script></body></html>"#;

const WORKER: &str = "fetch('http://127.0.0.1:TCP/worker').catch(function () {});";
const SHARED: &str = "fetch('http://127.0.0.1:TCP/shared').catch(function () {});";

/// The third attack: a hostile page rendered by the capture browser reaches no loopback
/// listener by any route (popups, workers, WebSockets, WebRTC, names), and what is archived
/// of it is only what was fetched, over trusted connections, under the URL that was cited.
#[test]
fn a_hostile_page_reaches_no_loopback_listener_through_the_browser() {
    let internal = crate::security::Internal::start();
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let (tcp_port, udp_port) = (
        internal.port.to_string(),
        udp.local_addr().unwrap().port().to_string(),
    );
    let fill = move |s: &str| s.replace("TCP", &tcp_port).replace("UDP", &udp_port);
    let web = SimWeb::start_with(move |asked: &Asked| {
        let typed = |mime: &str, body: String| {
            Behave::Page(200, vec![("content-type", mime.to_string())], body)
        };
        match (asked.host.as_str(), asked.path.as_str()) {
            ("hostile.example", "/page") => typed("text/html; charset=utf-8", fill(HOSTILE)),
            ("hostile.example", "/worker.js") => typed("application/javascript", fill(WORKER)),
            ("hostile.example", "/shared.js") => typed("application/javascript", fill(SHARED)),
            ("untrusted.example", _) => typed("image/png", "not really a png".to_string()),
            _ => Behave::status(404, &[], "<title>Not found</title>"),
        }
    });
    let dir = crate::support::site_dir(
        "a.md",
        "[the page](http://hostile.example/page)\n",
        "[site]\nsources = [\"site\"]\n[check]\ntimeout = 5\nhost_interval = 0\n\
         [browser]\ntimeout = 6\nhosts = [\"hostile.example\"]\n[archives]\nenabled = false\n",
    );
    let dir = dir.path();
    let started = Instant::now();
    let (out, err, code) = crate::support::citekeep_on(Some(&web), dir, &["run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("1 page built by script rendered"), "{err}");
    // The alert was dismissed: the page did not wait out its timeout on it.
    assert!(started.elapsed() < Duration::from_secs(60));

    // Nothing reached the internal service, directly or through the upstream proxy.
    assert_eq!(internal.hits(), Vec::<String>::new());
    let mut datagram = [0u8; 1500];
    assert!(
        udp.recv_from(&mut datagram).is_err(),
        "a STUN request reached 127.0.0.1"
    );
    let local: Vec<_> = web
        .seen()
        .into_iter()
        .filter(|s| s.host.starts_with("127.") || s.host.starts_with("localhost"))
        .collect();
    assert!(local.is_empty(), "{local:?}");
    // Every request the browser sent carried citekeep's User-Agent.
    let hostile: Vec<_> = web
        .seen()
        .into_iter()
        .filter(|s| s.host == "hostile.example" && s.method != "CONNECT")
        .collect();
    assert!(!hostile.is_empty());
    for s in &hostile {
        assert!(s.user_agent.starts_with("citekeep/"), "{s:?}");
    }

    // What was archived: the page under its cited URL, rendered to the end of its script;
    // no page under the URL it gave itself, no data: or error page, nothing fetched over
    // the untrusted connection.
    let records = crate::archive::records(dir);
    let uris: Vec<&str> = records
        .iter()
        .filter_map(|r| r.field("WARC-Target-URI"))
        .collect();
    let dom = records
        .iter()
        .find(|r| {
            r.kind == "resource"
                && r.field("WARC-Target-URI") == Some("http://hostile.example/page")
        })
        .unwrap_or_else(|| panic!("no rendered DOM under the cited URL: {uris:?}"));
    assert!(String::from_utf8_lossy(&dom.block).contains("Written after the alert"));
    for uri in &uris {
        assert!(
            uri.starts_with("http://hostile.example/") && !uri.contains("never-cited")
                || uri.starts_with("urn:screenshot:http://hostile.example/page"),
            "{uri} was archived: {uris:?}"
        );
    }
    crate::archive::validate(dir);
}

/// Processes whose command line names `needle`, or whose process group is one of those
/// processes' groups: `(pid, process group)`.
fn processes_naming(needle: &str) -> Vec<(i32, i32)> {
    let all: Vec<(i32, i32, String)> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // After the command name in parentheses: state, parent, process group.
            let pgrp = stat
                .rsplit(')')
                .next()?
                .split_whitespace()
                .nth(2)?
                .parse()
                .ok()?;
            Some((
                pid,
                pgrp,
                String::from_utf8_lossy(&cmdline).replace('\0', " "),
            ))
        })
        .collect();
    let groups: Vec<i32> = all
        .iter()
        .filter(|(_, _, cmd)| cmd.contains(needle) && cmd.contains("chrom"))
        .map(|(_, pgrp, _)| *pgrp)
        .collect();
    all.iter()
        .filter(|(_, pgrp, cmd)| {
            (cmd.contains(needle) && cmd.contains("chrom")) || groups.contains(pgrp)
        })
        .map(|(pid, pgrp, _)| (*pid, *pgrp))
        .collect()
}

/// The third attack: a run killed (SIGKILL, or cron's SIGTERM) while Chromium renders a
/// page that never goes idle left Chromium running it, unguarded. Now Chromium dies with
/// citekeep, nothing is requested after the kill, the next run removes the profile left
/// behind, and the archive it writes is valid.
#[test]
fn killing_a_rendering_run_leaves_no_chromium_behind() {
    let web = web();
    for signal in [libc::SIGKILL, libc::SIGTERM] {
        let dir = crate::support::site_dir(
            "a.md",
            "[the feed](http://live.example/feed)\n",
            "[site]\nsources = [\"site\"]\n[check]\ntimeout = 5\nhost_interval = 0\n\
             [browser]\ntimeout = 90\nhosts = [\"live.example\"]\n[archives]\nenabled = false\n",
        );
        let dir = dir.path();
        let tmp = dir.join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let needle = tmp.display().to_string();
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("citekeep"));
        cmd.current_dir(dir).arg("run").env("TMPDIR", &tmp);
        for (k, v) in web.env() {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until Chromium renders the feed: its polls arrive.
        let waited = Instant::now();
        while web.requests("live.example", "/feed").len() < 2
            || processes_naming(&needle).is_empty()
            || !web.seen().iter().any(|s| s.path.starts_with("/poll"))
        {
            assert!(
                waited.elapsed() < Duration::from_secs(90),
                "Chromium never rendered the feed"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(500));
        let chromium = processes_naming(&needle);
        // SAFETY: signals the citekeep child this test started.
        unsafe {
            libc::kill(child.id() as i32, signal);
        }
        let _ = child.wait();
        let killed = Instant::now();
        while !processes_naming(&needle).is_empty() && killed.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(
            processes_naming(&needle),
            Vec::new(),
            "signal {signal}: Chromium outlived citekeep (it had {chromium:?})"
        );
        // Nothing more is asked for after the kill.
        let polls = || {
            web.seen()
                .iter()
                .filter(|s| s.path.starts_with("/poll"))
                .count()
        };
        let after = polls();
        std::thread::sleep(Duration::from_secs(2));
        assert_eq!(
            polls(),
            after,
            "signal {signal}: requests went on after the kill"
        );
        let profiles = |tmp: &std::path::Path| {
            std::fs::read_dir(tmp)
                .unwrap()
                .filter_map(|e| e.ok())
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with("citekeep-browser-")
                })
                .count()
        };
        if signal == libc::SIGKILL {
            assert_eq!(profiles(&tmp), 1, "the killed run's profile is still there");
        }
        // The next run removes the stale profile, and its archive is valid.
        std::fs::write(
            dir.join("config.toml"),
            "[site]\nsources = [\"site\"]\n[check]\ntimeout = 5\nhost_interval = 0\n\
             [browser]\ntimeout = 3\nhosts = [\"live.example\"]\n[archives]\nenabled = false\n",
        )
        .unwrap();
        let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
        cmd.current_dir(dir).arg("run").env("TMPDIR", &tmp);
        for (k, v) in web.env() {
            cmd.env(k, v);
        }
        let out = cmd.timeout(Duration::from_secs(120)).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            profiles(&tmp),
            0,
            "signal {signal}: a profile was left behind"
        );
        assert!(processes_naming(&needle).is_empty());
        crate::archive::validate(dir);
    }
}

/// The third attack: a page 400,000 px tall and a script that allocates without end once
/// took 4 GB in one page. Now the JavaScript heap is capped (the bomb's renderer dies, the
/// run goes on), the screenshot is at most `MAX_SHOT_HEIGHT` pixels tall, and the run ends.
#[test]
fn a_tall_page_and_a_memory_bomb_stay_within_bounds() {
    const TALL: &str = r#"<!doctype html><html><head><title>Tall</title></head><body>
<div id="root"></div><div style="height:400000px;background:linear-gradient(#fff,#888)"></div>
<script>document.getElementById('root').innerHTML = '<h1>A very tall page</h1><p>Written by script.</p>';</script>
</body></html>"#;
    const BOMB: &str = r#"<!doctype html><html><head><title>Bomb</title></head><body>
<div id="root"></div>
<script>var hoard = []; while (true) { hoard.push(new Array(1000000).fill(hoard.length)); }</script>
</body></html>"#;
    let web = SimWeb::start_with(|asked: &Asked| {
        let page = |body: &str| {
            Behave::Page(
                200,
                vec![("content-type", "text/html".to_string())],
                body.to_string(),
            )
        };
        match asked.path.as_str() {
            "/tall" => page(TALL),
            "/bomb" => page(BOMB),
            _ => Behave::status(404, &[], "<title>Not found</title>"),
        }
    });
    let dir = crate::support::site_dir(
        "a.md",
        "[tall](http://big.example/tall) [bomb](http://big.example/bomb)\n",
        "[site]\nsources = [\"site\"]\n[check]\ntimeout = 5\nhost_interval = 0\n\
         [browser]\ntimeout = 20\nhosts = [\"big.example\"]\n[archives]\nenabled = false\n",
    );
    let dir = dir.path();
    let (out, err, code) = crate::support::citekeep_on(Some(&web), dir, &["run"]);
    assert!((0..=2).contains(&code), "{out}{err}");
    let records = crate::archive::records(dir);
    let shot = records
        .iter()
        .find(|r| r.field("WARC-Target-URI") == Some("urn:screenshot:http://big.example/tall"))
        .unwrap_or_else(|| panic!("no screenshot of the tall page: {err}"));
    // A PNG's height is the big-endian word at bytes 20..24 (in its IHDR chunk).
    let png = &shot.block;
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    let height = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
    assert!(
        height <= citekeep::browser::MAX_SHOT_HEIGHT && height > 900,
        "a screenshot {height} px tall"
    );
    crate::archive::validate(dir);
}

/// The seed page's x.com posts are short (19 words): a nightly `run` finds such a post
/// alive with the browser (a post of its own, dated), snapshots it rendered, and the
/// archive browser replays its text.
#[test]
fn a_short_post_is_alive_snapshotted_rendered_and_replayable_after_one_run() {
    let web = posts_web();
    let dir = crate::support::site_dir(
        "a.md",
        "[a short post](http://x.example/someone/status/3)\n",
        "[site]\nsources = [\"site\"]\n[check]\ntimeout = 5\nhost_interval = 0\n\
         [browser]\ntimeout = 8\n[archives]\nenabled = false\n",
    );
    let (out, err, code) = crate::support::citekeep_on(Some(&web), dir.path(), &["run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("1 page built by script rendered with the browser"),
        "{out}{err}"
    );
    let report = std::fs::read_to_string(dir.path().join("archive/reports/latest.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(json["summary"]["by_status"]["alive"], 1, "{report}");
    let server = crate::serve::serve(dir.path(), "127.0.0.1:0");
    let (path, replay) = newest(&server, "http://x.example/someone/status/3");
    assert!(
        replay.text().contains("asking for a pause on frontier AI"),
        "{path}: {}",
        replay.text()
    );
}
