//! What `glint up` does before it says it is ready, each step timed: the
//! default model version's graphs, the audit models (when an audit policy is
//! in force), and one call each to the detector and the auditor plugins on a
//! blank image, so the first visitor meets warm instances (the detector's
//! label embeddings derived, or read back from an earlier start, and kept for
//! every instance; the auditor's word lists compiled). Nothing
//! here is recorded: no result cache entry, no metric, no audit log row.

use std::time::Instant;

use crate::app::Glint;
use glint_audit::audit_model_versions;
use glint_plugins::{DetectLimits, DetectRequest, Image};

/// One step of the warm-up: what, how long, and how it went.
#[derive(Clone, Debug)]
pub struct Step {
    pub what: String,
    pub ms: u64,
    /// `ok`, `graph cache hit` (or miss, rebuilt, disabled), or the error.
    pub outcome: String,
    /// The process's resident memory after the step, in MiB (Linux).
    pub rss_mib: Option<u64>,
}

/// This process's resident set size now, in MiB (`VmRSS`; `None` off Linux).
pub fn rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024)
}

/// Runs the warm-up. A failing step is reported, not fatal: requests then
/// get its error.
pub fn warm_up(glint: &Glint) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut step = |what: String, run: &mut dyn FnMut() -> Result<String, String>| {
        let started = Instant::now();
        let outcome = run().unwrap_or_else(|e| format!("failed: {e}"));
        steps.push(Step { what, ms: started.elapsed().as_millis() as u64, outcome, rss_mib: rss_mib() });
    };
    let default = glint.config.default_model.clone();
    let mut versions = vec![default.clone()];
    if glint.audit.is_some() {
        versions.extend(audit_model_versions(&glint.models));
    }
    for version in versions {
        step(format!("model version {version}"), &mut || {
            let loaded = glint.models.ensure_loaded(&version).map_err(|e| e.message)?;
            Ok(format!("graph cache {:?}", loaded.graph_cache).to_lowercase())
        });
    }
    let blank = blank_png();
    step(format!("detector plugin {}", glint.config.detect_plugin), &mut || {
        let req = DetectRequest {
            image: Image { bytes: blank.clone(), mime: String::new() },
            // A phrase no table knows: the detector embeds it, and so needs its label embeddings.
            prompt: "a kitty".into(),
            threshold: 0.99,
            model: default.clone(),
            limits: DetectLimits { max_pixels: glint.config.limits.max_pixels, max_prompt_chars: glint.config.limits.max_prompt_chars },
        };
        glint.plugins.detect(&glint.config.detect_plugin, &req).map(|_| "ok".into()).map_err(|e| e.message)
    });
    if let Some(audit) = &glint.audit {
        let policy = &audit.policy;
        step(format!("audit plugin {}", policy.plugin), &mut || {
            let image = Some(Image { bytes: blank.clone(), mime: String::new() });
            glint.plugins.audit_input(&policy.plugin, "a cat", image, policy.text.timeout().max(policy.image.timeout()))
                .map(|_| "ok".into())
                .map_err(|e| format!("{e:?}"))
        });
    }
    steps
}

/// A 64×64 grey PNG: nothing to find, nothing to block.
fn blank_png() -> Vec<u8> {
    let grey = image::RgbImage::from_pixel(64, 64, image::Rgb([128, 128, 128]));
    crate::draw::encode_png(&grey).unwrap_or_default()
}
