//! The store of one HTTP request to an app component: deny-all WASI, wasi:http
//! with outgoing requests refused, and glint's platform interface.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use super::app_bindings::glint::plugins::platform::{self, DetectResult, Failure, ModelInfo, ModelRun, PlatformError};
use crate::app::{DetectInput, Glint, RunResult};
use crate::error::{ErrorKind, GlintError};

pub struct AppState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: DenyOutgoing,
    pub(crate) limits: StoreLimits,
    glint: Arc<Glint>,
}

impl AppState {
    pub fn new(glint: Arc<Glint>, max_memory_bytes: usize) -> AppState {
        AppState {
            table: ResourceTable::new(),
            wasi: WasiCtxBuilder::new().build(),
            http: WasiHttpCtx::new(),
            hooks: DenyOutgoing,
            limits: StoreLimitsBuilder::new().memory_size(max_memory_bytes).trap_on_grow_failure(true).build(),
            glint,
        }
    }
}

/// App components get no outbound HTTP (spin.toml's allowed_outbound_hosts is refused too).
pub struct DenyOutgoing;

impl WasiHttpHooks for DenyOutgoing {
    fn send_request(
        &mut self,
        _request: http::Request<wasmtime_wasi_http::WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<
                    (
                        http::Response<wasmtime_wasi_http::WasiBody>,
                        Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
                    ),
                    wasmtime_wasi_http::Error,
                >,
            > + Send,
    > {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

impl WasiView for AppState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for AppState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { hooks: &mut self.hooks, table: &mut self.table, ctx: &mut self.http }
    }
}

impl crate::plugins::bindings::glint::plugins::types::Host for AppState {}

impl platform::Host for AppState {
    async fn detect(
        &mut self,
        image: Vec<u8>,
        prompt: String,
        threshold: f32,
        model: Option<String>,
    ) -> Result<DetectResult, PlatformError> {
        let glint = self.glint.clone();
        let started = std::time::Instant::now();
        let input = DetectInput { image, prompt, threshold, model: model.filter(|m| !m.is_empty()) };
        let ran = tokio::task::spawn_blocking(move || glint.run(&input)).await.map_err(|e| PlatformError {
            failure: Failure::Internal,
            message: format!("the detection task failed: {e}"),
        })?;
        let RunResult { response, model: run, cached } = ran.map_err(to_wit)?;
        Ok(DetectResult {
            response,
            cached,
            model: ModelRun {
                version: run.version,
                family: run.family,
                backend: run.backend.to_string(),
                runtime: run.runtime,
                device: run.device,
            },
            plugin: self.glint.config.detect_plugin.clone(),
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        })
    }

    fn models(&mut self) -> Vec<ModelInfo> {
        let models = &self.glint.models;
        models
            .entries()
            .map(|e| ModelInfo {
                version: e.name.clone(),
                family: e.manifest.model.family.clone(),
                description: e.manifest.model.description.clone(),
                backend: models.backend_for(e).to_string(),
                installed: e.is_installed(),
            })
            .collect()
    }
}

fn to_wit(e: GlintError) -> PlatformError {
    let failure = match e.kind {
        ErrorKind::InvalidInput => Failure::InvalidInput,
        ErrorKind::TooLarge => Failure::TooLarge,
        ErrorKind::UnknownModel | ErrorKind::UnknownPlugin => Failure::NotFound,
        ErrorKind::Backend | ErrorKind::Plugin => Failure::Unavailable,
        ErrorKind::Config => Failure::Internal,
    };
    PlatformError { failure, message: e.message }
}
