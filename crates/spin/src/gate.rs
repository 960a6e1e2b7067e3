//! What every request passes before any component runs: the route table
//! (404/405), who is asking (session cookie), the route's least role
//! (401/403), cross-site protection on state-changing requests (Origin check
//! and the session's CSRF token), and the rate limit (per account, or per
//! client IP for guests; 429 with Retry-After).

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::manifest::RateLimitSettings;
use super::routes::{self, Access, RouteSpec};
use glint_auth::{Accounts, Principal, Role, session_token_from_cookies};

/// The header state-changing requests of a session carry its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A refusal: status, message, and Retry-After / Allow headers when due.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
    pub retry_after_s: Option<u64>,
    pub allow: Option<String>,
    /// The metric's `reason` label.
    pub reason: &'static str,
}

fn refuse(status: u16, reason: &'static str, message: impl Into<String>) -> Refusal {
    Refusal { status, message: message.into(), retry_after_s: None, allow: None, reason }
}

/// An admitted request.
pub struct Admitted {
    pub route: &'static RouteSpec,
    pub principal: Principal,
    /// The request's session token, if it had a valid one.
    pub session_token: Option<String>,
    /// Admitted by a bearer token (`$GLINT_METRICS_TOKEN`, `$GLINT_ADMIN_TOKEN`) rather than a session.
    pub by_token: bool,
}

pub struct Gate {
    pub accounts: Accounts,
    users: Option<DefaultKeyedRateLimiter<String>>,
    guests: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Lets a Prometheus scraper read /metrics without a session.
    metrics_token: Option<String>,
    /// Lets `glint plugins install` and friends use /api/admin/* without a session.
    admin_token: Option<String>,
}

fn limiter<K: std::hash::Hash + Eq + Clone>(per_minute: u32, burst: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_minute).map(|n| {
        RateLimiter::keyed(Quota::per_minute(n).allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN)))
    })
}

impl Gate {
    pub fn new(accounts: Accounts, rate: &RateLimitSettings, metrics_token: Option<String>, admin_token: Option<String>) -> Gate {
        Gate {
            accounts,
            users: limiter(rate.per_minute, rate.burst),
            guests: limiter(rate.guest_per_minute, rate.guest_burst),
            metrics_token: metrics_token.filter(|t| !t.is_empty()),
            admin_token: admin_token.filter(|t| !t.is_empty()),
        }
    }

    /// Admits the request or says why not. `n` counts requests (for housekeeping).
    pub async fn admit(&self, parts: &http::request::Parts, peer: IpAddr, n: u64) -> Result<Admitted, Refusal> {
        let method = parts.method.as_str();
        let route = match routes::lookup(method, parts.uri.path()) {
            Access::Allowed(r) => r,
            Access::NoSuchPath => return Err(refuse(404, "not_found", format!("no page {}", parts.uri.path()))),
            Access::WrongMethod(allowed) => {
                let allow = allowed.join(", ");
                let mut r = refuse(405, "method", format!("{method} is not allowed here; use {allow}"));
                r.allow = Some(allow);
                return Err(r);
            }
        };
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let token = header("cookie").and_then(session_token_from_cookies).map(str::to_string);
        let mut principal = self.accounts.principal(token.as_deref()).await.map_err(|e| {
            tracing::error!("database: {e}");
            refuse(503, "database", "the account database is unavailable; try again")
        })?;
        let session_token = token.filter(|_| principal.user.is_some());
        let bearer = header("authorization");
        let token = if route.path == "/metrics" { &self.metrics_token } else { &self.admin_token };
        let by_token = (route.path == "/metrics" || route.path.starts_with("/api/admin/")) && bearer_ok(token, bearer);
        if by_token {
            principal.role = Role::Admin;
        }
        if principal.role < route.role {
            return Err(match principal.role {
                Role::Guest => refuse(401, "unauthenticated", "sign in to use this"),
                have => refuse(403, "forbidden", format!("your role ({have}) may not use this; it needs {}", route.role)),
            });
        }
        let changes_state = !matches!(method, "GET" | "HEAD");
        if changes_state {
            if let Some(origin) = header("origin").filter(|o| *o != "null") {
                let host = header("host").unwrap_or("");
                let same = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host);
                if !same {
                    return Err(refuse(403, "csrf", "cross-site request refused (its Origin is not this site)"));
                }
            }
            if let Some(expected) = &principal.csrf {
                let given = header(CSRF_HEADER).unwrap_or("");
                if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
                    return Err(refuse(403, "csrf", format!("missing or wrong {CSRF_HEADER} header (GET /api/session gives it)")));
                }
            }
            self.rate_limit(&principal, peer, n)?;
        }
        Ok(Admitted { route, principal, session_token, by_token })
    }


    fn rate_limit(&self, principal: &Principal, peer: IpAddr, n: u64) -> Result<(), Refusal> {
        let housekeeping = n.is_multiple_of(1024);
        let result = match (&principal.user, &self.users, &self.guests) {
            (Some(user), Some(users), _) => check(users, user, housekeeping).map_err(|s| (s, "your account")),
            (None, _, Some(guests)) => {
                check(guests, &peer, housekeeping).map_err(|s| (s, "your address (sign in for a higher limit)"))
            }
            _ => Ok(()),
        };
        result.map_err(|(s, whom)| Refusal {
            retry_after_s: Some(s),
            ..refuse(429, "rate_limited", format!("too many requests from {whom}: retry in {s} s"))
        })
    }
}

/// Counts a request of `key` against `limiter`; over its rate, the whole
/// seconds to wait. The time is read from the limiter's own clock, and only
/// then: making a clock per request cost ~25 µs (CPUID, which traps in a VM).
fn check<K: std::hash::Hash + Eq + Clone>(limiter: &DefaultKeyedRateLimiter<K>, key: &K, housekeeping: bool) -> Result<(), u64> {
    if housekeeping {
        limiter.retain_recent();
    }
    limiter
        .check_key(key)
        .map_err(|not_until| not_until.wait_time_from(limiter.clock().now()).as_secs_f64().ceil().max(1.0) as u64)
}

/// Whether `authorization` is `Bearer <expected>`.
fn bearer_ok(expected: &Option<String>, authorization: Option<&str>) -> bool {
    let (Some(expected), Some(given)) = (expected, authorization.and_then(|a| a.strip_prefix("Bearer "))) else {
        return false;
    };
    constant_time_eq(given.as_bytes(), expected.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
