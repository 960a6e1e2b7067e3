//! `Glint`: the model registry, the plugin engine and registry, and the
//! detection service that ties them together.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use ab_glyph::FontArc;

use anyhow::Context;
use serde::Serialize;

use crate::audit::{Audit, AuditEnv, Content, Decision};
use crate::cache::{CacheKey, ResultCache};
use crate::config::Config;
use crate::engine::PluginEngine;
use crate::error::{ErrorKind, GlintError};
use crate::metrics::Metrics;
use crate::models::{ModelRegistry, RegistryOptions};
use crate::nn::BackendKind;
use crate::plugins::{DetectLimits, DetectRequest, DetectResponse, Image, PluginRegistry};

pub struct Glint {
    pub config: Config,
    pub models: Arc<ModelRegistry>,
    pub plugins: PluginRegistry,
    pub cache: ResultCache,
    pub metrics: Metrics,
    /// The audit policy in force (from `config.audit`).
    pub audit: Option<Audit>,
    /// The font annotated images are drawn with, loaded on first use.
    font: OnceLock<Option<FontArc>>,
}

/// A detection as the plugin answered it, what ran, and whether it came from the cache.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub response: DetectResponse,
    pub model: ModelRun,
    pub cached: bool,
    pub threshold: f32,
    /// Time spent in `run`, cache look-up included.
    pub elapsed_ms: f64,
    /// sha256 of the image, hex.
    pub image_sha256: String,
    /// The result cache key's digest (see [`CacheKey::digest`]).
    pub cache_key: String,
    /// Set once the platform records the result in a session's history.
    pub result_id: Option<String>,
}

/// One detection request as callers give it.
#[derive(Clone, Debug)]
pub struct DetectInput {
    pub image: Vec<u8>,
    pub prompt: String,
    pub threshold: f32,
    /// Model version; the configured default when `None`.
    pub model: Option<String>,
}

