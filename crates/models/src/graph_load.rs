//! Loading one model version's graphs onto its backend: the runtime library
//! opened once, then each graph through the compiled-graph cache, either
//! now or (with [`RegistryOptions::lazy_graphs`]) on its first use.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, anyhow};
use wasmtime_wasi_nn::Graph;

use super::manifest::{GraphFiles, ModelManifest};
use glint_nn::BackendKind;
use glint_nn::graph_cache::{CacheUse, GraphCache, GraphCacheOutcome};
use glint_nn::lazy;
use glint_nn::libs::{self, RuntimeLibs};
use glint_nn::onnx::OnnxOptions;

/// How model versions are loaded.
#[derive(Clone, Debug)]
pub struct RegistryOptions {
    /// Load every version with this backend instead of its manifest's default.
    pub backend: Option<BackendKind>,
    pub libs: RuntimeLibs,
    pub onnx: OnnxOptions,
    pub openvino: glint_nn::openvino::OpenvinoOptions,
    /// Where compiled graphs are kept (`None`: compiled every time).
    pub graph_cache: Option<GraphCache>,
    /// Load each graph when a guest first uses it, not with its version (for a
    /// one-shot `glint detect`; a server loads all, so that what is staged is checked).
    pub lazy_graphs: bool,
    /// Where plugins' derived values are kept across processes (`None`: in memory only).
    pub derived_values: Option<PathBuf>,
}

/// A version's graphs on one runtime.
pub(crate) struct VersionGraphs {
    /// The runtime and its version, e.g. "onnxruntime 1.22.1".
    pub runtime: String,
    /// What runs the graphs, e.g. "CPU (f32)".
    pub device: String,
    /// `"<version>/<graph>"`, the graph, and what the cache did (`Deferred` until a lazy graph is used).
    pub graphs: Vec<(String, Graph, GraphCacheOutcome)>,
}

/// Opens `backend`'s runtime and loads (or defers) each graph of model
/// version `model`, whose files are in `dir`.
pub(crate) fn load_version(
    model: &str,
    dir: &Path,
    manifest: &ModelManifest,
    backend: BackendKind,
    options: &RegistryOptions,
) -> anyhow::Result<VersionGraphs> {
    let (runtime, version, device) = match backend {
        BackendKind::Onnx => {
            let v = libs::init_onnxruntime(&options.libs.onnxruntime, options.onnx.intra_threads).map_err(|e| anyhow!(e))?;
            ("onnxruntime", v, "CPU (CPUExecutionProvider)".to_string())
        }
        BackendKind::Openvino => {
            let v = libs::init_openvino(&options.libs.openvino).map_err(|e| anyhow!(e))?;
            ("openvino", v, format!("CPU ({})", manifest.model.openvino_precision))
        }
    };
    let mut graphs = Vec::new();
    for (key, files) in &manifest.graphs {
        let load = GraphLoad {
            name: format!("{model}/{key}"),
            key: key.clone(),
            model: model.to_string(),
            dir: dir.to_path_buf(),
            files: files.clone(),
            backend,
            precision: manifest.model.openvino_precision.clone(),
            available: format!("{:?}", manifest.backends()),
            runtime_version: version.clone(),
            options: options.clone(),
        };
        let name = load.name.clone();
        if options.lazy_graphs {
            let graph = lazy::deferred(&name, move || load.run().map(|(graph, _)| graph));
            graphs.push((name, graph, GraphCacheOutcome::Deferred));
        } else {
            // One after another: each runtime already spreads one graph's
            // compilation over the cores (loading them side by side was no faster on 2).
            let (graph, outcome) = load.run()?;
            graphs.push((name, graph, outcome));
        }
    }
    Ok(VersionGraphs { runtime: format!("{runtime} {version}"), device, graphs })
}

/// Everything one graph's load needs, owned, so that it can wait for first use.
struct GraphLoad {
    /// `"<version>/<graph>"`.
    name: String,
    /// The graph's key in the manifest.
    key: String,
    model: String,
    dir: PathBuf,
    files: GraphFiles,
    backend: BackendKind,
    precision: String,
    /// The manifest's backends, for the error when this one has no files.
    available: String,
    runtime_version: String,
    options: RegistryOptions,
}

impl GraphLoad {
    fn run(&self) -> anyhow::Result<(Graph, GraphCacheOutcome)> {
        let started = Instant::now();
        let cache = self.options.graph_cache.as_ref().map(|cache| CacheUse { cache, runtime_version: &self.runtime_version });
        let (graph, outcome) = match (self.backend, &self.files) {
            (BackendKind::Onnx, GraphFiles { onnx: Some(onnx), .. }) => glint_nn::onnx::load(&self.name, &self.file(onnx)?, &self.options.onnx, cache)?,
            (BackendKind::Openvino, GraphFiles { openvino: Some([xml, bin]), .. }) => {
                glint_nn::openvino::load(&self.name, &self.file(xml)?, &self.file(bin)?, &self.precision, &self.options.openvino, cache)?
            }
            _ => anyhow::bail!("model {}: graph {} has no {} files (available backends: {})", self.model, self.key, self.backend, self.available),
        };
        let ms = started.elapsed().as_millis() as u64;
        tracing::info!(graph = self.name, backend = %self.backend, cache = ?outcome, ms, "graph loaded");
        Ok((graph, outcome))
    }

    /// A file of the version's folder; the runtimes read it themselves (on a graph cache hit not at all).
    fn file(&self, f: &str) -> anyhow::Result<PathBuf> {
        let p = self.dir.join(f);
        std::fs::File::open(&p)
            .with_context(|| format!("model {}: cannot read {} (run scripts/setup.sh to fetch the weights)", self.model, p.display()))?;
        Ok(p)
    }
}
