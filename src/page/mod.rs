//! What is known about a fetched page: its text made fit to tokenize, its title and
//! visible text ([`Page`], what checks judge by), its main text, similarity hash and
//! shingles ([`text`], what the archive keeps and drift compares), and the requisites it
//! needs to be shown ([`requisites`]). Used by check, archive, serve and drift alike, so a
//! page is read one way everywhere.

pub mod pdf;
pub mod requisites;
pub mod text;

#[cfg(test)]
mod drift_corpus;

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

/// What classification needs of an HTML page: its title, a notice it carries about itself,
/// and (read from the body only when asked for: most pages are judged by title alone, and
/// tokenizing whole bodies was a tenth of a check's CPU) its visible text, how much of it is
/// script, its `<noscript>` text and `og:title`.
#[derive(Clone, Debug, Default)]
pub struct Page {
    /// The `<title>`, whitespace collapsed.
    pub title: Option<String>,
    /// What the page says of itself, when it says it was withdrawn, retracted, superseded
    /// or archived (the sentence, cut short).
    pub notice: Option<String>,
    /// Whether the page offers its domain for sale (a parked or expired domain).
    parked: bool,
    /// Whether its structured data says it is not free to read (`isAccessibleForFree:
    /// false`): a paywall.
    paywalled: bool,
    /// Whether the body was cut at [`INPUT_CAP`] (its text may go on).
    cut: bool,
    /// What the page's embedded state says when it says the item is unavailable (a video
    /// player's status), before any script runs.
    unavailable: Option<String>,
    /// Where the page sends the reader by itself: a meta refresh, or, in a short page, a
    /// script that sets `location` (as written, not resolved).
    sends_to: Option<String>,
    /// The body as read (at most [`INPUT_CAP`] bytes) while its text is not needed yet.
    body: Vec<u8>,
    /// What a whole read gives (boxed: most pages never need it).
    read: OnceLock<Box<Read>>,
}

/// A page read to its end.
#[derive(Clone, Debug, Default)]
struct Read {
    /// Visible text (no script, style or noscript), whitespace collapsed, at most 64 KB.
    text: String,
    /// Bytes of inline script.
    script_bytes: usize,
    /// Scripts the page loads or holds.
    scripts: usize,
    /// The text of its `<noscript>` elements.
    noscript: String,
    /// Its `og:title`, if it has one.
    og_title: Option<String>,
}

const TEXT_CAP: usize = 64 * 1024;

/// Bytes of a page searched for notices and for-sale signs.
const HEAD: usize = 256 * 1024;

/// Bytes of a page read for its title and text.
const INPUT_CAP: usize = 1 << 20;

impl Page {
    /// Reads an HTML body's title (and notices); its text waits in the page until asked for.
    pub fn from_html(body: &[u8]) -> Page {
        let body = &body[..body.len().min(INPUT_CAP)];
        // Notices and for-sale pages are found in the page's first part, lower-cased once.
        let head = &body[..body.len().min(HEAD)];
        let lower = head.to_ascii_lowercase();
        let notice = notice(head, &lower);
        let parked = parked(&lower);
        let paywalled = paywalled(&lower);
        let unavailable = unavailable(&lower);
        let sends_to = sends_to(head, &lower);
        let cut = body.len() >= INPUT_CAP;
        let (title, read) = read(body, true);
        let title = title.map(collapse_whitespace).filter(|t| !t.is_empty());
        // The body is kept: its main text is read when there is a copy as cited to compare.
        match read {
            // No title: the whole page was read, text and all.
            Some(read) => Page {
                title,
                notice,
                parked,
                paywalled,
                cut,
                unavailable: unavailable.clone(),
                sends_to: sends_to.clone(),
                body: body.to_vec(),
                read: OnceLock::from(Box::new(read)),
            },
            None => Page {
                title,
                notice,
                parked,
                paywalled,
                cut,
                unavailable,
                sends_to,
                body: body.to_vec(),
                read: OnceLock::new(),
            },
        }
    }

