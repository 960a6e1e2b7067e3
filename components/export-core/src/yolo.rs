//! YOLO darknet labels (what Ultralytics, Roboflow and CVAT import): per
//! image `labels/<image>.txt`, a line `class cx cy w h` per box, normalised
//! to [0, 1] by the image's size; `classes.txt` names the class indices
//! (every label once, sorted). Zipped, with nothing but those files.

use super::{Report, categories, file_stem, zip};

pub fn write(report: &Report) -> Vec<u8> {
    let labels = categories(report);
    let mut files = Vec::new();
    for r in &report.results {
        let (w, h) = (r.width as f32, r.height as f32);
        let lines: String = r
            .detections
            .iter()
            .map(|d| {
                let class = labels.iter().position(|l| *l == d.label).unwrap_or(0);
                let b = d.bbox;
                let cx = (b.x0 + b.x1) / 2.0 / w;
                let cy = (b.y0 + b.y1) / 2.0 / h;
                format!("{class} {cx:.6} {cy:.6} {:.6} {:.6}\n", (b.x1 - b.x0) / w, (b.y1 - b.y0) / h)
            })
            .collect();
        files.push((format!("labels/{}.txt", file_stem(r)), lines.into_bytes()));
    }
    let classes: String = labels.iter().map(|l| format!("{l}\n")).collect();
    files.push(("classes.txt".to_string(), classes.into_bytes()));
    zip::write(&files)
}
