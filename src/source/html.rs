//! Links in HTML: `a`/`area[href]`, `iframe[src]`, `blockquote`/`q`/`del`/`ins[cite]`, and in
//! raw HTML inside Markdown also `img[src]`.
//!
//! Built on html5gum's WHATWG tokenizer with byte spans, so every attribute value has an
//! exact place, entities are decoded as browsers decode them, comments are skipped, and
//! `<script>`/`<style>` contents are not mistaken for markup. A tokenizer (not a tree
//! builder) is enough: citations need positions, not a DOM.

use std::sync::Arc;

use html5gum::{DefaultEmitter, HtmlString, Span, State, Token, Tokenizer};

use super::{Found, Kind, Section, collapse_whitespace, slug};

/// Which elements count: HTML files list them as the issue says; raw HTML in Markdown adds `img`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A whole HTML document.
    File,
    /// Fragments of raw HTML inside a Markdown file.
    Markdown,
    /// Fragments of raw HTML and JSX inside an MDX file: a component's `href` is a link.
    Mdx,
}

/// Links extracted from an HTML document, and its `<base href>` if it has one.
#[derive(Debug, Default)]
pub struct Extracted {
    /// The links in document order.
    pub links: Vec<Found>,
    /// The first `<base href>` as written, which relative links resolve against.
    pub base: Option<String>,
    /// The first `<link rel=canonical href>` as written: the page's own preferred address.
    pub canonical: Option<String>,
}

/// Extracts the links of a whole HTML document.
pub fn extract_document(text: &str) -> Extracted {
    let mut scanner = Scanner::new(Mode::File);
    let mut links = Vec::new();
    scanner.feed(&crate::page::tokenizable(text), 0, &mut links);
    scanner.finish(&mut links);
    Extracted {
        links,
        base: scanner.base,
        canonical: scanner.canonical,
    }
}

/// Extracts the links of a whole HTML document (without its base; see [`extract_document`]).
pub fn extract(text: &str) -> Vec<Found> {
    extract_document(text).links
}

/// Tokenizes HTML fragment by fragment, keeping open anchors and headings across fragments
/// (Markdown hands over `<a href=...>`, its text and `</a>` as separate pieces).
pub(crate) struct Scanner {
    mode: Mode,
    /// The heading the next link sits under.
    pub section: Option<Arc<Section>>,
    /// An `<a>` whose text is still being collected.
    anchor: Option<Found>,
    /// A heading being read: its text so far and its `id` attribute.
    heading: Option<(String, Option<String>)>,
    base: Option<String>,
    canonical: Option<String>,
    /// Open `<svg>` and `<math>` elements: foreign content, where text elements are not.
    foreign: u32,
}

impl Scanner {
    pub(crate) fn new(mode: Mode) -> Self {
        Scanner {
            mode,
            section: None,
            anchor: None,
            heading: None,
            base: None,
            canonical: None,
            foreign: 0,
        }
    }

    /// Whether an `<a>` is open, so that text belongs to it.
    pub(crate) fn in_anchor(&self) -> bool {
        self.anchor.is_some()
    }

    /// Adds text that sits inside an open `<a>` (from Markdown between raw tags).
    pub(crate) fn push_text(&mut self, text: &str) {
        if let Some(anchor) = &mut self.anchor {
            anchor.text.push_str(text);
        }
    }

    /// Tokenizes `src`, which starts at byte `offset` of the file, appending links to `out`.
    pub(crate) fn feed(&mut self, src: &str, offset: usize, out: &mut Vec<Found>) {
        let blanked = blank_foreign_cdata(src);
        let src: &str = &blanked;
        let mut tokenizer =
            Tokenizer::new_with_emitter(src, DefaultEmitter::<usize>::new_with_span());
        while let Some(Ok(token)) = tokenizer.next() {
            match token {
                Token::StartTag(tag) => {
                    // Text-only elements switch the tokenizer as a browser's tree builder
                    // would: never inside SVG or MathML, where `<title>` is an element.
                    if let Some(state) = self.text_state(&tag.name, tag.self_closing) {
                        tokenizer.set_state(state);
                    }
                    self.start_tag(src, tag, offset, out)
                }
                Token::EndTag(tag) => {
                    if matches!(tag.name.as_slice(), b"svg" | b"math") {
                        self.foreign = self.foreign.saturating_sub(1);
                    }
                    self.end_tag(&tag.name, out)
                }
                Token::String(s) => {
                    let s = lossy(&s.value);
                    if let Some(anchor) = &mut self.anchor {
                        anchor.text.push_str(&s);
                    }
                    if let Some((heading, _)) = &mut self.heading {
                        heading.push_str(&s);
                    }
                }
                _ => {}
            }
        }
    }

