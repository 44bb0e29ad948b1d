//! Politeness: at most `per_host` requests in flight to one host, starts at least
//! `host_interval` apart, under a global limit; waits for `Retry-After`; backs off
//! exponentially with jitter between attempts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The gates of every host seen, and the global limit.
pub struct Gates {
    global: Arc<Semaphore>,
    width: usize,
    per_host: usize,
    interval: Duration,
    hosts: Mutex<HashMap<String, Arc<HostGate>>>,
}

struct HostGate {
    permits: Arc<Semaphore>,
    /// Time between two starts.
    interval: Duration,
    /// When the next request to this host may start.
    next_start: Mutex<Instant>,
}

/// Permission to send one request; dropping it frees the slots.
pub struct Pass {
    _global: OwnedSemaphorePermit,
    _host: OwnedSemaphorePermit,
}

impl Gates {
    /// Gates with a global limit, a per-host limit and a per-host interval.
    pub fn new(global: usize, per_host: usize, interval: Duration) -> Gates {
        Gates {
            global: Arc::new(Semaphore::new(global.max(1))),
            width: global.max(1),
            per_host: per_host.max(1),
            interval,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// The global limit: requests in flight at most.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Waits until a request to `host` may start: a host slot, the interval since the last
    /// start, then a global slot (taken last, so waiting for a busy host holds no global slot).
    pub async fn enter(&self, host: &str) -> Pass {
        let gate = {
            let mut hosts = self.hosts.lock().expect("gate map poisoned");
            hosts
                .entry(host.to_string())
                .or_insert_with(|| {
                    Arc::new(HostGate {
                        permits: Arc::new(Semaphore::new(self.per_host)),
                        interval: self.interval,
                        next_start: Mutex::new(Instant::now()),
                    })
                })
                .clone()
        };
        let host_permit = gate
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore closed");
        let start = {
            let mut next = gate.next_start.lock().expect("gate poisoned");
            let start = (*next).max(Instant::now());
            *next = start + gate.interval;
            start
        };
        tokio::time::sleep_until(start).await;
        let global = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore closed");
        Pass {
            _global: global,
            _host: host_permit,
        }
    }

    /// Gives `key` (a host, or any name requests are gated by) its own limits: `per_host`
    /// requests in flight at most, starts `interval` apart.
    pub fn limit(&self, key: &str, per_host: usize, interval: Duration) {
        let mut hosts = self.hosts.lock().expect("gate map poisoned");
        hosts.insert(
            key.to_string(),
            Arc::new(HostGate {
                permits: Arc::new(Semaphore::new(per_host.max(1))),
                interval,
                next_start: Mutex::new(Instant::now()),
            }),
        );
    }

    /// Holds back every request to `host` until `until` (a `Retry-After` it sent).
    pub fn defer(&self, host: &str, until: Instant) {
        let hosts = self.hosts.lock().expect("gate map poisoned");
        if let Some(gate) = hosts.get(host) {
            let mut next = gate.next_start.lock().expect("gate poisoned");
            *next = (*next).max(until);
        }
    }
}

/// Parses `Retry-After`: delay seconds or an HTTP date, relative to `now_unix` seconds.
pub fn retry_after(value: &str, now_unix: i64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(value)
        .ok()?
        .timestamp()
        .as_second();
    Some(Duration::from_secs((at - now_unix).max(0) as u64))
}

/// The wait before attempt `attempt` (1-based retries): 0.5 s doubled each time, with up to
/// 50% random jitter so retries from many checks do not arrive together.
pub fn backoff(attempt: u32) -> Duration {
    let base = 500u64.saturating_mul(1 << attempt.min(10).saturating_sub(1));
    let jitter = rand::random_range(0..=base / 2);
    Duration::from_millis(base + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(retry_after("120", 0), Some(Duration::from_secs(120)));
        // Sun, 06 Nov 1994 08:49:37 GMT is 784111777.
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_767),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_787),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", 0), None);
    }

    #[test]
    fn backoff_grows() {
        let a = backoff(1).as_millis();
        let c = backoff(3).as_millis();
        assert!((500..=750).contains(&a), "{a}");
        assert!((2000..=3000).contains(&c), "{c}");
    }

    #[tokio::test(start_paused = true)]
    async fn host_limit_and_interval() {
        let gates = Arc::new(Gates::new(10, 2, Duration::from_millis(250)));
        let t0 = Instant::now();
        let a = gates.enter("h").await;
        let _b = gates.enter("h").await;
        assert_eq!(Instant::now() - t0, Duration::from_millis(250));
        let g = gates.clone();
        let third = tokio::spawn(async move {
            let _c = g.enter("h").await;
            Instant::now()
        });
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(
            !third.is_finished(),
            "a third request waits for a host slot"
        );
        drop(a);
        let started = third.await.unwrap();
        assert!(started - t0 >= Duration::from_secs(2));
        // Another host is not held up.
        let t1 = Instant::now();
        let _d = gates.enter("other").await;
        assert_eq!(Instant::now(), t1);
    }
}
