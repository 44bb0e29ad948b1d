//! Links in Markdown: CommonMark with GitHub's extensions, plus raw HTML and bare URLs.
//!
//! pulldown-cmark parses (with byte offsets for every event), so links, reference
//! definitions, code spans, code blocks, front matter and heading ids follow the spec.
//! What it leaves to us: bare URLs in prose (GitHub's extended autolinks, found by their
//! rules in the raw source of runs of text, emphasis included, since GitHub finds them
//! before it reads emphasis), the exact span of a destination inside `[text](dest)`
//! (scanned from the raw source), and raw HTML (handed to the HTML scanner).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use unicase::UniCase;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

use super::html::{Mode, Scanner};
use super::{Found, Kind, Section, collapse_whitespace, slug};

/// Extracts every link of a Markdown document, in document order.
pub fn extract(text: &str) -> Vec<Found> {
    extract_with(text, Mode::Markdown)
}

/// Extracts every link of an MDX document: Markdown whose `{/* */}` comments and
/// `import`/`export` lines are code, not prose, and whose JSX components' `href` props
/// are links (`<Card href="...">`).
pub fn extract_mdx(text: &str) -> Vec<Found> {
    extract_with(&blank_mdx_code(text), Mode::Mdx)
}

/// `text` with MDX's comments and ES module lines turned to spaces, byte for byte (line
/// breaks kept), so positions stay true.
fn blank_mdx_code(text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let blank = |bytes: &mut [u8]| {
        for b in bytes {
            if !matches!(*b, b'\n' | b'\r') {
                *b = b' ';
            }
        }
    };
    // `{/* ... */}` comments.
    let mut at = 0;
    while let Some(open) = text[at..].find("{/*").map(|i| at + i) {
        let Some(close) = text[open..].find("*/}").map(|i| open + i + 3) else {
            break;
        };
        blank(&mut bytes[open..close]);
        at = close;
    }
    // ES module blocks: from a line starting `import ` or `export ` to the next blank line,
    // outside fenced code.
    let mut in_esm = false;
    let mut fence: Option<&str> = None;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let end = start + line.len();
        let trimmed = line.trim_end();
        if let Some(f) = fence {
            if trimmed.trim_start().starts_with(f) {
                fence = None;
            }
        } else if trimmed.trim_start().starts_with("```") || trimmed.trim_start().starts_with("~~~")
        {
            fence = Some(&trimmed.trim_start()[..3]);
        } else if in_esm || line.starts_with("import ") || line.starts_with("export ") {
            in_esm = !trimmed.is_empty();
            if in_esm {
                blank(&mut bytes[start..end]);
            }
        }
        start = end;
    }
    // Only ASCII bytes were written over whole characters, so the text is still UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_string())
}

fn extract_with(text: &str, mode: Mode) -> Vec<Found> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS
        | Options::ENABLE_GFM;
    let parser = Parser::new_ext(text, options).into_offset_iter();
    // By label, so each reference finds its definition in one look (a list searched per
    // use was quadratic: 40,000 references took ten seconds).
    let mut defs: HashMap<UniCase<String>, Range<usize>> = HashMap::new();
    for (label, def) in parser.reference_definitions().iter() {
        defs.entry(UniCase::new(label.to_string()))
            .or_insert_with(|| def.span.clone());
    }
    let mut walker = Walker {
        text,
        defs,
        out: Vec::new(),
        html: Scanner::new(mode),
        captures: Vec::new(),
        heading: None,
        footnote_depth: 0,
        skip_depth: 0,
        prose: None,
        html_block: None,
    };
    for (event, range) in parser {
        walker.event(event, range);
    }
    walker.flush_prose();
    walker.html.finish(&mut walker.out);
    walker.out
}

/// A link or image whose text is still being read.
struct Capture {
    kind: Kind,
    link_type: LinkType,
    dest: String,
    label: String,
    range: Range<usize>,
    text: String,
    /// End of the last event inside the brackets: the `]` comes after it.
    inner_end: usize,
}