    /// The tokenizer state after start tag `name`: raw text for `<style>`, `<noframes>`
    /// and the like, escapable text for `<title>` and `<textarea>`, script data for
    /// `<script>`; none inside SVG and MathML (whose depth it keeps).
    fn text_state(&mut self, name: &HtmlString, self_closing: bool) -> Option<State> {
        let name = name.as_slice();
        if matches!(name, b"svg" | b"math") && !self_closing {
            self.foreign += 1;
        }
        if self.foreign > 0 || self_closing {
            return None;
        }
        match name {
            b"title" | b"textarea" => Some(State::RcData),
            b"script" => Some(State::ScriptData),
            b"style" | b"xmp" | b"iframe" | b"noembed" | b"noframes" | b"noscript" => {
                Some(State::RawText)
            }
            b"plaintext" => Some(State::PlainText),
            _ => None,
        }
    }

    /// Emits an anchor left open at the end of the document.
    pub(crate) fn finish(&mut self, out: &mut Vec<Found>) {
        self.close_anchor(out);
    }

    fn start_tag(
        &mut self,
        src: &str,
        tag: html5gum::StartTag<usize>,
        offset: usize,
        out: &mut Vec<Found>,
    ) {
        let name = tag.name.as_slice();
        let at = tag.span.start + offset;
        let attr = |key: &str| tag.attributes.get(key.as_bytes());
        let text_of = |key: &str| {
            attr(key)
                .map(|v| collapse_whitespace(lossy(v).into_owned()))
                .unwrap_or_default()
        };
        let section = self.section.clone();
        let found = |value: &html5gum::Spanned<HtmlString, usize>, kind, text| Found {
            written: lossy(value).trim().to_string(),
            at,
            span: value_span(src, value.span, offset),
            text,
            kind,
            section: section.clone(),
            bare: false,
        };
        match name {
            b"a" => {
                self.close_anchor(out);
                // SVG links name their target in `xlink:href` (SVG 1.1) or `href`.
                if let Some(href) = attr("href").or_else(|| attr("xlink:href")) {
                    let link = found(href, Kind::Html, String::new());
                    if tag.self_closing {
                        out.push(link);
                    } else {
                        self.anchor = Some(link);
                    }
                }
            }
            b"area" => {
                if let Some(href) = attr("href") {
                    out.push(found(href, Kind::Html, text_of("alt")));
                }
            }
            b"iframe" => {
                if let Some(src) = attr("src") {
                    out.push(found(src, Kind::Html, text_of("title")));
                }
            }
            _ if self.mode == Mode::Mdx && is_component(src, tag.span.start) => {
                if let Some(href) = attr("href") {
                    out.push(found(href, Kind::Html, text_of("title")));
                }
            }
            b"img" => {
                let alt = text_of("alt");
                if let (Mode::Markdown | Mode::Mdx, Some(src)) = (self.mode, attr("src")) {
                    out.push(found(src, Kind::Image, alt.clone()));
                }
                // An image is an anchor's text when it has no other.
                if let Some(anchor) = &mut self.anchor {
                    anchor.text.push_str(&alt);
                }
            }
            b"blockquote" | b"q" | b"del" | b"ins" => {
                if let Some(cite) = attr("cite") {
                    out.push(found(cite, Kind::Cite, String::new()));
                }
            }
            b"base" if self.base.is_none() => {
                self.base = attr("href").map(|v| lossy(v).trim().to_string());
            }
            b"link" if self.canonical.is_none() => {
                let canonical = attr("rel").is_some_and(|rel| {
                    lossy(rel)
                        .split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("canonical"))
                });
                if canonical {
                    self.canonical = attr("href").map(|v| lossy(v).trim().to_string());
                }
            }
            b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" => {
                let id = attr("id").map(|v| lossy(v).trim().to_string());
                self.heading = Some((String::new(), id));
            }
            _ => {}
        }
    }

    fn end_tag(&mut self, name: &HtmlString, out: &mut Vec<Found>) {
        match name.as_slice() {
            b"a" => self.close_anchor(out),
            b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" => {
                if let Some((text, id)) = self.heading.take() {
                    let text = collapse_whitespace(text);
                    let id = id.filter(|i| !i.is_empty()).unwrap_or_else(|| slug(&text));
                    self.section = Some(Arc::new(Section { text, id }));
                }
            }
            _ => {}
        }
    }

    fn close_anchor(&mut self, out: &mut Vec<Found>) {
        if let Some(mut anchor) = self.anchor.take() {
            anchor.text = collapse_whitespace(std::mem::take(&mut anchor.text));
            out.push(anchor);
        }
    }
}

