//! glint's demo app for a stock Spin edge (component `web` of
//! `spin-edge.toml`). It serves the UI itself and forwards everything else
//! (the JSON API, the examples, /metrics) to a glint node over outbound HTTP,
//! so the page runs at the edge while detection, accounts and feedback run on
//! the node. It imports only what Spin provides: wasi:http 0.2 (incoming and
//! outgoing) and Spin variables (`glint_node_url`, `site_title`); nothing of
//! glint's own interfaces.
//!
//! What it forwards: the method, path and query, the body, the headers a
//! browser's API call carries (cookies, the CSRF token, content type, bearer
//! tokens) and `X-Forwarded-For` with the visitor's address; back come the
//! status, the body and the headers the UI reads (content type and
//! disposition, Set-Cookie, Retry-After, caching). A
//! state-changing request whose Origin is another site is refused here, as
//! the node would; the node still checks roles, sessions and CSRF tokens.

mod forward;
#[path = "../../web/src/page.rs"]
mod page;

use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
async fn handle(req: Request) -> Response {
    match (req.method(), req.path()) {
        (Method::Get, "/" | "/index.html") => {
            let title = spin_sdk::variables::get("site_title").unwrap_or_default();
            Response::builder()
                .status(200)
                .header("content-type", "text/html; charset=utf-8")
                .header("content-security-policy", page::CSP)
                .body(page::index(&title))
                .build()
        }
        (Method::Get, "/app.js") => {
            Response::builder().status(200).header("content-type", "text/javascript; charset=utf-8").body(page::APP_JS).build()
        }
        _ => match forward::to_node(req).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        },
    }
}
