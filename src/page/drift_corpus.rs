//! The corpus drift is validated on before any verdict uses it: pages edited but alive
//! (corrections, updates, growth, comments, link lists, redesigns, reordering) must keep
//! most of their cited text; pages rewritten, usurped, reduced to a notice or replaced by
//! an error page must keep almost none. The thresholds in `check::classify` sit between.

use super::text::{containment, main_text};

/// An article page in a site's chrome: `paragraphs` inside `<article>`, `extra` after it
/// inside `<main>` (related links, comments), a navigation bar and a footer.
fn page(title: &str, paragraphs: &[&str], extra: &str, chrome: &str) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>")).collect();
    format!(
        "<!doctype html><html><head><title>{title}</title></head><body>\
         <nav><a href=/>Home</a> <a href=/news>News</a> {chrome}</nav>\
         <main><article><h1>{title}</h1>{body}</article>{extra}</main>\
         <footer>Copyright {chrome}</footer></body></html>"
    )
}

const P: [&str; 6] = [
    "The government announced on Tuesday that frontier model developers will share their systems with the new safety institute before release.",
    "Ministers said the agreement covers evaluations of dangerous capabilities, including cyber offence and biological risks, and will be reviewed every year.",
    "Critics argued the commitments are voluntary and that the institute has no power to delay a release it considers unsafe.",
    "The institute's chair told reporters that twelve companies had signed, and that the first evaluations would begin within three months.",
    "Opposition spokespeople called for legislation, saying voluntary deals had failed in other sectors and that the public deserved binding rules.",
    "A consultation on the institute's statutory footing will open in the spring, according to a statement published alongside the announcement.",
];

fn related(n: usize, seed: &str) -> String {
    let items: String = (0..n)
        .map(|i| {
            format!(
                "<li><a href=/story/{seed}{i}>Another story about {seed} number {i} today</a></li>"
            )
        })
        .collect();
    format!("<section class=related><h2>Related</h2><ul>{items}</ul></section>")
}

fn comments(n: usize) -> String {
    let items: String = (0..n)
        .map(|i| format!("<div class=comment><p>Reader {i} wrote: I think comment number {i} makes a fair point about the policy.</p></div>"))
        .collect();
    format!("<section class=comments>{items}</section>")
}

/// (what happened, cited page, page now)
fn edited_but_alive() -> Vec<(&'static str, String, String)> {
    let cited = page("Labs agree to safety tests", &P[..4], &related(8, "a"), "x");
    let mut corrected = P[..4].to_vec();
    let fix = P[3].replace("twelve", "eleven");
    corrected[3] = &fix;
    let mut live_blog: Vec<String> = P[..4].iter().map(|s| s.to_string()).collect();
    // Eight updates of text of their own (words of the story in another order).
    for i in 0..8 {
        let mut words: Vec<&str> = P[i % 6].split(' ').collect();
        words.rotate_left(i + 3);
        words.reverse();
        live_blog.insert(0, format!("Update {i}: {}", words.join(" ")));
    }
    let live_blog: Vec<&str> = live_blog.iter().map(String::as_str).collect();
    let reordered = [P[2], P[0], P[1], P[3]];
    vec![
        (
            "a correction",
            cited.clone(),
            page(
                "Labs agree to safety tests",
                &corrected,
                &related(8, "a"),
                "x",
            ),
        ),
        (
            "an update added",
            cited.clone(),
            page(
                "Labs agree to safety tests (updated)",
                &P,
                &related(8, "a"),
                "x",
            ),
        ),
        (
            "a live blog that grew threefold",
            cited.clone(),
            page(
                "Live: labs agree to safety tests",
                &live_blog,
                &related(8, "a"),
                "x",
            ),
        ),
        (
            "comments from 2 to 26",
            page("Labs agree to safety tests", &P[..4], &comments(2), "x"),
            page("Labs agree to safety tests", &P[..4], &comments(26), "x"),
        ),
        (
            "the link lists inside main changed",
            cited.clone(),
            page(
                "Labs agree to safety tests",
                &P[..4],
                &related(12, "b"),
                "x",
            ),
        ),
        (
            "a redesign",
            cited.clone(),
            page(
                "Labs agree to safety tests | The Paper",
                &P[..4],
                "<div class=promo><p>Subscribe to our newsletter for more.</p></div>",
                "a whole new menu with many more sections y",
            ),
        ),
        (
            "paragraphs reordered",
            cited.clone(),
            page(
                "Labs agree to safety tests",
                &reordered,
                &related(8, "a"),
                "x",
            ),
        ),
        (
            "a retraction notice above the text",
            cited.clone(),
            page(
                "Labs agree to safety tests",
                &[
                    "Correction: an earlier version of this article misstated the date of the consultation.",
                    P[0],
                    P[1],
                    P[2],
                    P[3],
                ],
                &related(8, "a"),
                "x",
            ),
        ),
    ]
}

