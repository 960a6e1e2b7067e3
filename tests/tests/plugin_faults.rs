//! A plugin that panics, spins, exhausts memory or errors is contained: the
//! caller gets a clear error, the host keeps serving, and the next call works.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use glint::nn::BackendKind::Openvino;
use glint::plugins::{DetectLimits, DetectRequest, Image};
use glint::{ErrorKind, Glint};
use glint_tests::{config, home, input};

fn misbehaving_glint() -> Glint {
    let mut c = config(Some(Openvino));
    c.engine.call_deadline = Duration::from_secs(2);
    c.engine.max_memory_bytes = 64 << 20;
    let g = Glint::open(c).unwrap();
    let path = home().join("tests/plugins/misbehave.wasm");
    assert!(path.is_file(), "{} is missing: run scripts/build-components.sh", path.display());
    g.plugins.load_file(&path).unwrap();
    g
}

/// What misbehave is asked: its prompt says how to misbehave.
fn misbehave_request(prompt: &str) -> DetectRequest {
    DetectRequest {
        image: Image { bytes: vec![], mime: String::new() },
        prompt: prompt.into(),
        threshold: 0.3,
        model: "coco-grounded-v1".into(),
        limits: DetectLimits { max_pixels: 1, max_prompt_chars: 10 },
    }
}

fn ask(g: &Glint, prompt: &str) -> Result<(), glint::GlintError> {
    g.plugins.detect("misbehave", &misbehave_request(prompt)).map(|_| ())
}

#[test]
fn traps_deadlines_and_memory_are_contained() {
    let g = misbehaving_glint();
    ask(&g, "fine").expect("a well-behaved call");

    let e = ask(&g, "panic").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Plugin);
    assert!(e.message.contains("misbehave") && e.message.contains("crashed"), "{e}");
    ask(&g, "fine").expect("works again after a trap");

    let e = ask(&g, "spin").unwrap_err();
    assert!(e.message.contains("deadline of 2.0 s"), "{e}");
    ask(&g, "fine").expect("works again after a deadline");

    let e = ask(&g, "oom").unwrap_err();
    assert!(e.message.contains("memory limit of 64 MiB"), "{e}");
    ask(&g, "fine").expect("works again after running out of memory");

    let e = ask(&g, "error").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Plugin);
    assert!(e.message.contains("asked to fail"), "{e}");

    let e = ask(&g, "recurse").unwrap_err();
    assert!(e.message.contains("misbehave") && e.message.contains("crashed"), "{e}");
    ask(&g, "fine").expect("works again after the stack ran out");
}

#[test]
fn broken_answers_are_errors_and_boxes_past_the_edge_are_clipped() {
    let g = misbehaving_glint();
    for (prompt, words) in [("nan", "score NaN"), ("inverted", "x0 <= x1"), ("many", "20000 detections")] {
        let e = ask(&g, prompt).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Plugin, "{prompt}");
        assert!(e.message.contains("misbehave") && e.message.contains("contract") && e.message.contains(words), "{prompt}: {e}");
    }
    let b = g.plugins.detect("misbehave", &misbehave_request("outside")).unwrap().detections[0].box_;
    assert_eq!((b.x0, b.y0, b.x1, b.y1), (0.0, 0.0, 10.0, 10.0), "clipped to the 10x10 image");
}

