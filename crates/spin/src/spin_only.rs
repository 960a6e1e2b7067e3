//! Serving components built for stock Spin with Spin's interfaces only.
//!
//! A component made with spin-sdk 2 to 5 exports
//! `wasi:http/incoming-handler@0.2.x`. For a manifest of such components
//! `glint up` links what Spin gives them and nothing of glint's own: WASI 0.2
//! with no environment and no files but the manifest's `files`,
//! wasi:http whose outbound requests are held to `allowed_outbound_hosts`
//! (`outbound.rs`), and `fermyon:spin/variables@2.0.0`. No model is
//! loaded and no database opened. This is how the edge build of the web app
//! (`spin-edge.toml`) runs in front of a glint node without Spin installed.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, anyhow};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use super::component_request;
use super::manifest::SpinManifest;
use super::outbound::{AllowedHosts, OutboundPolicy};
use super::trigger::{Response, error_response, security_headers};
use super::variables::{self, Variables};
use glint_engine::PluginEngine;

/// The export that marks a component built for Spin's own HTTP trigger.
const SPIN_HTTP_EXPORT: &str = "wasi:http/incoming-handler@0.2.";

/// Which host a manifest's components were built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppKind {
    /// spin-sdk 7 components importing glint's platform (`wasi:http` 0.3).
    Glint,
    /// Components for stock Spin (`wasi:http` 0.2), served with Spin's interfaces only.
    SpinOnly,
}

impl AppKind {
    /// Reads each component's exports; a manifest mixing both kinds is refused.
    pub fn of(manifest: &SpinManifest) -> anyhow::Result<AppKind> {
        let mut kinds = BTreeMap::new();
        for (id, c) in &manifest.components {
            let wasm = read_source(id, &c.source)?;
            let spin = exports(&wasm)
                .with_context(|| format!("component {id}: {} is not a WebAssembly component", c.source.display()))?
                .iter()
                .any(|e| e.starts_with(SPIN_HTTP_EXPORT));
            kinds.insert(id.clone(), if spin { AppKind::SpinOnly } else { AppKind::Glint });
        }
        let spin_only: Vec<&String> = kinds.iter().filter(|(_, k)| **k == AppKind::SpinOnly).map(|(id, _)| id).collect();
        match spin_only.len() {
            0 => Ok(AppKind::Glint),
            n if n == kinds.len() => Ok(AppKind::SpinOnly),
            _ => {
                let glint: Vec<&String> = kinds.iter().filter(|(_, k)| **k == AppKind::Glint).map(|(id, _)| id).collect();
                anyhow::bail!(
                    "{}: components {spin_only:?} are built for stock Spin (wasi:http 0.2) and {glint:?} for glint's platform (wasi:http 0.3): \
                     serve them from two manifests",
                    manifest.path.display()
                )
            }
        }
    }
}

fn read_source(id: &str, source: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(source)
        .with_context(|| format!("component {id}: cannot read {} (build it with scripts/build-components.sh)", source.display()))
}

/// The names a component exports at its top level.
fn exports(wasm: &[u8]) -> anyhow::Result<Vec<String>> {
    use wasmtime::wasmparser::{Parser, Payload};
    let mut depth = 0usize;
    let mut names = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentExportSection(section) if depth == 0 => {
                for export in section {
                    names.push(export?.name.name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(names)
}

/// What the manifest grants one component, resolved once at start.
struct SpinGrants {
    id: Arc<str>,
    /// Host folders mounted read-only: (host path, guest path).
    files: Vec<(PathBuf, String)>,
    variables: Variables,
    outbound: Arc<AllowedHosts>,
}

/// The store of one request.
pub struct SpinState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: OutboundPolicy,
    limits: StoreLimits,
    grants: Arc<SpinGrants>,
}

impl WasiView for SpinState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for SpinState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { hooks: &mut self.hooks, table: &mut self.table, ctx: &mut self.http }
    }
}

struct LoadedComponent {
    pre: ProxyPre<SpinState>,
    grants: Arc<SpinGrants>,
}

/// The HTTP trigger for [`AppKind::SpinOnly`] manifests.
pub struct SpinOnlyTrigger {
    engine: PluginEngine,
    manifest: SpinManifest,
    components: BTreeMap<String, LoadedComponent>,
    max_body_bytes: usize,
    next_id: AtomicU64,
    /// Component instances alive at once ([`glint_engine::EngineOptions::app_instances`]).
    instances: Arc<tokio::sync::Semaphore>,
}

