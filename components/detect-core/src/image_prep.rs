//! Image decoding under limits, and the image → tensor step.

use std::io::Cursor;

use image::imageops::{self, FilterType};
use image::{ImageFormat, ImageReader, RgbImage};

use crate::manifest::{DType, Layout, Preprocess, ResizeFilter};
use crate::{Error, ErrorCode, TensorData};

/// Decodes JPEG, PNG or WebP bytes to RGB. The header is read first so an
/// image over `max_pixels` is refused before any pixel memory is allocated.
pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<RgbImage, Error> {
    if bytes.is_empty() {
        return Err(Error::new(ErrorCode::InvalidImage, "the image is empty (0 bytes)"));
    }
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => f,
        Ok(other) => {
            return Err(Error::new(
                ErrorCode::InvalidImage,
                format!(
                    "{} images are not accepted: send JPEG, PNG or WebP",
                    other.extensions_str().first().map_or_else(|| format!("{other:?}"), |e| e.to_uppercase())
                ),
            ));
        }
        Err(_) => {
            let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
            return Err(Error::new(
                ErrorCode::InvalidImage,
                format!("not a JPEG, PNG or WebP image (first bytes: {})", head.join(" ")),
            ));
        }
    };
    let name = format_name(format);
    let reader = || ImageReader::with_format(Cursor::new(bytes), format);
    if format == ImageFormat::Jpeg && !jpeg_has_end(bytes) {
        return Err(Error::new(
            ErrorCode::InvalidImage,
            "the JPEG is truncated: no end-of-image marker after its last scan",
        ));
    }
    // PNG: read IHDR directly; the png decoder refuses to even open an image
    // whose buffer would not fit a 32-bit address space, with a vaguer error.
    let (w, h) = match png_dimensions(bytes).filter(|_| format == ImageFormat::Png) {
        Some(d) => d,
        None => {
            let mut header = reader();
            header.no_limits(); // reads the header only; the pixel limit is checked below
            header.into_dimensions().map_err(|e| too_large_or_invalid(e, name, "header"))?
        }
    };
    let pixels = w as u64 * h as u64;
    if pixels > max_pixels {
        return Err(Error::new(
            ErrorCode::ImageTooLarge,
            format!("image is {w}x{h} = {pixels} pixels, the limit is {max_pixels} pixels"),
        ));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    // RGBA16 is the widest decode buffer the supported formats produce.
    limits.max_alloc = Some(pixels.saturating_mul(8).saturating_add(1 << 20));
    let mut r = reader();
    r.limits(limits);
    let img = r.decode().map_err(|e| too_large_or_invalid(e, name, "image"))?;
    Ok(img.into_rgb8())
}

fn too_large_or_invalid(e: image::ImageError, name: &str, part: &str) -> Error {
    match e {
        image::ImageError::Limits(l) => {
            Error::new(ErrorCode::ImageTooLarge, format!("the {name} image needs more memory than allowed: {l}"))
        }
        e => Error::new(ErrorCode::InvalidImage, format!("cannot decode the {name} {part}: {e}")),
    }
}

/// Width and height from a PNG's IHDR chunk (always the first chunk).
fn png_dimensions(b: &[u8]) -> Option<(u32, u32)> {
    if b.len() < 24 || &b[12..16] != b"IHDR" {
        return None;
    }
    let be = |i: usize| u32::from_be_bytes(b[i..i + 4].try_into().expect("4 bytes"));
    Some((be(16), be(20)))
}

/// JPEG decoders fill a cut-off scan with grey instead of failing, so check
/// that an end-of-image marker (FF D9) follows the last start-of-scan (FF DA).
/// Entropy-coded data cannot contain either (0xFF is stuffed as FF 00).
fn jpeg_has_end(b: &[u8]) -> bool {
    match b.windows(2).rposition(|w| w == [0xFF, 0xDA]) {
        Some(sos) => b[sos..].windows(2).any(|w| w == [0xFF, 0xD9]),
        None => false,
    }
}

fn format_name(f: ImageFormat) -> &'static str {
    match f {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::WebP => "WebP",
        _ => "image",
    }
}

