//! The rot report as JUnit XML for CI dashboards: one suite per source file, one test case
//! per citation to look at (a failure when its link is dead, skipped while it is failing
//! but not yet confirmed), and one passing case for the file's other citations.

use std::io::{self, Write};

use super::escape::html as xml;
use super::model::Report;
use super::state_words;

pub(super) fn write(out: &mut impl Write, r: &Report) -> io::Result<()> {
    let dead = |v: &str| v == "dead";
    let failures: usize = r
        .files
        .iter()
        .flat_map(|f| &f.problems)
        .filter(|p| dead(&p.verdict))
        .count();
    let skipped: usize = r
        .files
        .iter()
        .flat_map(|f| &f.problems)
        .filter(|p| p.verdict == "failing")
        .count();
    let tests: usize = r
        .files
        .iter()
        .map(|f| f.problems.len() + usize::from(f.citations > f.problems.len()))
        .sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="citekeep run {}" tests="{tests}" failures="{failures}" skipped="{skipped}" timestamp="{}">"#,
        r.run.id,
        xml(&r.run.started_at)
    )?;
    for f in &r.files {
        let others = f.citations - f.problems.len();
        let file = xml(&f.file);
        writeln!(
            out,
            r#"  <testsuite name="{file}" tests="{}" failures="{}" skipped="{}">"#,
            f.problems.len() + usize::from(others > 0),
            f.problems.iter().filter(|p| dead(&p.verdict)).count(),
            f.problems.iter().filter(|p| p.verdict == "failing").count()
        )?;
        for p in &f.problems {
            let name = xml(&format!("{}:{} {}", p.line, p.column, p.url));
            let words = xml(&state_words(p));
            let copy = p
                .copy
                .as_ref()
                .map(|c| format!("\narchived copy: {}", c.url))
                .unwrap_or_default();
            let copy = match (&p.public_copy, p.no_public_copy()) {
                (Some(c), _) => format!(
                    "\npublic copy: {} ({}, {}){copy}",
                    c.url, c.archive, c.verification
                ),
                (None, Some(none)) => format!("\n{none}{copy}"),
                (None, None) => copy,
            };
            let body = xml(&format!("link text: {}{copy}", p.text));
            match p.verdict.as_str() {
                "dead" => writeln!(
                    out,
                    r#"    <testcase classname="{file}" name="{name}"><failure type="{}" message="{words}">{body}</failure></testcase>"#,
                    xml(&p.status)
                )?,
                "failing" => writeln!(
                    out,
                    r#"    <testcase classname="{file}" name="{name}"><skipped message="{words}"/></testcase>"#
                )?,
                _ => writeln!(
                    out,
                    r#"    <testcase classname="{file}" name="{name}"><system-out>{words}</system-out></testcase>"#
                )?,
            }
        }
        if others > 0 {
            writeln!(
                out,
                r#"    <testcase classname="{file}" name="{others} other citations answered"/>"#
            )?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}
