//! `glint gateway`: a reverse proxy in front of an unmodified Gradio app that
//! audits what goes in and what comes out with glint's audit policy.
//!
//! Inputs are audited before the app sees them: the `data` of
//! `…/call/<api>`, `…/queue/join` and one-shot `…/run/<api>` /
//! `/api/predict` calls, and the files of `…/upload`. Outputs are audited
//! before the client sees them: the events of `…/call/<api>/<id>` and
//! `…/queue/data`, the answers of one-shot calls, with the images they
//! reference fetched from the app. A block reaches the client the way
//! Gradio reports a failed call, so Gradio's UI and clients show it.
//! Everything else (the UI's pages, config, assets) passes unchanged.

mod body;
mod checks;
pub mod diff;
#[doc(hidden)] // public for the fuzz targets (glint::fuzzing)
pub mod gradio;
mod holdback;
mod ledger;
mod multipart;
mod outputs;
mod resources;
mod sse;
mod stop;
mod streams;
mod upstream;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde_json::Value;

use body::{Response, detail, full, json};
use checks::Gathered;
use gradio::{Api, blocked_event_id, close_stream, queue_error};
use ledger::{FileLedger, Owed};
use outputs::OutputStream;
use stop::QueueCalls;
use streams::{Flavor, StreamContext, error_event};
use upstream::Upstream;

use glint_app::Glint;
use glint_live::Live;
use glint_store::{AuditContext, Store};

/// Limits and deadlines of the gateway.
#[derive(Clone, Debug)]
pub struct GatewayOptions {
    /// The Gradio app, `http://host:port`.
    pub upstream: String,
    /// Largest request body (uploads included).
    pub max_body_bytes: usize,
    /// Connecting to the app and receiving its response headers.
    pub upstream_timeout: Duration,
    /// An event stream silent this long is closed with an error.
    pub idle_timeout: Duration,
    /// A client that reads nothing for this long is dropped.
    pub client_stall: Duration,
    pub max_event_bytes: usize,
    /// Largest output file fetched for auditing.
    pub max_file_bytes: usize,
    /// `GET /metrics` needs `Authorization: Bearer <token>`; `None` turns it off.
    pub metrics_token: Option<String>,
    /// `/glint/api/admin/*` (live plugin and model changes) needs
    /// `Authorization: Bearer <token>`; `None` turns it off.
    pub admin_token: Option<String>,
    /// Connections and request deadlines (`[application.tool.glint.server]`).
    pub server: glint_serve::ServerLimits,
}

impl GatewayOptions {
    pub fn new(upstream: &str) -> GatewayOptions {
        GatewayOptions {
            upstream: upstream.to_string(),
            max_body_bytes: 25 << 20,
            upstream_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(120),
            client_stall: Duration::from_secs(30),
            max_event_bytes: 16 << 20,
            max_file_bytes: 25 << 20,
            metrics_token: None,
            admin_token: None,
            server: glint_serve::ServerLimits::default(),
        }
    }
}

pub struct Gateway {
    glint: Arc<Glint>,
    live: Arc<Live>,
    store: Store,
    upstream: Upstream,
    options: GatewayOptions,
    files: FileLedger,
    owed: Owed,
    queue_calls: QueueCalls,
}

impl Gateway {
    pub fn new(glint: Arc<Glint>, live: Arc<Live>, store: Store, options: GatewayOptions) -> anyhow::Result<Arc<Gateway>> {
        let upstream = Upstream::new(&options.upstream, options.upstream_timeout)?;
        Ok(Arc::new(Gateway { glint, live, store, upstream, options, files: FileLedger::new(10_000), owed: Owed::default(), queue_calls: QueueCalls::new(10_000) }))
    }

    /// Serves connections from `listener` until `shutdown` completes.
    pub async fn serve(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let limits = self.options.server;
        glint_serve::serve(self, listener, limits, shutdown, |gw, req, peer| gw.handle(req, peer)).await
    }

