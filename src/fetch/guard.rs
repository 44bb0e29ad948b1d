//! The address guard: no request that a remote answer leads to (a redirect hop, a page
//! requisite, a crawled link, a soft-404 probe) may reach loopback, private, link-local or
//! cloud-metadata addresses. Literal addresses are judged from the URL before a request;
//! names are judged on what they resolve to, in the client's resolver, so a name cannot
//! lead a request into the network citekeep runs in. (Through a proxy, the proxy resolves
//! names: only literals can be judged then.)
//!
//! What the site's own sources name literally (`http://127.0.0.1:8080/`, `localhost`) is
//! the user's choice and stays allowed unless `[check] allow_private_sources = false`.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use url::Url;

/// Whether an address is loopback, private, link-local or otherwise not on the internet
/// (cloud metadata services live at link-local 169.254.169.254).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1])) // carrier-grade NAT
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
                || o[0] >= 240 // reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped().or_else(|| v6.to_ipv4())
                && !v6.is_loopback()
                && !v6.is_unspecified()
            {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64 of any IPv4, private ones too
        }
    }
}

/// Whether a URL names this machine or a private network by itself: an address literal
/// that [`is_private`] refuses (decimal, octal and hex IPv4 forms are parsed as such), or
/// `localhost` and names under it.
pub fn is_local_url(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => is_local_name(name),
        Some(url::Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
        None => false,
    }
}

fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// A URL's origin as the guard keys it: its host as written in URLs (lower case) and its
/// port (the scheme's default when none is written).
fn origin(url: &Url) -> Option<(String, u16)> {
    Some((
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default()?,
    ))
}

/// Why a request was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is a loopback, private or link-local address: not requested",
            self.0
        )
    }
}

impl std::error::Error for Refused {}

/// What may be requested: public addresses, plus the local hosts the user chose.
#[derive(Debug, Default)]
pub struct Guard {
    /// Every address allowed (`[crawl] allow_private`, or no guard wanted).
    open: bool,
    /// Local origins (host as in URLs, lower case, and port) the site's sources name
    /// literally: exactly those, not every port of their hosts.
    chosen: HashSet<(String, u16)>,
}

impl Guard {
    /// A guard that lets everything through.
    pub fn open() -> Guard {
        Guard {
            open: true,
            chosen: HashSet::new(),
        }
    }

    /// A guard that refuses every private address.
    pub fn strict() -> Guard {
        Guard::default()
    }

    /// A guard that allows, besides public addresses, the local hosts among `cited` (URLs
    /// the site's sources name), when `allow_cited` (`[check] allow_private_sources`).
    pub fn for_cited<'a>(cited: impl IntoIterator<Item = &'a str>, allow_cited: bool) -> Guard {
        let chosen = if allow_cited {
            cited
                .into_iter()
                .filter_map(|u| Url::parse(u).ok())
                .filter(is_local_url)
                .filter_map(|u| origin(&u))
                .collect()
        } else {
            HashSet::new()
        };
        Guard {
            open: false,
            chosen,
        }
    }

    /// Whether `url` may be requested, judged from the URL alone (a name is judged again
    /// when it is resolved).
    pub fn check(&self, url: &Url) -> Result<(), Refused> {
        if self.open || !is_local_url(url) || self.is_chosen(url) {
            return Ok(());
        }
        Err(Refused(url.host_str().unwrap_or_default().to_string()))
    }

    /// Whether `url` may be requested by a client that resolves names itself (a browser):
    /// [`Guard::check`], then its name resolved here, refused when any address it has is
    /// private. (A name that does not resolve is let through: the client fails on it too.)
    pub async fn check_resolving(&self, url: &Url) -> Result<(), Refused> {
        self.check(url)?;
        let Some(url::Host::Domain(host)) = url.host() else {
            return Ok(());
        };
        if self.open || self.is_chosen(url) {
            return Ok(());
        }
        let port = url.port_or_known_default().unwrap_or(80);
        let private = match tokio::net::lookup_host((host, port)).await {
            Ok(mut addrs) => addrs.any(|a| is_private(a.ip())),
            Err(_) => false,
        };
        if private {
            return Err(Refused(host.to_string()));
        }
        Ok(())
    }

    /// Whether `url` may reach a private address (everything is open, or its origin is
    /// one the sources name).
    pub fn allows_private(&self, url: &Url) -> bool {
        self.open || self.is_chosen(url)
    }

    /// Whether `url`'s origin is one the sources name.
    fn is_chosen(&self, url: &Url) -> bool {
        origin(url).is_some_and(|o| self.chosen.contains(&o))
    }

    /// Whether some chosen origin has the host `name` (a resolver sees names, not ports:
    /// [`Guard::check`] holds each request to its chosen port).
    fn is_chosen_name(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.chosen.iter().any(|(host, _)| *host == name)
    }

    /// The resolver for a client under this guard.
    pub fn resolver(self: &Arc<Self>) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver {
            guard: self.clone(),
        })
    }
}

