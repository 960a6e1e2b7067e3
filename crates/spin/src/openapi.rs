//! `/api/openapi.json`, generated from the route table.

use serde_json::{Map, Value, json};

use super::routes::ROUTES;

/// The OpenAPI 3.1 document of the app's routes; `formats` are the export
/// formats the loaded exporters write (the `format` of the export routes).
pub fn document(formats: &[String]) -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let mut op = Map::new();
        op.insert("summary".into(), json!(r.summary));
        op.insert("x-glint-role".into(), json!(r.role.as_str()));
        let mut params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let exports = r.path.ends_with("/export");
        params.extend(r.query.iter().map(|(name, description)| {
            let schema = if exports && *name == "format" { json!({ "type": "string", "enum": formats }) } else { json!({ "type": "string" }) };
            json!({ "name": name, "in": "query", "required": *name == "prompt" || (exports && *name == "format"),
                    "description": description, "schema": schema })
        }));
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        if let Some(body) = r.body {
            let media = if body.starts_with("JSON") { "application/json" } else { "application/octet-stream" };
            op.insert("requestBody".into(), json!({ "required": true, "description": body, "content": { media: {} } }));
        }
        op.insert(
            "responses".into(),
            json!({
                "200": { "description": "OK" },
                "4XX": { "description": "Bad input, not signed in (401), role too low (403), over a limit (413, 429 with Retry-After)",
                         "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "5XX": { "description": "Unavailable (503, with Retry-After when the queue is full)" },
            }),
        );
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| Value::Object(Map::new()));
        entry.as_object_mut().expect("object").insert(r.method.to_lowercase(), Value::Object(op));
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "glint", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Grounded detection demo platform. Sign in with POST /api/session; state-changing requests of a session carry its CSRF token in the x-csrf-token header." },
        "paths": paths,
        "components": { "schemas": { "Error": {
            "type": "object",
            "properties": { "error": { "type": "object", "properties": {
                "status": { "type": "integer" }, "message": { "type": "string" } } } } } } },
    })
}