    async fn handle(self: Arc<Self>, req: hyper::Request<Incoming>, peer: SocketAddr) -> Response {
        let started = Instant::now();
        let (method, path) = (req.method().clone(), req.uri().path().to_string());
        let api = Api::classify(&method, &path);
        let label = match &api {
            Api::CallStart(_) => "call",
            Api::CallStream { .. } => "call-stream",
            Api::QueueJoin => "queue-join",
            Api::QueueData => "queue-data",
            Api::Upload => "upload",
            Api::Predict(_) => "predict",
            Api::File(_) => "file",
            Api::Other => "other",
        };
        let response = if path == "/metrics" && method == http::Method::GET {
            self.metrics(&req)
        } else if path.starts_with("/glint/api/admin/") {
            self.admin(req).await
        } else if req.headers().contains_key(http::header::UPGRADE) {
            detail(501, "glint gateway does not proxy WebSocket upgrades (Gradio 3's websocket queue); use Gradio 4 or 5")
        } else {
            let cx = AuditContext {
                user_name: String::new(),
                session_id: session_hash(&req).unwrap_or_default(),
                route: format!("gateway {method} {path}"),
                experiment: String::new(),
            };
            self.clone().route(api, req, cx).await
        };
        let status = response.status().as_u16();
        let metrics = &self.glint.metrics;
        metrics.http_requests.with_label_values(&[label, method.as_str(), &status.to_string()]).inc();
        metrics.http_seconds.with_label_values(&[label]).observe(started.elapsed().as_secs_f64());
        tracing::info!(target: "glint::access", %peer, %method, path = %path, status, ms = started.elapsed().as_millis() as u64);
        response
    }

    fn metrics(&self, req: &hyper::Request<Incoming>) -> Response {
        let given = req.headers().get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        match &self.options.metrics_token {
            Some(token) if given == Some(format!("Bearer {token}").as_str()) => hyper::Response::builder()
                .header(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")
                .body(full(self.glint.metrics.render()))
                .expect("valid response"),
            Some(_) => detail(401, "metrics need Authorization: Bearer <GLINT_METRICS_TOKEN>"),
            None => detail(404, "metrics are off: start the gateway with GLINT_METRICS_TOKEN set"),
        }
    }

    /// The live-change API (see [`glint_live::api`]), for the admin bearer token only.
    async fn admin(&self, req: hyper::Request<Incoming>) -> Response {
        let given = req.headers().get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        match &self.options.admin_token {
            Some(token) if given == Some(format!("Bearer {token}").as_str()) => {}
            Some(_) => return detail(401, "the admin API needs Authorization: Bearer <GLINT_ADMIN_TOKEN>"),
            None => return detail(404, "the admin API is off: start the gateway with GLINT_ADMIN_TOKEN set"),
        }
        let (parts, body) = req.into_parts();
        let limit = self.live.settings().max_plugin_bytes;
        let bytes = match self.read_body_within(body, limit, "the plugin limit (max_plugin_bytes)").await {
            Ok(b) => b,
            Err(answer) => return answer,
        };
        let (status, body) =
            glint_live::api::answer(&self.live, parts.method.as_str(), parts.uri.path(), parts.uri.query(), bytes, "token").await;
        hyper::Response::builder()
            .status(status)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(full(body))
            .expect("valid response")
    }

    async fn route(self: Arc<Self>, api: Api, req: hyper::Request<Incoming>, cx: AuditContext) -> Response {
        let prefix = if req.uri().path().starts_with("/gradio_api/") { "/gradio_api" } else { "" }.to_string();
        let mut ours = vec![self.upstream.authority().to_string()];
        for h in [http::header::HOST.as_str(), "x-forwarded-host"] {
            if let Some(v) = req.headers().get(h).and_then(|v| v.to_str().ok()) {
                ours.extend(v.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()));
            }
        }
        match api {
            Api::Other => self.pass(req).await,
            Api::File(path) if self.files.is_withheld(&path) => {
                detail(403, "this file is part of a result the content policy blocked")
            }
            Api::File(_) => self.pass(req).await,
            Api::CallStart(_) | Api::QueueJoin => self.start_call(api, req, &prefix, cx).await,
            Api::Predict(_) => self.predict(req, StreamContext { prefix, ours, cx }).await,
            Api::Upload => self.upload(req, cx).await,
            Api::CallStream { event_id, .. } => {
                if let Some(message) = self.owed.take_call(&event_id) {
                    return sse_response(full(error_event(Flavor::Call, &event_id, &message)));
                }
                self.stream(Flavor::Call, req, Vec::new(), StreamContext { prefix, ours, cx }).await
            }
            Api::QueueData => {
                let owed: Vec<Vec<u8>> = self
                    .owed
                    .take_queue(&cx.session_id)
                    .iter()
                    .map(|m| sse::format(None, &m.to_string()))
                    .collect();
                self.stream(Flavor::Queue, req, owed, StreamContext { prefix, ours, cx }).await
            }
        }
    }

