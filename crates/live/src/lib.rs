//! Changing what serves while glint serves: installing, replacing and
//! rolling back plugins; adding, reloading and removing model versions.
//!
//! Every change is checked before it takes traffic (the registries' own
//! checks, then a [`canary`] for the world), applied in one atomic swap
//! (calls in flight finish on what they started with), recorded (the
//! store's `live_events`, `/metrics`) and reversible (the last builds of
//! each plugin are kept, [`builds`]). A refused candidate changes nothing:
//! the old build keeps serving. Changes happen one at a time.

pub mod api;
pub mod builds;
pub mod canary;
pub mod watch;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use glint_app::Glint;
use glint_audit::AUDIT_FAMILY;
use glint_models::{ModelEntry, StageError};
use glint_plugins::{CandidateError, Plugin, PluginWorld};
use glint_store::{LiveEvent, Store};
use builds::Builds;

/// `[application.tool.glint.live]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveSettings {
    /// Install plugins dropped into `plugins/` and reload `models/` when they change.
    pub watch: bool,
    /// Builds kept per plugin for rollback (the serving one included).
    pub keep_builds: usize,
    /// Largest plugin a live install accepts.
    pub max_plugin_bytes: usize,
    /// The canary's photo; default `<home>/samples/chelsea.png` (a cat).
    pub canary_image: Option<PathBuf>,
}

impl Default for LiveSettings {
    fn default() -> Self {
        LiveSettings { watch: false, keep_builds: 3, max_plugin_bytes: 64 << 20, canary_image: None }
    }
}

/// A change that was not made, and why.
#[derive(Debug)]
pub enum Refused {
    /// A candidate failed a check: recorded, HTTP 422.
    Candidate(Box<LiveEvent>),
    /// The request itself is wrong (a bad name, nothing to roll back to, a
    /// version in use): HTTP status and message, not a candidate.
    Request(u16, String),
}

pub struct Live {
    glint: Arc<Glint>,
    store: Store,
    settings: LiveSettings,
    builds: Builds,
    photo: PathBuf,
    changes: tokio::sync::Mutex<()>,
}

/// A plugin or model version name: lower-case letters, digits, `.`, `_`
/// and `-`, starting with a letter or digit, at most 64 characters.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

impl Live {
    /// Also records the builds serving now as each plugin's newest kept
    /// build, and publishes them in `/metrics`.
    pub fn new(glint: Arc<Glint>, store: Store, settings: LiveSettings) -> Live {
        let builds = Builds::new(&glint.config.plugins_dir, settings.keep_builds);
        let photo = settings.canary_image.clone().unwrap_or_else(|| glint.config.home.join("samples/chelsea.png"));
        for p in glint.plugins.list() {
            glint.metrics.set_serving(&p.info.name, world_name(p.info.world), &p.info.sha256, None);
            if let Ok(wasm) = std::fs::read(&p.info.path)
                && let Err(e) = builds.push(&p.info.name, &p.info.sha256, &wasm)
            {
                tracing::warn!(plugin = p.info.name, "cannot keep its build for rollback: {e}");
            }
        }
        Live { glint, store, settings, builds, photo, changes: tokio::sync::Mutex::new(()) }
    }

    pub fn settings(&self) -> &LiveSettings {
        &self.settings
    }

    /// Installs `wasm` as plugin `name` (new, or replacing the build serving).
    pub async fn install(&self, name: &str, wasm: Vec<u8>, actor: &str) -> Result<LiveEvent, Refused> {
        if !valid_name(name) {
            return Err(Refused::Request(400, format!("{name:?} is not a plugin name: use a-z, 0-9, '.', '_' and '-' (at most 64)")));
        }
        if wasm.len() > self.settings.max_plugin_bytes {
            return Err(Refused::Request(413, format!("the plugin is {} bytes, over the limit of {}", wasm.len(), self.settings.max_plugin_bytes)));
        }
        let _one_at_a_time = self.changes.lock().await;
        self.swap_plugin("install", name, wasm, actor).await
    }

    /// Goes back to the build that served before the one serving `name` now.
    pub async fn rollback(&self, name: &str, actor: &str) -> Result<LiveEvent, Refused> {
        if !valid_name(name) {
            return Err(Refused::Request(400, format!("{name:?} is not a plugin name")));
        }
        let _one_at_a_time = self.changes.lock().await;
        let current = self.glint.plugins.get(name).map_err(|e| Refused::Request(404, e.message))?;
        let kept = self.builds.list(name);
        let previous = kept
            .iter()
            .rev()
            .find(|b| b.sha256 != current.info.sha256)
            .ok_or_else(|| Refused::Request(409, format!("no earlier build of {name} is kept to roll back to")))?;
        let wasm = std::fs::read(&previous.path)
            .map_err(|e| Refused::Request(500, format!("the kept build {} cannot be read: {e}", previous.path.display())))?;
        let event = self.swap_plugin("rollback", name, wasm.clone(), actor).await?;
        // The build rolled back from is forgotten; the one now serving is the newest kept.
        if self.builds.list(name).last().is_some_and(|b| b.sha256 == current.info.sha256) {
            let _ = self.builds.pop(name);
        }
        if self.builds.list(name).last().is_none_or(|b| b.sha256 != event.new_sha256) {
            let _ = self.builds.push(name, &event.new_sha256, &wasm);
        }
        Ok(event)
    }

