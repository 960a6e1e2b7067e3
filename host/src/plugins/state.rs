//! What a plugin's store holds, and the host side of the interfaces plugins
//! import. WASI is linked deny-all: no files, no environment, no network, no
//! stdio; wasi-nn resolves graphs by registry name only and cannot `load`
//! arbitrary bytes (no backend is registered for that call).

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_nn::wit::WasiNnCtx;
use wasmtime_wasi_nn::{Backend, Registry};

use super::bindings::glint::plugins::{models, types};
use crate::error::{ErrorKind, GlintError};
use crate::models::ModelRegistry;

pub struct HostState {
    pub(crate) table: ResourceTable,
    wasi: WasiCtx,
    pub(crate) nn: WasiNnCtx,
    pub(crate) limits: StoreLimits,
    models: Arc<ModelRegistry>,
}

impl HostState {
    pub fn new(models: Arc<ModelRegistry>, max_memory_bytes: usize) -> HostState {
        HostState {
            table: ResourceTable::new(),
            wasi: WasiCtxBuilder::new().build(),
            nn: nn_context(&models),
            limits: StoreLimitsBuilder::new().memory_size(max_memory_bytes).instances(64).trap_on_grow_failure(true).build(),
            models,
        }
    }

    /// Points wasi-nn at the graphs loaded now (new versions may have loaded
    /// since this store was created).
    pub fn refresh_graphs(&mut self) {
        self.nn = nn_context(&self.models);
    }
}

fn nn_context(models: &ModelRegistry) -> WasiNnCtx {
    WasiNnCtx::new(Vec::<Backend>::new(), Registry::from(models.snapshot()))
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl types::Host for HostState {}

impl models::Host for HostState {
    fn manifest(&mut self, version: String) -> Result<String, types::Error> {
        self.models.entry(&version).map(|e| e.text.clone()).map_err(to_wit)
    }

    fn asset(&mut self, version: String, key: String) -> Result<Vec<u8>, types::Error> {
        self.models.asset(&version, &key).map_err(to_wit)
    }
}

fn to_wit(e: GlintError) -> types::Error {
    let code = match e.kind {
        ErrorKind::UnknownModel => types::ErrorCode::UnknownModel,
        _ => types::ErrorCode::Internal,
    };
    types::Error { code, message: e.message }
}
