//! Printing a scan: text for people (one `file:line:col  url  "text"` line per citation,
//! then counts by domain) and one JSON document for programs (see `docs/json.md`).
//! Both stream: citations are written as files finish, only counts are kept.

use std::hash::BuildHasher;

use foldhash::{HashMap, HashMapExt, HashSet};
use std::io::{self, Write};

use serde::Serialize;

use crate::link::{host_str as host_of, registrable_domain};
use crate::report::escape::terminal;
use crate::scan::{Citation, FileScan};

/// Totals of a scan, printed after the citations.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// Files scanned.
    pub files: usize,
    /// External citations (including invalid ones).
    pub citations: usize,
    /// Distinct external URLs among them.
    pub unique_urls: usize,
    /// Links to the site itself.
    pub internal: usize,
    /// Links with schemes never checked (`mailto:`...).
    pub ignored: usize,
    /// Malformed URLs.
    pub invalid: usize,
    /// External citations per registrable domain, most cited first.
    pub by_domain: Vec<DomainCount>,
    /// Warnings met (files read lossily, binary files skipped).
    pub warnings: Vec<String>,
    /// Errors met (unreadable files, missing inputs); the scan went on past them.
    pub errors: Vec<String>,
}

/// How many citations point into one registrable domain.
#[derive(Debug, Serialize)]
pub struct DomainCount {
    /// The registrable domain, such as `reuters.com` or `gov.uk`.
    pub domain: String,
    /// Citations into it.
    pub citations: usize,
}

/// One file's share of a [`Summary`], counted on the worker that scanned the file.
#[derive(Debug, Default)]
pub struct FileTally {
    internal: usize,
    ignored: usize,
    citations: usize,
    invalid: usize,
    urls: Vec<u64>,
    domains: HashMap<String, usize>,
    warnings: Vec<String>,
}

impl FileTally {
    /// Counts one file's scan.
    pub fn of(scan: &FileScan) -> FileTally {
        let mut t = FileTally {
            internal: scan.internal,
            ignored: scan.ignored,
            warnings: scan.warnings.clone(),
            ..FileTally::default()
        };
        // Counted by host first: a file cites few hosts, and each is looked up in the
        // public suffix list once.
        let mut hosts: HashMap<&str, usize> = HashMap::new();
        for c in scan.citations.iter().filter(|c| !c.internal) {
            t.citations += 1;
            if c.invalid.is_some() {
                t.invalid += 1;
                continue;
            }
            t.urls.push(url_hash(&c.url));
            if let Some(host) = host_of(&c.url) {
                *hosts.entry(host).or_default() += 1;
            }
        }
        let mut domains: HashMap<&str, usize> = HashMap::new();
        for (host, n) in hosts {
            *domains.entry(registrable_domain(host)).or_default() += n;
        }
        t.domains = domains
            .into_iter()
            .map(|(d, n)| (d.to_string(), n))
            .collect();
        t
    }
}

impl FileTally {
    /// The file's warnings.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// A fixed-seed hash of a URL, the same on every worker, for counting distinct URLs
/// without keeping them.
fn url_hash(url: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0).hash_one(url)
}

/// Merges [`FileTally`]s, in file order, into a [`Summary`].
#[derive(Default)]
pub struct Tally {
    summary: Summary,
    urls: HashSet<u64>,
    domains: HashMap<String, usize>,
}

impl Tally {
    /// Adds one file's counts.
    pub fn add(&mut self, t: FileTally) {
        let s = &mut self.summary;
        s.files += 1;
        s.internal += t.internal;
        s.ignored += t.ignored;
        s.citations += t.citations;
        s.invalid += t.invalid;
        s.warnings.extend(t.warnings);
        self.urls.extend(t.urls);
        for (domain, n) in t.domains {
            *self.domains.entry(domain).or_default() += n;
        }
    }

    /// Records an error that did not stop the scan.
    pub fn error(&mut self, message: String) {
        self.summary.errors.push(message);
    }

    /// The finished summary.
    pub fn finish(mut self) -> Summary {
        self.summary.unique_urls = self.urls.len();
        let mut by_domain: Vec<_> = self
            .domains
            .into_iter()
            .map(|(domain, citations)| DomainCount { domain, citations })
            .collect();
        by_domain.sort_by(|a, b| b.citations.cmp(&a.citations).then(a.domain.cmp(&b.domain)));
        self.summary.by_domain = by_domain;
        self.summary
    }
}

