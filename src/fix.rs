//! `fix`: rewriting dead citations in the sources to point at their archived copies (and,
//! when asked, moved ones to where they lead now).
//!
//! Edits are byte spans recorded by the last scan, so everything outside them stays byte
//! for byte; a file whose digest differs from the one recorded at that scan is refused, as
//! its spans may no longer be where they were. What an edit writes depends on the syntax
//! around the span (read from the file, not assumed from the citation's kind):
//!
//! | place | replace | append |
//! | --- | --- | --- |
//! | `[text](url)`, `![alt](url)` | url → copy | ` ([archived copy](copy))` after `)` |
//! | `<url>` autolink, bare url | `<copy>` | ` ([archived copy](copy))` after it |
//! | `[ref]: url` definition | url → copy | url → copy (a definition holds one URL) |
//! | HTML attribute | value → copy, `data-originalurl`, `data-versiondate` | `data-versionurl`, `data-versiondate` (Robust Links) |
//! | line of a `.txt` list | url → copy | url → copy |

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::Error;
use crate::archive::cdxj::timestamp;
use crate::config::FixStyle;
use crate::report::model::replay_url;
use crate::scan::sha256_hex;
use crate::source::Format;
use crate::store::{CitedRow, Store};

/// What `fix` does.
#[derive(Clone, Debug)]
pub struct Options {
    /// Replace URLs, or append links to the copies.
    pub style: FixStyle,
    /// The copy URL template (`{timestamp}`, `{url}`); none when no address readers can
    /// open is configured (the local replay address is not written into sources).
    pub copy_url: Option<String>,
    /// Also point moved citations to where they lead now.
    pub moved: bool,
    /// Also point drifted citations to their verified public copy.
    pub drifted: bool,
    /// Only these files (as scanned), or every file when empty.
    pub only: Vec<PathBuf>,
}

/// One edit: bytes `start..end` become `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// First byte replaced.
    pub start: usize,
    /// One past the last byte replaced (equal to `start` for an insertion).
    pub end: usize,
    /// What goes there.
    pub text: String,
}

/// The edits of one file, with its contents as read.
#[derive(Clone, Debug)]
pub struct FilePlan {
    /// The file as scanned.
    pub file: String,
    /// Its contents when planned.
    pub original: String,
    /// Edits in order, not overlapping.
    pub edits: Vec<Edit>,
    /// What each edit does, for people (`line:col url -> what`).
    pub notes: Vec<String>,
    /// The citations rewritten, for the history (`at` is filled in when written).
    pub replaced: Vec<crate::store::Replacement>,
}

impl FilePlan {
    /// The contents with the edits applied.
    pub fn fixed(&self) -> String {
        apply(&self.original, &self.edits)
    }
}

/// What `fix` found: the files to edit, and what it could not do.
#[derive(Debug, Default)]
pub struct Plan {
    /// Files with edits.
    pub files: Vec<FilePlan>,
    /// Files refused or unreadable, with the reason (nothing is written to them).
    pub errors: Vec<String>,
    /// Dead citations left as they are (no archived copy), for people.
    pub skipped: Vec<String>,
}

/// Applies non-overlapping, ordered edits to `text`.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut out =
        String::with_capacity(text.len() + edits.iter().map(|e| e.text.len()).sum::<usize>());
    let mut at = 0;
    for e in edits {
        out.push_str(&text[at..e.start]);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(&text[at..]);
    out
}

/// What a citation's URL is to become.
enum Target {
    /// The archived copy at this URL, captured on this date (YYYY-MM-DD).
    Copy { url: String, date: String },
    /// The URL the link moved to.
    Moved(String),
}

/// Whether a copy's address opens for readers: the address to write (where it landed, on
/// the same host), or why it does not open. Given the address and the URL cited.
pub type Opens<'a> = dyn FnMut(&str, &str) -> Result<String, String> + 'a;

