//! The on-disk cache of compiled graphs (OpenVINO's compiled blobs, ONNX
//! Runtime's optimised graph) on the real model, for both backends: the
//! first load fills it, the second hits it and detects exactly what a load
//! without any cache detects, and an entry that was truncated (or is not
//! sealed) is rejected and rebuilt, never trusted. Entries for other model
//! bytes, another runtime version or another device are other folders
//! (`glint::nn::graph_cache`'s unit tests).

use std::path::{Path, PathBuf};

use glint::Glint;
use glint::nn::BackendKind;
use glint::nn::graph_cache::{GraphCache, GraphCacheOutcome};
use glint_tests::{config, input};

/// Opens glint with its graph cache in `dir` (or none), detects on the cat
/// photo, and says what the cache did and what was found.
fn load(backend: BackendKind, dir: Option<&Path>) -> (GraphCacheOutcome, Vec<(String, [f32; 5])>) {
    let mut c = config(Some(backend));
    c.models.graph_cache = dir.map(|d| GraphCache::new(d.to_path_buf()));
    let g = Glint::open(c).expect("glint opens");
    let out = g.detect(&input("chelsea.png", "a cat . a remote")).expect("a detection");
    let loaded = g.models.loaded("coco-grounded-v1").expect("the default version is loaded");
    let found = out.detections.iter().map(|d| (d.label.clone(), [d.bbox.x0, d.bbox.y0, d.bbox.x1, d.bbox.y1, d.score])).collect();
    (loaded.graph_cache, found)
}

fn same(a: &[(String, [f32; 5])], b: &[(String, [f32; 5])]) {
    assert_eq!(a.len(), b.len(), "{a:?} / {b:?}");
    for ((la, va), (lb, vb)) in a.iter().zip(b) {
        assert_eq!(la, lb);
        for (x, y) in va.iter().zip(vb) {
            assert!((x - y).abs() < 1e-3, "{a:?} / {b:?}");
        }
    }
}

/// The entry folders (beside them: their lock files, and `digests/`, the
/// shipped files' remembered sha256).
fn entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir() && !p.ends_with("digests")).collect()
}

/// Cuts the largest file of every entry in half.
fn truncate_entries(dir: &Path) {
    for entry in entries(dir) {
        let largest = std::fs::read_dir(&entry)
            .unwrap()
            .map(|f| f.unwrap().path())
            .max_by_key(|f| std::fs::metadata(f).unwrap().len())
            .unwrap();
        let bytes = std::fs::read(&largest).unwrap();
        let mut perms = std::fs::metadata(&largest).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&largest, perms).unwrap();
        std::fs::write(&largest, &bytes[..bytes.len() / 2]).unwrap();
    }
}

fn fills_hits_and_rebuilds(backend: BackendKind) {
    let dir: PathBuf = std::env::temp_dir().join(format!("glint-graph-cache-{backend}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (outcome, reference) = load(backend, None);
    assert_eq!(outcome, GraphCacheOutcome::Disabled);
    assert!(reference.iter().any(|(label, _)| label == "cat"), "{reference:?}");

    let (outcome, found) = load(backend, Some(&dir));
    assert_eq!(outcome, GraphCacheOutcome::Miss);
    same(&found, &reference);
    assert_eq!(entries(&dir).len(), 2, "one entry per graph (detector, text encoder)");

    let (outcome, found) = load(backend, Some(&dir));
    assert_eq!(outcome, GraphCacheOutcome::Hit, "the second load uses the compiled graphs");
    same(&found, &reference);

    truncate_entries(&dir);
    let (outcome, found) = load(backend, Some(&dir));
    assert_eq!(outcome, GraphCacheOutcome::Rebuilt, "a truncated entry is rejected");
    same(&found, &reference);
    let (outcome, _) = load(backend, Some(&dir));
    assert_eq!(outcome, GraphCacheOutcome::Hit, "and rebuilt whole");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn openvino_compiled_graphs_are_cached_checked_and_rebuilt() {
    fills_hits_and_rebuilds(BackendKind::Openvino);
}

#[test]
fn onnx_runtime_optimised_graphs_are_cached_checked_and_rebuilt() {
    fills_hits_and_rebuilds(BackendKind::Onnx);
}
