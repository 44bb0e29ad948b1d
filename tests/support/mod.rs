//! Shared test support: running the built binary from the project root, and the
//! simulated web.

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
