//! `glint detect`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use glint::{Config, DetectInput, Glint, draw};

#[derive(Args)]
pub struct DetectArgs {
    /// JPEG, PNG or WebP file.
    #[arg(long)]
    image: PathBuf,
    /// Phrases separated by " . ", e.g. "a cat . a coffee mug".
    #[arg(long)]
    prompt: String,
    /// Drop boxes scoring below this (0..1).
    #[arg(long, default_value_t = 0.3)]
    threshold: f32,
    /// Model version (see `glint models list`).
    #[arg(long)]
    model: Option<String>,
    /// Also write the image with labelled boxes to this PNG file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Largest accepted image, in pixels (width x height).
    #[arg(long)]
    max_pixels: Option<u64>,
    /// Print JSON on one line.
    #[arg(long)]
    compact: bool,
    /// Also write a document of the result to this file (a PDF report, COCO JSON…).
    #[arg(long)]
    export: Option<PathBuf>,
    /// The export format (default: from --export's extension: .pdf → pdf, .json → coco; see `glint plugins list`).
    #[arg(long)]
    format: Option<String>,
}

pub fn run(mut config: Config, args: DetectArgs) -> anyhow::Result<()> {
    if let Some(p) = args.max_pixels {
        config.limits.max_pixels = p;
    }
    // One detection: load only the graphs its prompt uses, and no plugin
    // but the detector (and the exporters, to write a document).
    config.models.lazy_graphs = true;
    if args.export.is_none() {
        config.plugins_only = Some(vec![config.detect_plugin.clone()]);
    }
    let image = std::fs::read(&args.image).with_context(|| format!("cannot read {}", args.image.display()))?;
    let glint = Glint::open(config)?;
    let input = DetectInput { image, prompt: args.prompt, threshold: args.threshold, model: args.model };
    let (output, ran) = glint.detect_run(&input)?;
    if let Some(path) = &args.export {
        let format = match (&args.format, path.extension().and_then(|e| e.to_str())) {
            (Some(f), _) => f.clone(),
            (None, Some("pdf")) => "pdf".into(),
            (None, Some("json")) => "coco".into(),
            (None, ext) => anyhow::bail!(
                "cannot tell the export format from {:?}: give --format (one of {})",
                ext.unwrap_or(""),
                glint::export::formats(&glint).iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        };
        let source = glint::export::from_run(&ran, &input.prompt, input.image.clone());
        let (_, document) = glint::export::write(&glint, &format, "", vec![source])?;
        std::fs::write(path, &document.bytes).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("glint: wrote {} ({format}, {} bytes)", path.display(), document.bytes.len());
    }
    if let Some(out) = &args.out {
        let font = draw::load_font();
        if font.is_none() {
            tracing::warn!("no font found (install fonts-dejavu-core or set GLINT_FONT): drawing boxes without labels");
        }
        let img = draw::annotate(&input.image, &output.detections, font.as_ref())?;
        draw::save_png(&img, out)?;
    }
    let json = if args.compact { serde_json::to_string(&output)? } else { serde_json::to_string_pretty(&output)? };
    println!("{json}");
    Ok(())
}
