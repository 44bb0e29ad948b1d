//! Crawling a live site: its own pages fetched over HTTP, breadth first from the start URL
//! and the site's sitemaps, each page's citations extracted with the same HTML rules as a
//! file scan, with the page's URL as the citation's file.
//!
//! Polite as checks are (`[check]` per-host limit and interval, raised to the site's
//! robots.txt Crawl-delay; Retry-After honoured), obedient to robots.txt for our user
//! agent, bounded by `[crawl] max_pages` and `max_depth` (a calendar's endless `?page=N`
//! ends there), and guarded: loopback, private and link-local addresses are refused unless
//! `[crawl] allow_private`, judged on the addresses a name resolves to, not on the name.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use texting_robots::Robot;
use url::Url;

use crate::Error;
use crate::config::Config;
use crate::fetch::client;
use crate::fetch::guard::Guard;
use crate::fetch::politeness::{Gates, retry_after};
use crate::fetch::transport;
use crate::link::Site;
use crate::scan::{FileScan, ScanOptions, scan_page};

/// The product token matched against robots.txt `User-agent` lines.
const ROBOTS_AGENT: &str = "citekeep";

/// Sitemap documents read at most (a sitemap index can name many).
const MAX_SITEMAPS: usize = 50;

/// Bytes of one sitemap read at most, compressed or inflated: the sitemaps protocol's limit.
const MAX_SITEMAP_BYTES: u64 = 50 << 20;

/// Paths with these endings are never pages: not fetched.
const NOT_PAGES: &[&str] = &[
    ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico", ".css", ".js", ".zip", ".gz",
    ".mp4", ".mp3", ".webm", ".woff", ".woff2", ".ttf", ".xml", ".json", ".txt", ".docx", ".xlsx",
    ".pptx",
];

/// What a crawl did besides the pages it read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrawlStats {
    /// HTML pages read.
    pub pages: usize,
    /// Requests made (pages, redirects, robots.txt, sitemaps, retries).
    pub requests: usize,
    /// Links robots.txt disallows.
    pub robots: usize,
    /// Fetched resources that were not HTML, and links to documents never fetched.
    pub not_html: usize,
    /// Pages whose canonical address was already read.
    pub duplicates: usize,
    /// Links not followed: past `max_depth` or `max_pages`.
    pub over_limit: usize,
    /// Requests refused because the address was loopback, private or link-local.
    pub private: usize,
}

/// A crawl's pages (one scan each, in URL order), what went wrong, and its counts.
#[derive(Debug, Default)]
pub struct Crawl {
    /// One scan per page read, its `path` the page's URL.
    pub pages: Vec<FileScan>,
    /// Pages that could not be read, with the reason.
    pub errors: Vec<String>,
    /// Counts.
    pub stats: CrawlStats,
}

const PRIVATE_NOTE: &str = "is a loopback, private or link-local address, or resolves only \
                            to such (set [crawl] allow_private = true to crawl it)";

/// A fetched resource.
enum Fetched {
    /// An HTML page, where its redirects ended.
    Html { url: Url, body: String },
    /// Something else, or a page past a redirect off the site.
    Skipped(Skip),
    /// An error: the address that failed (a redirect hop, or none for the page asked for)
    /// and why, in words.
    Failed(Option<Url>, String),
}

#[derive(Clone, Copy)]
enum Skip {
    NotHtml,
    Robots,
    Private,
    OffSite,
}

/// An origin's robots.txt rules, fetched once (none: everything allowed).
type RobotsCell = Arc<tokio::sync::OnceCell<Option<Arc<Robot>>>>;

/// What every fetch shares.
struct Ctx {
    client: reqwest::Client,
    gates: Gates,
    site: Site,
    robots: Mutex<HashMap<String, RobotsCell>>,
    guard: Arc<Guard>,
    max_body: u64,
    max_redirects: usize,
    retries: u32,
    retry_after_cap: u64,
    requests: std::sync::atomic::AtomicUsize,
}

fn host_key(url: &Url) -> String {
    url.host_str().unwrap_or_default().to_string()
}

fn error_text(e: &reqwest::Error) -> String {
    transport::classify(e).detail
}

/// Why a crawl's request got no answer.
enum NoAnswer {
    /// The address is private (loopback, private, link-local), and crawls never go there.
    Private,
    /// Any other failure, in words.
    Failed(String),
}

