//! `GET /api/history`, `POST /api/feedback`, and the admins' feedback
//! browser `GET /api/feedback` (JSON or CSV).

use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::bindings::glint::plugins::feedback::{self, FeedbackFilter, FeedbackRow};
use crate::query::Query;
use crate::reply::{self, Reply};

pub fn history(q: &Query) -> Reply {
    let limit = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(50);
    match feedback::history(limit) {
        Ok(entries) => reply::json(
            StatusCode::OK,
            json!(entries.iter().map(|e| json!({
                "result_id": e.result_id,
                "time_ms": e.time_ms,
                "prompt": e.prompt,
                "model_version": e.model_version,
                "image_sha256": e.image_sha256,
                "detections": serde_json::from_str::<Value>(&e.detections).unwrap_or(Value::Null),
                "cached": e.cached,
                "experiment": e.experiment,
            })).collect::<Vec<_>>()),
        ),
        Err(e) => reply::platform_error(&e),
    }
}

#[derive(Deserialize)]
struct NewFeedback {
    result_id: String,
    rating: u8,
    #[serde(default)]
    comment: String,
}

pub fn submit(body: &[u8]) -> Reply {
    let f: NewFeedback = match reply::parse_body(body, r#"{"result_id": "…", "rating": 1-5, "comment": "…"}"#) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match feedback::submit(&f.result_id, f.rating, &f.comment) {
        Ok(row) => reply::json(StatusCode::CREATED, row_json(&row)),
        Err(e) => reply::platform_error(&e),
    }
}

fn row_json(r: &FeedbackRow) -> Value {
    json!({
        "id": r.id,
        "time_ms": r.time_ms,
        "user": r.user,
        "session_id": r.session_id,
        "result_id": r.result_id,
        "image_sha256": r.image_sha256,
        "prompt": r.prompt,
        "detections": serde_json::from_str::<Value>(&r.detections).unwrap_or(Value::Null),
        "model_version": r.model_version,
        "cache_key": r.cache_key,
        "rating": r.rating,
        "comment": r.comment,
        "experiment": r.experiment,
    })
}

/// Parses an optional number parameter, or the 400 reply naming it.
fn number<T: std::str::FromStr>(q: &Query, name: &str) -> Result<Option<T>, Reply> {
    match q.get(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| reply::error(StatusCode::BAD_REQUEST, &format!("{name}={v:?} is not a number"))),
    }
}

pub fn browse(q: &Query) -> Reply {
    let text = |name: &str| q.get(name).filter(|v| !v.is_empty()).cloned();
    let filter = (|| {
        Ok::<_, Reply>(FeedbackFilter {
            user: text("user"),
            model: text("model"),
            min_rating: number(q, "min_rating")?,
            max_rating: number(q, "max_rating")?,
            since_ms: number(q, "since")?,
            until_ms: number(q, "until")?,
            text: text("q"),
            limit: number(q, "limit")?.unwrap_or(500),
        })
    })();
    let filter = match filter {
        Ok(f) => f,
        Err(r) => return r,
    };
    let rows = match feedback::browse(&filter) {
        Ok(rows) => rows,
        Err(e) => return reply::platform_error(&e),
    };
    match q.get("format").map(String::as_str) {
        None | Some("json") => reply::json(StatusCode::OK, json!(rows.iter().map(row_json).collect::<Vec<_>>())),
        Some("csv") => {
            let mut r = reply::reply(StatusCode::OK, "text/csv; charset=utf-8", csv(&rows));
            let disposition = "attachment; filename=\"glint-feedback.csv\"".parse().expect("ascii");
            r.headers_mut().insert(http::header::CONTENT_DISPOSITION, disposition);
            r
        }
        Some(other) => reply::error(StatusCode::BAD_REQUEST, &format!("format={other:?}: use json or csv")),
    }
}

const CSV_COLUMNS: &str =
    "id,time_ms,user,session_id,result_id,image_sha256,prompt,detections,model_version,cache_key,rating,comment,experiment";

fn csv(rows: &[FeedbackRow]) -> String {
    let mut out = String::from(CSV_COLUMNS);
    out.push_str("\r\n");
    for r in rows {
        let cells = [
            r.id.clone(), r.time_ms.to_string(), r.user.clone(), r.session_id.clone(), r.result_id.clone(),
            r.image_sha256.clone(), r.prompt.clone(), r.detections.clone(), r.model_version.clone(),
            r.cache_key.clone(), r.rating.to_string(), r.comment.clone(), r.experiment.clone().unwrap_or_default(),
        ];
        let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// RFC 4180 quoting; a leading = + - @ is prefixed with ' so spreadsheets
/// do not run a comment as a formula.
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\r', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}
