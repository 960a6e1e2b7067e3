//! Model version broad-v1 (SSD + EfficientNet-Lite3 + WordNet + ConSE) through
//! the real detect component on the real weights, both backends. Reference
//! boxes come from an independent native run (scripts/broad-reference.py).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn home() -> PathBuf {
    let home = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    assert!(home.join("models/broad-v1/vocabulary.json").is_file(), "run scripts/setup.sh before the tests");
    home
}

fn detect(image: &str, prompt: &str, backend: &str) -> Value {
    let o = Command::new(env!("CARGO_BIN_EXE_glint"))
        .current_dir(home())
        .args(["--backend", backend, "detect", "--model", "broad-v1", "--image", image, "--prompt", prompt, "--compact"])
        .output()
        .expect("glint runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

fn boxes_of<'a>(json: &'a Value, phrase: &str) -> Vec<&'a Value> {
    json["detections"].as_array().unwrap().iter().filter(|d| d["phrase"] == phrase).collect()
}

fn bbox(d: &Value) -> [f64; 4] {
    let b = &d["box"];
    [b["x0"].as_f64().unwrap(), b["y0"].as_f64().unwrap(), b["x1"].as_f64().unwrap(), b["y1"].as_f64().unwrap()]
}

fn iou(a: [f64; 4], b: [f64; 4]) -> f64 {
    let i = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0) * (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let area = |r: [f64; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    i / (area(a) + area(b) - i)
}

fn reference(file: &str, label: &str) -> [f64; 4] {
    let text = std::fs::read_to_string(home().join("tests/data/broad-reference.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let case = json["cases"].as_array().unwrap().iter().find(|c| c["file"] == file && c["label"] == label).unwrap();
    let b: Vec<f64> = case["box_px"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    [b[0], b[1], b[2], b[3]]
}

#[test]
fn imagenet_things_outside_coco_are_found_where_the_reference_puts_them() {
    for (file, prompt, reference_label, label) in [
        ("samples/coffee.png", "an espresso", "espresso", "espresso"),
        ("samples/chelsea.png", "a tabby cat", "Egyptian cat", "Egyptian cat"),
        ("samples/astronaut.png", "a space shuttle", "space shuttle", "space shuttle"),
    ] {
        let json = detect(file, prompt, "openvino");
        let found = boxes_of(&json, prompt);
        assert!(!found.is_empty(), "{prompt} on {file}: nothing found: {json}");
        let best = found[0];
        assert_eq!(best["label"], label, "{json}");
        let overlap = iou(bbox(best), reference(file, reference_label));
        assert!(overlap >= 0.5, "{prompt} on {file}: IoU {overlap:.2} with the reference: {json}");
    }
}

#[test]
fn wordnet_gives_synonyms_kinds_and_categories_and_says_which() {
    let json = detect("samples/chelsea.png", "a necktie . a kitty . an animal . a sports car . an american flag", "openvino");
    let phrases = json["phrases"].as_array().unwrap();
    let how = |p: &str| {
        let m = phrases.iter().find(|m| m["phrase"] == p).unwrap_or_else(|| panic!("{p} missing: {json}"));
        (m["method"].as_str().unwrap().to_string(), m["label"].as_str().map(str::to_string))
    };
    assert_eq!(how("a necktie"), ("synonym".into(), Some("tie".into())));
    assert_eq!(how("a kitty"), ("narrower".into(), Some("cat".into())));
    assert_eq!(how("an animal").0, "category");
    assert_eq!(how("a sports car"), ("exact".into(), Some("sports car".into())));
    assert_eq!(how("an american flag").0, "conse", "no table knows it: ConSE scores it");
    // the cat is an animal, labelled with the ImageNet class that matched
    let animals = boxes_of(&json, "an animal");
    assert!(!animals.is_empty(), "{json}");
    assert!(animals[0]["label"].as_str().unwrap().contains("cat"), "{json}");
    assert!(boxes_of(&json, "a kitty").iter().any(|d| d["label"] == "cat"), "{json}");
    assert!(boxes_of(&json, "a necktie").is_empty() && boxes_of(&json, "a sports car").is_empty(), "{json}");
}

#[test]
fn a_caption_is_read_for_the_things_it_names() {
    let json = detect("samples/chelsea.png", "a cat sleeping next to a remote", "openvino");
    let phrases: Vec<&str> = json["phrases"].as_array().unwrap().iter().map(|m| m["phrase"].as_str().unwrap()).collect();
    assert_eq!(phrases, ["cat", "remote"], "{json}");
    // each phrase and box names the characters of the prompt it grounds
    let spans: Vec<&Value> = json["phrases"].as_array().unwrap().iter().map(|m| &m["span"]).collect();
    assert_eq!(spans, [&serde_json::json!([2, 5]), &serde_json::json!([25, 31])], "{json}");
    let cats = boxes_of(&json, "cat");
    assert_eq!(cats.len(), 1, "{json}");
    assert_eq!(cats[0]["span"], serde_json::json!([2, 5]));
    assert!(iou(bbox(cats[0]), reference("samples/chelsea.png", "Egyptian cat")) >= 0.5, "{json}");
    // Words no table knows are tried with the sentence encoder, on both versions:
    // "kitty" maps to cat (cosine .84), "sleeping" is a stop word.
    for version in ["coco-grounded-v1", "broad-v1"] {
        let o = Command::new(env!("CARGO_BIN_EXE_glint"))
            .current_dir(home())
            .args(["detect", "--model", version, "--image", "samples/chelsea.png", "--prompt", "a kitty sleeping on a sofa", "--compact"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let json: Value = serde_json::from_slice(&o.stdout).unwrap();
        let read: Vec<(&str, &Value)> =
            json["phrases"].as_array().unwrap().iter().map(|m| (m["phrase"].as_str().unwrap(), &m["span"])).collect();
        assert_eq!(read, [("kitty", &serde_json::json!([2, 7])), ("sofa", &serde_json::json!([22, 26]))], "{version}: {json}");
        assert!(boxes_of(&json, "kitty").iter().any(|d| d["label"] == "cat"), "{version}: {json}");
    }
}

#[test]
fn things_that_are_not_there_are_not_found_on_any_bundled_photo() {
    let absent = "a guitar . a lemon . a castle . a giraffe . a necktie . a banana . a violin . a pizza";
    for file in ["samples/chelsea.png", "samples/coffee.png", "samples/astronaut.png", "samples/motorcycle_left.png", "samples/rocket.jpg"] {
        let json = detect(file, absent, "openvino");
        assert_eq!(json["detections"].as_array().unwrap().len(), 0, "{file}: {json}");
    }
}

#[test]
fn both_backends_agree_on_labels_and_boxes() {
    for (file, prompt) in [("samples/coffee.png", "an espresso . a cup"), ("samples/astronaut.png", "a space shuttle . a person")] {
        let ov = detect(file, prompt, "openvino");
        let onnx = detect(file, prompt, "onnx");
        assert_eq!(onnx["model"]["backend"], "onnx");
        // Detections come sorted by score, and the classifier's scores differ
        // between the backends' graphs (one TFLite model converted by two
        // tools: tf2onnx, 33 MB, and OpenVINO's TFLite reader, 8 MB; on an AMD
        // EPYC the shuttle scored 0.997 against 0.813, beside a person at
        // 0.841), so they are paired by phrase and label, not by rank.
        let by_phrase = |j: &Value| {
            let mut d = j["detections"].as_array().unwrap().clone();
            d.sort_by(|x, y| (x["phrase"].as_str(), x["label"].as_str(), bbox(x)[0]).partial_cmp(&(y["phrase"].as_str(), y["label"].as_str(), bbox(y)[0])).unwrap());
            d
        };
        let (a, b) = (by_phrase(&ov), by_phrase(&onnx));
        assert_eq!(a.len(), b.len(), "{ov}\n{onnx}");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((&x["phrase"], &x["label"]), (&y["phrase"], &y["label"]), "{ov}\n{onnx}");
            let (p, q) = (bbox(x), bbox(y));
            assert!(p.iter().zip(q).all(|(u, v)| (u - v).abs() <= 2.0), "boxes differ by more than 2 px: {ov}\n{onnx}");
        }
    }
}

/// The sentence-encoder fallback (cosine >= 0.5, `phrase-threshold` in
/// model.toml) on words that fall near it, measured on coco-grounded-v1:
/// right below it stay unmatched, right above it some are right and some are
/// wrong; broad-v1's WordNet vocabulary answers all of them before the encoder.
#[test]
fn near_misses_of_the_sentence_encoder_and_what_wordnet_makes_of_them() {
    let prompt = "a rocket . a necktie . a muffin . a pussycat . a lemon . a bagel";
    let how = |json: &Value, p: &str| {
        let m = json["phrases"].as_array().unwrap().iter().find(|m| m["phrase"] == p).unwrap().clone();
        (m["method"].as_str().unwrap().to_string(), m["label"].as_str().map(str::to_string), m["similarity"].as_f64().unwrap())
    };
    let o = Command::new(env!("CARGO_BIN_EXE_glint"))
        .current_dir(home())
        .args(["detect", "--model", "coco-grounded-v1", "--image", "samples/chelsea.png", "--prompt", prompt, "--compact"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let coco: Value = serde_json::from_slice(&o.stdout).unwrap();
    for (phrase, label, low, high) in [
        ("a rocket", None, 0.45, 0.5),
        ("a necktie", None, 0.42, 0.5),
        ("a muffin", None, 0.43, 0.5),
        ("a pussycat", Some("cat"), 0.5, 0.6),
        ("a lemon", Some("banana"), 0.5, 0.56),  // wrong, and why broad-v1 exists
        ("a bagel", Some("handbag"), 0.5, 0.56), // wrong too
    ] {
        let (method, got, sim) = how(&coco, phrase);
        assert!(sim > low && sim < high, "{phrase}: cosine {sim} outside ({low}, {high}): {coco}");
        assert_eq!(got.as_deref(), label, "{phrase}: {coco}");
        assert_eq!(method, if label.is_some() { "embedding" } else { "none" }, "{phrase}");
    }
    let broad = detect("samples/chelsea.png", prompt, "openvino");
    assert_eq!(how(&broad, "a necktie").1.as_deref(), Some("tie"));
    assert_eq!(how(&broad, "a lemon").1.as_deref(), Some("lemon"));
    assert_eq!(how(&broad, "a bagel").1.as_deref(), Some("bagel"));
    assert_eq!(how(&broad, "a rocket").0, "category");
    assert_eq!(broad["detections"].as_array().unwrap().iter().filter(|d| d["phrase"] != "a pussycat").count(), 0, "{broad}");
}

/// ConSE's classifier-label embeddings are derived once per version and read
/// back by later processes, which then score exactly as the first did.
#[test]
fn classifier_label_embeddings_are_derived_once_and_read_back() {
    let run = || {
        let o = Command::new(env!("CARGO_BIN_EXE_glint"))
            .current_dir(home())
            .args(["--backend", "onnx", "detect", "--model", "broad-v1", "--image", "samples/chelsea.png", "--prompt", "a tabby cat . an animal", "--compact"])
            .env("GLINT_LOG", "info,glint_models::derived=debug")
            .output()
            .expect("glint runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let json: Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
        (json["detections"].clone(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    // The first run derives them, or reads what an earlier run kept.
    let (first, log) = run();
    assert!(log.contains("derived value kept") || log.contains("derived value read from the cache"), "{log}");
    assert!(!first.as_array().unwrap().is_empty(), "{first}");
    let (again, log) = run();
    assert!(log.contains("derived value read from the cache") && !log.contains("derived value kept"), "{log}");
    assert_eq!(again, first);
}
