//! {{name}}: a glint exporter (world `export-plugin`). Its formats appear in
//! the web app's export menu and at `/api/export?format=NAME`.

wit_bindgen::generate!({ world: "export-plugin", path: "wit", generate_all });

use exports::glint::plugins::exporter::{Document, Format, Guest, Report};
use glint::plugins::types::{Error, ErrorCode};

struct Component;

impl Guest for Component {
    fn formats() -> Vec<Format> {
        vec![Format {
            name: "{{name}}-txt".into(),
            mime: "text/plain".into(),
            extension: "txt".into(),
            description: "One line per detection".into(),
            multiple: true,
            needs_rendering: false,
        }]
    }

    fn export(format: String, report: Report) -> Result<Document, Error> {
        if format != "{{name}}-txt" {
            return Err(Error { code: ErrorCode::Internal, message: format!("{{name}} does not write {format}") });
        }
        let mut text = String::new();
        for r in &report.results {
            for d in &r.detections {
                let b = &d.box_;
                text.push_str(&format!("{}\t{}\t{}\t{:.3}\t{:.0} {:.0} {:.0} {:.0}\n", r.id, d.phrase, d.label, d.score, b.x0, b.y0, b.x1, b.y1));
            }
        }
        Ok(Document { mime: "text/plain".into(), bytes: text.into_bytes() })
    }
}

export!(Component);
