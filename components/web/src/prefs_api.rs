//! `/api/preferences`: a signed-in account's UI preferences (language, last
//! prompt, threshold), kept in the `default` store of `spin:key-value` under
//! `prefs/<user>/<name>`, so they follow the account across browsers and
//! replicas (and run unchanged on Spin's own key-value store).

use http::StatusCode;
use serde_json::{Map, Value, json};
use spin_sdk::key_value::Store;

use crate::bindings::glint::plugins::accounts;
use crate::reply::{self, Reply};

/// The preferences and how each is checked.
const NAMES: &[&str] = &["lang", "prompt", "threshold"];

fn check(name: &str, value: &Value) -> Result<(), String> {
    match (name, value) {
        ("lang", Value::String(s)) if s == "en" || s == "zh" => Ok(()),
        ("prompt", Value::String(s)) if s.chars().count() <= 1000 => Ok(()),
        ("threshold", Value::Number(n)) if n.as_f64().is_some_and(|t| (0.0..=1.0).contains(&t)) => Ok(()),
        ("lang", _) => Err("lang must be \"en\" or \"zh\"".into()),
        ("prompt", _) => Err("prompt must be a string of at most 1000 characters".into()),
        ("threshold", _) => Err("threshold must be a number in [0, 1]".into()),
        (other, _) => Err(format!("unknown preference {other:?} (known: {})", NAMES.join(", "))),
    }
}

/// `prefs/<user>/`, or the 401 reply for a guest (the route table lets none through).
fn prefix() -> Result<String, Reply> {
    match accounts::whoami().user {
        Some(user) => Ok(format!("prefs/{user}/")),
        None => Err(reply::error(StatusCode::UNAUTHORIZED, "sign in to keep preferences")),
    }
}

async fn open() -> Result<Store, Reply> {
    Store::open("default")
        .await
        .map_err(|e| reply::error(StatusCode::SERVICE_UNAVAILABLE, &format!("the key-value store is unavailable: {e:?}")))
}

/// The account's keys (`get-keys`, filtered by the prefix).
async fn keys(store: &Store, prefix: &str) -> Result<Vec<String>, Reply> {
    let all = store.get_keys().await.collect().await;
    let all = all.map_err(|e| reply::error(StatusCode::SERVICE_UNAVAILABLE, &format!("listing keys failed: {e:?}")))?;
    Ok(all.into_iter().filter(|k| k.starts_with(prefix)).collect())
}

async fn read(store: &Store, prefix: &str) -> Result<Value, Reply> {
    let mut out = Map::new();
    for key in keys(store, prefix).await? {
        if let Ok(Some(bytes)) = store.get(&key).await {
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                out.insert(key[prefix.len()..].to_string(), v);
            }
        }
    }
    Ok(Value::Object(out))
}

pub async fn get() -> Reply {
    let run = async {
        let prefix = prefix()?;
        let store = open().await?;
        Ok::<_, Reply>(reply::json(StatusCode::OK, read(&store, &prefix).await?))
    };
    run.await.unwrap_or_else(|r| r)
}

pub async fn put(body: &[u8]) -> Reply {
    let run = async {
        let prefix = prefix()?;
        let changes: Map<String, Value> = reply::parse_body(body, r#"{"lang"?: "en"|"zh", "prompt"?: "…", "threshold"?: 0.3}"#)?;
        for (name, value) in &changes {
            check(name, value).map_err(|m| reply::error(StatusCode::BAD_REQUEST, &m))?;
        }
        let store = open().await?;
        for (name, value) in &changes {
            let key = format!("{prefix}{name}");
            store.set(&key, value.to_string()).await.map_err(|e| {
                reply::error(StatusCode::SERVICE_UNAVAILABLE, &format!("saving {name} failed: {e:?}"))
            })?;
        }
        Ok::<_, Reply>(reply::json(StatusCode::OK, read(&store, &prefix).await?))
    };
    run.await.unwrap_or_else(|r| r)
}

pub async fn delete() -> Reply {
    let run = async {
        let prefix = prefix()?;
        let store = open().await?;
        for key in keys(&store, &prefix).await? {
            if store.exists(&key).await.unwrap_or(false) {
                let _ = store.delete(&key).await;
            }
        }
        Ok::<_, Reply>(reply::json(StatusCode::OK, json!({})))
    };
    run.await.unwrap_or_else(|r| r)
}
