//! `GET /api/audit` (admins): the audit log, filtered by query parameters,
//! as JSON or CSV. Answered by the host, like `/metrics`, because the log is
//! the host's own record of what its policy decided.

use super::routes::AUDIT_QUERY;
use glint_audit::Outcome;
use glint_store::{AuditFilter, AuditRow, Store};

/// The status, content type and body answering `query`.
pub async fn answer(store: &Store, query: Option<&str>) -> (u16, &'static str, String) {
    let (filter, csv) = match parse(query.unwrap_or("")) {
        Ok(parsed) => parsed,
        Err(message) => return (400, "application/json", error(&message)),
    };
    match store.audit_log(&filter).await {
        Ok(rows) if csv => (200, "text/csv; charset=utf-8", to_csv(&rows)),
        Ok(rows) => (200, "application/json", serde_json::json!({ "rows": rows }).to_string()),
        Err(e) => {
            tracing::error!("reading the audit log failed: {e}");
            (503, "application/json", error("the database is unavailable; try again"))
        }
    }
}

fn error(message: &str) -> String {
    serde_json::json!({ "error": { "message": message } }).to_string()
}

/// The filter of `query`, and whether it asks for CSV.
pub fn parse(query: &str) -> Result<(AuditFilter, bool), String> {
    let mut f = AuditFilter { limit: 500, ..AuditFilter::default() };
    let mut csv = false;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = value.into_owned();
        let number = |v: &str| v.parse::<i64>().map_err(|_| format!("{key} must be a whole number, not {v:?}"));
        match key.as_ref() {
            "user" => f.user = Some(value),
            "route" => f.route = Some(value),
            "check" => f.check = Some(value),
            "verdict" if ["allow", "review", "block"].contains(&value.as_str()) => f.verdict = Some(value),
            "verdict" => return Err(format!("verdict must be allow, review or block, not {value:?}")),
            "outcome" if Outcome::NAMES.contains(&value.as_str()) => {
                f.outcome = Some(value)
            }
            "outcome" => {
                return Err(format!("outcome must be one of {}, not {value:?}", Outcome::NAMES.join(", ")));
            }
            "since" => f.since_ms = Some(number(&value)?),
            "until" => f.until_ms = Some(number(&value)?),
            "limit" => f.limit = number(&value)?.clamp(1, 10_000),
            "format" if value == "json" || value == "csv" => csv = value == "csv",
            "format" => return Err(format!("format must be json or csv, not {value:?}")),
            other => {
                let known: Vec<&str> = AUDIT_QUERY.iter().map(|(n, _)| *n).collect();
                return Err(format!("unknown query parameter {other:?} (known: {})", known.join(", ")));
            }
        }
    }
    Ok((f, csv))
}

/// CSV with a header row; cells that a spreadsheet would run as a formula
/// are prefixed with an apostrophe.
fn to_csv(rows: &[AuditRow]) -> String {
    let cell = |s: &str| {
        let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
        format!("\"{}\"", s.replace('"', "\"\""))
    };
    let mut out = String::from("id,time_ms,user,session_id,route,check,verdict,outcome,reasons,scores,error,policy_version,latency_ms,experiment\n");
    for r in rows {
        let fields = [
            cell(&r.id),
            r.time_ms.to_string(),
            cell(&r.user),
            cell(&r.session_id),
            cell(&r.route),
            cell(&r.check),
            cell(&r.verdict),
            cell(&r.outcome),
            cell(&r.reasons.join(" ")),
            cell(&r.scores.to_string()),
            cell(&r.error),
            cell(&r.policy_version),
            format!("{:.3}", r.latency_ms),
            cell(&r.experiment),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}
