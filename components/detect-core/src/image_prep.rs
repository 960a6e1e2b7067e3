//! Image decoding under limits, and the image → tensor step.

use std::io::Cursor;

use image::imageops::{self, FilterType};
use image::{ImageFormat, ImageReader, RgbImage};

use crate::manifest::{DType, Layout, Preprocess};
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
                format!("{other:?} images are not accepted: send JPEG, PNG or WebP"),
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
    let (w, h) = reader()
        .into_dimensions()
        .map_err(|e| Error::new(ErrorCode::InvalidImage, format!("cannot read the {name} header: {e}")))?;
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
    let img = r
        .decode()
        .map_err(|e| Error::new(ErrorCode::InvalidImage, format!("cannot decode the {name} image: {e}")))?;
    Ok(img.into_rgb8())
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
            resized = imageops::resize(src, rw, rh, FilterType::Triangle);
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
    fn pad_to_square_keeps_source_scale() {
        let img = RgbImage::new(40, 20);
        let p = Preprocess { resize: Some([10, 10]), pad_to_square: true, ..Default::default() };
        let out = prepare(&img, &p);
        assert_eq!(out.dims, vec![1, 10, 10, 3]);
        assert_eq!((out.source_w, out.source_h), (40.0, 40.0));
    }
}
