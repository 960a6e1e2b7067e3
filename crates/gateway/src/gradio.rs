//! What the gateway knows of Gradio's HTTP API: which requests carry inputs
//! or outputs, where the texts and files are inside a `data` array, and the
//! shapes Gradio's own clients read errors from.

use serde_json::Value;

/// A request the gateway audits; everything else passes through unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Api {
    /// `POST [/gradio_api]/call/<api>`: inputs; answers `{"event_id"}`.
    CallStart(String),
    /// `GET [/gradio_api]/call/<api>/<event_id>`: the outputs, as SSE.
    CallStream { api: String, event_id: String },
    /// `POST [/gradio_api]/queue/join`: the browser's and gradio_client's inputs.
    QueueJoin,
    /// `GET [/gradio_api]/queue/data?session_hash=…`: their outputs, as SSE.
    QueueData,
    /// `POST [/gradio_api]/upload`: files, before any function sees them.
    Upload,
    /// One-shot JSON calls: `/run/predict`, `/api/predict` (Gradio 3),
    /// `/gradio_api/run/<api>`: inputs in, outputs out.
    Predict(String),
    /// `GET [/gradio_api]/file=<path>`: a file of a result.
    File(String),
    Other,
}

impl Api {
    pub fn classify(method: &http::Method, path: &str) -> Api {
        let p = path.strip_prefix("/gradio_api").unwrap_or(path);
        let segments: Vec<&str> = p.trim_start_matches('/').split('/').collect();
        let post = method == http::Method::POST;
        let get = method == http::Method::GET || method == http::Method::HEAD;
        match segments.as_slice() {
            ["call", api] if post => Api::CallStart(api.to_string()),
            ["call", api, id] if get => Api::CallStream { api: api.to_string(), event_id: id.to_string() },
            ["queue", "join"] if post => Api::QueueJoin,
            ["queue", "data"] if get => Api::QueueData,
            ["upload"] if post => Api::Upload,
            ["run" | "api", api] if post => Api::Predict(api.to_string()),
            [first, ..] if get && first.starts_with("file=") => {
                let file = p.trim_start_matches('/').trim_start_matches("file=");
                Api::File(percent_decode(file))
            }
            _ => Api::Other,
        }
    }
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A file a value refers to (Gradio's FileData).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRef {
    pub path: Option<String>,
    pub url: Option<String>,
}

/// The texts, files and inline (data-URL) contents of a value.
#[derive(Debug, Default)]
pub struct Collected {
    pub texts: Vec<String>,
    pub files: Vec<FileRef>,
    /// The bytes of `data:` URLs (images, mostly).
    pub inline: Vec<Vec<u8>>,
}

/// Walks `v` (a `data` array): strings are texts unless they are data URLs;
/// objects shaped like FileData are files; other objects and arrays are
/// walked into.
pub fn collect(v: &Value) -> Collected {
    let mut out = Collected::default();
    walk(v, &mut out);
    out
}

fn walk(v: &Value, out: &mut Collected) {
    match v {
        Value::String(s) => match data_url_bytes(s) {
            Some(bytes) => out.inline.push(bytes),
            None if !s.trim().is_empty() => out.texts.push(s.clone()),
            None => {}
        },
        Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
        Value::Object(map) if is_file_data(map) => out.files.push(FileRef::of(map)),
        Value::Object(map) => map.values().for_each(|i| walk(i, out)),
        _ => {}
    }
}

impl FileRef {
    /// The `path` and `url` of a FileData object.
    pub fn of(map: &serde_json::Map<String, Value>) -> FileRef {
        let field = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_string);
        FileRef { path: field("path"), url: field("url") }
    }
}

/// Whether an object is Gradio's FileData (a file of the app).
pub fn is_file_data(map: &serde_json::Map<String, Value>) -> bool {
    let tagged = map.get("meta").and_then(|m| m.get("_type")).and_then(Value::as_str) == Some("gradio.FileData");
    tagged || ((map.contains_key("path") || map.contains_key("url")) && map.contains_key("orig_name"))
}

/// The bytes of a string that is a whole `data:` URL.
pub fn data_url_bytes(s: &str) -> Option<Vec<u8>> {
    super::resources::data_url(s.strip_prefix("data:")?)
}

/// The `event_id` Gradio would have answered, for a call the gateway stopped.
pub fn blocked_event_id() -> String {
    format!("glint-blocked-{}", glint_store::random_id())
}

/// The queue stream's message for a call that failed with `message`, as
/// Gradio sends it when a function raises `gr.Error` (the UI shows it).
pub fn queue_error(event_id: &str, message: &str) -> Value {
    serde_json::json!({
        "msg": "process_completed",
        "event_id": event_id,
        "output": { "error": message, "title": "Blocked", "visible": true, "duration": 10 },
        "success": false,
    })
}

/// The queue message that ends a session's stream.
pub fn close_stream() -> Value {
    serde_json::json!({ "msg": "close_stream", "event_id": null })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    #[test]
    fn routes() {
        assert_eq!(Api::classify(&Method::POST, "/gradio_api/call/echo"), Api::CallStart("echo".into()));
        assert_eq!(
            Api::classify(&Method::GET, "/call/echo/abc"),
            Api::CallStream { api: "echo".into(), event_id: "abc".into() }
        );
        assert_eq!(Api::classify(&Method::POST, "/gradio_api/queue/join"), Api::QueueJoin);
        assert_eq!(Api::classify(&Method::GET, "/gradio_api/queue/data"), Api::QueueData);
        assert_eq!(Api::classify(&Method::POST, "/gradio_api/upload"), Api::Upload);
        assert_eq!(Api::classify(&Method::POST, "/run/predict"), Api::Predict("predict".into()));
        assert_eq!(Api::classify(&Method::POST, "/api/predict"), Api::Predict("predict".into()));
        assert_eq!(
            Api::classify(&Method::GET, "/gradio_api/file=/tmp/gradio/ab%20c/x.png"),
            Api::File("/tmp/gradio/ab c/x.png".into())
        );
        assert_eq!(Api::classify(&Method::GET, "/config"), Api::Other);
        assert_eq!(Api::classify(&Method::GET, "/gradio_api/call/echo"), Api::Other);
    }

    #[test]
    fn texts_files_and_inline_images() {
        let v = serde_json::json!([
            "hello",
            "",
            {"path": "/tmp/gradio/x/cat.png", "url": "http://h/gradio_api/file=/tmp/gradio/x/cat.png",
             "orig_name": "cat.png", "meta": {"_type": "gradio.FileData"}},
            "data:image/png;base64,iVBORw0KGgo=",
            {"label": "dog", "confidences": [{"label": "cat", "confidence": 0.9}]},
            3, null
        ]);
        let c = collect(&v);
        assert_eq!(c.texts, ["hello", "cat", "dog"]); // object values in key order
        assert_eq!(c.files.len(), 1);
        assert_eq!(c.files[0].path.as_deref(), Some("/tmp/gradio/x/cat.png"));
        assert_eq!(c.inline, [b"\x89PNG\r\n\x1a\n".to_vec()]);
    }
}
