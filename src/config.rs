//! `config.toml`: the schema (serde, unknown keys rejected with their line) and loading,
//! with paths resolved against the file's own folder.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;

/// The whole configuration file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What the site is and where its sources are.
    #[serde(default)]
    pub site: SiteConfig,
    /// How links are checked.
    #[serde(default)]
    pub check: CheckConfig,
    /// When a failing link is declared dead.
    #[serde(default)]
    pub verdict: VerdictConfig,
    /// Where the history and the archive live.
    #[serde(default)]
    pub archive: ArchiveConfig,
    /// `[report]`: what `run` writes and when it exits 1.
    #[serde(default)]
    pub report: ReportConfig,
    /// `[fix]`: how `fix` rewrites dead citations.
    #[serde(default)]
    pub fix: FixConfig,
    /// `[crawl]`: how a live site is crawled.
    #[serde(default)]
    pub crawl: CrawlConfig,
    /// `[serve]`: the archive browser.
    #[serde(default)]
    pub serve: ServeConfig,
    /// `[archives]`: the public web archives asked for copies, and saving to them.
    #[serde(default)]
    pub archives: ArchivesConfig,
    /// `[browser]`: the headless Chromium that captures pages built by script.
    #[serde(default)]
    pub browser: BrowserConfig,
}

/// When a page is captured with a browser.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BrowserUse {
    /// When its HTTP capture is an application shell, or its host is in `[browser] hosts`.
    #[default]
    Auto,
    /// Every page.
    Always,
    /// Never.
    Never,
}

/// `[browser]`: the headless Chromium for pages built by script.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrowserConfig {
    /// The Chromium (or Chrome) program; empty: `chromium`, `chromium-browser`,
    /// `google-chrome` or `google-chrome-stable` on PATH.
    pub executable: String,
    /// Seconds one page may take in all (loading, waiting for the network to be idle,
    /// scrolling, the screenshot).
    pub timeout: f64,
    /// Pages open at once.
    pub concurrency: usize,
    /// Hosts whose pages are always captured with the browser (`x.com`).
    pub hosts: Vec<String>,
}

impl Default for BrowserConfig {
    fn default() -> Self {
        BrowserConfig {
            executable: String::new(),
            timeout: 20.0,
            concurrency: 2,
            hosts: Vec::new(),
        }
    }
}

/// `[archives]`: where public copies of cited pages are looked for and created.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchivesConfig {
    /// Whether `run` looks up public copies of failing, dead and archive-moved links.
    pub enabled: bool,
    /// Ask the Internet Archive's Wayback Machine (its CDX API).
    pub wayback: bool,
    /// Ask archive.today (its Memento TimeMap).
    pub archive_today: bool,
    /// Ask the UK Government Web Archive, for UK public-sector hosts (its Memento TimeMap).
    pub ukgwa: bool,
    /// More Memento TimeMap URL templates to ask, with `{url}` (Arquivo.pt, the Library of
    /// Congress, the TimeTravel aggregator).
    pub timemaps: Vec<String>,
    /// Days before a link's lookup is made again (a dead link is not asked about nightly).
    pub lookup_days: u32,
    /// Links looked up by one `run` at most; the rest wait for the next night.
    pub max_lookups: usize,
    /// Seconds between two requests to one archive's lookup API (the Wayback Machine
    /// allows about 24 a minute for CDX and TimeMaps).
    pub api_interval: f64,
    /// Seconds between two requests to archive.today's TimeMap (it is stricter than the
    /// Wayback Machine).
    pub archive_today_interval: f64,
    /// Submit live cited pages to Save Page Now, within `save_max` a run (credentials from
    /// `CITEKEEP_IA_ACCESS` and `CITEKEEP_IA_SECRET`).
    pub save: bool,
    /// Save Page Now jobs in progress at once.
    pub save_jobs: usize,
    /// Pages one run submits to Save Page Now at most (the account's daily allowance is
    /// spent on what matters most first).
    pub save_max: usize,
    /// Seconds between two polls of a Save Page Now job.
    pub save_poll: f64,
    /// Seconds a run waits for one Save Page Now job before leaving it to the next run.
    pub save_wait: f64,
}

