//! Draws detections onto the image: a box per detection and a
//! "phrase · score" label (the model label where the font lacks the glyphs).

use std::path::Path;

use ab_glyph::{Font, FontArc, PxScale, ScaleFont, point};
use anyhow::Context;
use image::{Rgb, RgbImage};

use crate::detection::DetectionOut;

const PALETTE: [[u8; 3]; 6] = [[230, 25, 75], [60, 180, 75], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240]];

/// `$GLINT_FONT`, else Debian's DejaVu Sans (package fonts-dejavu-core).
pub fn load_font() -> Option<FontArc> {
    let path = std::env::var_os("GLINT_FONT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf".into());
    let bytes = std::fs::read(&path).ok()?;
    FontArc::try_from_vec(bytes).ok()
}

/// Decodes `image` and draws `detections` on it.
pub fn annotate(image: &[u8], detections: &[DetectionOut], font: Option<&FontArc>) -> anyhow::Result<RgbImage> {
    let mut img = image::load_from_memory(image).context("cannot decode the image to draw on")?.into_rgb8();
    let thickness = (img.width().min(img.height()) / 200).max(2);
    let mut phrases: Vec<&str> = Vec::new();
    for d in detections {
        let idx = phrases.iter().position(|p| *p == d.phrase).unwrap_or_else(|| {
            phrases.push(&d.phrase);
            phrases.len() - 1
        });
        let color = Rgb(PALETTE[idx % PALETTE.len()]);
        let (x0, y0, x1, y1) = (d.bbox.x0 as i64, d.bbox.y0 as i64, d.bbox.x1 as i64, d.bbox.y1 as i64);
        for t in 0..thickness as i64 {
            rect_outline(&mut img, x0 + t, y0 + t, x1 - t, y1 - t, color);
        }
        if let Some(font) = font {
            let text = format!("{} · {:.2}", d.phrase, d.score);
            let text = if has_glyphs(font, &text) { text } else { format!("{} · {:.2}", d.label, d.score) };
            label(&mut img, font, &text, x0, y0, color);
        }
    }
    Ok(img)
}

/// `img` as PNG bytes, compressed for speed (it is checked, not stored).
pub fn encode_png(img: &RgbImage) -> anyhow::Result<Vec<u8>> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let mut out = Vec::new();
    let encoder = PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Sub);
    img.write_with_encoder(encoder).context("cannot encode the annotated image")?;
    Ok(out)
}

/// Writes `img` as PNG.
pub fn save_png(img: &RgbImage, path: &Path) -> anyhow::Result<()> {
    img.save_with_format(path, image::ImageFormat::Png).with_context(|| format!("cannot write {}", path.display()))
}

fn put(img: &mut RgbImage, x: i64, y: i64, c: Rgb<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, c);
    }
}

fn rect_outline(img: &mut RgbImage, x0: i64, y0: i64, x1: i64, y1: i64, c: Rgb<u8>) {
    if x1 < x0 || y1 < y0 {
        return;
    }
    for x in x0..=x1 {
        put(img, x, y0, c);
        put(img, x, y1, c);
    }
    for y in y0..=y1 {
        put(img, x0, y, c);
        put(img, x1, y, c);
    }
}

fn has_glyphs(font: &FontArc, text: &str) -> bool {
    text.chars().filter(|c| !c.is_whitespace()).all(|c| font.glyph_id(c).0 != 0)
}

/// A filled label with white text just above (or inside) the box's top-left.
fn label(img: &mut RgbImage, font: &FontArc, text: &str, x: i64, y: i64, bg: Rgb<u8>) {
    let px = (img.height() as f32 / 30.0).clamp(12.0, 32.0);
    let scaled = font.as_scaled(PxScale::from(px));
    let width: f32 = text.chars().map(|c| scaled.h_advance(font.glyph_id(c))).sum();
    let height = scaled.height().ceil() as i64 + 4;
    let top = if y - height >= 0 { y - height } else { y };
    for yy in top..top + height {
        for xx in x..x + width.ceil() as i64 + 6 {
            put(img, xx, yy, bg);
        }
    }
    let mut caret = x as f32 + 3.0;
    let baseline = top as f32 + 2.0 + scaled.ascent();
    for c in text.chars() {
        let id = font.glyph_id(c);
        let glyph = id.with_scale_and_position(PxScale::from(px), point(caret, baseline));
        caret += scaled.h_advance(id);
        if let Some(outline) = font.outline_glyph(glyph) {
            let b = outline.px_bounds();
            outline.draw(|gx, gy, cov| {
                let (xx, yy) = (b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64);
                if xx >= 0 && yy >= 0 && (xx as u32) < img.width() && (yy as u32) < img.height() {
                    let p = img.get_pixel_mut(xx as u32, yy as u32);
                    for k in 0..3 {
                        p.0[k] = (p.0[k] as f32 * (1.0 - cov) + 255.0 * cov) as u8;
                    }
                }
            });
        }
    }
}
