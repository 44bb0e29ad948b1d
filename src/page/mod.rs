//! What is known about a fetched page: its text made fit to tokenize, its title and
//! visible text ([`Page`], what checks judge by), its main text, similarity hash and
//! shingles ([`text`], what the archive keeps and drift compares), and the requisites it
//! needs to be shown ([`requisites`]). Used by check, archive, serve and drift alike, so a
//! page is read one way everywhere.

pub mod requisites;
pub mod text;

use std::sync::OnceLock;

use html5gum::{Token, Tokenizer};

/// `html` as text for the tokenizer: control characters (NUL and the like, never content)
/// become spaces, byte for byte, so offsets stay true. A run of millions of them, as a gzip
/// bomb of zeros inflates to, would otherwise cost the tokenizer hundreds of megabytes.
pub fn tokenizable(html: &str) -> std::borrow::Cow<'_, str> {
    let bad = |b: u8| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c);
    if !html.bytes().any(bad) {
        return std::borrow::Cow::Borrowed(html);
    }
    std::borrow::Cow::Owned(
        html.chars()
            .map(|c| {
                if (c as u32) < 0x20 && bad(c as u8) {
                    ' '
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// Collapses runs of ASCII whitespace to one space and trims the ends, as HTML renders text.
/// Text that is already clean (the common case) is returned as is, without copying.
pub fn collapse_whitespace(s: String) -> String {
    let b = s.as_bytes();
    // Clean: no whitespace at either end, and every whitespace byte a single space.
    let mut previous_space = true;
    let mut clean = true;
    for &c in b {
        let space = c == b' ';
        clean &= (!space || !previous_space) && (space || !c.is_ascii_whitespace());
        previous_space = space;
    }
    if (clean && !previous_space) || b.is_empty() {
        return s;
    }
    let mut out = String::with_capacity(s.len());
    for word in s.split_ascii_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// What classification needs of an HTML page: its title, and its visible text for the
/// few checks that compare or search it (read from the body only then: most pages are
/// judged by title alone, and tokenizing whole bodies was a tenth of a check's CPU).
#[derive(Clone, Debug, Default)]
pub struct Page {
    /// The `<title>`, whitespace collapsed.
    pub title: Option<String>,
    /// The body as read (at most [`INPUT_CAP`] bytes) while its text is not needed yet.
    body: Vec<u8>,
    /// Visible text (no script or style), whitespace collapsed, at most 64 KB.
    text: OnceLock<String>,
}

const TEXT_CAP: usize = 64 * 1024;

/// Bytes of a page read for its title and text.
const INPUT_CAP: usize = 1 << 20;

impl Page {
    /// Reads an HTML body's title; its text waits in the page until asked for.
    pub fn from_html(body: &[u8]) -> Page {
        let body = &body[..body.len().min(INPUT_CAP)];
        let (title, text) = read(body, true);
        let title = title.map(collapse_whitespace).filter(|t| !t.is_empty());
        match text {
            // No title: the whole page was read, text and all.
            Some(text) => Page {
                title,
                body: Vec::new(),
                text: OnceLock::from(text),
            },
            None => Page {
                title,
                body: body.to_vec(),
                text: OnceLock::new(),
            },
        }
    }

    /// The visible text, read from the body the first time it is asked for.
    pub fn text(&self) -> &str {
        self.text
            .get_or_init(|| read(&self.body, false).1.unwrap_or_default())
    }

    /// The same page with `token` (a probe's random name, which error pages often echo)
    /// removed from its text, which is read now: the body is not kept.
    pub fn without(self, token: &str) -> Page {
        let mut text = self.text().to_string();
        if !token.is_empty() && text.contains(token) {
            text = text.replace(token, "");
        }
        Page {
            title: self.title,
            body: Vec::new(),
            text: OnceLock::from(text),
        }
    }

    /// The title, when it says the page is an error page.
    pub fn error_title(&self) -> Option<&str> {
        let title = self.title.as_deref()?;
        let lower = title.to_lowercase();
        const SIGNS: &[&str] = &[
            "page not found",
            "not found",
            "404 error",
            "error 404",
            "404 -",
            "- 404",
            "| 404",
            "404 |",
            "no longer available",
            "does not exist",
            "doesn't exist",
            "page unavailable",
            "pagina niet gevonden",
            "niet gevonden",
            "seite nicht gefunden",
            "page introuvable",
            "página no encontrada",
            "pagina non trovata",
            "página não encontrada",
        ];
        (lower.trim() == "404" || SIGNS.iter().any(|s| lower.contains(s))).then_some(title)
    }

    /// How alike two pages' texts are: Jaccard similarity of their word 3-shingles (0 to 1).
    /// (Shingles are computed here, not kept: most pages are never compared.)
    pub fn similarity(&self, other: &Page) -> f64 {
        text::similarity(self.text(), other.text())
    }
}

/// Tokenizes an HTML body for its raw title and its text. With `title_only`, stops at the
/// end of the first title and gives no text; without a title it reads on to the end and
/// gives both.
fn read(body: &[u8], title_only: bool) -> (Option<String>, Option<String>) {
    let lossy = String::from_utf8_lossy(body);
    let html = tokenizable(&lossy);
    let mut title: Option<String> = None;
    let mut in_title = false;
    let mut skip = 0u32;
    let mut text = String::new();
    for token in Tokenizer::new(html.as_ref()).flatten() {
        match token {
            Token::StartTag(t) => match t.name.as_slice() {
                b"title" => in_title = true,
                b"script" | b"style" | b"noscript" | b"template" => skip += 1,
                _ => {}
            },
            Token::EndTag(t) => match t.name.as_slice() {
                b"title" if title_only && title.is_some() => return (title, None),
                b"title" => in_title = false,
                b"script" | b"style" | b"noscript" | b"template" => skip = skip.saturating_sub(1),
                _ => {}
            },
            Token::String(s) => {
                let s = String::from_utf8_lossy(&s);
                if in_title {
                    title.get_or_insert_with(String::new).push_str(&s);
                } else if skip == 0 && text.len() < TEXT_CAP {
                    text.push(' ');
                    text.push_str(&s);
                }
            }
            _ => {}
        }
    }
    (title, Some(collapse_whitespace(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_text() {
        let p = Page::from_html(
            b"<html><head><title> Page not found | GOV.UK </title><script>var x='hidden';</script></head><body><h1>Sorry</h1><p>We could not find /abc123.</p></body></html>",
        )
        .without("abc123");
        assert_eq!(p.title.as_deref(), Some("Page not found | GOV.UK"));
        assert_eq!(p.error_title(), Some("Page not found | GOV.UK"));
        assert_eq!(p.text(), "Sorry We could not find /.");
        let ok = Page::from_html(b"<title>The Bletchley Declaration</title>");
        assert_eq!(ok.error_title(), None);
    }

    #[test]
    fn similar_pages() {
        let a = Page::from_html(
            b"<p>Oops, this page could not be found on our site. Try the search box.</p>",
        );
        let b = Page::from_html(
            b"<p>Oops, this page could not be found on our site. Try the search box.</p>",
        );
        let c = Page::from_html(
            b"<p>The Bletchley Declaration by Countries Attending the AI Safety Summit.</p>",
        );
        assert!(a.similarity(&b) > 0.99);
        assert!(a.similarity(&c) < 0.1);
    }
}
