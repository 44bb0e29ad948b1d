//! `citekeep scan` on the fixture site: every citation with its exact place, the summary,
//! and the errors and warnings a user must see.

use serde_json::Value;

use crate::support::{citekeep, root, stderr, stdout};

/// (file, line, column, url, kind, text, section id) of one citation.
type Row<'a> = (
    &'a str,
    u64,
    u64,
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
);

/// Every citation expected from the fixture site, in order.
const EXPECTED: &[Row] = &[
    (
        "about.html",
        6,
        8,
        "https://www.gov.uk/guidance?x=1&y=2",
        "html",
        "the guidance",
        Some("top"),
    ),
    (
        "about.html",
        10,
        1,
        "https://thezvi.substack.com/p/the-paris-ai-anti-safety-summit",
        "cite",
        "",
        Some("press"),
    ),
    (
        "about.html",
        11,
        1,
        "https://www.youtube-nocookie.com/embed/abc",
        "html",
        "Talk",
        Some("press"),
    ),
    (
        "about.html",
        13,
        6,
        "https://aiforgood.itu.int/",
        "html",
        "AI for Good",
        Some("press"),
    ),
    (
        "posts/latin1.md",
        1,
        6,
        "https://latin1.example/menu",
        "inline",
        "menu",
        None,
    ),
    (
        "posts/summit.md",
        10,
        5,
        "https://www.gov.uk/government/publications/bletchley",
        "inline",
        "Bletchley Declaration",
        Some("past-summits"),
    ),
    (
        "posts/summit.md",
        11,
        9,
        "https://www.reuters.com/technology/summit-2024-04-29/",
        "reference",
        "reported",
        Some("past-summits"),
    ),
    (
        "posts/summit.md",
        11,
        50,
        "https://www.politico.eu/article/ai-safety/",
        "autolink",
        "https://www.politico.eu/article/ai-safety/",
        Some("past-summits"),
    ),
    (
        "posts/summit.md",
        12,
        7,
        "https://x.com/yi_zeng/status/1831133250946838740",
        "bare",
        "",
        Some("past-summits"),
    ),
    (
        "posts/summit.md",
        16,
        4,
        "https://en.wikipedia.org/wiki/Montreal_Protocol_(1987)",
        "inline",
        "worked",
        Some("the-montreal-protocol"),
    ),
    (
        "posts/summit.md",
        18,
        1,
        "https://www.commerce.gov/news?a=1&b=2",
        "html",
        "Commerce",
        Some("the-montreal-protocol"),
    ),
    (
        "posts/summit.md",
        26,
        1,
        "https://ourworldindata.org/chart.png",
        "image",
        "Chart",
        Some("the-montreal-protocol"),
    ),
    (
        "posts/summit.md",
        29,
        15,
        "https://www.unep.org/ozonaction/who-we-are/about-montreal-protocol",
        "footnote",
        "",
        Some("the-montreal-protocol"),
    ),
    (
        "posts/summit.md",
        31,
        41,
        "htps://typo.example",
        "inline",
        "bad",
        Some("the-montreal-protocol"),
    ),
    (
        "urls.txt",
        2,
        1,
        "https://www.reuters.com/technology/summit-2024-04-29/",
        "bare",
        "",
        None,
    ),
    (
        "urls.txt",
        3,
        1,
        "https://www.bracknellnews.co.uk/news/national/23898764.ai-safety/",
        "bare",
        "",
        None,
    ),
];

fn scan_json(args: &[&str]) -> (Value, String, i32) {
    let out = citekeep(args);
    let json: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(&out)));
    (json, stderr(&out), out.status.code().unwrap_or(-1))
}

