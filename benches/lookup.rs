//! Public-copy lookups at scale: 10,000 dead links looked up in the simulated Wayback
//! Machine and archive.today (the tests' simulated archives, with their real formats),
//! through `citekeep archives lookup`, measured with GNU time. Says the lookups' rate, the
//! most requests any archive's lookup API saw in one second against what `[archives]
//! api_interval` allows, and the peak memory.
//!
//! usage: cargo bench --bench lookup   (CITEKEEP_BENCH_LINKS=N for another count)

#[path = "../tests/support/archives.rs"]
#[allow(dead_code)]
mod archives;
#[path = "../tests/support/web.rs"]
#[allow(dead_code)]
mod web;

use std::process::Command;
use std::time::{Duration, Instant};

use archives::{Arch, SimArchives, error, page};
use web::{Asked, Behave, SimWeb};

/// Seconds between two requests to one archive's lookup API in this benchmark (50 a
/// second; the default, 2.5 s, is the Wayback Machine's published rate).
const API_INTERVAL: f64 = 0.02;

fn main() {
    let links: usize = std::env::var("CITEKEEP_BENCH_LINKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    // A quarter with a good Wayback capture, a quarter whose nearer captures are a soft-404
    // and an error (turned down) before the good one, a quarter in archive.today only, a
    // quarter nowhere.
    let mut snaps = Vec::new();
    for i in 0..links {
        let url = url_of(i);
        let good = |arch| {
            page(
                arch,
                &url,
                "20261001000000",
                "A report",
                "The report's text, as it was cited then, long enough to be a page.",
            )
        };
        match i % 4 {
            0 => snaps.push(good(Arch::Wayback)),
            1 => {
                snaps.push(good(Arch::Wayback));
                snaps.push(error(Arch::Wayback, &url, "20261110000000", 404));
                snaps.push(page(
                    Arch::Wayback,
                    &url,
                    "20261105000000",
                    "Page not found",
                    "Sorry, that page is not here.",
                ));
            }
            2 => snaps.push(good(Arch::Today)),
            _ => {}
        }
    }
    let sim = SimArchives::new(snaps);
    let answer = sim.clone();
    let web = SimWeb::start_with(move |asked: &Asked| {
        if SimArchives::serves(&asked.host) {
            answer.answer(asked)
        } else {
            Behave::status(404, &[], "<title>Not found</title>")
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let list: String = (0..links).map(|i| format!("{}\n", url_of(i))).collect();
    std::fs::write(dir.path().join("urls.txt"), list).unwrap();
    let config = |archives: bool| {
        format!(
            "[site]\nsources = [\"urls.txt\"]\n[check]\ntimeout = 10\nretries = 1\n\
             concurrency = 64\nper_host = 2\nhost_interval = 20\n[verdict]\nstrikes = 1\n\
             days = 0\n[report]\nfiles = []\n[archives]\nenabled = {archives}\n\
             api_interval = {API_INTERVAL}\n"
        )
    };
    let citekeep = env!("CARGO_BIN_EXE_citekeep");
    let run = |args: &[&str], timed: bool| {
        let mut cmd = if timed {
            let mut c = Command::new("/usr/bin/time");
            c.args(["-f", "peak-kb %M"]).arg(citekeep);
            c
        } else {
            Command::new(citekeep)
        };
        cmd.current_dir(dir.path()).args(args);
        for (k, v) in web.env() {
            cmd.env(k, v);
        }
        cmd.env("CITEKEEP_NOW", "2026-11-28T03:00:00Z");
        let started = Instant::now();
        let out = cmd
            .output()
            .expect("citekeep and GNU time (apt-get install time) run");
        (out, started.elapsed())
    };
    // The links, checked and found dead, without lookups.
    std::fs::write(dir.path().join("config.toml"), config(false)).unwrap();
    let (out, took) = run(&["-q", "run"], false);
    eprintln!(
        "checked {links} dead links in {took:.1?}: {}",
        String::from_utf8_lossy(&out.stdout).trim()
    );
    // Then every one looked up.
    std::fs::write(dir.path().join("config.toml"), config(true)).unwrap();
    let before = web.seen().len();
    let (out, took) = run(&["-q", "archives", "lookup"], true);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let found = stdout.matches("\n  copy: ").count() + usize::from(stdout.starts_with("  copy: "));
    let none = stdout.matches("no public copy shows the page").count();
    let peak_kb: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-kb "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let seen = &web.seen()[before..];
    let api = |host: &str, prefix: &str| {
        let mut at: Vec<Instant> = seen
            .iter()
            .filter(|s| s.host == host && s.path.starts_with(prefix))
            .map(|s| s.at)
            .collect();
        at.sort();
        let most = (0..at.len())
            .map(|i| {
                at[i..]
                    .iter()
                    .take_while(|t| **t - at[i] < Duration::from_secs(1))
                    .count()
            })
            .max()
            .unwrap_or(0);
        (at.len(), most)
    };
    let (cdx, cdx_peak) = api("web.archive.org", "/cdx/");
    let (timemaps, timemap_peak) = api("archive.ph", "/timemap/");
    let playback = seen
        .iter()
        .filter(|s| s.method == "GET" && s.host == "web.archive.org" && s.path.starts_with("/web/"))
        .count();
    let allowed = (1.0 / API_INTERVAL).ceil() as usize + 1;
    println!(
        "| links looked up | with a verified copy | none | wall | lookups/s | peak memory | CDX requests (most in 1 s) | archive.today TimeMaps (most in 1 s) | allowed in 1 s | raw captures fetched |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| {links} | {found} | {none} | {:.1} s | {:.1} | {} MB | {cdx} ({cdx_peak}) | {timemaps} ({timemap_peak}) | {allowed} | {playback} |",
        took.as_secs_f64(),
        links as f64 / took.as_secs_f64(),
        peak_kb / 1024,
    );
    assert!(out.status.code().is_some_and(|c| c <= 1), "{stderr}");
    assert!(
        cdx_peak <= allowed && timemap_peak <= allowed,
        "a lookup API was asked faster than allowed"
    );
}

fn url_of(i: usize) -> String {
    format!("https://site{}.example/reports/{i}", i % 100)
}
