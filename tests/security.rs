//! What an attacker tried: cited pages that lead requests into our own network (SSRF),
//! credentials in cited URLs, terminal escapes in what is echoed, hostile sitemaps, slow
//! requisites. Each test holds one class shut.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::support::stderr;
use crate::support::web::{Behave, SimWeb};

/// A plain server on 127.0.0.1 playing an internal service: it counts what reaches it.
pub(crate) struct Internal {
    pub(crate) port: u16,
    hits: Arc<Mutex<Vec<String>>>,
}

impl Internal {
    pub(crate) fn start() -> Internal {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                seen.lock()
                    .unwrap()
                    .push(head.lines().next().unwrap_or("").to_string());
                let body = "<html><head><title>Internal admin</title></head><body>secret-token-42</body></html>";
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Internal { port, hits }
    }

    pub(crate) fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}

fn citekeep(web: &SimWeb, dir: &Path, args: &[&str]) -> (String, String, i32) {
    crate::support::citekeep_on(Some(web), dir, args)
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Every byte the archive holds, WARCs and index together.
fn archive_bytes(dir: &Path) -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(dir.join("archive/warc")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let mut text = Vec::new();
        let _ = flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_end(&mut text);
        all.push_str(&String::from_utf8_lossy(&text));
    }
    all.push_str(&std::fs::read_to_string(dir.join("archive/index.cdxj")).unwrap_or_default());
    all
}

