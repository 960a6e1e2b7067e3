//! Forwarding one request to the glint node named by the Spin variable
//! `glint_node_url`, and its answer back.

use spin_sdk::http::{IntoResponse, Method, Request, Response};

/// Request headers a browser's API call needs at the node.
const REQUEST_HEADERS: &[&str] = &["accept", "authorization", "content-type", "cookie", "x-csrf-token"];
/// Response headers the UI reads.
const RESPONSE_HEADERS: &[&str] =
    &["cache-control", "content-disposition", "content-security-policy", "content-type", "retry-after", "set-cookie", "www-authenticate"];

/// Why a request was not forwarded: answered as JSON like the node's errors.
#[derive(Debug)]
pub struct Refusal {
    status: u16,
    message: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": { "status": self.status, "message": self.message } }).to_string();
        Response::builder().status(self.status).header("content-type", "application/json").body(body).build()
    }
}

fn refuse(status: u16, message: impl Into<String>) -> Refusal {
    Refusal { status, message: message.into() }
}

/// Sends `req` to the node and gives back its answer.
pub async fn to_node(req: Request) -> Result<Response, Refusal> {
    let node = spin_sdk::variables::get("glint_node_url")
        .map_err(|e| refuse(500, format!("the edge has no glint node to forward to: set the Spin variable glint_node_url ({e})")))?;
    let node = node.trim_end_matches('/');
    if !(node.starts_with("http://") || node.starts_with("https://")) {
        return Err(refuse(500, format!("glint_node_url must be an http:// or https:// URL, not {node:?}")));
    }
    if !matches!(req.method(), Method::Get | Method::Head | Method::Options) {
        same_site(&req)?;
    }
    let target = match req.query() {
        "" => format!("{node}{}", req.path()),
        q => format!("{node}{}?{q}", req.path()),
    };
    let mut out = Request::builder();
    out.method(req.method().clone()).uri(target);
    for (name, value) in req.headers() {
        if REQUEST_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            out.header(name, value.as_str().unwrap_or_default());
        }
    }
    if let Some(forwarded) = forwarded_for(&req) {
        out.header("x-forwarded-for", forwarded);
    }
    let answer: Response = spin_sdk::http::send(out.body(req.into_body()).build())
        .await
        .map_err(|e| refuse(502, format!("the glint node at {node} did not answer: {e}")))?;
    let mut back = Response::builder();
    back.status(*answer.status());
    for (name, value) in answer.headers() {
        if RESPONSE_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            back.header(name, value.as_str().unwrap_or_default());
        }
    }
    Ok(back.body(answer.into_body()).build())
}

/// `X-Forwarded-For` for the node: what came in, with the address Spin saw
/// (`spin-client-addr`) appended, so a node that trusts this edge
/// (`trusted_proxies`) limits each visitor on its own rather than all together.
fn forwarded_for(req: &Request) -> Option<String> {
    let addr = req.header("spin-client-addr")?.as_str()?;
    let ip = addr.parse::<std::net::SocketAddr>().map(|a| a.ip().to_string()).unwrap_or_else(|_| addr.to_string());
    Some(match req.header("x-forwarded-for").and_then(|h| h.as_str()) {
        Some(prior) if !prior.trim().is_empty() => format!("{prior}, {ip}"),
        _ => ip,
    })
}

/// A state-changing request from a page of another site is refused, as the
/// node refuses one (its Origin must name the host the browser asked).
fn same_site(req: &Request) -> Result<(), Refusal> {
    let Some(origin) = req.header("origin").and_then(|o| o.as_str()).filter(|o| *o != "null") else {
        return Ok(());
    };
    let host = site_host(req);
    let same = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host.as_str());
    if same { Ok(()) } else { Err(refuse(403, "cross-site request refused (its Origin is not this site)")) }
}

/// The host (and port) the browser asked: the Host header, or, where the
/// trigger does not pass it on, the authority of the full URL (Spin gives it
/// as the request's URI and in `spin-full-url`).
fn site_host(req: &Request) -> String {
    let header = |name: &str| req.header(name).and_then(|h| h.as_str()).map(str::to_string);
    let authority = |url: &str| url.split_once("://").map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or("").to_string());
    header("host")
        .or_else(|| authority(req.uri()))
        .or_else(|| header("spin-full-url").and_then(|u| authority(&u)))
        .unwrap_or_default()
}
