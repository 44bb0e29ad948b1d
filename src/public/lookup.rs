//! What looking up many links' public copies needs besides the archives: when each URL was
//! cited (git history), and the tally of a round of lookups.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use super::Found;

/// What a round of lookups did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Links looked up.
    pub looked_up: usize,
    /// Of those, links with a verified copy now.
    pub found: usize,
    /// By archive, the links it could not be asked about and the first reason.
    pub errors: BTreeMap<String, (usize, String)>,
}

/// When the URL written as `written` first appeared in `file`, by git history (the commit
/// that added it, Unix seconds); `None` outside a git repository, or without git.
pub fn cited_in_git(file: &Path, written: &str) -> Option<i64> {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty())?;
    let name = file.file_name()?;
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["log", "--format=%ct", "--reverse", "-S"])
        .arg(written)
        .arg("--")
        .arg(name)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Counts one link's lookup.
pub fn tally(summary: &mut Summary, found: &Found) {
    summary.looked_up += 1;
    summary.found += usize::from(found.copy.is_some());
    for (archive, why) in &found.errors {
        let entry = summary
            .errors
            .entry(archive.clone())
            .or_insert_with(|| (0, why.clone()));
        entry.0 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commit_that_added_a_url_dates_its_citation() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let ok = Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(args)
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@example.org")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@example.org")
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        let page = dir.path().join("page.md");
        std::fs::write(&page, "# Sources\n").unwrap();
        git(&["add", "page.md"]);
        git(&[
            "commit",
            "-q",
            "-m",
            "start",
            "--date",
            "2024-01-02T10:00:00Z",
        ]);
        std::fs::write(&page, "# Sources\n\n[report](https://www.gov.uk/a)\n").unwrap();
        git(&["add", "page.md"]);
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir.path())
            .args(["commit", "-q", "-m", "cite"])
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.org")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.org")
            .env("GIT_COMMITTER_DATE", "2024-03-04T05:06:07Z")
            .output()
            .unwrap();
        std::fs::write(&page, "# Sources\n\n[the report](https://www.gov.uk/a)\n").unwrap();
        git(&["commit", "-q", "-am", "reword"]);
        assert_eq!(
            cited_in_git(&page, "https://www.gov.uk/a"),
            Some(1_709_528_767)
        );
        assert_eq!(cited_in_git(&page, "https://never.example/"), None);
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("x.md"), "x").unwrap();
        assert_eq!(
            cited_in_git(&outside.path().join("x.md"), "https://www.gov.uk/a"),
            None
        );
    }
}