impl Default for ArchivesConfig {
    fn default() -> Self {
        ArchivesConfig {
            enabled: true,
            wayback: true,
            archive_today: true,
            ukgwa: true,
            timemaps: Vec::new(),
            lookup_days: 30,
            max_lookups: 100,
            api_interval: 2.5,
            archive_today_interval: 10.0,
            save: false,
            save_jobs: 3,
            save_max: 100,
            save_poll: 5.0,
            save_wait: 120.0,
        }
    }
}

/// `[serve]`: how the archive browser is reached.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    /// The address and port `serve` listens on (`--listen` overrides it).
    pub listen: String,
    /// The address people open the browser at when it is not the one it listens on (a
    /// reverse proxy's, say): its host name is accepted in requests and absolute links
    /// are made under it. Empty: only addresses and `localhost` are accepted.
    pub public_url: String,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: "127.0.0.1:8080".to_string(),
            public_url: String::new(),
        }
    }
}

impl ServeConfig {
    /// `listen` parsed (an error names the key).
    pub fn listen(&self) -> Result<std::net::SocketAddr, Error> {
        self.listen.trim().parse().map_err(|_| {
            Error::Config(format!(
                "[serve] listen `{}` is not an address and port such as 127.0.0.1:8080",
                self.listen
            ))
        })
    }

    /// `public_url` parsed (an error names the key).
    pub fn public_url(&self) -> Result<Option<url::Url>, Error> {
        let text = self.public_url.trim();
        if text.is_empty() {
            return Ok(None);
        }
        url::Url::parse(text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .map(Some)
            .ok_or_else(|| {
                Error::Config(format!(
                    "[serve] public_url `{text}` is not an http(s) address"
                ))
            })
    }
}

/// `[crawl]`: bounds and safety of crawling a live site (politeness comes from `[check]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrawlConfig {
    /// Pages fetched at most.
    pub max_pages: usize,
    /// Links followed from the start page at most.
    pub max_depth: usize,
    /// Whether loopback, private and link-local addresses may be crawled.
    pub allow_private: bool,
    /// Whether the site's sitemaps (robots.txt `Sitemap:`, else /sitemap.xml) seed the crawl.
    pub sitemaps: bool,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            max_pages: 10_000,
            max_depth: 20,
            allow_private: false,
            sitemaps: true,
        }
    }
}

/// `[check]`: the client, politeness and scheduling of checks.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CheckConfig {
    /// Seconds one request may take in all (connecting, waiting, reading).
    pub timeout: f64,
    /// Seconds to establish a connection.
    pub connect_timeout: f64,
    /// Seconds one link may take in all: every redirect hop, retry, wait and probe of its
    /// check, or a snapshot's page with its requisites; unset: `timeout × (retries + 2)`.
    pub deadline: Option<f64>,
    /// Requests in flight at once, over all hosts.
    pub concurrency: usize,
    /// Requests in flight at once to one host.
    pub per_host: usize,
    /// Milliseconds between the starts of two requests to one host.
    pub host_interval: u64,
    /// Further attempts after a timeout, a reset, a 5xx or a 429.
    pub retries: u32,
    /// Longest `Retry-After` (seconds) honoured; a longer one ends the attempts.
    pub retry_after_cap: u64,
    /// Bytes of a body read at most.
    pub max_body: u64,
    /// Redirects followed at most.
    pub max_redirects: usize,
    /// Days between checks of a link that is alive.
    pub recheck_days: u32,
    /// Contact (URL or e-mail) put in the User-Agent, so site owners can reach us.
    pub contact: String,
    /// Proxy for all requests (e.g. `http://proxy:3128`); empty means HTTP(S)_PROXY/NO_PROXY.
    pub proxy: String,
    /// Extra PEM files of trusted root certificates (besides the system's and SSL_CERT_FILE).
    pub ca_certs: Vec<String>,
    /// Probe a random never-existing path next to each page to find soft 404s.
    pub soft404_probe: bool,
    /// No longer used: headers go per host (`[check.hosts."example.org"] headers`), so none
    /// reaches a host a redirect leads to. Only an empty table is accepted.
    pub headers: std::collections::BTreeMap<String, String>,
    /// Settings for some hosts (and their subdomains): `[check.hosts."example.org"]`.
    pub hosts: std::collections::BTreeMap<String, HostSettings>,
    /// Whether loopback and private addresses that the site's own sources name literally
    /// are checked and archived (redirects and page requisites never reach one).
    pub allow_private_sources: bool,
}

