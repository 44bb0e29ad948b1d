//! Browser captures at scale: 100 pages built by script (an application shell whose script
//! fetches its JSON and writes the article), served by the tests' simulated web, archived by
//! `citekeep archive` with Debian's headless Chromium. Says pages a minute and the peak memory
//! of citekeep and its browser together (the proportional set sizes of the process tree,
//! so memory the processes share counts once, sampled every 50 ms).
//!
//! usage: cargo bench --bench browser   (CITEKEEP_BENCH_PAGES=N for another count)

#[path = "../tests/support/web.rs"]
#[allow(dead_code)]
mod web;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use web::{Asked, Behave, SimWeb};

fn main() {
    let pages: usize = std::env::var("CITEKEEP_BENCH_PAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let typed = |mime: &str, body: String| {
        Behave::Page(200, vec![("content-type", mime.to_string())], body)
    };
    let web = SimWeb::start_with(move |asked: &Asked| {
        let path = asked.path.as_str();
        if let Some(id) = path.strip_prefix("/posts/") {
            return typed(
                "text/html; charset=utf-8",
                format!(
                    "<!doctype html><html><head><title>Loading</title></head><body>\
                     <noscript>You need to enable JavaScript to run this app.</noscript>\
                     <div id=\"root\"></div><script src=\"/app.js?{id}\"></script></body></html>"
                ),
            );
        }
        if let Some(id) = path.strip_prefix("/app.js?") {
            return typed(
                "application/javascript",
                format!(
                    "fetch('/api/{id}.json').then(r => r.json()).then(p => {{\
                     document.title = p.title; document.getElementById('root').innerHTML = \
                     '<article><h1>' + p.title + '</h1><p>' + p.text + '</p></article>'; }});"
                ),
            );
        }
        if let Some(id) = path.strip_prefix("/api/") {
            let id = id.trim_end_matches(".json");
            return typed(
                "application/json",
                format!(
                    "{{\"title\": \"Post {id}\", \"text\": \"{}\"}}",
                    "What the delegates said about frontier systems. ".repeat(40)
                ),
            );
        }
        Behave::status(404, &[], "<title>Not found</title>")
    });
    let dir = tempfile::tempdir().unwrap();
    let list: String = (0..pages)
        .map(|i| format!("http://app{}.example/posts/{i}\n", i % 10))
        .collect();
    std::fs::write(dir.path().join("urls.txt"), list).unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[check]\ntimeout = 20\nhost_interval = 0\nper_host = 4\n[browser]\ntimeout = 20\n",
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_citekeep"));
    cmd.current_dir(dir.path())
        .args(["archive", "urls.txt"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in web.env() {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("citekeep runs");
    let mut peak_kb = 0u64;
    while child.try_wait().unwrap().is_none() {
        peak_kb = peak_kb.max(tree_rss_kb(child.id()));
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = started.elapsed();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rendered: usize = stderr
        .lines()
        .find_map(|l| {
            l.split(" page")
                .next()?
                .rsplit(' ')
                .next()?
                .parse()
                .ok()
                .filter(|_| l.contains("rendered with the browser"))
        })
        .unwrap_or(0);
    println!("| pages | rendered | wall | pages a minute | peak memory (citekeep + Chromium) |");
    println!("| ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| {pages} | {rendered} | {:.1} s | {:.0} | {} MB |",
        took.as_secs_f64(),
        pages as f64 * 60.0 / took.as_secs_f64(),
        peak_kb / 1024
    );
    assert!(out.status.success(), "{stdout}{stderr}");
}

/// The proportional set size of `pid` and all its descendants, in kB (from /proc).
fn tree_rss_kb(pid: u32) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut parent: Vec<(u32, u32, u64)> = Vec::new();
    for e in entries.flatten() {
        let Some(p) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(format!("/proc/{p}/status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        };
        let pss = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup"))
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("Pss:"))
                    .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            })
            .unwrap_or(0);
        if let Some(ppid) = field("PPid:") {
            parent.push((p, ppid as u32, pss));
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let p = tree[i];
        tree.extend(
            parent
                .iter()
                .filter(|(_, pp, _)| *pp == p)
                .map(|(c, _, _)| *c),
        );
        i += 1;
    }
    parent
        .iter()
        .filter(|(p, _, _)| tree.contains(p))
        .map(|(_, _, rss)| rss)
        .sum()
}
