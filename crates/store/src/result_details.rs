//! What reports of a recorded result need beyond its history row: the
//! uploaded image (kept once per sha256, for signed-in users' results only),
//! the detector build, the image's size, how each phrase was understood and
//! the audit decisions taken; and its latest rating.

use sqlx::Row;

use super::{Store, StoreResult, now_ms};

/// The details of one result.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ResultDetails {
    pub plugin_sha256: String,
    pub width: u32,
    pub height: u32,
    /// `PhraseOut`s as JSON.
    pub phrases: serde_json::Value,
    /// The audit decisions as JSON: `[{"check", "verdict", "reasons"}]`.
    pub audit: serde_json::Value,
}

impl Store {
    /// Keeps `bytes` under `sha256` (once) and the details of `result_id`.
    pub async fn add_result_details(&self, result_id: &str, image_sha256: &str, image: &[u8], d: &ResultDetails) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("INSERT INTO images (sha256, bytes, created_ms) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING")
            .bind(image_sha256)
            .bind(image)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO result_details (result_id, plugin_sha256, width, height, phrases, audit) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(result_id)
        .bind(&d.plugin_sha256)
        .bind(i64::from(d.width))
        .bind(i64::from(d.height))
        .bind(d.phrases.to_string())
        .bind(d.audit.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn result_details(&self, result_id: &str) -> StoreResult<Option<ResultDetails>> {
        let row = sqlx::query("SELECT * FROM result_details WHERE result_id = $1").bind(result_id).fetch_optional(self.pool()).await?;
        let Some(row) = row else { return Ok(None) };
        let json = |k: &str| -> Result<serde_json::Value, sqlx::Error> {
            Ok(serde_json::from_str(&row.try_get::<String, _>(k)?).unwrap_or(serde_json::Value::Null))
        };
        Ok(Some(ResultDetails {
            plugin_sha256: row.try_get("plugin_sha256")?,
            width: row.try_get::<i64, _>("width")? as u32,
            height: row.try_get::<i64, _>("height")? as u32,
            phrases: json("phrases")?,
            audit: json("audit")?,
        }))
    }

    /// A kept image by sha256.
    pub async fn image(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT bytes FROM images WHERE sha256 = $1").bind(sha256).fetch_optional(self.pool()).await?;
        Ok(row.map(|r| r.try_get::<Vec<u8>, _>("bytes")).transpose()?)
    }

    /// The latest rating of a result: (stars, comment).
    pub async fn rating_of(&self, result_id: &str) -> StoreResult<Option<(u8, String)>> {
        let row = sqlx::query("SELECT rating, comment FROM feedback WHERE result_id = $1 ORDER BY time_ms DESC, id LIMIT 1")
            .bind(result_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| -> Result<(u8, String), sqlx::Error> { Ok((r.try_get::<i64, _>("rating")? as u8, r.try_get("comment")?)) }).transpose()?)
    }
}
