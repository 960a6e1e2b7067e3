//! The pictures of an image, for the image check. A still image is one
//! frame, decoded by detect-core under its pixel limit. An animated GIF, PNG
//! (APNG) or WebP is every frame of its animation, so that nothing can hide
//! behind a harmless first frame — which is all a still decoder shows.
//! Animations are read one frame at a time, within [`MAX_FRAMES`] frames and
//! `max_pixels` pixels in all.

use std::io::Cursor;

use glint_detect_core::image_prep::decode;
use glint_detect_core::{Error, ErrorCode};
use image::codecs::gif::GifDecoder;
use image::codecs::png::PngDecoder;
use image::codecs::webp::WebPDecoder;
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat, RgbImage};

/// The most frames of an animation the check reads; a longer one is refused.
pub const MAX_FRAMES: usize = 64;

/// Calls `each` with every frame of the encoded image `bytes` (JPEG, PNG,
/// WebP, or GIF), first to last; stops at the first error.
pub fn for_each_frame(
    bytes: &[u8],
    max_pixels: u64,
    mut each: impl FnMut(RgbImage) -> Result<(), Error>,
) -> Result<(), Error> {
    match image::guess_format(bytes) {
        Ok(ImageFormat::Gif) => {
            let mut gif = GifDecoder::new(Cursor::new(bytes)).map_err(|e| invalid("GIF", e))?;
            gif.set_limits(limits(max_pixels)).map_err(|e| too_large("GIF", e))?;
            return animation(gif.dimensions(), gif, "GIF", max_pixels, each);
        }
        // A PNG or WebP the animation decoders cannot open falls through to
        // the still decoder, whose errors say more.
        Ok(ImageFormat::Png) => {
            if let Ok(mut png) = PngDecoder::new(Cursor::new(bytes))
                && png.is_apng().unwrap_or(false)
            {
                png.set_limits(limits(max_pixels)).map_err(|e| too_large("PNG", e))?;
                let canvas = png.dimensions();
                let apng = png.apng().map_err(|e| invalid("PNG", e))?;
                return animation(canvas, apng, "PNG", max_pixels, each);
            }
        }
        Ok(ImageFormat::WebP) => {
            if let Ok(mut webp) = WebPDecoder::new(Cursor::new(bytes))
                && webp.has_animation()
            {
                webp.set_limits(limits(max_pixels)).map_err(|e| too_large("WebP", e))?;
                return animation(webp.dimensions(), webp, "WebP", max_pixels, each);
            }
        }
        _ => {}
    }
    each(decode(bytes, max_pixels)?)
}

/// The frames of an animation whose canvas is `(w, h)`.
fn animation<'a>(
    (w, h): (u32, u32),
    decoder: impl AnimationDecoder<'a>,
    name: &str,
    max_pixels: u64,
    mut each: impl FnMut(RgbImage) -> Result<(), Error>,
) -> Result<(), Error> {
    let canvas = w as u64 * h as u64;
    if canvas == 0 {
        return Err(Error::new(ErrorCode::InvalidImage, format!("the {name} image is {w}x{h} pixels")));
    }
    if canvas > max_pixels {
        return Err(Error::new(
            ErrorCode::ImageTooLarge,
            format!("the {name} image is {w}x{h} = {canvas} pixels, the limit is {max_pixels} pixels"),
        ));
    }
    let most = MAX_FRAMES.min((max_pixels / canvas) as usize);
    for (n, frame) in decoder.into_frames().enumerate() {
        if n == most {
            return Err(Error::new(
                ErrorCode::ImageTooLarge,
                format!(
                    "the {name} image has more than {most} frames of {w}x{h}: the audit reads at most {MAX_FRAMES} \
                     frames and {max_pixels} pixels in all"
                ),
            ));
        }
        let frame = frame.map_err(|e| match e {
            image::ImageError::Limits(_) => too_large(name, e),
            e => invalid(name, e),
        })?;
        each(DynamicImage::ImageRgba8(frame.into_buffer()).into_rgb8())?;
    }
    Ok(())
}

/// What a decoder may allocate: one RGBA frame of `max_pixels` (and a
/// second for compositing). A frame whose own header declares more than its
/// canvas is refused before its buffer exists: found by fuzzing
/// (scripts/fuzz.sh audit_frames), a 55-byte GIF with a 243x6 canvas and one
/// frame declared 65528x64761 made the decoder ask for gigabytes.
fn limits(max_pixels: u64) -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(max_pixels.saturating_mul(8));
    limits
}

