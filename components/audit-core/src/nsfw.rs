//! The image check's pre- and post-processing for Yahoo's open_nsfw
//! (ResNet-50): resize to 256×256, centre crop 224×224, RGB → BGR minus the
//! Caffe means (104, 117, 123), NHWC float32; the output is (P(sfw), P(nsfw)).
//! An animation is scored frame by frame ([`crate::frames`]); its score is
//! the highest.

use glint_detect_core::{Error, Inference, Tensor, TensorData};
use image::RgbImage;
use image::imageops::{self, FilterType};

use crate::frames::for_each_frame;

/// The graph's registry name, in model version `audit-v1`.
pub const GRAPH: &str = "audit-v1/nsfw";
const INPUT: &str = "input";
const OUTPUT: &str = "outputs";
const SIDE: u32 = 256;
const CROP: u32 = 224;
const MEAN_BGR: [f32; 3] = [104.0, 117.0, 123.0];

/// The model input for one picture.
pub fn input_tensor(rgb: &RgbImage) -> Tensor {
    let resized = imageops::resize(rgb, SIDE, SIDE, FilterType::Triangle);
    let offset = (SIDE - CROP) / 2;
    let crop = imageops::crop_imm(&resized, offset, offset, CROP, CROP).to_image();
    let mut data = Vec::with_capacity((CROP * CROP * 3) as usize);
    for p in crop.pixels() {
        let [r, g, b] = p.0;
        data.extend([b as f32 - MEAN_BGR[0], g as f32 - MEAN_BGR[1], r as f32 - MEAN_BGR[2]]);
    }
    Tensor::new(INPUT, vec![1, CROP, CROP, 3], TensorData::F32(data))
}

/// P(nsfw) of an encoded image (JPEG, PNG, WebP, GIF), in [0, 1]: of an
/// animation, its highest frame's.
pub fn score(nn: &mut dyn Inference, bytes: &[u8], max_pixels: u64) -> Result<f32, Error> {
    let mut highest = 0.0f32;
    for_each_frame(bytes, max_pixels, |rgb| {
        highest = highest.max(score_picture(nn, &rgb)?);
        Ok(())
    })?;
    Ok(highest)
}

fn score_picture(nn: &mut dyn Inference, rgb: &RgbImage) -> Result<f32, Error> {
    let mut outputs = nn.compute(GRAPH, vec![input_tensor(rgb)])?;
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
        let img = RgbImage::from_pixel(300, 200, image::Rgb([200, 100, 50]));
        let t = input_tensor(&img);
        assert_eq!(t.dims, vec![1, 224, 224, 3]);
        let TensorData::F32(v) = t.data else { panic!("f32 expected") };
        assert_eq!(&v[..3], &[50.0 - 104.0, 100.0 - 117.0, 200.0 - 123.0]);
    }

    /// Answers P(nsfw) = the picture's red level (red minus its mean, back to 0..1).
    struct RedMeter(usize);

    impl Inference for RedMeter {
        fn compute(&mut self, graph: &str, inputs: Vec<Tensor>) -> Result<Vec<Tensor>, Error> {
            assert_eq!(graph, GRAPH);
            self.0 += 1;
            let TensorData::F32(v) = &inputs[0].data else { panic!("f32 expected") };
            let red = (v[2] + MEAN_BGR[2]) / 255.0;
            Ok(vec![Tensor::new(OUTPUT, vec![1, 2], TensorData::F32(vec![1.0 - red, red]))])
        }
    }

    /// A 16×16 GIF with one frame per red level.
    fn gif(reds: &[u8]) -> Vec<u8> {
        let colours: Vec<[u8; 3]> = reds.iter().map(|r| [*r, 0, 0]).collect();
        crate::frames::test_gif(&colours, 16)
    }

    #[test]
    fn an_animation_scores_its_worst_frame() {
        let mut nn = RedMeter(0);
        let p = score(&mut nn, &gif(&[0, 255, 0]), 1 << 20).unwrap();
        assert_eq!((nn.0, p), (3, 1.0), "every frame runs; the middle one decides");
        let p = score(&mut RedMeter(0), &gif(&[0, 0]), 1 << 20).unwrap();
        assert_eq!(p, 0.0);
    }

    #[test]
    fn bad_bytes_are_an_error() {
        let mut nn = RedMeter(0);
        assert!(score(&mut nn, b"not an image", 1 << 24).is_err());
        assert_eq!(nn.0, 0);
    }
}
