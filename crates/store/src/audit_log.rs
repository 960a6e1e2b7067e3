//! The audit log: one row per audit decision, with who asked (user and
//! session, empty for guests), where (route), which check, its verdict and
//! outcome, reasons, scores, the policy version and the check's latency.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreResult, now_ms, random_id};
use glint_audit::{Decision, action_name};

/// Who and where a decision was taken for.
#[derive(Clone, Debug, Default)]
pub struct AuditContext {
    /// Empty for guests.
    pub user_name: String,
    pub session_id: String,
    /// The route (`POST /api/detect`) or, for the gateway, its API path.
    pub route: String,
    /// The experiment arm the request was served by (`name/arm`), or empty.
    pub experiment: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct AuditRow {
    pub id: String,
    pub time_ms: i64,
    pub user: String,
    pub session_id: String,
    pub route: String,
    pub check: String,
    pub verdict: String,
    pub outcome: String,
    pub reasons: Vec<String>,
    pub scores: serde_json::Value,
    pub error: String,
    pub policy_version: String,
    pub latency_ms: f64,
    /// The experiment arm of the request (`name/arm`), or empty.
    pub experiment: String,
}

/// What the audit browser filters by; `None` matches everything.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub user: Option<String>,
    pub route: Option<String>,
    pub check: Option<String>,
    pub verdict: Option<String>,
    pub outcome: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub limit: i64,
}

fn audit_row(row: &AnyRow) -> Result<AuditRow, sqlx::Error> {
    let reasons: String = row.try_get("reasons")?;
    let scores: String = row.try_get("scores")?;
    Ok(AuditRow {
        id: row.try_get("id")?,
        time_ms: row.try_get("time_ms")?,
        user: row.try_get("user_name")?,
        session_id: row.try_get("session_id")?,
        route: row.try_get("route")?,
        check: row.try_get("check_name")?,
        verdict: row.try_get("verdict")?,
        outcome: row.try_get("outcome")?,
        reasons: reasons.split(',').filter(|r| !r.is_empty()).map(str::to_string).collect(),
        scores: serde_json::from_str(&scores).unwrap_or(serde_json::Value::Null),
        error: row.try_get("error")?,
        policy_version: row.try_get("policy_version")?,
        latency_ms: row.try_get::<i64, _>("latency_us")? as f64 / 1e3,
        experiment: row.try_get("experiment")?,
    })
}

/// Values in one audit_log row.
const COLUMNS: usize = 14;

/// Rows per INSERT: far under both databases' limits on parameters.
const ROWS_PER_INSERT: usize = 64;

impl Store {
    /// Logs the decisions of one request, all or none: one multi-row
    /// INSERT, atomic on its own, so one round trip to the database where a
    /// transaction of one INSERT per row took one per row plus two. Past
    /// `ROWS_PER_INSERT` decisions the INSERTs share a transaction.
    pub async fn log_audit(&self, cx: &AuditContext, decisions: &[Decision]) -> StoreResult<()> {
        if decisions.len() <= ROWS_PER_INSERT {
            return insert_audit_rows(self.pool(), cx, decisions).await;
        }
        let mut tx = self.pool().begin().await?;
        for chunk in decisions.chunks(ROWS_PER_INSERT) {
            insert_audit_rows(&mut *tx, cx, chunk).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Audit rows matching `filter`, newest first.
    pub async fn audit_log(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditRow>> {
        let rows = sqlx::query(
            "SELECT * FROM audit_log WHERE
               ($1 IS NULL OR user_name = $1) AND ($2 IS NULL OR route = $2) AND ($3 IS NULL OR check_name = $3)
               AND ($4 IS NULL OR verdict = $4) AND ($5 IS NULL OR outcome = $5)
               AND time_ms >= $6 AND time_ms <= $7
             ORDER BY time_ms DESC, id LIMIT $8",
        )
        .bind(filter.user.as_deref())
        .bind(filter.route.as_deref())
        .bind(filter.check.as_deref())
        .bind(filter.verdict.as_deref())
        .bind(filter.outcome.as_deref())
        .bind(filter.since_ms.unwrap_or(0))
        .bind(filter.until_ms.unwrap_or(i64::MAX))
        .bind(filter.limit.clamp(1, 10_000))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(audit_row).collect::<Result<_, _>>()?)
    }
}

/// One INSERT of `decisions` as rows (nothing for none) through `executor`.
async fn insert_audit_rows<'e, E>(executor: E, cx: &AuditContext, decisions: &[Decision]) -> StoreResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if decisions.is_empty() {
        return Ok(());
    }
    let time_ms = now_ms();
    let mut sql = String::from(
        "INSERT INTO audit_log (id, time_ms, user_name, session_id, route, check_name, verdict, outcome,
         reasons, scores, error, policy_version, latency_us, experiment) VALUES ",
    );
    for row in 0..decisions.len() {
        let values: Vec<String> = (1..=COLUMNS).map(|c| format!("${}", row * COLUMNS + c)).collect();
        sql.push_str(if row == 0 { "(" } else { ", (" });
        sql.push_str(&values.join(", "));
        sql.push(')');
    }
    let mut query = sqlx::query(&sql);
    for d in decisions {
        let scores: serde_json::Map<String, serde_json::Value> =
            d.scores.iter().map(|(n, s)| (n.clone(), serde_json::json!(s))).collect();
        query = query
            .bind(random_id())
            .bind(time_ms)
            .bind(&cx.user_name)
            .bind(&cx.session_id)
            .bind(&cx.route)
            .bind(&d.check)
            .bind(action_name(d.action))
            .bind(d.outcome.as_str())
            .bind(d.reasons.join(","))
            .bind(serde_json::Value::Object(scores).to_string())
            .bind(d.error.as_deref().unwrap_or(""))
            .bind(&d.policy_version)
            .bind((d.latency_ms * 1e3) as i64)
            .bind(&cx.experiment);
    }
    query.execute(executor).await?;
    Ok(())
}
