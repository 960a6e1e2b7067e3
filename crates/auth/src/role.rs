//! The three roles. Each includes what the ones below it may do.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Not signed in: detection only, at a lower rate.
    Guest,
    /// Detection, feedback, history.
    User,
    /// Everything, including accounts and the feedback browser.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Guest => "guest",
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "guest" => Ok(Role::Guest),
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            other => Err(format!("unknown role {other:?}: use user or admin")),
        }
    }
}

/// Account names: 1 to 32 of a-z, 0-9, '_', '-', '.', starting with a letter
/// or digit (so they are safe in logs, URLs and CSV).
pub fn validate_user_name(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.');
    let first_ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if name.is_empty() || name.len() > 32 || !first_ok || !name.chars().all(ok_char) {
        return Err(format!(
            "user name {:?} is not allowed: use 1 to 32 of a-z, 0-9, '_', '-', '.', starting with a letter or digit",
            name.chars().take(40).collect::<String>()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_names() {
        assert!(Role::Admin > Role::User && Role::User > Role::Guest);
        assert_eq!("admin".parse::<Role>().unwrap(), Role::Admin);
        assert!("root".parse::<Role>().is_err());
        assert!(validate_user_name("alice_1").is_ok());
        for bad in ["", "Alice", "a b", "_x", "a@b.c", &"x".repeat(33)] {
            assert!(validate_user_name(bad).is_err(), "{bad}");
        }
    }
}