impl Ctx {
    /// One GET (with retries after 429/503 and Retry-After), politely.
    async fn get(&self, url: &Url) -> Result<reqwest::Response, NoAnswer> {
        let host = host_key(url);
        let mut attempt = 0;
        loop {
            let pass = self.gates.enter(&host).await;
            self.requests
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let response = self
                .client
                .get(url.clone())
                .header(
                    reqwest::header::ACCEPT,
                    "text/html,application/xhtml+xml,*/*;q=0.5",
                )
                .send()
                .await;
            drop(pass);
            let response = response.map_err(|e| {
                let t = transport::classify(&e);
                if t.kind == transport::Kind::Private {
                    NoAnswer::Private
                } else {
                    NoAnswer::Failed(t.detail)
                }
            })?;
            let status = response.status().as_u16();
            if (status == 429 || status == 503) && attempt < self.retries {
                let wait = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| retry_after(v, crate::clock::now()))
                    .unwrap_or(Duration::from_secs(1));
                if wait <= Duration::from_secs(self.retry_after_cap) {
                    self.gates.defer(&host, tokio::time::Instant::now() + wait);
                    attempt += 1;
                    continue;
                }
            }
            return Ok(response);
        }
    }

    /// The robots.txt rules of `url`'s origin (none: everything allowed).
    async fn robots(&self, url: &Url) -> Option<Arc<Robot>> {
        let origin = url.origin().ascii_serialization();
        let cell = self
            .robots
            .lock()
            .expect("robots map poisoned")
            .entry(origin.clone())
            .or_default()
            .clone();
        cell.get_or_init(|| async {
            let robots_url = Url::parse(&format!("{origin}/robots.txt")).ok()?;
            let response = self.get(&robots_url).await.ok()?;
            if !response.status().is_success() {
                return None;
            }
            let body = read_capped(response, 512 * 1024).await.ok()?;
            Robot::new(ROBOTS_AGENT, &body).ok().map(Arc::new)
        })
        .await
        .clone()
    }

    async fn allowed(&self, url: &Url) -> bool {
        match self.robots(url).await {
            Some(robot) => robot.allowed(url.as_str()),
            None => true,
        }
    }

    /// Fetches a page of the site, following redirects that stay on it.
    async fn fetch(&self, start: Url) -> Fetched {
        let mut url = start;
        for _ in 0..=self.max_redirects {
            if self.guard.check(&url).is_err() {
                return Fetched::Skipped(Skip::Private);
            }
            if !self.allowed(&url).await {
                return Fetched::Skipped(Skip::Robots);
            }
            let response = match self.get(&url).await {
                Ok(r) => r,
                Err(NoAnswer::Private) => return Fetched::Skipped(Skip::Private),
                Err(NoAnswer::Failed(e)) => return Fetched::Failed(Some(url), e),
            };
            let status = response.status();
            if status.is_redirection() {
                let Some(next) = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                else {
                    return Fetched::Failed(Some(url), format!("{status} without a Location"));
                };
                if !self.site.is_own(next.host_str().unwrap_or_default()) {
                    return Fetched::Skipped(Skip::OffSite);
                }
                url = next;
                continue;
            }
            if !status.is_success() {
                return Fetched::Failed(Some(url), format!("HTTP {}", status.as_u16()));
            }
            let html = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| {
                    let t = t.to_ascii_lowercase();
                    t.starts_with("text/html") || t.starts_with("application/xhtml")
                });
            if !html {
                return Fetched::Skipped(Skip::NotHtml);
            }
            return match read_capped(response, self.max_body).await {
                Ok(body) => Fetched::Html {
                    url,
                    body: String::from_utf8_lossy(&body).into_owned(),
                },
                Err(e) => Fetched::Failed(Some(url), e),
            };
        }
        Fetched::Failed(
            None,
            format!("more than {} redirects (a loop?)", self.max_redirects),
        )
    }

    /// The page URLs the site's sitemaps list (robots.txt `Sitemap:` lines, else
    /// /sitemap.xml), through sitemap indexes and gzip: at most `max_pages` distinct ones,
    /// [`MAX_SITEMAPS`] documents, each at most [`MAX_SITEMAP_BYTES`] inflated (the
    /// sitemaps protocol's own limit), read one at a time, so a gzip bomb of sitemaps
    /// costs one capped document of memory.
    async fn sitemap_pages(&self, start: &Url, max_pages: usize) -> Vec<Url> {
        let mut queue: Vec<Url> = match self.robots(start).await {
            Some(r) if !r.sitemaps.is_empty() => r
                .sitemaps
                .iter()
                .filter_map(|s| Url::parse(s).ok())
                .collect(),
            _ => start.join("/sitemap.xml").into_iter().collect(),
        };
        let mut read: HashSet<String> = HashSet::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut pages = Vec::new();
        while let Some(map) = queue.pop() {
            if pages.len() >= max_pages {
                break;
            }
            if read.len() >= MAX_SITEMAPS || !read.insert(map.to_string()) {
                continue;
            }
            if !self.site.is_own(map.host_str().unwrap_or_default())
                || self.guard.check(&map).is_err()
            {
                continue;
            }
            let Ok(response) = self.get(&map).await else {
                continue;
            };
            if !response.status().is_success() {
                continue;
            }
            let Ok(body) = read_capped(response, MAX_SITEMAP_BYTES).await else {
                continue;
            };
            let text = gunzip_if_needed(body);
            let is_index = text.contains("<sitemapindex");
            each_loc(&text, |loc| {
                let Ok(loc) = Url::parse(&loc) else {
                    return true;
                };
                if is_index {
                    queue.push(loc);
                    queue.len() < MAX_SITEMAPS
                } else {
                    if seen.insert(page_key(&loc)) {
                        pages.push(loc);
                    }
                    pages.len() < max_pages
                }
            });
        }
        pages
    }
}

