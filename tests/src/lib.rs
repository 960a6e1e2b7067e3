//! Shared helpers of glint's integration tests. The tests use the real
//! installation made by `scripts/setup.sh`: real weights, the built
//! components, the runtime libraries. Missing pieces fail loudly.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use glint::nn::BackendKind;
use glint::{Config, DetectInput, DetectOutput, Glint};

/// The checkout (where models/, plugins/ and samples/ are).
pub fn home() -> PathBuf {
    let home = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf();
    for needed in ["plugins/detect.wasm", "samples/chelsea.png", "models/coco-grounded-v1/ssd.onnx"] {
        assert!(home.join(needed).exists(), "{needed} is missing: run scripts/setup.sh before the tests");
    }
    home
}

/// A config for the checkout, with a fresh compiled-cache folder per process.
pub fn config(backend: Option<BackendKind>) -> Config {
    let mut c = Config::new(&home());
    c.models.backend = backend;
    c.engine.call_deadline = Duration::from_secs(60);
    c
}

/// One shared instance per backend (loading a model version takes seconds).
pub fn glint(backend: BackendKind) -> &'static Glint {
    static ONNX: OnceLock<Glint> = OnceLock::new();
    static OPENVINO: OnceLock<Glint> = OnceLock::new();
    let cell = match backend {
        BackendKind::Onnx => &ONNX,
        BackendKind::Openvino => &OPENVINO,
    };
    cell.get_or_init(|| Glint::open(config(Some(backend))).expect("glint opens"))
}

pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(home().join("samples").join(name)).expect("sample photo")
}

pub fn input(image: &str, prompt: &str) -> DetectInput {
    DetectInput { image: sample(image), prompt: prompt.into(), threshold: 0.3, model: None }
}

pub fn detect(backend: BackendKind, image: &str, prompt: &str) -> DetectOutput {
    glint(backend).detect(&input(image, prompt)).unwrap_or_else(|e| panic!("{image} / {prompt:?}: {e}"))
}

/// A reference detection recorded by `scripts/reference.py` (Python
/// onnxruntime on the original image, no glint code involved).
#[derive(Debug, serde::Deserialize)]
pub struct Reference {
    pub label: String,
    pub score: f32,
    pub box_px: [f32; 4],
}

pub fn reference(image: &str, label: &str) -> Reference {
    let text = std::fs::read_to_string(home().join("tests/data/reference.json")).expect("tests/data/reference.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("reference JSON");
    let dets = v["images"]
        .as_array()
        .and_then(|imgs| imgs.iter().find(|i| i["file"].as_str().is_some_and(|f| f.ends_with(image))))
        .and_then(|i| i["detections"].as_array())
        .unwrap_or_else(|| panic!("no reference for {image}"));
    let best = dets
        .iter()
        .filter(|d| d["label"] == label)
        .max_by(|a, b| a["score"].as_f64().partial_cmp(&b["score"].as_f64()).expect("scores"))
        .unwrap_or_else(|| panic!("no reference {label} in {image}"));
    serde_json::from_value(best.clone()).expect("reference detection")
}

/// Intersection over union of two `[x0, y0, x1, y1]` boxes.
pub fn iou(a: [f32; 4], b: [f32; 4]) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let area = |r: [f32; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    inter / (area(a) + area(b) - inter)
}

pub fn box_of(d: &glint::app::DetectionOut) -> [f32; 4] {
    [d.bbox.x0, d.bbox.y0, d.bbox.x1, d.bbox.y1]
}
