//! Rewriting an archived page for replay: its links point to archived copies (the nearest
//! capture, found when followed), its page requisites load from the archive, and nothing
//! can run: scripts, event handlers, `javascript:` URLs and meta refreshes are removed.
//! HTML goes through lol_html (a streaming rewriter, so a large page costs one pass);
//! CSS `url()` and `@import` through a small scanner.

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::html_content::{ContentType, Element};
use lol_html::{HtmlRewriter, Settings, element, text};
use url::Url;

/// Where rewritten URLs point: `/web/<timestamp>` and the modifier for requisites.
pub struct Target<'a> {
    /// The capture's 14-digit timestamp: links resolve to the capture nearest it.
    pub timestamp: &'a str,
}

impl Target<'_> {
    /// A link to follow: the replay page (banner and frame) of `url`.
    fn page(&self, url: &str) -> String {
        format!("/web/{}/{url}", self.timestamp)
    }

    /// A page requisite (or framed page): the rewritten copy itself.
    fn requisite(&self, url: &str) -> String {
        format!("/web/{}if_/{url}", self.timestamp)
    }
}

/// Resolves `value` against `base`; `None` for what must not be rewritten into a replay
/// URL (fragments, `data:`, `mailto:`...).
fn absolute(base: &Url, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() || value.starts_with('#') {
        return None;
    }
    let url = base.join(value).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// Whether a URL can carry script when navigated to or framed: `javascript:`, `vbscript:`,
/// and `data:` documents (HTML, XML, SVG), however spaced or cased.
fn is_script_url(value: &str) -> bool {
    // Attribute values come as written: undo the character references a browser would
    // (`jav&#x61;script:`, `&Tab;`, `&colon;`) before looking.
    let v: String = decode_references(value.get(..200).unwrap_or(value))
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .take(40)
        .collect::<String>()
        .to_ascii_lowercase();
    // Data that is no document (a raster image, a font, a stylesheet) cannot run script.
    let inert_data = [
        "data:image/png",
        "data:image/jpeg",
        "data:image/gif",
        "data:image/webp",
    ]
    .iter()
    .chain(&["data:font/", "data:text/css", "data:application/font"])
    .any(|p| v.starts_with(p));
    v.starts_with("javascript:")
        || v.starts_with("vbscript:")
        || (v.starts_with("data:") && !inert_data)
}

/// `text` with numeric character references and the few named ones that can hide a
/// scheme (`&colon;`, `&Tab;`, `&NewLine;`) decoded.
fn decode_references(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..]
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '#')
            .map_or(rest.len(), |i| i + 1);
        let name = &rest[1..end];
        let decoded = match name.to_ascii_lowercase().as_str() {
            "colon" => Some(':'),
            "tab" => Some('\t'),
            "newline" => Some('\n'),
            n => n.strip_prefix('#').and_then(|num| {
                let code = match num.strip_prefix('x') {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => num.parse().ok()?,
                };
                char::from_u32(code)
            }),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = rest[end..].strip_prefix(';').unwrap_or(&rest[end..]);
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether an attribute value would carry script from this element: a script URL, unless
/// it is a data image of an image or media element (those never run what they load).
fn is_dangerous(el: &Element, value: &str) -> bool {
    let media = matches!(
        el.tag_name().as_str(),
        "img" | "source" | "video" | "audio" | "track"
    );
    is_script_url(value) && !(media && is_data_image(value))
}

fn is_data_image(value: &str) -> bool {
    value
        .trim_start()
        .get(..11)
        .is_some_and(|p| p.eq_ignore_ascii_case("data:image/"))
}

/// Attributes that hold a URL something may navigate to, frame or fetch: any of them with a
/// script URL is emptied, whatever the element (the second line of defence behind the
/// sandbox policy).
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "xlink:href",
    "poster",
    "background",
    "lowsrc",
    "dynsrc",
    "ping",
    "longdesc",
    "manifest",
    "codebase",
    "archive",
    "icon",
    "cite",
];