impl SpinOnlyTrigger {
    /// Compiles and links every component with Spin's interfaces only;
    /// `env` gives `$SPIN_VARIABLE_*` (`std::env::var` outside tests).
    pub fn new(
        engine: PluginEngine,
        manifest: SpinManifest,
        max_body_bytes: usize,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<SpinOnlyTrigger> {
        let mut linker: Linker<SpinState> = Linker::new(&engine.engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        variables::add_v2_to_linker(&mut linker, |s: &mut SpinState| &s.grants.variables)?;
        let mut components = BTreeMap::new();
        for (id, c) in &manifest.components {
            let (component, _) = engine.compile(&read_source(id, &c.source)?).with_context(|| format!("component {id}"))?;
            let pre = linker.instantiate_pre(&component).map_err(|e| {
                anyhow!("component {id}: it imports something Spin's interfaces do not include (glint links only wasi 0.2, wasi:http 0.2 and fermyon:spin/variables@2.0.0 here): {e}")
            })?;
            let pre = ProxyPre::new(pre).map_err(|e| anyhow!("component {id}: not a wasi:http@0.2 incoming handler: {e}"))?;
            component_request::check_folders(id, &c.files)?;
            let outbound = AllowedHosts::parse(&c.allowed_outbound_hosts, |t| variables::fill(&manifest, t, &env))
                .map_err(|e| anyhow!("component.{id}.{e}"))?;
            let grants = SpinGrants {
                id: id.as_str().into(),
                files: c.files.clone(),
                variables: variables::resolve(&manifest, id, &env)?,
                outbound: Arc::new(outbound),
            };
            components.insert(id.clone(), LoadedComponent { pre, grants: Arc::new(grants) });
        }
        let instances = engine.options.app_instance_permits();
        Ok(SpinOnlyTrigger { engine, manifest, components, max_body_bytes, next_id: AtomicU64::new(1), instances })
    }

    /// For each component, the outbound hosts it may reach (for the start log).
    pub fn outbound_summary(&self) -> Vec<String> {
        let hosts = |h: &[String]| if h.is_empty() { "none".to_string() } else { h.join(", ") };
        self.manifest.components.iter().map(|(id, c)| format!("{id}: outbound {}", hosts(&c.allowed_outbound_hosts))).collect()
    }

    /// Serves until `shutdown` resolves.
    pub async fn serve(self: Arc<Self>, listener: tokio::net::TcpListener, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let limits = self.manifest.glint.server;
        glint_serve::serve(self, listener, limits, shutdown, |trigger, req, peer| async move { trigger.handle(req, peer).await }).await
    }

    async fn handle(&self, req: hyper::Request<Incoming>, peer: SocketAddr) -> Response {
        let started = Instant::now();
        let id = format!("{:016x}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let (method, path) = (req.method().clone(), req.uri().path().to_string());
        let mut response = match self.dispatch(req, peer).await {
            Ok(r) => r,
            Err((status, message)) => error_response(status, &message),
        };
        response.headers_mut().insert("x-request-id", id.parse().expect("hex is a header value"));
        security_headers(response.headers_mut());
        let status = response.status().as_u16();
        tracing::info!(target: "glint::access", request_id = %id, %peer, %method, path = %path, status, ms = started.elapsed().as_millis() as u64);
        response
    }

    async fn dispatch(&self, req: hyper::Request<Incoming>, peer: SocketAddr) -> Result<Response, (u16, String)> {
        let path = req.uri().path().to_string();
        let route = self.manifest.route_for(&path).ok_or((404, format!("no route of {} serves {path}", self.manifest.path.display())))?;
        let component = self.components.get(&route.component).ok_or((500, format!("component {} is not loaded", route.component)))?;
        let (mut parts, body) = req.into_parts();
        let limit = format!("the limit of {} bytes", self.max_body_bytes);
        let body = component_request::read_body(body, self.max_body_bytes, &limit, self.manifest.glint.server.body_timeout()).await?;
        let full_url = component_request::make_uri_absolute(&mut parts)?;
        for (name, value) in spin_headers(&route.route, &path, &full_url, peer) {
            if let Ok(v) = http::HeaderValue::from_str(&value) {
                parts.headers.insert(name, v);
            }
        }
        let body = Full::new(body).map_err(|e: Infallible| -> wasmtime_wasi_http::Error { match e {} }).boxed();
        let req = hyper::Request::from_parts(parts, body);
        self.call(component, req).await.map_err(|e| {
            tracing::warn!("component {}: {e:?}", route.component);
            (500, format!("component {} failed: {e}", route.component))
        })
    }

    async fn call(
        &self,
        component: &LoadedComponent,
        req: hyper::Request<http_body_util::combinators::BoxBody<Bytes, wasmtime_wasi_http::Error>>,
    ) -> anyhow::Result<Response> {
        let grants = component.grants.clone();
        let state = SpinState {
            table: ResourceTable::new(),
            wasi: component_request::wasi_with_files(&grants.files)?,
            http: WasiHttpCtx::new(),
            hooks: OutboundPolicy { component: grants.id.clone(), allowed: grants.outbound.clone() },
            limits: StoreLimitsBuilder::new().memory_size(self.engine.options.max_memory_bytes).trap_on_grow_failure(true).build(),
            grants,
        };
        let mut store = Store::new(&self.engine.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(self.engine.deadline_ticks());
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let request = store.data_mut().http().new_incoming_request(Scheme::Http, req)?;
        let outparam = store.data_mut().http().new_response_outparam(sender)?;
        let pre = component.pre.clone();
        // Held by the task, which may outlive the answer; past the bound the request waits here.
        let instance = self.instances.clone().acquire_owned().await?;
        // The guest may go on writing the body after it has set the response.
        let task = tokio::spawn(async move {
            let _instance = instance;
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy.wasi_http_incoming_handler().call_handle(&mut store, request, outparam).await
        });
        let response = match receiver.await {
            Ok(Ok(response)) => response,
            Ok(Err(code)) => anyhow::bail!("the handler answered with an error: {code:?}"),
            Err(_) => {
                let why = match task.await {
                    Ok(Ok(())) => anyhow!("it returned without setting a response"),
                    Ok(Err(e)) => anyhow::Error::from(e),
                    Err(e) => anyhow!(e),
                };
                return Err(why.context("no response"));
            }
        };
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.map_err(|e| anyhow!("the response body broke off: {e:?}"))?.to_bytes();
        Ok(hyper::Response::from_parts(parts, Full::new(bytes)))
    }
}

/// The `spin-*` request headers Spin's HTTP trigger sets (a component may
/// read them, e.g. the edge build's same-site check reads `spin-full-url`).
fn spin_headers(route: &str, path: &str, full_url: &str, peer: SocketAddr) -> Vec<(&'static str, String)> {
    let base = route.strip_suffix("/...").unwrap_or(route);
    let info = path.strip_prefix(base).unwrap_or("");
    vec![
        ("spin-full-url", full_url.to_string()),
        ("spin-path-info", info.to_string()),
        ("spin-matched-route", route.to_string()),
        ("spin-raw-component-route", route.to_string()),
        ("spin-component-route", base.to_string()),
        ("spin-base-path", "/".to_string()),
        ("spin-client-addr", peer.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spin_headers_split_the_route_like_spin() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let h: BTreeMap<_, _> = spin_headers("/api/...", "/api/detect", "http://x/api/detect?q=1", peer).into_iter().collect();
        assert_eq!(h["spin-path-info"], "/detect");
        assert_eq!(h["spin-component-route"], "/api");
        assert_eq!(h["spin-full-url"], "http://x/api/detect?q=1");
        assert_eq!(h["spin-client-addr"], "127.0.0.1:5000");
        let h: BTreeMap<_, _> = spin_headers("/...", "/", "http://x/", peer).into_iter().collect();
        assert_eq!((h["spin-path-info"].as_str(), h["spin-component-route"].as_str()), ("/", ""));
    }

    #[test]
    fn exports_of_a_non_component_is_an_error() {
        assert!(exports(b"not wasm").is_err());
        // An empty core module exports nothing (and is not a Spin component).
        assert_eq!(exports(b"\0asm\x01\0\0\0").unwrap(), Vec::<String>::new());
    }
}
