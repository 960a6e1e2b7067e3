//! The live plugin registry. Entries are `Arc<Plugin>` in an `ArcSwap` map:
//! replacing a plugin swaps the map atomically, calls already running keep the
//! old `Arc` until they finish, new calls get the new one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use arc_swap::ArcSwap;
use sha2::{Digest, Sha256};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{HasSelf, Linker};

use super::bindings::auditor::AuditorHostPre;
use super::bindings::{DetectorHost, DetectorHostPre};
use super::detector::Warm;
use super::pool::Idle;
use super::state::HostState;
use super::{WIT_PACKAGE, WIT_VERSION};
use crate::engine::{CacheOutcome, PluginEngine};
use crate::error::{ErrorKind, GlintError};
use crate::models::ModelRegistry;

/// The world a plugin was built for, read from its exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PluginWorld {
    DetectPlugin,
    AuditPlugin,
    ExportPlugin,
    AbPlugin,
}

impl PluginWorld {
    fn from_export(interface: &str) -> Option<PluginWorld> {
        Some(match interface {
            "detector" => PluginWorld::DetectPlugin,
            "auditor" => PluginWorld::AuditPlugin,
            "exporter" => PluginWorld::ExportPlugin,
            "allocator" => PluginWorld::AbPlugin,
            _ => return None,
        })
    }
}

/// What `glint plugins list` shows about a plugin.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PluginInfo {
    pub name: String,
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    pub world: PluginWorld,
    pub imports: Vec<String>,
    pub exports: Vec<String>,
    pub compile_ms: u64,
    pub compiled_cache: CacheOutcome,
}

/// A loaded plugin, ready to instantiate.
pub struct Plugin {
    pub info: PluginInfo,
    pub(super) detector: Option<DetectorHostPre<HostState>>,
    pub(super) auditor: Option<AuditorHostPre<HostState>>,
    pub(super) idle: Idle<Warm>,
    pub(super) idle_auditors: Idle<super::auditor::WarmAuditor>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin").field("info", &self.info).finish_non_exhaustive()
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
        let plugin = self.build(&name, path, &wasm).with_context(|| format!("plugin {name} ({})", path.display()))?;
        let plugin = Arc::new(plugin);
        self.plugins.rcu(|map| {
            let mut map = BTreeMap::clone(map);
            map.insert(name.clone(), plugin.clone());
            map
        });
        tracing::info!(plugin = name, world = ?plugin.info.world, "plugin loaded");
        Ok(plugin)
    }

    fn build(&self, name: &str, path: &Path, wasm: &[u8]) -> anyhow::Result<Plugin> {
        let started = Instant::now();
        let (component, cache) = self.engine.compile(wasm)?;
        let compile_ms = started.elapsed().as_millis() as u64;
        let ty = component.component_type();
        let engine = &self.engine.engine;
        let imports: Vec<String> = ty.imports(engine).map(|(n, _)| n.to_string()).collect();
        let exports: Vec<String> = ty
            .exports(engine)
            .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentInstance(_)))
            .map(|(n, _)| n.to_string())
            .collect();
        let world = world_of(&exports)?;
        let pre = self.linker.instantiate_pre(&component).map_err(|e| {
            anyhow!("it imports something glint does not grant ({e}); plugins may import glint:plugins/models, wasi:nn and WASI p2 (which is sandboxed deny-all)")
        })?;
        let (detector, auditor) = match world {
            PluginWorld::DetectPlugin => (Some(DetectorHostPre::new(pre)?), None),
            PluginWorld::AuditPlugin => (None, Some(AuditorHostPre::new(pre)?)),
            _ => (None, None),
        };
        let info = PluginInfo {
            name: name.to_string(),
            path: path.to_path_buf(),
            sha256: hex::encode(Sha256::digest(wasm)),
            bytes: wasm.len() as u64,
            world,
            imports,
            exports,
            compile_ms,
            compiled_cache: cache,
        };
        Ok(Plugin { info, detector, auditor, idle: Idle::new(), idle_auditors: Idle::new() })
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

/// The world a component implements, from its `glint:plugins/<iface>@<ver>` export.
fn world_of(exports: &[String]) -> anyhow::Result<PluginWorld> {
    for e in exports {
        let Some(rest) = e.strip_prefix(WIT_PACKAGE).and_then(|r| r.strip_prefix('/')) else { continue };
        let (iface, version) = rest.split_once('@').unwrap_or((rest, ""));
        let Some(world) = PluginWorld::from_export(iface) else { continue };
        if version != WIT_VERSION {
            bail!("it exports {e}, built for {WIT_PACKAGE}@{version}; this glint implements {WIT_PACKAGE}@{WIT_VERSION}");
        }
        return Ok(world);
    }
    bail!(
        "it exports none of {WIT_PACKAGE}/{{detector,auditor,exporter,allocator}}@{WIT_VERSION} (its exports: {exports:?})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_from_exports() {
        assert_eq!(world_of(&["glint:plugins/detector@0.1.0".into()]).unwrap(), PluginWorld::DetectPlugin);
        let e = world_of(&["glint:plugins/detector@0.2.0".into()]).unwrap_err().to_string();
        assert!(e.contains("0.2.0") && e.contains("0.1.0"), "{e}");
        assert!(world_of(&["wasi:http/handler@0.3.0".into()]).is_err());
    }
}
