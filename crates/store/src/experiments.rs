//! A/B experiments: each subject's first arm per experiment version
//! (sticky), the live state an admin or a guardrail set, and one event per
//! request an experiment served. Ratings are feedback rows joined to the
//! event of the rated result.

use sqlx::Row;

use super::{Store, StoreResult, now_ms, random_id};

/// One request an experiment arm served.
pub struct NewExperimentEvent<'a> {
    pub experiment: &'a str,
    pub version: u32,
    pub arm: &'a str,
    pub subject: &'a str,
    pub ok: bool,
    pub latency_us: i64,
    /// The recorded result (signed-in users), else empty.
    pub result_id: &'a str,
}

/// A served request, as the report reads it.
#[derive(Clone, Debug)]
pub struct ExperimentEvent {
    pub time_ms: i64,
    pub arm: String,
    pub ok: bool,
    pub latency_us: i64,
}

/// A rating of a result an arm served.
#[derive(Clone, Debug)]
pub struct ExperimentRating {
    pub time_ms: i64,
    pub arm: String,
    pub rating: u8,
}

impl Store {
    /// The arm `subject` was first given in `experiment` at `version`, if any.
    pub async fn assignment(&self, experiment: &str, version: u32, subject: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT arm FROM experiment_assignments WHERE experiment = $1 AND version = $2 AND subject = $3")
            .bind(experiment)
            .bind(i64::from(version))
            .bind(subject)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("arm")).transpose()?)
    }

    /// Records `arm` as `subject`'s assignment unless one exists (another
    /// replica may have been first); returns the assignment that holds, and
    /// whether it is the one given here.
    pub async fn assign_once(&self, experiment: &str, version: u32, subject: &str, arm: &str) -> StoreResult<(String, bool)> {
        let inserted = sqlx::query(
            "INSERT INTO experiment_assignments (experiment, version, subject, arm, time_ms) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (experiment, version, subject) DO NOTHING",
        )
        .bind(experiment)
        .bind(i64::from(version))
        .bind(subject)
        .bind(arm)
        .bind(now_ms())
        .execute(self.pool())
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok((arm.to_string(), true));
        }
        let held = self.assignment(experiment, version, subject).await?;
        Ok((held.unwrap_or_else(|| arm.to_string()), false))
    }

    /// Subjects assigned to each arm of `experiment` at `version` from `since_ms` on.
    pub async fn experiment_subjects(&self, experiment: &str, version: u32, since_ms: i64) -> StoreResult<Vec<(String, u64)>> {
        let rows = sqlx::query(
            "SELECT arm, COUNT(*) AS n FROM experiment_assignments WHERE experiment = $1 AND version = $2 AND time_ms >= $3 GROUP BY arm",
        )
        .bind(experiment)
        .bind(i64::from(version))
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok((r.try_get("arm")?, r.try_get::<i64, _>("n")?.max(0) as u64))).collect()
    }

    pub async fn add_experiment_event(&self, e: NewExperimentEvent<'_>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO experiment_events (id, time_ms, experiment, version, arm, subject, ok, latency_us, result_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(random_id())
        .bind(now_ms())
        .bind(e.experiment)
        .bind(i64::from(e.version))
        .bind(e.arm)
        .bind(e.subject)
        .bind(i64::from(e.ok))
        .bind(e.latency_us)
        .bind(e.result_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The requests `experiment` at `version` served, oldest first.
    pub async fn experiment_events(&self, experiment: &str, version: u32) -> StoreResult<Vec<ExperimentEvent>> {
        let rows = sqlx::query(
            "SELECT time_ms, arm, ok, latency_us FROM experiment_events WHERE experiment = $1 AND version = $2 ORDER BY time_ms, id",
        )
        .bind(experiment)
        .bind(i64::from(version))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ExperimentEvent {
                    time_ms: r.try_get("time_ms")?,
                    arm: r.try_get("arm")?,
                    ok: r.try_get::<i64, _>("ok")? != 0,
                    latency_us: r.try_get("latency_us")?,
                })
            })
            .collect()
    }

    /// Ratings of results `experiment` at `version` served, oldest first
    /// (a result rated twice counts with each rating).
    pub async fn experiment_ratings(&self, experiment: &str, version: u32) -> StoreResult<Vec<ExperimentRating>> {
        let rows = sqlx::query(
            "SELECT f.time_ms AS time_ms, e.arm AS arm, f.rating AS rating FROM feedback f
             JOIN experiment_events e ON e.result_id = f.result_id
             WHERE e.experiment = $1 AND e.version = $2 AND e.result_id <> ''
             ORDER BY f.time_ms, f.id",
        )
        .bind(experiment)
        .bind(i64::from(version))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ExperimentRating {
                    time_ms: r.try_get("time_ms")?,
                    arm: r.try_get("arm")?,
                    rating: r.try_get::<i64, _>("rating")?.clamp(0, 5) as u8,
                })
            })
            .collect()
    }

    /// The live state last saved for `experiment`: its version and the state (JSON).
    pub async fn experiment_state(&self, experiment: &str) -> StoreResult<Option<(u32, String)>> {
        let row = sqlx::query("SELECT version, state FROM experiment_state WHERE experiment = $1")
            .bind(experiment)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| Ok::<_, sqlx::Error>((r.try_get::<i64, _>("version")?.clamp(0, i64::from(u32::MAX)) as u32, r.try_get("state")?))).transpose()?)
    }

    pub async fn save_experiment_state(&self, experiment: &str, version: u32, state: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO experiment_state (experiment, version, state, updated_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (experiment) DO UPDATE SET version = excluded.version, state = excluded.state, updated_ms = excluded.updated_ms",
        )
        .bind(experiment)
        .bind(i64::from(version))
        .bind(state)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
