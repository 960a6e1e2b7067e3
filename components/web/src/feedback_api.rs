//! `GET /api/history`, `POST /api/feedback`, and the admins' feedback
//! browser `GET /api/feedback` (JSON or CSV).

use http::StatusCode;
use serde_json::{Value, json};

use crate::bindings::glint::plugins::feedback::{self, FeedbackFilter, FeedbackRow};
use crate::inputs;
use crate::query::Query;
use crate::reply::{self, Reply};

pub fn history(q: &Query) -> Reply {
    match feedback::history(inputs::history_limit(q)) {
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

pub fn submit(body: &[u8]) -> Reply {
    let f = match inputs::new_feedback(body) {
        Ok(f) => f,
        Err(e) => return reply::bad_input(e),
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

pub fn browse(q: &Query) -> Reply {
    let b = match inputs::browse_query(q) {
        Ok(b) => b,
        Err(e) => return reply::bad_input(e),
    };
    let filter = FeedbackFilter {
        user: b.user,
        model: b.model,
        min_rating: b.min_rating,
        max_rating: b.max_rating,
        since_ms: b.since_ms,
        until_ms: b.until_ms,
        text: b.text,
        limit: b.limit,
    };
    let rows = match feedback::browse(&filter) {
        Ok(rows) => rows,
        Err(e) => return reply::platform_error(&e),
    };
    if !b.csv {
        return reply::json(StatusCode::OK, json!(rows.iter().map(row_json).collect::<Vec<_>>()));
    }
    let mut r = reply::reply(StatusCode::OK, "text/csv; charset=utf-8", csv(&rows));
    let disposition = "attachment; filename=\"glint-feedback.csv\"".parse().expect("ascii");
    r.headers_mut().insert(http::header::CONTENT_DISPOSITION, disposition);
    r
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
