//! Shared test support: running the built binary from the project root, and the
//! simulated web.

pub mod archives;
pub mod web;

use std::path::{Path, PathBuf};
use std::process::Output;

/// The project root (where `tests/fixtures` lives).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `citekeep` with `args` in `dir` and returns its output.
pub fn citekeep_in(dir: &Path, args: &[&str]) -> Output {
    assert_cmd::Command::cargo_bin("citekeep")
        .expect("the citekeep binary is built")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("citekeep runs")
}

/// Runs `citekeep` with `args` from the project root.
pub fn citekeep(args: &[&str]) -> Output {
    citekeep_in(&root(), args)
}

/// The process's stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The process's stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `citekeep` with `args` in `dir`, through the simulated web when one is given, and
/// ends it after two minutes: its stdout, stderr and exit code (-1 when killed).
pub fn citekeep_on(web: Option<&web::SimWeb>, dir: &Path, args: &[&str]) -> (String, String, i32) {
    let mut cmd = assert_cmd::Command::cargo_bin("citekeep").expect("the citekeep binary is built");
    cmd.current_dir(dir)
        .args(args)
        .timeout(std::time::Duration::from_secs(120));
    for (k, v) in web.map(web::SimWeb::env).unwrap_or_default() {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("citekeep runs");
    (stdout(&out), stderr(&out), out.status.code().unwrap_or(-1))
}

/// Runs citekeep in `dir` through `web` at 03:00 UTC on day `day` of November 2026 (the
/// simulated nights), with `env` besides: stdout, stderr and the exit code.
pub fn citekeep_on_day(
    web: &web::SimWeb,
    dir: &Path,
    day: u32,
    args: &[&str],
    env: &[(&str, &str)],
) -> (String, String, i32) {
    let mut cmd = assert_cmd::Command::cargo_bin("citekeep").expect("the citekeep binary is built");
    cmd.current_dir(dir)
        .args(args)
        .timeout(std::time::Duration::from_secs(300));
    for (k, v) in web.env() {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.env("CITEKEEP_NOW", format!("2026-11-{day:02}T03:00:00Z"));
    let out = cmd.output().expect("citekeep runs");
    (stdout(&out), stderr(&out), out.status.code().unwrap_or(-1))
}

/// A site in a temporary folder: `site/NAME` holding `text`, and `config.toml` holding
/// `config`.
pub fn site_dir(name: &str, text: &str, config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("site")).unwrap();
    std::fs::write(dir.path().join("site").join(name), text).unwrap();
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    dir
}

/// Raises this process's soft limit on open files to 4,096 (or its hard limit): tests that
/// hold hundreds of connections need the descriptors, and a soft limit of 1,024 is common.
pub fn raise_open_files_limit() {
    // SAFETY: getrlimit and setrlimit read and write only the struct passed.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < 4096 {
            limit.rlim_cur = limit.rlim_max.min(4096);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
