//! Where glint finds its models, plugins and runtimes, and the limits it
//! enforces. Defaults suit a laptop; every limit can be changed.

use std::path::{Path, PathBuf};

use glint_audit::AuditPolicy;
use glint_engine::EngineOptions;
use glint_models::RegistryOptions;
use glint_nn::graph_cache::GraphCache;
use glint_nn::libs::RuntimeLibs;
use glint_nn::onnx::OnnxOptions;

/// Limits on one detection request.
#[derive(Clone, Copy, Debug)]
pub struct RequestLimits {
    /// Largest decoded image, width x height.
    pub max_pixels: u64,
    pub max_prompt_chars: u32,
    /// Largest encoded image.
    pub max_image_bytes: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits { max_pixels: 40_000_000, max_prompt_chars: 1000, max_image_bytes: 20 << 20 }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub home: PathBuf,
    pub models_dir: PathBuf,
    pub plugins_dir: PathBuf,
    /// Load only these plugins of `plugins_dir` (by name; the audit policy's
    /// plugin is added), not all of them: a one-shot `glint detect` loads the
    /// detector alone. `None` loads every `*.wasm`.
    pub plugins_only: Option<Vec<String>>,
    /// How model versions are loaded: backend, runtime libraries and their
    /// options, the compiled-graph cache, graphs now or on first use.
    pub models: RegistryOptions,
    pub engine: EngineOptions,
    pub limits: RequestLimits,
    /// The plugin that answers detection requests.
    pub detect_plugin: String,
    /// The model version used when a request names none.
    pub default_model: String,
    /// Result cache size in entries (0 disables it).
    pub cache_entries: usize,
    /// The audit policy; `None` runs no checks.
    pub audit: Option<AuditPolicy>,
}

impl Config {
    /// Defaults for the glint installation in `home`.
    pub fn new(home: &Path) -> Config {
        Config {
            home: home.to_path_buf(),
            models_dir: home.join("models"),
            plugins_dir: home.join("plugins"),
            plugins_only: None,
            models: RegistryOptions {
                backend: None,
                libs: RuntimeLibs::locate(home),
                onnx: OnnxOptions::default(),
                openvino: Default::default(),
                graph_cache: glint_common::cache_home::cache_home().map(|c| GraphCache::new(c.join("graphs"))),
                lazy_graphs: false,
                derived_values: glint_common::cache_home::cache_home().map(|c| c.join("derived")),
            },
            engine: EngineOptions::default(),
            limits: RequestLimits::default(),
            detect_plugin: "detect".into(),
            default_model: "coco-grounded-v1".into(),
            cache_entries: 256,
            audit: None,
        }
    }

    /// `$GLINT_HOME`, else the current folder if it has `models/`, else the
    /// nearest folder above the executable that has `models/` and `plugins/`.
    pub fn discover_home() -> PathBuf {
        if let Some(h) = std::env::var_os("GLINT_HOME").filter(|h| !h.is_empty()) {
            return PathBuf::from(h);
        }
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        if cwd.join("models").is_dir() {
            return cwd;
        }
        std::env::current_exe()
            .ok()
            .and_then(|exe| exe.ancestors().find(|a| a.join("models").is_dir() && a.join("plugins").is_dir()).map(Path::to_path_buf))
            .unwrap_or(cwd)
    }
}
