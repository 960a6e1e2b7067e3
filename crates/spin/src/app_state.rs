//! The store of one HTTP request to an app component: deny-all WASI, wasi:http
//! with outgoing requests refused, and glint's platform interfaces, each call
//! checked against the role of the request's principal.

use std::path::PathBuf;
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use super::app_bindings::glint::plugins::platform::{
    self, DetectResult, ExperimentArm, Failure, JobState as WitJobState, JobStatus, ModelInfo, ModelRun, PlatformError,
};
use super::history::Owner;
use super::jobs::{Busy, JobState, Jobs, Requester};
use glint_app::Glint;
use glint_app::detection::{DetectInput, RunResult};
use glint_auth::{Accounts, Principal, Role};
use glint_common::error::{ErrorKind, GlintError};
use glint_store::AuditContext;

/// What one request's app component may use: the platform, and who asked.
pub struct RequestContext {
    pub glint: Arc<Glint>,
    pub jobs: Arc<Jobs>,
    pub accounts: Accounts,
    pub principal: Principal,
    /// The session token of the request (only `logout` uses it).
    pub session_token: Option<String>,
    /// The route it came in on, e.g. `POST /api/detect` (for the audit log).
    pub route: String,
    /// Who the request counts as in an A/B experiment (none when no experiment is declared).
    pub subject: Option<glint_experiments::Subject>,
    /// The client's address (sign-in throttling).
    pub client: std::net::IpAddr,
}

pub struct AppState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: DenyOutgoing,
    pub(crate) limits: StoreLimits,
    pub(crate) cx: RequestContext,
    /// What spin.toml grants the component (shared by all its requests).
    pub(crate) grants: Arc<Grants>,
}

/// What spin.toml grants one component, resolved once at load.
#[derive(Debug, Default)]
pub struct Grants {
    /// Host folders mounted read-only: (host path, guest path).
    pub files: Vec<(PathBuf, String)>,
    /// What `spin:variables` answers.
    pub variables: super::variables::Variables,
    /// The `spin:key-value` stores it may open.
    pub key_value_stores: Vec<String>,
}

impl AppState {
    /// A fresh store state with the component's `grants`.
    pub fn new(cx: RequestContext, max_memory_bytes: usize, grants: Arc<Grants>) -> anyhow::Result<AppState> {
        Ok(AppState {
            table: ResourceTable::new(),
            wasi: super::component_request::wasi_with_files(&grants.files)?,
            http: WasiHttpCtx::new(),
            hooks: DenyOutgoing,
            limits: StoreLimitsBuilder::new().memory_size(max_memory_bytes).trap_on_grow_failure(true).build(),
            cx,
            grants,
        })
    }

