//! `Glint`: the model registry, the plugin engine and registry, the result
//! cache, the metrics and the audit policy, wired together. What a detection
//! does with them is [`crate::pipeline`].

use std::sync::{Arc, OnceLock};

use ab_glyph::FontArc;
use anyhow::Context;

use glint_audit::Audit;
use crate::cache::ResultCache;
use crate::config::Config;
use glint_engine::PluginEngine;
use glint_metrics::Metrics;
use glint_models::ModelRegistry;
use glint_plugins::PluginRegistry;

pub use crate::detection::{BoxOut, DetectInput, DetectOutput, DetectionOut, ModelRun, PhraseOut, PluginRun, RunResult};

pub struct Glint {
    pub config: Config,
    pub models: Arc<ModelRegistry>,
    pub plugins: PluginRegistry,
    pub cache: ResultCache,
    pub metrics: Metrics,
    /// The audit policy in force (from `config.audit`).
    pub audit: Option<Audit>,
    /// The font annotated images are drawn with, loaded on first use.
    pub(crate) font: OnceLock<Option<FontArc>>,
}

impl Glint {
    /// Opens the models and loads the plugins of `config`.
    pub fn open(config: Config) -> anyhow::Result<Glint> {
        let models = Arc::new(ModelRegistry::open(&config.models_dir, config.models.clone())?);
        let engine = Arc::new(PluginEngine::new(config.engine.clone())?);
        let plugins = PluginRegistry::new(engine, models.clone())?;
        match &config.plugins_only {
            None if config.plugins_dir.is_dir() => {
                plugins.load_dir(&config.plugins_dir).context("loading plugins")?;
            }
            None => {}
            Some(names) => {
                let audit = config.audit.as_ref().map(|p| p.plugin.clone());
                for name in names.iter().chain(&audit) {
                    plugins.load_file(&config.plugins_dir.join(format!("{name}.wasm"))).context("loading plugins")?;
                }
            }
        }
        let cache = ResultCache::new(config.cache_entries);
        let audit = match &config.audit {
            Some(policy) => {
                policy.validate().map_err(|e| anyhow::anyhow!("[application.tool.glint.audit]: {e}"))?;
                plugins.get(&policy.plugin).map_err(|e| anyhow::anyhow!("[application.tool.glint.audit] plugin: {e}"))?;
                Some(Audit::new(policy.clone()))
            }
            None => None,
        };
        Ok(Glint { config, models, plugins, cache, metrics: Metrics::new(), audit, font: OnceLock::new() })
    }
}
