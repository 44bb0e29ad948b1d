//! The main text of a page, readability-style: the text of its `<article>` when it has one,
//! else of `<main>` or `role="main"`, otherwise the body's text without navigation, headers,
//! footers, asides, forms and scripts; blocks that are mostly links (related articles, tag
//! clouds, link lists) are left out when enough text remains without them. Also a 64-bit
//! similarity hash (simhash) of it, and how much of one text another keeps.

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

/// Elements whose text is left out when most of it is link text.
const BLOCKS: &[&[u8]] = &[
    b"ul", b"ol", b"li", b"div", b"section", b"p", b"table", b"tr", b"td", b"dl", b"dd", b"dt",
];

/// A block is link-dense when at least this share of its text is inside links.
const LINK_DENSE: f64 = 0.5;

/// Words the main text keeps, at least, when link-dense blocks are left out (a page that is
/// a list of links keeps them: they are its content).
const MIN_PRUNED_WORDS: usize = 30;

/// Bytes of main text gathered at most.
const MAX_TEXT: usize = 256 * 1024;

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

/// Where text goes: the article, the main element, or the rest of the body.
#[derive(Clone, Copy)]
enum Zone {
    Article = 0,
    Main = 1,
    Rest = 2,
}

/// An open block element: where the texts stood when it opened, and its text and link
/// text so far (of what is kept).
struct Block {
    starts: [usize; 3],
    chars: usize,
    link_chars: usize,
}

/// The texts of a page's zones, each whole and without its link-dense blocks.
#[derive(Default)]
struct Texts {
    whole: [String; 3],
    pruned: [String; 3],
    blocks: Vec<Block>,
}

impl Texts {
    fn push(&mut self, zone: Zone, text: &str, in_link: bool) {
        let z = zone as usize;
        let mut added = 0;
        for word in text.split_ascii_whitespace() {
            for target in [&mut self.whole[z], &mut self.pruned[z]] {
                if target.len() < MAX_TEXT {
                    if !target.is_empty() {
                        target.push(' ');
                    }
                    target.push_str(word);
                }
            }
            added += word.chars().count();
        }
        if let Some(block) = self.blocks.last_mut() {
            block.chars += added;
            if in_link {
                block.link_chars += added;
            }
        }
    }

    fn open(&mut self) {
        self.blocks.push(Block {
            starts: [0, 1, 2].map(|z| self.pruned[z].len()),
            chars: 0,
            link_chars: 0,
        });
    }

    fn close(&mut self) {
        let Some(block) = self.blocks.pop() else {
            return;
        };
        let dense =
            block.link_chars > 0 && block.link_chars as f64 >= LINK_DENSE * block.chars as f64;
        if dense {
            for (z, start) in block.starts.into_iter().enumerate() {
                self.pruned[z].truncate(start);
            }
        } else if let Some(parent) = self.blocks.last_mut() {
            parent.chars += block.chars;
            parent.link_chars += block.link_chars;
        }
    }

    /// The main text: the first zone with text, without its link-dense blocks when enough
    /// remains.
    fn finish(self) -> String {
        let Texts { whole, pruned, .. } = self;
        let Some(z) = (0..3).find(|&z| !whole[z].is_empty()) else {
            return String::new();
        };
        let [w0, w1, w2] = whole;
        let [p0, p1, p2] = pruned;
        let (whole, pruned) = match z {
            0 => (w0, p0),
            1 => (w1, p1),
            _ => (w2, p2),
        };
        if pruned.split(' ').filter(|w| !w.is_empty()).count() >= MIN_PRUNED_WORDS {
            pruned
        } else {
            whole
        }
    }
}

/// Reads a page once for its title, main text and (given its URL) requisites.
pub fn read(html: &[u8], url: Option<&url::Url>) -> PageText {
    let lossy = utf8_lossy(html);
    let html = super::tokenizable(&lossy);
    let mut found = url.map(super::requisites::Found::new);
    let mut title: Option<String> = None;
    let mut chrome = 0u32;
    let (mut article, mut main, mut links) = (0u32, 0u32, 0u32);
    let mut in_title = false;
    let mut in_style = false;
    let mut texts = Texts::default();
    for token in Tokenizer::new(html.as_ref()).flatten() {
        match token {
            Token::StartTag(t) => {
                if let Some(found) = found.as_mut() {
                    found.tag(&t);
                }
                in_style = t.name.as_slice() == b"style" && !t.self_closing;
                let name = t.name.as_slice();
                if t.self_closing {
                    in_title |= name == b"title";
                    continue;
                }
                if CHROME.contains(&name) {
                    chrome += 1;
                }
                let role_main = t
                    .attributes
                    .get(b"role".as_slice())
                    .is_some_and(|v| v.as_slice().eq_ignore_ascii_case(b"main"));
                if name == b"article" {
                    article += 1;
                } else if name == b"main" || role_main {
                    main += 1;
                }
                if name == b"a" {
                    links += 1;
                }
                if BLOCKS.contains(&name) && chrome == 0 {
                    texts.open();
                }
                in_title |= name == b"title";
            }
            Token::EndTag(t) => {
                let name = t.name.as_slice();
                in_style = false;
                if BLOCKS.contains(&name) && chrome == 0 {
                    texts.close();
                }
                if CHROME.contains(&name) {
                    chrome = chrome.saturating_sub(1);
                }
                match name {
                    b"article" => article = article.saturating_sub(1),
                    b"main" => main = main.saturating_sub(1),
                    b"a" => links = links.saturating_sub(1),
                    b"title" => in_title = false,
                    _ => {}
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
                let zone = if article > 0 {
                    Zone::Article
                } else if main > 0 {
                    Zone::Main
                } else {
                    Zone::Rest
                };
                texts.push(zone, &utf8_lossy(&s), links > 0);
            }
            _ => {}
        }
    }
    PageText {
        title: title
            .map(super::collapse_whitespace)
            .filter(|t| !t.is_empty()),
        main_text: texts.finish(),
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

/// How much of `cited` a later text keeps: the share of `cited`'s word 3-shingles found in
/// `now` (0 to 1). Unlike a similarity of the two, it does not fall when the page grows
/// (a live blog, comments, an update added), nor when the same text is reordered or
/// framed differently: only losing what was cited lowers it. An empty `cited` is kept whole.
pub fn containment(cited: &str, now: &str) -> f64 {
    use std::collections::HashSet;
    let cited: HashSet<u64> = shingles(cited).into_iter().collect();
    if cited.is_empty() {
        return 1.0;
    }
    let now: HashSet<u64> = shingles(now).into_iter().collect();
    cited.iter().filter(|h| now.contains(h)).count() as f64 / cited.len() as f64
}

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