/// Whether the tag starting at byte `at` of `src` is a JSX component (`<Card`, `<ui.Card`):
/// its name starts with a capital letter, where HTML's are lower case.
fn is_component(src: &str, at: usize) -> bool {
    src.as_bytes()
        .get(at + 1)
        .is_some_and(u8::is_ascii_uppercase)
}

/// `src` with the CDATA sections inside `<svg>` and `<math>` turned to spaces (byte for
/// byte, so offsets stay true): there they are text, which a tokenizer without a tree
/// builder would read as markup after their first `>`.
fn blank_foreign_cdata(src: &str) -> std::borrow::Cow<'_, str> {
    if !src.contains("<![CDATA[") {
        return std::borrow::Cow::Borrowed(src);
    }
    let lower = src.to_ascii_lowercase();
    let mut bytes = src.as_bytes().to_vec();
    let mut at = 0;
    while let Some(open) = lower[at..].find("<![cdata[").map(|i| at + i) {
        let end = lower[open..]
            .find("]]>")
            .map_or(src.len(), |i| open + i + 3);
        // Inside foreign content when an `<svg`/`<math` opened before it and did not close.
        let before = &lower[..open];
        let opened = before.rfind("<svg").max(before.rfind("<math"));
        let closed = before.rfind("</svg").max(before.rfind("</math"));
        if opened.is_some() && opened > closed {
            for b in &mut bytes[open..end] {
                if *b != b'\n' {
                    *b = b' ';
                }
            }
        }
        at = end;
    }
    // Only ASCII bytes were written over whole sections, so the text is still UTF-8.
    std::borrow::Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|_| src.to_string()))
}

/// The span of an attribute's value in the file, from the span of the whole attribute
/// (`name = "value"`), without the quotes.
fn value_span(src: &str, attr: Span<usize>, offset: usize) -> std::ops::Range<usize> {
    let bytes = &src.as_bytes()[attr.start.min(src.len())..attr.end.min(src.len())];
    let Some(eq) = bytes.iter().position(|&b| b == b'=') else {
        return attr.end + offset..attr.end + offset;
    };
    let mut start = eq + 1;
    while bytes.get(start).is_some_and(u8::is_ascii_whitespace) {
        start += 1;
    }
    let end = if let Some(&quote @ (b'"' | b'\'')) = bytes.get(start) {
        start += 1;
        start
            + bytes[start..]
                .iter()
                .position(|&b| b == quote)
                .unwrap_or(bytes.len() - start)
    } else {
        // Unquoted: up to whitespace or the tag's end (html5gum's span may include the `>`).
        start
            + bytes[start..]
                .iter()
                .position(|&b| b.is_ascii_whitespace() || b == b'>')
                .unwrap_or(bytes.len() - start)
    };
    let base = attr.start + offset;
    base + start..base + end
}

