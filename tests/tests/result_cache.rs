//! The result cache answers repeated requests, and never across plugin builds.

use glint::Glint;
use glint::nn::BackendKind::Openvino;
use glint_tests::{config, home, input};

#[test]
fn repeats_hit_and_a_swapped_plugin_misses() {
    let g = Glint::open(config(Some(Openvino))).unwrap();
    let first = g.detect(&input("chelsea.png", "a cat")).unwrap();
    let second = g.detect(&input("chelsea.png", " a cat ")).unwrap();
    assert!(!first.cached && second.cached);
    assert_eq!(first.detections.len(), second.detections.len());
    assert_eq!(g.cache.len(), 1);

    // Another build under the same name: the old entries must not answer.
    let dir = std::env::temp_dir().join(format!("glint-swap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let impostor = dir.join("detect.wasm");
    std::fs::copy(home().join("tests/plugins/misbehave.wasm"), &impostor).unwrap();
    g.plugins.load_file(&impostor).unwrap();
    let third = g.detect(&input("chelsea.png", "a cat")).unwrap();
    assert!(!third.cached, "a new plugin build is a new cache key");
    assert!(third.detections.is_empty(), "the new plugin answered (it finds nothing)");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn capacity_zero_disables_the_cache() {
    let mut c = config(Some(Openvino));
    c.cache_entries = 0;
    let g = Glint::open(c).unwrap();
    for _ in 0..2 {
        assert!(!g.detect(&input("chelsea.png", "a cat")).unwrap().cached);
    }
}
