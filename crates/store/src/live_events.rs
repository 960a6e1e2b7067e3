//! The record of live changes: every plugin install, swap and rollback,
//! every model version added, reloaded or removed, and every candidate
//! refused, with who, when, the builds before and after, the step that
//! refused it and why, and how long each step took.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreResult, now_ms, random_id};

/// One live change, as recorded.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct LiveEvent {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub time_ms: i64,
    /// The account, `token` (the admin bearer token), `watcher` or `start`.
    pub actor: String,
    /// `install`, `rollback`, `model-add`, `model-reload` or `model-remove`.
    pub action: String,
    /// The plugin's name or the model version.
    pub target: String,
    /// The build serving before (a plugin's sha256, a model's build), if any.
    pub old_sha256: String,
    /// The candidate's build.
    pub new_sha256: String,
    /// `swapped`, `unchanged` (the same build again) or `refused`.
    pub outcome: String,
    /// For `refused`: the step that refused it.
    pub step: String,
    pub reason: String,
    pub duration_ms: i64,
    /// Each step's milliseconds, e.g. `{"world": 0, "compile": 812, "canary": 95, "swap": 0}`.
    pub steps: serde_json::Value,
}

fn event_row(row: &AnyRow) -> Result<LiveEvent, sqlx::Error> {
    let steps: String = row.try_get("steps")?;
    Ok(LiveEvent {
        id: row.try_get("id")?,
        time_ms: row.try_get("time_ms")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        old_sha256: row.try_get("old_sha256")?,
        new_sha256: row.try_get("new_sha256")?,
        outcome: row.try_get("outcome")?,
        step: row.try_get("step")?,
        reason: row.try_get("reason")?,
        duration_ms: row.try_get("duration_ms")?,
        steps: serde_json::from_str(&steps).unwrap_or(serde_json::Value::Null),
    })
}

impl Store {
    /// Records `event` (its id and time are set here); returns it as stored.
    pub async fn record_live_event(&self, mut event: LiveEvent) -> StoreResult<LiveEvent> {
        event.id = random_id();
        event.time_ms = now_ms();
        sqlx::query(
            "INSERT INTO live_events (id, time_ms, actor, action, target, old_sha256, new_sha256, outcome, step, reason,
             duration_ms, steps) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&event.id)
        .bind(event.time_ms)
        .bind(&event.actor)
        .bind(&event.action)
        .bind(&event.target)
        .bind(&event.old_sha256)
        .bind(&event.new_sha256)
        .bind(&event.outcome)
        .bind(&event.step)
        .bind(&event.reason)
        .bind(event.duration_ms)
        .bind(event.steps.to_string())
        .execute(self.pool())
        .await?;
        Ok(event)
    }

    /// The newest `limit` events, for `target` only when given, newest first.
    pub async fn live_events(&self, target: Option<&str>, limit: i64) -> StoreResult<Vec<LiveEvent>> {
        let rows = sqlx::query("SELECT * FROM live_events WHERE ($1 IS NULL OR target = $1) ORDER BY time_ms DESC, id LIMIT $2")
            .bind(target)
            .bind(limit.clamp(1, 10_000))
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(event_row).collect::<Result<_, _>>()?)
    }
}
