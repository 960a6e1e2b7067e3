//! Sign-in (`/api/session`) and account management (`/api/users`).

use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::bindings::glint::plugins::accounts::{self, Account, AccountChange, Role};
use crate::reply::{self, Reply};

/// The session cookie (HttpOnly: scripts cannot read it; SameSite=Strict:
/// other sites cannot send it).
const COOKIE: &str = "glint_session";

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Guest => "guest",
        Role::User => "user",
        Role::Admin => "admin",
    }
}

fn parse_role(s: &str) -> Result<Role, Reply> {
    match s {
        "user" => Ok(Role::User),
        "admin" => Ok(Role::Admin),
        other => Err(reply::error(StatusCode::BAD_REQUEST, &format!("role {other:?} is not user or admin"))),
    }
}

pub fn whoami() -> Reply {
    let p = accounts::whoami();
    reply::json(StatusCode::OK, json!({ "role": role_name(p.role), "user": p.user, "csrf": p.csrf }))
}

#[derive(Deserialize)]
struct Login {
    user: String,
    password: String,
}

pub fn login(body: &[u8]) -> Reply {
    let l: Login = match reply::parse_body(body, r#"{"user": "…", "password": "…"}"#) {
        Ok(l) => l,
        Err(r) => return r,
    };
    match accounts::login(&l.user, &l.password) {
        Ok(s) => {
            let mut r = reply::json(StatusCode::OK, json!({ "user": s.user, "role": role_name(s.role), "csrf": s.csrf }));
            let cookie = format!("{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}", s.token, s.max_age_s);
            r.headers_mut().insert(http::header::SET_COOKIE, cookie.parse().expect("hex token"));
            r
        }
        Err(e) => reply::platform_error(&e),
    }
}

pub fn logout() -> Reply {
    match accounts::logout() {
        Ok(()) => {
            let mut r = reply::json(StatusCode::OK, json!({ "signed_out": true }));
            let cookie = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
            r.headers_mut().insert(http::header::SET_COOKIE, cookie.parse().expect("ascii"));
            r
        }
        Err(e) => reply::platform_error(&e),
    }
}

fn account(a: &Account) -> serde_json::Value {
    json!({ "name": a.name, "role": role_name(a.role), "disabled": a.disabled, "created_ms": a.created_ms })
}

pub fn list() -> Reply {
    match accounts::list_users() {
        Ok(users) => reply::json(StatusCode::OK, json!(users.iter().map(account).collect::<Vec<_>>())),
        Err(e) => reply::platform_error(&e),
    }
}

#[derive(Deserialize)]
struct NewAccount {
    name: String,
    password: String,
    #[serde(default = "user_role")]
    role: String,
}

fn user_role() -> String {
    "user".into()
}

pub fn add(body: &[u8]) -> Reply {
    let n: NewAccount = match reply::parse_body(body, r#"{"name": "…", "password": "…", "role": "user"}"#) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let role = match parse_role(&n.role) {
        Ok(r) => r,
        Err(r) => return r,
    };
    match accounts::add_user(&n.name, &n.password, role) {
        Ok(a) => reply::json(StatusCode::CREATED, account(&a)),
        Err(e) => reply::platform_error(&e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    role: Option<String>,
    disabled: Option<bool>,
    password: Option<String>,
}

pub fn change(name: &str, body: &[u8]) -> Reply {
    let c: Change = match reply::parse_body(body, r#"{"role"?: "user"|"admin", "disabled"?: bool, "password"?: "…"}"#) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let role = match c.role.as_deref().map(parse_role).transpose() {
        Ok(r) => r,
        Err(r) => return r,
    };
    match accounts::change_user(name, &AccountChange { role, disabled: c.disabled, password: c.password }) {
        Ok(a) => reply::json(StatusCode::OK, account(&a)),
        Err(e) => reply::platform_error(&e),
    }
}