/// The state of one pass over a document's events.
struct Walker<'a> {
    text: &'a str,
    out: Vec<Found>,
    html: Scanner,
    captures: Vec<Capture>,
    defs: HashMap<UniCase<String>, Range<usize>>,
    /// A heading being read: its text and explicit id.
    heading: Option<(String, Option<String>)>,
    footnote_depth: u32,
    /// Inside code blocks or front matter: no links there.
    skip_depth: u32,
    /// A run of contiguous prose text not yet searched for bare URLs.
    prose: Option<Range<usize>>,
    /// The byte range of a raw HTML block being gathered.
    html_block: Option<Range<usize>>,
}

impl Walker<'_> {
    fn event(&mut self, event: Event<'_>, range: Range<usize>) {
        // Emphasis markers do not end a run of prose: GitHub finds bare URLs before it
        // reads emphasis, so `https://x/__init__.py` is one URL, not `https://x/`.
        let inline_markup = matches!(
            event,
            Event::Text(_)
                | Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough)
                | Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough)
        );
        if !inline_markup {
            self.flush_prose();
        }
        for capture in &mut self.captures {
            if range.start > capture.range.start {
                capture.inner_end = capture.inner_end.max(range.end);
            }
        }
        match event {
            Event::Start(tag) => self.start(tag, range),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.text_event(&text, range),
            Event::Code(code) => self.push_text(&code),
            Event::Html(_) => {
                let block = self.html_block.get_or_insert(range.clone());
                block.end = range.end;
            }
            Event::InlineHtml(_) if self.skip_depth == 0 => {
                let src = &self.text[range.clone()];
                self.html.feed(src, range.start, &mut self.out);
                self.tag_footnote_links();
            }
            Event::SoftBreak | Event::HardBreak => self.push_text(" "),
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>, range: Range<usize>) {
        match tag {
            Tag::Link {
                link_type,
                dest_url,
                id,
                ..
            } => self.open(Kind::Inline, link_type, dest_url, id, range),
            Tag::Image {
                link_type,
                dest_url,
                id,
                ..
            } => self.open(Kind::Image, link_type, dest_url, id, range),
            Tag::Heading { id, .. } => {
                self.heading = Some((String::new(), id.map(|i| i.to_string())));
            }
            Tag::FootnoteDefinition(_) => self.footnote_depth += 1,
            Tag::CodeBlock(_) | Tag::MetadataBlock(_) => self.skip_depth += 1,
            Tag::HtmlBlock => self.html_block = None,
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Link | TagEnd::Image => {
                if let Some(capture) = self.captures.pop() {
                    self.close(capture);
                }
            }
            TagEnd::Heading(_) => {
                if let Some((text, id)) = self.heading.take() {
                    let text = collapse_whitespace(text);
                    let id = id.filter(|i| !i.is_empty()).unwrap_or_else(|| slug(&text));
                    self.html.section = Some(Arc::new(Section { text, id }));
                }
            }
            TagEnd::FootnoteDefinition => self.footnote_depth -= 1,
            TagEnd::CodeBlock | TagEnd::MetadataBlock(_) => self.skip_depth -= 1,
            TagEnd::HtmlBlock => {
                if let Some(block) = self.html_block.take() {
                    let src = &self.text[block.clone()];
                    self.html.feed(src, block.start, &mut self.out);
                    self.tag_footnote_links();
                }
            }
            _ => {}
        }
    }

    fn text_event(&mut self, text: &str, range: Range<usize>) {
        if self.skip_depth > 0 {
            return;
        }
        self.push_text(text);
        if self.captures.is_empty() && !self.html.in_anchor() {
            // Anything between two texts of one run is emphasis markup (other events end
            // the run): the run covers the source from its first text to its last.
            match &mut self.prose {
                Some(run) => run.end = range.end,
                None => self.prose = Some(range),
            }
        }
    }

    /// Adds text to whatever is collecting it: open links, an open raw `<a>`, a heading.
    fn push_text(&mut self, text: &str) {
        for capture in &mut self.captures {
            capture.text.push_str(text);
        }
        self.html.push_text(text);
        if let Some((heading, _)) = &mut self.heading {
            heading.push_str(text);
        }
    }

    fn open(
        &mut self,
        kind: Kind,
        link_type: LinkType,
        dest: CowStr<'_>,
        id: CowStr<'_>,
        range: Range<usize>,
    ) {
        // Text starts after `[` (or `![`).
        let text_start = range.start + if kind == Kind::Image { 2 } else { 1 };
        self.captures.push(Capture {
            kind,
            link_type,
            dest: dest.into_string(),
            label: id.into_string(),
            inner_end: text_start.min(range.end),
            range,
            text: String::new(),
        });
    }

    fn close(&mut self, capture: Capture) {
        let source = &self.text[..capture.range.end];
        let (kind, span) = match capture.link_type {
            LinkType::Inline => {
                let span = inline_dest_span(source, capture.inner_end);
                (capture.kind, span)
            }
            LinkType::Reference
            | LinkType::ReferenceUnknown
            | LinkType::Collapsed
            | LinkType::CollapsedUnknown
            | LinkType::Shortcut
            | LinkType::ShortcutUnknown => {
                let span = self.definition_dest_span(&capture.label);
                let kind = if capture.kind == Kind::Image {
                    Kind::Image
                } else {
                    Kind::Reference
                };
                (kind, span)
            }
            LinkType::Autolink => {
                let r = &capture.range;
                (Kind::Autolink, Some(r.start + 1..r.end.saturating_sub(1)))
            }
            // E-mail autolinks and wiki links are not citations.
            _ => return,
        };
        // A link inside an image's description renders only as alt text.
        if self.captures.iter().any(|c| c.kind == Kind::Image) {
            return;
        }
        let span = span.unwrap_or(capture.range.clone());
        let kind = if self.footnote_depth > 0 {
            Kind::Footnote
        } else {
            kind
        };
        self.out.push(Found {
            written: as_linked(&capture.dest, false),
            at: capture.range.start,
            span,
            text: collapse_whitespace(capture.text),
            kind,
            section: self.html.section.clone(),
            bare: false,
        });
    }

    /// The destination's span in a reference definition (`[label]: dest "title"`).
    fn definition_dest_span(&self, label: &str) -> Option<Range<usize>> {
        let def = self.defs.get(&UniCase::new(label.to_string()))?;
        let src = &self.text[def.clone()];
        let colon = src.find("]:")? + 2;
        let rest = &src[colon..];
        let skip = rest.len() - rest.trim_start().len();
        let start = def.start + colon + skip;
        raw_dest_span(self.text, start, def.end)
    }

    /// Searches the pending prose run for bare URLs.
    fn flush_prose(&mut self) {
        let Some(run) = self.prose.take() else {
            return;
        };
        let kind = if self.footnote_depth > 0 {
            Kind::Footnote
        } else {
            Kind::Bare
        };
        let section = &self.html.section;
        let out = &mut self.out;
        bare_urls(&self.text[run.clone()], run.start, |raw, span| {
            out.push(Found {
                text: String::new(),
                written: as_linked(&raw, true),
                at: span.start,
                span,
                kind,
                section: section.clone(),
                bare: true,
            })
        });
    }

    /// Links the HTML scanner just found inside a footnote definition are footnotes.
    fn tag_footnote_links(&mut self) {
        if self.footnote_depth > 0 {
            for found in self.out.iter_mut().rev() {
                if found.kind != Kind::Html {
                    break;
                }
                found.kind = Kind::Footnote;
            }
        }
    }
}