/// Resolves names with the system's resolver and drops the addresses the guard refuses, so
/// a connection can only go where the guard agreed.
pub struct GuardedResolver {
    guard: Arc<Guard>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.guard.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if guard.open || guard.is_chosen_name(&host) {
                return Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs);
            }
            let public: Vec<SocketAddr> =
                addrs.into_iter().filter(|a| !is_private(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(Refused(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn names_that_resolve_to_private_addresses_are_refused_for_browsers() {
        let strict = Guard::strict();
        let local = Url::parse("http://localhost:9/x").unwrap();
        assert!(strict.check_resolving(&local).await.is_err());
        let never = Url::parse("http://no-such-host.invalid/x").unwrap();
        assert!(strict.check_resolving(&never).await.is_ok());
        assert!(Guard::open().check_resolving(&local).await.is_ok());
    }

    /// Every spelling of a local address in a URL is seen as such.
    #[test]
    fn local_urls_in_every_spelling() {
        for u in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://0x7f.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::1]:8080/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://localhost:3000/",
            "http://api.localhost/",
            "http://LOCALHOST./",
        ] {
            assert!(is_local_url(&Url::parse(u).unwrap()), "{u}");
        }
        assert!(!is_local_url(&Url::parse("https://www.gov.uk/").unwrap()));
    }

    /// The resolver drops private addresses of names not chosen: a name cannot lead a
    /// request into our network.
    #[tokio::test]
    async fn names_are_judged_on_what_they_resolve_to() {
        use reqwest::dns::Resolve;
        let strict = Arc::new(Guard::strict()).resolver();
        let name = |n: &str| n.parse::<reqwest::dns::Name>().unwrap();
        let err = match strict.resolve(name("localhost")).await {
            Ok(_) => panic!("localhost resolved under a strict guard"),
            Err(e) => e,
        };
        assert!(err.downcast_ref::<Refused>().is_some(), "{err}");
        let open = Arc::new(Guard::open()).resolver();
        let addrs: Vec<_> = open.resolve(name("localhost")).await.unwrap().collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
        let chosen = Arc::new(Guard::for_cited(["http://localhost:8080/"], true)).resolver();
        assert!(chosen.resolve(name("localhost")).await.is_ok());
    }

    /// A local page cited in the sources opens exactly its origin, not every port of
    /// its host to other pages' requisites and redirects.
    #[tokio::test]
    async fn a_cited_local_origin_opens_no_other_port() {
        let guard = Guard::for_cited(["http://127.0.0.1:8080/a", "http://localhost/x"], true);
        let url = |u: &str| Url::parse(u).unwrap();
        assert!(guard.check(&url("http://127.0.0.1:8080/other")).is_ok());
        assert!(guard.check(&url("http://127.0.0.1:9999/")).is_err());
        assert!(guard.check(&url("https://127.0.0.1:8080/")).is_ok());
        assert!(guard.check(&url("http://127.0.0.1/")).is_err());
        assert!(guard.check(&url("http://localhost:80/y")).is_ok());
        assert!(guard.check(&url("http://localhost:6379/")).is_err());
        assert!(
            guard
                .check_resolving(&url("http://localhost:6379/"))
                .await
                .is_err()
        );
    }

    #[test]
    fn cited_local_hosts_are_allowed_only_when_chosen() {
        let guard = Guard::for_cited(["http://127.0.0.1:8080/a", "https://www.gov.uk/"], true);
        let url = |u: &str| Url::parse(u).unwrap();
        assert!(guard.check(&url("http://127.0.0.1:8080/b")).is_ok());
        assert!(guard.check(&url("http://10.0.0.1/")).is_err());
        assert!(guard.check(&url("http://169.254.169.254/")).is_err());
        assert!(guard.check(&url("https://example.org/")).is_ok());
        let strict = Guard::for_cited(["http://127.0.0.1:8080/a"], false);
        assert!(strict.check(&url("http://127.0.0.1:8080/a")).is_err());
        assert!(Guard::open().check(&url("http://10.0.0.1/")).is_ok());
    }
}
