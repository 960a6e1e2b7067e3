//! The export routes, answered by the host (the exporters are host plugins
//! and the images are the host's record):
//!
//! - `GET /api/exports` (anyone): the formats the loaded exporters write;
//! - `GET /api/results/{id}/export?format=F` (signed in): a document of one
//!   of the caller's own results; admins may export anyone's;
//! - `GET /api/feedback/export?format=F&…` (admins): the results of a
//!   feedback-browser filter as one document (one COCO file, say).

use bytes::Bytes;

use super::routes::FEEDBACK_EXPORT_QUERY;
use glint_app::Glint;
use glint_auth::{Principal, Role};
use glint_common::error::{ErrorKind, GlintError};
use glint_app::export::{self, Source};
use glint_store::{FeedbackFilter, Store};

/// An answer: status, content type, content disposition (for documents), body.
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub disposition: Option<String>,
    pub body: Bytes,
}

fn json(status: u16, value: serde_json::Value) -> Answer {
    Answer { status, content_type: "application/json".into(), disposition: None, body: Bytes::from(value.to_string()) }
}

fn error(status: u16, message: &str) -> Answer {
    json(status, serde_json::json!({ "error": { "status": status, "message": message } }))
}

fn failed(e: GlintError) -> Answer {
    let status = match e.kind {
        ErrorKind::InvalidInput | ErrorKind::TooLarge => 400,
        ErrorKind::UnknownModel | ErrorKind::UnknownPlugin => 404,
        ErrorKind::Config | ErrorKind::Backend | ErrorKind::Plugin => 503,
        ErrorKind::Blocked => 422,
    };
    error(status, &e.message)
}

pub async fn answer(glint: &Glint, store: &Store, who: &Principal, site_title: &str, path: &str, query: Option<&str>) -> Answer {
    let query = query.unwrap_or("");
    if path == "/api/exports" {
        return json(200, serde_json::json!({ "formats": export::formats(glint) }));
    }
    if path == "/api/feedback/export" {
        return feedback_export(glint, store, site_title, query).await;
    }
    let id = path.trim_start_matches("/api/results/").trim_end_matches("/export");
    let format = match single_format(query) {
        Ok(f) => f,
        Err(m) => return error(400, &m),
    };
    let found = match export::from_store(store, id).await {
        Ok(Some(found)) => found,
        Ok(None) => return error(404, &format!("no result {id:?}")),
        Err(e) => return failed(e),
    };
    // Someone else's result is answered as if it did not exist.
    if who.role != Role::Admin && who.user.as_deref() != Some(found.0.as_str()) {
        return error(404, &format!("no result {id:?}"));
    }
    document(glint, &format, site_title, vec![found.1], &format!("glint-{id}")).await
}

/// `format=F` and nothing else.
pub fn single_format(query: &str) -> Result<String, String> {
    let mut format = None;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "format" => format = Some(v.into_owned()),
            other => return Err(format!("unknown query parameter {other:?}; give format (see GET /api/exports)")),
        }
    }
    format.ok_or_else(|| "give format=…, one of GET /api/exports".into())
}

async fn feedback_export(glint: &Glint, store: &Store, site_title: &str, query: &str) -> Answer {
    let (filter, format) = match parse_filter(query) {
        Ok(parsed) => parsed,
        Err(m) => return error(400, &m),
    };
    let rows = match store.feedback(&filter).await {
        Ok(rows) => rows,
        Err(e) => return failed(GlintError::new(ErrorKind::Backend, format!("the database failed: {e}"))),
    };
    let mut ids: Vec<&str> = rows.iter().map(|r| r.result_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return error(404, "no rated result matches the filter");
    }
    let mut sources = Vec::with_capacity(ids.len());
    for id in ids {
        match export::from_store(store, id).await {
            Ok(Some((_, source))) => sources.push(source),
            Ok(None) => {}
            Err(e) => return failed(e),
        }
    }
    document(glint, &format, site_title, sources, "glint-feedback").await
}

/// The feedback browser's filter and the format.
pub fn parse_filter(query: &str) -> Result<(FeedbackFilter, String), String> {
    let mut f = FeedbackFilter { limit: 500, ..FeedbackFilter::default() };
    let mut format = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = value.into_owned();
        let number = |v: &str| v.parse::<i64>().map_err(|_| format!("{key} must be a whole number, not {v:?}"));
        match key.as_ref() {
            "user" => f.user = Some(value),
            "model" => f.model = Some(value),
            "min_rating" => f.min_rating = Some(number(&value)?.clamp(0, 5) as u8),
            "max_rating" => f.max_rating = Some(number(&value)?.clamp(0, 5) as u8),
            "since" => f.since_ms = Some(number(&value)?),
            "until" => f.until_ms = Some(number(&value)?),
            "q" => f.text = Some(value),
            "limit" => f.limit = number(&value)?.clamp(1, 10_000),
            "format" => format = Some(value),
            other => {
                let known: Vec<&str> = FEEDBACK_EXPORT_QUERY.iter().map(|(n, _)| *n).collect();
                return Err(format!("unknown query parameter {other:?} (known: {})", known.join(", ")));
            }
        }
    }
    Ok((f, format.ok_or("give format=…, one of GET /api/exports")?))
}

/// Writes the document off the async threads.
async fn document(glint: &Glint, format: &str, site_title: &str, sources: Vec<Source>, stem: &str) -> Answer {
    // Exporting is CPU work (drawing, the plugin): on the blocking pool, with
    // what it needs cloned in (the plugins are behind Arcs).
    let (format, site_title) = (format.to_string(), site_title.to_string());
    let written = tokio::task::block_in_place(|| export::write(glint, &format, &site_title, sources));
    match written {
        Ok((f, doc)) => Answer {
            status: 200,
            content_type: doc.mime,
            disposition: Some(format!("attachment; filename=\"{stem}.{}\"", f.extension)),
            body: Bytes::from(doc.bytes),
        },
        Err(e) => failed(e),
    }
}
