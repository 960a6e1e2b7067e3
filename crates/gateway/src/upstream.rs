//! Talking to the Gradio app: one pooled HTTP/1 client, the request
//! forwarded with hop-by-hop headers dropped, a deadline on the answer's
//! headers, and plain file fetches for auditing outputs.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::body::GatewayBody;

/// Why the upstream gave no usable answer; each maps to a status and a message.
#[derive(Debug)]
pub enum UpstreamError {
    /// Connection refused, reset, DNS… (502).
    Unreachable(String),
    /// No response headers in time (504).
    TimedOut(Duration),
    /// The body was cut off or over the limit (502).
    Body(String),
}

impl UpstreamError {
    pub fn status(&self) -> u16 {
        match self {
            UpstreamError::TimedOut(_) => 504,
            _ => 502,
        }
    }
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpstreamError::Unreachable(e) => write!(f, "the Gradio app is not reachable: {e}"),
            UpstreamError::TimedOut(d) => write!(f, "the Gradio app did not answer within {} s", d.as_secs()),
            UpstreamError::Body(e) => write!(f, "the Gradio app's answer could not be read: {e}"),
        }
    }
}

/// Headers that belong to one connection, not to the request.
const HOP_BY_HOP: &[&str] =
    &["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];

pub struct Upstream {
    client: Client<HttpConnector, GatewayBody>,
    /// `http://host:port`, no trailing slash.
    pub base: String,
    pub timeout: Duration,
}

impl Upstream {
    pub fn new(base: &str, timeout: Duration) -> anyhow::Result<Upstream> {
        let base = base.trim_end_matches('/').to_string();
        let uri: http::Uri = base.parse().map_err(|e| anyhow::anyhow!("--upstream {base:?} is not a URL: {e}"))?;
        if uri.scheme_str() != Some("http") || uri.authority().is_none() {
            anyhow::bail!("--upstream must be an http:// URL with a host, like http://127.0.0.1:7860 (got {base:?})");
        }
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeout));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Upstream { client, base, timeout })
    }

    /// Sends `parts` + `body` to the same path and query upstream. The Host
    /// header is kept, so the URLs Gradio writes into results point at the
    /// gateway.
    pub async fn send(
        &self,
        mut parts: http::request::Parts,
        body: GatewayBody,
    ) -> Result<hyper::Response<hyper::body::Incoming>, UpstreamError> {
        let pq = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        parts.uri = format!("{}{pq}", self.base).parse().map_err(|e| UpstreamError::Unreachable(format!("{e}")))?;
        for h in HOP_BY_HOP {
            parts.headers.remove(*h);
        }
        self.request(hyper::Request::from_parts(parts, body)).await
    }

    /// Sends `request` as it is, with the deadline on the answer's headers.
    async fn request(&self, request: hyper::Request<GatewayBody>) -> Result<hyper::Response<hyper::body::Incoming>, UpstreamError> {
        match tokio::time::timeout(self.timeout, self.client.request(request)).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(UpstreamError::Unreachable(describe(&e))),
            Err(_) => Err(UpstreamError::TimedOut(self.timeout)),
        }
    }

    /// GETs `path_and_query` from the app and reads at most `max_bytes` of the body.
    pub async fn fetch(&self, path_and_query: &str, max_bytes: usize) -> Result<(u16, Bytes), UpstreamError> {
        self.get(&format!("{}{path_and_query}", self.base), max_bytes).await
    }

    /// GETs an absolute `http://` URL (a host the policy lists), with the same limits.
    pub async fn fetch_url(&self, url: &str, max_bytes: usize) -> Result<(u16, Bytes), UpstreamError> {
        self.get(url, max_bytes).await
    }

    async fn get(&self, url: &str, max_bytes: usize) -> Result<(u16, Bytes), UpstreamError> {
        let uri: http::Uri = url.parse().map_err(|e| UpstreamError::Unreachable(format!("{url}: {e}")))?;
        let request = hyper::Request::get(uri).body(super::body::full(Bytes::new())).expect("valid request");
        let response = self.request(request).await?;
        let status = response.status().as_u16();
        let limited = http_body_util::Limited::new(response.into_body(), max_bytes);
        let bytes = tokio::time::timeout(self.timeout, limited.collect())
            .await
            .map_err(|_| UpstreamError::TimedOut(self.timeout))?
            .map_err(|e| UpstreamError::Body(format!("{e} (limit {max_bytes} bytes)")))?
            .to_bytes();
        Ok((status, bytes))
    }

    /// POSTs `value` as JSON to `path` of the app; its status (the body is read and dropped).
    pub async fn post_json(&self, path: &str, value: &serde_json::Value) -> Result<u16, UpstreamError> {
        let uri: http::Uri = format!("{}{path}", self.base).parse().map_err(|e| UpstreamError::Unreachable(format!("{path}: {e}")))?;
        let request = hyper::Request::post(uri)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(super::body::full(Bytes::from(value.to_string())))
            .expect("valid request");
        let response = self.request(request).await?;
        let status = response.status().as_u16();
        let limited = http_body_util::Limited::new(response.into_body(), 64 << 10);
        let _ = tokio::time::timeout(self.timeout, limited.collect()).await;
        Ok(status)
    }

    /// The app's `host:port`.
    pub fn authority(&self) -> &str {
        self.base.split_once("://").map_or(self.base.as_str(), |(_, a)| a)
    }
}

/// The innermost cause of a client error ("Connection refused (os error 111)").
fn describe(e: &hyper_util::client::legacy::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(inner) = source.source() {
        source = inner;
    }
    source.to_string()
}
