//! The key-value stores of `spin:key-value`: (store label, key) → bytes.

use sqlx::Row;

use super::{Store, StoreResult};

impl Store {
    pub async fn kv_get(&self, label: &str, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT value FROM kv WHERE store = $1 AND key = $2")
            .bind(label)
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get::<Vec<u8>, _>("value")).transpose()?)
    }

    pub async fn kv_set(&self, label: &str, key: &str, value: &[u8]) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO kv (store, key, value) VALUES ($1, $2, $3)
             ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
        )
        .bind(label)
        .bind(key)
        .bind(value.to_vec())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn kv_delete(&self, label: &str, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM kv WHERE store = $1 AND key = $2").bind(label).bind(key).execute(self.pool()).await?;
        Ok(())
    }

    /// Every key of a store, sorted.
    pub async fn kv_keys(&self, label: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query("SELECT key FROM kv WHERE store = $1 ORDER BY key").bind(label).fetch_all(self.pool()).await?;
        Ok(rows.iter().map(|r| r.try_get("key")).collect::<Result<_, _>>()?)
    }
}
