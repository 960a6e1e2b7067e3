//! The on-disk compiled-component cache: a restart loads the compiled
//! artifact instead of compiling again, and a damaged entry is recompiled.

use glint::Glint;
use glint::engine::CacheOutcome;
use glint::nn::BackendKind::Openvino;
use glint_tests::config;

#[test]
fn second_start_hits_the_cache_and_damage_is_repaired() {
    let dir = std::env::temp_dir().join(format!("glint-cache-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let open = || {
        let mut c = config(Some(Openvino));
        c.engine.cache_dir = Some(dir.clone());
        Glint::open(c).unwrap()
    };
    let outcome = |g: &Glint| g.plugins.get("detect").unwrap().info.compiled_cache;

    assert_eq!(outcome(&open()), CacheOutcome::Miss);
    let g = open();
    assert_eq!(outcome(&g), CacheOutcome::Hit);
    let out = g.detect(&glint_tests::input("chelsea.png", "a cat")).unwrap();
    assert_eq!(out.detections[0].label, "cat", "the cached artifact runs");
    drop(g);

    for entry in std::fs::read_dir(&dir).unwrap() {
        std::fs::write(entry.unwrap().path(), b"damaged").unwrap();
    }
    assert_eq!(outcome(&open()), CacheOutcome::Miss, "a damaged entry is recompiled");
    assert_eq!(outcome(&open()), CacheOutcome::Hit, "and rewritten");
    std::fs::remove_dir_all(&dir).ok();
}