/// What ran, so every result can be traced to an exact model and runtime.
#[derive(Clone, Debug, Serialize)]
pub struct ModelRun {
    pub version: String,
    pub family: String,
    pub backend: BackendKind,
    pub runtime: String,
    pub device: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct BoxOut {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

#[derive(Clone, Debug, Serialize)]
pub struct DetectionOut {
    pub phrase: String,
    pub label: String,
    pub score: f32,
    #[serde(rename = "box")]
    pub bbox: BoxOut,
}

impl From<&crate::plugins::Detection> for DetectionOut {
    fn from(d: &crate::plugins::Detection) -> DetectionOut {
        DetectionOut {
            phrase: d.phrase.clone(),
            label: d.label.clone(),
            score: d.score,
            bbox: BoxOut { x0: d.box_.x0, y0: d.box_.y0, x1: d.box_.x1, y1: d.box_.y1 },
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PhraseOut {
    pub phrase: String,
    pub label: Option<String>,
    pub method: String,
    pub similarity: f32,
}

#[derive(Clone, Debug, Serialize)]
pub struct DetectOutput {
    pub detections: Vec<DetectionOut>,
    pub phrases: Vec<PhraseOut>,
    pub width: u32,
    pub height: u32,
    pub threshold: f32,
    pub model: ModelRun,
    pub plugin: String,
    /// Whether the result came from the result cache.
    pub cached: bool,
    pub elapsed_ms: f64,
}

impl Glint {
    /// Opens the models and loads the plugins of `config`.
    pub fn open(config: Config) -> anyhow::Result<Glint> {
        let options =
            RegistryOptions { backend: config.backend, libs: config.libs.clone(), onnx: config.onnx.clone() };
        let models = Arc::new(ModelRegistry::open(&config.models_dir, options)?);
        let engine = Arc::new(PluginEngine::new(config.engine.clone())?);
        let plugins = PluginRegistry::new(engine, models.clone())?;
        if config.plugins_dir.is_dir() {
            plugins.load_dir(&config.plugins_dir).context("loading plugins")?;
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

    /// Runs one detection (see [`Glint::run_audited`]), dropping the audit decisions.
    pub fn run(&self, input: &DetectInput) -> Result<RunResult, GlintError> {
        self.run_audited(input).0
    }

    /// Runs one detection: the input audit, then the detector plugin (or the
    /// result cache), then the output audit. Returns the result, or the error
    /// that stopped it (a block included), and every audit decision taken.
    pub fn run_audited(&self, input: &DetectInput) -> (Result<RunResult, GlintError>, Vec<Decision>) {
        let mut trail = Vec::new();
        let result = self.run_with(input, &mut trail);
        (result, trail)
    }

    fn run_with(&self, input: &DetectInput, trail: &mut Vec<Decision>) -> Result<RunResult, GlintError> {
        let started = Instant::now();
        let ms = move || started.elapsed().as_secs_f64() * 1e3;
        let limits = &self.config.limits;
        if input.image.len() > limits.max_image_bytes {
            return Err(GlintError::new(
                ErrorKind::TooLarge,
                format!("image is {} bytes, the limit is {} bytes", input.image.len(), limits.max_image_bytes),
            ));
        }
        let version = input.model.clone().unwrap_or_else(|| self.config.default_model.clone());
        let entry = self.models.entry(&version)?;
        let plugin = self.plugins.get(&self.config.detect_plugin)?;
        // The key hashes the image once; the input audit's memo reuses that digest.
        let key = CacheKey::new(&plugin.info.sha256, &version, &input.image, &input.prompt, input.threshold);
        let image_digest = key.image_digest();
        let env = AuditEnv { plugins: &self.plugins, models: &self.models, metrics: &self.metrics };
        if let Some(audit) = &self.audit {
            audit.check(&env, "input", Content::Prompt(&input.prompt), trail)?;
            audit.check(&env, "input", Content::Image(&input.image, Some(image_digest)), trail)?;
        }
        let (image_sha256, cache_key) = (key.image_sha256(), key.digest());
        let key = self.cache.enabled().then_some(key);
        if let Some((response, model)) = key.as_ref().and_then(|k| self.cache.get(k)) {
            self.metrics.cache.with_label_values(&["hit"]).inc();
            self.audit_output(&env, &input.image, image_digest, &response, trail)?;
            let elapsed_ms = ms();
            return Ok(RunResult {
                response, model, cached: true, threshold: input.threshold, elapsed_ms, image_sha256, cache_key, result_id: None,
            });
        }
        let loaded = self.models.ensure_loaded(&version)?;
        let req = DetectRequest {
            image: Image { bytes: input.image.clone(), mime: String::new() },
            prompt: input.prompt.clone(),
            threshold: input.threshold,
            model: version.clone(),
            limits: DetectLimits { max_pixels: limits.max_pixels, max_prompt_chars: limits.max_prompt_chars },
        };
        let inference = Instant::now();
        let response = self.plugins.detect(&self.config.detect_plugin, &req)?;
        self.metrics.inference_seconds.with_label_values(&[version.as_str()]).observe(inference.elapsed().as_secs_f64());
        let model = ModelRun {
            version,
            family: entry.manifest.model.family.clone(),
            backend: loaded.backend,
            runtime: loaded.runtime,
            device: loaded.device,
        };
        if let Some(k) = key {
            self.metrics.cache.with_label_values(&["miss"]).inc();
            self.cache.put(k, (response.clone(), model.clone()));
        }
        self.audit_output(&env, &input.image, image_digest, &response, trail)?;
        let elapsed_ms = ms();
        Ok(RunResult {
            response, model, cached: false, threshold: input.threshold, elapsed_ms, image_sha256, cache_key, result_id: None,
        })
    }

    /// The output audit: the detections' phrases and labels, then the
    /// annotated image (drawn only when the policy checks it and the audit
    /// memo does not know it yet).
    fn audit_output(
        &self,
        env: &AuditEnv<'_>,
        image: &[u8],
        image_digest: [u8; 32],
        response: &DetectResponse,
        trail: &mut Vec<Decision>,
    ) -> Result<(), GlintError> {
        let Some(audit) = &self.audit else { return Ok(()) };
        audit.check(env, "output", Content::Detections(&response.detections), trail)?;
        let draw = || self.annotated_png(image, response);
        audit.check(env, "output", Content::Drawn { image_digest, detections: &response.detections, draw: &draw }, trail)
    }

    /// The image with the detections drawn on it, as PNG.
    pub fn annotated_png(&self, image: &[u8], response: &DetectResponse) -> Result<Vec<u8>, GlintError> {
        let detections: Vec<DetectionOut> = response.detections.iter().map(DetectionOut::from).collect();
        let font = self.font.get_or_init(crate::draw::load_font).as_ref();
        let drawn = crate::draw::annotate(image, &detections, font)
            .map_err(|e| GlintError::new(ErrorKind::InvalidInput, format!("{e:#}")))?;
        crate::draw::encode_png(&drawn).map_err(|e| GlintError::new(ErrorKind::Plugin, format!("{e:#}")))
    }

    /// Runs one detection; the result as `glint detect` prints it.
    pub fn detect(&self, input: &DetectInput) -> Result<DetectOutput, GlintError> {
        let RunResult { response: r, model, cached, elapsed_ms, .. } = self.run(input)?;
        Ok(DetectOutput {
            detections: r.detections.iter().map(DetectionOut::from).collect(),
            phrases: r
                .phrases
                .into_iter()
                .map(|p| PhraseOut { phrase: p.phrase, label: p.label, method: p.method, similarity: p.similarity })
                .collect(),
            width: r.width,
            height: r.height,
            threshold: input.threshold,
            model,
            plugin: self.config.detect_plugin.clone(),
            cached,
            elapsed_ms,
        })
    }
}
