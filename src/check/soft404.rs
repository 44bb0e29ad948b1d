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

#[cfg(test)]
mod tests {
    use super::*;

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
