//! What the API's requests carry, parsed and checked before anything is
//! called: each route's query parameters and JSON body. Pure (no platform
//! calls, no bindings), so the fuzz target `web_inputs` runs it natively. An
//! error is the message of a 400 answer.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::query::Query;

/// Why a request's input was refused: the message of its 400 answer.
#[derive(Debug)]
pub struct BadInput(pub String);

/// Parses a JSON body into `T`; `shape` shows the expected document.
pub fn json_body<T: DeserializeOwned>(body: &[u8], shape: &str) -> Result<T, BadInput> {
    serde_json::from_slice(body).map_err(|e| BadInput(format!("the body must be JSON {shape}: {e}")))
}

/// `POST /api/detect` and `POST /api/jobs`: `?prompt=…&threshold=…&model=…`.
pub struct DetectParams {
    pub prompt: String,
    pub threshold: f32,
    pub model: Option<String>,
}

pub fn detect_params(q: &Query) -> Result<DetectParams, BadInput> {
    let Some(prompt) = q.get("prompt") else {
        return Err(BadInput("give the prompt as ?prompt=…, e.g. ?prompt=a%20cat%20.%20a%20dog".into()));
    };
    let threshold = match q.get("threshold").map(|t| t.parse::<f32>()) {
        None => 0.3,
        Some(Ok(t)) if (0.0..=1.0).contains(&t) => t,
        Some(_) => return Err(BadInput("threshold must be a number in [0, 1]".into())),
    };
    Ok(DetectParams { prompt: prompt.clone(), threshold, model: q.get("model").cloned() })
}

/// `GET /api/history?limit=N` (default 50; a limit that is not a number is the default).
pub fn history_limit(q: &Query) -> u32 {
    q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(50)
}

/// `POST /api/feedback`'s body.
#[derive(Deserialize)]
pub struct NewFeedback {
    pub result_id: String,
    pub rating: u8,
    #[serde(default)]
    pub comment: String,
}

pub fn new_feedback(body: &[u8]) -> Result<NewFeedback, BadInput> {
    json_body(body, r#"{"result_id": "…", "rating": 1-5, "comment": "…"}"#)
}

/// `GET /api/feedback`'s filter (admins' feedback browser) and format.
#[derive(Debug, Default)]
pub struct BrowseQuery {
    pub user: Option<String>,
    pub model: Option<String>,
    pub min_rating: Option<u8>,
    pub max_rating: Option<u8>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub text: Option<String>,
    pub limit: u32,
    pub csv: bool,
}

pub fn browse_query(q: &Query) -> Result<BrowseQuery, BadInput> {
    let text = |name: &str| q.get(name).filter(|v| !v.is_empty()).cloned();
    let csv = match q.get("format").map(String::as_str) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => return Err(BadInput(format!("format={other:?}: use json or csv"))),
    };
    Ok(BrowseQuery {
        user: text("user"),
        model: text("model"),
        min_rating: number(q, "min_rating")?,
        max_rating: number(q, "max_rating")?,
        since_ms: number(q, "since")?,
        until_ms: number(q, "until")?,
        text: text("q"),
        limit: number(q, "limit")?.unwrap_or(500),
        csv,
    })
}

/// An optional number parameter, or the error naming it.
fn number<T: std::str::FromStr>(q: &Query, name: &str) -> Result<Option<T>, BadInput> {
    match q.get(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| BadInput(format!("{name}={v:?} is not a number"))),
    }
}

/// A role an admin may give an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleName {
    User,
    Admin,
}

fn role(s: &str) -> Result<RoleName, BadInput> {
    match s {
        "user" => Ok(RoleName::User),
        "admin" => Ok(RoleName::Admin),
        other => Err(BadInput(format!("role {other:?} is not user or admin"))),
    }
}

/// `POST /api/session`'s body.
#[derive(Deserialize)]
pub struct Login {
    pub user: String,
    pub password: String,
}

