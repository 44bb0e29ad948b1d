//! Faults from the web, through the simulated web: each is classified as DESIGN.md says,
//! within the timeouts, and a run of 1,000 such URLs stays within a memory bound.

use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::web::{Behave, SimWeb};
use crate::support::{stderr, stdout};

/// 1 GiB of zeros, gzipped: about a megabyte that inflates to a gigabyte.
fn gzip_bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..1024 {
            gz.write_all(&zeros).unwrap();
        }
        gz.finish().unwrap()
    })
}

/// What a host of the faulty web does, by the first label of its name.
fn fault(host: &str, path: &str) -> Behave {
    if path.contains("citekeep-probe") {
        return Behave::status(404, &[], "not found");
    }
    let kind = host.split(['.', '-']).next().unwrap_or("");
    match kind {
        "trickle" => Behave::Trickle(Duration::from_secs(1), "<title>Slow</title>".repeat(20)),
        "endless" => Behave::Endless,
        "bomb" => Behave::Raw(
            200,
            vec![
                ("content-type", "text/html".into()),
                ("content-encoding", "gzip".into()),
            ],
            gzip_bomb().to_vec(),
        ),
        "headers" => Behave::ManyHeaders(10_000),
        "weird" => Behave::BadHeaderBytes,
        "cutoff" => Behave::CutOff,
        "reset" => Behave::Reset,
        "loop" if path.ends_with("/a") => Behave::Redirect(302, "b".into()),
        "loop" => Behave::Redirect(302, "a".into()),
        "chain" => {
            let n: usize = path.rsplit('/').next().unwrap_or("0").parse().unwrap_or(0);
            if n < 1000 {
                Behave::Redirect(301, format!("{}", n + 1))
            } else {
                Behave::html("The end", "After a thousand hops.")
            }
        }
        "nosuch" => Behave::NoSuchHost,
        // TLS faults come from the name (see the simulated web): any page will do.
        "wrong" | "expired" => Behave::html("TLS", "Never seen."),
        _ => Behave::html("Fine", "A page that works."),
    }
}

fn config(dir: &Path) {
    std::fs::write(
        dir.join("config.toml"),
        "[site]\nsources = [\"urls.txt\"]\n[check]\ntimeout = 3\nconnect_timeout = 3\nretries = 0\n\
         per_host = 2\nhost_interval = 0\nconcurrency = 64\n\
         [archives]\napi_interval = 0\narchive_today_interval = 0\n",
    )
    .unwrap();
}

fn check(web: &SimWeb, dir: &Path, command: &[&str]) -> (Value, String, Duration) {
    let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
    cmd.current_dir(dir).args(command);
    for (k, v) in web.env() {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let json = serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null);
    (json, stderr(&out), started.elapsed())
}

#[test]
fn each_fault_is_classified_within_the_timeouts() {
    gzip_bomb(); // made before the clock starts
    let web = SimWeb::start(|host, path, _| fault(host, path));
    let dir = tempfile::tempdir().unwrap();
    config(dir.path());
    let cases = [
        (
            "http://trickle.example/page",
            "timeout",
            "no answer in time",
        ),
        ("http://endless.example/page", "alive", "200"),
        ("http://bomb.example/page", "alive", "200"),
        ("http://headers.example/page", "network_error", ""),
        ("http://weird.example/page", "alive", "200"),
        ("http://cutoff.example/page", "network_error", ""),
        ("http://reset.example/page", "network_error", ""),
        ("http://loop.example/a", "server_error", "loop"),
        (
            "http://chain.example/hop/0",
            "server_error",
            "more than 10 redirects",
        ),
        ("https://wrong-name.example/page", "network_error", "TLS"),
        ("https://expired.example/page", "network_error", "TLS"),
        ("http://nosuch.example/page", "network_error", "DNS"),
    ];
    let list: String = cases.iter().map(|(u, _, _)| format!("{u}\n")).collect();
    std::fs::write(dir.path().join("urls.txt"), list).unwrap();
    let (json, err, took) = check(&web, dir.path(), &["check", "--format", "json"]);
    assert!(json.is_object(), "{err}");
    let links = json["links"].as_array().unwrap();
    for (url, status, detail) in cases {
        let link = links
            .iter()
            .find(|l| l["url"] == url)
            .unwrap_or_else(|| panic!("{url} missing"));
        assert_eq!(link["status"], status, "{url}: {link}");
        let said = link["detail"].as_str().unwrap();
        assert!(said.contains(detail), "{url}: {said:?} lacks {detail:?}");
    }
    // Every request ends within its timeout (3 s): the whole run within a few of them.
    assert!(took < Duration::from_secs(20), "{took:?}");
}

