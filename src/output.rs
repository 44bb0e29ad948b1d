//! Printing a scan: text for people (one `file:line:col  url  "text"` line per citation,
//! then counts by domain) and one JSON document for programs (see `docs/json.md`).
//! Both stream: citations are written as files finish, only counts are kept.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::io::{self, Write};

use serde::Serialize;

use crate::link::registrable_domain;
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

/// Accumulates a [`Summary`] file by file, keeping only counts and URL hashes.
#[derive(Default)]
pub struct Tally {
    summary: Summary,
    urls: HashSet<u64>,
    domains: HashMap<String, usize>,
    hasher: RandomState,
}

impl Tally {
    /// Counts one file's scan.
    pub fn add(&mut self, scan: &FileScan) {
        let s = &mut self.summary;
        s.files += 1;
        s.internal += scan.internal;
        s.ignored += scan.ignored;
        s.warnings.extend(scan.warnings.iter().cloned());
        for c in scan.citations.iter().filter(|c| !c.internal) {
            s.citations += 1;
            if c.invalid.is_some() {
                s.invalid += 1;
                continue;
            }
            self.urls.insert(self.hasher.hash_one(&c.url));
            let host = url::Url::parse(&c.url)
                .ok()
                .and_then(|u| u.host_str().map(|h| registrable_domain(h).to_string()));
            if let Some(domain) = host {
                *self.domains.entry(domain).or_default() += 1;
            }
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per citation, then counts by domain.
    Text,
    /// One JSON document: `citations` and `summary`.
    Json,
}

/// Writes a scan's citations as they come, then its summary.
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

    /// Writes one file's citations.
    pub fn file(&mut self, scan: &FileScan) -> io::Result<()> {
        for c in &scan.citations {
            match self.format {
                Format::Text => write_text_line(&mut self.out, c)?,
                Format::Json => {
                    self.out
                        .write_all(if self.first { b"\n" } else { b",\n" })?;
                    serde_json::to_writer(&mut self.out, c)?;
                }
            }
            self.first = false;
        }
        Ok(())
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

fn write_text_line(out: &mut impl Write, c: &Citation) -> io::Result<()> {
    write!(
        out,
        "{}:{}:{}  {}  {:?}",
        c.file, c.line, c.column, c.url, c.text
    )?;
    if let Some(reason) = &c.invalid {
        write!(out, "  invalid: {reason}")?;
    }
    if c.internal {
        write!(out, "  (internal)")?;
    }
    writeln!(out)
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
