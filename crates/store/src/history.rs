//! Detection results of signed-in users: the session's history, and what
//! feedback refers to.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreResult};

/// A result to record.
pub struct NewResult<'a> {
    pub id: &'a str,
    pub time_ms: i64,
    pub user_name: &'a str,
    pub session_id: &'a str,
    pub image_sha256: &'a str,
    pub prompt: &'a str,
    /// The detections as JSON.
    pub detections: &'a str,
    pub model_version: &'a str,
    pub cache_key: &'a str,
    pub cached: bool,
    /// The experiment arm that served it (`name/arm`), or empty.
    pub experiment: &'a str,
}

#[derive(Clone, Debug)]
pub struct ResultRow {
    pub id: String,
    pub time_ms: i64,
    pub user_name: String,
    pub session_id: String,
    pub image_sha256: String,
    pub prompt: String,
    pub detections: String,
    pub model_version: String,
    pub cache_key: String,
    pub cached: bool,
    /// The experiment arm that served it (`name/arm`), or empty.
    pub experiment: String,
}

fn result(row: &AnyRow) -> Result<ResultRow, sqlx::Error> {
    Ok(ResultRow {
        id: row.try_get("id")?,
        time_ms: row.try_get("time_ms")?,
        user_name: row.try_get("user_name")?,
        session_id: row.try_get("session_id")?,
        image_sha256: row.try_get("image_sha256")?,
        prompt: row.try_get("prompt")?,
        detections: row.try_get("detections")?,
        model_version: row.try_get("model_version")?,
        cache_key: row.try_get("cache_key")?,
        cached: row.try_get::<i64, _>("cached")? != 0,
        experiment: row.try_get("experiment")?,
    })
}

impl Store {
    pub async fn add_result(&self, r: NewResult<'_>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO results (id, time_ms, user_name, session_id, image_sha256, prompt, detections, model_version,
             cache_key, cached, experiment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(r.id)
        .bind(r.time_ms)
        .bind(r.user_name)
        .bind(r.session_id)
        .bind(r.image_sha256)
        .bind(r.prompt)
        .bind(r.detections)
        .bind(r.model_version)
        .bind(r.cache_key)
        .bind(i64::from(r.cached))
        .bind(r.experiment)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn result(&self, id: &str) -> StoreResult<Option<ResultRow>> {
        let row = sqlx::query("SELECT * FROM results WHERE id = $1").bind(id).fetch_optional(self.pool()).await?;
        Ok(row.as_ref().map(result).transpose()?)
    }

    /// A session's results, newest first.
    pub async fn history(&self, session_id: &str, limit: i64) -> StoreResult<Vec<ResultRow>> {
        let rows = sqlx::query("SELECT * FROM results WHERE session_id = $1 ORDER BY time_ms DESC, id LIMIT $2")
            .bind(session_id)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(result).collect::<Result<_, _>>()?)
    }
}
