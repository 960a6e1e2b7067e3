//! The glint demo app (component `web` of spin.toml): serves the UI and the
//! JSON API. Detection goes through glint's `platform` import, which runs the
//! live detector plugin under the platform's limits.
//!
//! Routes: `GET /` (UI), `GET /api/models`, `POST /api/detect?prompt=…&threshold=…&model=…`
//! with the image as the request body (synchronous), `POST /api/jobs?…` (same input, answers
//! 202 with a job id) and `GET /api/jobs/{id}` (queued with its position, running, done with
//! the result, or failed). Errors are `{"error": {"status", "message"}}`.

mod json;
mod query;

use http::{Method, StatusCode};
use spin_sdk::http::body::IncomingBodyExt;
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

mod bindings {
    wit_bindgen::generate!({ world: "app", path: "../../wit", generate_all });
}

use bindings::glint::plugins::platform::{self, Failure, PlatformError};

const INDEX_HTML: &str = include_str!("../assets/index.html");

type Reply = http::Response<String>;

#[http_service]
async fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let path = req.uri().path().to_string();
    let query = query::parse(req.uri().query().unwrap_or(""));
    let reply = match (req.method().clone(), path.as_str()) {
        (Method::GET, "/" | "/index.html") => reply(StatusCode::OK, "text/html; charset=utf-8", INDEX_HTML.into()),
        (Method::GET, "/api/models") => json_reply(StatusCode::OK, json::models(&platform::models())),
        (Method::POST, "/api/detect") => {
            let body = req.into_body().bytes().await.map_err(|e| anyhow::anyhow!("reading the body: {e:?}"))?;
            detect(body.to_vec(), &query)
        }
        (_, "/api/detect") => error(StatusCode::METHOD_NOT_ALLOWED, "use POST with the image as the body"),
        (Method::POST, "/api/jobs") => {
            let body = req.into_body().bytes().await.map_err(|e| anyhow::anyhow!("reading the body: {e:?}"))?;
            submit(body.to_vec(), &query)
        }
        (Method::GET, p) if p.starts_with("/api/jobs/") => match platform::job(&p["/api/jobs/".len()..]) {
            Some(status) => json_reply(StatusCode::OK, json::job(&status)),
            None => error(StatusCode::NOT_FOUND, "no such job (unknown, or finished too long ago)"),
        },
        _ => error(StatusCode::NOT_FOUND, &format!("no page {path}")),
    };
    Ok(reply)
}

/// The detection parameters of the query string.
struct Params {
    prompt: String,
    threshold: f32,
    model: Option<String>,
}

fn params(q: &query::Query) -> Result<Params, Reply> {
    let Some(prompt) = q.get("prompt") else {
        return Err(error(StatusCode::BAD_REQUEST, "give the prompt as ?prompt=…, e.g. ?prompt=a%20cat%20.%20a%20dog"));
    };
    let threshold = match q.get("threshold").map(|t| t.parse::<f32>()) {
        None => 0.3,
        Some(Ok(t)) => t,
        Some(Err(_)) => return Err(error(StatusCode::BAD_REQUEST, "threshold must be a number in [0, 1]")),
    };
    Ok(Params { prompt: prompt.clone(), threshold, model: q.get("model").cloned() })
}

fn detect(image: Vec<u8>, q: &query::Query) -> Reply {
    let p = match params(q) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    match platform::detect(&image, &p.prompt, p.threshold, p.model.as_deref()) {
        Ok(result) => json_reply(StatusCode::OK, json::detect_result(&result)),
        Err(e) => platform_error(&e),
    }
}

fn submit(image: Vec<u8>, q: &query::Query) -> Reply {
    let p = match params(q) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    match platform::submit(&image, &p.prompt, p.threshold, p.model.as_deref()) {
        Ok(id) => json_reply(StatusCode::ACCEPTED, serde_json::json!({ "id": id, "status_url": format!("/api/jobs/{id}") })),
        Err(e) => platform_error(&e),
    }
}

fn platform_error(e: &PlatformError) -> Reply {
    let status = match e.failure {
        Failure::InvalidInput => StatusCode::BAD_REQUEST,
        Failure::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Failure::NotFound => StatusCode::NOT_FOUND,
        Failure::Unavailable | Failure::Busy => StatusCode::SERVICE_UNAVAILABLE,
        Failure::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut reply = error(status, &e.message);
    if e.retry_after_s > 0 {
        reply.headers_mut().insert(http::header::RETRY_AFTER, e.retry_after_s.into());
    }
    reply
}

fn reply(status: StatusCode, content_type: &str, body: String) -> Reply {
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, content_type)
        .header("x-content-type-options", "nosniff")
        .body(body)
        .expect("valid response")
}

fn json_reply(status: StatusCode, value: serde_json::Value) -> Reply {
    reply(status, "application/json", value.to_string())
}

fn error(status: StatusCode, message: &str) -> Reply {
    json_reply(status, serde_json::json!({ "error": { "status": status.as_u16(), "message": message } }))
}
