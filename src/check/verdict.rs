//! From a link's history to its verdict: dead only after failures confirmed across runs
//! (`[verdict] strikes` failing checks spanning at least `[verdict] days`, as Wikipedia's
//! InternetArchiveBot does), failing before that; blocked results are no strikes. Also when
//! the link is next due for a check.

use super::classify::Status;
use crate::clock::DAY;
use crate::config::VerdictConfig;
use crate::store::LinkState;

/// The link's state after a check with `status` at `now`, and whether the check was a strike.
pub fn apply(
    prev: &LinkState,
    status: Status,
    now: i64,
    cfg: &VerdictConfig,
    recheck_days: u32,
) -> (LinkState, bool) {
    let mut next = prev.clone();
    next.last_status = Some(status.as_str().to_string());
    next.last_checked = Some(now);
    let recheck = i64::from(recheck_days.max(1)) * DAY;
    let mut strike = false;
    match status {
        Status::Alive | Status::Moved => {
            next.strikes = 0;
            next.first_failing = None;
            next.last_alive = Some(now);
            next.verdict = status.as_str().to_string();
            // A link's first good check spreads it over the recheck period (by a hash of its
            // URL), so each night carries an even share of rechecks.
            next.next_due = Some(if prev.last_alive.is_none() {
                now + DAY * (1 + (spread(&prev.url) % i64::from(recheck_days.max(1))))
            } else {
                now + recheck
            });
        }
        Status::Blocked => {
            next.verdict = "blocked".to_string();
            next.next_due = Some(now + recheck);
        }
        // The address answers: no strike (the link is not dead), but the text as cited is
        // gone, which the verdict says until a check finds it again.
        Status::Drifted => {
            next.strikes = 0;
            next.first_failing = None;
            next.verdict = "drifted".to_string();
            next.next_due = Some(now + recheck);
        }
        Status::Invalid => {
            next.verdict = "invalid".to_string();
            next.next_due = Some(now + recheck);
        }
        _ => {
            strike = true;
            next.strikes += 1;
            let since = *next.first_failing.get_or_insert(now);
            let confirmed = next.strikes >= cfg.strikes && now - since >= i64::from(cfg.days) * DAY;
            next.verdict = if confirmed { "dead" } else { "failing" }.to_string();
            // Failing links are checked every run; dead ones at the recheck pace, to notice
            // a recovery.
            next.next_due = Some(if confirmed { now + recheck } else { now });
        }
    }
    (next, strike)
}

fn spread(url: &str) -> i64 {
    use std::hash::BuildHasher;
    (foldhash::fast::FixedState::with_seed(3).hash_one(url) >> 1) as i64
}

/// Whether a link is due for a check at `now`.
pub fn is_due(link: &LinkState, now: i64) -> bool {
    link.last_checked.is_none() || link.next_due.is_none_or(|due| due <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> VerdictConfig {
        VerdictConfig {
            strikes: 3,
            days: 3,
        }
    }

    #[test]
    fn dead_needs_strikes_and_days() {
        let mut link = LinkState {
            url: "https://e.com/x".into(),
            verdict: "new".into(),
            ..Default::default()
        };
        let day = |d: i64| 1_000_000 + d * DAY;
        for (d, expected) in [(0, "failing"), (1, "failing"), (2, "failing"), (3, "dead")] {
            let (next, strike) = apply(&link, Status::Gone, day(d), &cfg(), 7);
            assert!(strike);
            assert_eq!(next.verdict, expected, "day {d}");
            link = next;
        }
        assert_eq!(link.strikes, 4);
        assert_eq!(link.first_failing, Some(day(0)));
        // Four strikes in one day are not enough.
        let mut fast = LinkState {
            url: "https://e.com/y".into(),
            ..Default::default()
        };
        for i in 0..4 {
            fast = apply(&fast, Status::Timeout, day(0) + i * 3600, &cfg(), 7).0;
        }
        assert_eq!(fast.verdict, "failing");
        // Recovery clears the streak.
        let (alive, strike) = apply(&link, Status::Alive, day(4), &cfg(), 7);
        assert!(!strike);
        assert_eq!(
            (alive.verdict.as_str(), alive.strikes, alive.first_failing),
            ("alive", 0, None)
        );
    }

    #[test]
    fn blocked_is_no_strike() {
        let link = LinkState {
            strikes: 1,
            first_failing: Some(5),
            ..Default::default()
        };
        let (next, strike) = apply(&link, Status::Blocked, 10, &cfg(), 7);
        assert!(!strike);
        assert_eq!((next.verdict.as_str(), next.strikes), ("blocked", 1));
    }

    #[test]
    fn first_rechecks_spread_over_the_period() {
        let mut days = [0u32; 8];
        for i in 0..700 {
            let link = LinkState {
                url: format!("https://e.com/{i}"),
                ..Default::default()
            };
            let (next, _) = apply(&link, Status::Alive, 0, &cfg(), 7);
            let d = next.next_due.unwrap() / DAY;
            assert!((1..=7).contains(&d));
            days[d as usize] += 1;
        }
        assert!(
            days[1..].iter().all(|&n| (60..=140).contains(&n)),
            "{days:?}"
        );
    }
}
