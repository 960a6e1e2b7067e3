//! Recording the detections of signed-in users in their session's history,
//! which feedback and exports then refer to: the row, and what a report of
//! it needs (the image, the detector build, how the prompt was understood,
//! the audit decisions).

use glint_audit::{Decision, action_name};
use glint_app::detection::{DetectionOut, PhraseOut, RunResult};
use glint_store::{NewResult, ResultDetails, Store, now_ms, random_id};

/// The signed-in account a detection runs for.
#[derive(Clone, Debug)]
pub struct Owner {
    pub user: String,
    pub session_id: String,
}

/// Stores `r` in the owner's history and sets its `result_id`. When the
/// database fails, the user still gets the detection (without a
/// `result_id`, so it cannot be rated) and the failure is logged.
pub async fn record(store: &Store, owner: &Owner, prompt: &str, image: &[u8], decisions: &[Decision], r: &mut RunResult) {
    let detections: Vec<DetectionOut> = r.response.detections.iter().map(DetectionOut::from).collect();
    let detections = serde_json::to_string(&detections).unwrap_or_else(|_| "[]".into());
    let id = random_id();
    let experiment = r.arm.as_ref().map(|a| a.label()).unwrap_or_default();
    let added = store
        .add_result(NewResult {
            id: &id,
            time_ms: now_ms(),
            user_name: &owner.user,
            session_id: &owner.session_id,
            image_sha256: &r.image_sha256,
            prompt,
            detections: &detections,
            model_version: &r.model.version,
            cache_key: &r.cache_key,
            cached: r.cached,
            experiment: &experiment,
        })
        .await;
    if let Err(e) = added {
        tracing::error!("recording a result in the history failed: {e}");
        return;
    }
    let phrases: Vec<PhraseOut> = r.response.phrases.iter().map(PhraseOut::from).collect();
    let audit: Vec<serde_json::Value> = decisions
        .iter()
        .map(|d| serde_json::json!({ "check": d.check, "verdict": action_name(d.action), "reasons": d.reasons }))
        .collect();
    let details = ResultDetails {
        plugin_sha256: r.plugin.sha256.clone(),
        width: r.response.width,
        height: r.response.height,
        phrases: serde_json::to_value(phrases).unwrap_or_default(),
        audit: serde_json::Value::Array(audit),
    };
    // Without its details the result is still rated; only a report of it lacks the image.
    if let Err(e) = store.add_result_details(&id, &r.image_sha256, image, &details).await {
        tracing::error!("recording a result's details failed: {e}");
    }
    r.result_id = Some(id);
}
