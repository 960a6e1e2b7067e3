//! The benign caller's latency with and without a storm of faulty plugin
//! calls beside it, measured in one run (a ratio, not a timed test):
//!
//!     scripts/fault-storm.sh [BENIGN_CALLS]
//!
//! The benign caller runs real detections (result cache off) on the real
//! detector; the storm calls `misbehave` (tests/plugins/misbehave.wasm) with
//! every fault in turn — trap, error, endless recursion, NaN, inverted box,
//! 20,000 detections, out of memory, past the deadline (500 ms here) — 100
//! calls of each (10 of the memory and deadline faults). Prints p50/p99 of
//! both phases and the ratios; exits 1 if a benign call failed or a fault
//! did not.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use glint::nn::BackendKind;
use glint::plugins::{DetectLimits, DetectRequest, Image};
use glint::{Config, DetectInput, Glint};

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn benign(g: &Glint, input: &DetectInput, calls: usize) -> Vec<f64> {
    let mut ms: Vec<f64> = (0..calls)
        .map(|_| {
            let t = Instant::now();
            let out = g.detect(input).expect("a benign detection");
            assert_eq!(out.detections[0].label, "cat");
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    ms
}

fn main() {
    let calls: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(200);
    let home = Config::discover_home();
    let mut config = Config::new(&home);
    config.models.backend = Some(BackendKind::Onnx);
    config.cache_entries = 0;
    config.engine.call_deadline = Duration::from_millis(500);
    config.engine.max_memory_bytes = 64 << 20;
    let g = Arc::new(Glint::open(config).expect("glint opens"));
    g.plugins.load_file(&home.join("tests/plugins/misbehave.wasm")).expect("tests/plugins/misbehave.wasm (scripts/build-components.sh)");
    let input = DetectInput { image: std::fs::read(home.join("samples/chelsea.png")).unwrap(), prompt: "a cat".into(), threshold: 0.3, model: None };
    benign(&g, &input, 10); // warm-up
    let quiet = benign(&g, &input, calls);

    let stop = Arc::new(AtomicBool::new(false));
    let storm = {
        let (g, stop) = (g.clone(), stop.clone());
        std::thread::spawn(move || {
            let faults = [("panic", 100), ("error", 100), ("recurse", 100), ("nan", 100), ("inverted", 100), ("many", 100), ("oom", 10), ("spin", 10)];
            let mut made = 0;
            while !stop.load(Ordering::Relaxed) {
                for (prompt, times) in faults {
                    for _ in 0..times {
                        let req = DetectRequest {
                            image: Image { bytes: vec![], mime: String::new() },
                            prompt: prompt.into(),
                            threshold: 0.3,
                            model: "coco-grounded-v1".into(),
                            limits: DetectLimits { max_pixels: 1, max_prompt_chars: 10 },
                        };
                        assert!(g.plugins.detect("misbehave", &req).is_err(), "{prompt} must fail");
                        made += 1;
                        if stop.load(Ordering::Relaxed) {
                            return made;
                        }
                    }
                }
            }
            made
        })
    };
    let stormy = benign(&g, &input, calls);
    stop.store(true, Ordering::Relaxed);
    let faults = storm.join().expect("every fault was an error");
    let idle = g.plugins.get("misbehave").unwrap().idle_instances();
    let (q50, q99, s50, s99) = (percentile(&quiet, 0.5), percentile(&quiet, 0.99), percentile(&stormy, 0.5), percentile(&stormy, 0.99));
    println!("benign detections: {calls} per phase; faulty calls during the storm: {faults}; idle misbehave instances after: {idle}");
    println!("quiet:  p50 {q50:.1} ms, p99 {q99:.1} ms");
    println!("storm:  p50 {s50:.1} ms, p99 {s99:.1} ms");
    println!("ratio:  p50 {:.2}x, p99 {:.2}x (goal: p99 within 2x)", s50 / q50, s99 / q99);
}