    /// Forwards a request and its answer unchanged, both streamed.
    async fn pass(&self, req: hyper::Request<Incoming>) -> Response {
        let (parts, body) = req.into_parts();
        match self.upstream.send(parts, body::streamed(body)).await {
            Ok(r) => r.map(body::streamed),
            Err(e) => detail(e.status(), &e.to_string()),
        }
    }

    /// Reads a request body under the gateway's size limit.
    async fn read_body(&self, body: Incoming) -> Result<Bytes, Response> {
        self.read_body_within(body, self.options.max_body_bytes, "the gateway's limit").await
    }

    /// Reads a body of at most `limit` bytes (`limit_name` in the 413)
    /// within `body_timeout_s` (else 408: a body that never ends does not
    /// hold the connection).
    async fn read_body_within(&self, body: Incoming, limit: usize, limit_name: &str) -> Result<Bytes, Response> {
        let deadline = self.options.server.body_timeout();
        match tokio::time::timeout(deadline, Limited::new(body, limit).collect()).await {
            Err(_) => Err(detail(408, &format!("the request body did not arrive within {} s (body_timeout_s)", deadline.as_secs()))),
            Ok(Ok(b)) => Ok(b.to_bytes()),
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                Err(detail(413, &format!("the request body is over {limit_name} of {limit} bytes")))
            }
            Ok(Err(e)) => Err(detail(400, &format!("cannot read the request body: {e}"))),
        }
    }

    /// Reads a JSON call's `data`; the bytes forwarded unchanged if allowed.
    async fn read_call(&self, body: Incoming) -> Result<(Bytes, Value), Response> {
        let bytes = self.read_body(body).await?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| detail(422, &format!("the body must be JSON with a \"data\" array: {e}")))?;
        Ok((bytes, value))
    }

    /// `…/call/<api>` and `…/queue/join`: audited, then forwarded; a block is
    /// answered with an event id whose stream carries the error.
    async fn start_call(&self, api: Api, req: hyper::Request<Incoming>, prefix: &str, mut cx: AuditContext) -> Response {
        let (parts, body) = req.into_parts();
        let (bytes, value) = match self.read_call(body).await {
            Ok(v) => v,
            Err(r) => return r,
        };
        if let Some(session) = value["session_hash"].as_str() {
            cx.session_id = session.to_string();
        }
        if let Some(message) = self.audit_data("input", &value["data"], prefix, &cx).await {
            let event_id = blocked_event_id();
            match api {
                Api::QueueJoin => {
                    self.owed.owe_queue(&cx.session_id, queue_error(&event_id, &message));
                }
                _ => self.owed.owe_call(&event_id, &message),
            }
            return json(200, &serde_json::json!({ "event_id": event_id }));
        }
        let response = match self.upstream.send(parts, full(bytes)).await {
            Ok(r) => r,
            Err(e) => return detail(e.status(), &e.to_string()),
        };
        if !matches!(api, Api::QueueJoin) || !response.status().is_success() {
            return response.map(body::streamed);
        }
        // The join's answer names the call's event: remembered, so a blocked call can be stopped upstream.
        let (parts, body) = response.into_parts();
        let answer = match tokio::time::timeout(self.options.upstream_timeout, Limited::new(body, 64 << 10).collect()).await {
            Ok(Ok(b)) => b.to_bytes(),
            Ok(Err(e)) => return detail(502, &format!("the Gradio app's answer to queue/join could not be read: {e}")),
            Err(_) => return detail(504, "the Gradio app did not finish its answer to queue/join in time"),
        };
        self.queue_calls.record(&value, &answer);
        hyper::Response::from_parts(parts, full(answer))
    }

    /// One-shot calls: inputs audited, the answer read whole and audited
    /// like a stream's last message.
    async fn predict(&self, req: hyper::Request<Incoming>, sc: StreamContext) -> Response {
        let (parts, body) = req.into_parts();
        let (bytes, value) = match self.read_call(body).await {
            Ok(v) => v,
            Err(r) => return r,
        };
        if let Some(message) = self.audit_data("input", &value["data"], &sc.prefix, &sc.cx).await {
            return json(400, &serde_json::json!({ "error": message }));
        }
        let response = match self.upstream.send(parts, full(bytes)).await {
            Ok(r) => r,
            Err(e) => return detail(e.status(), &e.to_string()),
        };
        let (parts, body) = response.into_parts();
        let limited = Limited::new(body, self.options.max_event_bytes);
        let answer = match tokio::time::timeout(self.options.idle_timeout, limited.collect()).await {
            Ok(Ok(b)) => b.to_bytes(),
            Ok(Err(e)) => return detail(502, &format!("the Gradio app's answer could not be read: {e}")),
            Err(_) => return detail(504, "the Gradio app did not finish its answer in time"),
        };
        if !parts.status.is_success() {
            return hyper::Response::from_parts(parts, full(answer));
        }
        let Ok(mut out) = serde_json::from_slice::<Value>(&answer) else {
            return detail(502, "the Gradio app answered with something that is not JSON; the gateway cannot audit it");
        };
        let data = out["data"].take();
        let mut call = OutputStream::default();
        let result = self.advance(&mut call, &data, false, true, false, &sc).await;
        self.log_call(&sc.cx, &mut call).await;
        match result {
            Err(message) => json(400, &serde_json::json!({ "error": message })),
            Ok(Some(shown)) if shown != data => {
                out["data"] = shown;
                let mut parts = parts;
                parts.headers.remove(http::header::CONTENT_LENGTH);
                hyper::Response::from_parts(parts, full(out.to_string()))
            }
            Ok(_) => hyper::Response::from_parts(parts, full(answer)),
        }
    }

    /// `…/upload`: every image among the files is audited before the app
    /// stores it; the paths the app answers are remembered as audited.
    async fn upload(&self, req: hyper::Request<Incoming>, cx: AuditContext) -> Response {
        let (parts, body) = req.into_parts();
        let bytes = match self.read_body(body).await {
            Ok(b) => b,
            Err(r) => return r,
        };
        let content_type = parts.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let Some(boundary) = multipart::boundary(content_type) else {
            return detail(400, "an upload must be multipart/form-data with a boundary");
        };
        let mut files = Gathered::default();
        match multipart::parse(&bytes, &boundary) {
            Ok(parts) => {
                let unreadable = self.unreadable_action();
                for p in parts.iter().filter(|p| p.filename.is_some()) {
                    files.add(bytes.slice_ref(p.body), p.filename.as_deref().unwrap_or("a file"), unreadable);
                }
            }
            Err(m) => return detail(400, &format!("the upload is not valid multipart/form-data: {m}")),
        };
        if !files.is_empty()
            && let Some(message) = self.audit("input", files, &cx).await
        {
            return detail(400, &message);
        }
        let response = match self.upstream.send(parts, full(bytes)).await {
            Ok(r) => r,
            Err(e) => return detail(e.status(), &e.to_string()),
        };
        let (parts, body) = response.into_parts();
        let answer = match Limited::new(body, 1 << 20).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => return detail(502, &format!("the Gradio app's upload answer could not be read: {e}")),
        };
        if let Ok(Value::Array(paths)) = serde_json::from_slice::<Value>(&answer) {
            paths.iter().filter_map(Value::as_str).for_each(|p| self.files.mark_audited(p));
        }
        hyper::Response::from_parts(parts, full(answer))
    }

    /// An event stream from the app, rewritten by [`Gateway::pump`].
    async fn stream(self: Arc<Self>, flavor: Flavor, req: hyper::Request<Incoming>, first: Vec<Vec<u8>>, sc: StreamContext) -> Response {
        let (parts, body) = req.into_parts();
        let upstream = match self.upstream.send(parts, body::streamed(body)).await {
            Ok(r) if r.status().is_success() => Some(r.into_body()),
            Ok(r) if !first.is_empty() => {
                tracing::debug!("queue stream answered {} upstream; sending the owed messages only", r.status());
                None
            }
            Ok(r) => return r.map(body::streamed),
            Err(_) if !first.is_empty() => None,
            Err(e) => return detail(e.status(), &e.to_string()),
        };
        let mut first = first;
        if upstream.is_none() && matches!(flavor, Flavor::Queue) {
            first.push(sse::format(None, &close_stream().to_string()));
        }
        let (tx, body) = body::channel(16);
        tokio::spawn(self.pump(flavor, first, upstream, sc, tx));
        sse_response(body)
    }
}

fn sse_response(body: body::GatewayBody) -> Response {
    hyper::Response::builder()
        .header(http::header::CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .header(http::header::CACHE_CONTROL, "no-cache")
        .body(body)
        .expect("valid response")
}

/// The `session_hash` of a queue request's query, if any.
fn session_hash(req: &hyper::Request<Incoming>) -> Option<String> {
    form_urlencoded::parse(req.uri().query()?.as_bytes()).find(|(k, _)| k == "session_hash").map(|(_, v)| v.into_owned())
}

