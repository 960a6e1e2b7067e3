//! The web app's request inputs (components/web: `query.rs` and `inputs.rs`,
//! compiled here from their source files; they use no bindings): the query
//! string of every route and the JSON body of every route that takes one,
//! plus the examples gallery's file names. The input's first line is a query
//! string (and a file name), the rest a body.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../components/web/src/query.rs"]
mod query;
#[allow(dead_code)]
#[path = "../../components/web/src/inputs.rs"]
mod inputs;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (line, body) = text.split_once('\n').unwrap_or((&text, ""));
    let q = query::parse(line);
    if let Ok(p) = inputs::detect_params(&q) {
        assert!((0.0..=1.0).contains(&p.threshold));
    }
    let _ = inputs::history_limit(&q);
    let _ = inputs::browse_query(&q);
    if let Some(kind) = inputs::example_name(line) {
        assert!(!line.contains('/') && !line.starts_with('.'), "{line:?} served as {kind}");
    }
    for body in [body.as_bytes(), data] {
        let _ = inputs::new_feedback(body);
        let _ = inputs::login(body);
        let _ = inputs::new_account(body);
        let _ = inputs::account_edit(body);
        let _ = inputs::preference_changes(body);
    }
});
