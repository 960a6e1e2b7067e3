//! The gateway's own parsers, compiled here from their source files (they
//! need nothing of the host but serde_json, so the fuzz build skips
//! wasmtime): multipart bodies, server-sent events fed in pieces, and
//! Gradio's output edits. The input's first line is a Content-Type for the
//! multipart parser; the whole input is also an event stream and JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../crates/gateway/src/multipart.rs"]
mod multipart;
#[allow(dead_code)]
#[path = "../../crates/gateway/src/sse.rs"]
mod sse;
#[allow(dead_code)]
#[path = "../../crates/gateway/src/diff.rs"]
mod diff;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (content_type, body) = (String::from_utf8_lossy(&data[..split]), &data[split.min(data.len())..]);
    if let Some(boundary) = multipart::boundary(&content_type) {
        let _ = multipart::parse(body, &boundary);
    }
    let _ = multipart::parse(data, "glint-boundary");
    let mut events = sse::SseParser::new(4096);
    for chunk in data.chunks(7) {
        if events.push(chunk).is_err() {
            break;
        }
        assert!(events.pending() <= 4096 + 7);
    }
    if let Ok(edit) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = diff::apply(edit.clone(), &edit);
        let _ = diff::apply(serde_json::json!({"data": [1, "two", {"x": [3]}]}), &edit);
    }
});
