//! The live-change API, answered by the host: under `/api/admin/` in
//! `glint up` (admins only; a state change needs the session's CSRF token,
//! or the bearer token in `$GLINT_ADMIN_TOKEN` instead of a session, as
//! `glint plugins install` sends), and under `/glint/api/admin/` in
//! `glint gateway` (the bearer token only):
//!
//! - `GET /api/admin/plugins`: what serves, kept builds, last events;
//! - `PUT /api/admin/plugins/{name}`: install or replace (the body is the component);
//! - `POST /api/admin/plugins/{name}/rollback`: back to the previous build;
//! - `GET /api/admin/events`: the record of live changes (`target`, `limit`);
//! - `POST /api/admin/models/reload`: rescan `models/`;
//! - `POST /api/admin/models/{version}/reload`: reload one version.
//!
//! A refused candidate is 422 with the step and the reason; the old build
//! keeps serving.

use bytes::Bytes;

use super::{Live, Refused};
use glint_store::LiveEvent;

/// The status and JSON body answering `method /api/admin/<path>`.
pub async fn answer(live: &Live, method: &str, path: &str, query: Option<&str>, body: Bytes, actor: &str) -> (u16, String) {
    let segments: Vec<&str> = path.split("/api/admin/").nth(1).unwrap_or("").split('/').collect();
    let done = |e: Result<LiveEvent, Refused>| match e {
        Ok(event) => (200, serde_json::json!({ "event": event }).to_string()),
        Err(refused) => refusal(refused),
    };
    match (method, segments.as_slice()) {
        ("GET", ["plugins"]) => (200, live.status().await.to_string()),
        ("PUT", ["plugins", name]) => done(live.install(name, body.to_vec(), actor).await),
        ("POST", ["plugins", name, "rollback"]) => done(live.rollback(name, actor).await),
        ("POST", ["models", "reload"]) => match live.reload_models(actor).await {
            Ok(events) => (200, serde_json::json!({ "events": events }).to_string()),
            Err(r) => refusal(r),
        },
        ("POST", ["models", version, "reload"]) => done(live.reload_model(version, actor).await),
        ("GET", ["events"]) => events(live, query).await,
        _ => (404, error(404, &format!("no admin route {method} {path}"), None)),
    }
}

async fn events(live: &Live, query: Option<&str>) -> (u16, String) {
    let (target, limit) = match events_query(query.unwrap_or("")) {
        Ok(parsed) => parsed,
        Err(message) => return (400, error(400, &message, None)),
    };
    match live.store().live_events(target.as_deref(), limit).await {
        Ok(rows) => (200, serde_json::json!({ "events": rows }).to_string()),
        Err(e) => {
            tracing::error!("reading live events failed: {e}");
            (503, error(503, "the database is unavailable; try again", None))
        }
    }
}

/// `target` and `limit` of `GET /api/live/events`, or why not.
#[doc(hidden)] // public for the fuzz targets (glint::fuzzing)
pub fn events_query(query: &str) -> Result<(Option<String>, i64), String> {
    let (mut target, mut limit) = (None, 100);
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "target" => target = Some(v.into_owned()),
            "limit" => match v.parse::<i64>() {
                Ok(n) if (1..=10_000).contains(&n) => limit = n,
                _ => return Err(format!("limit must be 1 to 10000, not {v:?}")),
            },
            other => return Err(format!("unknown parameter {other:?}; use target and limit")),
        }
    }
    Ok((target, limit))
}

fn refusal(refused: Refused) -> (u16, String) {
    match refused {
        Refused::Candidate(event) => {
            let message = format!("{} of {} refused at step {}: {}", event.action, event.target, event.step, event.reason);
            (422, error(422, &message, Some(*event)))
        }
        Refused::Request(status, message) => (status, error(status, &message, None)),
    }
}

fn error(status: u16, message: &str, event: Option<LiveEvent>) -> String {
    let mut e = serde_json::json!({ "status": status, "message": message });
    if let Some(event) = event {
        e["step"] = serde_json::json!(event.step);
        e["event"] = serde_json::json!(event);
    }
    serde_json::json!({ "error": e }).to_string()
}
