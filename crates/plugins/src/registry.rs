//! The live plugin registry. Entries are `Arc<Plugin>` in an `ArcSwap` map:
//! replacing a plugin swaps the map atomically, calls already running keep the
//! old `Arc` until they finish, new calls get the new one.
//!
//! A candidate is [`prepared`] first, its checks in order: the WIT world and
//! version it exports, the imports it asks for, compilation (through the
//! compiled cache), and linking against what glint grants. Only a prepared
//! plugin can be [`published`].
//!
//! [`prepared`]: PluginRegistry::prepare
//! [`published`]: PluginRegistry::publish

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, anyhow};
use arc_swap::ArcSwap;
use sha2::{Digest, Sha256};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{HasSelf, Linker};

use super::bindings::auditor::AuditorHostPre;
use super::bindings::exporter::ExportPluginPre;
use super::bindings::{DetectorHost, DetectorHostPre};
use super::inspect;
use super::plugin::{Plugin, PluginInfo, PluginWorld, world_of};
use super::pool::Idle;
use super::state::HostState;
use glint_engine::PluginEngine;
use glint_common::error::{ErrorKind, GlintError};
use glint_models::ModelRegistry;

/// Why a candidate plugin was refused: the check it failed and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CandidateError {
    /// `world`, `imports`, `compile` or `link` (the live install adds `canary`).
    pub step: &'static str,
    pub reason: String,
}

impl CandidateError {
    pub fn new(step: &'static str, reason: impl Into<String>) -> CandidateError {
        CandidateError { step, reason: reason.into() }
    }
}

impl std::fmt::Display for CandidateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.step, self.reason)
    }
}

pub struct PluginRegistry {
    pub(super) engine: Arc<PluginEngine>,
    pub(super) models: Arc<ModelRegistry>,
    linker: Linker<HostState>,
    plugins: ArcSwap<BTreeMap<String, Arc<Plugin>>>,
}

impl PluginRegistry {
    pub fn new(engine: Arc<PluginEngine>, models: Arc<ModelRegistry>) -> anyhow::Result<PluginRegistry> {
        let mut linker = Linker::new(&engine.engine);
        // Deny-all WASI for plugins built with std on wasm32-wasip2, Python or JS.
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        wasmtime_wasi_nn::wit::add_to_linker(&mut linker, |s: &mut HostState| {
            wasmtime_wasi_nn::wit::WasiNnView::new(&mut s.table, &mut s.nn)
        })?;
        DetectorHost::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
        Ok(PluginRegistry { engine, models, linker, plugins: ArcSwap::from_pointee(BTreeMap::new()) })
    }

    /// Loads every `*.wasm` in `dir` (sorted by name).
    pub fn load_dir(&self, dir: &Path) -> anyhow::Result<Vec<Arc<Plugin>>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read the plugins folder {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        files.sort();
        files.iter().map(|f| self.load_file(f)).collect()
    }

    /// Loads (or replaces) the plugin in `path`; its name is the file stem.
    pub fn load_file(&self, path: &Path) -> anyhow::Result<Arc<Plugin>> {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .ok_or_else(|| anyhow!("{}: not a file name", path.display()))?;
        let wasm = std::fs::read(path).with_context(|| format!("cannot read plugin {}", path.display()))?;
        let plugin =
            self.prepare(&name, path, &wasm).map_err(|e| anyhow!("plugin {name} ({}): {}", path.display(), e.reason))?;
        Ok(self.publish(plugin))
    }

    /// Builds a candidate from `wasm` without letting it serve.
    pub fn prepare(&self, name: &str, path: &Path, wasm: &[u8]) -> Result<Plugin, CandidateError> {
        let declared = inspect::interfaces(wasm).map_err(|e| CandidateError::new("world", e))?;
        let world = world_of(&declared.exports).map_err(|e| CandidateError::new("world", e.to_string()))?;
        if let Some(why) = inspect::ungranted(&declared.imports) {
            return Err(CandidateError::new("imports", why));
        }
        let sha256 = hex::encode(Sha256::digest(wasm));
        let started = Instant::now();
        let (component, cache) = self.engine.compile(wasm).map_err(|e| CandidateError::new("compile", format!("{e:#}")))?;
        let compile_ms = started.elapsed().as_millis() as u64;
        let ty = component.component_type();
        let engine = &self.engine.engine;
        let imports: Vec<String> = ty.imports(engine).map(|(n, _)| n.to_string()).collect();
        let exports: Vec<String> = ty
            .exports(engine)
            .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentInstance(_)))
            .map(|(n, _)| n.to_string())
            .collect();
        let pre = self.linker.instantiate_pre(&component).map_err(|e| {
            CandidateError::new(
                "link",
                format!("it imports something glint does not grant ({e}); plugins may import glint:plugins/models, wasi:nn and WASI p2 (which is sandboxed deny-all)"),
            )
        })?;
        let typed = |e: wasmtime::Error| CandidateError::new("link", format!("its exports do not match the {world:?} world: {e}"));
        let (mut detector, mut auditor, mut exporter, mut allocator, mut formats) = (None, None, None, None, Vec::new());
        match world {
            PluginWorld::DetectPlugin => detector = Some(DetectorHostPre::new(pre).map_err(typed)?),
            PluginWorld::AuditPlugin => auditor = Some(AuditorHostPre::new(pre).map_err(typed)?),
            PluginWorld::ExportPlugin => {
                let e = ExportPluginPre::new(pre).map_err(typed)?;
                formats = self.exporter_formats(&e, name, &sha256).map_err(|m| CandidateError::new("link", m))?;
                exporter = Some(e);
            }
            PluginWorld::AbPlugin => allocator = Some(super::bindings::allocator::AbPluginPre::new(pre).map_err(typed)?),
        }
        let info = PluginInfo {
            name: name.to_string(),
            path: path.to_path_buf(),
            sha256,
            bytes: wasm.len() as u64,
            world,
            imports,
            exports,
            compile_ms,
            compiled_cache: cache,
            loaded_ms: glint_common::clock::now_ms(),
            formats,
        };
        Ok(Plugin { info, detector, auditor, exporter, allocator, idle: Idle::new(), idle_auditors: Idle::new() })
    }

    /// Puts a prepared plugin into service under its name, in one swap;
    /// calls running on its predecessor finish on it. The predecessor, if any.
    pub fn publish(&self, plugin: Plugin) -> Arc<Plugin> {
        let plugin = Arc::new(plugin);
        let name = plugin.info.name.clone();
        self.plugins.rcu(|map| {
            let mut map = BTreeMap::clone(map);
            map.insert(name.clone(), plugin.clone());
            map
        });
        tracing::info!(plugin = name, world = ?plugin.info.world, sha256 = plugin.info.sha256, "plugin loaded");
        plugin
    }

    /// The plugin called `name`, as registered now.
    pub fn get(&self, name: &str) -> Result<Arc<Plugin>, GlintError> {
        self.plugins.load().get(name).cloned().ok_or_else(|| {
            let known: Vec<String> = self.plugins.load().keys().cloned().collect();
            GlintError::new(
                ErrorKind::UnknownPlugin,
                format!(
                    "no plugin {name:?} is loaded (loaded: {}); build it with scripts/build-components.sh",
                    if known.is_empty() { "none".into() } else { known.join(", ") }
                ),
            )
        })
    }

    /// The engine plugins (and app components) run on.
    pub fn engine(&self) -> &Arc<PluginEngine> {
        &self.engine
    }

    pub fn list(&self) -> Vec<Arc<Plugin>> {
        self.plugins.load().values().cloned().collect()
    }
}