/// 1,000 faulty URLs in one `run` (checked, and the live ones archived): it completes,
/// classifies each, and its peak memory (GNU time's maximum resident set size) stays under
/// 512 MB: 64 checks and captures in flight, a body past 1 MB one of the few large ones
/// allowed at once (two checks, one capture), endless bodies cut at `[archive] max_size` (50 MB), gzip bombs at
/// 16 MB of decoded text, and read among the large bodies once they inflate past 1 MB.
#[test]
fn a_thousand_faults_in_one_run() {
    gzip_bomb();
    let web = SimWeb::start(|host, path, _| fault(host, path));
    let dir = tempfile::tempdir().unwrap();
    config(dir.path());
    let kinds = [
        "bomb",
        "headers",
        "weird",
        "cutoff",
        "reset",
        "loop",
        "chain",
        "wrong-name",
        "expired",
        "nosuch",
        "fine",
        "endless",
    ];
    let mut list = String::new();
    for i in 0..1000 {
        let kind = kinds[i % kinds.len()];
        let host = format!("{kind}.h{}.example", i % 50);
        let scheme = if kind == "wrong-name" || kind == "expired" {
            "https"
        } else {
            "http"
        };
        let path = match kind {
            "loop" => format!("/loop{i}/a"),
            "chain" => format!("/chain{i}/hop/0"),
            _ => format!("/page/{i}"),
        };
        list.push_str(&format!("{scheme}://{host}{path}\n"));
    }
    // Slow ones are few: each holds a slot for the whole timeout.
    for i in 0..5 {
        list.push_str(&format!("http://trickle.h{i}.example/page\n"));
    }
    std::fs::write(dir.path().join("urls.txt"), list).unwrap();

    let mut cmd = std::process::Command::new("/usr/bin/time");
    cmd.current_dir(dir.path())
        .args(["-f", "peak-kb %M"])
        .arg(assert_cmd::cargo::cargo_bin("citekeep"))
        .args(["run", "--all"]);
    for (k, v) in web.env() {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let out = cmd
        .output()
        .expect("GNU time is installed (tests/run installs Debian's time)");
    let took = started.elapsed();
    let err = stderr(&out);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}{err}",
        stdout(&out)
    );
    assert!(
        stdout(&out).starts_with("citekeep run: 1005 links"),
        "{}{err}",
        stdout(&out)
    );
    let peak_kb: u64 = err
        .lines()
        .find_map(|l| l.strip_prefix("peak-kb "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak in {err}"));
    assert!(peak_kb < 512 * 1024, "peak memory {} MB", peak_kb / 1024);
    assert!(took < Duration::from_secs(120), "{took:?}");
    // Every link has a status in the history.
    let conn = rusqlite::Connection::open(dir.path().join("archive/citekeep.db")).unwrap();
    let unchecked: i64 = conn
        .query_row(
            "SELECT count(*) FROM links WHERE last_status IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unchecked, 0);
    eprintln!(
        "1,005 faulty URLs: {:.1} s, peak memory {} MB",
        took.as_secs_f64(),
        peak_kb / 1024
    );
}
