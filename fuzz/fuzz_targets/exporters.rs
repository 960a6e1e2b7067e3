//! The machine formats (COCO, YOLO, VOC) and the PDF (without fonts: its
//! error path) of one result built from the input: any strings, any
//! numbers, NaN included.
#![no_main]
use glint_export_core::{BBox, Detection, ExportedResult, Report, export_machine, export_pdf};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut texts = data.split(|&b| b == 0).map(|t| String::from_utf8_lossy(t).into_owned());
    let mut next = || texts.next().unwrap_or_default();
    let number = |i: usize| f32::from_le_bytes(std::array::from_fn(|k| data.get(i * 4 + k).copied().unwrap_or(0)));
    let detections = (0..(data.len() % 5))
        .map(|i| Detection {
            phrase: String::from_utf8_lossy(&data[..data.len().min(i * 3)]).into_owned(),
            label: String::from_utf8_lossy(&data[data.len() / 2..]).into_owned(),
            score: number(i),
            bbox: BBox { x0: number(i + 1), y0: number(i + 2), x1: number(i + 3), y1: number(i + 4) },
        })
        .collect();
    let result = ExportedResult {
        id: next(),
        user: next(),
        prompt: next(),
        model_version: next(),
        file_name: next(),
        comment: Some(next()),
        width: u32::from(data.first().copied().unwrap_or(0)) * 7,
        height: u32::from(data.last().copied().unwrap_or(0)) * 5,
        detections,
        ..ExportedResult::default()
    };
    let report = Report { site_title: next(), generated_ms: i64::from(number(0).to_bits()), results: vec![result], fonts: Vec::new() };
    for format in ["coco", "yolo", "voc"] {
        let _ = export_machine(format, &report);
    }
    let _ = export_pdf("pdf", &report);
});
