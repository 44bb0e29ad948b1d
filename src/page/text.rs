//! The main text of a page, readability-style: the text of `<main>`, `<article>` or
//! `role="main"` when the page has one, otherwise the body's text without navigation,
//! headers, footers, asides, forms and scripts; and a 64-bit similarity hash (simhash) of it.

use std::hash::BuildHasher;

use html5gum::{Token, Tokenizer};

/// Elements whose text is never main text.
const CHROME: &[&[u8]] = &[
    b"script",
    b"style",
    b"noscript",
    b"template",
    b"nav",
    b"header",
    b"footer",
    b"aside",
    b"form",
    b"button",
    b"svg",
    b"select",
    b"iframe",
];

/// Elements that hold the main content when a page marks it.
const MAIN: &[&[u8]] = &[b"main", b"article"];

/// The main text of an HTML document, whitespace collapsed, at most 256 KB.
pub fn main_text(html: &[u8]) -> String {
    read(html, None).main_text
}

/// What one pass over a captured page gives: its title, its main text, and its requisites.
#[derive(Clone, Debug, Default)]
pub struct PageText {
    /// The `<title>`, whitespace collapsed.
    pub title: Option<String>,
    /// The main text (see [`main_text`]).
    pub main_text: String,
    /// Stylesheets, images and icons it references (when its URL was given).
    pub requisites: Vec<url::Url>,
}

/// Reads a page once for its title, main text and (given its URL) requisites.
pub fn read(html: &[u8], url: Option<&url::Url>) -> PageText {
    let lossy = utf8_lossy(html);
    let html = super::tokenizable(&lossy);
    let mut found = url.map(super::requisites::Found::new);
    let mut title: Option<String> = None;
    let mut chrome = 0u32;
    let mut main = 0u32;
    let mut in_title = false;
    let mut in_style = false;
    let (mut marked, mut rest) = (String::new(), String::new());
    for token in Tokenizer::new(html.as_ref()).flatten() {
        match token {
            Token::StartTag(t) => {
                if let Some(found) = found.as_mut() {
                    found.tag(&t);
                }
                in_style = t.name.as_slice() == b"style" && !t.self_closing;
                let name = t.name.as_slice();
                if CHROME.contains(&name) && !t.self_closing {
                    chrome += 1;
                }
                let role_main = t
                    .attributes
                    .get(b"role".as_slice())
                    .is_some_and(|v| v.as_slice().eq_ignore_ascii_case(b"main"));
                if (MAIN.contains(&name) || role_main) && !t.self_closing {
                    main += 1;
                }
                in_title |= name == b"title";
            }
            Token::EndTag(t) => {
                let name = t.name.as_slice();
                in_style = false;
                if CHROME.contains(&name) {
                    chrome = chrome.saturating_sub(1);
                }
                if MAIN.contains(&name) {
                    main = main.saturating_sub(1);
                }
                if name == b"title" {
                    in_title = false;
                }
            }
            Token::String(s) if in_style => {
                // A `<style>` block's images and fonts are requisites.
                if let Some(found) = found.as_mut() {
                    found.style_text(&utf8_lossy(&s));
                }
            }
            Token::String(s) if in_title => {
                title
                    .get_or_insert_with(String::new)
                    .push_str(&utf8_lossy(&s));
            }
            Token::String(s) if chrome == 0 => {
                let target = if main > 0 { &mut marked } else { &mut rest };
                if target.len() < 256 * 1024 {
                    // Whitespace collapsed as the text is gathered.
                    for word in utf8_lossy(&s).split_ascii_whitespace() {
                        if !target.is_empty() {
                            target.push(' ');
                        }
                        target.push_str(word);
                    }
                }
            }
            _ => {}
        }
    }
    let text = if marked.is_empty() { rest } else { marked };
    PageText {
        title: title
            .map(super::collapse_whitespace)
            .filter(|t| !t.is_empty()),
        main_text: text,
        requisites: found.map(|f| f.finish()).unwrap_or_default(),
    }
}

/// About `words` words of `text` from just before the first word matching a word of
/// `query` (as the search index matches: runs of letters and digits, case-insensitive),
/// with the matches between `\u{1}` and `\u{2}` and `…` where the text was cut.
pub fn snippet(text: &str, query: &str, words: usize) -> String {
    let lower = |t: &str| t.to_lowercase();
    let terms: Vec<String> = alnum_runs(query).map(lower).collect();
    let is_term = |t: &str| terms.contains(&lower(t));
    let all: Vec<&str> = text.split_ascii_whitespace().collect();
    let first = all
        .iter()
        .position(|w| alnum_runs(w).any(is_term))
        .unwrap_or(0);
    let start = first.saturating_sub(words / 4);
    let end = (start + words).min(all.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    for (i, word) in all[start..end].iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // The word's letter-and-digit runs, marked when they match, and what lies between.
        let mut rest = *word;
        while !rest.is_empty() {
            let run = rest
                .find(|c: char| !c.is_alphanumeric())
                .unwrap_or(rest.len());
            let cut = if run == 0 {
                let other = rest.find(char::is_alphanumeric).unwrap_or(rest.len());
                out.push_str(&rest[..other]);
                other
            } else if is_term(&rest[..run]) {
                out.push('\u{1}');
                out.push_str(&rest[..run]);
                out.push('\u{2}');
                run
            } else {
                out.push_str(&rest[..run]);
                run
            };
            rest = &rest[cut..];
        }
    }
    if end < all.len() {
        out.push('…');
    }
    out
}

