//! The scan phase: files in, [`Citation`]s out, on every core, delivered in file order.
//!
//! Each file is read, decoded (lossily, with a warning, when it is not UTF-8), extracted by
//! its format's extractor, and each link judged by [`crate::link`]. Workers pull files
//! from a shared counter and hand finished files to the caller, who sees them in sorted
//! order; a file's citations are dropped once the caller is done with them, so memory
//! stays flat however large the tree is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

use serde::Serialize;
use url::Url;

use crate::Error;
use crate::link::{Judged, Site, judge};
use crate::source::span::LineIndex;
use crate::source::walk::SourceFile;
use crate::source::{self, Format, Kind, Section};
use crate::store::FileDigest;

/// One place a URL is cited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Citation {
    /// The absolute URL (scheme and host lower-cased, default port dropped); for an invalid
    /// citation, the destination as written.
    pub url: String,
    /// The destination as written in the source (escapes and entities decoded).
    pub written: String,
    /// The source file.
    pub file: Arc<str>,
    /// 1-based line where the citation starts.
    pub line: u32,
    /// 1-based column (in characters) where the citation starts.
    pub column: u32,
    /// Byte range of the destination in the file.
    pub span: Span,
    /// The link text, alt text or title.
    pub text: String,
    /// The syntax it was written in.
    pub kind: Kind,
    /// The nearest heading above it.
    pub section: Option<Arc<Section>>,
    /// Whether it links to the site itself (only listed when asked for).
    pub internal: bool,
    /// Why the URL is malformed, when it is.
    pub invalid: Option<String>,
}

impl Citation {
    /// How the history stores it.
    pub fn as_row(&self) -> crate::store::CitationRow<'_> {
        crate::store::CitationRow {
            file: &self.file,
            line: self.line,
            column: self.column,
            span: (self.span.start, self.span.end),
            text: &self.text,
            kind: self.kind.as_str(),
            section: self
                .section
                .as_ref()
                .map(|s| (s.text.as_str(), s.id.as_str())),
            written: &self.written,
        }
    }
}

/// A byte range in a source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// What scanning one file gave.
#[derive(Debug, Default)]
pub struct FileScan {
    /// The file.
    pub path: PathBuf,
    /// Its citations in order: external ones, invalid ones, and internal ones when asked.
    pub citations: Vec<Citation>,
    /// Links to the site itself.
    pub internal: usize,
    /// Links with schemes that are never checked (`mailto:`...).
    pub ignored: usize,
    /// Things the reader should know (lossy decoding, skipped binary file).
    pub warnings: Vec<String>,
    /// The file's size and SHA-256 as read, when asked for.
    pub digest: Option<FileDigest>,
}

/// How to scan: the site (for internal links) and whether internal links are listed.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// The site's own hosts.
    pub site: Site,
    /// List internal links as citations too (marked `internal`).
    pub keep_internal: bool,
    /// Compute each file's digest (recorded so `fix` can tell a file changed since).
    pub digest: bool,
    /// Files larger than this many bytes are not read (an error names them); 0: no limit.
    pub max_file_size: u64,
}

/// Reads and scans one file.
pub fn scan_file(file: &SourceFile, options: &ScanOptions) -> Result<FileScan, Error> {
    let io = |e| Error::Io {
        path: file.path.clone(),
        error: e,
    };
    if options.max_file_size > 0 {
        let size = std::fs::metadata(&file.path).map_err(io)?.len();
        if size > options.max_file_size {
            return Err(Error::TooLarge {
                path: file.path.clone(),
                size,
                limit: options.max_file_size,
            });
        }
    }
    let bytes = std::fs::read(&file.path).map_err(io)?;
    let mut scan = FileScan {
        path: file.path.clone(),
        digest: options.digest.then(|| FileDigest {
            path: file.path.display().to_string(),
            size: bytes.len() as u64,
            sha256: sha256_hex(&bytes),
        }),
        ..FileScan::default()
    };
    let head = &bytes[..bytes.len().min(8192)];
    if memchr::memchr(0, head).is_some() {
        scan.warnings
            .push(format!("{}: binary file skipped", file.path.display()));
        return Ok(scan);
    }
    let lossy;
    // simdutf8 checks valid text several times faster than std; std says where it breaks.
    let text = match simdutf8::basic::from_utf8(&bytes) {
        Ok(text) => text,
        Err(_) => {
            let valid_up_to = std::str::from_utf8(&bytes)
                .err()
                .map_or(bytes.len(), |e| e.valid_up_to());
            scan.warnings.push(format!(
                "{}: not valid UTF-8 (first bad byte at offset {valid_up_to}); read with replacement characters",
                file.path.display(),
            ));
            lossy = String::from_utf8_lossy(&bytes);
            &*lossy
        }
    };
    scan_text(text, file.format, &file.path, options, &mut scan);
    // Held until the whole site is checked: no spare capacity.
    scan.citations.shrink_to_fit();
    Ok(scan)
}

/// The SHA-256 of `bytes` in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(bytes))
}