/// Plans the edits from the history: dead citations with an archived copy (and moved ones
/// when asked), file by file, refusing files changed since they were scanned. An address
/// made from `[fix] copy_url` is written only when `opens` says it opens for readers.
pub fn plan(store: &Store, options: &Options, opens: &mut Opens) -> Result<Plan, Error> {
    let mut opened: HashMap<String, Result<String, String>> = HashMap::new();
    let cited = store.cited()?;
    let good = store.newest_good_snapshots()?;
    let public = store.public_copies()?;
    let files = store.files()?;
    let latest = store.runs()?.last().map(|r| r.id).unwrap_or(0);
    let moved: HashMap<i64, String> = store
        .as_of(latest)?
        .into_iter()
        .filter(|(_, c)| c.status == "moved")
        .filter_map(|(id, c)| c.final_url.map(|u| (id, u)))
        .collect();
    // A page moved into a web archive is rot at the address cited: its verified public
    // copy is written without `--moved`.
    let into_archive = |link: i64| {
        moved
            .get(&link)
            .is_some_and(|u| crate::link::is_web_archive(&crate::link::host_of(u)))
    };
    let moved_to: HashMap<i64, String> = if options.moved {
        moved.clone()
    } else {
        HashMap::new()
    };
    let only: Vec<String> = options
        .only
        .iter()
        .map(|p| p.display().to_string())
        .collect();

    let mut plan = Plan::default();
    let mut by_file: BTreeMap<&str, Vec<(&CitedRow, Target)>> = BTreeMap::new();
    let mut on_pages = 0;
    for c in &cited {
        if !only.is_empty() && !only.iter().any(|o| same_file(o, &c.file)) {
            continue;
        }
        if crate::config::is_site(&c.file) {
            // A crawled page is not a file here: reported, never edited.
            on_pages += usize::from(c.verdict == "dead");
            continue;
        }
        let target = if c.verdict == "dead" {
            // A public archive's copy verified to show the page is what readers can open.
            if let Some(target) = public_target(public.get(&c.link_id)) {
                by_file.entry(&c.file).or_default().push((c, target));
                continue;
            }
            match (good.get(&c.link_id), &options.copy_url) {
                (Some(_), None) => {
                    plan.skipped.push(format!(
                        "{}:{}:{}: {} is dead and no public archive holds a verified copy; \
                         its archived copy is only served on this machine, so it is not \
                         written into the source (set [fix] copy_url to an address readers \
                         can open)",
                        c.file, c.line, c.column, c.url
                    ));
                    continue;
                }
                (Some(s), Some(copy_url)) => {
                    // Made from a template, not found in an archive: written only once it
                    // was seen to open (where it landed, when the archive sends readers to
                    // its nearest capture).
                    let address = replay_url(copy_url, &timestamp(s.captured_at), &s.url);
                    let answer = opened
                        .entry(address.clone())
                        .or_insert_with(|| opens(&address, &c.url));
                    match answer {
                        Ok(landed) => Target::Copy {
                            date: crate::link::memento_parts(landed)
                                .and_then(|(_, ts, _)| crate::clock::date_of_stamp(ts))
                                .unwrap_or_else(|| crate::clock::date(s.captured_at)),
                            url: landed.clone(),
                        },
                        Err(why) => {
                            plan.skipped.push(format!(
                                "{}:{}:{}: {} is dead; its copy at {address} ([fix] copy_url) \
                                 does not open ({why}), so it is not written",
                                c.file, c.line, c.column, c.url
                            ));
                            continue;
                        }
                    }
                }
                (None, _) => {
                    plan.skipped.push(format!(
                        "{}:{}:{}: {} is dead and has no public or archived copy; left as it is",
                        c.file, c.line, c.column, c.url
                    ));
                    continue;
                }
            }
        } else if into_archive(c.link_id) {
            match public_target(public.get(&c.link_id)) {
                Some(target) => target,
                None => {
                    plan.skipped.push(format!(
                        "{}:{}:{}: {} moved into a web archive, and no verified copy of it is \
                         recorded yet (`citekeep archives lookup` looks); left as it is",
                        c.file, c.line, c.column, c.url
                    ));
                    continue;
                }
            }
        } else if c.verdict == "drifted" && options.drifted {
            // The address still answers: only a public copy verified against ours (the
            // most like it of those found) shows readers what was cited.
            match public_target(public.get(&c.link_id)) {
                Some(target) => target,
                None => {
                    plan.skipped.push(format!(
                        "{}:{}:{}: {} drifted and no public archive holds a verified copy \
                         of it as cited; left as it is",
                        c.file, c.line, c.column, c.url
                    ));
                    continue;
                }
            }
        } else if let Some(to) = moved_to.get(&c.link_id) {
            Target::Moved(to.clone())
        } else {
            continue;
        };
        by_file.entry(&c.file).or_default().push((c, target));
    }

    if on_pages > 0 {
        plan.skipped.push(format!(
            "{on_pages} dead citations on crawled pages are left to the site's own sources"
        ));
    }
    for (file, targets) in by_file {
        match plan_file(file, &targets, files.get(file), options.style) {
            Ok(Some(p)) => plan.files.push(p),
            Ok(None) => {}
            Err(e) => plan.errors.push(e),
        }
    }
    Ok(plan)
}

