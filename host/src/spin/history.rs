//! Recording the detections of signed-in users in their session's history,
//! which feedback then refers to.

use crate::detection::{DetectionOut, RunResult};
use crate::store::{NewResult, Store, now_ms, random_id};

/// The signed-in account a detection runs for.
#[derive(Clone, Debug)]
pub struct Owner {
    pub user: String,
    pub session_id: String,
}

/// Stores `r` in the owner's history and sets its `result_id`. When the
/// database fails, the user still gets the detection (without a
/// `result_id`, so it cannot be rated) and the failure is logged.
pub async fn record(store: &Store, owner: &Owner, prompt: &str, r: &mut RunResult) {
    let detections: Vec<DetectionOut> = r.response.detections.iter().map(DetectionOut::from).collect();
    let detections = serde_json::to_string(&detections).unwrap_or_else(|_| "[]".into());
    let id = random_id();
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
        })
        .await;
    match added {
        Ok(()) => r.result_id = Some(id),
        Err(e) => tracing::error!("recording a result in the history failed: {e}"),
    }
}