    /// What `spin:key-value` works on.
    pub(crate) fn kv_view(&mut self) -> super::key_value::KvView<'_> {
        super::key_value::KvView { table: &mut self.table, store: &self.cx.accounts.store, allowed: &self.grants.key_value_stores }
    }

    /// `Ok` when the principal's role is at least `role`.
    pub(crate) fn require(&self, role: Role) -> Result<(), PlatformError> {
        match self.cx.principal.role {
            have if have >= role => Ok(()),
            Role::Guest => Err(denied(Failure::Unauthenticated, "sign in to do this")),
            have => Err(denied(Failure::Forbidden, &format!("your role ({have}) may not do this; it needs {role}"))),
        }
    }

    /// The signed-in account and session, whose results are recorded.
    fn owner(&self) -> Option<Owner> {
        let p = &self.cx.principal;
        Some(Owner { user: p.user.clone()?, session_id: p.session_id.clone()? })
    }

    /// Who and where, for the audit log.
    fn audit_context(&self) -> AuditContext {
        let p = &self.cx.principal;
        AuditContext {
            user_name: p.user.clone().unwrap_or_default(),
            session_id: p.session_id.clone().unwrap_or_default(),
            route: self.cx.route.clone(),
            experiment: String::new(),
        }
    }

    /// Who is asking, for the pipeline's record stage.
    fn requester(&self) -> Requester {
        Requester { owner: self.owner(), audit: self.audit_context(), subject: self.cx.subject.clone() }
    }

    fn result(&self, r: RunResult) -> DetectResult {
        let RunResult { response, model: run, cached, threshold, elapsed_ms, result_id, plugin, arm, .. } = r;
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
            plugin: plugin.name,
            plugin_sha256: plugin.sha256,
            elapsed_ms,
            result_id,
            experiment: arm.map(|a| ExperimentArm { name: a.experiment, version: a.version, arm: a.arm }),
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

impl glint_plugins::bindings::glint::plugins::types::Host for AppState {}

impl platform::Host for AppState {
    async fn detect(
        &mut self,
        image: Vec<u8>,
        prompt: String,
        threshold: f32,
        model: Option<String>,
    ) -> Result<DetectResult, PlatformError> {
        self.require(Role::Guest)?;
        let ran = self.cx.jobs.run_now(input(image, prompt, threshold, model), self.requester()).await.map_err(to_wit)?;
        Ok(self.result(ran))
    }

    fn submit(
        &mut self,
        image: Vec<u8>,
        prompt: String,
        threshold: f32,
        model: Option<String>,
    ) -> Result<String, PlatformError> {
        self.require(Role::Guest)?;
        self.cx.jobs.submit(input(image, prompt, threshold, model), self.requester()).map_err(|Busy(s)| PlatformError {
            failure: Failure::Busy,
            message: format!("the detection queue is full: retry in {s} s"),
            retry_after_s: s as u32,
        })
    }

    fn job(&mut self, id: String) -> Option<JobStatus> {
        let p = &self.cx.principal;
        let (state, position, output, error) = match self.cx.jobs.status(&id, p.user.as_deref(), p.role == Role::Admin)? {
            JobState::Queued { position } => (WitJobState::Queued, position as u32, None, None),
            JobState::Running => (WitJobState::Running, 0, None, None),
            JobState::Done(r) => (WitJobState::Done, 0, Some(self.result(*r)), None),
            JobState::Failed(e) => (WitJobState::Failed, 0, None, Some(to_wit(e))),
        };
        Some(JobStatus { id, state, position, output, error })
    }

    fn models(&mut self) -> Vec<ModelInfo> {
        let models = &self.cx.glint.models;
        let default = &self.cx.glint.config.default_model;
        // Detector versions only (the `audit` family is what the audit plugin
        // uses), the default first, then by name.
        let mut entries: Vec<_> = models.entries().into_iter().filter(|e| e.manifest.model.family != "audit").collect();
        entries.sort_by_key(|e| (&e.name != default, e.name.clone()));
        entries
            .into_iter()
            .map(|e| ModelInfo {
                version: e.name.clone(),
                family: e.manifest.model.family.clone(),
                description: e.manifest.model.description.clone(),
                backend: models.backend_for(&e).to_string(),
                installed: e.is_installed(),
            })
            .collect()
    }
}

pub(crate) fn to_wit(e: GlintError) -> PlatformError {
    let failure = match e.kind {
        ErrorKind::InvalidInput => Failure::InvalidInput,
        ErrorKind::TooLarge => Failure::TooLarge,
        ErrorKind::UnknownModel | ErrorKind::UnknownPlugin => Failure::NotFound,
        ErrorKind::Backend | ErrorKind::Plugin => Failure::Unavailable,
        ErrorKind::Config => Failure::Internal,
        ErrorKind::Blocked => Failure::Blocked,
    };
    PlatformError { failure, message: e.message, retry_after_s: 0 }
}

pub(crate) fn denied(failure: Failure, message: &str) -> PlatformError {
    PlatformError { failure, message: message.into(), retry_after_s: 0 }
}
