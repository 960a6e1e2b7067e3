//! What a detection takes and gives: the request, the plugin's answer with
//! what ran (model version, runtime, plugin build), and the JSON shapes of
//! `glint detect` and the platform. Plain data, used by the pipeline, the
//! cache, drawing and the app server alike.

use serde::Serialize;

use glint_nn::BackendKind;
use glint_plugins::DetectResponse;

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
    /// The result cache key's digest (see [`crate::cache::CacheKey::digest`]).
    pub cache_key: String,
    /// The detector plugin that answered, and its build.
    pub plugin: PluginRun,
    /// Set once the platform records the result in a session's history.
    pub result_id: Option<String>,
    /// The experiment arm that served it, if the request was in an experiment.
    pub arm: Option<ArmRun>,
}

/// The experiment, its version and the arm a request was assigned to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArmRun {
    pub experiment: String,
    pub version: u32,
    pub arm: String,
    /// `user:NAME` or `guest:COOKIE`.
    #[serde(skip)]
    pub subject: String,
}

impl ArmRun {
    /// `name/arm`, as results, feedback and the audit log record it.
    pub fn label(&self) -> String {
        format!("{}/{}", self.experiment, self.arm)
    }
}

/// What the allocate stage decided for a request that names no model version.
#[derive(Clone, Debug)]
pub struct Allocation {
    pub model: String,
    /// The detector plugin; `None`: the configured one.
    pub plugin: Option<String>,
    /// Set when the request is counted in a running experiment.
    pub arm: Option<ArmRun>,
}

/// The allocate stage of the pipeline (A/B experiments), for one request.
pub trait Allocate: Send + Sync {
    /// The arm for this request's subject, or `None` to serve the defaults.
    fn allocate(&self) -> Result<Option<Allocation>, glint_common::error::GlintError>;
}

/// Which detector plugin build ran: exact across live swaps.
#[derive(Clone, Debug, Serialize)]
pub struct PluginRun {
    pub name: String,
    pub sha256: String,
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

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct BoxOut {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct DetectionOut {
    pub phrase: String,
    pub label: String,
    pub score: f32,
    #[serde(rename = "box")]
    pub bbox: BoxOut,
    /// `[start, end)` in characters of the prompt (absent from results stored before 0.5.0).
    #[serde(default)]
    pub span: [u32; 2],
}

impl From<&glint_plugins::Detection> for DetectionOut {
    fn from(d: &glint_plugins::Detection) -> DetectionOut {
        DetectionOut {
            phrase: d.phrase.clone(),
            label: d.label.clone(),
            score: d.score,
            bbox: BoxOut { x0: d.box_.x0, y0: d.box_.y0, x1: d.box_.x1, y1: d.box_.y1 },
            span: [d.span.0, d.span.1],
        }
    }
}

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct PhraseOut {
    pub phrase: String,
    pub label: Option<String>,
    pub method: String,
    pub similarity: f32,
    #[serde(default)]
    pub span: [u32; 2],
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
    /// The sha256 of the plugin build that answered.
    pub plugin_sha256: String,
    /// Whether the result came from the result cache.
    pub cached: bool,
    pub elapsed_ms: f64,
}

impl From<&glint_plugins::PhraseMatch> for PhraseOut {
    fn from(p: &glint_plugins::PhraseMatch) -> PhraseOut {
        PhraseOut {
            phrase: p.phrase.clone(),
            label: p.label.clone(),
            method: p.method.clone(),
            similarity: p.similarity,
            span: [p.span.0, p.span.1],
        }
    }
}
