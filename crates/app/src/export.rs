//! Documents of detection results, written by the exporter plugins: which
//! formats the loaded exporters offer, the fonts reports draw with, and the
//! report of a run (`glint detect --export`) or of recorded results (the
//! API). The host gathers and draws; the plugin writes.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::app::Glint;
use crate::detection::{DetectionOut, PhraseOut, RunResult};
use glint_common::error::{ErrorKind, GlintError};
use glint_plugins::{
    AuditNote, Bbox, Detection, ExportDocument, ExportFormat, ExportReport, ExportedResult, Image, PhraseNote, Plugin,
};
use glint_store::Store;

/// A format on offer, and the exporter plugin that writes it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Offered {
    pub name: String,
    pub mime: String,
    pub extension: String,
    pub description: String,
    pub multiple: bool,
    pub plugin: String,
}

/// Every format of the loaded exporter plugins (by plugin name; the first
/// plugin that declares a name writes it).
pub fn formats(glint: &Glint) -> Vec<Offered> {
    let mut out: Vec<Offered> = Vec::new();
    for p in glint.plugins.list() {
        for f in &p.info.formats {
            if out.iter().any(|o| o.name == f.name) {
                tracing::warn!(plugin = p.info.name, format = f.name, "another exporter writes this format already");
                continue;
            }
            out.push(Offered {
                name: f.name.clone(),
                mime: f.mime.clone(),
                extension: f.extension.clone(),
                description: f.description.clone(),
                multiple: f.multiple,
                plugin: p.info.name.clone(),
            });
        }
    }
    out
}

/// The format called `name` and the plugin build that writes it, or an
/// error naming the formats there are.
pub fn find(glint: &Glint, name: &str) -> Result<(ExportFormat, Arc<Plugin>), GlintError> {
    for p in glint.plugins.list() {
        if let Some(f) = p.info.formats.iter().find(|f| f.name == name) {
            return Ok((f.clone(), p));
        }
    }
    let known: Vec<String> = formats(glint).into_iter().map(|o| o.name).collect();
    Err(GlintError::new(
        ErrorKind::InvalidInput,
        format!(
            "no exporter writes {name:?}; the formats are: {}",
            if known.is_empty() { "none (no exporter plugin is loaded)".to_string() } else { known.join(", ") }
        ),
    ))
}

/// The fonts reports embed subsets of: the files in `$GLINT_PDF_FONTS`
/// (':'-separated), else DejaVu Sans (Latin, Greek, Cyrillic; Debian's
/// fonts-dejavu-core) then Droid Sans Fallback (Chinese, Japanese, Korean;
/// fonts-droid-fallback). Read once; missing files are skipped.
pub fn fonts() -> &'static [Vec<u8>] {
    static FONTS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FONTS.get_or_init(|| {
        let paths: Vec<PathBuf> = match std::env::var("GLINT_PDF_FONTS") {
            Ok(list) if !list.is_empty() => list.split(':').map(PathBuf::from).collect(),
            _ => ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"]
                .map(PathBuf::from)
                .to_vec(),
        };
        paths
            .iter()
            .filter_map(|p| match std::fs::read(p) {
                Ok(bytes) => Some(bytes),
                Err(e) => {
                    tracing::warn!("report font {} cannot be read ({e}); scripts/setup.sh installs the defaults", p.display());
                    None
                }
            })
            .collect()
    })
}

/// One result to export, and the image it ran on (drawn on for formats that render).
pub struct Source {
    pub result: ExportedResult,
    pub image: Option<Vec<u8>>,
}

/// Writes `sources` as `format`: draws the annotated images and adds the
/// fonts when the format renders, then calls the exporter.
pub fn write(glint: &Glint, format: &str, site_title: &str, sources: Vec<Source>) -> Result<(ExportFormat, ExportDocument), GlintError> {
    let (f, plugin) = find(glint, format)?;
    if sources.len() > 1 && !f.multiple {
        return Err(GlintError::new(ErrorKind::InvalidInput, format!("{format} holds one result per document")));
    }
    let report = report(glint, site_title, sources, f.needs_rendering)?;
    let document = glint.plugins.export_on(&plugin, &f.name, &report)?;
    Ok((f, document))
}

