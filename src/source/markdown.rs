//! Links in Markdown: CommonMark with GitHub's extensions, plus raw HTML and bare URLs.
//!
//! pulldown-cmark parses (with byte offsets for every event), so links, reference
//! definitions, code spans, code blocks, front matter and heading ids follow the spec.
//! What it leaves to us: bare URLs in prose (GitHub's extended autolinks, found with
//! linkify in merged runs of text), the exact span of a destination inside `[text](dest)`
//! (scanned from the raw source), and raw HTML (handed to the HTML scanner).

use std::ops::Range;
use std::sync::Arc;

use linkify::{LinkFinder, LinkKind};
use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

use super::html::{Mode, Scanner};
use super::{Found, Kind, Section, collapse_whitespace, slug};

/// Extracts every link of a Markdown document, in document order.
pub fn extract(text: &str) -> Vec<Found> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS
        | Options::ENABLE_GFM;
    let parser = Parser::new_ext(text, options).into_offset_iter();
    let defs = parser
        .reference_definitions()
        .iter()
        .map(|(label, def)| (label.to_string(), def.span.clone()))
        .collect();
    let mut walker = Walker {
        text,
        defs,
        out: Vec::new(),
        html: Scanner::new(Mode::Markdown),
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
    defs: Vec<(String, Range<usize>)>,
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
        if !matches!(event, Event::Text(_)) {
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
            match &mut self.prose {
                Some(run) if run.end == range.start => run.end = range.end,
                _ => {
                    self.flush_prose();
                    self.prose = Some(range);
                }
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
        let span = span.unwrap_or(capture.range.clone());
        let kind = if self.footnote_depth > 0 {
            Kind::Footnote
        } else {
            kind
        };
        self.out.push(Found {
            written: capture.dest,
            at: capture.range.start,
            span,
            text: collapse_whitespace(capture.text),
            kind,
            section: self.html.section.clone(),
        });
    }

    /// The destination's span in a reference definition (`[label]: dest "title"`).
    fn definition_dest_span(&self, label: &str) -> Option<Range<usize>> {
        let key = unicase::UniCase::new(label);
        let (_, def) = self
            .defs
            .iter()
            .find(|(l, _)| unicase::UniCase::new(l.as_str()) == key)?;
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
        bare_urls(&self.text[run.clone()], run.start, |written, span| {
            out.push(Found {
                text: String::new(),
                written,
                at: span.start,
                span,
                kind,
                section: section.clone(),
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

/// Calls `found` with each bare URL in `prose` (GitHub's extended autolinks: `http://`,
/// `https://` and `www.`), trailing punctuation and emphasis markers removed.
pub(crate) fn bare_urls(prose: &str, offset: usize, mut found: impl FnMut(String, Range<usize>)) {
    // Most prose has neither `://` nor `www.`: one pass over its colons and w's says so.
    let bytes = prose.as_bytes();
    let has_candidate = memchr::memchr2_iter(b':', b'w', bytes)
        .any(|i| bytes[i..].starts_with(b"://") || bytes[i..].starts_with(b"www."));
    if !has_candidate {
        return;
    }
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]).url_must_have_scheme(false);
    for link in finder.links(prose) {
        let s = link.as_str();
        let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
        if !(lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www."))
        {
            continue;
        }
        let trimmed = s.trim_end_matches(['*', '_', '~', '.', ',', ':', ';', '!', '?', '\'', '"']);
        if trimmed.is_empty() {
            continue;
        }
        let start = offset + link.start();
        found(trimmed.to_string(), start..start + trimmed.len());
    }
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