/// Every kind of fault, many times, while a benign caller detects on the
/// real detector: each fault is a clear error, every benign call succeeds,
/// and the idle pool stays bounded.
#[test]
fn a_storm_of_faults_leaves_benign_calls_and_the_pool_alone() {
    let g = Arc::new(misbehaving_glint());
    let stop = Arc::new(AtomicBool::new(false));
    let benign = {
        let (g, stop) = (g.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let out = g.detect(&input("chelsea.png", "a cat")).expect("a benign call during the faults");
                assert_eq!(out.detections[0].label, "cat");
                n += 1;
            }
            n
        })
    };
    // 100 of each quick fault; the deadline (2 s) and memory faults fewer, to stay brief.
    for (prompt, times) in [("panic", 100), ("error", 100), ("recurse", 100), ("nan", 100), ("inverted", 100), ("many", 100), ("oom", 10), ("spin", 3)] {
        for _ in 0..times {
            assert!(ask(&g, prompt).is_err(), "{prompt} must fail");
        }
    }
    ask(&g, "fine").expect("well-behaved after the storm");
    stop.store(true, Ordering::Relaxed);
    let benign_calls = benign.join().expect("no benign call failed");
    assert!(benign_calls > 0);
    let plugin = g.plugins.get("misbehave").unwrap();
    assert!(plugin.idle_instances() <= 4, "{} idle instances", plugin.idle_instances());
}

#[test]
fn files_that_are_not_plugins_are_refused() {
    let g = misbehaving_glint();
    let dir = std::env::temp_dir().join(format!("glint-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("junk.wasm");
    std::fs::write(&junk, b"not wasm at all").unwrap();
    let e = g.plugins.load_file(&junk).unwrap_err();
    assert!(format!("{e:#}").contains("junk"), "{e:#}");
    assert!(g.plugins.get("junk").is_err(), "a failed load registers nothing");
    assert!(g.plugins.get("detect").is_ok(), "and leaves the others alone");
}

/// Replacing the detect plugin while requests run: every request succeeds,
/// each on the old or the new instance.
#[test]
fn live_replacement_while_calls_are_in_flight() {
    let g = Arc::new(Glint::open(config(Some(Openvino))).unwrap());
    let path = home().join("plugins/detect.wasm");
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (g, stop, done) = (g.clone(), stop.clone(), done.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let out = g.detect(&input("chelsea.png", "a cat")).expect("detect during a swap");
                    assert_eq!(out.detections[0].label, "cat");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let mut swaps = 0;
    // Bounded: at most 30 s of swapping, whatever happens to the workers.
    for _ in 0..600 {
        if done.load(Ordering::Relaxed) >= 6 && swaps >= 3 {
            break;
        }
        let before = g.plugins.get("detect").unwrap();
        g.plugins.load_file(&path).unwrap();
        assert!(!Arc::ptr_eq(&before, &g.plugins.get("detect").unwrap()), "the entry was replaced");
        swaps += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("no worker failed");
    }
    assert!(done.load(Ordering::Relaxed) >= 6 && swaps >= 3, "{swaps} swaps, {done:?} calls");
}

/// Derived values are each plugin build's own: misbehave cannot read what the
/// detect plugin kept, reads back what it kept itself, and is refused an
/// oversized value or a key that could name a path.
#[test]
fn derived_values_are_each_plugin_builds_own_and_bounded() {
    let g = misbehaving_glint();
    let kitty = g.detect(&input("chelsea.png", "a kitty")).unwrap();
    assert!(kitty.detections.iter().any(|d| d.label == "cat"), "{kitty:?}");
    let detect = g.plugins.get("detect").unwrap();
    let kept = g.models.view().derived(&detect.info.sha256, "coco-grounded-v1", "coco-label-embeddings.v1");
    assert_eq!(kept.map(|v| v.len()), Some(4 + 80 * 384 * 4), "the detect plugin kept the 80 names' embeddings");
    let said = |op: &str| {
        let answer = g.plugins.detect("misbehave", &misbehave_request(&format!("derived:{op}"))).unwrap();
        answer.detections[0].phrase.clone()
    };
    assert_eq!(said("read-detect"), "none");
    assert_eq!(said("keep-and-read"), "kept some:3");
    let huge = said("keep-huge");
    assert!(huge.starts_with("refused: ") && huge.contains("over the 4194304-byte limit"), "{huge}");
    let bad = said("keep-bad-key");
    assert!(bad.starts_with("refused: ") && bad.contains("1-64 characters"), "{bad}");
}
