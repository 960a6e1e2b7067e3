//! `detect` through the component + wasi-nn against the same code and the
//! same loaded graphs called natively, on the same photo and prompt, per
//! backend. The ratio component / native is the cost of the sandbox.
//!
//!     cargo bench -p glint-benches --bench detect   (after scripts/setup.sh)
//!     scripts/bench-ratio.sh                          prints the ratios

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use glint::nn::BackendKind;
use glint::{Config, DetectInput, Glint};
use glint_benches::{NativeAssets, NativeNn};
use glint_detect_core::{Detector, Limits, Request};

const PROMPT: &str = "a kitty . a coffee mug . a dog";

fn bench(c: &mut Criterion) {
    let home = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let image = std::fs::read(home.join("samples/chelsea.png")).expect("run scripts/setup.sh first");
    for backend in [BackendKind::Openvino, BackendKind::Onnx] {
        let mut config = Config::new(home);
        config.models.backend = Some(backend);
        let glint = Glint::open(config).expect("glint opens");
        let input = DetectInput { image: image.clone(), prompt: PROMPT.into(), threshold: 0.3, model: None };
        let warm = glint.detect(&input).expect("component detect");

        let mut native = Detector::new();
        let mut nn = NativeNn::new(&glint.models);
        let assets = NativeAssets(&glint.models);
        let req = Request { image: &image, prompt: PROMPT, threshold: 0.3, model: "coco-grounded-v1", limits: Limits::default() };
        let base = native.detect(&mut nn, &assets, &req).expect("native detect");
        assert_eq!(base.detections.len(), warm.detections.len(), "both paths find the same boxes");

        let mut group = c.benchmark_group(format!("detect-{backend}"));
        group.sample_size(40).measurement_time(Duration::from_secs(12));
        group.bench_function("component", |b| b.iter(|| glint.detect(&input).unwrap()));
        group.bench_function("native", |b| b.iter(|| native.detect(&mut nn, &assets, &req).unwrap()));
        group.finish();

        if backend == BackendKind::Openvino {
            // A phrase no table knows and the English encoder is not asked about:
            // no model runs, so this isolates decoding + the sandbox crossing.
            let no_model = DetectInput { prompt: NO_MODEL_PROMPT.into(), ..input.clone() };
            let no_model_req = Request { prompt: NO_MODEL_PROMPT, ..req.clone() };
            let mut group = c.benchmark_group("decode-only");
            group.sample_size(40).measurement_time(Duration::from_secs(6));
            group.bench_function("component", |b| b.iter(|| glint.detect(&no_model).unwrap()));
            group.bench_function("native", |b| b.iter(|| native.detect(&mut nn, &assets, &no_model_req).unwrap()));
            group.finish();
        }
    }
}

const NO_MODEL_PROMPT: &str = "量子";

criterion_group!(benches, bench);
criterion_main!(benches);