#[test]
fn fixture_site_gives_every_citation_with_its_place() {
    let (json, err, code) = scan_json(&[
        "--config",
        "tests/fixtures/site.toml",
        "scan",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let citations = json["citations"].as_array().unwrap();
    let got: Vec<_> = citations
        .iter()
        .map(|c| {
            (
                c["file"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("tests/fixtures/site/")
                    .to_string(),
                c["line"].as_u64().unwrap(),
                c["column"].as_u64().unwrap(),
                c["url"].as_str().unwrap().to_string(),
                c["kind"].as_str().unwrap().to_string(),
                c["text"].as_str().unwrap().to_string(),
                c["section"]["id"].as_str().map(str::to_string),
            )
        })
        .collect();
    let expected: Vec<_> = EXPECTED
        .iter()
        .map(|&(f, l, c, u, k, t, s)| {
            (
                f.to_string(),
                l,
                c,
                u.to_string(),
                k.to_string(),
                t.to_string(),
                s.map(str::to_string),
            )
        })
        .collect();
    pretty_assertions::assert_eq!(got, expected);

    // The typo is kept, flagged, and says why.
    let typo = &citations[13];
    assert!(typo["invalid"].as_str().unwrap().contains("htps"), "{typo}");
    assert!(
        citations
            .iter()
            .filter(|c| c != &typo)
            .all(|c| c["invalid"].is_null())
    );

    let summary = &json["summary"];
    assert_eq!(summary["files"], 5, "{summary}");
    assert_eq!(summary["citations"], 16);
    assert_eq!(summary["unique_urls"], 14);
    assert_eq!(summary["internal"], 2);
    assert_eq!(summary["ignored"], 1);
    assert_eq!(summary["invalid"], 1);
    assert_eq!(
        summary["by_domain"][0],
        serde_json::json!({"domain": "gov.uk", "citations": 2})
    );
    assert_eq!(
        summary["by_domain"][1],
        serde_json::json!({"domain": "reuters.com", "citations": 2})
    );

    // Warnings name the file: lossy UTF-8 and a binary file; `drafts/` is .gitignored.
    assert!(err.contains("posts/latin1.md: not valid UTF-8"), "{err}");
    assert!(err.contains("posts/blob.md: binary file skipped"), "{err}");
    assert!(!stdout_of_text_scan().contains("drafts"));
}

fn stdout_of_text_scan() -> String {
    stdout(&citekeep(&["--config", "tests/fixtures/site.toml", "scan"]))
}

#[test]
fn text_output_is_file_line_column_url_text_then_domains() {
    let text = stdout_of_text_scan();
    assert!(
        text.contains("tests/fixtures/site/posts/summit.md:10:5  https://www.gov.uk/government/publications/bletchley  \"Bletchley Declaration\"\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "16 citations of 14 unique URLs in 5 files (2 internal links, 1 not checked, 1 invalid)"
        ),
        "{text}"
    );
    assert!(
        text.contains("By domain:\n      2  gov.uk\n      2  reuters.com\n"),
        "{text}"
    );
}

#[test]
fn internal_links_are_listed_with_the_flag() {
    let (json, _, _) = scan_json(&[
        "--config",
        "tests/fixtures/site.toml",
        "scan",
        "--format",
        "json",
        "--internal",
    ]);
    let internal: Vec<_> = json["citations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["internal"] == true)
        .map(|c| c["url"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(internal, ["/proposal", "/risks"]);
}

#[test]
fn a_missing_input_is_named_and_the_rest_is_scanned() {
    let (json, err, code) = scan_json(&[
        "scan",
        "--format",
        "json",
        "tests/fixtures/site/urls.txt",
        "no/such/folder",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such/folder"), "{err}");
    assert_eq!(json["summary"]["citations"], 2);
    assert_eq!(json["summary"]["errors"].as_array().unwrap().len(), 1);
}

#[test]
fn exclude_globs_skip_files() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    let site = root().join("tests/fixtures/site");
    std::fs::write(
        &config,
        format!(
            "[site]\nsources = [{:?}]\nexclude = [\"posts/**\", \"*.txt\"]\n",
            site.display().to_string()
        ),
    )
    .unwrap();
    let (json, _, _) = scan_json(&[
        "--config",
        config.to_str().unwrap(),
        "scan",
        "--format",
        "json",
    ]);
    assert_eq!(json["summary"]["files"], 1);
    assert_eq!(json["summary"]["citations"], 4);
}

#[test]
fn unknown_config_key_is_an_error_naming_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        "[site]\nsources = []\nbase_ulr = \"https://x.org\"\n",
    )
    .unwrap();
    let out = citekeep(&["--config", config.to_str().unwrap(), "scan"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("c.toml") && err.contains("line 3") && err.contains("base_ulr"),
        "{err}"
    );
}

/// A source folder of 100,000 files is scanned whole, in bounded memory.
#[test]
fn a_folder_of_a_hundred_thousand_files() {
    let dir = tempfile::tempdir().unwrap();
    for d in 0..100 {
        let sub = dir.path().join(format!("d{d}"));
        std::fs::create_dir(&sub).unwrap();
        for f in 0..1000 {
            std::fs::write(
                sub.join(format!("{f}.md")),
                format!("[c](https://example.org/{d}/{f})\n"),
            )
            .unwrap();
        }
    }
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "peak-kb %M"])
        .arg(assert_cmd::cargo::cargo_bin("citekeep"))
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["files"], 100_000);
    assert_eq!(json["summary"]["citations"], 100_000);
    let peak_kb: u64 = stderr(&out)
        .lines()
        .find_map(|l| l.strip_prefix("peak-kb "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    assert!(peak_kb < 200 * 1024, "peak {} MB", peak_kb / 1024);
}

/// An archive folder that cannot be made (a file stands where a folder must be) is an error
/// naming it; nothing is written elsewhere.
#[test]
fn an_archive_folder_that_cannot_be_made_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("blocker"), "a file, not a folder").unwrap();
    std::fs::write(dir.path().join("list.txt"), "https://example.org/a\n").unwrap();
    let out = crate::support::citekeep_in(
        dir.path(),
        &["--archive", "blocker/archive", "check", "list.txt"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("blocker/archive"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("blocker")).unwrap(),
        "a file, not a folder"
    );
}

/// A 1 GB Markdown file (sparse: it costs no disk) is refused by size with an error naming
/// it, without being read; the other sources are scanned.
#[test]
fn a_one_gigabyte_markdown_file_is_named_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let huge = std::fs::File::create(dir.path().join("huge.md")).unwrap();
    huge.set_len(1 << 30).unwrap();
    std::fs::write(dir.path().join("small.md"), "[c](https://example.org/a)\n").unwrap();
    let out = crate::support::citekeep_in(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("huge.md: 1073741824 bytes, larger than [site] max_file_size"),
        "{err}"
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["citations"], 1);
}

/// 100,000 reference links and their 100,000 definitions in one file scan in linear time:
/// each use found its definition by a search through all of them (40,000 took ten seconds
/// in a release build; this would take minutes in a debug one). The time limit is the
/// guard: a test fails by it rather than hang.
#[test]
fn a_hundred_thousand_reference_links_scan_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut md = String::with_capacity(8 << 20);
    for i in 0..100_000 {
        md.push_str(&format!("See [source {i}][ref{i}].\n"));
    }
    md.push('\n');
    for i in 0..100_000 {
        md.push_str(&format!("[ref{i}]: https://example.org/doc/{i}\n"));
    }
    std::fs::write(dir.path().join("refs.md"), md).unwrap();
    let out = assert_cmd::Command::cargo_bin("citekeep")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", "--format", "json", "refs.md"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "timed out or failed: {}",
        stderr(&out)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["citations"], 100_000);
    assert_eq!(
        json["citations"][99_999]["url"],
        "https://example.org/doc/99999"
    );
}
