//! `/api/experiments` (admins), answered by the host:
//!
//! - `GET /api/experiments`: every experiment, its live state and per-arm counts;
//! - `GET /api/experiments/{name}`: the full report (see [`super::report`]);
//! - `PATCH /api/experiments/{name}`: change weights, pause, resume, stop or
//!   declare a winner while serving (JSON `{"weights"?, "status"?, "winner"?, "reason"?}`).

use super::{Change, Experiments, Refusal};

/// The status and JSON body answering `method path`.
pub async fn answer(experiments: &Experiments, method: &str, path: &str, body: &[u8], actor: &str) -> (u16, String) {
    let rest = path.strip_prefix("/api/experiments").unwrap_or("");
    let name = rest.strip_prefix('/').filter(|n| !n.is_empty());
    match (method, name) {
        ("GET", None) => list(experiments).await,
        ("GET", Some(name)) => match experiments.report(name).await {
            Ok(Some(report)) => (200, serde_json::json!(report).to_string()),
            Ok(None) => error(404, &format!("no experiment {name:?}")),
            Err(e) => unavailable(e),
        },
        ("PATCH", Some(name)) => {
            let change: Change = match serde_json::from_slice(body) {
                Ok(c) => c,
                Err(e) => {
                    return error(400, &format!(
                        "the body must be JSON {{\"weights\"?: {{\"arm\": n}}, \"status\"?: \"running\"|\"paused\"|\"stopped\", \"winner\"?: \"arm\", \"reason\"?: \"…\"}}: {e}"
                    ));
                }
            };
            match experiments.change(name, change, actor).await {
                Ok(state) => (200, serde_json::json!({ "experiment": name, "state": state }).to_string()),
                Err(Refusal(status, message)) => error(status, &message),
            }
        }
        _ => error(405, &format!("{method} is not served on {path}")),
    }
}

async fn list(experiments: &Experiments) -> (u16, String) {
    let mut out = Vec::new();
    for def in experiments.defs() {
        let report = match experiments.report(&def.name).await {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => return unavailable(e),
        };
        let arms: Vec<serde_json::Value> = report
            .arms
            .iter()
            .map(|a| serde_json::json!({
                "name": a.name, "model": a.model, "plugin": a.plugin, "weight": a.weight,
                "subjects": a.subjects, "requests": a.requests, "errors": a.errors, "ratings": a.ratings.count,
                "mean_rating": a.ratings.mean,
                "verdict": a.vs_control.as_ref().map(|c| c.verdict),
            }))
            .collect();
        out.push(serde_json::json!({
            "name": def.name, "version": def.version, "description": def.description,
            "state": report.state, "srm_flagged": report.srm.as_ref().is_some_and(|s| s.flagged),
            "enough_data": report.enough_data, "arms": arms,
        }));
    }
    (200, serde_json::json!({ "experiments": out }).to_string())
}

fn error(status: u16, message: &str) -> (u16, String) {
    (status, serde_json::json!({ "error": { "status": status, "message": message } }).to_string())
}

fn unavailable(e: glint_store::StoreError) -> (u16, String) {
    tracing::error!("reading experiments failed: {e}");
    error(503, "the database is unavailable; try again")
}
