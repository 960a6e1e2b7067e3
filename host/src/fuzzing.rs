//! The host's own input parsers that need no running service, gathered for
//! the fuzz targets in `fuzz/host` (not an API: names may change). Each takes
//! what a client or a manifest author controls and must answer an error,
//! never panic.

use std::path::Path;

pub use glint_spin::routes::lookup as route_lookup;

/// `spin.toml`, as `glint up` reads it.
pub fn spin_manifest(text: &str) -> Result<(), String> {
    glint_spin::manifest::SpinManifest::parse(Path::new("spin.toml"), text).map(drop).map_err(|e| e.to_string())
}

/// `GET /api/audit`'s query.
pub fn audit_query(query: &str) -> Result<(), String> {
    glint_spin::audit_api::parse(query).map(drop)
}

/// `GET /api/export/...`'s queries: a result's format, the feedback browser's filter.
pub fn export_queries(query: &str) -> (Result<String, String>, Result<(), String>) {
    (glint_spin::export_api::single_format(query), glint_spin::export_api::parse_filter(query).map(drop))
}

/// `GET /api/live/events`'s query.
pub fn live_events_query(query: &str) -> Result<(), String> {
    glint_live::api::events_query(query).map(drop)
}

/// `PATCH /api/experiments/{name}`'s body.
pub fn experiment_change(body: &[u8]) -> Result<(), String> {
    serde_json::from_slice::<glint_experiments::Change>(body).map(drop).map_err(|e| e.to_string())
}

/// `glint gateway`: which Gradio API a request is, and the texts, files and
/// inline images of a `data` array (what the audit is shown).
pub fn gradio_request(method: &str, path: &str, data: &serde_json::Value) -> usize {
    let method = http::Method::from_bytes(method.as_bytes()).unwrap_or(http::Method::GET);
    let _ = glint_gateway::gradio::Api::classify(&method, path);
    let found = glint_gateway::gradio::collect(data);
    found.texts.len() + found.files.len() + found.inline.len()
}

/// A body as JSON (serde_json, as every route reads it).
pub fn json(body: &[u8]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

/// A `Cookie` header: the session token and the experiment subject in it.
pub fn cookies(header: &str) -> (Option<&str>, Option<&str>) {
    (glint_auth::session_token_from_cookies(header), glint_experiments::subject::from_cookies(header))
}
