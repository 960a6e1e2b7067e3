//! COCO object detection JSON (the format pycocotools, FiftyOne, CVAT and
//! Roboflow read): `images`, `categories` (every label once, ids from 1)
//! and `annotations` with `bbox` as `[x, y, width, height]` in pixels,
//! `area`, `iscrowd: 0` and the detection's `score`. glint's own fields
//! (the result id, prompt, model version, the phrase of each box) are
//! prefixed `glint_`; COCO readers ignore them.

use serde_json::{Value, json};

use super::{Report, categories, utc};

pub fn write(report: &Report) -> String {
    let labels = categories(report);
    let category = |label: &str| labels.iter().position(|l| *l == label).map_or(0, |i| i + 1);
    let mut images = Vec::new();
    let mut annotations = Vec::new();
    for (i, r) in report.results.iter().enumerate() {
        let image_id = i + 1;
        images.push(json!({
            "id": image_id, "file_name": r.file_name, "width": r.width, "height": r.height,
            "date_captured": utc(r.time_ms), "glint_result_id": r.id, "glint_prompt": r.prompt,
            "glint_model_version": r.model_version, "glint_plugin_sha256": r.plugin_sha256,
        }));
        for d in &r.detections {
            let (w, h) = (d.bbox.x1 - d.bbox.x0, d.bbox.y1 - d.bbox.y0);
            annotations.push(json!({
                "id": annotations.len() + 1, "image_id": image_id, "category_id": category(&d.label),
                "bbox": [round(d.bbox.x0), round(d.bbox.y0), round(w), round(h)], "area": round(w * h),
                "iscrowd": 0, "score": round(d.score), "glint_phrase": d.phrase,
            }));
        }
    }
    let categories: Vec<Value> = labels.iter().enumerate().map(|(i, l)| json!({ "id": i + 1, "name": l, "supercategory": "" })).collect();
    let doc = json!({
        "info": { "description": format!("glint export{}", if report.site_title.is_empty() { String::new() } else { format!(" from {}", report.site_title) }),
                  "version": "1.0", "date_created": utc(report.generated_ms) },
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": categories,
    });
    serde_json::to_string_pretty(&doc).expect("JSON")
}

/// Four decimals: enough for pixels and scores, stable across platforms.
fn round(v: f32) -> f64 {
    (f64::from(v) * 1e4).round() / 1e4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_become_xywh() {
        let v: Value = serde_json::from_str(&write(&crate::tests::sample())).unwrap();
        assert_eq!(v["categories"][0]["name"], "cat");
        assert_eq!(v["annotations"][0]["bbox"], json!([10.0, 20.0, 200.0, 270.0]));
        assert_eq!(v["annotations"][1]["category_id"], 2);
        assert_eq!(v["images"][0]["width"], 451);
    }
}
