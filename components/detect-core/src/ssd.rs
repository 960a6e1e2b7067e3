//! One pass of the TF Object Detection API SSD graph: every box it returns,
//! in pixels of the original image, with its COCO class id and score.

use image::RgbImage;

use crate::image_prep::prepare;
use crate::manifest::{CocoGroundedConfig, Preprocess};
use crate::tensor::take;
use crate::{BBox, Error, Inference, Tensor};

/// A box as the SSD scored it (NMS per class already done inside the graph).
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
    let boxes = take(&mut out, &cfg.boxes_output)?.to_f32()?;
    let scores = take(&mut out, &cfg.scores_output)?.to_f32()?;
    let classes = take(&mut out, &cfg.classes_output)?.to_f32()?;
    let count = take(&mut out, &cfg.count_output)?.to_f32()?;
    let n = (count.first().copied().unwrap_or(0.0).max(0.0) as usize)
        .min(scores.len())
        .min(classes.len())
        .min(boxes.len() / 4);
    let (sw, sh) = (prepared.source_w, prepared.source_h);
    let mut found: Vec<SsdBox> = (0..n)
        .map(|i| {
            let b = &boxes[i * 4..i * 4 + 4]; // ymin, xmin, ymax, xmax in [0, 1]
            SsdBox {
                class_id: classes[i].round().max(0.0) as u32,
                score: scores[i],
                bbox: BBox {
                    x0: (b[1] * sw).clamp(0.0, width as f32),
                    y0: (b[0] * sh).clamp(0.0, height as f32),
                    x1: (b[3] * sw).clamp(0.0, width as f32),
                    y1: (b[2] * sh).clamp(0.0, height as f32),
                },
            }
        })
        .collect();
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(found)
}
