//! Box geometry shared by the families.

use crate::BBox;

pub fn area(b: &BBox) -> f32 {
    (b.x1 - b.x0).max(0.0) * (b.y1 - b.y0).max(0.0)
}

/// Intersection over union of two boxes (0 when either is empty).
pub fn iou(a: &BBox, b: &BBox) -> f32 {
    let inter = BBox { x0: a.x0.max(b.x0), y0: a.y0.max(b.y0), x1: a.x1.min(b.x1), y1: a.y1.min(b.y1) };
    let i = area(&inter);
    let u = area(a) + area(b) - i;
    if u <= 0.0 { 0.0 } else { i / u }
}

/// Greedy non-maximum suppression: keeps indices of `items` (sorted by score,
/// descending) whose box overlaps no kept box by more than `max_iou`.
pub fn suppress(boxes: &[(BBox, f32)], max_iou: f32) -> Vec<usize> {
    let mut order: Vec<usize> = (0..boxes.len()).collect();
    order.sort_by(|a, b| boxes[*b].1.total_cmp(&boxes[*a].1));
    let mut kept: Vec<usize> = Vec::new();
    for i in order {
        if kept.iter().all(|k| iou(&boxes[*k].0, &boxes[i].0) <= max_iou) {
            kept.push(i);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x0: f32, y0: f32, x1: f32, y1: f32) -> BBox {
        BBox { x0, y0, x1, y1 }
    }

    #[test]
    fn iou_of_identical_and_disjoint_boxes() {
        assert_eq!(iou(&b(0., 0., 10., 10.), &b(0., 0., 10., 10.)), 1.0);
        assert_eq!(iou(&b(0., 0., 10., 10.), &b(20., 20., 30., 30.)), 0.0);
        assert!((iou(&b(0., 0., 10., 10.), &b(5., 0., 15., 10.)) - 1.0 / 3.0).abs() < 1e-6);
    }

    #[test]
    fn suppress_keeps_best_of_overlapping() {
        let boxes = [(b(0., 0., 10., 10.), 0.5), (b(1., 1., 10., 10.), 0.9), (b(50., 50., 60., 60.), 0.2)];
        assert_eq!(suppress(&boxes, 0.3), vec![1, 2]);
    }
}