/// The model input built from an image, plus how to map boxes back.
pub struct Prepared {
    pub dims: Vec<u32>,
    pub data: TensorData,
    /// Width and height of the (padded) source area the model saw, in
    /// original pixels: normalised model boxes scale by these.
    pub source_w: f32,
    pub source_h: f32,
}

/// Resizes and lays out `img` as `p` says.
pub fn prepare(img: &RgbImage, p: &Preprocess) -> Prepared {
    let (w, h) = img.dimensions();
    let padded;
    let src = if p.pad_to_square && w != h {
        let side = w.max(h);
        let mut canvas = RgbImage::new(side, side);
        imageops::replace(&mut canvas, img, 0, 0);
        padded = canvas;
        &padded
    } else {
        img
    };
    let (sw, sh) = src.dimensions();
    let resized;
    let input = match p.resize {
        Some([rw, rh]) if (rw, rh) != (sw, sh) => {
            resized = match p.resize_filter {
                ResizeFilter::Triangle => imageops::resize(src, rw, rh, FilterType::Triangle),
                ResizeFilter::TfBilinear => resize_tf_bilinear(src, rw, rh),
            };
            &resized
        }
        _ => src,
    };
    let (iw, ih) = input.dimensions();
    let dims = match p.layout {
        Layout::Nhwc => vec![1, ih, iw, 3],
        Layout::Nchw => vec![1, 3, ih, iw],
    };
    let data = match (p.dtype, p.layout) {
        (DType::U8, Layout::Nhwc) => TensorData::U8(input.as_raw().clone()),
        (DType::U8, Layout::Nchw) => TensorData::U8(planar(input, |_, v| v)),
        (DType::F32, layout) => {
            let norm = |c: usize, v: u8| (v as f32 / p.scale - p.mean[c]) / p.std[c];
            match layout {
                Layout::Nhwc => TensorData::F32(
                    input.as_raw().iter().enumerate().map(|(i, v)| norm(i % 3, *v)).collect(),
                ),
                Layout::Nchw => TensorData::F32(planar(input, norm)),
            }
        }
    };
    Prepared { dims, data, source_w: sw as f32, source_h: sh as f32 }
}

/// TensorFlow 1 `resize_bilinear` with `align_corners=False`: the source
/// coordinate of output pixel `d` is `d * in / out`, neighbours are blended
/// linearly, nothing is averaged over a footprint. Integer arithmetic with
/// 11-bit weights (within one grey level of float), rounded to u8.
pub fn resize_tf_bilinear(src: &RgbImage, w: u32, h: u32) -> RgbImage {
    const ONE: u32 = 1 << 11;
    let (sw, sh) = src.dimensions();
    let taps = |out: u32, inp: u32| -> Vec<(usize, usize, u32)> {
        let scale = inp as f64 / out as f64;
        (0..out)
            .map(|d| {
                let s = d as f64 * scale;
                let lo = (s.floor() as u32).min(inp - 1);
                let hi = (lo + 1).min(inp - 1);
                (lo as usize, hi as usize, ((s - lo as f64) * ONE as f64) as u32)
            })
            .collect()
    };
    let (xs, ys) = (taps(w, sw), taps(h, sh));
    let raw = src.as_raw();
    let stride = sw as usize * 3;
    let mut out = Vec::with_capacity(w as usize * h as usize * 3);
    for &(y0, y1, dy) in &ys {
        let (r0, r1) = (&raw[y0 * stride..(y0 + 1) * stride], &raw[y1 * stride..(y1 + 1) * stride]);
        for &(x0, x1, dx) in &xs {
            let (i0, i1) = (x0 * 3, x1 * 3);
            for c in 0..3 {
                let top = r0[i0 + c] as u32 * (ONE - dx) + r0[i1 + c] as u32 * dx;
                let bottom = r1[i0 + c] as u32 * (ONE - dx) + r1[i1 + c] as u32 * dx;
                let v = (top * (ONE - dy) + bottom * dy + (ONE * ONE / 2)) >> 22;
                out.push(v.min(255) as u8);
            }
        }
    }
    RgbImage::from_raw(w, h, out).expect("w * h * 3 values")
}

