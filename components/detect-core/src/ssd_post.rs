//! The TF Object Detection API's SSD post-processing, done here instead of in
//! the graph: decode box encodings against the anchors, then per-class
//! non-maximum suppression. The graph's own version of these steps (tf2onnx's
//! `Loop` of 5,500 nodes) took ~3 s to load in ONNX Runtime and ~4 s to
//! compile in OpenVINO, and a third of each inference; this is the same
//! arithmetic (checked against it by setup and by the reference tests).

use crate::manifest::SsdPostprocess;
use crate::nms::{area, iou};
use crate::{BBox, Error};

/// A detection in normalised coordinates (0..1 of the 300×300 input).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NormalizedBox {
    /// 1-based class: the column of the scores after the background column.
    pub class_id: u32,
    pub score: f32,
    pub bbox: BBox,
}

/// `encodings` and `anchors` are `[n, 4]` (ty, tx, th, tw / ymin, xmin, ymax,
/// xmax), `scores` `[n, 1 + classes]` with the background first. Returns the
/// kept boxes by descending score.
pub fn postprocess(
    encodings: &[f32],
    anchors: &[f32],
    scores: &[f32],
    cfg: &SsdPostprocess,
) -> Result<Vec<NormalizedBox>, Error> {
    let n = anchors.len() / 4;
    if n == 0 || anchors.len() != n * 4 || encodings.len() != n * 4 || scores.len() % n != 0 || scores.len() / n < 2 {
        return Err(Error::inference(format!(
            "SSD outputs disagree: {} box encodings, {} anchors, {} scores",
            encodings.len(),
            anchors.len(),
            scores.len()
        )));
    }
    let columns = scores.len() / n;
    let boxes: Vec<BBox> = (0..n).map(|i| decode(&encodings[i * 4..i * 4 + 4], &anchors[i * 4..i * 4 + 4], cfg.box_scales)).collect();
    Ok(multiclass_nms(&boxes, scores, columns, cfg))
}

/// `FasterRcnnBoxCoder.decode`, clipped to the image (TF clips to the window
/// before NMS).
fn decode(enc: &[f32], anchor: &[f32], scales: [f32; 4]) -> BBox {
    let (ha, wa) = (anchor[2] - anchor[0], anchor[3] - anchor[1]);
    let (yca, xca) = (anchor[0] + ha / 2.0, anchor[1] + wa / 2.0);
    let (ty, tx) = (enc[0] / scales[0], enc[1] / scales[1]);
    let (th, tw) = (enc[2] / scales[2], enc[3] / scales[3]);
    let (h, w) = (th.exp() * ha, tw.exp() * wa);
    let (yc, xc) = (ty * ha + yca, tx * wa + xca);
    let clip = |v: f32| v.clamp(0.0, 1.0);
    BBox { x0: clip(xc - w / 2.0), y0: clip(yc - h / 2.0), x1: clip(xc + w / 2.0), y1: clip(yc + h / 2.0) }
}

/// Per-class greedy NMS, then the best `max_total` over all classes. Walking
/// every (box, class) pair once in descending score keeps exactly what
/// per-class NMS followed by a global top-k keeps: a pair's fate depends only
/// on the higher-scored pairs of its own class.
fn multiclass_nms(boxes: &[BBox], scores: &[f32], columns: usize, cfg: &SsdPostprocess) -> Vec<NormalizedBox> {
    let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
    for (i, row) in scores.chunks_exact(columns).enumerate() {
        for (c, &s) in row.iter().enumerate().skip(1) {
            if s > cfg.score_threshold && area(&boxes[i]) > 0.0 {
                pairs.push((s, i, c));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut kept_per_class: Vec<Vec<usize>> = vec![Vec::new(); columns];
    let mut out = Vec::new();
    for (score, i, c) in pairs {
        let kept = &mut kept_per_class[c];
        if kept.len() >= cfg.max_per_class || kept.iter().any(|&k| iou(&boxes[k], &boxes[i]) > cfg.iou_threshold) {
            continue;
        }
        kept.push(i);
        out.push(NormalizedBox { class_id: c as u32, score, bbox: boxes[i] });
        if out.len() >= cfg.max_total {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> SsdPostprocess {
        SsdPostprocess { box_scales: [10.0, 10.0, 5.0, 5.0], score_threshold: 0.3, iou_threshold: 0.6, max_per_class: 100, max_total: 100 }
    }

    #[test]
    fn zero_encoding_decodes_to_the_anchor() {
        let b = decode(&[0.0; 4], &[0.1, 0.2, 0.5, 0.6], [10.0, 10.0, 5.0, 5.0]);
        assert!((b.y0 - 0.1).abs() < 1e-6 && (b.x0 - 0.2).abs() < 1e-6 && (b.y1 - 0.5).abs() < 1e-6 && (b.x1 - 0.6).abs() < 1e-6);
        // th = 5·ln 2 doubles the height about the centre; clipping keeps it inside the image
        let b = decode(&[0.0, 0.0, 5.0 * 2f32.ln(), 0.0], &[0.1, 0.2, 0.5, 0.6], [10.0, 10.0, 5.0, 5.0]);
        assert!((b.y0 - 0.0).abs() < 1e-6 && (b.y1 - 0.7).abs() < 1e-6, "{b:?}");
    }

    #[test]
    fn suppression_is_per_class_and_scores_below_the_threshold_drop() {
        let anchors = [0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.52, 0.5, 0.5, 1.0, 1.0];
        let enc = [0.0; 12];
        // columns: background, class 1, class 2
        let scores = [0.0, 0.9, 0.8, 0.0, 0.85, 0.1, 0.0, 0.2, 0.7];
        let kept = postprocess(&enc, &anchors, &scores, &cfg()).unwrap();
        let got: Vec<(u32, f32)> = kept.iter().map(|k| (k.class_id, k.score)).collect();
        // box 1 (class 1, 0.85) overlaps box 0 of the same class: suppressed;
        // box 0's class-2 score survives beside its class-1 score.
        assert_eq!(got, vec![(1, 0.9), (2, 0.8), (2, 0.7)]);
    }

    #[test]
    fn totals_and_per_class_limits_hold() {
        let anchors: Vec<f32> = (0..5).flat_map(|i| [i as f32 * 0.2, 0.0, i as f32 * 0.2 + 0.1, 0.1]).collect();
        let enc = vec![0.0; 20];
        let scores: Vec<f32> = (0..5).flat_map(|i| [0.0, 0.9 - i as f32 * 0.1, 0.5]).collect();
        let limited = SsdPostprocess { max_per_class: 2, max_total: 3, ..cfg() };
        let kept = postprocess(&enc, &anchors, &scores, &limited).unwrap();
        let got: Vec<(u32, f32)> = kept.iter().map(|k| (k.class_id, (k.score * 10.0).round() / 10.0)).collect();
        assert_eq!(got, vec![(1, 0.9), (1, 0.8), (2, 0.5)]);
    }

    #[test]
    fn mismatched_outputs_are_an_error_not_a_panic() {
        let err = postprocess(&[0.0; 8], &[0.0; 4], &[0.0; 3], &cfg()).unwrap_err();
        assert!(err.message.contains("disagree"), "{err}");
        assert!(postprocess(&[], &[], &[], &cfg()).is_err());
        assert!(postprocess(&[0.0; 4], &[0.0; 4], &[0.5], &cfg()).is_err());
    }
}
