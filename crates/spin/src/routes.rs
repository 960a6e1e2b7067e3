//! The app's routes and the least role each needs. The trigger refuses any
//! request this table does not allow before a component runs (unknown path:
//! 404, wrong method: 405, role too low: 401/403), and `/api/openapi.json`
//! is generated from it, so the document cannot drift from what is served.

use glint_auth::Role;

/// One route of the app's API.
pub struct RouteSpec {
    pub method: &'static str,
    /// With `{name}` for one path segment.
    pub path: &'static str,
    pub role: Role,
    pub summary: &'static str,
    /// Query parameters: (name, description).
    pub query: &'static [(&'static str, &'static str)],
    /// What the request body is, if it has one.
    pub body: Option<&'static str>,
}

const DETECT_QUERY: &[(&str, &str)] = &[
    ("prompt", "phrases separated by ' . ', e.g. 'a cat . a coffee mug' (required)"),
    ("threshold", "score threshold in [0, 1], default 0.3"),
    ("model", "model version, default the configured one"),
];

/// The feedback browser's filter, shared by `/api/feedback` and `/api/feedback/export`.
macro_rules! feedback_filter {
    ($($more:expr),* $(,)?) => {
        &[
            ("user", "only this account"),
            ("model", "only this model version"),
            ("min_rating", "at least this many stars"),
            ("max_rating", "at most this many stars"),
            ("since", "from this time (ms since the epoch)"),
            ("until", "up to this time (ms since the epoch)"),
            ("q", "text in the prompt or comment"),
            $($more),*
        ]
    };
}

const FEEDBACK_QUERY: &[(&str, &str)] =
    feedback_filter![("limit", "at most this many rows (default 500)"), ("format", "json (default) or csv")];

/// Query parameters of `GET /api/audit`.
pub const AUDIT_QUERY: &[(&str, &str)] = &[
    ("user", "only this account (empty: guests)"),
    ("route", "only this route, e.g. 'POST /api/detect'"),
    ("check", "input.text, input.image, output.text or output.image"),
    ("verdict", "allow, review or block"),
    ("outcome", "checked, remembered, failed-open, failed-closed or not-auditable"),
    ("since", "from this time (ms since the epoch)"),
    ("until", "up to this time (ms since the epoch)"),
    ("limit", "at most this many rows (default 500)"),
    ("format", "json (default) or csv"),
];

const EXPORT_QUERY: &[(&str, &str)] = &[("format", "an export format of GET /api/exports, e.g. pdf, coco, yolo, voc (required)")];

/// The feedback browser's filter, and the export format.
pub const FEEDBACK_EXPORT_QUERY: &[(&str, &str)] = feedback_filter![
    ("limit", "at most this many rated results (default 500)"),
    ("format", "an export format of GET /api/exports that holds many results, e.g. coco (required)"),
];

const EVENTS_QUERY: &[(&str, &str)] = &[
    ("target", "only this plugin or model version"),
    ("limit", "at most this many events (default 100)"),
];

