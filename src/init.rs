//! `init`: a newcomer's set-up. Writes a commented `config.toml` for the site in a folder
//! (the repository's own `config.toml`, every key explained, with the site's sources and
//! address filled in), and keeps the archive folder out of git.
//!
//! Sources are the top-level folders holding Markdown or HTML (walked as `scan` walks them,
//! honouring `.gitignore`), or the folder itself; the address comes from the site's own
//! configuration when it names one (a GitHub Pages `CNAME`, Hugo's `baseURL`, Jekyll's
//! `url`, MkDocs' `site_url`, `package.json`'s `homepage`), else from the caller.

use std::path::{Path, PathBuf};

use crate::Error;
use crate::source::walk::{self, Filter};

/// The documented configuration every `init` starts from.
const TEMPLATE: &str = include_str!("../config.toml");

/// Folders never proposed as sources: dependencies, build output, the archive itself.
const NOT_SOURCES: &[&str] = &[
    "node_modules",
    "target",
    "dist",
    "build",
    "_site",
    "public",
    "vendor",
    "archive",
];

/// What `init` did.
#[derive(Debug)]
pub struct Initialized {
    /// The configuration file written.
    pub config: PathBuf,
    /// The sources it names.
    pub sources: Vec<String>,
    /// The site's address, and where it was found (`None` when none was given or found).
    pub base_url: Option<(String, String)>,
    /// The `.gitignore` that now keeps `archive/` out of git, when the folder is in a git
    /// repository.
    pub gitignore: Option<PathBuf>,
}

/// Sets up citekeep in `dir`: `config.toml` (refused when one exists, unless `force`) and
/// `archive/` in `.gitignore` when `dir` is in a git repository. `base_url` is used when
/// given; else the site's own configuration is read; else `ask` is asked (a terminal).
pub fn init(
    dir: &Path,
    base_url: Option<String>,
    ask: impl FnOnce() -> Option<String>,
    force: bool,
) -> Result<Initialized, Error> {
    let config = dir.join("config.toml");
    if config.exists() && !force {
        return Err(Error::Refused(format!(
            "{}: already there; edit it, or pass --force to write a new one",
            config.display()
        )));
    }
    let sources = detect_sources(dir);
    let base_url = match base_url {
        Some(url) => Some((url, "--base-url".to_string())),
        None => guess_base_url(dir).or_else(|| ask().map(|u| (u, "asked".to_string()))),
    };
    let base_url = match base_url {
        Some((url, from)) => Some((checked_url(&url)?, from)),
        None => None,
    };
    let text = configured(&sources, base_url.as_ref().map(|(u, _)| u.as_str()));
    std::fs::write(&config, text).map_err(|error| Error::Io {
        path: config.clone(),
        error,
    })?;
    let gitignore = if in_git(dir) {
        Some(ignore_archive(dir)?)
    } else {
        None
    };
    Ok(Initialized {
        config,
        sources,
        base_url,
        gitignore,
    })
}

/// `url` when it is an http(s) address with a host (an error names it otherwise).
fn checked_url(url: &str) -> Result<String, Error> {
    let url = url.trim();
    let with_scheme = if url.contains("://") {
        url.to_string()
    } else {
        format!("https://{url}")
    };
    match url::Url::parse(&with_scheme) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(with_scheme.trim_end_matches('/').to_string())
        }
        _ => Err(Error::Config(format!(
            "`{url}` is not a site address such as https://example.org"
        ))),
    }
}

/// The top-level folders of `dir` holding files `scan` reads, or `.` when there are none
/// (or the files lie at the top).
fn detect_sources(dir: &Path) -> Vec<String> {
    let Ok(filter) = Filter::new(&[], &[]) else {
        return vec![".".into()];
    };
    let (files, _) = walk::collect(&[dir.to_path_buf()], &filter);
    let mut folders: Vec<String> = Vec::new();
    let mut at_top = false;
    for f in &files {
        let Ok(relative) = f.path.strip_prefix(dir) else {
            continue;
        };
        let mut parts = relative.components();
        let first = parts
            .next()
            .map(|c| c.as_os_str().to_string_lossy().to_string());
        match (first, parts.next()) {
            // A README or licence at the top is not the site.
            (Some(name), None) => {
                let lower = name.to_ascii_lowercase();
                let meta = ["readme", "changelog", "license", "licence", "contributing"]
                    .iter()
                    .any(|m| lower.starts_with(m));
                at_top |= !meta && !lower.ends_with(".txt");
            }
            (Some(folder), Some(_)) => {
                let skip = folder.starts_with('.') || NOT_SOURCES.contains(&folder.as_str());
                if !skip && !folders.contains(&folder) {
                    folders.push(folder);
                }
            }
            _ => {}
        }
    }
    if at_top || folders.is_empty() {
        return vec![".".into()];
    }
    folders.sort();
    folders
}

/// The site's address as its own configuration names it, with the file it came from.
fn guess_base_url(dir: &Path) -> Option<(String, String)> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let value_of = |text: &str, key: &str, sep: char| {
        text.lines().find_map(|line| {
            let (k, v) = line.split_once(sep)?;
            (k.trim() == key).then(|| {
                v.trim()
                    .trim_end_matches(',')
                    .trim_matches(|c| c == '"' || c == '\'')
                    .to_string()
            })
        })
    };
    let found = [
        ("CNAME", None),
        ("hugo.toml", Some(("baseURL", '='))),
        ("config.toml", Some(("baseURL", '='))),
        ("_config.yml", Some(("url", ':'))),
        ("mkdocs.yml", Some(("site_url", ':'))),
        ("package.json", Some(("\"homepage\"", ':'))),
    ];
    for (file, key) in found {
        let Some(text) = read(file) else {
            continue;
        };
        let value = match key {
            None => text.lines().next().map(|l| l.trim().to_string()),
            Some((key, sep)) => value_of(&text, key, sep),
        };
        if let Some(url) = value
            .filter(|v| !v.is_empty())
            .and_then(|v| checked_url(&v).ok())
        {
            return Some((url, file.to_string()));
        }
    }
    None
}

