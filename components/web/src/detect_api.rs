//! Detection: `POST /api/detect` (synchronous), `POST /api/jobs` and
//! `GET /api/jobs/{id}`, and `GET /api/models`.

use http::StatusCode;

use crate::bindings::glint::plugins::platform;
use crate::query::Query;
use crate::reply::{self, Reply};
use crate::json;

/// The detection parameters of the query string.
struct Params {
    prompt: String,
    threshold: f32,
    model: Option<String>,
}

fn params(q: &Query) -> Result<Params, Reply> {
    let Some(prompt) = q.get("prompt") else {
        return Err(reply::error(StatusCode::BAD_REQUEST, "give the prompt as ?prompt=…, e.g. ?prompt=a%20cat%20.%20a%20dog"));
    };
    let threshold = match q.get("threshold").map(|t| t.parse::<f32>()) {
        None => 0.3,
        Some(Ok(t)) => t,
        Some(Err(_)) => return Err(reply::error(StatusCode::BAD_REQUEST, "threshold must be a number in [0, 1]")),
    };
    Ok(Params { prompt: prompt.clone(), threshold, model: q.get("model").cloned() })
}

pub fn models() -> Reply {
    reply::json(StatusCode::OK, json::models(&platform::models()))
}

pub fn detect(image: &[u8], q: &Query) -> Reply {
    let p = match params(q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    match platform::detect(image, &p.prompt, p.threshold, p.model.as_deref()) {
        Ok(result) => reply::json(StatusCode::OK, json::detect_result(&result)),
        Err(e) => reply::platform_error(&e),
    }
}

pub fn submit(image: &[u8], q: &Query) -> Reply {
    let p = match params(q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    match platform::submit(image, &p.prompt, p.threshold, p.model.as_deref()) {
        Ok(id) => reply::json(StatusCode::ACCEPTED, serde_json::json!({ "id": id, "status_url": format!("/api/jobs/{id}") })),
        Err(e) => reply::platform_error(&e),
    }
}

pub fn job(id: &str) -> Reply {
    match platform::job(id) {
        Some(status) => reply::json(StatusCode::OK, json::job(&status)),
        None => reply::error(StatusCode::NOT_FOUND, "no such job (unknown, not yours, or finished too long ago)"),
    }
}