fn same_file(asked: &str, scanned: &str) -> bool {
    let norm = |s: &str| s.trim_start_matches("./").to_string();
    norm(asked) == norm(scanned)
        || std::fs::canonicalize(asked)
            .ok()
            .zip(std::fs::canonicalize(scanned).ok())
            .is_some_and(|(a, b)| a == b)
}

fn plan_file(
    file: &str,
    targets: &[(&CitedRow, Target)],
    recorded: Option<&crate::store::FileDigest>,
    style: FixStyle,
) -> Result<Option<FilePlan>, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{file}: cannot read: {e}"))?;
    let Some(recorded) = recorded else {
        return Err(format!(
            "{file}: not in the last scan's record; run `citekeep check` or `citekeep run` first"
        ));
    };
    if recorded.size != bytes.len() as u64 || recorded.sha256 != sha256_hex(&bytes) {
        return Err(format!(
            "{file}: changed since it was scanned; refusing to edit it (its citations may have \
             moved). Run `citekeep check` or `citekeep run` again, then `citekeep fix`"
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{file}: not valid UTF-8; fix edits only UTF-8 files"))?;
    let format = Format::from_path(Path::new(file)).unwrap_or(Format::Text);

    let mut edits: Vec<(Edit, String)> = Vec::new();
    let mut replaced = Vec::new();
    let mut done: Vec<(usize, usize)> = Vec::new();
    for (c, target) in targets {
        let (start, end) = c.span;
        // A definition cited by several references is one span: edit it once.
        if done.contains(&(start, end)) {
            continue;
        }
        done.push((start, end));
        if end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
            || start > end
        {
            return Err(format!(
                "{file}:{}:{}: the recorded place is outside the file; run `citekeep check` again",
                c.line, c.column
            ));
        }
        let place = place_of(&text, start, end, format);
        let mut new = edit_for(&text, start, end, place, target, style, &c.url);
        let (what, with, moved) = match target {
            Target::Copy { url, .. } => (format!("archived copy {url}"), url, false),
            Target::Moved(to) => (format!("moved to {to}"), to, true),
        };
        if !new.is_empty() {
            replaced.push(crate::store::Replacement {
                link_id: c.link_id,
                url: c.url.clone(),
                file: file.to_string(),
                line: c.line,
                column: c.column,
                with: with.clone(),
                moved,
                at: 0,
            });
        }
        for e in new.drain(..) {
            edits.push((e, format!("{}:{} {} -> {what}", c.line, c.column, c.url)));
        }
    }
    edits.sort_by_key(|(e, _)| (e.start, e.end));
    // Drop an edit that would overlap the one before (never expected; kept safe).
    let mut kept: Vec<(Edit, String)> = Vec::new();
    for (e, note) in edits {
        if kept.last().is_some_and(|(k, _)| e.start < k.end) {
            continue;
        }
        kept.push((e, note));
    }
    if kept.is_empty() {
        return Ok(None);
    }
    let mut notes: Vec<String> = kept.iter().map(|(_, n)| n.clone()).collect();
    notes.dedup();
    Ok(Some(FilePlan {
        file: file.to_string(),
        original: text,
        edits: kept.into_iter().map(|(e, _)| e).collect(),
        notes,
        replaced,
    }))
}

/// The syntax around a URL span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// A Markdown inline destination; `angle` when written `<...>`.
    Inline { angle: bool },
    /// A Markdown reference definition's destination.
    Definition { angle: bool },
    /// A Markdown autolink `<...>`.
    Autolink,
    /// A URL in prose.
    Bare,
    /// A line of a plain-text URL list.
    ListLine,
    /// An HTML attribute value, with its quote if quoted.
    Attribute { quote: Option<u8> },
}

fn place_of(text: &str, start: usize, end: usize, format: Format) -> Place {
    let b = text.as_bytes();
    let before = &b[..start];
    let after = &b[end..];
    let trimmed = |s: &[u8]| -> usize {
        s.iter()
            .rposition(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
            .map_or(0, |i| i + 1)
    };
    if let Some(&q @ (b'"' | b'\'')) = before.last() {
        let pre = &before[..before.len() - 1];
        if pre[..trimmed(pre)].ends_with(b"=") {
            return Place::Attribute { quote: Some(q) };
        }
    }
    if format == Format::Html {
        return Place::Attribute { quote: None };
    }
    if format == Format::Text {
        return Place::ListLine;
    }
    let angle = before.last() == Some(&b'<') && after.first() == Some(&b'>');
    let lead = if angle { &before[..start - 1] } else { before };
    let lead = &lead[..trimmed(lead)];
    if lead.ends_with(b"](") {
        return Place::Inline { angle };
    }
    if lead.ends_with(b"]:") {
        return Place::Definition { angle };
    }
    if lead.ends_with(b"=") {
        return Place::Attribute { quote: None };
    }
    if angle {
        return Place::Autolink;
    }
    Place::Bare
}

/// A URL fit for a Markdown link destination: balanced parentheses kept, anything that
/// would end it early or escape its end (a space, `<`, `>`, a backslash, an unbalanced
/// parenthesis) percent-encoded, control characters dropped.
fn md_destination(url: &str) -> String {
    let mut depth = 0i32;
    let balanced = url.chars().all(|c| {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        depth >= 0
    }) && depth == 0;
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            // A backslash escapes what follows it (a final `)` would no longer close).
            '\\' => out.push_str("%5C"),
            '(' if !balanced => out.push_str("%28"),
            ')' if !balanced => out.push_str("%29"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Where an inline link's `(...)` closes, after its destination ended at `from`.
fn inline_close(b: &[u8], mut i: usize) -> Option<usize> {
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && matches!(b[*i], b' ' | b'\t' | b'\n' | b'\r') {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if let Some(&open @ (b'"' | b'\'' | b'(')) = b.get(i) {
        let close = if open == b'(' { b')' } else { open };
        i += 1;
        while i < b.len() && b[i] != close {
            i += if b[i] == b'\\' { 2 } else { 1 };
        }
        i += 1;
        skip_ws(&mut i);
    }
    (b.get(i) == Some(&b')')).then_some(i + 1)
}

const APPENDED: &str = " ([archived copy](";

fn edit_for(
    text: &str,
    start: usize,
    end: usize,
    place: Place,
    target: &Target,
    style: FixStyle,
    original: &str,
) -> Vec<Edit> {
    let b = text.as_bytes();
    let replace = |new: String| {
        vec![Edit {
            start,
            end,
            text: new,
        }]
    };
    let insert = |at: usize, new: String| {
        if text[at..].starts_with(APPENDED) {
            Vec::new() // fixed before
        } else {
            vec![Edit {
                start: at,
                end: at,
                text: new,
            }]
        }
    };
    let (url, date) = match target {
        Target::Moved(to) => {
            return match place {
                Place::Attribute { quote } => {
                    let v = crate::report::escape::html(to);
                    replace(if quote.is_some() {
                        v
                    } else {
                        format!("\"{v}\"")
                    })
                }
                Place::Inline { angle: true } | Place::Definition { angle: true } => {
                    replace(md_destination(to))
                }
                Place::Bare => replace(format!("<{}>", md_destination(to))),
                _ => replace(md_destination(to)),
            };
        }
        Target::Copy { url, date } => (url, date),
    };
    let appended = format!("{APPENDED}{}))", md_destination(url));
    match (place, style) {
        (Place::Attribute { quote }, _) => {
            // Robust Links: https://robustlinks.mementoweb.org/spec/
            let tag_rest = &text[end..];
            let tag_end = tag_rest.find('>').unwrap_or(tag_rest.len());
            if tag_rest[..tag_end].contains("data-version") {
                return Vec::new(); // fixed before
            }
            let after_value = end + usize::from(quote.is_some());
            let mut edits = Vec::new();
            let attrs = match style {
                FixStyle::Replace => {
                    let v = crate::report::escape::html(url);
                    edits.push(Edit {
                        start,
                        end,
                        text: if quote.is_some() {
                            v
                        } else {
                            format!("\"{v}\"")
                        },
                    });
                    format!(
                        " data-originalurl=\"{}\" data-versiondate=\"{}\"",
                        crate::report::escape::html(original),
                        crate::report::escape::html(date)
                    )
                }
                FixStyle::Append => format!(
                    " data-versionurl=\"{}\" data-versiondate=\"{}\"",
                    crate::report::escape::html(url),
                    crate::report::escape::html(date)
                ),
            };
            edits.push(Edit {
                start: after_value,
                end: after_value,
                text: attrs,
            });
            edits
        }
        (Place::ListLine, _) | (Place::Definition { .. }, _) => replace(md_destination(url)),
        (Place::Inline { .. }, FixStyle::Replace) => replace(md_destination(url)),
        (Place::Inline { angle }, FixStyle::Append) => {
            match inline_close(b, end + usize::from(angle)) {
                Some(at) => insert(at, appended),
                None => replace(md_destination(url)),
            }
        }
        (Place::Autolink, FixStyle::Replace) => replace(md_destination(url)),
        (Place::Autolink, FixStyle::Append) => insert(end + 1, appended),
        (Place::Bare, FixStyle::Replace) => replace(format!("<{}>", md_destination(url))),
        (Place::Bare, FixStyle::Append) => insert(end, appended),
    }
}

/// A unified diff of a plan's file, `a/` and `b/` prefixed like git's.
pub fn diff(plan: &FilePlan) -> String {
    let fixed = plan.fixed();
    similar::TextDiff::from_lines(&plan.original, &fixed)
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{}", plan.file), &format!("b/{}", plan.file))
        .to_string()
}

/// Writes a planned file in place, refusing if it changed since it was planned; the new
/// contents replace the old in one rename, keeping the file's permissions.
///
/// A source that is a symlink is written at its target only when that target lies inside
/// one of `roots` (the site's folders), and never through the link itself; the temporary
/// file has an unpredictable name and is created new, so no planted symlink can redirect
/// the write. An edit made to the file while `fix` runs is never lost: on Linux the new
/// contents are swapped in atomically and the contents swapped out compared with the plan's
/// (and swapped back when they differ); elsewhere the file is compared just before the
/// rename.
pub fn write(plan: &FilePlan, roots: &[PathBuf]) -> Result<(), Error> {
    let path = Path::new(&plan.file);
    let target = writable_target(path, roots)?;
    let io = |error| Error::Io {
        path: path.to_path_buf(),
        error,
    };
    let changed = || {
        Error::Refused(format!(
            "{}: changed while fix was running; not written",
            plan.file
        ))
    };
    if std::fs::read(&target).map_err(io)? != plan.original.as_bytes() {
        return Err(changed());
    }
    let perms = std::fs::metadata(&target).map_err(io)?.permissions();
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".citekeep-fix")
        .tempfile_in(dir)
        .map_err(io)?;
    {
        use std::io::Write;
        tmp.write_all(plan.fixed().as_bytes()).map_err(io)?;
        tmp.as_file().set_permissions(perms).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
    }
    let tmp = tmp.into_temp_path();
    match swap::exchange(&tmp, &target) {
        Ok(()) => {
            // `tmp` now names what was the source: it must be what was planned from. An
            // editor whose save had already opened the old file (its path looked up just
            // before the exchange) writes into it a moment later: looked at twice, a short
            // while apart, so that save is swapped back rather than lost with the old file.
            for settle in [Duration::ZERO, SAVE_SETTLES] {
                std::thread::sleep(settle);
                let swapped_out = std::fs::read(&tmp).map_err(io)?;
                if swapped_out != plan.original.as_bytes() {
                    swap::exchange(&tmp, &target).map_err(io)?;
                    return Err(changed());
                }
            }
            Ok(())
        }
        Err(e) if swap::unsupported(&e) => {
            if std::fs::read(&target).map_err(io)? != plan.original.as_bytes() {
                return Err(changed());
            }
            tmp.persist(&target).map_err(|e| io(e.error))
        }
        Err(e) => Err(io(e)),
    }
}

/// A public copy as what `fix` writes: only one whose address is on its archive's own host
/// at a real capture time (what an archive says of itself is not trusted further).
fn public_target(copy: Option<&crate::store::PublicCopy>) -> Option<Target> {
    let p = copy.filter(|p| crate::public::is_writable(p))?;
    Some(Target::Copy {
        url: p.urim.clone(),
        date: crate::clock::date_of_stamp(&p.captured)?,
    })
}

/// How long a save that opened a source just before `fix` swapped it takes to write.
const SAVE_SETTLES: Duration = Duration::from_millis(25);

/// The file to write for a source: itself, or, for a symlink, its target when that lies
/// inside one of `roots` (a committed symlink must not let `fix` edit files elsewhere).
fn writable_target(path: &Path, roots: &[PathBuf]) -> Result<PathBuf, Error> {
    let meta = std::fs::symlink_metadata(path).map_err(|error| Error::Io {
        path: path.to_path_buf(),
        error,
    })?;
    if !meta.file_type().is_symlink() {
        return Ok(path.to_path_buf());
    }
    let refused = || {
        Error::Refused(format!(
            "{}: a symlink to a file outside the site's folders; not edited",
            path.display()
        ))
    };
    let real = std::fs::canonicalize(path).map_err(|_| refused())?;
    let inside = roots
        .iter()
        .filter_map(|r| std::fs::canonicalize(r).ok())
        .any(|root| real.starts_with(&root));
    if inside && real.is_file() {
        Ok(real)
    } else {
        Err(refused())
    }
}

/// Swapping two files in one step, where the system can.
mod swap {
    use std::path::Path;

    /// Exchanges the files at `a` and `b` atomically (Linux `renameat2(RENAME_EXCHANGE)`).
    #[cfg(target_os = "linux")]
    pub fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| {
            CString::new(p.as_os_str().as_bytes())
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
        };
        let (a, b) = (c(a)?, c(b)?);
        // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }

    /// Elsewhere there is no atomic exchange: the caller compares, then renames.
    #[cfg(not(target_os = "linux"))]
    pub fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
        Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
    }

    /// Whether the error says the system or file system cannot exchange files.
    pub fn unsupported(e: &std::io::Error) -> bool {
        e.kind() == std::io::ErrorKind::Unsupported
            || matches!(
                e.raw_os_error(),
                Some(libc::EINVAL | libc::ENOSYS | libc::EXDEV)
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(text: &str, url: &str, format: Format, style: FixStyle) -> String {
        let start = text.find(url).unwrap();
        let end = start + url.len();
        let place = place_of(text, start, end, format);
        let target = Target::Copy {
            url: "https://copy.example/web/20261127000000/".to_string() + url,
            date: "2026-11-27".to_string(),
        };
        apply(
            text,
            &edit_for(text, start, end, place, &target, style, url),
        )
    }

    const C: &str = "https://copy.example/web/20261127000000/";

    #[test]
    fn each_markdown_place_replaced() {
        let u = "https://a.org/x";
        let r = |t: &str| fix(t, u, Format::Markdown, FixStyle::Replace);
        assert_eq!(r("[t](https://a.org/x)"), format!("[t]({C}{u})"));
        assert_eq!(
            r("[t](https://a.org/x \"T\")"),
            format!("[t]({C}{u} \"T\")")
        );
        assert_eq!(r("[t](<https://a.org/x>)"), format!("[t](<{C}{u}>)"));
        assert_eq!(r("![i](https://a.org/x)"), format!("![i]({C}{u})"));
        assert_eq!(
            r("[r]: https://a.org/x \"T\""),
            format!("[r]: {C}{u} \"T\"")
        );
        assert_eq!(r("see <https://a.org/x>."), format!("see <{C}{u}>."));
        assert_eq!(r("see https://a.org/x."), format!("see <{C}{u}>."));
        assert_eq!(
            r("<a href=\"https://a.org/x\">t</a>"),
            format!(
                "<a href=\"{C}{u}\" data-originalurl=\"{u}\" data-versiondate=\"2026-11-27\">t</a>"
            )
        );
    }

    #[test]
    fn each_markdown_place_appended() {
        let u = "https://a.org/x";
        let a = |t: &str| fix(t, u, Format::Markdown, FixStyle::Append);
        let link = format!(" ([archived copy]({C}{u}))");
        assert_eq!(
            a("[t](https://a.org/x) next"),
            format!("[t]({u}){link} next")
        );
        assert_eq!(
            a("[t](https://a.org/x 'T (x)')."),
            format!("[t]({u} 'T (x)'){link}.")
        );
        assert_eq!(a("[t](<https://a.org/x>)"), format!("[t](<{u}>){link}"));
        assert_eq!(a("see <https://a.org/x>."), format!("see <{u}>{link}."));
        assert_eq!(a("see https://a.org/x."), format!("see {u}{link}."));
        // A definition holds one URL: it points to the copy whatever the style.
        assert_eq!(a("[r]: https://a.org/x"), format!("[r]: {C}{u}"));
        assert_eq!(
            a("<a href='https://a.org/x'>t</a>"),
            format!(
                "<a href='{u}' data-versionurl=\"{C}{u}\" data-versiondate=\"2026-11-27\">t</a>"
            )
        );
        // Fixed once is fixed.
        let once = a("[t](https://a.org/x) next");
        assert_eq!(a(&once), once);
    }

    #[test]
    fn html_files_get_robust_links_and_escaping() {
        let u = "https://a.org/x?a=1&b=2";
        let t = "<p><a href=\"https://a.org/x?a=1&b=2\">t</a></p>";
        let out = fix(t, u, Format::Html, FixStyle::Replace);
        assert_eq!(
            out,
            format!(
                "<p><a href=\"{C}https://a.org/x?a=1&amp;b=2\" data-originalurl=\"https://a.org/x?a=1&amp;b=2\" data-versiondate=\"2026-11-27\">t</a></p>"
            )
        );
    }

    #[test]
    fn fix_moved_escapes_a_backslash_and_what_ends_a_destination() {
        // A redirect target ending in a backslash once broke the Markdown link around it.
        let moved = |text: &str, old: &str, to: &str| {
            let start = text.find(old).unwrap();
            let end = start + old.len();
            let place = place_of(text, start, end, Format::Markdown);
            let target = Target::Moved(to.to_string());
            apply(
                text,
                &edit_for(text, start, end, place, &target, FixStyle::Replace, old),
            )
        };
        assert_eq!(
            moved(
                "See [the report](https://a.example/old).\n",
                "https://a.example/old",
                "https://a.example/new?q=a\\"
            ),
            "See [the report](https://a.example/new?q=a%5C).\n"
        );
        assert_eq!(
            moved(
                "See https://a.example/old now.\n",
                "https://a.example/old",
                "https://a.example/n ew>\\"
            ),
            "See <https://a.example/n%20ew%3E%5C> now.\n"
        );
    }

    #[test]
    fn unbalanced_parentheses_are_encoded() {
        assert_eq!(md_destination("https://a.org/a_(b)"), "https://a.org/a_(b)");
        assert_eq!(md_destination("https://a.org/a)b"), "https://a.org/a%29b");
    }

    fn plan_for(file: &Path, original: &str) -> FilePlan {
        FilePlan {
            file: file.display().to_string(),
            original: original.to_string(),
            edits: vec![Edit {
                start: 0,
                end: 3,
                text: "new".to_string(),
            }],
            notes: Vec::new(),
            replaced: Vec::new(),
        }
    }

    /// A committed symlink named like fix's old temporary file, or a source that is a
    /// symlink to a file outside the site, cannot make fix write there.
    #[test]
    fn fix_write_never_follows_a_symlink_out_of_the_site() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        std::fs::create_dir_all(&site).unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        let post = site.join("post.md");
        std::fs::write(&post, "old text").unwrap();
        // The old predictable temporary names, planted as symlinks to the victim.
        for name in [".post.md.citekeep-fix", ".post.md.tmp"] {
            std::os::unix::fs::symlink(&victim, site.join(name)).unwrap();
        }
        write(&plan_for(&post, "old text"), std::slice::from_ref(&site)).unwrap();
        assert_eq!(std::fs::read_to_string(&post).unwrap(), "new text");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");

        // A source that is itself a symlink leaving the site is refused.
        let link = site.join("linked.md");
        std::fs::write(&victim, "old secret").unwrap();
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let err = write(&plan_for(&link, "old secret"), std::slice::from_ref(&site))
            .unwrap_err()
            .to_string();
        assert!(err.contains("outside the site"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "old secret");

        // One inside the site is written at its target, and stays a symlink.
        let target = site.join("real.md");
        std::fs::write(&target, "old inside").unwrap();
        let inner = site.join("alias.md");
        std::os::unix::fs::symlink(&target, &inner).unwrap();
        write(&plan_for(&inner, "old inside"), std::slice::from_ref(&site)).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new inside");
        assert!(
            std::fs::symlink_metadata(&inner)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    /// An editor saving the file while fix writes it never loses the edit: whatever the
    /// order, the file ends with the editor's text or fix refused; never with fix's text
    /// after the editor's save.
    #[test]
    fn fix_write_never_loses_a_concurrent_edit() {
        let dir = tempfile::tempdir().unwrap();
        let post = dir.path().join("post.md");
        let roots = [dir.path().to_path_buf()];
        let mut refused = 0;
        for round in 0..400u64 {
            std::fs::write(&post, "old text").unwrap();
            let plan = plan_for(&post, "old text");
            let edited = format!("editor's text {round}");
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
            let editor = {
                let (post, edited, barrier) = (post.clone(), edited.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    // Spread the save over the moments fix works in (it syncs its file).
                    std::thread::sleep(std::time::Duration::from_micros(round % 40 * 50));
                    std::fs::write(&post, &edited).unwrap();
                })
            };
            barrier.wait();
            let result = write(&plan, &roots);
            editor.join().unwrap();
            let now = std::fs::read_to_string(&post).unwrap();
            refused += usize::from(result.is_err());
            assert_eq!(
                now, edited,
                "round {round}: the editor's save was lost ({result:?})"
            );
        }
        // Some saves came before fix looked (refused), others after it wrote.
        assert!(refused > 0 && refused < 400, "{refused} of 400 refused");
    }
}
