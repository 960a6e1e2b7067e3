//! The named model registry: discovers manifests, loads a version's graphs
//! into its backend on first use, and hands wasi-nn an immutable snapshot of
//! `<version>/<graph>` → graph. A name only ever resolves through here.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, anyhow};
use arc_swap::ArcSwap;
use wasmtime_wasi_nn::{Graph, GraphRegistry};

use super::manifest::ModelManifest;
use crate::error::{ErrorKind, GlintError};
use crate::nn::libs::{self, RuntimeLibs};
use crate::nn::onnx::OnnxOptions;
use crate::nn::{self, BackendKind};

/// Largest asset a plugin may read through `glint:plugins/models`.
const MAX_ASSET_BYTES: u64 = 64 << 20;

/// How model versions are loaded.
#[derive(Clone, Debug)]
pub struct RegistryOptions {
    /// Load every version with this backend instead of its manifest's default.
    pub backend: Option<BackendKind>,
    pub libs: RuntimeLibs,
    pub onnx: OnnxOptions,
}

/// An installed model version (its manifest was found and parsed).
#[derive(Debug)]
pub struct ModelEntry {
    pub name: String,
    pub dir: PathBuf,
    pub manifest: ModelManifest,
    /// The manifest text, as plugins receive it.
    pub text: String,
}

impl ModelEntry {
    /// Whether every file the manifest names is present.
    pub fn is_installed(&self) -> bool {
        self.manifest.files().all(|f| self.dir.join(f).is_file())
    }
}

/// A model version whose graphs are loaded.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LoadedModel {
    pub backend: BackendKind,
    /// Runtime library version, e.g. "1.22.1".
    pub runtime: String,
    /// What actually runs the graphs, e.g. "CPU (f32)".
    pub device: String,
    pub load_ms: u64,
}

pub struct ModelRegistry {
    dir: PathBuf,
    entries: BTreeMap<String, ModelEntry>,
    loaded: Mutex<HashMap<String, LoadedModel>>,
    graphs: ArcSwap<HashMap<String, Graph>>,
    options: RegistryOptions,
}

