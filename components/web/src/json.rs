//! The JSON documents of the API (the same shape `glint detect` prints).

use serde_json::{Value, json};

use crate::bindings::glint::plugins::platform::{DetectResult, JobState, JobStatus, ModelInfo};

pub fn detect_result(r: &DetectResult) -> Value {
    let resp = &r.response;
    json!({
        "detections": resp.detections.iter().map(|d| json!({
            "phrase": d.phrase,
            "label": d.label,
            "score": d.score,
            "box": { "x0": d.box_.x0, "y0": d.box_.y0, "x1": d.box_.x1, "y1": d.box_.y1 },
            "span": [d.span.0, d.span.1],
        })).collect::<Vec<_>>(),
        "phrases": resp.phrases.iter().map(|p| json!({
            "phrase": p.phrase,
            "label": p.label,
            "method": p.method,
            "similarity": p.similarity,
            "span": [p.span.0, p.span.1],
        })).collect::<Vec<_>>(),
        "width": resp.width,
        "height": resp.height,
        "threshold": r.threshold,
        "model": {
            "version": r.model.version,
            "family": r.model.family,
            "backend": r.model.backend,
            "runtime": r.model.runtime,
            "device": r.model.device,
        },
        "plugin": r.plugin,
        "plugin_sha256": r.plugin_sha256,
        "cached": r.cached,
        "elapsed_ms": r.elapsed_ms,
        "result_id": r.result_id,
        "experiment": r.experiment.as_ref().map(|e| json!({ "name": e.name, "version": e.version, "arm": e.arm })),
    })
}

pub fn models(models: &[ModelInfo]) -> Value {
    Value::Array(
        models
            .iter()
            .map(|m| json!({
                "version": m.version,
                "family": m.family,
                "description": m.description,
                "backend": m.backend,
                "installed": m.installed,
            }))
            .collect(),
    )
}

pub fn job(s: &JobStatus) -> Value {
    let state = match s.state {
        JobState::Queued => "queued",
        JobState::Running => "running",
        JobState::Done => "done",
        JobState::Failed => "failed",
    };
    let mut v = json!({ "id": s.id, "state": state });
    if matches!(s.state, JobState::Queued) {
        v["position"] = json!(s.position);
    }
    if let Some(r) = &s.output {
        v["result"] = detect_result(r);
    }
    if let Some(e) = &s.error {
        v["error"] = json!({ "message": e.message });
    }
    v
}