    /// How much of `cited` (the main text of our copy as cited) this page keeps (see
    /// [`text::containment`]); `None` when the page was too large to be read whole (what
    /// was not read cannot be said to be gone).
    pub fn keeps(&self, cited: &str) -> Option<f64> {
        if self.cut {
            return None;
        }
        let main = text::main_text(&self.body);
        let kept = text::containment(cited, &main);
        // The cited text may stand outside what this page marks as its main text (a
        // redesign moved it into another element): the whole visible text decides then.
        Some(if kept < 1.0 {
            kept.max(text::containment(cited, self.text()))
        } else {
            kept
        })
    }

    /// Where the page sends the reader by itself (a meta refresh, or a short page's script
    /// setting `location`), as written: a redirect in all but name. A script redirect in a
    /// page with words of its own is not counted (it runs on a click, a consent, a login).
    pub fn sends_to(&self) -> Option<&str> {
        let target = self.sends_to.as_deref()?;
        let (by_meta, url) = target.split_at(1);
        (by_meta == "m" || self.text().split_whitespace().count() < 150).then_some(url)
    }

    /// What the page's embedded state says, when it says the item is unavailable.
    pub fn unavailable(&self) -> Option<&str> {
        self.unavailable.as_deref()
    }

    /// Whether the page's structured data says it is not free to read (a paywall).
    pub fn is_paywalled(&self) -> bool {
        self.paywalled
    }

    fn whole(&self) -> &Read {
        self.read
            .get_or_init(|| Box::new(read(&self.body, false).1.unwrap_or_default()))
    }

    /// Whether the page offers its domain for sale: the domain lapsed and was parked.
    pub fn is_parked(&self) -> bool {
        self.parked
    }

    /// The visible text, read from the body the first time it is asked for.
    pub fn text(&self) -> &str {
        &self.whole().text
    }

    /// The page's `og:title`, if it names one.
    pub fn og_title(&self) -> Option<&str> {
        self.whole().og_title.as_deref()
    }

    /// Whether the page is an application shell: almost no text of its own, built by
    /// script (a `<noscript>` notice, scripts that outweigh the text, or "enable
    /// JavaScript" in the little text there is). Such a page cannot be judged from its
    /// HTML.
    pub fn is_app_shell(&self) -> bool {
        let r = self.whole();
        let words = r.text.split_whitespace().count();
        let asks_for_script = |t: &str| {
            let t = t.to_ascii_lowercase();
            t.contains("javascript") || t.contains("enable js")
        };
        words < 60
            && (asks_for_script(&r.noscript)
                || asks_for_script(&r.text)
                || (r.scripts > 0 && r.script_bytes > 4 * r.text.len().max(256)))
    }