async fn read_capped(response: reqwest::Response, cap: u64) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| error_text(&e))?;
        let room = (cap as usize).saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() as u64 >= cap {
            break;
        }
    }
    Ok(body)
}

/// A sitemap's text, gunzipped when it is gzip (at most [`MAX_SITEMAP_BYTES`] out).
fn gunzip_if_needed(body: Vec<u8>) -> String {
    if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let _ = flate2::read::MultiGzDecoder::new(&body[..])
            .take(MAX_SITEMAP_BYTES)
            .read_to_end(&mut out);
        return String::from_utf8_lossy(&out).into_owned();
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// Whether a sitemap is an index, and its `<loc>` values (entities and CDATA undone).
pub fn parse_sitemap(text: &str) -> (bool, Vec<String>) {
    let mut locs = Vec::new();
    let is_index = each_loc(text, |loc| {
        locs.push(loc);
        true
    });
    (is_index, locs)
}

/// Calls `found` with each `<loc>` of a sitemap in turn (entities and CDATA undone) until
/// it returns false, holding none of them; says whether the sitemap is an index.
fn each_loc(text: &str, mut found: impl FnMut(String) -> bool) -> bool {
    let is_index = text.contains("<sitemapindex");
    let mut rest = text;
    while let Some(start) = rest.find("<loc>") {
        rest = &rest[start + 5..];
        let Some(end) = rest.find("</loc>") else {
            break;
        };
        let raw = rest[..end].trim();
        let raw = raw
            .strip_prefix("<![CDATA[")
            .and_then(|r| r.strip_suffix("]]>"))
            .unwrap_or(raw);
        let loc = raw
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&");
        if !found(loc) {
            break;
        }
        rest = &rest[end + 6..];
    }
    is_index
}

/// The URL without its fragment, as the crawl's identity of a page.
fn page_key(url: &Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    u.to_string()
}

fn looks_like_document(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    NOT_PAGES.iter().any(|ext| path.ends_with(ext))
}

/// Crawls the site at `start`: its host, `[site] base_url`'s and `[site] aliases` are the
/// site; `keep_internal` lists links to the site as citations too (as `scan --internal`).
pub fn crawl(
    start: &str,
    config: &Config,
    base: &Path,
    keep_internal: bool,
) -> Result<Crawl, Error> {
    let start_url = Url::parse(start)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| Error::Config(format!("{start}: not an http(s) URL to crawl")))?;
    let mut aliases = config.site.aliases.clone();
    aliases.extend(config.site.base_url.iter().cloned());
    let site = Site::new(Some(start), &aliases)?;
    let cfg = &config.crawl;
    let guard = Arc::new(if cfg.allow_private {
        Guard::open()
    } else {
        Guard::strict()
    });
    if guard.check(&start_url).is_err() {
        return Err(Error::Config(format!(
            "{start}: {} is a loopback, private or link-local address; set [crawl] \
             allow_private = true to crawl it",
            start_url.host_str().unwrap_or_default()
        )));
    }
    let client = client::build(&config.check, base, true, &guard)?;
    let runtime = crate::fetch::runtime()?;
    let options = ScanOptions {
        site: site.clone(),
        keep_internal,
        digest: false,
        max_file_size: 0,
    };
    runtime.block_on(async move {
        // The start host's robots.txt first: its Crawl-delay sets the pace.
        let probe = Ctx {
            client: client.clone(),
            gates: Gates::new(1, 1, Duration::ZERO),
            site: site.clone(),
            robots: Mutex::new(HashMap::new()),
            guard,
            max_body: config.check.max_body,
            max_redirects: config.check.max_redirects,
            retries: config.check.retries,
            retry_after_cap: config.check.retry_after_cap,
            requests: Default::default(),
        };
        let delay = probe
            .robots(&start_url)
            .await
            .and_then(|r| r.delay)
            .map_or(Duration::ZERO, |d| {
                Duration::from_secs_f32(d.clamp(0.0, 60.0))
            });
        let interval = Duration::from_millis(config.check.host_interval).max(delay);
        let per_host = if delay.is_zero() {
            config.check.per_host
        } else {
            1 // a Crawl-delay means one request at a time, that far apart
        };
        let ctx = Ctx {
            gates: Gates::new(config.check.concurrency, per_host, interval),
            ..probe
        };
        run(&ctx, start_url, cfg, &options).await
    })
}

