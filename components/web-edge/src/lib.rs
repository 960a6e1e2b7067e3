//! glint's demo app for a stock Spin edge (component `web` of
//! `spin-edge.toml`). It serves the UI itself and forwards everything else
//! (the JSON API, the examples, /metrics) to a glint node over outbound HTTP,
//! so the page runs at the edge while detection, accounts and feedback run on
//! the node. It imports only what Spin provides: wasi:http 0.2 (incoming and
//! outgoing) and Spin variables (`glint_node_url`, `site_title`); nothing of
//! glint's own interfaces.
//!
//! What it forwards: the method, path and query, the body, and the headers a
//! browser's API call carries (cookies, the CSRF token, content type, bearer
//! tokens); back come the status, the body and the headers the UI reads
//! (content type and disposition, Set-Cookie, Retry-After, caching). A
//! state-changing request whose Origin is another site is refused here, as
//! the node would; the node still checks roles, sessions and CSRF tokens.

mod forward;

use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::http_component;

const INDEX_HTML: &str = include_str!("../../web/assets/index.html");
const APP_JS: &str = include_str!("../../web/assets/app.js");
/// The same policy as the node's UI: no inline script, no framing, nothing
/// from elsewhere.
const CSP: &str = "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; script-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

#[http_component]
async fn handle(req: Request) -> Response {
    match (req.method(), req.path()) {
        (Method::Get, "/" | "/index.html") => {
            let title = spin_sdk::variables::get("site_title").unwrap_or_default();
            Response::builder()
                .status(200)
                .header("content-type", "text/html; charset=utf-8")
                .header("content-security-policy", CSP)
                .body(INDEX_HTML.replace("__SITE_TITLE__", &html_escape(&title)))
                .build()
        }
        (Method::Get, "/app.js") => {
            Response::builder().status(200).header("content-type", "text/javascript; charset=utf-8").body(APP_JS).build()
        }
        _ => match forward::to_node(req).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        },
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