/// The documented configuration with `sources` and the site's address filled in.
fn configured(sources: &[String], base_url: Option<&str>) -> String {
    let list: Vec<String> = sources.iter().map(|s| format!("{s:?}")).collect();
    let mut text = TEMPLATE.replacen(
        "sources = [\"examples/site\"]",
        &format!("sources = [{}]", list.join(", ")),
        1,
    );
    text = match base_url {
        Some(url) => text
            .replacen(
                "base_url = \"https://pauseai.info\"",
                &format!("base_url = {url:?}"),
                1,
            )
            .replacen(
                "contact = \"https://pauseai.info\"",
                &format!("contact = {url:?}"),
                1,
            ),
        None => text
            .replacen(
                "base_url = \"https://pauseai.info\"",
                "# base_url = \"https://example.org\"",
                1,
            )
            .replacen(
                "contact = \"https://pauseai.info\"",
                "# contact = \"mailto:you@example.org\"",
                1,
            ),
    };
    format!(
        "# Written by `citekeep init`; every key is explained below. Run `citekeep run`.\n{text}"
    )
}

/// Whether `dir` is in a git repository (it or a folder above it holds `.git`).
fn in_git(dir: &Path) -> bool {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    dir.ancestors().any(|d| d.join(".git").exists())
}

/// Adds `archive/` to `dir`'s `.gitignore` unless a line there already ignores it.
fn ignore_archive(dir: &Path) -> Result<PathBuf, Error> {
    let path = dir.join(".gitignore");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let ignored = existing
        .lines()
        .map(str::trim)
        .any(|l| matches!(l, "archive" | "archive/" | "/archive" | "/archive/"));
    if !ignored {
        let mut text = existing;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("# citekeep's archive (history, WARC files, reports)\n/archive/\n");
        std::fs::write(&path, text).map_err(|error| Error::Io {
            path: path.clone(),
            error,
        })?;
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Issue 28: a newcomer had to write the configuration by hand, and `git status` showed
    /// `?? archive/` after the first run.
    #[test]
    fn init_writes_a_config_for_the_site_and_keeps_the_archive_out_of_git() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join(".git")).unwrap();
        write(d, "README.md", "# The site\n");
        write(d, "src/posts/a.md", "[a](https://www.gov.uk/a)\n");
        write(d, "src/routes/b.html", "<a href=\"https://x.org\">x</a>\n");
        write(d, "content/c.md", "text\n");
        write(
            d,
            "node_modules/pkg/README.md",
            "[n](https://npm.example)\n",
        );
        write(d, "CNAME", "pauseai.info\n");
        write(d, ".gitignore", "node_modules");
        let done = init(d, None, || panic!("not asked"), false).unwrap();
        assert_eq!(done.sources, ["content", "src"]);
        assert_eq!(
            done.base_url,
            Some(("https://pauseai.info".into(), "CNAME".into()))
        );
        let text = std::fs::read_to_string(d.join("config.toml")).unwrap();
        assert!(
            text.contains("\nsources = [\"content\", \"src\"]\n"),
            "{text}"
        );
        assert!(text.contains("\nbase_url = \"https://pauseai.info\"\n"));
        // The written file is a configuration citekeep reads, every key documented.
        let loaded = crate::config::parse(&text, &d.join("config.toml")).unwrap();
        assert_eq!(loaded.site.sources, ["content", "src"]);
        assert_eq!(
            std::fs::read_to_string(d.join(".gitignore")).unwrap(),
            "node_modules\n# citekeep's archive (history, WARC files, reports)\n/archive/\n"
        );
        // Never over a configuration already there; twice adds no second line.
        let again = init(d, None, || None, false).unwrap_err().to_string();
        assert!(again.contains("already there"), "{again}");
        init(d, Some("https://pauseai.info".into()), || None, true).unwrap();
        let ignore = std::fs::read_to_string(d.join(".gitignore")).unwrap();
        assert_eq!(ignore.matches("/archive/").count(), 1);
    }

    #[test]
    fn the_address_is_read_from_the_site_or_asked() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "index.md", "[a](https://a.example)\n");
        write(
            d,
            "hugo.toml",
            "title = \"x\"\nbaseURL = 'https://example.org/'\n",
        );
        let done = init(d, None, || None, false).unwrap();
        assert_eq!(done.sources, ["."], "files at the top: the folder itself");
        assert_eq!(
            done.base_url,
            Some(("https://example.org".into(), "hugo.toml".into()))
        );
        assert!(done.gitignore.is_none(), "not a git repository");
        // Nothing to read: asked; nothing answered: left commented.
        std::fs::remove_file(d.join("hugo.toml")).unwrap();
        let done = init(d, None, || Some("www.example.net".into()), true).unwrap();
        assert_eq!(
            done.base_url,
            Some(("https://www.example.net".into(), "asked".into()))
        );
        init(d, None, || None, true).unwrap();
        let text = std::fs::read_to_string(d.join("config.toml")).unwrap();
        assert!(
            text.contains("# base_url = \"https://example.org\""),
            "{text}"
        );
        let bad = init(d, Some("not a url at all".into()), || None, true).unwrap_err();
        assert!(bad.to_string().contains("not a site address"), "{bad}");
    }
}