macro_rules! route {
    ($m:literal $p:literal $r:ident $s:literal $(, query = $q:expr)? $(, body = $b:literal)?) => {
        RouteSpec { method: $m, path: $p, role: Role::$r, summary: $s,
            query: { #[allow(unused_mut, unused_assignments)] let mut q: &[(&str, &str)] = &[]; $(q = $q;)? q },
            body: { #[allow(unused_mut, unused_assignments)] let mut b = None; $(b = Some($b);)? b } }
    };
}

/// Every route of the app.
pub const ROUTES: &[RouteSpec] = &[
    route!("GET" "/" Guest "The web UI"),
    route!("GET" "/app.js" Guest "The web UI's script"),
    route!("GET" "/examples" Guest "The bundled example photos (JSON list)"),
    route!("GET" "/examples/{name}" Guest "One bundled example photo"),
    route!("GET" "/api/openapi.json" Guest "This document"),
    route!("GET" "/api/models" Guest "Installed model versions"),
    route!("POST" "/api/detect" Guest "Detect the prompt's phrases in the image (synchronous)", query = DETECT_QUERY, body = "the image (PNG or JPEG bytes)"),
    route!("POST" "/api/jobs" Guest "Queue a detection; answers 202 with the job id", query = DETECT_QUERY, body = "the image (PNG or JPEG bytes)"),
    route!("GET" "/api/jobs/{id}" Guest "A job: queued (with position), running, done (with the result) or failed"),
    route!("GET" "/api/session" Guest "Who is signed in, and the CSRF token"),
    route!("POST" "/api/session" Guest "Sign in; sets the HttpOnly session cookie", body = "JSON {\"user\", \"password\"}"),
    route!("DELETE" "/api/session" User "Sign out"),
    route!("GET" "/api/history" User "The session's detection results, newest first"),
    route!("GET" "/api/preferences" User "The account's UI preferences (spin:key-value)"),
    route!("PUT" "/api/preferences" User "Change UI preferences", body = "JSON {\"lang\"?: \"en\"|\"zh\", \"prompt\"?, \"threshold\"?}"),
    route!("DELETE" "/api/preferences" User "Forget the account's UI preferences"),
    route!("POST" "/api/feedback" User "Rate a result of the session", body = "JSON {\"result_id\", \"rating\" (1-5), \"comment\"}"),
    route!("GET" "/api/feedback" Admin "Browse and export feedback", query = FEEDBACK_QUERY),
    route!("GET" "/api/exports" Guest "The formats the loaded exporter plugins write (answered by the host)"),
    route!("GET" "/api/results/{id}/export" User "A document of one of your results (admins: anyone's) in an export format (answered by the host)", query = EXPORT_QUERY),
    route!("GET" "/api/feedback/export" Admin "The results of a feedback filter as one document, e.g. one COCO file (answered by the host)", query = FEEDBACK_EXPORT_QUERY),
    route!("GET" "/api/audit" Admin "Browse and export the audit log (answered by the host)", query = AUDIT_QUERY),
    route!("GET" "/api/users" Admin "List accounts"),
    route!("POST" "/api/users" Admin "Add an account", body = "JSON {\"name\", \"password\", \"role\": \"user\"|\"admin\"}"),
    route!("PATCH" "/api/users/{name}" Admin "Change an account's role, password or disabled flag", body = "JSON {\"role\"?, \"password\"?, \"disabled\"?}"),
    route!("GET" "/api/admin/plugins" Admin "Plugins and model versions serving now, their kept builds and last live changes (answered by the host)"),
    route!("PUT" "/api/admin/plugins/{name}" Admin "Install or replace a plugin while serving: checked, canary, atomic swap; 422 names the refusing step", body = "the component (.wasm bytes)"),
    route!("POST" "/api/admin/plugins/{name}/rollback" Admin "Roll a plugin back to the build that served before"),
    route!("GET" "/api/admin/events" Admin "The record of live changes, newest first", query = EVENTS_QUERY),
    route!("POST" "/api/admin/models/reload" Admin "Rescan models/: add new versions, reload changed ones, remove deleted ones not in use"),
    route!("POST" "/api/admin/models/{version}/reload" Admin "Reload one model version from its folder (graphs swapped atomically)"),
    route!("GET" "/api/experiments" Admin "A/B experiments: live state and per-arm counts (answered by the host)"),
    route!("GET" "/api/experiments/{name}" Admin "One experiment's report: per-arm results, the comparison to control (anytime-valid), the sample-ratio check, the cumulative difference (answered by the host)"),
    route!("PATCH" "/api/experiments/{name}" Admin "Change an experiment while serving: weights, pause, resume, stop, declare a winner", body = "JSON {\"weights\"?: {\"arm\": n}, \"status\"?: \"running\"|\"paused\"|\"stopped\", \"winner\"?: \"arm\", \"reason\"?}"),
    route!("GET" "/metrics" Admin "Prometheus metrics (admin session, or the bearer token in $GLINT_METRICS_TOKEN)"),
];

/// What the table says about a request.
pub enum Access<'a> {
    Allowed(&'a RouteSpec),
    /// The path exists, the method does not: the allowed methods.
    WrongMethod(Vec<&'static str>),
    NoSuchPath,
}

/// Looks up `method path` (HEAD counts as GET).
pub fn lookup(method: &str, path: &str) -> Access<'static> {
    let method = if method == "HEAD" { "GET" } else { method };
    let on_path: Vec<&RouteSpec> = ROUTES.iter().filter(|r| path_matches(r.path, path)).collect();
    match on_path.iter().find(|r| r.method == method) {
        Some(r) => Access::Allowed(r),
        None if on_path.is_empty() => Access::NoSuchPath,
        None => Access::WrongMethod(on_path.iter().map(|r| r.method).collect()),
    }
}

fn path_matches(pattern: &str, path: &str) -> bool {
    let (mut p, mut q) = (pattern.split('/'), path.split('/'));
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a.starts_with('{') => {
                if b.is_empty() {
                    return false;
                }
            }
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert!(matches!(lookup("GET", "/api/jobs/abc"), Access::Allowed(r) if r.path == "/api/jobs/{id}"));
        assert!(matches!(lookup("GET", "/api/jobs/"), Access::NoSuchPath));
        assert!(matches!(lookup("GET", "/api/jobs/a/b"), Access::NoSuchPath));
        assert!(matches!(lookup("PUT", "/api/detect"), Access::WrongMethod(m) if m == ["POST"]));
        assert!(matches!(lookup("HEAD", "/"), Access::Allowed(_)));
        assert!(matches!(lookup("GET", "/nope"), Access::NoSuchPath));
        assert!(matches!(lookup("GET", "/api/users"), Access::Allowed(r) if r.role == Role::Admin));
    }
}