fn too_large(name: &str, e: image::ImageError) -> Error {
    Error::new(ErrorCode::ImageTooLarge, format!("the {name} image is too large to check: {e}"))
}

fn invalid(name: &str, e: image::ImageError) -> Error {
    Error::new(ErrorCode::InvalidImage, format!("cannot decode the {name} image: {e}"))
}

/// An animated GIF of `side`×`side` frames, one per colour (for tests here and in `nsfw`).
#[cfg(test)]
pub(crate) fn test_gif(colours: &[[u8; 3]], side: u32) -> Vec<u8> {
    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame, Rgba, RgbaImage};
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        for c in colours {
            let img = RgbaImage::from_pixel(side, side, Rgba([c[0], c[1], c[2], 255]));
            enc.encode_frame(Frame::from_parts(img, 0, 0, Delay::from_numer_denom_ms(100, 1))).unwrap();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    /// Found by fuzzing: a 243x6 GIF whose one frame declares 65528x64761.
    const FRAME_BOMB: [u8; 55] = [
        0x47, 0x49, 0x46, 0x38, 0x37, 0x61, 0xf3, 0x00, 0x06, 0x00, 0x81, 0x00, 0x00, 0xc8, 0x1e, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0xf8, 0xff, 0xf9, 0xfc, 0x00, 0x08, 0x0e, 0x00,
        0x01, 0x08, 0x1c, 0x48, 0xb0, 0xa0, 0xc1, 0x83, 0x08, 0x13, 0x0e, 0x89, 0x50, 0x0c, 0x08, 0x00, 0x3b,
    ];

    #[test]
    fn a_frame_larger_than_its_canvas_is_refused_before_it_is_allocated() {
        let e = for_each_frame(&FRAME_BOMB, 40_000_000, |_| Ok(())).unwrap_err();
        assert!(matches!(e.code, ErrorCode::ImageTooLarge | ErrorCode::InvalidImage), "{e:?}");
    }

    use super::*;
    use super::test_gif as gif;

    fn all(bytes: &[u8], max_pixels: u64) -> Result<Vec<RgbImage>, Error> {
        let mut frames = Vec::new();
        for_each_frame(bytes, max_pixels, |f| {
            frames.push(f);
            Ok(())
        })?;
        Ok(frames)
    }

    #[test]
    fn every_frame_of_a_gif_is_read() {
        let frames = all(&gif(&[[255, 0, 0], [0, 255, 0], [0, 0, 255]], 8), 1 << 20).unwrap();
        let firsts: Vec<[u8; 3]> = frames.iter().map(|f| f.get_pixel(0, 0).0).collect();
        assert_eq!(firsts, [[255, 0, 0], [0, 255, 0], [0, 0, 255]]);
    }

    #[test]
    fn a_still_image_is_one_frame() {
        let mut png = Vec::new();
        DynamicImage::ImageRgb8(RgbImage::new(4, 3)).write_to(&mut Cursor::new(&mut png), ImageFormat::Png).unwrap();
        let frames = all(&png, 1 << 20).unwrap();
        assert_eq!((frames.len(), frames[0].dimensions()), (1, (4, 3)));
    }

    #[test]
    fn animations_are_bounded() {
        // 10 frames of 8x8 = 640 pixels in all: a budget of 500 is exceeded at frame 8.
        let e = all(&gif(&[[1, 2, 3]; 10], 8), 500).unwrap_err();
        assert_eq!(e.code, ErrorCode::ImageTooLarge);
        assert!(e.message.contains("more than 7 frames"), "{}", e.message);
        let e = all(&gif(&[[1, 2, 3]; MAX_FRAMES + 1], 2), 1 << 20).unwrap_err();
        assert!(e.message.contains(&format!("more than {MAX_FRAMES} frames")), "{}", e.message);
        let e = all(&gif(&[[1, 2, 3]], 8), 63).unwrap_err();
        assert_eq!(e.code, ErrorCode::ImageTooLarge);
        assert!(all(&gif(&[[1, 2, 3]; MAX_FRAMES], 2), 1 << 20).is_ok());
    }

    #[test]
    fn broken_animations_are_invalid_images() {
        let mut bytes = gif(&[[1, 2, 3], [4, 5, 6]], 8);
        bytes.truncate(bytes.len() - 20);
        let e = all(&bytes, 1 << 20).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidImage, "{}", e.message);
        let e = all(b"GIF89a", 1 << 20).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidImage, "{}", e.message);
    }
}
