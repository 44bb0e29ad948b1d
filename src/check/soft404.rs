//! Soft 404s: pages that answer 200 but are not the page cited. Three kinds of evidence
//! (Bar-Yossef et al. 2004 and common practice): a redirect from a deep page to the home page
//! (see `classify`), an error-page title, and an answer that looks like the answer to a
//! random never-existing path next to the page (the probe, made once per host and parent
//! folder per run). What is read of a page itself is [`crate::page`]'s.

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

/// Query parameters that name the item a page shows (`watch?v=ID`, `index.php?id=N`,
/// `article.aspx?articleid=...`).
const ITEM_PARAMETERS: &[&str] = &[
    "v",
    "id",
    "p",
    "page_id",
    "article",
    "articleid",
    "article_id",
    "story",
    "storyid",
    "item",
    "itemid",
    "doc",
    "docid",
    "pid",
    "nid",
    "aid",
    "cid",
    "post",
    "newsid",
];

/// A never-existing sibling of `url` and the key of the place it stands for (one probe per
/// place per run): for a page named by a query parameter, the same path with a random
/// value of that parameter; else a random name in the page's folder. `None` for a site's
/// root, which has no sibling.
pub fn sibling(url: &url::Url, name: &str) -> Option<(String, String)> {
    let origin = &url[..url::Position::BeforePath];
    let item = url
        .query_pairs()
        .find(|(k, _)| ITEM_PARAMETERS.contains(&k.to_ascii_lowercase().as_str()));
    if let Some((param, _)) = item {
        let param = param.into_owned();
        let mut probe = url.clone();
        probe.set_fragment(None);
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                if k == param {
                    (k.into_owned(), name.to_string())
                } else {
                    (k.into_owned(), v.into_owned())
                }
            })
            .collect();
        probe.query_pairs_mut().clear().extend_pairs(pairs);
        let key = format!("{origin}{}?{param}=", url.path());
        return Some((key, probe.into()));
    }
    if url.path() == "/" {
        return None;
    }
    Some((format!("{origin}{}", parent(url)), probe_url(url, name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_named_by_their_query_get_a_random_item() {
        let u = url::Url::parse("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42").unwrap();
        let (key, probe) = sibling(&u, "zz9").unwrap();
        assert_eq!(probe, "https://www.youtube.com/watch?v=zz9&t=42");
        assert_eq!(key, "https://www.youtube.com/watch?v=");
        let u = url::Url::parse("https://example.org/index.php?id=12").unwrap();
        assert_eq!(
            sibling(&u, "zz9").unwrap().1,
            "https://example.org/index.php?id=zz9"
        );
        let u = url::Url::parse("https://example.org/a/b").unwrap();
        assert_eq!(sibling(&u, "zz9").unwrap().1, "https://example.org/a/zz9");
        assert!(sibling(&url::Url::parse("https://example.org/").unwrap(), "zz9").is_none());
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
