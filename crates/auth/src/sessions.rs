//! Sign-in and sessions on top of the store. A session token is 32 random
//! bytes in an HttpOnly cookie; the database keeps only its sha256, so a
//! leaked database holds no usable sessions.

use std::sync::OnceLock;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{Role, hash_password, verify_password};
use glint_store::{Store, StoreError, now_ms, random_id};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "glint_session";

/// Who a request comes from.
#[derive(Clone, Debug)]
pub struct Principal {
    pub role: Role,
    /// The account, for users and admins.
    pub user: Option<String>,
    /// The public session id, for users and admins.
    pub session_id: Option<String>,
    /// The CSRF token the session's state-changing requests must carry.
    pub csrf: Option<String>,
}

impl Principal {
    pub fn guest() -> Principal {
        Principal { role: Role::Guest, user: None, session_id: None, csrf: None }
    }
}

/// A successful sign-in.
#[derive(Clone, Debug)]
pub struct LoginOk {
    /// The cookie value (secret).
    pub token: String,
    pub csrf: String,
    pub user: String,
    pub role: Role,
    pub max_age: Duration,
}

/// Accounts and sessions.
#[derive(Clone)]
pub struct Accounts {
    pub store: Store,
    pub session_ttl: Duration,
    /// Failed sign-ins per account and client address.
    pub throttle: std::sync::Arc<super::SignInThrottle>,
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A hash to verify against when the account does not exist, so that a
/// wrong name takes as long as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password("not a real password").unwrap_or_default())
}

impl Accounts {
    /// Checks the password and opens a session; `None` for a wrong name or
    /// password or a disabled account (callers must not say which).
    pub async fn login(&self, name: &str, password: &str) -> Result<Option<LoginOk>, StoreError> {
        let user = self.store.user(name).await?;
        let hash = user.as_ref().map_or_else(|| dummy_hash().to_string(), |u| u.password_hash.clone());
        let password = password.to_string();
        let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
        let Some(user) = user.filter(|u| matches && !u.disabled) else { return Ok(None) };
        let Ok(role) = user.role.parse::<Role>() else { return Ok(None) };
        let token = format!("{}{}", random_id(), random_id());
        let csrf = random_id();
        let expires = now_ms() + self.session_ttl.as_millis() as i64;
        self.store.add_session(&token_hash(&token), &random_id(), &user.name, &csrf, expires).await?;
        Ok(Some(LoginOk { token, csrf, user: user.name, role, max_age: self.session_ttl }))
    }

    /// The principal of a session token; a guest for none, an unknown or an expired one.
    pub async fn principal(&self, token: Option<&str>) -> Result<Principal, StoreError> {
        let Some(token) = token.filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())) else {
            return Ok(Principal::guest());
        };
        let Some(s) = self.store.session(&token_hash(token)).await? else { return Ok(Principal::guest()) };
        let Ok(role) = s.role.parse::<Role>() else { return Ok(Principal::guest()) };
        Ok(Principal { role, user: Some(s.user_name), session_id: Some(s.id), csrf: Some(s.csrf) })
    }

    pub async fn logout(&self, token: &str) -> Result<(), StoreError> {
        self.store.delete_session(&token_hash(token)).await
    }
}

/// The session token in a `Cookie` header, if any.
pub fn session_token_from_cookies(header: &str) -> Option<&str> {
    header.split(';').filter_map(|c| c.trim().split_once('=')).find(|(k, _)| *k == SESSION_COOKIE).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_parsing() {
        assert_eq!(session_token_from_cookies("a=1; glint_session=abc; b=2"), Some("abc"));
        assert_eq!(session_token_from_cookies("glint_sessionx=abc"), None);
        assert_eq!(session_token_from_cookies(""), None);
    }
}