async fn run(
    ctx: &Ctx,
    start: Url,
    cfg: &crate::config::CrawlConfig,
    options: &ScanOptions,
) -> Result<Crawl, Error> {
    let mut out = Crawl::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut read_canonical: HashSet<String> = HashSet::new();
    seen.insert(page_key(&start));
    let mut level = vec![start.clone()];
    if cfg.sitemaps {
        for page in ctx.sitemap_pages(&start, cfg.max_pages).await {
            if ctx.site.is_own(page.host_str().unwrap_or_default()) && seen.insert(page_key(&page))
            {
                level.push(page);
            }
        }
    }
    let mut depth = 0;
    let mut budget = cfg.max_pages;
    while !level.is_empty() {
        if level.len() > budget {
            out.stats.over_limit += level.len() - budget;
            level.truncate(budget);
        }
        budget -= level.len();
        let fetched: Vec<(Url, Fetched)> = futures_util::stream::iter(level)
            .map(|url| async move {
                let f = if looks_like_document(&url) {
                    Fetched::Skipped(Skip::NotHtml)
                } else {
                    ctx.fetch(url.clone()).await
                };
                (url, f)
            })
            .buffer_unordered(ctx.gates.width())
            .collect()
            .await;
        let mut next = Vec::new();
        for (asked, result) in fetched {
            let (url, body) = match result {
                Fetched::Html { url, body } => (url, body),
                Fetched::Skipped(Skip::Private) if asked == start => {
                    // The site itself is private: say so (a link to one is only counted).
                    out.stats.private += 1;
                    out.errors.push(format!(
                        "{asked}: {} {PRIVATE_NOTE}",
                        asked.host_str().unwrap_or_default()
                    ));
                    continue;
                }
                Fetched::Skipped(skip) => {
                    match skip {
                        Skip::NotHtml => out.stats.not_html += 1,
                        Skip::Robots => out.stats.robots += 1,
                        Skip::Private => out.stats.private += 1,
                        Skip::OffSite => {}
                    }
                    continue;
                }
                Fetched::Failed(at, why) => {
                    out.errors
                        .push(format!("{}: {why}", at.as_ref().unwrap_or(&asked)));
                    continue;
                }
            };
            let mut scan = FileScan {
                path: PathBuf::from(url.as_str()),
                ..FileScan::default()
            };
            let links = scan_page(&body, &url, options, &mut scan);
            // One copy of a page however many addresses reach it.
            let identity = links
                .canonical
                .as_deref()
                .and_then(|c| Url::parse(c).ok())
                .filter(|c| ctx.site.is_own(c.host_str().unwrap_or_default()))
                .map_or_else(|| page_key(&url), |c| page_key(&c));
            seen.insert(page_key(&url));
            if !read_canonical.insert(identity) {
                out.stats.duplicates += 1;
                continue;
            }
            out.stats.pages += 1;
            for link in links.internal {
                let Ok(link) = Url::parse(&link) else {
                    continue;
                };
                if !matches!(link.scheme(), "http" | "https") || !seen.insert(page_key(&link)) {
                    continue;
                }
                if depth + 1 > cfg.max_depth {
                    out.stats.over_limit += 1;
                    continue;
                }
                let mut link = link;
                link.set_fragment(None);
                next.push(link);
            }
            out.pages.push(scan);
        }
        next.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        level = next;
        depth += 1;
    }
    out.pages.sort_by(|a, b| a.path.cmp(&b.path));
    out.stats.requests = ctx.requests.load(std::sync::atomic::Ordering::Relaxed);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sitemaps_and_indexes() {
        let (index, locs) = parse_sitemap(
            "<?xml version='1.0'?><sitemapindex><sitemap><loc> https://x.org/s1.xml.gz </loc></sitemap></sitemapindex>",
        );
        assert!(index);
        assert_eq!(locs, ["https://x.org/s1.xml.gz"]);
        let (index, locs) = parse_sitemap(
            "<urlset><url><loc>https://x.org/a?b=1&amp;c=2</loc></url><url><loc><![CDATA[https://x.org/c]]></loc></url></urlset>",
        );
        assert!(!index);
        assert_eq!(locs, ["https://x.org/a?b=1&c=2", "https://x.org/c"]);
    }
}
