//! Page requisites: what a captured page needs to look like itself when replayed — its
//! stylesheets, images and icons, and the fonts and images its stylesheets name.

use html5gum::{Token, Tokenizer};
use url::Url;

/// Requisites captured at most per page.
pub const MAX_PER_PAGE: usize = 60;

/// The requisites an HTML page references, resolved against its URL (and `<base href>`),
/// http(s) only, without duplicates, in document order.
pub fn from_html(html: &[u8], page: &Url) -> Vec<Url> {
    let lossy = String::from_utf8_lossy(html);
    let html = super::tokenizable(&lossy);
    let mut found = Found::new(page);
    let mut in_style = false;
    for token in Tokenizer::new(html.as_ref()).flatten() {
        match token {
            Token::StartTag(tag) => {
                in_style = tag.name.as_slice() == b"style";
                found.tag(&tag);
            }
            Token::EndTag(_) => in_style = false,
            Token::String(s) if in_style => found.style_text(&String::from_utf8_lossy(&s)),
            _ => {}
        }
    }
    found.finish()
}

/// Collects requisites from start tags as a tokenizer meets them (so one pass over a page can
/// serve several readers).
pub struct Found {
    base: Url,
    page: Url,
    names: Vec<String>,
}

impl Found {
    /// Starts collecting for the page at `page`.
    pub fn new(page: &Url) -> Found {
        Found {
            base: page.clone(),
            page: page.clone(),
            names: Vec::new(),
        }
    }

    /// Looks at one start tag.
    pub fn tag<S: html5gum::SpanBound>(&mut self, tag: &html5gum::StartTag<S>) {
        let attr = |k: &str| {
            tag.attributes
                .get(k.as_bytes())
                .map(|v| String::from_utf8_lossy(v.as_slice()).trim().to_string())
        };
        // Images named in inline styles (`style="background: url(...)"`), on any element.
        if let Some(style) = attr("style") {
            self.names.extend(css_names(&style));
        }
        match tag.name.as_slice() {
            b"base" => {
                if let Some(b) = attr("href").and_then(|h| self.page.join(&h).ok()) {
                    self.base = b;
                }
            }
            b"link" => {
                let rel = attr("rel").unwrap_or_default().to_ascii_lowercase();
                let wanted = rel.split_whitespace().any(|r| {
                    matches!(
                        r,
                        "stylesheet"
                            | "icon"
                            | "apple-touch-icon"
                            | "mask-icon"
                            | "preload"
                            | "manifest"
                    )
                });
                if wanted {
                    self.names.extend(attr("href"));
                }
            }
            b"img" | b"source" | b"input" => {
                self.names.extend(attr("src"));
                if let Some(srcset) = attr("srcset") {
                    self.names.extend(
                        srcset
                            .split(',')
                            .filter_map(|c| c.split_whitespace().next())
                            .map(str::to_string),
                    );
                }
            }
            b"video" => {
                self.names.extend(attr("poster"));
                self.names.extend(attr("src"));
            }
            b"audio" | b"track" => self.names.extend(attr("src")),
            _ => {}
        }
    }

    /// Looks at the text of a `<style>` element: the images and fonts it names, and the
    /// stylesheets it imports.
    pub fn style_text(&mut self, css: &str) {
        self.names.extend(css_names(css));
    }

    /// The requisites found, resolved.
    pub fn finish(self) -> Vec<Url> {
        resolve(self.names, &self.base)
    }
}

/// The fonts, images and imported stylesheets a stylesheet names (`url(...)`, `@import`).
pub fn from_css(css: &[u8], sheet: &Url) -> Vec<Url> {
    resolve(css_names(&String::from_utf8_lossy(css)), sheet)
}

