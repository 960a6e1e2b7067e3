//! The boxes one phrase keeps: windows refined by the proposals inside them,
//! class-agnostic NMS, then nothing that merely repeats a kept box.

use crate::BBox;
use crate::nms::{area, iou, suppress};

/// A scored region for one phrase.
#[derive(Clone, Copy, Debug)]
pub(super) struct Candidate {
    pub bbox: BBox,
    pub score: f32,
    /// From an SSD proposal (tight) rather than a fixed window (coarse).
    pub proposal: bool,
    /// The SSD's score of the proposal (0 for windows).
    pub objectness: f32,
    /// Index of the vocabulary label the score is for.
    pub label: usize,
}

/// Window boxes take the box of a proposal of the same phrase lying mostly
/// inside them (the tighter box, the higher score); then NMS keeps the best
/// of overlapping boxes.
pub(super) fn refine_and_suppress(mut cands: Vec<Candidate>, nms_iou: f32) -> Vec<Candidate> {
    let proposals: Vec<Candidate> = cands.iter().filter(|c| c.proposal).copied().collect();
    for c in cands.iter_mut().filter(|c| !c.proposal) {
        let inside = |p: &&Candidate| area(&intersection(&c.bbox, &p.bbox)) >= 0.7 * area(&p.bbox);
        if let Some(p) = proposals.iter().filter(inside).max_by(|a, b| a.score.total_cmp(&b.score)) {
            *c = Candidate { score: c.score.max(p.score), ..*p };
        }
    }
    let scored: Vec<(BBox, f32)> = cands.iter().map(|c| (c.bbox, c.score)).collect();
    let kept: Vec<Candidate> = suppress(&scored, nms_iou).into_iter().map(|k| cands[k]).collect();
    // Proposals the SSD is surest of first, windows last. A box adds nothing
    // when it repeats a kept one; a coarse window sharing a fifth of either box
    // with a kept one does not either (windows tile the image and see parts of
    // what a proposal boxed); nor does a box nested with a kept, better-proposed
    // box that scores nearly as well (the table around the cup is not a second
    // espresso, the bed beside the cat not a second cat).
    let mut order = kept;
    order.sort_by(|a, b| (b.proposal, b.objectness).partial_cmp(&(a.proposal, a.objectness)).expect("finite scores"));
    let mut out: Vec<Candidate> = Vec::new();
    for c in order {
        let covered = out.iter().any(|k| {
            let inter = area(&intersection(&c.bbox, &k.bbox));
            let smaller = area(&c.bbox).min(area(&k.bbox));
            iou(&c.bbox, &k.bbox) > 0.99
                || (!c.proposal && inter >= 0.2 * smaller)
                || (inter >= 0.6 * smaller && k.score >= 0.9 * c.score)
        });
        if !covered {
            out.push(c);
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

fn intersection(a: &BBox, b: &BBox) -> BBox {
    BBox { x0: a.x0.max(b.x0), y0: a.y0.max(b.y0), x1: a.x1.min(b.x1), y1: a.y1.min(b.y1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(x0: f32, y0: f32, x1: f32, y1: f32, score: f32, objectness: f32) -> Candidate {
        Candidate { bbox: BBox { x0, y0, x1, y1 }, score, proposal: objectness > 0.0, objectness, label: 0 }
    }

    #[test]
    fn windows_give_way_to_the_tight_boxes_inside_them() {
        // the whole-image window and the corner windows all see the cup the proposal boxed
        let kept = refine_and_suppress(
            vec![
                cand(0., 0., 600., 400., 0.99, 0.0),
                cand(0., 0., 360., 240., 0.95, 0.0),
                cand(0., 160., 360., 400., 0.97, 0.0),
                cand(175., 14., 412., 237., 0.9, 0.96),
            ],
            0.5,
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].bbox, BBox { x0: 175., y0: 14., x1: 412., y1: 237. });
        assert_eq!(kept[0].score, 0.99, "the refined box keeps the better score");
    }

    #[test]
    fn a_box_around_an_equally_good_one_is_dropped_but_separate_objects_stay() {
        let kept = refine_and_suppress(
            vec![
                cand(2., 0., 596., 397., 0.98, 0.84), // the table around the cup
                cand(175., 14., 412., 237., 0.99, 0.96),
                cand(450., 300., 520., 390., 0.6, 0.2), // a second, separate object
            ],
            0.5,
        );
        let boxes: Vec<f32> = kept.iter().map(|c| c.bbox.x0).collect();
        assert_eq!(boxes, [175., 450.]);
        // the bed box beside the cat sees the cat too, scores a bit higher, is proposed less surely
        let kept = refine_and_suppress(vec![cand(324., 99., 451., 294., 0.65, 0.37), cand(8., 1., 408., 297., 0.62, 0.91)], 0.5);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].bbox.x0, 8.);
        // a window nobody else explains stays, coarse as it is
        let kept = refine_and_suppress(vec![cand(204.8, 0., 512., 307.2, 0.78, 0.0)], 0.5);
        assert_eq!(kept.len(), 1);
    }
}