/// The span of `dest` in `...](dest "title")`, scanning from the end of the link text.
fn inline_dest_span(source: &str, inner_end: usize) -> Option<Range<usize>> {
    let bytes = source.as_bytes();
    let mut i = inner_end;
    while i < bytes.len() && bytes[i] != b']' {
        i += 1;
    }
    if bytes.get(i + 1) != Some(&b'(') {
        return None;
    }
    i += 2;
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    raw_dest_span(source, i, source.len())
}

/// The span of a raw link destination starting at `start`: `<...>`, or up to whitespace
/// or an unbalanced `)`, honouring backslash escapes.
fn raw_dest_span(text: &str, start: usize, limit: usize) -> Option<Range<usize>> {
    let bytes = &text.as_bytes()[..limit.min(text.len())];
    if start >= bytes.len() {
        return Some(start..start);
    }
    if bytes[start] == b'<' {
        let mut i = start + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 1,
                b'>' => return Some(start + 1..i),
                b'\n' => break,
                _ => {}
            }
            i += 1;
        }
        return None;
    }
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        // Most bytes of a URL end nothing: skip them in one tight loop.
        i += bytes[i..]
            .iter()
            .position(|&b| DEST_SPECIAL[b as usize])
            .unwrap_or(bytes.len() - i);
        let Some(&b) = bytes.get(i) else { break };
        match b {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' if depth == 0 => break,
            b')' => depth -= 1,
            b if b.is_ascii_whitespace() || b.is_ascii_control() => break,
            _ => {}
        }
        i += 1;
    }
    Some(start..i.min(bytes.len()))
}

