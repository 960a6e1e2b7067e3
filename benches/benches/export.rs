//! The exporter plugins through their components against the same code
//! (`glint-export-core`, compiled natively) on the same report: the PDF
//! report of the cat photo (font subsetting, PNG embedding, deflate) and
//! COCO JSON. Both sides must give byte-identical documents first; the ratio
//! component / native is the cost of the sandbox, including copying the
//! report (the annotated PNG and 4.8 MB of fonts) into the component.
//!
//!     cargo bench -p glint-benches --bench export   (after scripts/setup.sh)
//!     scripts/bench-ratio.sh --no-run                prints the ratios

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use glint::nn::BackendKind;
use glint::plugins::ExportReport;
use glint::{Config, DetectInput, Glint};
use glint_export_core as core;

/// The host's report as the native code takes it (what the component's adapter does).
fn native_report(r: &ExportReport) -> core::Report {
    core::Report {
        site_title: r.site_title.clone(),
        generated_ms: r.generated_ms,
        fonts: r.fonts.clone(),
        results: r
            .results
            .iter()
            .map(|x| core::ExportedResult {
                id: x.id.clone(),
                time_ms: x.time_ms,
                user: x.user.clone(),
                session: x.session.clone(),
                prompt: x.prompt.clone(),
                model_version: x.model_version.clone(),
                plugin_sha256: x.plugin_sha256.clone(),
                experiment: x.experiment.clone(),
                file_name: x.file_name.clone(),
                width: x.width,
                height: x.height,
                annotated: x.annotated.as_ref().map(|i| i.bytes.clone()),
                detections: x
                    .detections
                    .iter()
                    .map(|d| core::Detection {
                        phrase: d.phrase.clone(),
                        label: d.label.clone(),
                        score: d.score,
                        bbox: core::BBox { x0: d.box_.x0, y0: d.box_.y0, x1: d.box_.x1, y1: d.box_.y1 },
                    })
                    .collect(),
                phrases: x
                    .phrases
                    .iter()
                    .map(|p| core::PhraseNote { phrase: p.phrase.clone(), label: p.label.clone(), method: p.method.clone(), similarity: p.similarity })
                    .collect(),
                audit: x.audit.iter().map(|a| core::AuditNote { check: a.check.clone(), verdict: a.verdict.clone(), reasons: a.reasons.clone() }).collect(),
                rating: x.rating,
                comment: x.comment.clone(),
            })
            .collect(),
    }
}

fn bench(c: &mut Criterion) {
    let home = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut config = Config::new(home);
    config.models.backend = Some(BackendKind::Onnx);
    let glint = Glint::open(config).expect("glint opens");
    let photo = std::fs::read(home.join("samples/chelsea.png")).unwrap();
    let prompt = "a cat . 遥控器";
    let input = DetectInput { image: photo.clone(), prompt: prompt.into(), threshold: 0.3, model: None };
    let (_, ran) = glint.detect_run(&input).expect("a detection");
    for (format, render) in [("pdf", true), ("coco", false)] {
        let source = glint::export::from_run(&ran, prompt, photo.clone());
        let mut report = glint::export::report(&glint, "glint", vec![source], render).unwrap();
        report.generated_ms = 1_796_316_198_913;
        let (f, plugin) = glint::export::find(&glint, format).unwrap();
        let native = native_report(&report);
        let write_native = |r: &core::Report| if render { core::export_pdf(format, r) } else { core::export_machine(format, r) };
        let component = glint.plugins.export_on(&plugin, &f.name, &report).expect("component export");
        let by_native = write_native(&native).expect("native export");
        assert!(component.bytes == by_native.bytes, "{format}: the component and the native code disagree");
        eprintln!("{format}: {} bytes", component.bytes.len());

        let mut group = c.benchmark_group(format!("export-{format}"));
        group.sample_size(20).measurement_time(Duration::from_secs(8));
        group.bench_function("component", |b| b.iter(|| glint.plugins.export_on(&plugin, &f.name, &report).unwrap()));
        // The native side pays for the same copy of the report the component's call makes.
        group.bench_function("native", |b| b.iter(|| write_native(&native_report(&report)).unwrap()));
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