pub fn login(body: &[u8]) -> Result<Login, BadInput> {
    json_body(body, r#"{"user": "…", "password": "…"}"#)
}

/// `POST /api/users`'s body.
pub struct NewAccount {
    pub name: String,
    pub password: String,
    pub role: RoleName,
}

pub fn new_account(body: &[u8]) -> Result<NewAccount, BadInput> {
    #[derive(Deserialize)]
    struct Raw {
        name: String,
        password: String,
        role: Option<String>,
    }
    let raw: Raw = json_body(body, r#"{"name": "…", "password": "…", "role": "user"}"#)?;
    let role = raw.role.as_deref().map(role).transpose()?.unwrap_or(RoleName::User);
    Ok(NewAccount { name: raw.name, password: raw.password, role })
}

/// `PATCH /api/users/{name}`'s body: what changes (`None`: as it is).
pub struct AccountEdit {
    pub role: Option<RoleName>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

pub fn account_edit(body: &[u8]) -> Result<AccountEdit, BadInput> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        role: Option<String>,
        disabled: Option<bool>,
        password: Option<String>,
    }
    let raw: Raw = json_body(body, r#"{"role"?: "user"|"admin", "disabled"?: bool, "password"?: "…"}"#)?;
    Ok(AccountEdit { role: raw.role.as_deref().map(role).transpose()?, disabled: raw.disabled, password: raw.password })
}

/// The preferences `PUT /api/preferences` accepts.
pub const PREFERENCES: &[&str] = &["lang", "prompt", "threshold"];

/// `PUT /api/preferences`'s body: the preferences to set, each checked.
pub fn preference_changes(body: &[u8]) -> Result<Map<String, Value>, BadInput> {
    let changes: Map<String, Value> = json_body(body, r#"{"lang"?: "en"|"zh", "prompt"?: "…", "threshold"?: 0.3}"#)?;
    for (name, value) in &changes {
        check_preference(name, value).map_err(BadInput)?;
    }
    Ok(changes)
}

fn check_preference(name: &str, value: &Value) -> Result<(), String> {
    match (name, value) {
        ("lang", Value::String(s)) if s == "en" || s == "zh" => Ok(()),
        ("prompt", Value::String(s)) if s.chars().count() <= 1000 => Ok(()),
        ("threshold", Value::Number(n)) if n.as_f64().is_some_and(|t| (0.0..=1.0).contains(&t)) => Ok(()),
        ("lang", _) => Err("lang must be \"en\" or \"zh\"".into()),
        ("prompt", _) => Err("prompt must be a string of at most 1000 characters".into()),
        ("threshold", _) => Err("threshold must be a number in [0, 1]".into()),
        (other, _) => Err(format!("unknown preference {other:?} (known: {})", PREFERENCES.join(", "))),
    }
}

/// `GET /examples/{name}`: a plain file name of a photo (no path, no hidden
/// file), and its content type; `None` answers 404.
pub fn example_name(name: &str) -> Option<&'static str> {
    let plain = !name.is_empty() && !name.starts_with('.') && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    plain.then(|| example_type(name)).flatten()
}

/// The content type of a photo the gallery serves, by extension.
pub fn example_type(name: &str) -> Option<&'static str> {
    match name.rsplit_once('.')?.1.to_ascii_lowercase().as_str() {
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

    #[test]
    fn detect_params_checked() {
        let p = detect_params(&parse("prompt=a%20cat&threshold=0.5&model=v1")).unwrap();
        assert_eq!((p.prompt.as_str(), p.threshold, p.model.as_deref()), ("a cat", 0.5, Some("v1")));
        assert_eq!(detect_params(&parse("prompt=x")).unwrap().threshold, 0.3);
        for bad in ["threshold=0.5", "prompt=x&threshold=NaN", "prompt=x&threshold=2", "prompt=x&threshold=-0.1", "prompt=x&threshold=y"] {
            assert!(detect_params(&parse(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn browse_query_checked() {
        let b = browse_query(&parse("user=ann&min_rating=4&since=10&format=csv")).unwrap();
        assert_eq!((b.user.as_deref(), b.min_rating, b.since_ms, b.limit, b.csv), (Some("ann"), Some(4), Some(10), 500, true));
        assert!(browse_query(&parse("min_rating=900")).err().expect("refused").0.contains("min_rating"));
        assert!(browse_query(&parse("format=xml")).err().expect("refused").0.contains("json or csv"));
    }

    #[test]
    fn account_bodies_checked() {
        assert_eq!(new_account(br#"{"name":"a","password":"p"}"#).unwrap().role, RoleName::User);
        assert!(new_account(br#"{"name":"a","password":"p","role":"root"}"#).err().expect("refused").0.contains("root"));
        assert!(account_edit(br#"{"colour":"red"}"#).err().expect("refused").0.contains("colour"));
        assert_eq!(account_edit(br#"{"role":"admin"}"#).unwrap().role, Some(RoleName::Admin));
        assert!(login(b"{").is_err());
        assert!(new_account(br#"{"name":"a"}"#).err().expect("refused").0.contains("password"));
    }

    #[test]
    fn preferences_checked() {
        assert_eq!(preference_changes(br#"{"lang":"zh","threshold":0.4}"#).unwrap().len(), 2);
        assert!(preference_changes(br#"{"lang":"fr"}"#).err().expect("refused").0.contains("lang"));
        assert!(preference_changes(br#"{"colour":1}"#).err().expect("refused").0.contains("colour"));
        assert!(preference_changes(br#"[1]"#).is_err());
    }

    #[test]
    fn example_names_plain() {
        assert_eq!(example_name("chelsea.png"), Some("image/png"));
        for bad in ["../spin.toml", ".hidden.png", "a/b.png", "x.toml", "", "%2e%2e.png"] {
            assert_eq!(example_name(bad), None, "{bad}");
        }
    }
}