/// Bytes that end a raw destination or need a look: whitespace, controls, `\\`, `(`, `)`.
const DEST_SPECIAL: [bool; 256] = super::byte_set(b' ' + 1, b"\\()");

/// Calls `found` with each bare URL in `prose` (raw source text), by GitHub's extended
/// autolink rules: `http://`, `https://` or `www.` and a valid domain, up to whitespace or
/// `<`, less trailing punctuation, unbalanced closing parentheses and a trailing entity.
/// Each URL is handed over as it stands in the text, with its span.
pub(crate) fn bare_urls(prose: &str, offset: usize, mut found: impl FnMut(String, Range<usize>)) {
    let bytes = prose.as_bytes();
    let mut done = 0;
    for at in memchr::memchr2_iter(b':', b'w', bytes) {
        let Some(start) = autolink_start(bytes, at) else {
            continue;
        };
        if start < done {
            continue;
        }
        let Some(end) = autolink_end(prose, start, bytes[at] == b':') else {
            continue;
        };
        done = end;
        found(prose[start..end].to_string(), offset + start..offset + end);
    }
}

/// Where an autolink starts, if the `:` or `w` at `at` begins `https://`, `http://` or
/// `www.` at a place one may start: not inside a word, and a `www.` only at the start, after
/// whitespace or after `*`, `_`, `~` or `(`.
fn autolink_start(bytes: &[u8], at: usize) -> Option<usize> {
    let start = if bytes[at] == b':' {
        if !bytes[at..].starts_with(b"://") {
            return None;
        }
        let before = &bytes[..at];
        let scheme = if ends_with_ignore_case(before, b"https") {
            5
        } else if ends_with_ignore_case(before, b"http") {
            4
        } else {
            return None;
        };
        let start = at - scheme;
        if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
            return None;
        }
        start
    } else {
        if !bytes[at..].starts_with(b"www.") {
            return None;
        }
        let ok_before = at == 0
            || matches!(bytes[at - 1], b'*' | b'_' | b'~' | b'(')
            || bytes[at - 1].is_ascii_whitespace()
            || std::str::from_utf8(&bytes[..at])
                .ok()
                .and_then(|t| t.chars().next_back())
                .is_some_and(char::is_whitespace);
        if !ok_before {
            return None;
        }
        at
    };
    Some(start)
}