/// `[check.hosts."HOST"]`: what one host (and its subdomains) gets.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HostSettings {
    /// Headers sent with every request to this host (a cookie or token it needs): never to
    /// another host, never written to a log, nor to WARC request records unless
    /// `[archive] record_credentials`.
    pub headers: std::collections::BTreeMap<String, String>,
}

impl CheckConfig {
    /// How long one link may take in all (see [`CheckConfig::deadline`]).
    pub fn link_deadline(&self) -> std::time::Duration {
        let secs = self
            .deadline
            .unwrap_or(self.timeout * f64::from(self.retries + 2))
            .clamp(0.001, MAX_SECONDS);
        std::time::Duration::from_secs_f64(secs)
    }
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            timeout: 20.0,
            connect_timeout: 10.0,
            deadline: None,
            concurrency: 64,
            per_host: 2,
            host_interval: 250,
            retries: 2,
            retry_after_cap: 60,
            max_body: 5_000_000,
            max_redirects: 10,
            recheck_days: 7,
            contact: String::new(),
            proxy: String::new(),
            ca_certs: Vec::new(),
            soft404_probe: true,
            headers: Default::default(),
            hosts: Default::default(),
            allow_private_sources: true,
        }
    }
}

/// `[verdict]`: how much failure makes a link dead.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VerdictConfig {
    /// Failing checks needed.
    pub strikes: u32,
    /// Days the failing checks must span.
    pub days: u32,
}

impl Default for VerdictConfig {
    fn default() -> Self {
        VerdictConfig {
            strikes: 3,
            days: 3,
        }
    }
}

/// `[archive]`: the folder holding the history database and the WARC archive.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveConfig {
    /// The archive folder, relative to the config file.
    pub dir: String,
    /// Bytes after which a new WARC file is started.
    pub max_file_size: u64,
    /// Bytes of one captured body kept at most (longer ones are truncated and marked so).
    pub max_size: u64,
    /// Bytes of one page requisite (stylesheet, image, font) kept at most.
    pub requisite_max_size: u64,
    /// A page has drifted when less than this share of its first archived text remains
    /// (Jaccard similarity of word 3-shingles, 0 to 1).
    pub drift: f64,
    /// Whether `[check] headers` are written into WARC request records as sent.
    pub record_credentials: bool,
    /// Days after which a live link's newest snapshot is renewed by `run` even when the
    /// link is not due for a check (a link without one gets one on the next `run`).
    pub refresh_days: u32,
    /// When pages are captured with a headless browser as well (`[browser]`).
    pub browser: BrowserUse,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        ArchiveConfig {
            dir: "archive".to_string(),
            max_file_size: 1_000_000_000,
            max_size: 50_000_000,
            requisite_max_size: 5_000_000,
            drift: 0.5,
            record_credentials: false,
            refresh_days: 30,
            browser: BrowserUse::Auto,
        }
    }
}

/// When `run` exits 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// A link became dead in this run.
    #[default]
    New,
    /// Any cited link is dead.
    Any,
    /// Never (rot is only reported).
    Never,
}

/// `[report]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// When `run` exits 1.
    pub fail_on: FailOn,
    /// Report files `run` writes, the format chosen by extension; unset means
    /// `reports/latest.html` and `reports/latest.json` in the archive folder, `[]` none.
    pub files: Option<Vec<String>>,
    /// Where an archived copy is read: a template with `{timestamp}` and `{url}`; empty
    /// means the archive browser's own address (see [`Config::replay_url`]).
    pub replay_url: String,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            fail_on: FailOn::New,
            files: None,
            replay_url: String::new(),
        }
    }
}

/// How `fix` points a dead citation at its archived copy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FixStyle {
    /// The citation's URL becomes the copy's URL (HTML keeps the original in Robust Links
    /// attributes).
    #[default]
    Replace,
    /// The URL stays; an "(archived copy)" link follows it.
    Append,
}

