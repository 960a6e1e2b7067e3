//! `watch = true`: plugins dropped into `plugins/` are installed, and
//! `models/` is rescanned when anything in it changes, through the same
//! checks as the admin API. Events are debounced: a change is acted on once
//! the folder has been quiet for [`QUIET`]. A file whose build already
//! serves (glint's own write after a swap, a touch) changes nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use notify::{RecursiveMode, Watcher};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::{Live, Refused};

/// How long a folder must be quiet before its changes are acted on.
pub const QUIET: Duration = Duration::from_millis(500);

/// Watches the plugins and models folders until the returned watcher is dropped.
pub fn start(live: Arc<Live>) -> anyhow::Result<notify::RecommendedWatcher> {
    let plugins = live.glint().config.plugins_dir.clone();
    let models = live.glint().config.models_dir.clone();
    let (tx, rx) = mpsc::unbounded_channel::<PathBuf>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
        Ok(e) if !e.kind.is_access() => e.paths.into_iter().for_each(|p| drop(tx.send(p))),
        Ok(_) => {}
        Err(e) => tracing::warn!("watching for plugin and model changes: {e}"),
    })
    .context("cannot start the file watcher")?;
    watcher.watch(&plugins, RecursiveMode::NonRecursive).with_context(|| format!("cannot watch {}", plugins.display()))?;
    watcher.watch(&models, RecursiveMode::Recursive).with_context(|| format!("cannot watch {}", models.display()))?;
    tokio::spawn(act(live, rx, plugins, models));
    tracing::info!("watching plugins/ and models/ for live changes");
    Ok(watcher)
}

async fn act(live: Arc<Live>, mut rx: mpsc::UnboundedReceiver<PathBuf>, plugins: PathBuf, models: PathBuf) {
    while let Some(first) = rx.recv().await {
        let mut changed = BTreeSet::from([first]);
        while let Ok(Some(p)) = tokio::time::timeout(QUIET, rx.recv()).await {
            changed.insert(p);
        }
        for path in changed.iter().filter(|p| is_plugin_file(p, &plugins)) {
            install(&live, path).await;
        }
        if changed.iter().any(|p| p.starts_with(&models) && !is_hidden(p)) {
            match live.reload_models("watcher").await {
                Ok(events) => tracing::info!("models/ changed: {} version(s) acted on", events.len()),
                Err(Refused::Request(_, m)) => tracing::warn!("models/ changed, reload failed: {m}"),
                Err(Refused::Candidate(event)) => tracing::warn!("models/ changed, reload failed: {}", event.reason),
            }
        }
    }
}

/// A `plugins/<name>.wasm` file (not glint's hidden temporary files or kept builds).
fn is_plugin_file(path: &Path, plugins: &Path) -> bool {
    path.parent() == Some(plugins) && path.extension().is_some_and(|x| x == "wasm") && !is_hidden(path)
}

fn is_hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}

async fn install(live: &Live, path: &Path) {
    let Some(name) = path.file_stem().and_then(|s| s.to_str()) else { return };
    let Ok(wasm) = std::fs::read(path) else { return }; // removed again: nothing to install
    let serving = live.glint().plugins.get(name).ok().map(|p| p.info.sha256.clone());
    if serving.as_deref() == Some(hex::encode(Sha256::digest(&wasm)).as_str()) {
        return;
    }
    match live.install(name, wasm, "watcher").await {
        Ok(e) => tracing::info!(plugin = name, outcome = e.outcome, "installed from {}", path.display()),
        Err(Refused::Candidate(e)) => tracing::warn!(plugin = name, step = e.step, "{} refused: {}", path.display(), e.reason),
        Err(Refused::Request(_, m)) => tracing::warn!(plugin = name, "{} refused: {m}", path.display()),
    }
}
