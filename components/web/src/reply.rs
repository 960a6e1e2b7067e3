//! Building responses: JSON, errors (`{"error": {"status", "message"}}`) and
//! platform failures mapped to HTTP statuses.

use http::StatusCode;

use crate::bindings::glint::plugins::platform::{Failure, PlatformError};
use crate::inputs::BadInput;

pub type Reply = http::Response<Vec<u8>>;

pub fn reply(status: StatusCode, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, content_type)
        .header("x-content-type-options", "nosniff")
        .header(http::header::CACHE_CONTROL, "no-store")
        .body(body.into())
        .expect("valid response")
}

pub fn json(status: StatusCode, value: serde_json::Value) -> Reply {
    reply(status, "application/json", value.to_string())
}

pub fn error(status: StatusCode, message: &str) -> Reply {
    json(status, serde_json::json!({ "error": { "status": status.as_u16(), "message": message } }))
}

pub fn platform_error(e: &PlatformError) -> Reply {
    let status = match e.failure {
        Failure::InvalidInput => StatusCode::BAD_REQUEST,
        Failure::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Failure::NotFound => StatusCode::NOT_FOUND,
        Failure::Unavailable | Failure::Busy => StatusCode::SERVICE_UNAVAILABLE,
        Failure::Unauthenticated => StatusCode::UNAUTHORIZED,
        Failure::Forbidden => StatusCode::FORBIDDEN,
        Failure::Conflict => StatusCode::CONFLICT,
        Failure::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        Failure::Blocked => StatusCode::UNPROCESSABLE_ENTITY,
        Failure::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut reply = error(status, &e.message);
    if e.retry_after_s > 0 {
        reply.headers_mut().insert(http::header::RETRY_AFTER, e.retry_after_s.into());
    }
    reply
}

/// The 400 answer to an input `inputs.rs` refused.
pub fn bad_input(e: BadInput) -> Reply {
    error(StatusCode::BAD_REQUEST, &e.0)
}
