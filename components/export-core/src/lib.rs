//! glint's exporters, as plain Rust: what a report of detection results
//! holds ([`Report`]), and the documents made of it: a PDF report a person
//! forwards ([`pdf`]), and COCO JSON ([`coco`]), YOLO ([`yolo`]) and Pascal
//! VOC ([`voc`]) for annotation tools. The `export-pdf` and
//! `export-formats` components adapt this to the `export-plugin` world; it
//! also compiles natively for tests and benchmarks. Nothing here reads a
//! clock, a file or the network: the same report gives the same bytes.

pub mod coco;
pub mod pdf;
pub mod voc;
pub mod yolo;
mod zip;

/// A box in pixels of the original image: x0 <= x1, y0 <= y1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BBox {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    pub phrase: String,
    pub label: String,
    pub score: f32,
    pub bbox: BBox,
}

/// How the detector understood one phrase.
#[derive(Clone, Debug, PartialEq)]
pub struct PhraseNote {
    pub phrase: String,
    pub label: Option<String>,
    pub method: String,
    pub similarity: f32,
}

/// One audit decision about a result.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditNote {
    pub check: String,
    pub verdict: String,
    pub reasons: Vec<String>,
}

/// One result and everything a report shows of it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExportedResult {
    pub id: String,
    pub time_ms: i64,
    pub user: String,
    pub session: String,
    pub prompt: String,
    pub model_version: String,
    pub plugin_sha256: String,
    pub experiment: Option<String>,
    pub file_name: String,
    pub width: u32,
    pub height: u32,
    /// The annotated image as PNG (formats that render only).
    pub annotated: Option<Vec<u8>>,
    pub detections: Vec<Detection>,
    pub phrases: Vec<PhraseNote>,
    pub audit: Vec<AuditNote>,
    pub rating: Option<u8>,
    pub comment: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub site_title: String,
    pub generated_ms: i64,
    pub results: Vec<ExportedResult>,
    /// TrueType/OpenType fonts, in order of preference per character.
    pub fonts: Vec<Vec<u8>>,
}

/// A format this crate writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Format {
    pub name: &'static str,
    pub mime: &'static str,
    pub extension: &'static str,
    pub description: &'static str,
    pub multiple: bool,
    pub needs_rendering: bool,
}

/// A written document.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// Why a document could not be written.
#[derive(Clone, Debug, PartialEq)]
pub enum ExportError {
    /// The report asks for something this exporter cannot do.
    InvalidInput(String),
    /// A font or image in the report cannot be used.
    Internal(String),
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportError::InvalidInput(m) | ExportError::Internal(m) => f.write_str(m),
        }
    }
}

/// The PDF report's format.
pub const PDF: Format = Format {
    name: "pdf",
    mime: "application/pdf",
    extension: "pdf",
    description: "A one-page report per result (A4): the annotated image, the detections, how the prompt was understood, the audit decisions and the rating",
    multiple: true,
    needs_rendering: true,
};

/// The machine formats.
pub const MACHINE: [Format; 3] = [
    Format {
        name: "coco",
        mime: "application/json",
        extension: "json",
        description: "COCO object detection JSON: images, categories, annotations (bbox [x, y, w, h], score)",
        multiple: true,
        needs_rendering: false,
    },
    Format {
        name: "yolo",
        mime: "application/zip",
        extension: "zip",
        description: "YOLO: labels/<image>.txt ('class cx cy w h', normalised) and classes.txt, zipped",
        multiple: true,
        needs_rendering: false,
    },
    Format {
        name: "voc",
        mime: "application/zip",
        extension: "zip",
        description: "Pascal VOC XML: Annotations/<image>.xml per image, zipped",
        multiple: true,
        needs_rendering: false,
    },
];