fn lossy(s: &HtmlString) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(s.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(html: &str) -> Vec<(String, usize, String, Kind)> {
        extract(html)
            .into_iter()
            .map(|f| (f.written, f.at, f.text, f.kind))
            .collect()
    }

    fn urls(html: &str) -> Vec<String> {
        extract(html).into_iter().map(|f| f.written).collect()
    }

    /// An unclosed `<title>` inside SVG is an element there, not text up to `</title>`.
    #[test]
    fn svg_title_does_not_swallow_later_links() {
        let html = "<svg><title>Chart<rect/></svg><p><a href=\"https://a.example/x\">x</a>";
        assert_eq!(urls(html), ["https://a.example/x"]);
        // Outside SVG a `<title>` is text up to its end tag, as browsers read it.
        let html =
            "<title><a href=\"https://no.example\"></title><a href=\"https://b.example/y\">y</a>";
        assert_eq!(urls(html), ["https://b.example/y"]);
    }

    #[test]
    fn noframes_is_text_and_svg_links_count() {
        let html = "<noframes><a href=\"https://no.example/frames\">f</a></noframes>\
                    <svg><a xlink:href=\"https://a.example/x\"><text>x</text></a>\
                    <a href=\"https://a.example/y\">y</a></svg>";
        assert_eq!(urls(html), ["https://a.example/x", "https://a.example/y"]);
    }

    #[test]
    fn cdata_inside_svg_is_text() {
        let html = "<svg><![CDATA[ x > 1 <a href=\"https://no.example/cdata\">n</a> ]]></svg>\
                    <a href=\"https://a.example/z\">z</a>";
        let found = extract(html);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].written, "https://a.example/z");
        assert_eq!(
            found[0].at,
            html.find("<a href=\"https://a.example/z").unwrap()
        );
    }

    #[test]
    fn attribute_value_span_excludes_quotes() {
        let html = r#"<p><a href="https://a.example/x">A</a> <a href=https://b.example>B</a>"#;
        let found = extract(html);
        assert_eq!(&html[found[0].span.clone()], "https://a.example/x");
        assert_eq!(&html[found[1].span.clone()], "https://b.example");
    }

    #[test]
    fn elements_and_text() {
        let html = "<h2 id=\"s\">Sources</h2>\n<a href=\" https://a.example/?x=1&amp;y=2 \">The <b>A</b>\n page</a>\
            <area href=\"https://b.example\" alt=\"map\"><iframe src=\"//c.example/embed\" title=\"Video\"></iframe>\
            <blockquote cite=\"https://d.example/q\">quoted</blockquote><img src=\"https://e.example/i.png\">\
            <!-- <a href=\"https://hidden.example\">x</a> --><script>var a = '<a href=\"https://js.example\">';</script>";
        let at = |needle: &str| html.find(needle).unwrap();
        assert_eq!(
            links(html),
            vec![
                (
                    "https://a.example/?x=1&y=2".into(),
                    at("<a "),
                    "The A page".into(),
                    Kind::Html
                ),
                (
                    "https://b.example".into(),
                    at("<area"),
                    "map".into(),
                    Kind::Html
                ),
                (
                    "//c.example/embed".into(),
                    at("<iframe"),
                    "Video".into(),
                    Kind::Html
                ),
                (
                    "https://d.example/q".into(),
                    at("<blockquote"),
                    "".into(),
                    Kind::Cite
                ),
            ]
        );
        // The span is the value as written, entities and padding included.
        let found = extract(html);
        assert_eq!(
            &html[found[0].span.clone()],
            " https://a.example/?x=1&amp;y=2 "
        );
        assert_eq!(found[0].section.as_ref().unwrap().id, "s");
        assert_eq!(found[0].section.as_ref().unwrap().text, "Sources");
    }

    #[test]
    fn base_href_is_reported() {
        let doc = extract_document("<base href='https://example.org/docs/'><a href='x'>x</a>");
        assert_eq!(doc.base.as_deref(), Some("https://example.org/docs/"));
        assert_eq!(doc.links[0].written, "x");
    }
}