/// Extracts and judges the links of `text`, appending to `scan`.
pub fn scan_text(
    text: &str,
    format: Format,
    path: &Path,
    options: &ScanOptions,
    scan: &mut FileScan,
) {
    let (found, base) = match format {
        Format::Html => {
            let doc = source::html::extract_document(text);
            (doc.links, doc.base)
        }
        _ => (source::extract(format, text), None),
    };
    let base = base.and_then(|b| Url::parse(&b).ok());
    let file: Arc<str> = path.display().to_string().into();
    judge_all(text, found, base.as_ref(), file, options, scan, None);
}

/// What a crawled page links to on its own site, for the crawl to follow.
#[derive(Debug, Default)]
pub struct PageLinks {
    /// The site's own pages it links to (absolute, as judged).
    pub internal: Vec<String>,
    /// Its canonical address, if it names one (absolute).
    pub canonical: Option<String>,
}

/// Extracts and judges the links of an HTML page fetched from `page`: relative links
/// resolve against it (or its `<base href>`); citations go to `scan` under the page's
/// address, links to the site itself are returned.
pub fn scan_page(text: &str, page: &Url, options: &ScanOptions, scan: &mut FileScan) -> PageLinks {
    let doc = source::html::extract_document(text);
    let base = doc
        .base
        .and_then(|b| page.join(&b).ok())
        .unwrap_or_else(|| page.clone());
    let mut links = PageLinks {
        canonical: doc
            .canonical
            .and_then(|c| page.join(&c).ok())
            .map(|u| u.to_string()),
        ..PageLinks::default()
    };
    let file: Arc<str> = page.as_str().into();
    judge_all(
        text,
        doc.links,
        Some(&base),
        file,
        options,
        scan,
        Some(&mut links.internal),
    );
    links
}

/// Judges each found link; citations are appended to `scan`, and the internal ones'
/// URLs to `internal` when given.
fn judge_all(
    text: &str,
    found: Vec<source::Found>,
    base: Option<&Url>,
    file: Arc<str>,
    options: &ScanOptions,
    scan: &mut FileScan,
    mut internal_out: Option<&mut Vec<String>>,
) {
    let lines = LineIndex::new(text);
    scan.citations.reserve(found.len());
    for f in found {
        let implied;
        let target = if f.bare && starts_with_ignore_case(&f.written, "www.") {
            implied = format!("http://{}", f.written);
            &implied
        } else {
            &f.written
        };
        let (url, internal, invalid) = match judge(target, base, &options.site) {
            Judged::External(url) => (url, false, None),
            Judged::Internal(url) => {
                scan.internal += 1;
                if let Some(out) = internal_out.as_deref_mut() {
                    out.push(url.clone());
                }
                if !options.keep_internal {
                    continue;
                }
                (url, true, None)
            }
            Judged::Invalid(reason) => (f.written.clone(), false, Some(reason)),
            Judged::Ignored(_) => {
                scan.ignored += 1;
                continue;
            }
        };
        let (line, column) = lines.position(f.at);
        scan.citations.push(Citation {
            url,
            // A password in a cited URL is never shown nor stored.
            written: if f.written.contains('@') {
                crate::link::redacted(&f.written)
            } else {
                f.written
            },
            file: file.clone(),
            line,
            column,
            span: Span {
                start: f.span.start,
                end: f.span.end,
            },
            text: f.text,
            kind: f.kind,
            section: f.section,
            internal,
            invalid,
        });
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Scans `files` on `threads` workers. Each worker turns a file's result into a `T` with
/// `work` (so formatting and counting run on every core too); `each` then gets the `T`s in
/// the order of `files`.
pub fn scan_files<T: Send>(
    files: &[SourceFile],
    options: &ScanOptions,
    threads: usize,
    work: impl Fn(Result<FileScan, Error>) -> T + Sync,
    mut each: impl FnMut(T),
) {
    let threads = threads.clamp(1, files.len().max(1));
    if threads == 1 {
        files.iter().for_each(|f| each(work(scan_file(f, options))));
        return;
    }
    // Workers take runs of consecutive files and hand each run's results over in one
    // message: a message a file woke the consumer 13,000 times a second, each a context
    // switch on a machine whose cores the workers keep busy.
    let run = (files.len() / (threads * 64)).clamp(1, 16);
    let next = AtomicUsize::new(0);
    // Bounded, so workers cannot run far ahead of a slow consumer.
    let (tx, rx) = mpsc::sync_channel(threads * 2);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, work) = (&next, &work);
            scope.spawn(move || {
                loop {
                    let start = next.fetch_add(run, Ordering::Relaxed);
                    if start >= files.len() {
                        break;
                    }
                    let chunk = &files[start..(start + run).min(files.len())];
                    let results: Vec<T> =
                        chunk.iter().map(|f| work(scan_file(f, options))).collect();
                    if tx.send((start, results)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut want = 0;
        for (start, results) in rx {
            pending.insert(start, results);
            while let Some(results) = pending.remove(&want) {
                want += results.len();
                results.into_iter().for_each(&mut each);
            }
        }
    });
}

/// Every citation of `files`, in order, with the errors met on the way.
pub fn scan_all(
    files: &[SourceFile],
    options: &ScanOptions,
    threads: usize,
) -> (Vec<FileScan>, Vec<Error>) {
    let mut scans = Vec::new();
    let mut errors = Vec::new();
    scan_files(
        files,
        options,
        threads,
        |r| r,
        |r| match r {
            Ok(s) => scans.push(s),
            Err(e) => errors.push(e),
        },
    );
    (scans, errors)
}