/// Channel-planar (CHW) copy of an RGB image, mapping each value.
fn planar<T: Copy + Default>(img: &RgbImage, f: impl Fn(usize, u8) -> T) -> Vec<T> {
    let plane = (img.width() * img.height()) as usize;
    let mut out = vec![T::default(); plane * 3];
    for (i, px) in img.as_raw().chunks_exact(3).enumerate() {
        for c in 0..3 {
            out[c * plane + i] = f(c, px[c]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        RgbImage::new(w, h).write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn rejects_non_images_and_oversized() {
        assert_eq!(decode(b"hello world", 100).unwrap_err().code, ErrorCode::InvalidImage);
        assert_eq!(decode(&[], 100).unwrap_err().code, ErrorCode::InvalidImage);
        let e = decode(&png(20, 10), 100).unwrap_err();
        assert_eq!(e.code, ErrorCode::ImageTooLarge);
        assert!(e.message.contains("20x10"), "{}", e.message);
        assert_eq!(decode(&png(20, 10), 200).unwrap().dimensions(), (20, 10));
    }

    #[test]
    fn truncated_jpeg_is_an_error() {
        let img = RgbImage::from_fn(64, 64, |x, y| image::Rgb([x as u8 * 4, y as u8 * 4, 7]));
        let mut jpeg = Vec::new();
        img.write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg).unwrap();
        assert_eq!(decode(&jpeg, 1 << 20).unwrap().dimensions(), (64, 64));
        let e = decode(&jpeg[..jpeg.len() - 40], 1 << 20).unwrap_err();
        assert!(e.message.contains("truncated"), "{}", e.message);
    }

    #[test]
    fn truncated_png_is_an_error() {
        let bytes = png(64, 64);
        let e = decode(&bytes[..bytes.len() / 2], 1 << 20).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidImage);
    }

    #[test]
    fn prepare_layouts() {
        let mut img = RgbImage::new(2, 1);
        img.put_pixel(0, 0, image::Rgb([10, 20, 30]));
        img.put_pixel(1, 0, image::Rgb([40, 50, 60]));
        let p = Preprocess { layout: Layout::Nchw, dtype: DType::U8, ..Default::default() };
        let out = prepare(&img, &p);
        assert_eq!(out.dims, vec![1, 3, 1, 2]);
        assert_eq!(out.data, TensorData::U8(vec![10, 40, 20, 50, 30, 60]));
        let p = Preprocess { dtype: DType::F32, scale: 10.0, mean: [1.0, 2.0, 3.0], std: [1.0, 1.0, 2.0], ..Default::default() };
        let out = prepare(&img, &p);
        assert_eq!(out.data, TensorData::F32(vec![0.0, 0.0, 0.0, 3.0, 3.0, 1.5]));
    }

    #[test]
    fn tf_bilinear_samples_at_d_times_scale() {
        let img = RgbImage::from_fn(4, 1, |x, _| image::Rgb([(x * 60) as u8, 0, 255]));
        // 4 -> 2: samples at x = 0 and x = 2 exactly (no averaging).
        assert_eq!(resize_tf_bilinear(&img, 2, 1).as_raw(), &vec![0, 0, 255, 120, 0, 255]);
        // 4 -> 8: x = 0.5 blends pixels 0 and 1; the last samples clamp.
        let up = resize_tf_bilinear(&img, 8, 1);
        assert_eq!(up.get_pixel(1, 0).0[0], 30);
        assert_eq!(up.get_pixel(7, 0).0[0], 180);
    }

    #[test]
    fn pad_to_square_keeps_source_scale() {
        let img = RgbImage::new(40, 20);
        let p = Preprocess { resize: Some([10, 10]), pad_to_square: true, ..Default::default() };
        let out = prepare(&img, &p);
        assert_eq!(out.dims, vec![1, 10, 10, 3]);
        assert_eq!((out.source_w, out.source_h), (40.0, 40.0));
    }
}