/// Output formats of `scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One line per citation, then counts by domain.
    Text,
    /// One JSON document: `citations` and `summary`.
    Json,
}

/// Renders one file's citations in `format`, on the worker that scanned it. JSON citations
/// each start with `,` and a newline; [`ScanWriter`] drops the document's first comma.
pub fn render(scan: &FileScan, format: Format) -> Vec<u8> {
    let mut out = Vec::with_capacity(scan.citations.len() * 160);
    for c in &scan.citations {
        match format {
            Format::Text => write_text_line(&mut out, c),
            Format::Json => {
                out.extend_from_slice(b",\n");
                serde_json::to_writer(&mut out, c).expect("writing JSON to memory cannot fail");
            }
        }
    }
    out
}

/// Writes rendered files as they come, then the summary.
pub struct ScanWriter<W: Write> {
    out: W,
    format: Format,
    first: bool,
}

impl<W: Write> ScanWriter<W> {
    /// Starts the document.
    pub fn new(mut out: W, format: Format) -> io::Result<Self> {
        if format == Format::Json {
            out.write_all(b"{\"citations\":[")?;
        }
        Ok(ScanWriter {
            out,
            format,
            first: true,
        })
    }

    /// Writes one file's citations as [`render`] rendered them.
    pub fn file(&mut self, rendered: &[u8]) -> io::Result<()> {
        let bytes = match (self.format, self.first) {
            (Format::Json, true) => rendered.get(1..).unwrap_or_default(),
            _ => rendered,
        };
        self.first &= rendered.is_empty();
        self.out.write_all(bytes)
    }

    /// Writes the summary and ends the document.
    pub fn finish(mut self, summary: &Summary) -> io::Result<W> {
        match self.format {
            Format::Json => {
                self.out.write_all(b"\n],\"summary\":")?;
                serde_json::to_writer(&mut self.out, summary)?;
                self.out.write_all(b"}\n")?;
            }
            Format::Text => write_text_summary(&mut self.out, summary)?,
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

fn write_text_line(out: &mut Vec<u8>, c: &Citation) {
    let mut line = itoa::Buffer::new();
    let mut column = itoa::Buffer::new();
    for part in [
        &terminal(&c.file),
        ":",
        line.format(c.line),
        ":",
        column.format(c.column),
        "  ",
        &terminal(&c.url),
        "  ",
    ] {
        out.extend_from_slice(part.as_bytes());
    }
    write_quoted(out, &terminal(&c.text));
    if let Some(reason) = &c.invalid {
        out.extend_from_slice(b"  invalid: ");
        out.extend_from_slice(terminal(reason).as_bytes());
    }
    if c.internal {
        out.extend_from_slice(b"  (internal)");
    }
    out.push(b'\n');
}

/// Bytes [`write_quoted`] escapes: `"`, `\\` and ASCII control characters.
const NEEDS_ESCAPE: [bool; 256] = crate::source::byte_set(0, b"\"\\");

/// Writes `s` in double quotes, escaping quotes, backslashes and ASCII control characters.
fn write_quoted(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let mut rest = s.as_bytes();
    // Plain runs are copied whole; a table says which bytes need escaping.
    while let Some(i) = rest.iter().position(|&b| NEEDS_ESCAPE[b as usize]) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(match rest[i] {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\t' => b"\\t",
            b'\r' => b"\\r",
            _ => b"\\u{fffd}",
        });
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

fn write_text_summary(out: &mut impl Write, s: &Summary) -> io::Result<()> {
    writeln!(
        out,
        "\n{} citations of {} unique URLs in {} files ({} internal links, {} not checked, {} invalid)",
        s.citations, s.unique_urls, s.files, s.internal, s.ignored, s.invalid
    )?;
    if !s.by_domain.is_empty() {
        writeln!(out, "By domain:")?;
        for d in &s.by_domain {
            writeln!(out, "{:>7}  {}", d.citations, d.domain)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_escapes_quotes_backslashes_and_controls() {
        for (text, want) in [
            ("", r#""""#),
            ("plain é text", r#""plain é text""#),
            (r#"say "hi""#, r#""say \"hi\"""#),
            (r"a\b", r#""a\\b""#),
            ("a\nb\tc\rd", r#""a\nb\tc\rd""#),
            ("bell\u{7}del\u{7f}", r#""bell\u{fffd}del\u{fffd}""#),
        ] {
            let mut out = Vec::new();
            write_quoted(&mut out, text);
            assert_eq!(String::from_utf8(out).unwrap(), want, "{text:?}");
        }
    }
}