/// (what happened, cited page, page now)
fn rotten() -> Vec<(&'static str, String, String)> {
    let cited = page("Labs agree to safety tests", &P[..4], &related(8, "a"), "x");
    vec![
        ("rewritten as another article", cited.clone(), page("Markets close higher", &["Shares rose on Tuesday as investors welcomed figures showing inflation easing faster than expected in most regions.", "Analysts said the central bank was now likely to cut rates before the summer, though some warned against optimism."], &related(8, "a"), "x")),
        ("a usurped domain", cited.clone(), "<html><head><title>Best casino bonuses 2026</title></head><body><h1>Top online casinos</h1><p>Claim free spins and the best welcome bonus at the casinos we reviewed this month, with fast payouts.</p></body></html>".to_string()),
        ("only a withdrawal notice", cited.clone(), page("Labs agree to safety tests", &["This article has been withdrawn."], "", "x")),
        ("an error page at the address", cited.clone(), page("Sorry, we couldn't find that page", &["The page you were looking for may have been moved or deleted. Try searching our site."], &related(4, "c"), "x")),
        ("the organisation's home page", cited, page("Department for Science", &["We are the department responsible for science, innovation and technology policy.", "Find out about our work, our ministers and how we are organised."], &related(10, "d"), "x")),
    ]
}

/// Kept at least, by every edited-but-alive page.
pub const EDITED_KEEPS: f64 = 0.7;
/// Kept at most, by every rotten page.
pub const ROTTEN_KEEPS: f64 = 0.15;

#[test]
fn edited_pages_keep_their_cited_text_and_rotten_ones_do_not() {
    for (what, cited, now) in edited_but_alive() {
        let kept = containment(&main_text(cited.as_bytes()), &main_text(now.as_bytes()));
        assert!(kept >= EDITED_KEEPS, "{what}: keeps {kept:.2}");
    }
    for (what, cited, now) in rotten() {
        let kept = containment(&main_text(cited.as_bytes()), &main_text(now.as_bytes()));
        assert!(kept <= ROTTEN_KEEPS, "{what}: keeps {kept:.2}");
    }
}

/// The measure drift used before: a similarity of the two texts, which growth, comments and
/// link lists alone pulled under half (what the corpus is here to prevent).
#[test]
fn similarity_alone_would_flag_edited_pages() {
    let flagged = edited_but_alive()
        .into_iter()
        .filter(|(_, cited, now)| {
            super::text::similarity(&main_text(cited.as_bytes()), &main_text(now.as_bytes())) < 0.5
        })
        .count();
    assert!(
        flagged >= 1,
        "the corpus no longer tells the two measures apart"
    );
}

#[test]
fn main_text_prefers_the_article_and_leaves_link_lists_out() {
    let cited = page("Labs agree to safety tests", &P[..4], &related(8, "a"), "x");
    let text = main_text(cited.as_bytes());
    assert!(
        text.starts_with("Labs agree to safety tests The government announced"),
        "{text}"
    );
    assert!(!text.contains("Another story"), "{text}");
    // A page that is only a list of links keeps it: it is the content.
    let list = format!("<main>{}</main>", related(6, "z"));
    assert!(main_text(list.as_bytes()).contains("Another story about z number 5"));
}
