//! The detection pipeline, its stages in the order they run:
//! limits → audit in → allocate → cache → detect → cache fill → audit out.
//! Recording the result (history, audit log, experiment events) is the
//! caller's: the app server's `spin/jobs.rs`.

use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::app::Glint;
use glint_audit::{AuditEnv, Content, Decision};
use crate::cache::CacheKey;
use crate::detection::{Allocate, ArmRun, DetectInput, DetectOutput, DetectionOut, ModelRun, PhraseOut, PluginRun, RunResult};
use glint_common::error::{ErrorKind, GlintError};
use glint_plugins::{DetectLimits, DetectRequest, DetectResponse, Image};

/// Everything one run produced: the result or the error that stopped it, every
/// audit decision taken, and the experiment arm it was assigned (if it got that far).
pub struct Ran {
    pub result: Result<RunResult, GlintError>,
    pub decisions: Vec<Decision>,
    pub arm: Option<ArmRun>,
}

impl Glint {
    /// Runs one detection (see [`Glint::run_audited`]), dropping the audit decisions.
    pub fn run(&self, input: &DetectInput) -> Result<RunResult, GlintError> {
        self.run_audited(input).0
    }

    /// Runs one detection with no experiment: the input audit, then the
    /// detector plugin (or the result cache), then the output audit. Returns
    /// the result, or the error that stopped it (a block included), and every
    /// audit decision taken.
    pub fn run_audited(&self, input: &DetectInput) -> (Result<RunResult, GlintError>, Vec<Decision>) {
        let ran = self.run_allocated(input, None);
        (ran.result, ran.decisions)
    }

    /// Runs one detection; a request that names no model version is first
    /// given its experiment arm by `allocate`.
    pub fn run_allocated(&self, input: &DetectInput, allocate: Option<&dyn Allocate>) -> Ran {
        let (mut decisions, mut arm) = (Vec::new(), None);
        let mut result = self.run_with(input, allocate, &mut decisions, &mut arm);
        if let (Ok(r), Some(a)) = (&mut result, &arm) {
            r.arm = Some(a.clone());
        }
        Ran { result, decisions, arm }
    }

    fn run_with(
        &self,
        input: &DetectInput,
        allocate: Option<&dyn Allocate>,
        trail: &mut Vec<Decision>,
        arm: &mut Option<ArmRun>,
    ) -> Result<RunResult, GlintError> {
        let started = Instant::now();
        let ms = move || started.elapsed().as_secs_f64() * 1e3;
        self.check_limits(input)?;
        // The image is hashed once: the input audit's memo and the cache key share the digest.
        let image_digest: [u8; 32] = Sha256::digest(&input.image).into();
        let env = AuditEnv { plugins: &self.plugins, models: &self.models, metrics: &self.metrics };

        // Audit in.
        if let Some(audit) = &self.audit {
            audit.check(&env, "input", Content::Prompt(&input.prompt), trail)?;
            audit.check(&env, "input", Content::Image(&input.image, Some(image_digest)), trail)?;
        }

        // Allocate: the experiment arm of a request that names no version.
        let allocation = match (&input.model, allocate) {
            (None, Some(a)) => a.allocate()?,
            _ => None,
        };
        *arm = allocation.as_ref().and_then(|a| a.arm.clone());
        // What will run, resolved once: every later stage uses this model
        // build and this plugin build, whatever is swapped meanwhile.
        let (version, plugin_name) = match &allocation {
            Some(a) => (a.model.clone(), a.plugin.clone().unwrap_or_else(|| self.config.detect_plugin.clone())),
            None => (
                input.model.clone().unwrap_or_else(|| self.config.default_model.clone()),
                self.config.detect_plugin.clone(),
            ),
        };
        let entry = self.models.entry(&version)?;
        let plugin = self.plugins.get(&plugin_name)?;
        let plugin_run = PluginRun { name: plugin.info.name.clone(), sha256: plugin.info.sha256.clone() };
        let key = CacheKey::with_image_digest(&plugin.info.sha256, &entry.build, image_digest, &input.prompt, input.threshold);
        let (image_sha256, cache_key) = (key.image_sha256(), key.digest());
        let done = |response, model, cached, plugin: PluginRun, elapsed_ms| RunResult {
            response, model, cached, threshold: input.threshold, elapsed_ms, image_sha256: image_sha256.clone(),
            cache_key: cache_key.clone(), plugin, result_id: None, arm: None,
        };

        // Cache.
        let key = self.cache.enabled().then_some(key);
        if let Some((response, model)) = key.as_ref().and_then(|k| self.cache.get(k)) {
            self.metrics.cache.with_label_values(&["hit"]).inc();
            self.audit_output(&env, &input.image, image_digest, &response, trail)?;
            return Ok(done(response, model, true, plugin_run, ms()));
        }

        // Detect.
        let loaded = self.models.ensure_loaded(&version)?;
        let req = DetectRequest {
            image: Image { bytes: input.image.clone(), mime: String::new() },
            prompt: input.prompt.clone(),
            threshold: input.threshold,
            model: version.clone(),
            limits: DetectLimits { max_pixels: self.config.limits.max_pixels, max_prompt_chars: self.config.limits.max_prompt_chars },
        };
        let inference = Instant::now();
        let response = self.plugins.detect_on(&plugin, &req)?;
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

        // Audit out.
        self.audit_output(&env, &input.image, image_digest, &response, trail)?;
        Ok(done(response, model, false, plugin_run, ms()))
    }

    /// Refuses an image over the byte limit before anything reads it.
    fn check_limits(&self, input: &DetectInput) -> Result<(), GlintError> {
        let max = self.config.limits.max_image_bytes;
        if input.image.len() > max {
            return Err(GlintError::new(
                ErrorKind::TooLarge,
                format!("image is {} bytes, the limit is {max} bytes", input.image.len()),
            ));
        }
        Ok(())
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
        self.annotate(image, &detections)
    }

    /// `image` with `detections` drawn on it, as PNG.
    pub fn annotate(&self, image: &[u8], detections: &[DetectionOut]) -> Result<Vec<u8>, GlintError> {
        let font = self.font.get_or_init(crate::draw::load_font).as_ref();
        let drawn = crate::draw::annotate(image, detections, font)
            .map_err(|e| GlintError::new(ErrorKind::InvalidInput, format!("{e:#}")))?;
        crate::draw::encode_png(&drawn).map_err(|e| GlintError::new(ErrorKind::Plugin, format!("{e:#}")))
    }

    /// Runs one detection; the result as `glint detect` prints it.
    pub fn detect(&self, input: &DetectInput) -> Result<DetectOutput, GlintError> {
        self.detect_run(input).map(|(out, _)| out)
    }

    /// [`Glint::detect`], and the run it printed.
    pub fn detect_run(&self, input: &DetectInput) -> Result<(DetectOutput, RunResult), GlintError> {
        let ran = self.run(input)?;
        let RunResult { response: r, model, cached, elapsed_ms, plugin, .. } = ran.clone();
        let output = DetectOutput {
            detections: r.detections.iter().map(DetectionOut::from).collect(),
            phrases: r.phrases.iter().map(PhraseOut::from).collect(),
            width: r.width,
            height: r.height,
            threshold: input.threshold,
            model,
            plugin: plugin.name,
            plugin_sha256: plugin.sha256,
            cached,
            elapsed_ms,
        };
        Ok((output, ran))
    }
}
