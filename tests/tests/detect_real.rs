//! Real weights through the real component and wasi-nn, on both backends.

use glint::nn::BackendKind::{self, Onnx, Openvino};
use glint_tests::{box_of, detect, iou, reference};

const BACKENDS: [BackendKind; 2] = [Onnx, Openvino];

#[test]
fn a_kitty_finds_the_cat_on_both_backends() {
    let want = reference("chelsea.png", "cat");
    for backend in BACKENDS {
        let out = detect(backend, "chelsea.png", "a kitty");
        let cat = out.detections.iter().find(|d| d.label == "cat").unwrap_or_else(|| panic!("{backend}: no cat: {out:?}"));
        assert_eq!(cat.phrase, "a kitty");
        let overlap = iou(box_of(cat), want.box_px);
        assert!(overlap >= 0.5, "{backend}: IoU {overlap} with the reference box {:?}: {cat:?}", want.box_px);
        assert!((cat.score - want.score).abs() < 0.1, "{backend}: score {} vs reference {}", cat.score, want.score);
        assert_eq!(out.model.backend, backend);
        assert_eq!((out.width, out.height), (451, 300));
        // "kitty" is in no table: the sentence encoder mapped it.
        assert_eq!(out.phrases[0].method, "embedding");
    }
}

#[test]
fn a_coffee_mug_finds_the_cup() {
    let want = reference("coffee.png", "cup");
    for backend in BACKENDS {
        let out = detect(backend, "coffee.png", "a coffee mug");
        let cup = out.detections.iter().find(|d| d.label == "cup").unwrap_or_else(|| panic!("{backend}: no cup: {out:?}"));
        let overlap = iou(box_of(cup), want.box_px);
        assert!(overlap >= 0.5, "{backend}: IoU {overlap}: {cup:?} vs {:?}", want.box_px);
        assert!(out.detections.iter().all(|d| d.phrase == "a coffee mug"));
    }
}

#[test]
fn a_dog_finds_nothing() {
    for backend in BACKENDS {
        for image in ["chelsea.png", "coffee.png"] {
            let out = detect(backend, image, "a dog");
            assert!(out.detections.is_empty(), "{backend} {image}: {:?}", out.detections);
            assert_eq!(out.phrases[0].label.as_deref(), Some("dog"), "the phrase was understood");
        }
    }
}

#[test]
fn chinese_phrases_map_through_the_table() {
    let out = detect(Openvino, "chelsea.png", "猫 . 狗");
    assert_eq!(out.phrases[0].method, "zh");
    let cats: Vec<_> = out.detections.iter().filter(|d| d.phrase == "猫").collect();
    assert_eq!(cats.len(), 1, "{:?}", out.detections);
    assert_eq!(cats[0].label, "cat");
    assert!(out.detections.iter().all(|d| d.phrase != "狗"));
}

#[test]
fn unmatched_phrases_are_reported_not_guessed() {
    let out = detect(Onnx, "chelsea.png", "quantum entanglement");
    assert!(out.detections.is_empty());
    assert_eq!(out.phrases[0].label, None);
    assert_eq!(out.phrases[0].method, "none");
    assert!(out.phrases[0].similarity < 0.5);
}

/// The two runtimes must agree: same phrases and labels, boxes within 2 px.
#[test]
fn onnx_and_openvino_agree() {
    let cases = [
        ("chelsea.png", "a kitty . a bed"),
        ("coffee.png", "a coffee mug . a bowl . a dining table . a spoon"),
        ("astronaut.png", "a person . a rocket"),
        ("motorcycle_left.png", "a motorbike"),
    ];
    for (image, prompt) in cases {
        let a = detect(Onnx, image, prompt);
        let b = detect(Openvino, image, prompt);
        assert!(!a.detections.is_empty(), "{image}: nothing found");
        let key = |o: &glint::DetectOutput| o.detections.iter().map(|d| (d.phrase.clone(), d.label.clone())).collect::<Vec<_>>();
        assert_eq!(key(&a), key(&b), "{image}: different detections\nonnx: {:?}\nopenvino: {:?}", a.detections, b.detections);
        for (x, y) in a.detections.iter().zip(&b.detections) {
            let (bx, by) = (box_of(x), box_of(y));
            let worst = bx.iter().zip(by).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
            assert!(worst <= 2.0, "{image} {}: boxes differ by {worst} px: {bx:?} vs {by:?}", x.phrase);
            assert!((x.score - y.score).abs() < 0.02, "{image}: scores {} vs {}", x.score, y.score);
        }
    }
}