fn ends_with_ignore_case(bytes: &[u8], suffix: &[u8]) -> bool {
    bytes.len() >= suffix.len() && bytes[bytes.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// The end of the autolink starting at `start` (`scheme`: it has one), or none when its
/// domain is not valid.
fn autolink_end(text: &str, start: usize, scheme: bool) -> Option<usize> {
    let domain_start = if scheme {
        start + text[start..].find("://")? + 3
    } else {
        start
    };
    // A valid domain: letters, digits, `_` and `-` in segments separated by `.`.
    let domain_len = text[domain_start..]
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .map_or(text.len() - domain_start, |(i, _)| i);
    let domain = text[domain_start..domain_start + domain_len].trim_end_matches('.');
    let segments: Vec<&str> = domain.split('.').collect();
    let periods = segments.len() - 1;
    let underscore_at_end = segments.iter().rev().take(2).any(|s| s.contains('_'));
    // (A `www.` link's domain includes the `www.`, so it always has its period.)
    if domain.is_empty() || underscore_at_end || (!scheme && periods < 1) {
        return None;
    }
    // The path: anything but whitespace and `<`.
    let rest = &text[domain_start + domain_len..];
    let path_len = rest
        .char_indices()
        .find(|&(_, c)| c.is_whitespace() || c == '<')
        .map_or(rest.len(), |(i, _)| i);
    let mut end = domain_start + domain_len + path_len;
    // Trailing punctuation, entities and unbalanced parentheses are not part of it.
    let min_end = domain_start + domain.len();
    loop {
        let link = &text[start..end];
        let Some(last) = link.chars().next_back() else {
            break;
        };
        if end <= min_end {
            break;
        }
        match last {
            '?' | '!' | '.' | ',' | ':' | '*' | '_' | '~' | '\'' | '"' => end -= 1,
            ';' => {
                let body = &link[..link.len() - 1];
                let name_len = body
                    .bytes()
                    .rev()
                    .take_while(u8::is_ascii_alphanumeric)
                    .count();
                if name_len > 0 && body[..body.len() - name_len].ends_with('&') {
                    end -= name_len + 2;
                } else {
                    end -= 1;
                }
            }
            ')' => {
                let open = link.matches('(').count();
                let close = link.matches(')').count();
                if close > open {
                    end -= 1;
                } else {
                    break;
                }
            }
            _ => break,
        }
    }
    (end > min_end || (end == min_end && !domain.is_empty())).then_some(end)
}

/// A destination as a Markdown renderer links it: backslash escapes of punctuation and
/// the common character references undone (a raw bare URL keeps both as written), and a
/// backslash left literal written `%5C`, as cmark does (a browser would read it as `/`).
pub(crate) fn as_linked(raw: &str, unescape: bool) -> String {
    if !raw.contains(['\\', '&']) {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        let n = c.len_utf8();
        if unescape && c == '\\' {
            match rest[1..].chars().next() {
                Some(p) if p.is_ascii_punctuation() => {
                    out.push(p);
                    rest = &rest[2..];
                    continue;
                }
                _ => {}
            }
        }
        if c == '\\' {
            out.push_str("%5C");
            rest = &rest[1..];
            continue;
        }
        if unescape
            && c == '&'
            && let Some((ch, len)) = char_reference(rest)
        {
            out.push(ch);
            rest = &rest[len..];
            continue;
        }
        out.push(c);
        rest = &rest[n..];
    }
    out
}

/// The character a reference at the start of `text` stands for (`&amp;`, `&#38;`, `&#x26;`
/// and the few names URLs meet), with its length.
fn char_reference(text: &str) -> Option<(char, usize)> {
    let end = text.get(..12.min(text.len()))?.find(';')?;
    let body = &text[1..end];
    let ch = match body {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        _ => {
            let num = body.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code).filter(|&c| c != '\0')?
        }
    };
    Some((ch, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_destination_spans() {
        let t = "(a(b)c) x";
        assert_eq!(raw_dest_span(t, 1, t.len()), Some(1..6));
        let t = "<a b> x";
        assert_eq!(raw_dest_span(t, 0, t.len()), Some(1..4));
        let t = r"a\)b) x";
        assert_eq!(raw_dest_span(t, 0, t.len()), Some(0..4));
    }
}

#[cfg(test)]
mod syntax_tests {
    //! One row per syntax case: the Markdown, then every citation expected from it as
    //! (destination as written, line, column, text, kind). Positions come from
    //! `scan_text`, the same path the binary takes.

    use std::path::Path;

    use crate::link::Site;
    use crate::scan::{FileScan, ScanOptions, scan_text};
    use crate::source::{Format, Kind};

    type Row = (&'static str, u32, u32, &'static str, Kind);

    fn scan(md: &str) -> FileScan {
        let options = ScanOptions {
            site: Site::new(Some("https://pauseai.info"), &[]).unwrap(),
            keep_internal: false,
            digest: false,
            max_file_size: 0,
        };
        let mut scan = FileScan::default();
        scan_text(md, Format::Markdown, Path::new("t.md"), &options, &mut scan);
        scan
    }

    fn rows(md: &str) -> Vec<Row> {
        let scan = scan(md);
        scan.citations
            .iter()
            .map(|c| {
                let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
                (leak(&c.written), c.line, c.column, leak(&c.text), c.kind)
            })
            .collect()
    }

    #[test]
    fn every_syntax_case() {
        use Kind::*;
        let table: &[(&str, &[Row])] = &[
            (
                "See [the declaration](https://www.gov.uk/a \"Its title\") now.",
                &[("https://www.gov.uk/a", 1, 5, "the declaration", Inline)],
            ),
            (
                "The [Montreal Protocol](https://en.wikipedia.org/wiki/Montreal_Protocol_(1987)).",
                &[(
                    "https://en.wikipedia.org/wiki/Montreal_Protocol_(1987)",
                    1,
                    5,
                    "Montreal Protocol",
                    Inline,
                )],
            ),
            (
                "[spaced](<https://example.com/a b(c>)",
                &[("https://example.com/a b(c", 1, 1, "spaced", Inline)],
            ),
            (
                "[full][r1], [r2][], [R1] and [missing].\n\n[r1]: https://example.com/one\n[r2]:\n  <https://example.com/two> 'T'\n",
                &[
                    ("https://example.com/one", 1, 1, "full", Reference),
                    ("https://example.com/two", 1, 13, "r2", Reference),
                    ("https://example.com/one", 1, 21, "R1", Reference),
                ],
            ),
            (
                "Autolink <https://example.com/auto> here.",
                &[(
                    "https://example.com/auto",
                    1,
                    10,
                    "https://example.com/auto",
                    Autolink,
                )],
            ),
            (
                "Read https://example.com/a. Or _https://example.com/b_ and **https://example.com/c**\n(see https://example.com/d) or www.example.com/e, then https://en.wikipedia.org/wiki/Foo_(bar)!",
                &[
                    ("https://example.com/a", 1, 6, "", Bare),
                    ("https://example.com/b", 1, 33, "", Bare),
                    ("https://example.com/c", 1, 62, "", Bare),
                    ("https://example.com/d", 2, 6, "", Bare),
                    ("www.example.com/e", 2, 32, "", Bare),
                    ("https://en.wikipedia.org/wiki/Foo_(bar)", 2, 56, "", Bare),
                ],
            ),
            (
                "Claim.[^1]\n\n[^1]: [Source](https://example.com/f), see https://example.com/g\n",
                &[
                    ("https://example.com/f", 3, 7, "Source", Footnote),
                    ("https://example.com/g", 3, 44, "", Footnote),
                ],
            ),
            (
                "![A chart](https://example.com/i.png)\n[![badge](https://img.example/b.svg)](https://example.com/page)",
                &[
                    ("https://example.com/i.png", 1, 1, "A chart", Image),
                    ("https://img.example/b.svg", 2, 2, "badge", Image),
                    ("https://example.com/page", 2, 1, "badge", Inline),
                ],
            ),
            (
                "Inline <a href=\"https://example.com/h?a=1&amp;b=2\">raw <b>text</b></a> html.\n\n<iframe\n  src=\"https://www.youtube.com/embed/x\" title=\"Talk\"></iframe>\n\n<blockquote cite=\"https://example.com/q\">Q</blockquote>\n\n<img src=\"https://example.com/r.png\" alt=\"R\">\n",
                &[
                    ("https://example.com/h?a=1&b=2", 1, 8, "raw text", Html),
                    ("https://www.youtube.com/embed/x", 3, 1, "Talk", Html),
                    ("https://example.com/q", 6, 1, "", Cite),
                    ("https://example.com/r.png", 8, 1, "R", Image),
                ],
            ),
            (
                "`https://example.com/code` and\n\n```\n[x](https://example.com/fenced)\n```\n\n    https://example.com/indented\n\n<!-- [x](https://example.com/comment) -->\n\ntext <!-- https://example.com/c2\n[y](https://example.com/c3) --> end",
                &[],
            ),
            ("---\nsource: https://example.com/yaml\n---\n# T\n", &[]),
            (
                "+++\nsource = \"https://example.com/toml\"\n+++\n[x](https://example.com/after)\n",
                &[("https://example.com/after", 4, 1, "x", Inline)],
            ),
            (
                "Één [ü](https://example.com/u) — [v](https://example.com/v)",
                &[
                    ("https://example.com/u", 1, 5, "ü", Inline),
                    ("https://example.com/v", 1, 34, "v", Inline),
                ],
            ),
            (
                "| a | b |\n|---|---|\n| [cell](https://example.com/t) | https://example.com/t2 |\n",
                &[
                    ("https://example.com/t", 3, 3, "cell", Inline),
                    ("https://example.com/t2", 3, 35, "", Bare),
                ],
            ),
            (
                "[two\nlines](https://example.com/m) and [mail](mailto:a@b.c) and [home](https://pauseai.info/)",
                &[("https://example.com/m", 1, 1, "two lines", Inline)],
            ),
        ];
        for (md, expected) in table {
            pretty_assertions::assert_eq!(rows(md), expected.to_vec(), "in:\n{md}");
        }
    }

    #[test]
    fn spans_cover_the_destination_as_written() {
        let md = "[a](https://e.com/x \"t\") [b][r] <https://e.com/z> [c](<https://e.com/w w>)\n\n[r]: https://e.com/y\n";
        let scan = scan(md);
        let written: Vec<_> = scan
            .citations
            .iter()
            .map(|c| &md[c.span.start..c.span.end])
            .collect();
        assert_eq!(
            written,
            [
                "https://e.com/x",
                "https://e.com/y",
                "https://e.com/z",
                "https://e.com/w w"
            ]
        );
    }

    #[test]
    fn sections_follow_headings_and_their_ids() {
        let md = "[a](https://e.com/1)\n\n## Eerdere toppen {#past-summits-1}\n\n[b](https://e.com/2)\n\n### 2023 UK *AI* Summit\n\n<a href=\"https://e.com/3\">c</a>\n";
        let scan = scan(md);
        let sections: Vec<_> = scan
            .citations
            .iter()
            .map(|c| c.section.as_ref().map(|s| (s.text.as_str(), s.id.as_str())))
            .collect();
        assert_eq!(
            sections,
            [
                None,
                Some(("Eerdere toppen", "past-summits-1")),
                Some(("2023 UK AI Summit", "2023-uk-ai-summit")),
            ]
        );
    }

    /// GitHub's extended autolinks, case by case from the GFM spec's rules (our own
    /// examples): what is linked, and what the link is.
    #[test]
    fn gfm_autolink_rules() {
        let table: &[(&str, &[&str])] = &[
            // Emphasis markers inside a URL are part of it (found before emphasis).
            (
                "See https://github.com/python/cpython/blob/main/Lib/json/__init__.py here.",
                &["https://github.com/python/cpython/blob/main/Lib/json/__init__.py"],
            ),
            (
                "Query https://a.example/s?q=*foo*&x=1 now",
                &["https://a.example/s?q=*foo*&x=1"],
            ),
            (
                "Strike https://a.example/x~~y~~z end",
                &["https://a.example/x~~y~~z"],
            ),
            (
                "_https://a.example/em_ and **https://a.example/st**.",
                &["https://a.example/em", "https://a.example/st"],
            ),
            // `www.` links need a domain with a period; the scheme is added when judged.
            (
                "Visit www.commonmark.org/help for more.",
                &["www.commonmark.org/help"],
            ),
            ("Visit www.commonmark.org.", &["www.commonmark.org"]),
            ("(www.a.example/x)", &["www.a.example/x"]),
            ("Not a link: xwww.a.example or www. alone", &[]),
            // Trailing punctuation is not part of the link; inner punctuation is.
            (
                "At https://a.example/a.b?c=d!,:;",
                &["https://a.example/a.b?c=d"],
            ),
            // Parentheses: only unbalanced trailing ones are dropped.
            (
                "(https://a.example/wiki/Foo_(bar))",
                &["https://a.example/wiki/Foo_(bar)"],
            ),
            (
                "x https://a.example/s?q=(business))+ok y",
                &["https://a.example/s?q=(business))+ok"],
            ),
            ("(see https://a.example/x))", &["https://a.example/x"]),
            // A trailing entity is not part of it; one inside is decoded.
            (
                "https://a.example/path&amp; next",
                &["https://a.example/path"],
            ),
            (
                "https://a.example/p?a=1&amp;b=2 next",
                &["https://a.example/p?a=1&b=2"],
            ),
            ("https://a.example/p&hl; next", &["https://a.example/p"]),
            // Escaped parentheses stay in the URL, unescaped as rendered.
            (
                "Docs https://msdn.example/library/ms535874\\(v=vs.85\\).aspx ok",
                &["https://msdn.example/library/ms535874(v=vs.85).aspx"],
            ),
            // Underscores are not allowed in the last two segments of the domain.
            (
                "www.a_b.example.com/x and www.a.b_c.com/y",
                &["www.a_b.example.com/x"],
            ),
            // Non-ASCII domains and top-level domains.
            (
                "Zie https://例え.テスト/ページ of https://bücher.example/x",
                &["https://例え.テスト/ページ", "https://bücher.example/x"],
            ),
            // `<` ends a link.
            ("https://a.example/x<b>", &["https://a.example/x"]),
            // Not inside a word.
            ("foohttps://a.example/x", &[]),
        ];
        for (md, expected) in table {
            let got: Vec<String> = rows(md).iter().map(|r| r.0.to_string()).collect();
            pretty_assertions::assert_eq!(got, expected.to_vec(), "in:\n{md}");
        }
        // A `www.` link is checked as http://, as GitHub links it.
        let scan = scan("Visit www.commonmark.org/help.");
        assert_eq!(scan.citations[0].url, "http://www.commonmark.org/help");
        assert!(scan.citations[0].invalid.is_none());
    }

    #[test]
    fn backslash_in_a_destination_is_literal() {
        let scan = scan("<https://a.example/c\\d> [x](https://a.example/e\\f)");
        let urls: Vec<_> = scan.citations.iter().map(|c| c.url.as_str()).collect();
        assert_eq!(urls, ["https://a.example/c%5Cd", "https://a.example/e%5Cf"]);
    }

    #[test]
    fn link_inside_an_image_description_is_alt_text() {
        let rows = rows("![see [the source](https://a.example/s) here](https://a.example/i.png)");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].0, "https://a.example/i.png");
    }

    #[test]
    fn byte_order_mark_does_not_shift_columns() {
        assert_eq!(
            rows("\u{feff}[a](https://a.example/x)"),
            [("https://a.example/x", 1, 1, "a", Kind::Inline)]
        );
        assert_eq!(
            rows("one\rtwo [a](https://a.example/x)")[0].1,
            2,
            "a lone CR ends a line"
        );
    }

    #[test]
    fn mdx_components_comments_and_module_lines() {
        let mdx = "import Card from './Card'\nexport const meta = {\n  source: 'https://a.example/meta',\n}\n\n\
                   # Title\n\n{/* https://a.example/comment */}\n\n<Card href=\"https://a.example/card\" title=\"A card\" />\n\n\
                   Text [link](https://a.example/link).\n";
        let mut scan = FileScan::default();
        let options = ScanOptions {
            site: Site::new(Some("https://pauseai.info"), &[]).unwrap(),
            keep_internal: false,
            digest: false,
            max_file_size: 0,
        };
        scan_text(mdx, Format::Mdx, Path::new("t.mdx"), &options, &mut scan);
        let got: Vec<_> = scan
            .citations
            .iter()
            .map(|c| (c.url.as_str(), c.line, c.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("https://a.example/card", 10, "A card"),
                ("https://a.example/link", 12, "link")
            ]
        );
    }

    #[test]
    fn internal_and_ignored_links_are_counted_not_listed() {
        let scan = scan(
            "[a](/risks) [b](../x.md) [c](https://pauseai.info/y) [d](mailto:x@y.z) [e](tel:+1)",
        );
        assert!(scan.citations.is_empty());
        assert_eq!((scan.internal, scan.ignored), (3, 2));
    }

    #[test]
    fn malformed_urls_are_kept_as_invalid() {
        let scan =
            scan("[a](<https://exa mple.com>) [b](htps://example.com/x) [c](www.example.com/y)");
        let invalid: Vec<_> = scan
            .citations
            .iter()
            .map(|c| (c.written.as_str(), c.invalid.is_some()))
            .collect();
        assert_eq!(
            invalid,
            [
                ("https://exa mple.com", true),
                ("htps://example.com/x", true),
                ("www.example.com/y", true)
            ]
        );
    }
}
