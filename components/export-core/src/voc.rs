//! Pascal VOC XML (what LabelImg, CVAT and many trainers read): per image
//! `Annotations/<image>.xml` with the image's size and an `object` per box
//! (`name` = the label, `bndbox` in whole pixels, rounded). Zipped.

use super::{ExportedResult, Report, file_stem, zip};

pub fn write(report: &Report) -> Vec<u8> {
    let files: Vec<(String, Vec<u8>)> =
        report.results.iter().map(|r| (format!("Annotations/{}.xml", file_stem(r)), annotation(r).into_bytes())).collect();
    zip::write(&files)
}

pub fn annotation(r: &ExportedResult) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<annotation>\n  <folder>glint</folder>\n");
    x.push_str(&format!("  <filename>{}</filename>\n", escape(&r.file_name)));
    x.push_str("  <source><database>glint</database></source>\n");
    x.push_str(&format!("  <size><width>{}</width><height>{}</height><depth>3</depth></size>\n  <segmented>0</segmented>\n", r.width, r.height));
    for d in &r.detections {
        let b = d.bbox;
        x.push_str(&format!(
            "  <object>\n    <name>{}</name>\n    <pose>Unspecified</pose>\n    <truncated>0</truncated>\n    <difficult>0</difficult>\n    \
             <bndbox><xmin>{}</xmin><ymin>{}</ymin><xmax>{}</xmax><ymax>{}</ymax></bndbox>\n  </object>\n",
            escape(&d.label),
            b.x0.round() as i64,
            b.y0.round() as i64,
            b.x1.round() as i64,
            b.y1.round() as i64
        ));
    }
    x.push_str("</annotation>\n");
    x
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_carry_labels_and_boxes() {
        let x = annotation(&crate::tests::sample().results[0]);
        assert!(x.contains("<name>cat</name>") && x.contains("<xmin>10</xmin><ymin>20</ymin><xmax>210</xmax><ymax>290</ymax>"), "{x}");
        assert!(escape("a<b&c") == "a&lt;b&amp;c");
    }
}
