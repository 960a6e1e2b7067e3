//! The store of one HTTP request to an app component: deny-all WASI, wasi:http
//! with outgoing requests refused, and glint's platform interface.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use super::app_bindings::glint::plugins::platform::{
    self, DetectResult, Failure, JobState as WitJobState, JobStatus, ModelInfo, ModelRun, PlatformError,
};
use super::jobs::{Busy, JobState, Jobs};
use crate::app::{DetectInput, Glint, RunResult};
use crate::error::{ErrorKind, GlintError};

pub struct AppState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: DenyOutgoing,
    pub(crate) limits: StoreLimits,
    glint: Arc<Glint>,
    jobs: Arc<Jobs>,
}

impl AppState {
    pub fn new(glint: Arc<Glint>, jobs: Arc<Jobs>, max_memory_bytes: usize) -> AppState {
        AppState {
            table: ResourceTable::new(),
            wasi: WasiCtxBuilder::new().build(),
            http: WasiHttpCtx::new(),
            hooks: DenyOutgoing,
            limits: StoreLimitsBuilder::new().memory_size(max_memory_bytes).trap_on_grow_failure(true).build(),
            glint,
            jobs,
        }
    }

    fn result(&self, r: RunResult) -> DetectResult {
        let RunResult { response, model: run, cached, threshold, elapsed_ms } = r;
        DetectResult {
            response,
            cached,
            threshold,
            model: ModelRun {
                version: run.version,
                family: run.family,
                backend: run.backend.to_string(),
                runtime: run.runtime,
                device: run.device,
            },
            plugin: self.glint.config.detect_plugin.clone(),
            elapsed_ms,
        }
    }
}

fn input(image: Vec<u8>, prompt: String, threshold: f32, model: Option<String>) -> DetectInput {
    DetectInput { image, prompt, threshold, model: model.filter(|m| !m.is_empty()) }
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
        let ran = self.jobs.run_now(input(image, prompt, threshold, model)).await.map_err(to_wit)?;
        Ok(self.result(ran))
    }

    fn submit(
        &mut self,
        image: Vec<u8>,
        prompt: String,
        threshold: f32,
        model: Option<String>,
    ) -> Result<String, PlatformError> {
        self.jobs.submit(input(image, prompt, threshold, model)).map_err(|Busy(s)| PlatformError {
            failure: Failure::Busy,
            message: format!("the detection queue is full: retry in {s} s"),
            retry_after_s: s as u32,
        })
    }

    fn job(&mut self, id: String) -> Option<JobStatus> {
        let (state, position, output, error) = match self.jobs.status(&id)? {
            JobState::Queued { position } => (WitJobState::Queued, position as u32, None, None),
            JobState::Running => (WitJobState::Running, 0, None, None),
            JobState::Done(r) => (WitJobState::Done, 0, Some(self.result(r)), None),
            JobState::Failed(e) => (WitJobState::Failed, 0, None, Some(to_wit(e))),
        };
        Some(JobStatus { id, state, position, output, error })
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
    PlatformError { failure, message: e.message, retry_after_s: 0 }
}