/// The runs of letters and digits in `text`.
fn alnum_runs(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
}

/// `bytes` as text, invalid UTF-8 replaced; valid text (the common case) is checked by the
/// standard library's faster validator and borrowed.
fn utf8_lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The hashes of a text's word 3-shingles (words lower-cased), in order; a text of fewer
/// than three words gives its words' hashes. Words are split at spaces: the text is
/// whitespace-collapsed, as [`main_text`] gives it.
fn shingles(text: &str) -> Vec<u64> {
    let lower = if text
        .bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    {
        std::borrow::Cow::Owned(text.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    let hasher = foldhash::fast::FixedState::with_seed(11);
    let words: Vec<u64> = lower
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| hasher.hash_one(w))
        .collect();
    if words.len() < 3 {
        return words;
    }
    words.windows(3).map(|w| hasher.hash_one(w)).collect()
}

/// A 64-bit simhash of the text's word 3-shingles: near texts have near hashes.
pub fn simhash(text: &str) -> u64 {
    // Each bit is set when most shingle hashes have it set. The set bits are counted eight
    // at a time: `lanes[k]` holds, byte by byte, the counts of bits 8k to 8k+7, moved into
    // `ones` before a byte can overflow.
    let mut ones = [0u32; 64];
    let mut lanes = [0u64; 8];
    let (mut count, mut pending) = (0u32, 0u32);
    let flush = |lanes: &mut [u64; 8], ones: &mut [u32; 64]| {
        for (k, lane) in lanes.iter_mut().enumerate() {
            for (i, n) in ones[8 * k..8 * k + 8].iter_mut().enumerate() {
                *n += (*lane >> (8 * i)) as u32 & 0xff;
            }
            *lane = 0;
        }
    };
    for h in shingles(text) {
        for (k, lane) in lanes.iter_mut().enumerate() {
            *lane += SPREAD[(h >> (8 * k)) as usize & 0xff];
        }
        count += 1;
        pending += 1;
        if pending == 255 {
            flush(&mut lanes, &mut ones);
            pending = 0;
        }
    }
    flush(&mut lanes, &mut ones);
    ones.iter().enumerate().fold(
        0u64,
        |acc, (bit, &n)| if 2 * n > count { acc | 1 << bit } else { acc },
    )
}

/// For each byte value, a word whose byte i is bit i of that value.
const SPREAD: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut value = 0;
    while value < 256 {
        let mut bit = 0;
        while bit < 8 {
            if value >> bit & 1 == 1 {
                table[value] |= 1 << (8 * bit);
            }
            bit += 1;
        }
        value += 1;
    }
    table
};

/// How much of two texts is the same: Jaccard similarity of their word 3-shingles (0 to 1).
pub fn similarity(a: &str, b: &str) -> f64 {
    use std::collections::HashSet;
    let (a, b): (HashSet<u64>, HashSet<u64>) = (
        shingles(a).into_iter().collect(),
        shingles(b).into_iter().collect(),
    );
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let common = a.intersection(&b).count();
    common as f64 / (a.len() + b.len() - common).max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_text_prefers_marked_content() {
        let page =
            b"<html><head><title>T</title><script>x()</script></head><body><nav>Home About</nav>\
            <header>Site</header><main><h1>Declaration</h1><p>The countries agree.</p></main>\
            <footer>Copyright</footer></body></html>";
        assert_eq!(main_text(page), "Declaration The countries agree.");
        let plain = b"<body><nav>Menu</nav><p>Only text.</p><aside>Ads</aside></body>";
        assert_eq!(main_text(plain), "Only text.");
    }

    #[test]
    fn simhash_sets_the_bits_most_shingles_have() {
        // Enough shingles that the byte-wide counters are flushed several times.
        let text: String = (0..2000).map(|i| format!("w{} ", i % 37)).collect();
        let hashes = shingles(&text);
        let expected = (0..64).fold(0u64, |acc, bit| {
            let set = hashes.iter().filter(|h| *h >> bit & 1 == 1).count();
            if 2 * set > hashes.len() {
                acc | 1 << bit
            } else {
                acc
            }
        });
        assert_eq!(hashes.len(), 1998);
        assert_eq!(simhash(&text), expected);
        assert_ne!(expected, 0);
    }

    #[test]
    fn snippets_mark_matching_words_around_the_first_match() {
        let text = "one two three four five six seven eight nine ten Bletchley, Park eleven \
                    twelve thirteen fourteen fifteen sixteen bletchley seventeen eighteen";
        assert_eq!(
            snippet(text, "bletchley", 8),
            "…nine ten \u{1}Bletchley\u{2}, Park eleven twelve thirteen fourteen…"
        );
        assert_eq!(snippet("short text", "absent", 16), "short text");
        assert_eq!(
            snippet("Gov.uk says", "gov.UK", 16),
            "\u{1}Gov\u{2}.\u{1}uk\u{2} says"
        );
    }

    #[test]
    fn similar_texts_have_near_hashes() {
        let a = "the quick brown fox jumps over the lazy dog near the river bank today";
        let b = "the quick brown fox jumps over the lazy dog near the river bank tonight";
        let c = "a completely different statement about artificial intelligence safety policy";
        let d = |x: u64, y: u64| (x ^ y).count_ones();
        assert!(d(simhash(a), simhash(b)) < d(simhash(a), simhash(c)));
        assert!(similarity(a, b) > 0.8);
        assert!(similarity(a, c) < 0.1);
    }
}