/// `[fix]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FixConfig {
    /// Replace the URL or append a link to the copy.
    pub style: FixStyle,
    /// The copy's URL template (`{timestamp}`, `{url}`); empty means `[report] replay_url`.
    pub copy_url: String,
}

/// `[site]`: the sources to scan and the site's own address.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Files and folders to scan (relative to the config file's folder).
    #[serde(default)]
    pub sources: Vec<String>,
    /// The site's public address: links to its host are internal.
    pub base_url: Option<String>,
    /// Other host names of the same site (mirrors, old domains).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Globs of files to scan inside source folders; empty means every supported file.
    #[serde(default)]
    pub include: Vec<String>,
    /// Globs of files and folders to skip inside source folders.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Files larger than this many bytes are not scanned (an error names them).
    #[serde(default = "default_max_file_size")]
    pub max_file_size: u64,
}

fn default_max_file_size() -> u64 {
    16_000_000
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            sources: Vec::new(),
            base_url: None,
            aliases: Vec::new(),
            include: Vec::new(),
            exclude: Vec::new(),
            max_file_size: default_max_file_size(),
        }
    }
}

/// A loaded configuration and the folder its relative paths are relative to.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// The parsed file (defaults when there was none).
    pub config: Config,
    /// The folder holding the config file.
    pub dir: PathBuf,
    /// The file it was read from, if any.
    pub path: Option<PathBuf>,
}

impl Loaded {
    /// The configured sources as paths.
    pub fn sources(&self) -> Vec<PathBuf> {
        self.config
            .site
            .sources
            .iter()
            .map(|s| self.resolve(s))
            .collect()
    }

    /// The report files `run` writes: `[report] files`, or the two in the archive's
    /// `reports/` folder when the key is not set.
    pub fn report_files(&self, archive: &Path) -> Vec<PathBuf> {
        match &self.config.report.files {
            Some(files) => files.iter().map(|f| self.resolve(f)).collect(),
            None => ["latest.html", "latest.json"]
                .iter()
                .map(|name| archive.join("reports").join(name))
                .collect(),
        }
    }

    /// A path from the config, relative to the config file's folder.
    pub fn resolve(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        if is_site(path)
            || p.is_absolute()
            || self.dir.as_os_str().is_empty()
            || self.dir == Path::new(".")
        {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }
}

/// Whether a source is a live site to crawl (an http(s) URL) rather than a path.
pub fn is_site(source: &str) -> bool {
    let lower = source.trim_start().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Parses configuration text and checks every value's range; `path` names the file in
/// errors.
pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
    let config: Config = toml::from_str(text).map_err(|e| Error::ConfigFile {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })?;
    config.validate().map_err(|message| Error::ConfigFile {
        path: path.to_path_buf(),
        message,
    })?;
    Ok(config)
}

/// The longest wait of any kind citekeep accepts: an hour.
pub const MAX_SECONDS: f64 = 3600.0;

/// Checks a number of seconds given on the command line or in the file: a finite number
/// above zero, at most [`MAX_SECONDS`].
pub fn check_seconds(value: f64) -> Result<f64, String> {
    if (0.001..=MAX_SECONDS).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{value} is not a duration citekeep accepts: give seconds from 0.001 to {MAX_SECONDS}"
        ))
    }
}

/// Parses `--timeout SECONDS` (clap's value parser).
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    check_seconds(value)
}

/// Checks that `value` of `key` lies in `range`, saying the range and unit when not.
fn in_range<T>(
    key: &str,
    value: T,
    range: std::ops::RangeInclusive<T>,
    unit: &str,
) -> Result<(), String>
where
    T: PartialOrd + std::fmt::Display + Copy,
{
    if range.contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{key} = {value}: must be from {} to {} {unit}",
            range.start(),
            range.end()
        ))
    }
}

impl Config {
    /// The template of an archived copy's address in reports (`{timestamp}`, `{url}`):
    /// `[report] replay_url` when set, else the archive browser's: under `[serve]
    /// public_url` when set, else at `[serve] listen`.
    pub fn replay_url(&self) -> String {
        let set = self.report.replay_url.trim();
        if !set.is_empty() {
            return set.to_string();
        }
        let public = self.serve.public_url.trim().trim_end_matches('/');
        if public.is_empty() {
            format!(
                "http://{}/web/{{timestamp}}/{{url}}",
                self.serve.listen.trim()
            )
        } else {
            format!("{public}/web/{{timestamp}}/{{url}}")
        }
    }

