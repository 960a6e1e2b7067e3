//! The glint demo app (component `web` of spin.toml): serves the UI and the
//! JSON API. Detection goes through glint's `platform` import, which runs the
//! live detector plugin under the platform's limits.
//!
//! Routes: `GET /` (UI), `GET /api/models`, `POST /api/detect?prompt=…&threshold=…&model=…`
//! with the image as the request body. Errors are `{"error": {"status", "message"}}`.

mod json;
mod query;

use http::{Method, StatusCode};
use spin_sdk::http::body::IncomingBodyExt;
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

mod bindings {
    wit_bindgen::generate!({ world: "app", path: "../../wit", generate_all });
}

use bindings::glint::plugins::platform::{self, Failure};

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
        _ => error(StatusCode::NOT_FOUND, &format!("no page {path}")),
    };
    Ok(reply)
}

fn detect(image: Vec<u8>, q: &query::Query) -> Reply {
    let Some(prompt) = q.get("prompt").map(String::as_str) else {
        return error(StatusCode::BAD_REQUEST, "give the prompt as ?prompt=…, e.g. ?prompt=a%20cat%20.%20a%20dog");
    };
    let threshold = match q.get("threshold").map(|t| t.parse::<f32>()) {
        None => 0.3,
        Some(Ok(t)) => t,
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "threshold must be a number in [0, 1]"),
    };
    let model = q.get("model").cloned();
    match platform::detect(&image, prompt, threshold, model.as_deref()) {
        Ok(result) => json_reply(StatusCode::OK, json::detect_result(&result, threshold)),
        Err(e) => {
            let status = match e.failure {
                Failure::InvalidInput => StatusCode::BAD_REQUEST,
                Failure::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                Failure::NotFound => StatusCode::NOT_FOUND,
                Failure::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                Failure::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            };
            error(status, &e.message)
        }
    }
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
