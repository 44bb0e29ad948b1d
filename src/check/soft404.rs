//! Soft 404s: pages that answer 200 but are not the page cited. Three kinds of evidence
//! (Bar-Yossef et al. 2004 and common practice): a redirect from a deep page to the home page
//! (see `classify`), an error-page title, and an answer that looks like the answer to a
//! random never-existing path next to the page (the probe, made once per host and parent
//! folder per run).

use std::sync::OnceLock;

use html5gum::{Token, Tokenizer};

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
        let title = title
            .map(crate::source::collapse_whitespace)
            .filter(|t| !t.is_empty());
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
        crate::archive::text::similarity(self.text(), other.text())
    }
}

/// Tokenizes an HTML body for its raw title and its text. With `title_only`, stops at the
/// end of the first title and gives no text; without a title it reads on to the end and
/// gives both.
fn read(body: &[u8], title_only: bool) -> (Option<String>, Option<String>) {
    let lossy = String::from_utf8_lossy(body);
    let html = crate::source::html::tokenizable(&lossy);
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
    (title, Some(crate::source::collapse_whitespace(text)))
}

/// The parent folder of a URL's path (`/a/b/c` and `/a/b/c/` → `/a/b/`), the scope of one
/// probe.
pub fn parent(url: &url::Url) -> String {
    let path = url.path().trim_end_matches('/');
    match path.rfind('/') {
        Some(i) => path[..=i].to_string(),
        None => "/".to_string(),
    }
}

/// A URL next to `url` that cannot exist: its parent folder plus a random name.
pub fn probe_url(url: &url::Url, name: &str) -> String {
    let mut probe = url.clone();
    probe.set_query(None);
    probe.set_fragment(None);
    probe.set_path(&format!("{}{name}", parent(url)));
    probe.into()
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

    #[test]
    fn probes_sit_next_to_the_page() {
        let u =
            url::Url::parse("https://www.reuters.com/technology/second-summit-2024/?x=1").unwrap();
        assert_eq!(
            probe_url(&u, "zz9"),
            "https://www.reuters.com/technology/zz9"
        );
        let u = url::Url::parse("https://x.com/yi_zeng/status/1831133250946838740").unwrap();
        assert_eq!(probe_url(&u, "zz9"), "https://x.com/yi_zeng/status/zz9");
    }
}