/// The report of `sources`, rendered (annotated images, fonts) when `render`.
pub fn report(glint: &Glint, site_title: &str, sources: Vec<Source>, render: bool) -> Result<ExportReport, GlintError> {
    let mut results = Vec::with_capacity(sources.len());
    for Source { mut result, image } in sources {
        if render && let Some(image) = image {
            let detections: Vec<DetectionOut> = result.detections.iter().map(DetectionOut::from).collect();
            result.annotated = Some(Image { bytes: glint.annotate(&image, &detections)?, mime: "image/png".into() });
        }
        results.push(result);
    }
    let fonts = if render { fonts().to_vec() } else { Vec::new() };
    if render && fonts.is_empty() {
        return Err(GlintError::new(ErrorKind::Config, "no report font could be read: install fonts-dejavu-core and fonts-droid-fallback, or set GLINT_PDF_FONTS"));
    }
    Ok(ExportReport { site_title: site_title.to_string(), generated_ms: glint_common::clock::now_ms(), results, fonts })
}

/// The file name an image goes by in a document: its sha256 prefix and type.
fn file_name(sha256: &str, image: Option<&[u8]>) -> String {
    let ext = match image.and_then(|b| image::guess_format(b).ok()) {
        Some(image::ImageFormat::Jpeg) => "jpg",
        Some(image::ImageFormat::WebP) => "webp",
        _ => "png",
    };
    format!("{}.{ext}", &sha256[..sha256.len().min(16)])
}

/// A result of `glint detect` (no account, no audit: the operator's tool).
pub fn from_run(r: &RunResult, prompt: &str, image: Vec<u8>) -> Source {
    let result = ExportedResult {
        id: r.cache_key[..16.min(r.cache_key.len())].to_string(),
        time_ms: glint_common::clock::now_ms(),
        // No account: the operator ran it (the PDF would say "guest" for an empty user).
        user: "glint detect (command line)".into(),
        session: String::new(),
        prompt: prompt.to_string(),
        model_version: r.model.version.clone(),
        plugin_sha256: r.plugin.sha256.clone(),
        experiment: None,
        file_name: file_name(&r.image_sha256, Some(&image)),
        width: r.response.width,
        height: r.response.height,
        annotated: None,
        detections: r.response.detections.clone(),
        phrases: r.response.phrases.iter().map(|p| note(PhraseOut::from(p))).collect(),
        audit: Vec::new(),
        rating: None,
        comment: None,
    };
    Source { result, image: Some(image) }
}

fn note(p: PhraseOut) -> PhraseNote {
    PhraseNote { phrase: p.phrase, label: p.label, method: p.method, similarity: p.similarity }
}

/// A recorded result with what it was run on, its details and rating;
/// `None` when there is no such result.
pub async fn from_store(store: &Store, id: &str) -> Result<Option<(String, Source)>, GlintError> {
    let db = |e: glint_store::StoreError| GlintError::new(ErrorKind::Backend, format!("the database failed: {e}"));
    let Some(row) = store.result(id).await.map_err(db)? else { return Ok(None) };
    let details = store.result_details(id).await.map_err(db)?.unwrap_or_default();
    let image = store.image(&row.image_sha256).await.map_err(db)?;
    let rating = store.rating_of(id).await.map_err(db)?;
    let detections: Vec<DetectionOut> = serde_json::from_str(&row.detections).unwrap_or_default();
    let phrases: Vec<PhraseOut> = serde_json::from_value(details.phrases).unwrap_or_default();
    let audit: Vec<serde_json::Value> = serde_json::from_value(details.audit).unwrap_or_default();
    let (width, height) = match (details.width, image.as_deref().and_then(|b| image::load_from_memory(b).ok())) {
        (0, Some(img)) => (img.width(), img.height()),
        _ => (details.width, details.height),
    };
    let result = ExportedResult {
        id: row.id.clone(),
        time_ms: row.time_ms,
        user: row.user_name.clone(),
        session: row.session_id.clone(),
        prompt: row.prompt.clone(),
        model_version: row.model_version.clone(),
        plugin_sha256: details.plugin_sha256,
        experiment: Some(row.experiment.clone()).filter(|e| !e.is_empty()),
        file_name: file_name(&row.image_sha256, image.as_deref()),
        width,
        height,
        annotated: None,
        detections: detections
            .into_iter()
            .map(|d| Detection {
                phrase: d.phrase,
                label: d.label,
                score: d.score,
                box_: Bbox { x0: d.bbox.x0, y0: d.bbox.y0, x1: d.bbox.x1, y1: d.bbox.y1 },
                span: (d.span[0], d.span[1]),
            })
            .collect(),
        phrases: phrases.into_iter().map(note).collect(),
        audit: audit
            .iter()
            .map(|a| AuditNote {
                check: a["check"].as_str().unwrap_or("").to_string(),
                verdict: a["verdict"].as_str().unwrap_or("").to_string(),
                reasons: a["reasons"].as_array().map(|r| r.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default(),
            })
            .collect(),
        rating: rating.as_ref().map(|(r, _)| *r),
        comment: rating.map(|(_, c)| c),
    };
    Ok(Some((row.user_name, Source { result, image })))
}
