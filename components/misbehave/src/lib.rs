//! A detector plugin that misbehaves on purpose. The prompt says how:
//! "panic", "spin" (never returns), "oom" (allocates without bound),
//! "error" (returns an internal error), "echo:TEXT" (one detection whose
//! phrase and label are TEXT, for the audit pipeline's output checks),
//! "flaky:N" anywhere in the prompt (fails for N% of images, chosen by a
//! hash of the image bytes, so the same image always gets the same answer:
//! for experiment guardrails), "nan" (a NaN score), "inverted" (a box with
//! x0 > x1), "outside" (a box reaching far past the image), "many" (20,000
//! detections), "recurse" (recursion without end: the stack runs out);
//! anything else answers normally with no detections. Built only for tests (tests/plugins/misbehave.wasm).

wit_bindgen::generate!({
    world: "detect-plugin",
    path: "../../wit",
    generate_all,
});

use exports::glint::plugins::detector::Guest;
use glint::plugins::models;
use glint::plugins::types::{Bbox, DetectRequest, DetectResponse, Detection, Error, ErrorCode};

struct Component;

impl Guest for Component {
    fn detect(req: DetectRequest) -> Result<DetectResponse, Error> {
        match req.prompt.as_str() {
            "panic" => panic!("misbehave: asked to panic"),
            "spin" => {
                let mut x: u64 = 1;
                loop {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            }
            "oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 16 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "recurse" => {
                let depth = deeper(std::hint::black_box(1));
                Err(Error { code: ErrorCode::Internal, message: format!("misbehave: recursion ended at {depth}?") })
            }
            "error" => Err(Error { code: ErrorCode::Internal, message: "misbehave: asked to fail".into() }),
            p if p.contains("flaky:") => {
                let digits: String = p[p.find("flaky:").unwrap_or(0) + "flaky:".len()..].chars().take_while(char::is_ascii_digit).collect();
                let percent: u32 = digits.parse().unwrap_or(0);
                let h = req.image.bytes.iter().fold(0x811c_9dc5u32, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
                if h % 100 < percent {
                    return Err(Error { code: ErrorCode::Internal, message: format!("misbehave: flaky ({percent}%) failed") });
                }
                Ok(DetectResponse { detections: vec![], phrases: vec![], width: 0, height: 0 })
            }
            "nan" | "inverted" | "outside" | "many" => {
                let (score, box_) = match req.prompt.as_str() {
                    "nan" => (f32::NAN, Bbox { x0: 1.0, y0: 1.0, x1: 5.0, y1: 5.0 }),
                    "inverted" => (0.9, Bbox { x0: 8.0, y0: 1.0, x1: 2.0, y1: 5.0 }),
                    _ => (0.9, Bbox { x0: -500.0, y0: -500.0, x1: 5000.0, y1: 5000.0 }),
                };
                let detection = Detection { phrase: "thing".into(), label: "thing".into(), score, box_, span: (0, 0) };
                let n = if req.prompt == "many" { 20_000 } else { 1 };
                Ok(DetectResponse { detections: vec![detection; n], phrases: vec![], width: 10, height: 10 })
            }
            p if p.starts_with("derived:") => {
                let v = &req.model;
                let seen = |r: Option<Vec<u8>>| r.map_or("none".to_string(), |b| format!("some:{}", b.len()));
                let kept = |r: Result<(), Error>| r.map_or_else(|e| format!("refused: {}", e.message), |()| "kept".to_string());
                let said = match &p["derived:".len()..] {
                    "read-detect" => seen(models::derived(v, "coco-label-embeddings.v1")),
                    "keep-and-read" => format!("{} {}", kept(models::keep_derived(v, "mine", &[1, 2, 3])), seen(models::derived(v, "mine"))),
                    "keep-huge" => kept(models::keep_derived(v, "huge", &vec![0; 5 << 20])),
                    "keep-bad-key" => kept(models::keep_derived(v, "../x", &[1])),
                    other => format!("unknown derived op {other:?}"),
                };
                let detection = Detection { phrase: said.clone(), label: said, score: 0.9, box_: Bbox { x0: 1.0, y0: 1.0, x1: 9.0, y1: 9.0 }, span: (0, 0) };
                Ok(DetectResponse { detections: vec![detection], phrases: vec![], width: 10, height: 10 })
            }
            p if p.starts_with("echo:") => {
                let text = p["echo:".len()..].to_string();
                let box_ = Bbox { x0: 1.0, y0: 1.0, x1: 9.0, y1: 9.0 };
                let span = (5, req.prompt.chars().count() as u32);
                let detection = Detection { phrase: text.clone(), label: text, score: 0.9, box_, span };
                Ok(DetectResponse { detections: vec![detection], phrases: vec![], width: 10, height: 10 })
            }
            _ => Ok(DetectResponse { detections: vec![], phrases: vec![], width: 0, height: 0 }),
        }
    }
}

/// Calls itself until the stack is gone (black_box keeps it from becoming a loop).
fn deeper(n: u64) -> u64 {
    let mut frame = [n; 16];
    frame[(n % 16) as usize] = std::hint::black_box(n + 1);
    std::hint::black_box(deeper(frame[(n % 16) as usize]) + frame[3])
}

export!(Component);
