//! Limits on guessing: failed sign-ins and refreshes make the next attempt wait, longer after each
//! failure, counted per account from one address, per account from anywhere and per address.
//!
//! There is no lockout an attacker could use against a real user: an account's own wait, summed
//! over every address, never exceeds [`ACCOUNT_MAX_DELAY`], and a user signing in from another
//! address is not slowed by an attacker's address at all. A success clears the account's counts.

use std::time::Duration;

use chrono::{Duration as ChronoDuration, NaiveDateTime};

use crate::auth::secret;
use crate::config::LoginLimits as Limits;
use crate::error::Error;
use crate::storage::{DbConnection, now, throttles};

/// The longest an account can be made to wait by failures from many addresses together.
pub const ACCOUNT_MAX_DELAY: Duration = Duration::from_secs(60);

/// One counter and its policy.
#[derive(Clone, Debug)]
pub struct Counter {
    key: String,
    free: u32,
    max_delay: Duration,
    shared: bool,
}

impl Counter {
    fn new(parts: &[&str], free: u32, max_delay: Duration, shared: bool) -> Counter {
        Counter {
            key: secret::hash(&parts.join("\u{1f}")),
            free,
            max_delay,
            shared,
        }
    }
}

/// The counters a sign-in attempt for `email` from `address` is charged to.
pub fn login_counters(limits: &Limits, email: &str, address: &str) -> Vec<Counter> {
    let f = limits.free_failures;
    vec![
        Counter::new(&["login", email, address], f, limits.max_delay, false),
        Counter::new(
            &["login", email],
            f.saturating_mul(2),
            limits.max_delay.min(ACCOUNT_MAX_DELAY),
            false,
        ),
        Counter::new(
            &["login-address", address],
            f.saturating_mul(4),
            limits.max_delay,
            true,
        ),
    ]
}

/// The counter a refresh attempt from `address` is charged to.
pub fn refresh_counters(limits: &Limits, address: &str) -> Vec<Counter> {
    vec![Counter::new(
        &["refresh", address],
        limits.free_failures.saturating_mul(4),
        limits.max_delay,
        true,
    )]
}

/// The counters a "forgot password" request is charged to: the email asked for, and the address
/// asking. Every request counts (none is given back), so repeated requests wait whatever the email.
pub fn reset_counters(limits: &Limits, email: &str, address: &str) -> Vec<Counter> {
    vec![
        Counter::new(&["reset", email], 3, limits.max_delay, false),
        Counter::new(
            &["reset-address", address],
            limits.free_failures.saturating_mul(4),
            limits.max_delay,
            true,
        ),
    ]
}

/// The counter an attempt to use a password link from `address` is charged to.
pub fn link_counters(limits: &Limits, address: &str) -> Vec<Counter> {
    vec![Counter::new(
        &["password-link", address],
        limits.free_failures.saturating_mul(4),
        limits.max_delay,
        true,
    )]
}

/// The wait after `failures` failures: none up to `free`, then 1 s, 2 s, 4 s, ... up to the cap.
pub fn delay(failures: u32, free: u32, max_delay: Duration) -> Duration {
    if failures <= free {
        return Duration::ZERO;
    }
    let doublings = (failures - free - 1).min(30);
    Duration::from_secs(1u64 << doublings).min(max_delay)
}

fn rate_limited(until: NaiveDateTime, at: NaiveDateTime) -> Error {
    let millis = (until - at).num_milliseconds().max(1) as u64;
    Error::rate_limited(millis.div_ceil(1000))
}

/// Charges one attempt to every counter before the attempt is checked, so that parallel guesses
/// are counted too; `429` with the wait if any counter says wait. A success is given back with
/// [`succeeded`].
pub fn attempt(
    conn: &mut DbConnection,
    counters: &[Counter],
    window: Duration,
) -> Result<(), Error> {
    let at = now();
    let forget_before = at - ChronoDuration::from_std(window).unwrap_or(ChronoDuration::zero());
    for counter in counters {
        if let Some(row) = throttles::find(conn, &counter.key)?
            && let Some(until) = row.blocked_until
            && until > at
        {
            return Err(rate_limited(until, at));
        }
    }
    for counter in counters {
        // Another process may count at the same moment: read, decide, write if unchanged.
        loop {
            let seen = throttles::find(conn, &counter.key)?;
            if let Some(until) = seen.as_ref().and_then(|r| r.blocked_until)
                && until > at
            {
                return Err(rate_limited(until, at));
            }
            let before = seen
                .as_ref()
                .filter(|r| r.last_at >= forget_before)
                .map_or(0, |r| r.failures.max(0) as u32);
            let failures = before.saturating_add(1);
            let wait = delay(failures, counter.free, counter.max_delay);
            let blocked_until = (!wait.is_zero())
                .then(|| at + ChronoDuration::from_std(wait).unwrap_or(ChronoDuration::zero()));
            let stored = i32::try_from(failures).unwrap_or(i32::MAX);
            if throttles::charge(conn, &counter.key, seen.as_ref(), stored, at, blocked_until)? {
                break;
            }
        }
    }
    Ok(())
}

/// The attempt succeeded: the account's counts are cleared, a shared address gets its try back.
pub fn succeeded(conn: &mut DbConnection, counters: &[Counter]) -> Result<(), Error> {
    let own: Vec<String> = counters
        .iter()
        .filter(|c| !c.shared)
        .map(|c| c.key.clone())
        .collect();
    throttles::clear(conn, &own)?;
    for counter in counters.iter().filter(|c| c.shared) {
        throttles::refund(conn, &counter.key)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_from_one_second_and_stop_at_the_cap() {
        let cap = Duration::from_secs(60);
        let waits: Vec<u64> = (1..=13).map(|f| delay(f, 5, cap).as_secs()).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(delay(u32::MAX, 5, cap), cap);
    }

    #[test]
    fn an_account_alone_never_waits_longer_than_a_minute() {
        let limits = Limits {
            max_delay: Duration::from_secs(3600),
            ..Limits::default()
        };
        let counters = login_counters(&limits, "a@b.sa", "10.0.0.1");
        assert_eq!(counters[1].max_delay, ACCOUNT_MAX_DELAY);
        assert_eq!(counters[0].max_delay, Duration::from_secs(3600));
        // Keys are hashes: no email or address is stored.
        assert!(counters.iter().all(|c| !c.key.contains("a@b.sa")));
        assert_ne!(counters[0].key, counters[1].key);
    }
}
