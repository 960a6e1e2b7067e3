//! Detection: `POST /api/detect` (synchronous), `POST /api/jobs` and
//! `GET /api/jobs/{id}`, and `GET /api/models`.

use http::StatusCode;

use crate::bindings::glint::plugins::platform;
use crate::inputs;
use crate::query::Query;
use crate::reply::{self, Reply};
use crate::json;

pub fn models() -> Reply {
    reply::json(StatusCode::OK, json::models(&platform::models()))
}

pub fn detect(image: &[u8], q: &Query) -> Reply {
    let p = match inputs::detect_params(q) {
        Ok(p) => p,
        Err(e) => return reply::bad_input(e),
    };
    match platform::detect(image, &p.prompt, p.threshold, p.model.as_deref()) {
        Ok(result) => reply::json(StatusCode::OK, json::detect_result(&result)),
        Err(e) => reply::platform_error(&e),
    }
}

pub fn submit(image: &[u8], q: &Query) -> Reply {
    let p = match inputs::detect_params(q) {
        Ok(p) => p,
        Err(e) => return reply::bad_input(e),
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