    /// Checks every duration, count and size against the range citekeep can honour (an
    /// error names the key, its range and unit); files named by the configuration are
    /// checked when they are read.
    pub fn validate(&self) -> Result<(), String> {
        if let Err(Error::Config(why)) = self.serve.listen() {
            return Err(why);
        }
        let c = &self.check;
        for (key, value) in [
            ("[check] timeout", c.timeout),
            ("[check] connect_timeout", c.connect_timeout),
        ] {
            check_seconds(value).map_err(|e| format!("{key}: {e}"))?;
        }
        if let Some(deadline) = c.deadline {
            check_seconds(deadline).map_err(|e| format!("[check] deadline: {e}"))?;
        }
        if !c.headers.is_empty() {
            return Err(
                "[check] headers went to every host, redirect targets included: name the host \
                 they are for instead, as [check.hosts.\"example.org\"] headers = { ... }"
                    .to_string(),
            );
        }
        in_range(
            "[check] concurrency",
            c.concurrency,
            1..=MAX_CONCURRENCY,
            "requests",
        )?;
        in_range(
            "[check] per_host",
            c.per_host,
            1..=MAX_CONCURRENCY,
            "requests",
        )?;
        in_range(
            "[check] host_interval",
            c.host_interval,
            0..=600_000,
            "milliseconds",
        )?;
        in_range("[check] retries", c.retries, 0..=10, "retries")?;
        in_range(
            "[check] retry_after_cap",
            c.retry_after_cap,
            0..=3600,
            "seconds",
        )?;
        in_range("[check] max_body", c.max_body, 1024..=1 << 30, "bytes")?;
        in_range(
            "[check] max_redirects",
            c.max_redirects,
            0..=100,
            "redirects",
        )?;
        in_range("[check] recheck_days", c.recheck_days, 1..=3650, "days")?;
        let v = &self.verdict;
        in_range("[verdict] strikes", v.strikes, 1..=1000, "checks")?;
        in_range("[verdict] days", v.days, 0..=3650, "days")?;
        let a = &self.archive;
        in_range(
            "[archive] max_file_size",
            a.max_file_size,
            1024..=1 << 40,
            "bytes",
        )?;
        in_range("[archive] max_size", a.max_size, 1024..=1 << 32, "bytes")?;
        in_range(
            "[archive] requisite_max_size",
            a.requisite_max_size,
            1024..=1 << 32,
            "bytes",
        )?;
        in_range("[archive] refresh_days", a.refresh_days, 1..=3650, "days")?;
        if !(a.drift.is_finite() && (0.0..=1.0).contains(&a.drift)) {
            return Err(format!(
                "[archive] drift = {}: must be a share from 0 to 1 (0.5: half the text remains)",
                a.drift
            ));
        }
        in_range(
            "[crawl] max_pages",
            self.crawl.max_pages,
            1..=10_000_000,
            "pages",
        )?;
        in_range(
            "[crawl] max_depth",
            self.crawl.max_depth,
            0..=10_000,
            "links",
        )?;
        in_range(
            "[site] max_file_size",
            self.site.max_file_size,
            1..=1 << 40,
            "bytes",
        )?;
        check_seconds(self.browser.timeout).map_err(|e| format!("[browser] timeout: {e}"))?;
        in_range(
            "[browser] concurrency",
            self.browser.concurrency,
            1..=16,
            "pages",
        )?;
        let p = &self.archives;
        in_range("[archives] lookup_days", p.lookup_days, 1..=3650, "days")?;
        in_range(
            "[archives] max_lookups",
            p.max_lookups,
            0..=10_000_000,
            "links",
        )?;
        in_range("[archives] save_jobs", p.save_jobs, 1..=20, "jobs")?;
        in_range("[archives] save_max", p.save_max, 0..=100_000, "pages")?;
        for (key, value) in [
            ("api_interval", p.api_interval),
            ("archive_today_interval", p.archive_today_interval),
        ] {
            if !(value.is_finite() && (0.0..=3600.0).contains(&value)) {
                return Err(format!(
                    "[archives] {key} = {value}: must be from 0 to 3600 seconds"
                ));
            }
        }
        for (key, value) in [
            ("[archives] save_poll", p.save_poll),
            ("[archives] save_wait", p.save_wait),
        ] {
            check_seconds(value).map_err(|e| format!("{key}: {e}"))?;
        }
        for template in &p.timemaps {
            let probe = template.replace("{url}", "https://example.org/");
            let ok = template.contains("{url}")
                && url::Url::parse(&probe).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !ok {
                return Err(format!(
                    "[archives] timemaps: {template:?} must be an http(s) URL with {{url}} \
                     (https://arquivo.pt/wayback/timemap/link/{{url}})"
                ));
            }
        }
        Ok(())
    }
}