/// A cited public page whose requisites point into our network, and cited pages whose
/// redirects (at any hop) lead there, in every spelling of a local address: nothing
/// reaches the internal service, nothing of it is archived, and the redirecting links
/// are reported as not followed (blocked: we did not look), not as rot.
#[test]
fn redirects_and_requisites_never_reach_private_addresses() {
    let internal = Internal::start();
    let port = internal.port;
    let web = SimWeb::start(move |host, path, _| {
        let to = |u: String| Behave::Redirect(302, u);
        match (host, path) {
            ("news.example", "/article") => Behave::Page(
                200,
                vec![("content-type", "text/html".into())],
                format!(
                    "<html><head><title>Article</title>\
                     <link rel=stylesheet href=\"http://127.0.0.1:{port}/admin.css\"></head><body>\
                     <img src=\"http://169.254.169.254/latest/meta-data/\">\
                     <img src=\"http://[::ffff:127.0.0.1]:{port}/mapped.png\">\
                     <img src=\"http://2130706433:{port}/decimal.png\">\
                     <img src=\"http://0177.0.0.1:{port}/octal.png\">\
                     <img src=\"http://localhost:{port}/name.png\">\
                     <p>A public article with hostile requisites.</p></body></html>"
                ),
            ),
            ("news.example", "/to-loopback") => to(format!("http://127.0.0.1:{port}/admin")),
            ("news.example", "/to-metadata") => {
                to("http://169.254.169.254/latest/meta-data/iam".into())
            }
            ("news.example", "/hop1") => to("https://news.example/hop2".into()),
            ("news.example", "/hop2") => to(format!("http://[::ffff:7f00:1]:{port}/deep")),
            _ => Behave::status(404, &[], "not found"),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "site/page.md",
        "[a](https://news.example/article) [b](https://news.example/to-loopback) \
         [c](https://news.example/to-metadata) [d](https://news.example/hop1)\n",
    );
    write(
        dir.path(),
        "config.toml",
        "[site]\nsources = [\"site\"]\n[check]\ntimeout = 3\nretries = 0\nhost_interval = 0\n",
    );
    let (out, err, _) = citekeep(&web, dir.path(), &["run"]);
    assert!(internal.hits().is_empty(), "reached: {:?}", internal.hits());
    for s in web.seen() {
        assert!(
            s.host == "news.example",
            "a request left for {} {}",
            s.host,
            s.path
        );
    }
    let archived = archive_bytes(dir.path());
    assert!(!archived.contains("secret-token-42"));
    for line in archived
        .lines()
        .filter(|l| l.starts_with("WARC-Target-URI:"))
    {
        assert!(line.contains("https://news.example/"), "archived: {line}");
    }
    assert!(out.contains("1 page snapshotted"), "{out}{err}");
    // The redirecting links: blocked, saying why, never a strike.
    let (json, _, _) = citekeep(&web, dir.path(), &["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    for link in json["links"].as_array().unwrap() {
        if link["url"] == "https://news.example/article" {
            continue;
        }
        assert_eq!(link["status"], "blocked", "{link}");
        assert!(
            link["detail"].as_str().unwrap().contains("private"),
            "{link}"
        );
    }
    assert!(internal.hits().is_empty());
}

/// A local address written in the site's own sources is the user's choice: checked and
/// archived; `allow_private_sources = false` refuses it too.
#[test]
fn a_local_address_in_the_sources_is_the_users_choice() {
    let internal = Internal::start();
    let web = SimWeb::start(|_, _, _| Behave::status(404, &[], "not found"));
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "site/page.md",
        &format!("[admin](http://127.0.0.1:{}/status)\n", internal.port),
    );
    let config = |extra: &str| {
        write(
            dir.path(),
            "config.toml",
            &format!(
                "[site]\nsources = [\"site\"]\n[check]\ntimeout = 3\nretries = 0\n\
                 host_interval = 0\nsoft404_probe = false\n{extra}"
            ),
        )
    };
    config("");
    let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
    // Directly, not through the simulated web's proxy.
    let out = cmd
        .current_dir(dir.path())
        .args(["check", "--format", "json"])
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["links"][0]["status"], "alive", "{json}");
    assert_eq!(internal.hits().len(), 1);
    config("allow_private_sources = false\n");
    let (out, err, _) = citekeep(&web, dir.path(), &["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    assert_eq!(json["links"][0]["status"], "blocked", "{out}{err}");
    assert_eq!(internal.hits().len(), 1, "refused this time");
}

/// `https://alice:secret@host/...` in a source: the password is neither sent nor kept in
/// the history, the archive or any output.
#[test]
fn credentials_in_a_cited_url_are_not_sent_or_kept() {
    let web = SimWeb::start(|_, path, _| match path {
        "/page" => Behave::html("Page", "A page behind nothing at all."),
        _ => Behave::status(404, &[], "not found"),
    });
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "site/page.md",
        "[p](https://alice:s3cret-pass@creds.example/page)\n",
    );
    write(
        dir.path(),
        "config.toml",
        "[site]\nsources = [\"site\"]\n[check]\nhost_interval = 0\nretries = 0\n",
    );
    let (out, err, code) = citekeep(&web, dir.path(), &["run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 page snapshotted"), "{out}{err}");
    let (report, _, _) = citekeep(&web, dir.path(), &["report", "--format", "json"]);
    let (scan, _, _) = citekeep(&web, dir.path(), &["scan", "--format", "json"]);
    for text in [&out, &err, &report, &scan, &archive_bytes(dir.path())] {
        assert!(!text.contains("s3cret-pass"), "{text}");
    }
    let db = std::fs::read(dir.path().join("archive/citekeep.db")).unwrap();
    assert!(!String::from_utf8_lossy(&db).contains("s3cret-pass"));
    for s in web.seen().iter().filter(|s| s.method != "CONNECT") {
        assert!(s.authorization.is_empty(), "sent: {}", s.authorization);
    }
}

/// Failures are told apart by their kind, not by words in a message that also carries the
/// URL: a host whose name says "tls" and "certificate" that resets the connection is a
/// reset (and retried), not a TLS failure.
#[test]
fn transport_failures_are_classified_by_kind_not_by_the_url() {
    let web = SimWeb::start(|_, _, _| Behave::Reset);
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "site/page.md",
        "[x](https://tls-certificate-handshake.example/dns-error/refused)\n",
    );
    write(
        dir.path(),
        "config.toml",
        "[site]\nsources = [\"site\"]\n[check]\ntimeout = 3\nretries = 1\nhost_interval = 0\n",
    );
    let (out, err, _) = citekeep(&web, dir.path(), &["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    let link = &json["links"][0];
    assert_eq!(link["status"], "network_error", "{out}{err}");
    let detail = link["detail"].as_str().unwrap();
    assert_eq!(
        detail, "connection reset (2 attempts)",
        "retried, as a reset is"
    );
}

/// Titles and file names from the web or a checkout reach no terminal raw: ESC, C1 CSI and
/// bidirectional overrides are replaced in every human-readable output.
#[test]
fn terminal_escapes_never_reach_the_terminal() {
    let web = SimWeb::start(|_, path, _| match path {
        "/page" => Behave::status(
            404,
            &[],
            "<title>Not found \u{1b}[41mRED\u{1b}[0m \u{9b}2J \u{202e}txt.exe</title>",
        ),
        _ => Behave::status(404, &[], "nothing"),
    });
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "site/evil\u{1b}[2Jname.md",
        "[t\u{1b}]0;owned\u{7}ext](https://soft.example/page) [bad](<https://exa\u{1b}[31m mple.com>)\n",
    );
    write(
        dir.path(),
        "config.toml",
        "[site]\nsources = [\"site\"]\n[check]\nhost_interval = 0\nretries = 0\n",
    );
    let raw = |s: &str| s.contains('\u{1b}') || s.contains('\u{9b}') || s.contains('\u{202e}');
    for args in [
        &["scan"][..],
        &["check"],
        &["check", "--format", "markdown"],
        &["report"],
        &["report", "--format", "markdown"],
    ] {
        let (out, err, _) = citekeep(&web, dir.path(), args);
        assert!(!raw(&out), "{args:?} printed a control character: {out:?}");
        assert!(!raw(&err), "{args:?} printed a control character: {err:?}");
    }
}

/// A sitemap index of 50 gzip bombs (each a few hundred KB inflating to 100 MB of `<loc>`
/// entries) reached 4.3 GB and aborted the crawl. Sitemaps are now read one at a time,
/// capped at the protocol's 50 MB inflated, deduplicated, and no longer read once
/// `max_pages` pages are known.
#[test]
fn a_sitemap_gzip_bomb_is_read_within_bounds() {
    let bomb: Arc<std::sync::OnceLock<Vec<u8>>> = Arc::default();
    let port: Arc<std::sync::OnceLock<u16>> = Arc::default();
    let (b, p) = (bomb.clone(), port.clone());
    let web = SimWeb::start(move |_, path, _| {
        let port = *p.get().unwrap();
        let xml = |body: String| {
            Behave::Page(200, vec![("content-type", "application/xml".into())], body)
        };
        match path {
            "/robots.txt" => Behave::Page(
                200,
                vec![("content-type", "text/plain".into())],
                format!("User-agent: *\nAllow: /\nSitemap: http://127.0.0.1:{port}/index.xml\n"),
            ),
            "/index.xml" => xml(format!(
                "<sitemapindex>{}</sitemapindex>",
                (0..50)
                    .map(|i| format!(
                        "<sitemap><loc>http://127.0.0.1:{port}/s{i}.xml.gz</loc></sitemap>"
                    ))
                    .collect::<String>()
            )),
            p if p.ends_with(".xml.gz") => {
                let gz = b.get_or_init(|| {
                    let mut enc =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
                    enc.write_all(b"<urlset>").unwrap();
                    let mut chunk = String::new();
                    for k in 0..2000 {
                        chunk.push_str(&format!(
                            "<url><loc>http://127.0.0.1:{port}/p{k}</loc></url>"
                        ));
                    }
                    for _ in 0..(100 << 20) / chunk.len() {
                        enc.write_all(chunk.as_bytes()).unwrap();
                    }
                    enc.write_all(b"</urlset>").unwrap();
                    enc.finish().unwrap()
                });
                Behave::Raw(
                    200,
                    vec![("content-type", "application/gzip".into())],
                    gz.clone(),
                )
            }
            _ => Behave::html("Page", "A page listed in the sitemap."),
        }
    });
    let addr = web.addr();
    port.set(addr.rsplit(':').next().unwrap().parse().unwrap())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "config.toml",
        "[check]\nhost_interval = 0\nper_host = 4\n[crawl]\nallow_private = true\nmax_pages = 300\nmax_depth = 1\n",
    );
    let mut cmd = assert_cmd::Command::new("/usr/bin/time");
    cmd.current_dir(dir.path())
        .args(["-f", "peak-kb %M"])
        .arg(assert_cmd::cargo::cargo_bin("citekeep"))
        .args(["scan", "--format", "json", &format!("http://{addr}/")])
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .timeout(std::time::Duration::from_secs(120));
    let out = cmd
        .output()
        .expect("GNU time is installed (tests/run installs it)");
    let err = stderr(&out);
    let peak_kb: u64 = err
        .lines()
        .find_map(|l| l.strip_prefix("peak-kb "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak (timed out?) in {err}"));
    assert!(peak_kb < 256 * 1024, "peak memory {} MB", peak_kb / 1024);
    assert!(err.contains("300 pages"), "{err}");
    let bombs_read = web
        .seen()
        .iter()
        .filter(|s| s.path.ends_with(".xml.gz"))
        .count();
    assert_eq!(bombs_read, 1, "stopped reading sitemaps at max_pages");
}

/// A stylesheet naming 60 images that never answer took 60 timeouts one after another (120
/// s with timeout = 2): a snapshot now ends by its link's deadline, keeping the page and
/// what came in time. Failed requisites count toward the 60 a page may have.
#[test]
fn hanging_requisites_end_at_the_capture_deadline() {
    let web = SimWeb::start(|_, path, _| match path {
        "/page" => Behave::Page(
            200,
            vec![("content-type", "text/html".into())],
            "<html><head><title>Styled</title><link rel=stylesheet href=/site.css></head>\
             <body><p>A page whose stylesheet names images that hang.</p></body></html>"
                .into(),
        ),
        "/site.css" => Behave::Raw(
            200,
            vec![("content-type", "text/css".into())],
            (0..60)
                .map(|i| format!(".i{i} {{ background: url(/hang{i}.png) }}\n"))
                .collect::<String>()
                .into_bytes(),
        ),
        _ => Behave::Hang,
    });
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "site/page.md",
        "[p](https://styled.example/page)\n",
    );
    write(
        dir.path(),
        "config.toml",
        "[site]\nsources = [\"site\"]\n[check]\ntimeout = 2\nretries = 0\nhost_interval = 0\n\
         per_host = 2\nsoft404_probe = false\n",
    );
    let started = std::time::Instant::now();
    let (out, err, code) = citekeep(&web, dir.path(), &["archive", "site"]);
    let took = started.elapsed();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 page snapshotted (1 new"), "{out}{err}");
    // The deadline is timeout x (retries + 2) = 4 s; allow for starting up.
    assert!(took < std::time::Duration::from_secs(12), "took {took:?}");
}
