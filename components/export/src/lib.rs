//! glint's exporter plugins: `glint-export-core` adapted to the
//! `export-plugin` world. Built twice: with the `pdf` feature it is
//! `export-pdf` (the PDF report, which needs fonts and the annotated image,
//! hence a component of its own: a team that adds a format copies the small
//! one), with `formats` it is `export-formats` (COCO JSON, YOLO, Pascal VOC).

#[cfg(all(feature = "pdf", feature = "formats"))]
compile_error!("build glint-export with exactly one of the features `pdf` and `formats`");

wit_bindgen::generate!({
    world: "export-plugin",
    path: "../../wit",
    generate_all,
});

use exports::glint::plugins::exporter::{self as wit, Guest};
use glint::plugins::types::{Error, ErrorCode};
use glint_export_core as core;

#[cfg(feature = "pdf")]
const FORMATS: &[core::Format] = &[core::PDF];
#[cfg(feature = "pdf")]
const WRITE: fn(&str, &core::Report) -> Result<core::Document, core::ExportError> = core::export_pdf;

#[cfg(not(feature = "pdf"))]
const FORMATS: &[core::Format] = &core::MACHINE;
#[cfg(not(feature = "pdf"))]
const WRITE: fn(&str, &core::Report) -> Result<core::Document, core::ExportError> = core::export_machine;

struct Component;

impl Guest for Component {
    fn formats() -> Vec<wit::Format> {
        FORMATS
            .iter()
            .map(|f| wit::Format {
                name: f.name.into(),
                mime: f.mime.into(),
                extension: f.extension.into(),
                description: f.description.into(),
                multiple: f.multiple,
                needs_rendering: f.needs_rendering,
            })
            .collect()
    }

    fn export(format: String, report: wit::Report) -> Result<wit::Document, Error> {
        let report = core::Report {
            site_title: report.site_title,
            generated_ms: report.generated_ms,
            results: report.results.into_iter().map(result).collect(),
            fonts: report.fonts,
        };
        match WRITE(&format, &report) {
            Ok(d) => Ok(wit::Document { mime: d.mime, bytes: d.bytes }),
            Err(core::ExportError::InvalidInput(message)) => Err(Error { code: ErrorCode::InvalidPrompt, message }),
            Err(core::ExportError::Internal(message)) => Err(Error { code: ErrorCode::Internal, message }),
        }
    }
}

fn result(r: wit::ExportedResult) -> core::ExportedResult {
    core::ExportedResult {
        id: r.id,
        time_ms: r.time_ms,
        user: r.user,
        session: r.session,
        prompt: r.prompt,
        model_version: r.model_version,
        plugin_sha256: r.plugin_sha256,
        experiment: r.experiment,
        file_name: r.file_name,
        width: r.width,
        height: r.height,
        annotated: r.annotated.map(|i| i.bytes),
        detections: r
            .detections
            .into_iter()
            .map(|d| core::Detection {
                phrase: d.phrase,
                label: d.label,
                score: d.score,
                bbox: core::BBox { x0: d.box_.x0, y0: d.box_.y0, x1: d.box_.x1, y1: d.box_.y1 },
            })
            .collect(),
        phrases: r
            .phrases
            .into_iter()
            .map(|p| core::PhraseNote { phrase: p.phrase, label: p.label, method: p.method, similarity: p.similarity })
            .collect(),
        audit: r.audit.into_iter().map(|a| core::AuditNote { check: a.check, verdict: a.verdict, reasons: a.reasons }).collect(),
        rating: r.rating,
        comment: r.comment,
    }
}

export!(Component);
