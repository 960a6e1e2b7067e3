//! The `owlvit` family (OWL-ViT / OWLv2 signature) end to end through the
//! component and wasi-nn, on the SYNTHETIC graph made by
//! scripts/make-synthetic-owlvit.py, whose answers are known: a query with
//! "red" scores high exactly on red 16 x 16 patches of the 64 x 64 input.

use std::io::Cursor;

use glint::nn::BackendKind::Onnx;
use glint::{DetectInput, Glint};
use glint_tests::{box_of, config, home};
use image::{ImageFormat, Rgb, RgbImage};

fn synthetic_glint() -> Glint {
    let mut c = config(Some(Onnx));
    c.models_dir = home().join("tests/models");
    assert!(
        c.models_dir.join("owlvit-synthetic/model.onnx").is_file(),
        "run scripts/setup.sh (it runs scripts/make-synthetic-owlvit.py)"
    );
    Glint::open(c).unwrap()
}

/// A black 128 x 64 PNG with red rectangles (x0, y0, x1, y1) in pixels.
fn picture(reds: &[(u32, u32, u32, u32)]) -> Vec<u8> {
    let mut img = RgbImage::new(128, 64);
    for &(x0, y0, x1, y1) in reds {
        for y in y0..y1 {
            for x in x0..x1 {
                img.put_pixel(x, y, Rgb([255, 0, 0]));
            }
        }
    }
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
    out
}

fn run(g: &Glint, image: Vec<u8>, prompt: &str) -> glint::DetectOutput {
    let input = DetectInput { image, prompt: prompt.into(), threshold: 0.3, model: Some("owlvit-synthetic".into()) };
    g.detect(&input).unwrap()
}

#[test]
fn red_query_finds_the_red_patch_in_original_pixels() {
    let g = synthetic_glint();
    // The input is squeezed to 64 x 64: x/2, so this is patch column 2, row 1.
    let out = run(&g, picture(&[(64, 16, 96, 32)]), "a red thing . a blue thing");
    assert_eq!(out.model.family, "owlvit");
    assert_eq!(out.phrases[0].method, "open-vocabulary");
    assert_eq!(out.detections.len(), 1, "{:?}", out.detections);
    let d = &out.detections[0];
    assert_eq!((d.phrase.as_str(), d.label.as_str()), ("a red thing", "red thing"));
    assert!(d.score > 0.95, "{d:?}");
    let b = box_of(d);
    for (got, want) in b.iter().zip([64.0, 16.0, 96.0, 32.0]) {
        assert!((got - want).abs() < 0.5, "{b:?}");
    }
}

#[test]
fn separate_red_patches_are_separate_boxes() {
    let g = synthetic_glint();
    let out = run(&g, picture(&[(0, 0, 32, 16), (96, 48, 128, 64)]), "red");
    let mut boxes: Vec<[f32; 4]> = out.detections.iter().map(box_of).collect();
    boxes.sort_by(|a, b| a[0].total_cmp(&b[0]));
    assert_eq!(boxes.len(), 2, "{:?}", out.detections);
    assert!((boxes[0][0] - 0.0).abs() < 0.5 && (boxes[1][0] - 96.0).abs() < 0.5, "{boxes:?}");
}

#[test]
fn nothing_red_nothing_found() {
    let g = synthetic_glint();
    let out = run(&g, picture(&[]), "a red thing . a blue thing");
    assert!(out.detections.is_empty(), "{:?}", out.detections);
}
