//! Brute-force protection for sign-in, per account and per client address.
//!
//! - An account: after 5 failed sign-ins in a row, sign-in to it is refused
//!   for 30 s, doubling with each further failure up to 15 minutes; a
//!   successful sign-in clears the count. While refused, even the right
//!   password gets 429 (and costs no password check), so guessing stops.
//! - A client address: after 20 failed sign-ins within 15 minutes, whatever
//!   the accounts, it may not sign in for the rest of those 15 minutes.
//!
//! The counts live in the memory of one `glint up` (each replica counts its
//! own) and are bounded: at most `MAX_ENTRIES` of each, the oldest dropped.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const ACCOUNT_FREE_FAILURES: u32 = 5;
const ACCOUNT_FIRST_LOCK: Duration = Duration::from_secs(30);
const ACCOUNT_MAX_LOCK: Duration = Duration::from_secs(15 * 60);
const CLIENT_FAILURES: u32 = 20;
const CLIENT_WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_ENTRIES: usize = 100_000;

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    /// Account: when the last failure was; client: when the window began.
    since: Instant,
    /// Refused until then.
    locked_until: Option<Instant>,
}

/// Failed sign-ins per account and per client address.
#[derive(Default)]
pub struct SignInThrottle {
    accounts: Mutex<HashMap<String, Failures>>,
    clients: Mutex<HashMap<IpAddr, Failures>>,
}

/// Sign-in is refused for this long.
#[derive(Debug, PartialEq, Eq)]
pub struct Locked(pub Duration);

impl SignInThrottle {
    /// `Err` while `account` or `client` may not try to sign in.
    pub fn check(&self, account: &str, client: IpAddr) -> Result<(), Locked> {
        let now = Instant::now();
        let wait = |f: Option<&Failures>| f.and_then(|f| f.locked_until).filter(|&t| t > now).map(|t| t - now);
        let account_wait = wait(lock(&self.accounts).get(account));
        let client_wait = wait(lock(&self.clients).get(&client));
        match account_wait.into_iter().chain(client_wait).max() {
            Some(d) => Err(Locked(d)),
            None => Ok(()),
        }
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, account: &str, client: IpAddr) {
        let now = Instant::now();
        {
            let mut accounts = lock(&self.accounts);
            bound(&mut accounts, now);
            let f = accounts.entry(account.to_string()).or_insert(Failures { count: 0, since: now, locked_until: None });
            f.count += 1;
            f.since = now;
            if f.count >= ACCOUNT_FREE_FAILURES {
                let doublings = (f.count - ACCOUNT_FREE_FAILURES).min(10);
                f.locked_until = Some(now + (ACCOUNT_FIRST_LOCK * 2u32.pow(doublings)).min(ACCOUNT_MAX_LOCK));
            }
        }
        let mut clients = lock(&self.clients);
        bound(&mut clients, now);
        let f = clients.entry(client).or_insert(Failures { count: 0, since: now, locked_until: None });
        if now.duration_since(f.since) > CLIENT_WINDOW {
            *f = Failures { count: 0, since: now, locked_until: None };
        }
        f.count += 1;
        if f.count >= CLIENT_FAILURES {
            f.locked_until = Some(f.since + CLIENT_WINDOW);
        }
    }

    /// A successful sign-in clears the account's count (not the address's).
    pub fn succeeded(&self, account: &str) {
        lock(&self.accounts).remove(account);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Keeps a map under `MAX_ENTRIES`: first what has expired, then the oldest.
fn bound<K: Clone + Eq + std::hash::Hash>(map: &mut HashMap<K, Failures>, now: Instant) {
    if map.len() < MAX_ENTRIES {
        return;
    }
    map.retain(|_, f| f.locked_until.is_some_and(|t| t > now) || now.duration_since(f.since) < CLIENT_WINDOW);
    while map.len() >= MAX_ENTRIES {
        let Some(oldest) = map.iter().min_by_key(|(_, f)| f.since).map(|(k, _)| k.clone()) else { break };
        map.remove(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn an_account_is_locked_after_five_failures_with_a_doubling_wait() {
        let t = SignInThrottle::default();
        for _ in 0..4 {
            t.failed("ann", HOME);
            assert_eq!(t.check("ann", HOME), Ok(()));
        }
        t.failed("ann", HOME);
        let Err(Locked(first)) = t.check("ann", HOME) else { panic!("not locked after 5") };
        assert!(first > Duration::from_secs(28) && first <= ACCOUNT_FIRST_LOCK, "{first:?}");
        t.failed("ann", HOME);
        let Err(Locked(second)) = t.check("ann", HOME) else { panic!() };
        assert!(second > Duration::from_secs(58), "{second:?}");
        assert_eq!(t.check("bob", "10.0.0.1".parse().unwrap()), Ok(()), "another account from elsewhere is free");
        t.succeeded("ann");
        assert_eq!(t.check("ann", "10.0.0.2".parse().unwrap()), Ok(()));
        for _ in 0..30 {
            t.failed("ann", "10.0.0.3".parse().unwrap());
        }
        let Err(Locked(most)) = t.check("ann", "10.0.0.4".parse().unwrap()) else { panic!() };
        assert!(most <= ACCOUNT_MAX_LOCK, "{most:?}");
    }

    #[test]
    fn a_client_is_locked_after_twenty_failures_whatever_the_accounts() {
        let t = SignInThrottle::default();
        for i in 0..19 {
            t.failed(&format!("user{i}"), HOME);
        }
        assert_eq!(t.check("someone", HOME), Ok(()));
        t.failed("user19", HOME);
        assert!(t.check("someone", HOME).is_err(), "the address is locked");
        assert_eq!(t.check("someone", "10.0.0.9".parse().unwrap()), Ok(()), "other addresses are not");
    }
}
