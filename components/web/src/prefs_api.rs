//! `/api/preferences`: a signed-in account's UI preferences (language, last
//! prompt, threshold), kept in the `default` store of `spin:key-value` under
//! `prefs/<user>/<name>`, so they follow the account across browsers and
//! replicas (and run unchanged on Spin's own key-value store).

use http::StatusCode;
use serde_json::{Map, Value, json};
use spin_sdk::key_value::Store;

use crate::bindings::glint::plugins::accounts;
use crate::inputs;
use crate::reply::{self, Reply};

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
        let changes = inputs::preference_changes(body).map_err(reply::bad_input)?;
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
