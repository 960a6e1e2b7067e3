//! Who is asking: roles, passwords (argon2id), session tokens and cookies,
//! and the check every route and platform call goes through.

mod password;
mod role;
mod sessions;
mod throttle;

pub use password::{hash_password, validate_password, verify_password};
pub use role::{Role, validate_user_name};
pub use throttle::{Locked, SignInThrottle};
pub use sessions::{Accounts, LoginOk, Principal, SESSION_COOKIE, session_token_from_cookies};
