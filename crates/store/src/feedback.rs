//! Feedback rows: a rating and comment on one recorded result, with exactly
//! what produced it (image sha256, prompt, detections, model version, cache key).

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{ResultRow, Store, StoreResult, now_ms, random_id};

pub struct NewFeedback<'a> {
    pub user_name: &'a str,
    pub session_id: &'a str,
    pub result: &'a ResultRow,
    pub rating: u8,
    pub comment: &'a str,
}

#[derive(Clone, Debug)]
pub struct FeedbackRow {
    pub id: String,
    pub time_ms: i64,
    pub user_name: String,
    pub session_id: String,
    pub result_id: String,
    pub image_sha256: String,
    pub prompt: String,
    pub detections: String,
    pub model_version: String,
    pub cache_key: String,
    pub rating: u8,
    pub comment: String,
    /// The experiment arm that served the rated result (`name/arm`), or empty.
    pub experiment: String,
}

/// What the feedback browser filters by; `None` matches everything.
#[derive(Clone, Debug, Default)]
pub struct FeedbackFilter {
    pub user: Option<String>,
    pub model: Option<String>,
    pub min_rating: Option<u8>,
    pub max_rating: Option<u8>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Text the prompt or comment contains.
    pub text: Option<String>,
    pub limit: i64,
}

fn feedback(row: &AnyRow) -> Result<FeedbackRow, sqlx::Error> {
    Ok(FeedbackRow {
        id: row.try_get("id")?,
        time_ms: row.try_get("time_ms")?,
        user_name: row.try_get("user_name")?,
        session_id: row.try_get("session_id")?,
        result_id: row.try_get("result_id")?,
        image_sha256: row.try_get("image_sha256")?,
        prompt: row.try_get("prompt")?,
        detections: row.try_get("detections")?,
        model_version: row.try_get("model_version")?,
        cache_key: row.try_get("cache_key")?,
        rating: row.try_get::<i64, _>("rating")?.clamp(0, 5) as u8,
        comment: row.try_get("comment")?,
        experiment: row.try_get("experiment")?,
    })
}

impl Store {
    /// Stores a feedback row; returns it once committed.
    pub async fn add_feedback(&self, f: NewFeedback<'_>) -> StoreResult<FeedbackRow> {
        let row = FeedbackRow {
            id: random_id(),
            time_ms: now_ms(),
            user_name: f.user_name.into(),
            session_id: f.session_id.into(),
            result_id: f.result.id.clone(),
            image_sha256: f.result.image_sha256.clone(),
            prompt: f.result.prompt.clone(),
            detections: f.result.detections.clone(),
            model_version: f.result.model_version.clone(),
            cache_key: f.result.cache_key.clone(),
            rating: f.rating,
            comment: f.comment.into(),
            experiment: f.result.experiment.clone(),
        };
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO feedback (id, time_ms, user_name, session_id, result_id, image_sha256, prompt, detections,
             model_version, cache_key, rating, comment, experiment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&row.id)
        .bind(row.time_ms)
        .bind(&row.user_name)
        .bind(&row.session_id)
        .bind(&row.result_id)
        .bind(&row.image_sha256)
        .bind(&row.prompt)
        .bind(&row.detections)
        .bind(&row.model_version)
        .bind(&row.cache_key)
        .bind(i64::from(row.rating))
        .bind(&row.comment)
        .bind(&row.experiment)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Feedback matching `filter`, newest first.
    pub async fn feedback(&self, filter: &FeedbackFilter) -> StoreResult<Vec<FeedbackRow>> {
        let text = filter.text.as_ref().map(|t| format!("%{}%", t.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
        let rows = sqlx::query(
            "SELECT * FROM feedback WHERE
               ($1 IS NULL OR user_name = $1) AND ($2 IS NULL OR model_version = $2)
               AND rating >= $3 AND rating <= $4 AND time_ms >= $5 AND time_ms <= $6
               AND ($7 IS NULL OR prompt LIKE $7 ESCAPE '\\' OR comment LIKE $7 ESCAPE '\\')
             ORDER BY time_ms DESC, id LIMIT $8",
        )
        .bind(filter.user.as_deref())
        .bind(filter.model.as_deref())
        .bind(i64::from(filter.min_rating.unwrap_or(0)))
        .bind(i64::from(filter.max_rating.unwrap_or(5)))
        .bind(filter.since_ms.unwrap_or(0))
        .bind(filter.until_ms.unwrap_or(i64::MAX))
        .bind(text.as_deref())
        .bind(filter.limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(feedback).collect::<Result<_, _>>()?)
    }
}