/// Requests in flight at most, over all hosts or to one: far above what a machine's file
/// descriptors allow, far below what would overflow a semaphore.
pub const MAX_CONCURRENCY: usize = 100_000;

/// Loads `explicit`, or `./config.toml` when it exists, or the defaults.
pub fn load(explicit: Option<&Path>) -> Result<Loaded, Error> {
    let default = Path::new("config.toml");
    let path = match explicit {
        Some(p) => p,
        None if default.is_file() => default,
        None => return Ok(Loaded::default()),
    };
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        error: e,
    })?;
    let config = parse(&text, path)?;
    Ok(Loaded {
        config,
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        path: Some(path.to_path_buf()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any text as config.toml is a configuration or an error naming the file, never a
        /// panic.
        #[test]
        fn any_config_text(text in "(\\[[a-z]{1,8}\\]|[a-z_]{1,12} = (\"[ -~]{0,10}\"|[0-9]{1,4}|true|\\[\\])|\n| |#[ -~]{0,10}){0,20}") {
            if let Err(e) = parse(&text, Path::new("c.toml")) {
                proptest::prop_assert!(e.to_string().starts_with("c.toml"), "{}", e);
            }
        }
    }

    /// Issue 28: report files linked local copies to a hard-coded 127.0.0.1:8080. The
    /// address follows `[serve]`: its public address when set, else where it listens.
    #[test]
    fn reports_link_copies_where_the_archive_browser_is() {
        let at = |text: &str| parse(text, Path::new("c.toml")).unwrap().replay_url();
        assert_eq!(at(""), "http://127.0.0.1:8080/web/{timestamp}/{url}");
        assert_eq!(
            at("[serve]\nlisten = \"0.0.0.0:9191\"\n"),
            "http://0.0.0.0:9191/web/{timestamp}/{url}"
        );
        assert_eq!(
            at("[serve]\npublic_url = \"https://archive.example.org/\"\n"),
            "https://archive.example.org/web/{timestamp}/{url}"
        );
        assert_eq!(
            at(
                "[report]\nreplay_url = \"https://w.example/{timestamp}/{url}\"\n[serve]\npublic_url = \"https://a.example\"\n"
            ),
            "https://w.example/{timestamp}/{url}"
        );
        let err = parse("[serve]\nlisten = \"nowhere\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("[serve] listen `nowhere`"), "{err}");
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = "[site]\nsources = [\"a\"]\nbase_url = \"https://x.org\"\nsoruces = []\n";
        let err = parse(text, Path::new("c.toml")).unwrap_err().to_string();
        assert!(err.starts_with("c.toml: "), "{err}");
        assert!(err.contains("line 4"), "{err}");
        assert!(err.contains("soruces"), "{err}");
    }

    #[test]
    fn unknown_table_is_an_error() {
        let err = parse("[sight]\nx = 1\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1") && err.contains("sight"), "{err}");
    }

    #[test]
    fn paths_are_relative_to_the_config_folder() {
        let loaded = Loaded {
            config: parse("[site]\nsources = [\"site\", \"/abs\"]", Path::new("x")).unwrap(),
            dir: PathBuf::from("conf"),
            path: None,
        };
        assert_eq!(
            loaded.sources(),
            [PathBuf::from("conf/site"), PathBuf::from("/abs")]
        );
    }
}
