//! The image check's pre- and post-processing for Yahoo's open_nsfw
//! (ResNet-50): resize to 256×256, centre crop 224×224, RGB → BGR minus the
//! Caffe means (104, 117, 123), NHWC float32; the output is (P(sfw), P(nsfw)).

use glint_detect_core::image_prep::decode;
use glint_detect_core::{Error, Inference, Tensor, TensorData};
use image::imageops::{self, FilterType};

/// The graph's registry name, in model version `audit-v1`.
pub const GRAPH: &str = "audit-v1/nsfw";
const INPUT: &str = "input";
const OUTPUT: &str = "outputs";
const SIDE: u32 = 256;
const CROP: u32 = 224;
const MEAN_BGR: [f32; 3] = [104.0, 117.0, 123.0];

/// The model input for encoded image `bytes` (JPEG, PNG or WebP).
pub fn input_tensor(bytes: &[u8], max_pixels: u64) -> Result<Tensor, Error> {
    let rgb = decode(bytes, max_pixels)?;
    let resized = imageops::resize(&rgb, SIDE, SIDE, FilterType::Triangle);
    let offset = (SIDE - CROP) / 2;
    let crop = imageops::crop_imm(&resized, offset, offset, CROP, CROP).to_image();
    let mut data = Vec::with_capacity((CROP * CROP * 3) as usize);
    for p in crop.pixels() {
        let [r, g, b] = p.0;
        data.extend([b as f32 - MEAN_BGR[0], g as f32 - MEAN_BGR[1], r as f32 - MEAN_BGR[2]]);
    }
    Ok(Tensor::new(INPUT, vec![1, CROP, CROP, 3], TensorData::F32(data)))
}

/// P(nsfw) of an encoded image, in [0, 1].
pub fn score(nn: &mut dyn Inference, bytes: &[u8], max_pixels: u64) -> Result<f32, Error> {
    let input = input_tensor(bytes, max_pixels)?;
    let mut outputs = nn.compute(GRAPH, vec![input])?;
    let probs = glint_detect_core::tensor::take(&mut outputs, OUTPUT)?.to_f32()?;
    match probs.as_slice() {
        [_, nsfw] if nsfw.is_finite() => Ok(nsfw.clamp(0.0, 1.0)),
        other => Err(Error::inference(format!("open_nsfw answered {} values, expected 2 probabilities", other.len()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_bgr_minus_mean() {
        let mut img = image::RgbImage::new(300, 200);
        for p in img.pixels_mut() {
            p.0 = [200, 100, 50];
        }
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let t = input_tensor(&png, 1 << 24).unwrap();
        assert_eq!(t.dims, vec![1, 224, 224, 3]);
        let TensorData::F32(v) = t.data else { panic!("f32 expected") };
        assert_eq!(&v[..3], &[50.0 - 104.0, 100.0 - 117.0, 200.0 - 123.0]);
    }

    #[test]
    fn bad_bytes_are_an_error() {
        assert!(input_tensor(b"not an image", 1 << 24).is_err());
    }
}
