//! Public archives: `citekeep archives lookup` finds a cited page's captures in the Wayback
//! Machine (its CDX API, simulated with its real formats) and offers the one whose original
//! bytes show the page, turning down captures of errors, soft-404s and redirects home.

use crate::support::web::{Behave, SimWeb};
use crate::support::{stderr, stdout};

/// The Wayback Machine's captures, one table that both its CDX API and its raw replay read:
/// (URL, timestamp, CDX status, what the raw replay answers).
fn captures() -> Vec<(&'static str, &'static str, &'static str, Behave)> {
    let wb = |ts: &str, url: &str| format!("https://web.archive.org/web/{ts}id_/{url}");
    let report = "https://www.gov.uk/government/publications/frontier-ai-report";
    let story = "https://news.example/2024/ai-summit";
    vec![
        // A capture of the 404 it became: turned down by its recorded status alone.
        (
            report,
            "20251220000000",
            "404",
            Behave::status(404, &[], "gone"),
        ),
        // A 200 that is a soft-404 page.
        (
            report,
            "20251201000000",
            "200",
            Behave::html(
                "Page not found - GOV.UK",
                "The page you were looking for is not here.",
            ),
        ),
        // A redirect to the home page.
        (
            report,
            "20251101000000",
            "302",
            Behave::Redirect(302, wb("20251101000001", "https://www.gov.uk/")),
        ),
        // The page as cited.
        (
            report,
            "20250601000000",
            "200",
            Behave::html(
                "Frontier AI: capabilities and risks",
                "A discussion paper on the capabilities of frontier AI and the risks it poses, \
                 prepared for the AI Safety Summit at Bletchley Park.",
            ),
        ),
        // A story captured as a redirect to its renamed address, whose capture shows it.
        (
            story,
            "20250301000000",
            "301",
            Behave::Redirect(
                301,
                wb(
                    "20250301000002",
                    "https://news.example/2024/ai-summit-renamed",
                ),
            ),
        ),
    ]
}

fn web() -> SimWeb {
    SimWeb::start(|host, path, earlier| {
        let table = captures();
        match host {
            "web.archive.org" if path.starts_with("/cdx/search/cdx?") => {
                // The archive asks the first lookup to slow down.
                if earlier == 0 && path.contains("news.example") {
                    return Behave::status(429, &[("retry-after", "1")], "");
                }
                let query: Vec<(String, String)> =
                    url::form_urlencoded::parse(path.split_once('?').unwrap().1.as_bytes())
                        .into_owned()
                        .collect();
                let wanted = &query.iter().find(|(k, _)| k == "url").unwrap().1;
                assert!(query.contains(&("output".into(), "json".into())), "{path}");
                let mut rows =
                    vec![r#"["timestamp","original","statuscode","digest"]"#.to_string()];
                for (url, ts, status, _) in table.iter().filter(|c| c.0 == wanted) {
                    rows.push(format!(
                        r#"["{ts}","{url}","{status}","AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]"#
                    ));
                }
                if rows.len() == 1 {
                    return Behave::status(200, &[("content-type", "application/json")], "[]");
                }
                Behave::status(
                    200,
                    &[("content-type", "application/json")],
                    &format!("[{}]", rows.join(",\n")),
                )
            }
            "web.archive.org" => {
                let rest = path.strip_prefix("/web/").unwrap_or_default();
                let (stamp, url) = rest.split_once('/').unwrap_or_default();
                let ts = stamp.trim_end_matches("id_");
                if let Some(c) = table.into_iter().find(|c| c.0 == url && c.1 == ts) {
                    return c.3;
                }
                match (ts, url) {
                    ("20251101000001", "https://www.gov.uk/") => Behave::html(
                        "Welcome to GOV.UK",
                        "The best place to find government services.",
                    ),
                    ("20250301000002", "https://news.example/2024/ai-summit-renamed") => {
                        Behave::html(
                            "Leaders meet at the AI summit",
                            "World leaders met at Bletchley Park to discuss frontier AI.",
                        )
                    }
                    _ => Behave::status(404, &[], "Wayback Machine has not archived that URL."),
                }
            }
            _ => Behave::status(404, &[], "no such page"),
        }
    })
}

fn lookup(web: &SimWeb, urls: &[&str]) -> (String, String, i32) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[check]\ntimeout = 3\nretries = 2\nretry_after_cap = 5\nhost_interval = 10\n",
    )
    .unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
    cmd.current_dir(dir.path())
        .args(["archives", "lookup"])
        .args(urls);
    for (k, v) in web.env() {
        cmd.env(k, v);
    }
    cmd.env("CITEKEEP_NOW", "2026-01-15T00:00:00Z");
    let out = cmd.output().unwrap();
    (stdout(&out), stderr(&out), out.status.code().unwrap_or(-1))
}

#[test]
fn the_copy_offered_shows_the_page_as_cited() {
    let web = web();
    let report = "https://www.gov.uk/government/publications/frontier-ai-report";
    let story = "https://news.example/2024/ai-summit";
    let (out, err, code) = lookup(&web, &[report, story]);
    assert_eq!(code, 0, "{out}{err}");
    // The report: the capture of the page itself, after three nearer ones were turned down.
    assert!(
        out.contains(&format!(
            "  copy: https://web.archive.org/web/20250601000000/{report} (content checked)"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "  turned down: https://web.archive.org/web/20251201000000/{report} (soft404: "
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "  turned down: https://web.archive.org/web/20251101000000/{report} (soft404: "
        )),
        "{out}"
    );
    // The capture of a 404 was never fetched (captures after the link started failing are
    // left out the same way: see the unit tests of `public::candidates`).
    let ts = "20251220000000";
    assert!(
        web.requests("web.archive.org", &format!("/web/{ts}id_/{report}"))
            .is_empty(),
        "{ts} fetched"
    );
    assert!(!out.contains(ts), "{out}");
    // The story: its captured redirect leads to the capture of where it moved, which is
    // the copy offered; the archive's 429 was waited out.
    assert!(
        out.contains(
            "  copy: https://web.archive.org/web/20250301000002/https://news.example/2024/ai-summit-renamed (content checked)"
        ),
        "{out}"
    );
    let cdx: Vec<_> = web
        .seen()
        .into_iter()
        .filter(|s| s.path.starts_with("/cdx/") && s.path.contains("news.example"))
        .collect();
    assert_eq!(cdx.len(), 2, "{cdx:?}");
    // Every capture was asked for raw, by its original bytes.
    assert!(
        web.seen()
            .iter()
            .filter(|s| s.host == "web.archive.org" && s.path.starts_with("/web/"))
            .all(|s| s.path.contains("id_/")),
        "{:?}",
        web.seen()
    );
}

#[test]
fn no_copy_and_a_broken_archive_are_said() {
    let web = web();
    let (out, err, code) = lookup(&web, &["https://never.example/page"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("https://never.example/page\n  no public copy shows the page"),
        "{out}"
    );
    let broken = SimWeb::start(|_, _, _| Behave::status(200, &[], "<html>not json</html>"));
    let (out, err, code) = lookup(&broken, &["https://www.gov.uk/x"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(
            "https://www.gov.uk/x: the archive could not say: web.archive.org: not CDX JSON"
        ),
        "{err}"
    );
}