/// Rewrites a `srcset` value (`url 1x, url 2x`).
fn srcset(base: &Url, value: &str, target: &Target) -> String {
    value
        .split(',')
        .map(|part| {
            let part = part.trim();
            let (url, rest) = part.split_once(char::is_whitespace).unwrap_or((part, ""));
            match absolute(base, url) {
                Some(abs) => format!("{} {rest}", target.requisite(&abs))
                    .trim_end()
                    .to_string(),
                None => part.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rewrites an HTML page captured at `page_url` for replay inside the archive browser's
/// frame.
pub fn html(body: &[u8], page_url: &str, target: &Target) -> Vec<u8> {
    let Ok(page) = Url::parse(page_url) else {
        return body.to_vec();
    };
    let base = Rc::new(RefCell::new(page));
    let mut out = Vec::with_capacity(body.len() + body.len() / 8);
    let css_buffer = Rc::new(RefCell::new(String::new()));
    {
        let attr = |name: &'static str, requisite: bool| {
            let base = base.clone();
            move |el: &mut Element| {
                if let Some(value) = el.get_attribute(name) {
                    if is_dangerous(el, &value) {
                        el.remove_attribute(name);
                    } else if let Some(abs) = absolute(&base.borrow(), &value) {
                        let new = if requisite {
                            target.requisite(&abs)
                        } else {
                            target.page(&abs)
                        };
                        el.set_attribute(name, &new)?;
                    }
                }
                Ok(())
            }
        };
        let base_for_base = base.clone();
        let base_for_links = base.clone();
        let base_for_svg = base.clone();
        let base_for_srcset = base.clone();
        let base_for_style = base.clone();
        let base_for_css = base.clone();
        let css = css_buffer.clone();
        let mut rewriter = HtmlRewriter::new(
            Settings::new()
                    // Nothing runs: scripts go, handlers go, refreshes go.
                    .append_element_content_handler(element!("script", |el| {
                        el.remove();
                        Ok(())
                    }))
                    .append_element_content_handler(element!("noscript", |el| {
                        el.remove_and_keep_content();
                        Ok(())
                    }))
                    .append_element_content_handler(element!("meta[http-equiv]", |el| {
                        let equiv = el.get_attribute("http-equiv").unwrap_or_default();
                        if equiv.eq_ignore_ascii_case("refresh") {
                            el.remove();
                        }
                        Ok(())
                    }))
                    .append_element_content_handler(element!("*", move |el| {
                        // Handlers, inline documents (`srcdoc` runs as the page would) and
                        // script URLs in any attribute that navigates, frames or fetches.
                        let unsafe_attributes: Vec<String> = el
                            .attributes()
                            .iter()
                            .filter(|a| {
                                let name = a.name();
                                name.starts_with("on")
                                    || name == "srcdoc"
                                    || (URL_ATTRIBUTES.contains(&name.as_str())
                                        && is_dangerous(el, &a.value()))
                            })
                            .map(|a| a.name())
                            .collect();
                        for name in unsafe_attributes {
                            el.remove_attribute(&name);
                        }
                        // SVG links: into the archive, as HTML links are.
                        if let Some(v) = el.get_attribute("xlink:href")
                            && let Some(abs) = absolute(&base_for_svg.borrow(), &v)
                        {
                            el.set_attribute("xlink:href", &target.page(&abs))?;
                            el.set_attribute("target", "_top")?;
                        }
                        Ok(())
                    }))
                    .append_element_content_handler(element!("base[href]", move |el| {
                        if let Some(href) = el.get_attribute("href") {
                            let next = base_for_base.borrow().join(&href).ok();
                            if let Some(next) = next {
                                *base_for_base.borrow_mut() = next;
                            }
                        }
                        el.remove();
                        Ok(())
                    }))
                    // Links navigate the whole browser to the replay of what they point to.
                    // Links navigate the whole browser to the replay of what they point
                    // to; a fragment link stays in the frame, under the banner.
                    .append_element_content_handler(element!("a[href], area[href]", move |el| {
                        if let Some(v) = el.get_attribute("href")
                            && let Some(abs) = absolute(&base_for_links.borrow(), &v)
                        {
                            el.set_attribute("href", &target.page(&abs))?;
                            el.set_attribute("target", "_top")?;
                        }
                        Ok(())
                    }))
                    .append_element_content_handler(element!("form[action]", attr("action", false)))
                    .append_element_content_handler(element!("[formaction]", attr("formaction", false)))
                    // Requisites load from the archive.
                    .append_element_content_handler(element!("img[src], source[src], video[src], audio[src], track[src], embed[src], input[src], iframe[src], frame[src], script[src]", attr("src", true)))
                    .append_element_content_handler(element!("link[href]", attr("href", true)))
                    .append_element_content_handler(element!("video[poster]", attr("poster", true)))
                    .append_element_content_handler(element!("object[data]", attr("data", true)))
                    .append_element_content_handler(element!("img[srcset], source[srcset]", move |el| {
                        if let Some(v) = el.get_attribute("srcset") {
                            el.set_attribute("srcset", &srcset(&base_for_srcset.borrow(), &v, target))?;
                        }
                        Ok(())
                    }))
                    .append_element_content_handler(element!("[style]", move |el| {
                        if let Some(v) = el.get_attribute("style") {
                            el.set_attribute("style", &css_text(&v, &base_for_style.borrow(), target))?;
                        }
                        Ok(())
                    }))
                    .append_element_content_handler(text!("style", move |chunk| {
                        css.borrow_mut().push_str(chunk.as_str());
                        if chunk.last_in_text_node() {
                            let whole = std::mem::take(&mut *css.borrow_mut());
                            chunk.replace(&css_text(&whole, &base_for_css.borrow(), target), ContentType::Html);
                        } else {
                            chunk.remove();
                        }
                        Ok(())
                    }))
                ,
            |c: &[u8]| out.extend_from_slice(c),
        );
        if rewriter.write(body).is_err() || rewriter.end().is_err() {
            // A page lol_html cannot parse is served as text, never as live HTML.
            return Vec::new();
        }
    }
    out
}

/// Rewrites a stylesheet captured at `css_url`.
pub fn css(body: &str, css_url: &str, target: &Target) -> String {
    match Url::parse(css_url) {
        Ok(base) => css_text(body, &base, target),
        Err(_) => body.to_string(),
    }
}

/// Rewrites `url(...)` and `@import "..."` in CSS text.
fn css_text(text: &str, base: &Url, target: &Target) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        let url_at = lower.find("url(");
        let import_at = lower.find("@import");
        let Some(at) = [url_at, import_at].into_iter().flatten().min() else {
            out.push_str(rest);
            return out;
        };
        if Some(at) == url_at {
            let open = at + 4;
            out.push_str(&rest[..open]);
            let inner_end = rest[open..].find(')').map_or(rest.len(), |i| open + i);
            let inner = rest[open..inner_end].trim();
            let (quote, value) = match inner.chars().next() {
                Some(q @ ('"' | '\'')) if inner.len() >= 2 && inner.ends_with(q) => {
                    (q.to_string(), &inner[1..inner.len() - 1])
                }
                _ => (String::new(), inner),
            };
            match absolute(base, value) {
                Some(abs) if !is_script_url(value) => {
                    out.push_str(&format!("{quote}{}{quote}", target.requisite(&abs)));
                }
                _ => out.push_str(&rest[open..inner_end]),
            }
            rest = &rest[inner_end..];
        } else {
            // @import "x.css" (the url() form is handled above).
            let after = at + "@import".len();
            out.push_str(&rest[..after]);
            let tail = &rest[after..];
            let trimmed = tail.trim_start();
            let ws = tail.len() - trimmed.len();
            match trimmed.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let end = trimmed[1..].find(q).map_or(trimmed.len(), |i| i + 1);
                    let value = &trimmed[1..end];
                    out.push_str(&tail[..ws]);
                    match absolute(base, value) {
                        Some(abs) => out.push_str(&format!("{q}{}{q}", target.requisite(&abs))),
                        None => out.push_str(&trimmed[..(end + 1).min(trimmed.len())]),
                    }
                    rest = &trimmed[(end + 1).min(trimmed.len())..];
                }
                _ => rest = tail,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Target = Target {
        timestamp: "20261126030000",
    };

    #[test]
    fn links_and_requisites_point_into_the_archive() {
        let page = r##"<html><head><base href="https://ex.org/dir/"><link rel=stylesheet href="s.css">
<script src="https://cdn.ex/a.js"></script><script>alert(document.cookie)</script>
<meta http-equiv="refresh" content="0;url=https://evil.example/"></head>
<body onload="steal()"><a href="page.html#x" onclick="x()">p</a> <a href="javascript:alert(1)">j</a>
<a href="mailto:a@b.c">m</a> <a href="#top">t</a>
<img src="/i.png" srcset="/i.png 1x, /i2.png 2x"><div style="background:url('/bg.png')">d</div>
<style>@import "more.css"; body { background: url(/b.gif) }</style><noscript><p>no js</p></noscript></body></html>"##;
        let out =
            String::from_utf8(html(page.as_bytes(), "https://ex.org/dir/index.html", &T)).unwrap();
        let w = "/web/20261126030000";
        for want in [
            format!(r#"<link rel=stylesheet href="{w}if_/https://ex.org/dir/s.css">"#),
            format!(r#"<a href="{w}/https://ex.org/dir/page.html#x" target="_top">p</a>"#),
            // A script link is inert; fragment and mail links stay in the frame.
            r##"<a>j</a>"##.to_string(),
            r#"<a href="mailto:a@b.c">m</a>"#.to_string(),
            r##"<a href="#top">t</a>"##.to_string(),
            format!(r#"src="{w}if_/https://ex.org/i.png""#),
            format!(r#"srcset="{w}if_/https://ex.org/i.png 1x, {w}if_/https://ex.org/i2.png 2x""#),
            format!(r#"style="background:url('{w}if_/https://ex.org/bg.png')""#),
            format!(r#"@import "{w}if_/https://ex.org/dir/more.css";"#),
            format!(r#"url({w}if_/https://ex.org/b.gif)"#),
            "<p>no js</p>".to_string(),
        ] {
            assert!(out.contains(&want), "{want}\nnot in\n{out}");
        }
        for gone in [
            "<script",
            "alert(document",
            "onload",
            "onclick",
            "http-equiv",
            "<base",
            "noscript",
        ] {
            assert!(!out.contains(gone), "{gone} left in\n{out}");
        }
    }

    /// The rewriter's second line of defence behind the sandbox policy: no inline
    /// document, no script URL in any attribute that navigates, frames or fetches, SVG and
    /// form-button links into the archive.
    #[test]
    fn every_script_vector_is_removed_and_every_link_leads_into_the_archive() {
        let page = r##"<iframe srcdoc="<script>parent.x()</script>" src="/f.html"></iframe>
<form action="/search"><button formaction="javascript:alert(1)">a</button>
<input type=submit formaction="/other"></form>
<svg><a xlink:href="javascript:alert(2)"><text>s</text></a><a xlink:href="/svg-target"><text>t</text></a>
<a href="/svg2">u</a></svg>
<a href=" JaVa&#x09;Script:alert(3)">v</a> <iframe src="data:text/html,<script>x()</script>"></iframe>
<object data="vbscript:msgbox(1)"></object> <a href="data:text/html;base64,PHNjcmlwdD4=">d</a>
<img src="data:image/svg+xml,%3Csvg/%3E"> <embed src="javascript:alert(4)">"##;
        let out = String::from_utf8(html(page.as_bytes(), "https://ex.org/p", &T)).unwrap();
        let w = "/web/20261126030000";
        for gone in [
            "srcdoc",
            "javascript",
            "JaVa",
            "vbscript",
            "data:text/html",
            "parent.x",
        ] {
            assert!(
                !out.contains(gone),
                "{gone} left in
{out}"
            );
        }
        for want in [
            format!(r#"src="{w}if_/https://ex.org/f.html""#),
            format!(r#"action="{w}/https://ex.org/search""#),
            format!(r#"formaction="{w}/https://ex.org/other""#),
            format!(r#"xlink:href="{w}/https://ex.org/svg-target""#),
            format!(r#"href="{w}/https://ex.org/svg2""#),
            r#"<img src="data:image/svg+xml,%3Csvg/%3E">"#.to_string(),
        ] {
            assert!(out.contains(&want), "{want}\nnot in\n{out}");
        }
    }

    #[test]
    fn stylesheets_rewritten() {
        let out = css(
            "@import url(\"a.css\"); x { src: url(data:font/woff2;base64,AA) } y { background: url( '../b.png' ) }",
            "https://ex.org/css/s.css",
            &T,
        );
        assert_eq!(
            out,
            "@import url(\"/web/20261126030000if_/https://ex.org/css/a.css\"); x { src: url(data:font/woff2;base64,AA) } y { background: url('/web/20261126030000if_/https://ex.org/b.png') }"
        );
    }
}