    async fn swap_plugin(&self, action: &str, name: &str, wasm: Vec<u8>, actor: &str) -> Result<LiveEvent, Refused> {
        let started = Instant::now();
        let sha256 = hex::encode(Sha256::digest(&wasm));
        let current = self.glint.plugins.get(name).ok();
        let mut event = LiveEvent {
            actor: actor.into(),
            action: action.into(),
            target: name.into(),
            old_sha256: current.as_ref().map(|p| p.info.sha256.clone()).unwrap_or_default(),
            new_sha256: sha256.clone(),
            ..LiveEvent::default()
        };
        if current.as_ref().is_some_and(|p| p.info.sha256 == sha256) {
            event.outcome = "unchanged".into();
            return Ok(self.record(event, started, BTreeMap::new()).await);
        }
        let (glint, photo, path) = (self.glint.clone(), self.photo.clone(), self.glint.config.plugins_dir.join(format!("{name}.wasm")));
        let expected = self.expected_world(name, current.as_deref());
        let target = name.to_string();
        let checked = tokio::task::spawn_blocking(move || check_plugin(&glint, &target, &path, &wasm, expected, &photo).map(|(p, steps)| (p, steps, wasm)))
            .await
            .unwrap_or_else(|e| Err((CandidateError::new("canary", format!("the check crashed: {e}")), BTreeMap::new())));
        let (plugin, mut steps, wasm) = match checked {
            Ok(ok) => ok,
            Err((e, steps)) => {
                event.outcome = "refused".into();
                event.step = e.step.into();
                event.reason = e.reason;
                return Err(Refused::Candidate(Box::new(self.record(event, started, steps).await)));
            }
        };
        let swap = Instant::now();
        let world = world_name(plugin.info.world);
        let published = self.glint.plugins.publish(plugin);
        steps.insert("swap", swap.elapsed().as_millis() as u64);
        self.glint.metrics.set_serving(name, world, &published.info.sha256, current.as_ref().map(|c| (world_name(c.info.world), c.info.sha256.as_str())));
        // On disk last: a restart serves what serves now, and the build is kept for rollback.
        if let Err(e) = glint_common::atomic_file::write(&published.info.path, &wasm) {
            tracing::warn!(plugin = name, "cannot write {}: {e} (a restart would serve the old build)", published.info.path.display());
        }
        if action == "install"
            && let Err(e) = self.builds.push(name, &sha256, &wasm)
        {
            tracing::warn!(plugin = name, "cannot keep its build for rollback: {e}");
        }
        event.outcome = "swapped".into();
        Ok(self.record(event, started, steps).await)
    }

    /// The world a plugin of this name must have: the one it has now, or
    /// the one the configuration uses it as.
    fn expected_world(&self, name: &str, current: Option<&Plugin>) -> Option<PluginWorld> {
        expected_world(&self.glint, name, current)
    }

    /// Rescans `models/`: new versions are added, changed ones reloaded,
    /// removed ones taken out of service unless configuration uses them.
    /// One event per version that changed.
    pub async fn reload_models(&self, actor: &str) -> Result<Vec<LiveEvent>, Refused> {
        let _one_at_a_time = self.changes.lock().await;
        let scan = self.glint.models.scan().map_err(|e| Refused::Request(500, format!("{e:#}")))?;
        let view = self.glint.models.view();
        let mut events = Vec::new();
        let mut seen = Vec::new();
        for (name, found) in scan {
            seen.push(name.clone());
            let live = view.entry(&name).ok();
            let action = if live.is_some() { "model-reload" } else { "model-add" };
            match found {
                Ok(entry) if live.as_ref().is_some_and(|l| l.build == entry.build) => {}
                Ok(entry) => events.push(self.swap_model(action, entry, actor).await),
                Err(e) => events.push(self.refuse_model(action, &name, live.map(|l| l.build.clone()), e, Instant::now()).await),
            }
        }
        for gone in view.entries().filter(|e| !seen.contains(&e.name)).cloned().collect::<Vec<_>>() {
            let started = Instant::now();
            let mut event = LiveEvent { actor: actor.into(), action: "model-remove".into(), target: gone.name.clone(), old_sha256: gone.build.clone(), ..LiveEvent::default() };
            if let Some(why) = self.in_use(&gone) {
                event.outcome = "refused".into();
                event.step = "in-use".into();
                event.reason = format!("model {} cannot be removed while {why}; its folder is gone, so a restart would fail: put it back", gone.name);
            } else {
                self.glint.models.remove(&gone.name);
                event.outcome = "swapped".into();
            }
            events.push(self.record(event, started, BTreeMap::new()).await);
        }
        Ok(events)
    }

