//! One pass of the TF Object Detection API SSD graph and its post-processing
//! ([`crate::ssd_post`]): every box kept, in pixels of the original image,
//! with its COCO class id and score.

use image::RgbImage;

use crate::image_prep::prepare;
use crate::manifest::{CocoGroundedConfig, Preprocess};
use crate::ssd_post::postprocess;
use crate::tensor::take;
use crate::{BBox, Error, Inference, Tensor};

/// A box as the SSD scored it, after per-class NMS.
#[derive(Clone, Copy, Debug)]
pub struct SsdBox {
    /// 1-based COCO id of the 90-id map.
    pub class_id: u32,
    pub score: f32,
    pub bbox: BBox,
}

/// Runs the detector graph of `cfg` on `img`; boxes come back by descending score.
pub fn run(
    nn: &mut dyn Inference,
    version: &str,
    cfg: &CocoGroundedConfig,
    pre: &Preprocess,
    img: &RgbImage,
) -> Result<Vec<SsdBox>, Error> {
    let (width, height) = img.dimensions();
    let prepared = prepare(img, pre);
    let input = Tensor::new(&cfg.image_input, prepared.dims, prepared.data);
    let mut out = nn.compute(&format!("{version}/{}", cfg.detector_graph), vec![input])?;
    let encodings = take(&mut out, &cfg.box_encodings_output)?.to_f32()?;
    let scores = take(&mut out, &cfg.class_scores_output)?.to_f32()?;
    let anchors = take(&mut out, &cfg.anchors_output)?.to_f32()?;
    let kept = postprocess(&encodings, &anchors, &scores, &cfg.postprocess)?;
    let (sw, sh) = (prepared.source_w, prepared.source_h);
    let found: Vec<SsdBox> = kept
        .into_iter()
        .map(|k| SsdBox {
            class_id: k.class_id,
            score: k.score,
            bbox: BBox {
                x0: (k.bbox.x0 * sw).clamp(0.0, width as f32),
                y0: (k.bbox.y0 * sh).clamp(0.0, height as f32),
                x1: (k.bbox.x1 * sw).clamp(0.0, width as f32),
                y1: (k.bbox.y1 * sh).clamp(0.0, height as f32),
            },
        })
        .collect(); // by descending score, as postprocess keeps them
    Ok(found)
}
