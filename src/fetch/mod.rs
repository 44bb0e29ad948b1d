//! The one HTTP layer: every request citekeep sends (checks, crawling, captures, and the
//! public archives' APIs) goes through what is here, so a new network client is a
//! new user of it, not another copy.
//!
//! - [`api`]: the public archives' APIs, each host at its own pace;
//! - [`client`]: the reqwest client (User-Agent, timeouts, proxies, extra roots, manual
//!   redirects) and the headers configured per host;
//! - [`guard`]: no request a remote answer leads to reaches a private address;
//! - [`politeness`]: per-host and global limits, intervals, `Retry-After`, backoff;
//! - [`transport`]: what went wrong below HTTP, by kind;
//! - the async runtime, and interleaving work by host.

pub mod api;
pub mod client;
pub mod guard;
pub mod politeness;
pub mod proxy;
pub mod transport;

use std::collections::{HashMap, VecDeque};

use crate::Error;

/// The async runtime checks and captures run on: one worker per core of this 2-core design
/// (measured best against one or three).
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Config(format!("cannot start the async runtime: {e}")))
}

/// Checks under way per request slot of `[check] concurrency`: the politeness gates bound
/// the requests in flight, and a check waiting for its host's interval (or a probe of it)
/// holds no slot, so other hosts' checks go on meanwhile.
pub const WAITING_PER_SLOT: usize = 4;

/// Orders items round-robin over their hosts (`host` names an item's host), so that a
/// window of them in flight spreads over many hosts.
pub fn interleave_by_host<T>(items: Vec<T>, host: impl Fn(&T) -> String) -> Vec<T> {
    let mut by_host: Vec<VecDeque<T>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for item in items {
        let i = *index.entry(host(&item)).or_insert_with(|| {
            by_host.push(VecDeque::new());
            by_host.len() - 1
        });
        by_host[i].push_back(item);
    }
    let total = by_host.iter().map(VecDeque::len).sum();
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        by_host.retain(|queue| !queue.is_empty());
        for queue in by_host.iter_mut() {
            out.extend(queue.pop_front());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaving_spreads_hosts() {
        let urls = [
            "https://a/1",
            "https://a/2",
            "https://a/3",
            "https://b/1",
            "https://c/1",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            interleave_by_host(urls, |u| crate::link::host_of(u)),
            [
                "https://a/1",
                "https://b/1",
                "https://c/1",
                "https://a/2",
                "https://a/3"
            ]
        );
    }
}