impl ModelRegistry {
    /// Reads every `<dir>/<version>/model.toml`. A broken manifest is an error
    /// that names the file, the key and the line.
    pub fn open(dir: &Path, options: RegistryOptions) -> anyhow::Result<ModelRegistry> {
        let mut entries = BTreeMap::new();
        let read = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read the models folder {}", dir.display()))?;
        for item in read {
            let path = item?.path();
            let manifest_path = path.join("model.toml");
            if !manifest_path.is_file() {
                continue;
            }
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if !valid_version_name(&name) {
                anyhow::bail!("{}: a model version folder name uses a-z, 0-9, '.', '_' and '-' only", path.display());
            }
            let text = std::fs::read_to_string(&manifest_path)
                .with_context(|| format!("cannot read {}", manifest_path.display()))?;
            let manifest = ModelManifest::parse(&text).map_err(|e| anyhow!("{}: {e}", manifest_path.display()))?;
            entries.insert(name.clone(), ModelEntry { name, dir: path, manifest, text });
        }
        Ok(ModelRegistry {
            dir: dir.to_path_buf(),
            entries,
            loaded: Mutex::new(HashMap::new()),
            graphs: ArcSwap::from_pointee(HashMap::new()),
            options,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn entries(&self) -> impl Iterator<Item = &ModelEntry> {
        self.entries.values()
    }

    /// The entry of `name`, or an error listing the installed versions.
    pub fn entry(&self, name: &str) -> Result<&ModelEntry, GlintError> {
        self.entries.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.entries.keys().map(String::as_str).collect();
            GlintError::new(
                ErrorKind::UnknownModel,
                format!(
                    "unknown model version {name:?}; installed versions: {}",
                    if known.is_empty() { "none (run scripts/setup.sh)".to_string() } else { known.join(", ") }
                ),
            )
        })
    }

    /// The backend `name` is (or would be) loaded with: the forced one
    /// (`--backend`) where the version has files for it, else its own.
    pub fn backend_for(&self, entry: &ModelEntry) -> BackendKind {
        match self.options.backend {
            Some(forced) if entry.manifest.backends().contains(&forced) => forced,
            _ => entry.manifest.model.backend,
        }
    }

    /// Loads the graphs of `name` if needed; returns what runs them.
    pub fn ensure_loaded(&self, name: &str) -> Result<LoadedModel, GlintError> {
        let entry = self.entry(name)?;
        let mut loaded = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = loaded.get(name) {
            return Ok(l.clone());
        }
        let started = Instant::now();
        let backend = self.backend_for(entry);
        let (runtime, device, graphs) =
            self.load_graphs(entry, backend).map_err(|e| GlintError::new(ErrorKind::Backend, format!("{e:#}")))?;
        let mut all = HashMap::clone(&self.graphs.load());
        all.extend(graphs);
        self.graphs.store(Arc::new(all));
        let model = LoadedModel { backend, runtime, device, load_ms: started.elapsed().as_millis() as u64 };
        tracing::info!(model = name, %backend, ms = model.load_ms, "model version loaded");
        loaded.insert(name.to_string(), model.clone());
        Ok(model)
    }

    fn load_graphs(
        &self,
        entry: &ModelEntry,
        backend: BackendKind,
    ) -> anyhow::Result<(String, String, Vec<(String, Graph)>)> {
        let file = |f: &str| -> anyhow::Result<Vec<u8>> {
            let p = entry.dir.join(f);
            std::fs::read(&p).with_context(|| {
                format!("model {}: cannot read {} (run scripts/setup.sh to fetch the weights)", entry.name, p.display())
            })
        };
        let (runtime, device) = match backend {
            BackendKind::Onnx => {
                let v = libs::init_onnxruntime(&self.options.libs.onnxruntime).map_err(|e| anyhow!(e))?;
                (format!("onnxruntime {v}"), "CPU (CPUExecutionProvider)".to_string())
            }
            BackendKind::Openvino => {
                let v = libs::init_openvino(&self.options.libs.openvino).map_err(|e| anyhow!(e))?;
                (format!("openvino {v}"), format!("CPU ({})", entry.manifest.model.openvino_precision))
            }
        };
        let mut graphs = Vec::new();
        for (key, files) in &entry.manifest.graphs {
            let name = format!("{}/{key}", entry.name);
            let graph = match (backend, files) {
                (BackendKind::Onnx, g) if g.onnx.is_some() => {
                    nn::onnx::load(&name, &file(g.onnx.as_deref().expect("checked"))?, &self.options.onnx)?
                }
                (BackendKind::Openvino, g) if g.openvino.is_some() => {
                    let [xml, bin] = g.openvino.as_ref().expect("checked");
                    nn::openvino::load(&name, &file(xml)?, &file(bin)?, &entry.manifest.model.openvino_precision)?
                }
                _ => anyhow::bail!(
                    "model {}: graph {key} has no {backend} files (available backends: {:?})",
                    entry.name,
                    entry.manifest.backends()
                ),
            };
            graphs.push((name, graph));
        }
        Ok((runtime, device, graphs))
    }

    /// What wasi-nn resolves names against: the graphs loaded so far.
    pub fn snapshot(&self) -> GraphSnapshot {
        GraphSnapshot(self.graphs.load_full())
    }

    /// An asset the manifest of `version` declares, by key.
    pub fn asset(&self, version: &str, key: &str) -> Result<Vec<u8>, GlintError> {
        let entry = self.entry(version)?;
        let file = entry.manifest.assets.get(key).ok_or_else(|| {
            GlintError::new(ErrorKind::UnknownModel, format!("model {version} declares no asset {key:?}"))
        })?;
        let path = entry.dir.join(file);
        let read = || -> std::io::Result<Vec<u8>> {
            let len = std::fs::metadata(&path)?.len();
            if len > MAX_ASSET_BYTES {
                return Err(std::io::Error::other(format!("{len} bytes is over the {MAX_ASSET_BYTES}-byte asset limit")));
            }
            std::fs::read(&path)
        };
        read().map_err(|e| {
            GlintError::new(ErrorKind::Backend, format!("model {version}: asset {key} ({}): {e}", path.display()))
        })
    }
}

fn valid_version_name(n: &str) -> bool {
    !n.is_empty() && !n.starts_with('.') && n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

/// An immutable view of the loaded graphs, given to each store's wasi-nn context.
#[derive(Clone)]
pub struct GraphSnapshot(Arc<HashMap<String, Graph>>);

impl GraphRegistry for GraphSnapshot {
    fn get(&self, name: &str) -> Option<&Graph> {
        self.0.get(name)
    }
    fn get_mut(&mut self, _name: &str) -> Option<&mut Graph> {
        None
    }
}
