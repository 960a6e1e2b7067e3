//! The examples gallery: the photos mounted at `/examples` (spin.toml
//! `files`), listed by `GET /examples` and served by `GET /examples/{name}`.

use http::StatusCode;
use serde_json::json;

use crate::inputs;
use crate::reply::{self, Reply};

const DIR: &str = "/examples";

pub fn list() -> Reply {
    let mut names: Vec<String> = match std::fs::read_dir(DIR) {
        Ok(entries) => entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| inputs::example_type(n).is_some())
            .collect(),
        Err(_) => vec![], // no examples mounted
    };
    names.sort();
    reply::json(StatusCode::OK, json!(names.iter().map(|n| json!({ "name": n, "url": format!("/examples/{n}") })).collect::<Vec<_>>()))
}

pub fn get(name: &str) -> Reply {
    let Some(ct) = inputs::example_name(name) else {
        return reply::error(StatusCode::NOT_FOUND, &format!("no example {name}"));
    };
    match std::fs::read(format!("{DIR}/{name}")) {
        Ok(bytes) => {
            let mut r = reply::reply(StatusCode::OK, ct, bytes);
            r.headers_mut().insert(http::header::CACHE_CONTROL, "public, max-age=3600".parse().expect("ascii"));
            r
        }
        Err(_) => reply::error(StatusCode::NOT_FOUND, &format!("no example {name}")),
    }
}
