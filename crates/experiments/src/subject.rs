//! Who a request counts as in an experiment: the account when signed in,
//! else the first-party cookie `glint_subject` (32 random hex digits, set by
//! the host on the first answer to a browser without one).

use super::Subject;
use glint_auth::Principal;

/// The subject cookie's name.
pub const SUBJECT_COOKIE: &str = "glint_subject";
/// How long the cookie lasts: a year, so a returning guest keeps their arm.
const MAX_AGE_S: u32 = 365 * 24 * 3600;

/// The subject cookie's value in a `Cookie` header, if it is well formed.
pub fn from_cookies(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SUBJECT_COOKIE)
        .map(|(_, v)| v)
        .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// The subject of a request by `principal` carrying the guest cookie `cookie`.
pub fn of(principal: &Principal, cookie: &str) -> Subject {
    match &principal.user {
        Some(user) => Subject { id: format!("user:{user}"), alias: Some(format!("guest:{cookie}")) },
        None => Subject { id: format!("guest:{cookie}"), alias: None },
    }
}

/// The `Set-Cookie` value that gives a browser its subject cookie.
pub fn set_cookie(value: &str) -> String {
    format!("{SUBJECT_COOKIE}={value}; Path=/; Max-Age={MAX_AGE_S}; HttpOnly; SameSite=Lax")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(from_cookies(&format!("a=1; glint_subject={id}; b=2")), Some(id));
        assert_eq!(from_cookies("glint_subject=../../etc"), None);
        assert_eq!(from_cookies("glint_subject=0123456789ABCDEF0123456789ABCDEF"), None);
        assert_eq!(from_cookies(""), None);
        assert!(set_cookie(id).contains("HttpOnly") && set_cookie(id).starts_with("glint_subject="));
        let guest = of(&Principal::guest(), id);
        assert_eq!((guest.id.as_str(), guest.alias), (format!("guest:{id}").as_str(), None));
    }
}
