//! The named model registry: discovers manifests, loads a version's graphs
//! into its backend on first use, and hands wasi-nn an immutable
//! [`ModelView`] of the versions and their `<version>/<graph>` → graph map.
//! A name only ever resolves through here.
//!
//! Versions can change while glint serves: a candidate is [`staged`]
//! (manifest, files and pins, graphs loaded on its backend) beside the live
//! view, checked by the caller (a canary inference on
//! [`ModelRegistry::candidate_view`]), then [`published`] in one atomic
//! swap; calls already running keep the view they started with.
//!
//! [`staged`]: ModelRegistry::stage
//! [`published`]: ModelRegistry::publish

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Instant, UNIX_EPOCH};

use anyhow::{Context, anyhow};
use arc_swap::ArcSwap;
use sha2::{Digest, Sha256};
use wasmtime_wasi_nn::{Graph, GraphRegistry};

use super::derived::{DerivedKey, DerivedValues};
use super::graph_load::{RegistryOptions, VersionGraphs, load_version};
use super::manifest::ModelManifest;
use glint_common::error::{ErrorKind, GlintError};
use glint_nn::graph_cache::GraphCacheOutcome;
use glint_nn::BackendKind;

/// Largest asset a plugin may read through `glint:plugins/models`.
const MAX_ASSET_BYTES: u64 = 64 << 20;

/// An installed model version (its manifest was found and parsed).
#[derive(Debug)]
pub struct ModelEntry {
    pub name: String,
    pub dir: PathBuf,
    pub manifest: ModelManifest,
    /// The manifest text, as plugins receive it.
    pub text: String,
    /// `<name>@<16 hex>`: changes whenever the manifest or a file's size or
    /// modification time does, so caches keyed by it never serve a
    /// predecessor's answer.
    pub build: String,
}

impl ModelEntry {
    /// Reads `<dir>/model.toml`; `name` is the folder's name.
    pub fn read(dir: &Path) -> Result<ModelEntry, StageError> {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !valid_version_name(&name) {
            return Err(StageError::new("model.toml", format!("{}: a model version folder name uses a-z, 0-9, '.', '_' and '-' only", dir.display())));
        }
        let path = dir.join("model.toml");
        let text = std::fs::read_to_string(&path).map_err(|e| StageError::new("model.toml", format!("cannot read {}: {e}", path.display())))?;
        let manifest = ModelManifest::parse(&text).map_err(|e| StageError::new("model.toml", format!("{}: {e}", path.display())))?;
        let build = fingerprint(&name, dir, &text, &manifest);
        Ok(ModelEntry { name, dir: dir.to_path_buf(), manifest, text, build })
    }

    /// Whether every file the manifest names is present.
    pub fn is_installed(&self) -> bool {
        self.manifest.files().all(|f| self.dir.join(f).is_file())
    }
}

/// `<name>@` + 16 hex of the manifest and each file's name, size and mtime.
fn fingerprint(name: &str, dir: &Path, text: &str, manifest: &ModelManifest) -> String {
    let mut h = Sha256::new();
    h.update(text.as_bytes());
    for f in manifest.files() {
        h.update(f.as_bytes());
        if let Ok(m) = std::fs::metadata(dir.join(f)) {
            h.update(m.len().to_le_bytes());
            let mtime = m.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
            h.update(mtime.to_le_bytes());
        }
    }
    format!("{name}@{}", &hex::encode(h.finalize())[..16])
}

/// Why a candidate version was refused: the step it failed and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageError {
    /// `model.toml`, `files`, `graphs` (or the caller's `canary`).
    pub step: &'static str,
    pub reason: String,
}

impl StageError {
    pub fn new(step: &'static str, reason: impl Into<String>) -> StageError {
        StageError { step, reason: reason.into() }
    }
}

impl std::fmt::Display for StageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.step, self.reason)
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
    /// The [`ModelEntry::build`] these graphs were loaded from.
    pub build: String,
    /// Whether the compiled graphs came from the cache (`hit` only if all did).
    pub graph_cache: GraphCacheOutcome,
}

