//! The HTTP trigger: serves the routes of spin.toml by running their app
//! components (spin-sdk 7, `wasi:http/handler@0.3.0`), one store per request.
//! In front of every component: a request id, the gate (`gate.rs`: route table,
//! principal, role, CSRF, rate limit), the body-size limit, metrics, and an
//! access log that records no query strings, bodies or headers.
//! `GET /metrics`, `GET /api/audit`, `GET /api/openapi.json`, the live-change
//! API `/api/admin/*` and `/api/experiments` are answered here. A browser gets
//! its experiment subject cookie here too.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use wasmtime::Store;
use wasmtime::component::{HasSelf, Linker};
use wasmtime_wasi_http::p3::bindings::ServicePre;

use super::app_bindings::App;
use super::app_state::{AppState, DenyOutgoing, Grants, RequestContext};
use super::component_request;
use super::gate::{Admitted, Gate};
use super::jobs::{JobSettings, Jobs};
use super::manifest::SpinManifest;
use super::key_value;
use super::variables;
use glint_app::Glint;
use glint_auth::Accounts;
use glint_experiments::{Experiments, subject};
use glint_live::Live;

pub type Response = hyper::Response<Full<Bytes>>;

/// A loaded app component and what spin.toml grants it.
struct LoadedApp {
    pre: ServicePre<AppState>,
    grants: Arc<Grants>,
}

pub struct HttpTrigger {
    glint: Arc<Glint>,
    manifest: SpinManifest,
    apps: BTreeMap<String, LoadedApp>,
    max_body_bytes: usize,
    gate: Gate,
    jobs: Arc<Jobs>,
    live: Arc<Live>,
    experiments: Arc<Experiments>,
    next_id: AtomicU64,
    /// App-component instances alive at once ([`glint_engine::EngineOptions::app_instances`]).
    instances: Arc<tokio::sync::Semaphore>,
}