/// What CSS text names, as written: `url(...)` values and `@import` strings.
fn css_names(css: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = css;
    while let Some(i) = rest.find("url(") {
        rest = &rest[i + 4..];
        let end = rest.find(')').unwrap_or(rest.len());
        let value = rest[..end].trim().trim_matches(['"', '\'']).trim();
        if !value.starts_with("data:") {
            found.push(value.to_string());
        }
        rest = &rest[end..];
    }
    let mut rest = css;
    while let Some(i) = rest.find("@import") {
        rest = &rest[i + 7..];
        let value = rest.trim_start();
        if let Some(q) = value.chars().next().filter(|c| *c == '"' || *c == '\'')
            && let Some(end) = value[1..].find(q)
        {
            found.push(value[1..1 + end].to_string());
        }
    }
    found
}

fn resolve(found: Vec<String>, base: &Url) -> Vec<Url> {
    let mut out: Vec<Url> = Vec::new();
    for f in found
        .iter()
        .filter(|f| !f.is_empty() && !f.starts_with("data:"))
    {
        if let Ok(mut u) = base.join(f) {
            u.set_fragment(None);
            if matches!(u.scheme(), "http" | "https") && !out.contains(&u) {
                out.push(u);
            }
        }
        if out.len() >= MAX_PER_PAGE {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Images named in inline CSS and `<style>` blocks, media sources, posters, preloads,
    /// icons and manifests are requisites too.
    #[test]
    fn inline_css_and_media_requisites() {
        let page = Url::parse("https://news.example/a/story").unwrap();
        let html =
            br#"<style>.hero { background: url('/img/hero.jpg') } @import "/css/more.css";</style>
            <div style="background-image: url(bg.png)">x</div>
            <picture><source srcset="/img/wide.webp 2x"><img src="/img/narrow.jpg"></picture>
            <video poster="/img/poster.jpg" src="/v/clip.mp4"><track src="/v/subs.vtt"></video>
            <audio src="/a/sound.mp3"></audio>
            <link rel="manifest" href="/site.webmanifest"><link rel="mask-icon" href="/mask.svg">"#;
        let got: Vec<String> = from_html(html, &page)
            .into_iter()
            .map(String::from)
            .collect();
        for want in [
            "https://news.example/img/hero.jpg",
            "https://news.example/css/more.css",
            "https://news.example/a/bg.png",
            "https://news.example/img/wide.webp",
            "https://news.example/img/narrow.jpg",
            "https://news.example/img/poster.jpg",
            "https://news.example/v/clip.mp4",
            "https://news.example/v/subs.vtt",
            "https://news.example/a/sound.mp3",
            "https://news.example/site.webmanifest",
            "https://news.example/mask.svg",
        ] {
            assert!(got.contains(&want.to_string()), "{want} not in {got:?}");
        }
    }

    #[test]
    fn html_and_css_requisites() {
        let page = Url::parse("https://www.gov.uk/guidance/a").unwrap();
        let html = br#"<link rel="stylesheet" href="/css/site.css"><link rel="icon" href="favicon.ico">
            <link rel="canonical" href="https://www.gov.uk/x"><img src="img/a.png" srcset="img/a2.png 2x, img/a3.png 3x">
            <img src="data:image/png;base64,xx"><a href="/not-a-requisite">x</a><script src="/app.js"></script>"#;
        let got: Vec<String> = from_html(html, &page)
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            got,
            [
                "https://www.gov.uk/css/site.css",
                "https://www.gov.uk/guidance/favicon.ico",
                "https://www.gov.uk/guidance/img/a.png",
                "https://www.gov.uk/guidance/img/a2.png",
                "https://www.gov.uk/guidance/img/a3.png",
            ]
        );
        let sheet = Url::parse("https://www.gov.uk/css/site.css").unwrap();
        let css = b"@import 'print.css'; body { background: url(\"../img/bg.png\") } @font-face { src: url(/fonts/gds.woff2) format('woff2'), url(data:font/woff;base64,AA) }";
        let got: Vec<String> = from_css(css, &sheet)
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            got,
            [
                "https://www.gov.uk/img/bg.png",
                "https://www.gov.uk/fonts/gds.woff2",
                "https://www.gov.uk/css/print.css"
            ]
        );
    }
}