/// One consistent view: the installed versions and the graphs loaded so far.
#[derive(Clone, Default)]
pub struct ModelView {
    entries: BTreeMap<String, Arc<ModelEntry>>,
    graphs: Arc<HashMap<String, Graph>>,
    /// Bumped whenever a version that plugins may have cached (its
    /// tokenizer, its label embeddings) changes or goes away.
    pub generation: u64,
    /// Each loaded version's runtime and device (what its derived values are keyed by).
    runtimes: BTreeMap<String, String>,
    /// Plugins' derived values, shared by every view of one registry.
    derived: Arc<DerivedValues>,
}

impl ModelView {
    /// The entry of `name`, or an error listing the installed versions.
    pub fn entry(&self, name: &str) -> Result<Arc<ModelEntry>, GlintError> {
        self.entries.get(name).cloned().ok_or_else(|| {
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

    pub fn entries(&self) -> impl Iterator<Item = &Arc<ModelEntry>> {
        self.entries.values()
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

    /// The value plugin `plugin` (its sha256) derived from loaded version
    /// `version` and kept under `key`, if any (see [`DerivedValues`]).
    pub fn derived(&self, plugin: &str, version: &str, key: &str) -> Option<Arc<Vec<u8>>> {
        let entry = self.entries.get(version)?;
        let runtime = self.runtimes.get(version)?;
        self.derived.get(&DerivedKey { plugin, build: &entry.build, runtime, key })
    }

    /// Keeps `value` as [`ModelView::derived`]'s answer for the same arguments.
    pub fn keep_derived(&self, plugin: &str, version: &str, key: &str, value: Vec<u8>) -> Result<(), GlintError> {
        let entry = self.entry(version)?;
        let runtime = self.runtimes.get(version).ok_or_else(|| {
            GlintError::new(ErrorKind::UnknownModel, format!("model {version} is not loaded: it has no derived values"))
        })?;
        self.derived.keep(&DerivedKey { plugin, build: &entry.build, runtime, key }, value).map_err(|e| GlintError::new(ErrorKind::InvalidInput, e))
    }

    /// This view with `name` loaded on `loaded` (or, with `None`, gone).
    fn with_runtime(&self, name: &str, loaded: Option<&LoadedModel>) -> BTreeMap<String, String> {
        let mut runtimes = self.runtimes.clone();
        match loaded {
            Some(l) => runtimes.insert(name.to_string(), format!("{} {}", l.runtime, l.device)),
            None => runtimes.remove(name),
        };
        runtimes
    }

    /// What wasi-nn resolves names against.
    pub fn snapshot(&self) -> GraphSnapshot {
        GraphSnapshot(self.graphs.clone())
    }

    /// This view with `name`'s graphs replaced by `graphs` (or removed).
    fn with_graphs(&self, name: &str, graphs: Vec<(String, Graph)>) -> Arc<HashMap<String, Graph>> {
        let prefix = format!("{name}/");
        let mut all: HashMap<String, Graph> =
            self.graphs.iter().filter(|(k, _)| !k.starts_with(&prefix)).map(|(k, g)| (k.clone(), g.clone())).collect();
        all.extend(graphs);
        Arc::new(all)
    }
}

/// A candidate version, loaded beside the live ones and not yet serving.
pub struct Staged {
    pub entry: Arc<ModelEntry>,
    pub loaded: LoadedModel,
    graphs: Vec<(String, Graph)>,
}

pub struct ModelRegistry {
    dir: PathBuf,
    current: ArcSwap<ModelView>,
    loaded: Mutex<HashMap<String, LoadedModel>>,
    /// Loads and swaps happen one at a time.
    changes: Mutex<()>,
    options: RegistryOptions,
}

impl ModelRegistry {
    /// Reads every `<dir>/<version>/model.toml`. A broken manifest is an error
    /// that names the file, the key and the line.
    pub fn open(dir: &Path, options: RegistryOptions) -> anyhow::Result<ModelRegistry> {
        let mut entries = BTreeMap::new();
        for (_, found) in scan(dir)? {
            let entry = found.map_err(|e| anyhow!("{}", e.reason))?;
            entries.insert(entry.name.clone(), Arc::new(entry));
        }
        let derived = Arc::new(DerivedValues::new(options.derived_values.clone()));
        let view = ModelView { entries, graphs: Arc::new(HashMap::new()), generation: 0, runtimes: BTreeMap::new(), derived };
        Ok(ModelRegistry {
            dir: dir.to_path_buf(),
            current: ArcSwap::from_pointee(view),
            loaded: Mutex::new(HashMap::new()),
            changes: Mutex::new(()),
            options,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The versions and graphs serving now.
    pub fn view(&self) -> Arc<ModelView> {
        self.current.load_full()
    }

    pub fn entries(&self) -> Vec<Arc<ModelEntry>> {
        self.view().entries().cloned().collect()
    }

    pub fn entry(&self, name: &str) -> Result<Arc<ModelEntry>, GlintError> {
        self.view().entry(name)
    }

    pub fn asset(&self, version: &str, key: &str) -> Result<Vec<u8>, GlintError> {
        self.view().asset(version, key)
    }

    pub fn snapshot(&self) -> GraphSnapshot {
        self.view().snapshot()
    }

    /// What runs `name` now, if its graphs are loaded.
    pub fn loaded(&self, name: &str) -> Option<LoadedModel> {
        self.loaded.lock().unwrap_or_else(|p| p.into_inner()).get(name).cloned()
    }

    /// The backend `entry` is (or would be) loaded with: the forced one
    /// (`--backend`) where the version has files for it, else its own.
    pub fn backend_for(&self, entry: &ModelEntry) -> BackendKind {
        match self.options.backend {
            Some(forced) if entry.manifest.backends().contains(&forced) => forced,
            _ => entry.manifest.model.backend,
        }
    }

    /// Loads the graphs of `name` if they are not loaded from its current
    /// build yet; returns what runs them.
    pub fn ensure_loaded(&self, name: &str) -> Result<LoadedModel, GlintError> {
        let entry = self.entry(name)?;
        if let Some(l) = self.loaded(name).filter(|l| l.build == entry.build) {
            return Ok(l);
        }
        let _one_at_a_time = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        let entry = self.entry(name)?;
        if let Some(l) = self.loaded(name).filter(|l| l.build == entry.build) {
            return Ok(l);
        }
        let staged = self.load(entry).map_err(|e| GlintError::new(ErrorKind::Backend, e.reason))?;
        let loaded = staged.loaded.clone();
        self.swap_in(staged);
        Ok(loaded)
    }

    /// The versions in the models folder as they are on disk now, by
    /// folder name: each entry, or why the folder cannot be one.
    pub fn scan(&self) -> anyhow::Result<Vec<(String, Result<ModelEntry, StageError>)>> {
        scan(&self.dir)
    }

    /// Checks a candidate version (its files and pinned hashes) and loads
    /// its graphs on its backend, beside the live versions.
    pub fn stage(&self, entry: ModelEntry) -> Result<Staged, StageError> {
        for f in entry.manifest.files() {
            if !entry.dir.join(f).is_file() {
                return Err(StageError::new("files", format!("model {}: {f} is missing from {}", entry.name, entry.dir.display())));
            }
        }
        for (f, want) in &entry.manifest.sha256 {
            let bytes = std::fs::read(entry.dir.join(f))
                .map_err(|e| StageError::new("files", format!("model {}: cannot read {f}: {e}", entry.name)))?;
            let got = hex::encode(Sha256::digest(&bytes));
            if !got.eq_ignore_ascii_case(want) {
                return Err(StageError::new("files", format!("model {}: {f} has sha256 {got}, the manifest pins {want}", entry.name)));
            }
        }
        self.load(Arc::new(entry))
    }

    /// The live view with `staged` in it, for a canary before it serves.
    pub fn candidate_view(&self, staged: &Staged) -> ModelView {
        let live = self.view();
        let mut entries = live.entries.clone();
        entries.insert(staged.entry.name.clone(), staged.entry.clone());
        ModelView {
            entries,
            graphs: live.with_graphs(&staged.entry.name, staged.graphs.clone()),
            generation: live.generation + 1,
            runtimes: live.with_runtime(&staged.entry.name, Some(&staged.loaded)),
            derived: live.derived.clone(),
        }
    }

    /// Puts a staged version into service in one swap. Calls already running
    /// finish on the graphs they started with.
    pub fn publish(&self, staged: Staged) {
        let _one_at_a_time = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        self.swap_in(staged);
    }

    /// Takes `name` out of service (its folder is gone).
    pub fn remove(&self, name: &str) {
        let _one_at_a_time = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        let live = self.view();
        let mut entries = live.entries.clone();
        entries.remove(name);
        let view = ModelView {
            entries,
            graphs: live.with_graphs(name, Vec::new()),
            generation: live.generation + 1,
            runtimes: live.with_runtime(name, None),
            derived: live.derived.clone(),
        };
        self.current.store(Arc::new(view));
        self.loaded.lock().unwrap_or_else(|p| p.into_inner()).remove(name);
        tracing::info!(model = name, "model version removed");
    }

    fn swap_in(&self, staged: Staged) {
        let live = self.view();
        let name = staged.entry.name.clone();
        let mut entries = live.entries.clone();
        let replaced = entries.insert(name.clone(), staged.entry.clone());
        // Plugins cache per version name: a version that changed invalidates their warm instances.
        let changed = replaced.is_some_and(|old| old.build != staged.entry.build) || self.loaded(&name).is_some();
        let generation = live.generation + u64::from(changed);
        let view = ModelView {
            entries,
            graphs: live.with_graphs(&name, staged.graphs),
            generation,
            runtimes: live.with_runtime(&name, Some(&staged.loaded)),
            derived: live.derived.clone(),
        };
        self.current.store(Arc::new(view));
        let l = &staged.loaded;
        tracing::info!(model = name, build = staged.entry.build, backend = %l.backend, ms = l.load_ms, graph_cache = ?l.graph_cache, "model version loaded");
        self.loaded.lock().unwrap_or_else(|p| p.into_inner()).insert(name, staged.loaded);
    }

    fn load(&self, entry: Arc<ModelEntry>) -> Result<Staged, StageError> {
        let started = Instant::now();
        let backend = self.backend_for(&entry);
        let VersionGraphs { runtime, device, graphs } =
            load_version(&entry.name, &entry.dir, &entry.manifest, backend, &self.options).map_err(|e| StageError::new("graphs", format!("{e:#}")))?;
        let graph_cache = overall(graphs.iter().map(|(_, _, outcome)| *outcome));
        let graphs = graphs.into_iter().map(|(name, graph, _)| (name, graph)).collect();
        let load_ms = started.elapsed().as_millis() as u64;
        let loaded = LoadedModel { backend, runtime, device, load_ms, build: entry.build.clone(), graph_cache };
        Ok(Staged { entry, loaded, graphs })
    }
}

/// One outcome for a version's graphs: a hit only if every graph hit.
fn overall(outcomes: impl Iterator<Item = GraphCacheOutcome>) -> GraphCacheOutcome {
    use GraphCacheOutcome::*;
    // A graph left for its first use says nothing about the cache yet.
    let mut deferred = false;
    let loaded = outcomes.filter(|o| !(*o == Deferred && { deferred = true; true })).fold(None, |all, o| match (all, o) {
        (None, o) => Some(o),
        (Some(Rebuilt), _) | (_, Rebuilt) => Some(Rebuilt),
        (Some(a), b) if a == b => Some(a),
        (Some(Disabled), _) | (_, Disabled) => Some(Disabled),
        _ => Some(Miss),
    });
    loaded.unwrap_or(if deferred { Deferred } else { Disabled })
}

/// Each folder of `dir` that holds a `model.toml`, by name, sorted: its entry or why not.
fn scan(dir: &Path) -> anyhow::Result<Vec<(String, Result<ModelEntry, StageError>)>> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the models folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("model.toml").is_file())
        .collect();
    folders.sort();
    Ok(folders
        .iter()
        .map(|d| (d.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), ModelEntry::read(d)))
        .collect())
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

#[cfg(test)]
mod tests {
    use super::overall;
    use glint_nn::graph_cache::GraphCacheOutcome::{self, *};

    fn of(outcomes: &[GraphCacheOutcome]) -> GraphCacheOutcome {
        overall(outcomes.iter().copied())
    }

    #[test]
    fn a_version_hits_only_if_every_loaded_graph_hit_and_deferred_graphs_do_not_count() {
        assert_eq!(of(&[Hit, Hit]), Hit);
        assert_eq!(of(&[Hit, Miss]), Miss);
        assert_eq!(of(&[Hit, Rebuilt]), Rebuilt);
        assert_eq!(of(&[Hit, Deferred]), Hit);
        assert_eq!(of(&[Deferred, Miss]), Miss);
        assert_eq!(of(&[Deferred, Deferred]), Deferred);
        assert_eq!(of(&[]), Disabled);
    }
}