    /// The same page with `token` (a probe's random name, which error pages often echo)
    /// removed from its text, which is read now: the body is not kept.
    pub fn without(self, token: &str) -> Page {
        let mut read = Box::new(self.whole().clone());
        if !token.is_empty() && read.text.contains(token) {
            read.text = read.text.replace(token, "");
        }
        Page {
            title: self.title,
            notice: self.notice,
            parked: self.parked,
            paywalled: self.paywalled,
            cut: self.cut,
            unavailable: self.unavailable,
            sends_to: self.sends_to,
            body: Vec::new(),
            read: OnceLock::from(read),
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

    /// The title, when it says, even loosely, that what was asked for is not there
    /// ("Sorry, we couldn't find that page", "This content is unavailable"): words too
    /// common in real titles to decide alone, decisive beside a page that keeps none of the
    /// text as cited.
    pub fn not_there_title(&self) -> Option<&str> {
        if let Some(t) = self.error_title() {
            return Some(t);
        }
        let title = self.title.as_deref()?;
        let lower = title.to_lowercase();
        const LOOSE: &[&str] = &[
            "couldn't find",
            "could not find",
            "can't find",
            "cannot find",
            "can't be found",
            "cannot be found",
            "could not be found",
            "no longer exists",
            "has been removed",
            "has been deleted",
            "was removed",
            "was deleted",
            "isn't available",
            "is not available",
            "unavailable",
            "no longer online",
            "oops",
            "sorry",
            "gone",
            "missing page",
            "nicht verfügbar",
            "introuvable",
            "no disponible",
            "non disponibile",
            "niet beschikbaar",
        ];
        LOOSE.iter().any(|s| lower.contains(s)).then_some(title)
    }

    /// How alike two pages' texts are: Jaccard similarity of their word 3-shingles (0 to 1).
    /// (Shingles are computed here, not kept: most pages are never compared.)
    pub fn similarity(&self, other: &Page) -> f64 {
        text::similarity(self.text(), other.text())
    }
}

/// Tokenizes an HTML body for its raw title and the rest. With `title_only`, stops at the
/// end of the first title and gives no more; without a title it reads on to the end and
/// gives both.
fn read(body: &[u8], title_only: bool) -> (Option<String>, Option<Read>) {
    let lossy = String::from_utf8_lossy(body);
    let html = tokenizable(&lossy);
    let mut title: Option<String> = None;
    let mut in_title = false;
    let mut skip = 0u32;
    let mut in_script = false;
    let mut in_noscript = false;
    let mut read = Read::default();
    let mut text = String::new();
    for token in Tokenizer::new(html.as_ref()).flatten() {
        match token {
            Token::StartTag(t) => match t.name.as_slice() {
                b"title" => in_title = true,
                b"script" => {
                    skip += 1;
                    in_script = true;
                    read.scripts += 1;
                }
                b"noscript" => {
                    skip += 1;
                    in_noscript = true;
                }
                b"style" | b"template" => skip += 1,
                b"meta" if read.og_title.is_none() => {
                    let property = t.attributes.get(b"property".as_slice());
                    if property.is_some_and(|p| p.as_slice().eq_ignore_ascii_case(b"og:title")) {
                        read.og_title = t
                            .attributes
                            .get(b"content".as_slice())
                            .map(|c| collapse_whitespace(String::from_utf8_lossy(c).into_owned()))
                            .filter(|c| !c.is_empty());
                    }
                }
                _ => {}
            },
            Token::EndTag(t) => match t.name.as_slice() {
                b"title" if title_only && title.is_some() => return (title, None),
                b"title" => in_title = false,
                b"script" => {
                    skip = skip.saturating_sub(1);
                    in_script = false;
                }
                b"noscript" => {
                    skip = skip.saturating_sub(1);
                    in_noscript = false;
                }
                b"style" | b"template" => skip = skip.saturating_sub(1),
                _ => {}
            },
            Token::String(s) => {
                let s = String::from_utf8_lossy(&s);
                if in_title {
                    title.get_or_insert_with(String::new).push_str(&s);
                } else if in_script {
                    read.script_bytes += s.len();
                } else if in_noscript {
                    if read.noscript.len() < 4096 {
                        read.noscript.push(' ');
                        read.noscript.push_str(&s);
                    }
                } else if skip == 0 && text.len() < TEXT_CAP {
                    text.push(' ');
                    text.push_str(&s);
                }
            }
            _ => {}
        }
    }
    read.text = collapse_whitespace(text);
    (title, Some(read))
}

/// Where a page sends the reader by itself, as written, prefixed `m` for a meta refresh
/// and `s` for a script setting `location`; found in its raw bytes (`lower` is `head`
/// lower-cased, so offsets match).
fn sends_to(head: &[u8], lower: &[u8]) -> Option<String> {
    let text = |at: usize, end: usize| String::from_utf8_lossy(&head[at..end]).trim().to_string();
    // <meta http-equiv="refresh" content="0; url=https://...">
    if let Some(at) = memchr::memmem::find(lower, b"http-equiv=\"refresh\"")
        .or_else(|| memchr::memmem::find(lower, b"http-equiv='refresh'"))
        .or_else(|| memchr::memmem::find(lower, b"http-equiv=refresh"))
    {
        let tag_start = memchr::memrchr(b'<', &lower[..at]).unwrap_or(at);
        let tag_end = memchr::memchr(b'>', &lower[at..]).map_or(lower.len(), |e| at + e);
        let tag = &lower[tag_start..tag_end];
        if let Some(u) = memchr::memmem::find(tag, b"url=") {
            let from = tag_start + u + 4;
            let value = &lower[from..tag_end];
            let end = value
                .iter()
                .position(|b| matches!(b, b'"' | b'\'' | b'>'))
                .unwrap_or(value.len());
            let url = text(from, from + end);
            let url = url.trim_matches(['\'', '"']).to_string();
            if !url.is_empty() {
                return Some(format!("m{url}"));
            }
        }
    }
    // location.replace("..."), location.href = "...", window.location = "..."
    for pattern in [
        &b"location.replace("[..],
        b"location.assign(",
        b"location.href=",
        b"location.href =",
        b"window.location=",
        b"window.location =",
    ] {
        let Some(at) = memchr::memmem::find(lower, pattern) else {
            continue;
        };
        let rest = &lower[at + pattern.len()..];
        let skip = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let quote = *rest.get(skip)?;
        if !matches!(quote, b'"' | b'\'') {
            continue;
        }
        let from = at + pattern.len() + skip + 1;
        let end = memchr::memchr(quote, &lower[from..])?;
        let url = text(from, from + end);
        if url.starts_with("http://") || url.starts_with("https://") || url.starts_with('/') {
            return Some(format!("s{url}"));
        }
    }
    None
}

/// What a page's embedded player state says when the item cannot be played: a
/// `playabilityStatus` of `ERROR` or `UNPLAYABLE`, or a private video (as YouTube embeds it
/// in `ytInitialPlayerResponse`), found in its raw bytes: the reason given, lower case.
fn unavailable(lower: &[u8]) -> Option<String> {
    const STATUS: &[u8] = b"\"playabilitystatus\":{\"status\":\"";
    const REASON: &[u8] = b"\"reason\":\"";
    let at = memchr::memmem::find(lower, STATUS)?;
    let rest = &lower[at + STATUS.len()..];
    let status_end = memchr::memchr(b'"', rest)?;
    let status = &rest[..status_end];
    let reason = memchr::memmem::find(&rest[..rest.len().min(2000)], REASON).and_then(|r| {
        let text = &rest[r + REASON.len()..];
        let end = memchr::memchr(b'"', text)?;
        Some(String::from_utf8_lossy(&text[..end.min(200)]).into_owned())
    });
    let private = reason.as_deref().is_some_and(|r| r.contains("private"));
    match status {
        b"error" | b"unplayable" => Some(reason.unwrap_or_else(|| "unavailable".to_string())),
        b"login_required" if private => reason,
        _ => None,
    }
}

/// Whether a page's structured data (schema.org's `isAccessibleForFree`, in JSON-LD or
/// microdata) says it is not free to read, found in its raw bytes.
fn paywalled(lower: &[u8]) -> bool {
    let mut rest = lower;
    while let Some(at) = memchr::memmem::find(rest, b"isaccessibleforfree") {
        rest = &rest[at + 19..];
        let near = &rest[..rest.len().min(24)];
        let value: Vec<u8> = near
            .iter()
            .copied()
            .filter(|b| !matches!(b, b' ' | b'"' | b'\'' | b':' | b'=' | b'\t' | b'\n' | b'\r'))
            .collect();
        if value.starts_with(b"false") || value.starts_with(b"contentfalse") {
            return true;
        }
    }
    false
}

/// Whether a page offers its own domain for sale (parking and marketplace pages), found in
/// its raw bytes.
fn parked(lower: &[u8]) -> bool {
    const SIGNS: &[&str] = &[
        "domain is for sale",
        "domain may be for sale",
        "buy this domain",
        "domain name is for sale",
        "this domain is available for purchase",
        "make an offer on this domain",
        "the domain has expired",
        "this domain has expired",
        "domain is parked",
        "parked free, courtesy of",
    ];
    SIGNS
        .iter()
        .any(|s| memchr::memmem::find(lower, s.as_bytes()).is_some())
}

/// What a page says of itself, found in its raw bytes (a byte search: no tokenizing for
/// the pages that say nothing): withdrawn, retracted, superseded, archived.
fn notice(head: &[u8], lower: &[u8]) -> Option<String> {
    const SIGNS: &[&str] = &[
        "was withdrawn on",
        "this publication was withdrawn",
        "this page was withdrawn",
        "this guidance was withdrawn",
        "has been withdrawn",
        "this article has been retracted",
        "retraction notice",
        "retracted article",
        "retracted:",
        "has been superseded",
        "this page has been archived",
        "this is an archived page",
        "no longer being updated",
    ];
    let (at, sign) = SIGNS
        .iter()
        .filter_map(|s| memchr::memmem::find(lower, s.as_bytes()).map(|at| (at, *s)))
        .min_by_key(|(at, _)| *at)?;
    // The sentence from the sign to the next tag or full stop (a date such as "12 May
    // 2023" has none), markup removed.
    let end = head[at..]
        .iter()
        .position(|&b| b == b'<' || b == b'\n')
        .map_or(head.len(), |i| at + i)
        .min(at + 120);
    let mut sentence = String::from_utf8_lossy(&head[at..end]).trim().to_string();
    let unfinished = [" on", " by", " in", ":", " at"]
        .iter()
        .any(|w| sentence.to_ascii_lowercase().ends_with(w));
    if sentence.len() < sign.len() + 3 || unfinished {
        // The date or successor is in the next element: take its text too.
        let rest = String::from_utf8_lossy(&head[end..head.len().min(end + 300)]).into_owned();
        let mut text = String::new();
        let mut in_tag = false;
        for c in rest.chars() {
            match c {
                // The element holding the rest of the sentence ends it.
                '<' if !text.trim().is_empty() => break,
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    text.push(' ');
                }
                '.' | '\n' if !in_tag && !text.trim().is_empty() => break,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        sentence = format!("{sentence} {}", collapse_whitespace(text));
    }
    let sentence = collapse_whitespace(sentence);
    let sentence = sentence.trim_end_matches(['.', ',', ';']).to_string();
    let cut: String = sentence.chars().take(100).collect();
    Some(cut)
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
    fn notices_are_read_from_the_page() {
        let gov = Page::from_html(
            b"<title>AI regulation: a pro-innovation approach</title><div class=notice>\
              <h2>This publication was withdrawn on <time>12 May 2023</time></h2>\
              <p>Replaced by the white paper.</p></div>",
        );
        assert_eq!(
            gov.notice.as_deref(),
            Some("This publication was withdrawn on 12 May 2023")
        );
        let journal = Page::from_html(b"<title>RETRACTED: A study of things</title><p>Text.</p>");
        assert_eq!(
            journal.notice.as_deref(),
            Some("RETRACTED: A study of things")
        );
        let plain = Page::from_html(b"<title>News</title><p>Nothing withdrawn here.</p>");
        assert_eq!(plain.notice, None);
    }

    #[test]
    fn application_shells_are_told_from_pages() {
        let shell = Page::from_html(
            b"<title>X</title><noscript>JavaScript is not available. Please enable JavaScript.</noscript>\
              <div id=react-root></div><script src=/main.js></script>",
        );
        assert!(shell.is_app_shell());
        let words = "The summit agreed on a declaration about frontier safety. ".repeat(12);
        let article = Page::from_html(
            format!("<title>Summit</title><noscript>Enable JavaScript for comments.</noscript><p>{words}</p>").as_bytes(),
        );
        assert!(!article.is_app_shell());
        let og = Page::from_html(
            b"<title>X</title><meta property=\"og:title\" content=\"Yi Zeng on X\">",
        );
        assert_eq!(og.og_title(), Some("Yi Zeng on X"));
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