    /// Reloads one version from its folder, changed or not.
    pub async fn reload_model(&self, version: &str, actor: &str) -> Result<LiveEvent, Refused> {
        if !valid_name(version) {
            return Err(Refused::Request(400, format!("{version:?} is not a model version name")));
        }
        let _one_at_a_time = self.changes.lock().await;
        let dir = self.glint.models.dir().join(version);
        if !dir.join("model.toml").is_file() {
            return Err(Refused::Request(404, format!("there is no {}/model.toml", dir.display())));
        }
        let old = self.glint.models.entry(version).ok().map(|e| e.build.clone());
        let action = if old.is_some() { "model-reload" } else { "model-add" };
        match ModelEntry::read(&dir) {
            Ok(entry) => match self.swap_model(action, entry, actor).await {
                e if e.outcome == "refused" => Err(Refused::Candidate(Box::new(e))),
                e => Ok(e),
            },
            Err(e) => Err(Refused::Candidate(Box::new(self.refuse_model(action, version, old, e, Instant::now()).await))),
        }
    }

    async fn swap_model(&self, action: &str, entry: ModelEntry, actor: &str) -> LiveEvent {
        let started = Instant::now();
        let name = entry.name.clone();
        let old = self.glint.models.entry(&name).ok().map(|e| e.build.clone());
        let mut event = LiveEvent {
            actor: actor.into(),
            action: action.into(),
            target: name.clone(),
            old_sha256: old.clone().unwrap_or_default(),
            new_sha256: entry.build.clone(),
            ..LiveEvent::default()
        };
        let (glint, photo) = (self.glint.clone(), self.photo.clone());
        let checked = tokio::task::spawn_blocking(move || {
            let mut steps = BTreeMap::new();
            let t = Instant::now();
            let family = entry.manifest.model.family.clone();
            let staged = glint.models.stage(entry).map_err(|e| (e, steps.clone()))?;
            steps.insert("load", t.elapsed().as_millis() as u64);
            let t = Instant::now();
            let view = glint.models.candidate_view(&staged);
            canary::model(&glint, view, &name, &family, &photo).map_err(|reason| (StageError::new("canary", reason), steps.clone()))?;
            steps.insert("canary", t.elapsed().as_millis() as u64);
            let t = Instant::now();
            glint.models.publish(staged);
            steps.insert("swap", t.elapsed().as_millis() as u64);
            Ok(steps)
        })
        .await
        .unwrap_or_else(|e| Err((StageError::new("canary", format!("the check crashed: {e}")), BTreeMap::new())));
        match checked {
            Ok(steps) => {
                event.outcome = "swapped".into();
                self.record(event, started, steps).await
            }
            Err((e, steps)) => {
                event.outcome = "refused".into();
                event.step = e.step.into();
                event.reason = e.reason;
                self.record(event, started, steps).await
            }
        }
    }

    async fn refuse_model(&self, action: &str, name: &str, old: Option<String>, e: StageError, started: Instant) -> LiveEvent {
        let event = LiveEvent {
            actor: String::new(),
            action: action.into(),
            target: name.into(),
            old_sha256: old.unwrap_or_default(),
            outcome: "refused".into(),
            step: e.step.into(),
            reason: e.reason,
            ..LiveEvent::default()
        };
        self.record(event, started, BTreeMap::new()).await
    }

    /// Why `entry` is in use by configuration, if it is.
    fn in_use(&self, entry: &ModelEntry) -> Option<String> {
        if entry.name == self.glint.config.default_model {
            return Some("it is the default model version (default_model)".into());
        }
        if entry.manifest.model.family == AUDIT_FAMILY && self.glint.audit.is_some() {
            return Some("the audit policy's plugin uses it".into());
        }
        None
    }

    async fn record(&self, mut event: LiveEvent, started: Instant, steps: BTreeMap<&'static str, u64>) -> LiveEvent {
        event.duration_ms = started.elapsed().as_millis() as i64;
        event.steps = serde_json::to_value(steps).unwrap_or_default();
        if event.actor.is_empty() {
            event.actor = "admin".into();
        }
        self.glint.metrics.plugin_swaps.with_label_values(&[&event.target, &event.outcome]).inc();
        match event.outcome.as_str() {
            "refused" => tracing::warn!(target = event.target, action = event.action, step = event.step, "refused: {}", event.reason),
            outcome => tracing::info!(target = event.target, action = event.action, outcome, ms = event.duration_ms, "live change"),
        }
        match self.store.record_live_event(event.clone()).await {
            Ok(stored) => stored,
            Err(e) => {
                tracing::error!("recording a live change failed: {e}");
                event
            }
        }
    }

