//! What a client sends to the routes the host answers itself: the method
//! and path looked up in the route table, the queries of `/api/audit`,
//! `/api/export` and `/api/live/events`, the JSON body of `PATCH
//! /api/experiments/{name}`, the session and subject cookies; and, for
//! `glint gateway`, which Gradio API the request is and the walk through its
//! JSON `data`. The input's first line
//! is `METHOD PATH`, the second a query string (and a Cookie header), the
//! rest a body.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(3, '\n');
    let request = lines.next().unwrap_or("");
    let query = lines.next().unwrap_or("");
    let body = lines.next().unwrap_or("").as_bytes();
    let (method, path) = request.split_once(' ').unwrap_or(("GET", request));
    let _ = glint::fuzzing::route_lookup(method, path);
    let _ = glint::fuzzing::audit_query(query);
    let _ = glint::fuzzing::export_queries(query);
    let _ = glint::fuzzing::live_events_query(query);
    let _ = glint::fuzzing::cookies(query);
    let _ = glint::fuzzing::experiment_change(body);
    let _ = glint::fuzzing::experiment_change(data);
    if let Ok(json) = glint::fuzzing::json(body) {
        let _ = glint::fuzzing::gradio_request(method, path, &json);
    }
});
