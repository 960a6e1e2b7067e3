//! Sign-in (`/api/session`) and account management (`/api/users`).

use http::StatusCode;
use serde_json::json;

use crate::bindings::glint::plugins::accounts::{self, Account, AccountChange, Role};
use crate::inputs::{self, RoleName};
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

fn role(r: RoleName) -> Role {
    match r {
        RoleName::User => Role::User,
        RoleName::Admin => Role::Admin,
    }
}

pub fn whoami() -> Reply {
    let p = accounts::whoami();
    reply::json(StatusCode::OK, json!({ "role": role_name(p.role), "user": p.user, "csrf": p.csrf }))
}

pub fn login(body: &[u8]) -> Reply {
    let l = match inputs::login(body) {
        Ok(l) => l,
        Err(e) => return reply::bad_input(e),
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

pub fn add(body: &[u8]) -> Reply {
    let n = match inputs::new_account(body) {
        Ok(n) => n,
        Err(e) => return reply::bad_input(e),
    };
    match accounts::add_user(&n.name, &n.password, role(n.role)) {
        Ok(a) => reply::json(StatusCode::CREATED, account(&a)),
        Err(e) => reply::platform_error(&e),
    }
}

pub fn change(name: &str, body: &[u8]) -> Reply {
    let c = match inputs::account_edit(body) {
        Ok(c) => c,
        Err(e) => return reply::bad_input(e),
    };
    match accounts::change_user(name, &AccountChange { role: c.role.map(role), disabled: c.disabled, password: c.password }) {
        Ok(a) => reply::json(StatusCode::OK, account(&a)),
        Err(e) => reply::platform_error(&e),
    }
}
