//! The known-answer check a candidate passes before it takes traffic, by
//! world: a detector must find the cat in the bundled photo; an auditor must
//! let a harmless sentence through and block a known word; a model version
//! must let the serving detector find the cat with it (an audit model: let
//! the auditor check the photo); an exporter must write every format it
//! declares for a result on the bundled photo (a non-empty document of the
//! declared mime: `export_on` checks both). An allocator must give each of
//! 200 subjects one of the offered arms of weight above 0, the same one when
//! asked again, and use every such arm.

use std::path::Path;
use std::time::Duration;

use glint_app::Glint;
use glint_audit::AUDIT_FAMILY;
use glint_models::ModelView;
use glint_plugins::{Action, AllocatorArm, DetectLimits, DetectRequest, DetectResponse, Image, Plugin, PluginWorld};

/// The prompt of the detector canary, and the label it must find.
pub const PROMPT: &str = "a cat";
const LABEL: &str = "cat";
/// What an auditor must allow, and what it must block.
const BENIGN: &str = "a photo of a cat sleeping on a sofa";
const KNOWN_WORD: &str = "you fucking idiot";
const AUDIT_DEADLINE: Duration = Duration::from_secs(10);

/// Runs the canary of a candidate plugin against the model versions serving now.
pub fn plugin(glint: &Glint, plugin: &Plugin, photo: &Path) -> Result<(), String> {
    match plugin.info.world {
        PluginWorld::DetectPlugin => {
            let version = &glint.config.default_model;
            glint.models.ensure_loaded(version).map_err(|e| format!("the default model {version} cannot load: {}", e.message))?;
            let response = glint.plugins.detect_in(plugin, (*glint.models.view()).clone(), &request(glint, photo, version)?);
            found_the_cat(response)
        }
        PluginWorld::AuditPlugin => {
            let verdict = |text: &str| {
                glint.plugins.audit_input_on(plugin, text, None, AUDIT_DEADLINE).map_err(|e| format!("checking {text:?} failed: {e}"))
            };
            let benign = verdict(BENIGN)?;
            if benign.action == Action::Block {
                return Err(format!("it blocked the harmless {BENIGN:?} ({})", benign.reasons.join(", ")));
            }
            let known = verdict(KNOWN_WORD)?;
            if known.action != Action::Block {
                return Err(format!("it did not block {KNOWN_WORD:?} (it answered {:?})", known.action));
            }
            Ok(())
        }
        PluginWorld::ExportPlugin => {
            let photo_bytes = read(photo)?;
            for f in &plugin.info.formats {
                let source = canary_result(photo_bytes.clone());
                let report = glint_app::export::report(glint, "glint canary", vec![source], f.needs_rendering).map_err(|e| e.message)?;
                glint.plugins.export_on(plugin, &f.name, &report).map_err(|e| format!("format {}: {}", f.name, e.message))?;
            }
            Ok(())
        }
        PluginWorld::AbPlugin => allocator(glint, plugin),
    }
}

fn allocator(glint: &Glint, plugin: &Plugin) -> Result<(), String> {
    let arms: Vec<AllocatorArm> =
        [("a", 1), ("b", 1), ("off", 0)].iter().map(|&(name, weight)| AllocatorArm { name: name.into(), weight }).collect();
    let mut used = std::collections::BTreeSet::new();
    for s in 0..200 {
        let subject = format!("guest:canary-{s}");
        let ask = || glint.plugins.assign_on(plugin, "glint-canary@1", &subject, &arms).map_err(|e| e.message);
        let first = ask()?.ok_or_else(|| format!("it gave {subject} no arm"))?;
        if ask()?.map(|a| a.name) != Some(first.name.clone()) {
            return Err(format!("it gave {subject} another arm when asked again"));
        }
        used.insert(first.name);
    }
    if used.len() != 2 {
        return Err(format!("200 subjects at weights a=1, b=1 all went to {used:?}"));
    }
    Ok(())
}

/// Runs the canary of a candidate model version, seen through `view`.
pub fn model(glint: &Glint, view: ModelView, version: &str, family: &str, photo: &Path) -> Result<(), String> {
    if family == AUDIT_FAMILY {
        let Some(audit) = &glint.audit else { return Ok(()) };
        let auditor = glint.plugins.get(&audit.policy.plugin).map_err(|e| e.message)?;
        let image = Some(Image { bytes: read(photo)?, mime: String::new() });
        let verdict = glint.plugins.audit_input_in(&auditor, view, "", image, AUDIT_DEADLINE).map_err(|e| format!("the image check failed: {e}"))?;
        if verdict.action == Action::Block {
            return Err(format!("the auditor blocked the canary photo with it ({})", verdict.reasons.join(", ")));
        }
        return Ok(());
    }
    let detector = glint.plugins.get(&glint.config.detect_plugin).map_err(|e| e.message)?;
    found_the_cat(glint.plugins.detect_in(&detector, view, &request(glint, photo, version)?))
}

/// A result with one cat found in the canary photo, for exporters.
fn canary_result(photo: Vec<u8>) -> glint_app::export::Source {
    let (width, height) = image::load_from_memory(&photo).map(|i| (i.width(), i.height())).unwrap_or((1, 1));
    let cat = glint_plugins::Detection {
        phrase: PROMPT.into(),
        label: LABEL.into(),
        score: 0.9,
        box_: glint_plugins::Bbox { x0: 0.0, y0: 0.0, x1: width as f32 / 2.0, y1: height as f32 / 2.0 },
        span: (0, PROMPT.chars().count() as u32),
    };
    let result = glint_plugins::ExportedResult {
        id: "canary".into(),
        time_ms: 0,
        user: "canary".into(),
        session: String::new(),
        prompt: PROMPT.into(),
        model_version: "canary".into(),
        plugin_sha256: String::new(),
        experiment: None,
        file_name: "canary.png".into(),
        width,
        height,
        annotated: None,
        detections: vec![cat],
        phrases: Vec::new(),
        audit: Vec::new(),
        rating: None,
        comment: None,
    };
    glint_app::export::Source { result, image: Some(photo) }
}

fn request(glint: &Glint, photo: &Path, version: &str) -> Result<DetectRequest, String> {
    let limits = &glint.config.limits;
    Ok(DetectRequest {
        image: Image { bytes: read(photo)?, mime: String::new() },
        prompt: PROMPT.into(),
        threshold: 0.3,
        model: version.into(),
        limits: DetectLimits { max_pixels: limits.max_pixels, max_prompt_chars: limits.max_prompt_chars },
    })
}

fn read(photo: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(photo).map_err(|e| format!("the canary photo {} cannot be read ({e}); scripts/setup.sh extracts it", photo.display()))
}

fn found_the_cat(response: Result<DetectResponse, glint_common::GlintError>) -> Result<(), String> {
    let response = response.map_err(|e| e.message)?;
    if response.detections.iter().any(|d| d.label.eq_ignore_ascii_case(LABEL)) {
        Ok(())
    } else {
        let labels: Vec<&str> = response.detections.iter().map(|d| d.label.as_str()).collect();
        Err(format!("it did not find the cat in the canary photo for {PROMPT:?} (it found: {labels:?})"))
    }
}
