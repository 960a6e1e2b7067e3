//! What a plugin's store holds, and the host side of the interfaces plugins
//! import. WASI is linked deny-all ([`super::sandbox`]): no files,
//! environment, network, stdio, clock or entropy; wasi-nn resolves graphs by registry name only and cannot `load`
//! arbitrary bytes (no backend is registered for that call).

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_nn::wit::WasiNnCtx;
use wasmtime_wasi_nn::{Backend, Registry};

use super::bindings::glint::plugins::{models, types};
use glint_common::error::{ErrorKind, GlintError};
use glint_models::{ModelRegistry, ModelView};

/// Where a store's model versions come from.
#[derive(Clone)]
pub enum Models {
    /// What serves now, looked up again before every call.
    Live(Arc<ModelRegistry>),
    /// One fixed view: a candidate version under its canary.
    Fixed(Arc<ModelView>),
}

impl Models {
    fn view(&self) -> Arc<ModelView> {
        match self {
            Models::Live(registry) => registry.view(),
            Models::Fixed(view) => view.clone(),
        }
    }
}

pub struct HostState {
    pub(crate) table: ResourceTable,
    wasi: WasiCtx,
    pub(crate) nn: WasiNnCtx,
    pub(crate) limits: StoreLimits,
    models: Models,
    /// The sha256 of the plugin this store runs: its derived values are its own.
    plugin: String,
    /// The view of the current call: manifests, assets and graphs all come
    /// from it, so a call never mixes two builds of a version.
    view: Arc<ModelView>,
}

impl HostState {
    pub fn new(plugin_sha256: &str, models: Models, max_memory_bytes: usize) -> HostState {
        let view = models.view();
        HostState {
            table: ResourceTable::new(),
            wasi: super::sandbox::deny_all(),
            nn: nn_context(&view),
            limits: StoreLimitsBuilder::new().memory_size(max_memory_bytes).instances(64).trap_on_grow_failure(true).build(),
            models,
            plugin: plugin_sha256.to_string(),
            view,
        }
    }

    /// Takes the view serving now for the next call (versions may have been
    /// loaded or swapped since this store was created).
    pub fn refresh_view(&mut self) {
        self.view = self.models.view();
        self.nn = nn_context(&self.view);
    }

    /// The generation of the view this store last saw (see [`ModelView::generation`]).
    pub fn generation(&self) -> u64 {
        self.view.generation
    }
}

fn nn_context(view: &ModelView) -> WasiNnCtx {
    WasiNnCtx::new(Vec::<Backend>::new(), Registry::from(view.snapshot()))
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl types::Host for HostState {}

impl models::Host for HostState {
    fn manifest(&mut self, version: String) -> Result<String, types::Error> {
        self.view.entry(&version).map(|e| e.text.clone()).map_err(to_wit)
    }

    fn asset(&mut self, version: String, key: String) -> Result<Vec<u8>, types::Error> {
        self.view.asset(&version, &key).map_err(to_wit)
    }

    fn derived(&mut self, version: String, key: String) -> Option<Vec<u8>> {
        self.view.derived(&self.plugin, &version, &key).map(|v| v.to_vec())
    }

    fn keep_derived(&mut self, version: String, key: String, value: Vec<u8>) -> Result<(), types::Error> {
        self.view.keep_derived(&self.plugin, &version, &key, value).map_err(to_wit)
    }
}

fn to_wit(e: GlintError) -> types::Error {
    let code = match e.kind {
        ErrorKind::UnknownModel => types::ErrorCode::UnknownModel,
        _ => types::ErrorCode::Internal,
    };
    types::Error { code, message: e.message }
}
