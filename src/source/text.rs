//! Plain-text URL lists (`.txt`): every URL in the text is a citation, as other link
//! checkers accept such lists.

use super::markdown::bare_urls;
use super::{Found, Kind};

/// Extracts every `http(s)://` or `www.` URL of a plain-text file.
pub fn extract(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    bare_urls(text, 0, |written, span| {
        out.push(Found {
            written,
            at: span.start,
            span,
            text: String::new(),
            kind: Kind::Bare,
            section: None,
            bare: true,
        })
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_citation_per_url() {
        let found =
            extract("https://a.example/x\n# note\n  http://b.example/y, and www.c.example.\n");
        let urls: Vec<_> = found.iter().map(|f| f.written.as_str()).collect();
        assert_eq!(
            urls,
            ["https://a.example/x", "http://b.example/y", "www.c.example"]
        );
        assert_eq!(found[1].at, 29);
    }
}
