//! Where citations come from: source files (Markdown, HTML, URL lists) turned into
//! [`Found`] links with their exact place, before they are judged by [`crate::link`].
//!
//! Each extractor is a pure function of the file's text, so files can be scanned on all
//! cores and tested one syntax case at a time.

pub mod html;
pub mod markdown;
pub mod span;
pub mod text;
pub mod walk;

use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

/// The syntax a citation was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Markdown `[text](url)`.
    Inline,
    /// Markdown `[text][ref]`, `[ref][]` or `[ref]` resolved to its definition.
    Reference,
    /// Markdown `<https://...>`.
    Autolink,
    /// A URL in prose (GitHub's autolink rules) or in a plain-text URL list.
    Bare,
    /// An HTML element: `a`, `area`, `iframe` (in HTML files or raw HTML in Markdown).
    Html,
    /// An image: Markdown `![alt](url)` or raw `<img src>`.
    Image,
    /// A `cite` attribute of `blockquote`, `q`, `del` or `ins`.
    Cite,
    /// A link inside a Markdown footnote definition.
    Footnote,
}

impl Kind {
    /// The lower-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Inline => "inline",
            Kind::Reference => "reference",
            Kind::Autolink => "autolink",
            Kind::Bare => "bare",
            Kind::Html => "html",
            Kind::Image => "image",
            Kind::Cite => "cite",
            Kind::Footnote => "footnote",
        }
    }
}

/// The heading a citation sits under: its text and its anchor id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Section {
    /// The heading's text, inline markup removed.
    pub text: String,
    /// The explicit id (`{#id}`, `id="..."`) or, failing that, a GitHub-style slug.
    pub id: String,
}

/// A link as an extractor found it, before it is resolved and judged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The destination as written, with escapes and entities decoded.
    pub written: String,
    /// Byte offset where the citation starts (`[`, `<`, or the URL's first character).
    pub at: usize,
    /// Byte range of the destination in the file (for rewriting it).
    pub span: Range<usize>,
    /// The link text (or alt text, or title), whitespace collapsed.
    pub text: String,
    /// The syntax it was written in.
    pub kind: Kind,
    /// The nearest heading above it (shared by every link under it).
    pub section: Option<Arc<Section>>,
    /// Found as a bare URL in prose or a URL list: a `www.` one is given `http://`, as
    /// GitHub does.
    pub bare: bool,
}

/// The format of a source file, chosen by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// `.md`, `.markdown`, `.svx`.
    Markdown,
    /// `.mdx`: Markdown with JSX components, `{/* */}` comments and `import`/`export` lines.
    Mdx,
    /// `.html`, `.htm`.
    Html,
    /// `.txt` (and files named explicitly with another extension): one URL a line.
    Text,
}

impl Format {
    /// The format for a path's extension, or `None` for files a folder walk skips.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "md" | "markdown" | "svx" => Some(Format::Markdown),
            "mdx" => Some(Format::Mdx),
            "html" | "htm" => Some(Format::Html),
            "txt" => Some(Format::Text),
            _ => None,
        }
    }
}

/// Extracts every link of a file's text in the given format.
pub fn extract(format: Format, text: &str) -> Vec<Found> {
    match format {
        Format::Markdown => markdown::extract(text),
        Format::Mdx => markdown::extract_mdx(text),
        Format::Html => html::extract(text),
        Format::Text => text::extract(text),
    }
}

/// A byte table for scanning loops: true for the ASCII controls (with DEL), for every byte
/// below `below` too, and for each of `extra`.
pub(crate) const fn byte_set(below: u8, extra: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 || b < below as usize {
        table[b] = true;
        b += 1;
    }
    table[0x7f] = true;
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
}

pub use crate::page::collapse_whitespace;

/// A GitHub-style anchor slug for a heading's text.
pub(crate) fn slug(text: &str) -> String {
    let text = text.trim();
    if text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b' ')
    {
        return text
            .bytes()
            .map(|b| {
                if b == b' ' {
                    '-'
                } else {
                    b.to_ascii_lowercase() as char
                }
            })
            .collect();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            match c {
                'A'..='Z' => out.push(c.to_ascii_lowercase()),
                'a'..='z' | '0'..='9' | '_' | '-' => out.push(c),
                ' ' => out.push('-'),
                _ => {}
            }
        } else if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_collapses_like_rendered_html() {
        for (text, want) in [
            ("", ""),
            ("a b", "a b"),
            (" a", "a"),
            ("a ", "a"),
            ("a  b", "a b"),
            ("a\nb", "a b"),
            ("a \t\n b", "a b"),
            ("  ", ""),
            ("é\u{a0}b", "é\u{a0}b"),
        ] {
            assert_eq!(collapse_whitespace(text.to_string()), want, "{text:?}");
        }
    }

    #[test]
    fn heading_slugs_as_github_makes_them() {
        for (text, want) in [
            ("Past summits", "past-summits"),
            ("  Eerdere toppen ", "eerdere-toppen"),
            ("What's next?", "whats-next"),
            ("C++ & Rust_2", "c--rust_2"),
            ("Программирование на Python", "программирование-на-python"),
            ("Über uns: Ärger", "über-uns-ärger"),
        ] {
            assert_eq!(slug(text), want, "{text:?}");
        }
    }

    proptest::proptest! {
        /// No input makes an extractor panic, and every place it reports lies inside the text
        /// on character boundaries (so line:column and `fix` can use it).
        #[test]
        fn extractors_survive_any_text(
            text in "([\\[\\]()<>!*_`#:/.\\n -]|https?://|www\\.|<a href=|\\]\\(|\\[\\^1\\]|é|x)*",
        ) {
            for format in [Format::Markdown, Format::Html, Format::Text] {
                for f in extract(format, &text) {
                    proptest::prop_assert!(f.at <= text.len() && text.is_char_boundary(f.at));
                    proptest::prop_assert!(f.span.start <= f.span.end && f.span.end <= text.len());
                    proptest::prop_assert!(text.is_char_boundary(f.span.start) && text.is_char_boundary(f.span.end));
                }
            }
        }
    }
}