    /// What serves now: plugins with their kept builds and last events, and
    /// model versions with their builds.
    pub async fn status(&self) -> serde_json::Value {
        let events = self.store.live_events(None, 200).await.unwrap_or_default();
        let plugins: Vec<serde_json::Value> = self
            .glint
            .plugins
            .list()
            .iter()
            .map(|p| {
                let i = &p.info;
                let last: Vec<&LiveEvent> = events.iter().filter(|e| e.target == i.name).take(5).collect();
                serde_json::json!({
                    "name": i.name, "world": i.world, "sha256": i.sha256, "bytes": i.bytes,
                    "loaded_ms": i.loaded_ms, "imports": i.imports, "exports": i.exports,
                    "compile_ms": i.compile_ms, "compiled_cache": i.compiled_cache,
                    "builds": self.builds.list(&i.name).into_iter().rev().collect::<Vec<_>>(),
                    "last_events": last,
                })
            })
            .collect();
        let models: Vec<serde_json::Value> = self
            .glint
            .models
            .entries()
            .iter()
            .map(|e| {
                let loaded = self.glint.models.loaded(&e.name);
                serde_json::json!({
                    "version": e.name, "family": e.manifest.model.family, "build": e.build,
                    "installed": e.is_installed(), "loaded": loaded, "in_use": self.in_use(e),
                })
            })
            .collect();
        serde_json::json!({ "plugins": plugins, "models": models, "keep_builds": self.settings.keep_builds, "watch": self.settings.watch })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn glint(&self) -> &Arc<Glint> {
        &self.glint
    }
}

/// The candidate's checks, each timed: the registry's (world, imports,
/// compile, link), the world's expected by configuration, then the canary.
pub type Checked = Result<(Plugin, BTreeMap<&'static str, u64>), (CandidateError, BTreeMap<&'static str, u64>)>;

/// The checks and canary a live install of `wasm` as `name` would run,
/// without installing it (`glint plugins check`).
pub fn check(glint: &Glint, name: &str, wasm: &[u8]) -> Checked {
    let photo = glint.config.home.join("samples/chelsea.png");
    let expected = expected_world(glint, name, glint.plugins.get(name).ok().as_deref());
    check_plugin(glint, name, &glint.config.plugins_dir.join(format!("{name}.wasm")), wasm, expected, &photo)
}

fn expected_world(glint: &Glint, name: &str, current: Option<&Plugin>) -> Option<PluginWorld> {
    if let Some(c) = current {
        return Some(c.info.world);
    }
    if name == glint.config.detect_plugin {
        return Some(PluginWorld::DetectPlugin);
    }
    glint.audit.as_ref().filter(|a| a.policy.plugin == name).map(|_| PluginWorld::AuditPlugin)
}

fn check_plugin(glint: &Glint, name: &str, path: &std::path::Path, wasm: &[u8], expected: Option<PluginWorld>, photo: &std::path::Path) -> Checked {
    let mut steps = BTreeMap::new();
    let t = Instant::now();
    let plugin = glint.plugins.prepare(name, path, wasm).map_err(|e| (e, steps.clone()))?;
    steps.insert("compile", plugin.info.compile_ms);
    steps.insert("compile_cached", u64::from(plugin.info.compiled_cache == glint_engine::CacheOutcome::Hit));
    steps.insert("checks", (t.elapsed().as_millis() as u64).saturating_sub(plugin.info.compile_ms));
    if let Some(want) = expected.filter(|w| *w != plugin.info.world) {
        let reason = format!("{name} serves as a {}; the candidate is a {}", world_name(want), world_name(plugin.info.world));
        return Err((CandidateError::new("world", reason), steps));
    }
    let t = Instant::now();
    canary::plugin(glint, &plugin, photo).map_err(|reason| (CandidateError::new("canary", reason), steps.clone()))?;
    steps.insert("canary", t.elapsed().as_millis() as u64);
    Ok((plugin, steps))
}

/// A world's name in events and metrics.
pub fn world_name(w: PluginWorld) -> &'static str {
    match w {
        PluginWorld::DetectPlugin => "detect-plugin",
        PluginWorld::AuditPlugin => "audit-plugin",
        PluginWorld::ExportPlugin => "export-plugin",
        PluginWorld::AbPlugin => "ab-plugin",
    }
}