impl HttpTrigger {
    /// Compiles and links every component of the manifest.
    pub fn new(
        glint: Arc<Glint>,
        manifest: SpinManifest,
        max_body_bytes: usize,
        accounts: Accounts,
        live: Arc<Live>,
        experiments: Arc<Experiments>,
    ) -> anyhow::Result<HttpTrigger> {
        let engine = glint.plugins.engine();
        let mut linker: Linker<AppState> = Linker::new(&engine.engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?; // Rust std on wasm32-wasip2
        wasmtime_wasi::p3::add_to_linker(&mut linker)?;
        wasmtime_wasi_http::p3::add_to_linker(&mut linker)?;
        App::add_to_linker::<_, HasSelf<AppState>>(&mut linker, |s| s)?;
        variables::add_to_linker(&mut linker, |s: &mut AppState| &s.grants.variables)?;
        key_value::add_to_linker(&mut linker, AppState::kv_view)?;
        let mut apps = BTreeMap::new();
        check_grants(&manifest)?;
        for (id, c) in &manifest.components {
            let wasm = std::fs::read(&c.source).with_context(|| {
                format!("component {id}: cannot read {} (build it with scripts/build-components.sh)", c.source.display())
            })?;
            let (component, _) = engine.compile(&wasm).with_context(|| format!("component {id}"))?;
            let pre = linker
                .instantiate_pre(&component)
                .map_err(|e| anyhow!("component {id}: it imports something glint does not grant: {e}"))?;
            let pre = ServicePre::new(pre).map_err(|e| anyhow!("component {id}: not a wasi:http@0.3 handler: {e}"))?;
            component_request::check_folders(id, &c.files)?;
            let variables = variables::resolve(&manifest, id, |k| std::env::var(k).ok())?;
            let grants = Grants { files: c.files.clone(), variables, key_value_stores: c.key_value_stores.clone() };
            apps.insert(id.clone(), LoadedApp { pre, grants: Arc::new(grants) });
        }
        let token = |name: &str| std::env::var(name).ok();
        let gate = Gate::new(accounts.clone(), &manifest.glint.rate_limit, token("GLINT_METRICS_TOKEN"), token("GLINT_ADMIN_TOKEN"));
        let j = &manifest.glint.jobs;
        let settings = JobSettings { queue: j.queue, concurrency: j.concurrency, keep: Duration::from_secs(j.keep_seconds) };
        let jobs = Jobs::new(glint.clone(), accounts.store.clone(), experiments.clone(), settings);
        let instances = engine.options.app_instance_permits();
        Ok(HttpTrigger { glint, manifest, apps, max_body_bytes, gate, jobs, live, experiments, next_id: AtomicU64::new(1), instances })
    }

    /// The site's title (the first app component's `site_title` variable), for reports.
    fn site_title(&self) -> String {
        self.apps.values().find_map(|a| a.grants.variables.0.get("site_title").cloned()).unwrap_or_default()
    }

    /// Serves until `shutdown` resolves.
    pub async fn serve(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let limits = self.manifest.glint.server;
        let jobs = self.jobs.clone();
        glint_serve::serve(self, listener, limits, shutdown, |trigger, req, peer| async move { trigger.handle(req, peer).await })
            .await?;
        // Queued jobs run on after their requests were answered: they get the same deadline.
        let left = jobs.drain(std::time::Duration::from_secs(limits.shutdown_timeout_s)).await;
        if left > 0 {
            tracing::warn!("stopped with {left} detection jobs unfinished (shutdown_timeout_s)");
        }
        Ok(())
    }

    async fn handle(&self, req: hyper::Request<Incoming>, peer: SocketAddr) -> Response {
        let started = Instant::now();
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let id = format!("{n:016x}");
        let (parts, body) = req.into_parts();
        let (method, path) = (parts.method.clone(), parts.uri.path().to_string());
        let metrics = &self.glint.metrics;
        // The experiment subject cookie: a browser without one gets one with this answer.
        let cookie = parts.headers.get(http::header::COOKIE).and_then(|c| c.to_str().ok()).and_then(subject::from_cookies).map(str::to_string);
        let minted = (cookie.is_none() && self.experiments.any()).then(glint_common::clock::random_id);
        let guest_cookie = cookie.or(minted.clone());
        let client = super::client_addr::client_ip(peer.ip(), &parts.headers, &self.manifest.glint.trusted_proxies);
        let admitted = self.gate.admit(&parts, client, n).await;
        let (route, user) = match &admitted {
            Ok(a) => (a.route.path, a.principal.user.clone()),
            Err(_) => ("none", None),
        };
        let mut response = match admitted {
            Err(refusal) => {
                metrics.rejections.with_label_values(&[refusal.reason]).inc();
                component_request::drain_small_body(body).await;
                let mut r = error_response(refusal.status, &refusal.message);
                if let Some(s) = refusal.retry_after_s {
                    r.headers_mut().insert(http::header::RETRY_AFTER, s.into());
                }
                if let Some(allow) = refusal.allow.and_then(|a| a.parse().ok()) {
                    r.headers_mut().insert(http::header::ALLOW, allow);
                }
                r
            }
            Ok(a) if a.route.path == "/metrics" => text_response(200, "text/plain; version=0.0.4", metrics.render()),
            Ok(a) if a.route.path == "/api/audit" => {
                let (status, content_type, body) = super::audit_api::answer(&self.gate.accounts.store, parts.uri.query()).await;
                text_response(status, content_type, body)
            }
            Ok(a) if a.route.path == "/api/openapi.json" => {
                let formats: Vec<String> = glint_app::export::formats(&self.glint).into_iter().map(|f| f.name).collect();
                text_response(200, "application/json", super::openapi::document(&formats).to_string())
            }
            Ok(a) if matches!(a.route.path, "/api/exports" | "/api/results/{id}/export" | "/api/feedback/export") => {
                let title = self.site_title();
                let answer = super::export_api::answer(&self.glint, &self.gate.accounts.store, &a.principal, &title, &path, parts.uri.query()).await;
                let mut r = hyper::Response::builder().status(answer.status).header(http::header::CONTENT_TYPE, answer.content_type);
                if let Some(d) = answer.disposition {
                    r = r.header(http::header::CONTENT_DISPOSITION, d);
                }
                r.body(Full::new(answer.body)).expect("valid response")
            }
            Ok(a) if a.route.path.starts_with("/api/experiments") => match self.read_body(body, 64 << 10, "64 KiB").await {
                Ok(bytes) => {
                    let actor = if a.by_token { "token".to_string() } else { a.principal.user.clone().unwrap_or_default() };
                    let (status, body) = glint_experiments::api::answer(&self.experiments, method.as_str(), &path, &bytes, &actor).await;
                    text_response(status, "application/json", body)
                }
                Err((status, message)) => self.error_answer(status, &message),
            },
            Ok(a) if a.route.path.starts_with("/api/admin/") => {
                let limit = self.live.settings().max_plugin_bytes;
                match self.read_body(body, limit, "the plugin limit (max_plugin_bytes)").await {
                    Ok(bytes) => {
                        let actor = if a.by_token { "token".to_string() } else { a.principal.user.clone().unwrap_or_default() };
                        let (status, body) = glint_live::api::answer(&self.live, method.as_str(), &path, parts.uri.query(), bytes, &actor).await;
                        text_response(status, "application/json", body)
                    }
                    Err((status, message)) => self.error_answer(status, &message),
                }
            }
            Ok(a) => match self.dispatch(hyper::Request::from_parts(parts, body), a, guest_cookie, client).await {
                Ok(r) => r,
                Err((status, message)) => self.error_answer(status, &message),
            },
        };
        response.headers_mut().insert("x-request-id", id.parse().expect("hex is a header value"));
        if let Some(value) = minted {
            response.headers_mut().append(http::header::SET_COOKIE, subject::set_cookie(&value).parse().expect("ascii cookie"));
        }
        security_headers(response.headers_mut());
        let status = response.status().as_u16();
        metrics.http_requests.with_label_values(&[route, method.as_str(), &status.to_string()]).inc();
        metrics.http_seconds.with_label_values(&[route]).observe(started.elapsed().as_secs_f64());
        tracing::info!(
            target: "glint::access",
            request_id = %id, %peer, %client, %method, path = %path, user = user.as_deref().unwrap_or("-"),
            status, ms = started.elapsed().as_millis() as u64,
        );
        response
    }

    async fn dispatch(
        &self,
        req: hyper::Request<Incoming>,
        admitted: Admitted,
        guest_cookie: Option<String>,
        client: std::net::IpAddr,
    ) -> Result<Response, (u16, String)> {
        let path = req.uri().path().to_string();
        let route = self.manifest.route_for(&path).ok_or((404, format!("no route of {} serves {path}", self.manifest.path.display())))?;
        let app = self.apps.get(&route.component).ok_or((500, format!("component {} is not loaded", route.component)))?;
        let (mut parts, body) = req.into_parts();
        let body = self.read_body(body, self.max_body_bytes, &format!("the limit of {} bytes", self.max_body_bytes)).await?;
        component_request::make_uri_absolute(&mut parts)?;
        let body = Full::new(body).map_err(|e: Infallible| -> wasmtime_wasi_http::Error { match e {} });
        let req = http::Request::from_parts(parts, body.boxed());
        let subject = guest_cookie.filter(|_| self.experiments.any()).map(|c| subject::of(&admitted.principal, &c));
        let cx = RequestContext {
            subject,
            client,
            glint: self.glint.clone(),
            jobs: self.jobs.clone(),
            accounts: self.gate.accounts.clone(),
            principal: admitted.principal,
            session_token: admitted.session_token,
            route: format!("{} {}", admitted.route.method, admitted.route.path),
        };
        self.call(app, cx, req).await.map_err(|e| {
            tracing::warn!("component {}: {e:?}", route.component);
            (500, format!("component {} failed: {e}", route.component))
        })
    }

    /// The whole body within `body_timeout_s` ([`component_request::read_body`]).
    async fn read_body(&self, body: Incoming, limit: usize, limit_name: &str) -> Result<Bytes, (u16, String)> {
        component_request::read_body(body, limit, limit_name, self.manifest.glint.server.body_timeout()).await
    }

    /// An error answer; a body over its limit (413) or too slow (408) is counted as a rejection.
    fn error_answer(&self, status: u16, message: &str) -> Response {
        if matches!(status, 408 | 413) {
            let reason = if status == 413 { "body_too_large" } else { "body_timeout" };
            self.glint.metrics.rejections.with_label_values(&[reason]).inc();
        }
        error_response(status, message)
    }

    async fn call(
        &self,
        app: &LoadedApp,
        cx: RequestContext,
        req: http::Request<http_body_util::combinators::BoxBody<Bytes, wasmtime_wasi_http::Error>>,
    ) -> anyhow::Result<Response> {
        let engine = self.glint.plugins.engine();
        // Held until the answer is complete; past the bound the request waits here.
        let _instance = self.instances.acquire().await?;
        let t0 = Instant::now();
        let state = AppState::new(cx, engine.options.max_memory_bytes, app.grants.clone())?;
        let t1 = Instant::now();
        let pre = app.pre.clone();
        let mut store = Store::new(&engine.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(engine.deadline_ticks());
        let (wreq, io) = wasmtime_wasi_http::p3::Request::from_http(&mut DenyOutgoing, req);
        let t2 = Instant::now();
        let service = pre.instantiate_async(&mut store).await?;
        let t3 = Instant::now();
        let (parts, bytes) = store
            .run_concurrent(async |accessor| {
                let respond = async {
                    let resp = service.handle(accessor, wreq).await?.map_err(|e| anyhow!("the handler returned {e:?}"))?;
                    let resp = accessor.with(|access| resp.into_http(access, async { Ok(()) }))?;
                    let (parts, body) = resp.into_parts();
                    let bytes = body.collect().await.map_err(|e| anyhow!("{e:?}"))?.to_bytes();
                    anyhow::Ok((parts, bytes))
                };
                let (r, ()) = tokio::try_join!(respond, async { io.await.map_err(|e| anyhow!("{e:?}")) })?;
                anyhow::Ok(r)
            })
            .await??;
        let t4 = Instant::now();
        drop(store);
        let us = |a: Instant, b: Instant| (b - a).as_micros() as u64;
        // What one request's instance costs, step by step (GLINT_LOG=glint::instance=debug).
        tracing::debug!(
            target: "glint::instance",
            state_us = us(t0, t1), store_us = us(t1, t2), instantiate_us = us(t2, t3), handle_us = us(t3, t4), drop_us = us(t4, Instant::now()),
        );
        Ok(hyper::Response::from_parts(parts, Full::new(bytes)))
    }
}

/// Refuses what spin.toml may ask but glint's platform components never get:
/// outbound network (only components built for stock Spin, served with
/// Spin's interfaces, may reach other hosts).
pub fn check_grants(manifest: &SpinManifest) -> anyhow::Result<()> {
    for (id, c) in &manifest.components {
        if !c.allowed_outbound_hosts.is_empty() {
            anyhow::bail!(
                "component {id}: allowed_outbound_hosts: components on glint's platform get no outbound network \
                 (only components built for stock Spin, served with Spin's interfaces, may reach other hosts)"
            );
        }
    }
    Ok(())
}

/// `{"error": {"status": 413, "message": "..."}}`
pub fn error_response(status: u16, message: &str) -> Response {
    let body = serde_json::json!({ "error": { "status": status, "message": message } }).to_string();
    text_response(status, "application/json", body)
}

fn text_response(status: u16, content_type: &str, body: String) -> Response {
    hyper::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Full::new(Bytes::from(body)))
        .expect("valid response")
}

/// Headers every answer carries, whatever the component set: no type
/// sniffing (an upload served back is never run as script or HTML), no
/// framing by other sites, and no full URLs (with ids in them) in the
/// Referer sent elsewhere. The page's Content-Security-Policy is the app's.
pub(crate) fn security_headers(headers: &mut http::HeaderMap) {
    use http::header::{HeaderValue, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
}