/// Writes `report` as a machine format (`coco`, `yolo`, `voc`).
pub fn export_machine(format: &str, report: &Report) -> Result<Document, ExportError> {
    check(report)?;
    let (mime, bytes) = match format {
        "coco" => (MACHINE[0].mime, coco::write(report).into_bytes()),
        "yolo" => (MACHINE[1].mime, yolo::write(report)),
        "voc" => (MACHINE[2].mime, voc::write(report)),
        other => return Err(unknown(other, &["coco", "yolo", "voc"])),
    };
    Ok(Document { mime: mime.into(), bytes })
}

/// Writes `report` as the PDF report.
pub fn export_pdf(format: &str, report: &Report) -> Result<Document, ExportError> {
    if format != PDF.name {
        return Err(unknown(format, &["pdf"]));
    }
    check(report)?;
    Ok(Document { mime: PDF.mime.into(), bytes: pdf::write(report)? })
}

fn unknown(format: &str, known: &[&str]) -> ExportError {
    ExportError::InvalidInput(format!("this exporter writes {}, not {format:?}", known.join(", ")))
}

fn check(report: &Report) -> Result<(), ExportError> {
    if report.results.is_empty() {
        return Err(ExportError::InvalidInput("the report has no results".into()));
    }
    for r in &report.results {
        if r.width == 0 || r.height == 0 {
            return Err(ExportError::InvalidInput(format!("result {} has no image size", r.id)));
        }
        if let Some(d) = r.detections.iter().find(|d| !d.score.is_finite() || !(d.bbox.x0 <= d.bbox.x1 && d.bbox.y0 <= d.bbox.y1)) {
            return Err(ExportError::InvalidInput(format!("result {}: detection {:?} has a bad box or score", r.id, d.phrase)));
        }
    }
    Ok(())
}

/// The labels of all results, sorted, each once: the category list.
pub fn categories(report: &Report) -> Vec<&str> {
    let mut labels: Vec<&str> = report.results.iter().flat_map(|r| r.detections.iter().map(|d| d.label.as_str())).collect();
    labels.sort_unstable();
    labels.dedup();
    labels
}

/// The image's file name, made safe for an archive path.
pub fn file_stem(r: &ExportedResult) -> String {
    let name = if r.file_name.is_empty() { &r.id } else { &r.file_name };
    let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
    stem.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect()
}

/// `YYYY-MM-DD HH:MM:SS UTC` of milliseconds since the epoch.
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", rest / 3600, rest / 60 % 60, rest % 60)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A report of one result with two detections, as the tests of each format use it.
    pub fn sample() -> Report {
        let d = |phrase: &str, label: &str, score, x0, y0, x1, y1| Detection {
            phrase: phrase.into(),
            label: label.into(),
            score,
            bbox: BBox { x0, y0, x1, y1 },
        };
        Report {
            site_title: "ACME detector".into(),
            generated_ms: 1_796_316_198_913,
            results: vec![ExportedResult {
                id: "r1".into(),
                time_ms: 1_796_316_000_000,
                user: "alice".into(),
                prompt: "a cat . a remote".into(),
                model_version: "coco-grounded-v1".into(),
                file_name: "chelsea.png".into(),
                width: 451,
                height: 300,
                detections: vec![d("a cat", "cat", 0.93, 10.0, 20.0, 210.0, 290.0), d("a remote", "remote", 0.5, 300.0, 100.0, 340.0, 120.0)],
                ..ExportedResult::default()
            }],
            fonts: Vec::new(),
        }
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_796_316_198_913), "2026-12-03 16:43:18 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn bad_reports_are_refused() {
        let mut r = sample();
        r.results[0].detections[0].score = f32::NAN;
        assert!(export_machine("coco", &r).unwrap_err().to_string().contains("bad box"));
        assert!(export_machine("csv", &sample()).unwrap_err().to_string().contains("coco, yolo, voc"));
        assert!(export_machine("coco", &Report::default()).is_err());
        assert_eq!(categories(&sample()), ["cat", "remote"]);
        assert_eq!(file_stem(&sample().results[0]), "chelsea");
    }
}
