//! Guardrails: after the requests an experiment serves, its arms are judged
//! (at most every quarter second per experiment). A treatment arm that
//! fails more often than `max_error_rate`, is slower at the 95th percentile
//! than `max_p95_ms` (both once it served `min_requests`), or — with
//! `rating_not_worse` — is rated lower than control with the anytime-valid
//! bound (the whole confidence sequence below 0, both arms past
//! `min_ratings`) stops the experiment: everyone is then served by the
//! control, the reason is recorded, and the webhook (if any) gets a POST.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::report::{ArmReport, Report};
use super::{Experiments, LiveState, Status};
use glint_common::clock::now_ms;
use glint_store::LiveEvent;

const JUDGE_EVERY: Duration = Duration::from_millis(250);
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an arm breaches a guardrail, if it does.
pub fn breach(report: &Report) -> Option<String> {
    let def = &report.definition;
    let g = &def.guardrails;
    let control = &report.arms[0];
    for arm in report.arms.iter().skip(1) {
        if let Some(why) = arm_breach(arm, control, g, def.min_ratings) {
            return Some(format!("guardrail: arm {}: {why}", arm.name));
        }
    }
    None
}

fn arm_breach(arm: &ArmReport, control: &ArmReport, g: &super::Guardrails, min_ratings: u64) -> Option<String> {
    if arm.requests >= g.min_requests {
        if let (Some(max), Some(rate)) = (g.max_error_rate, arm.error_rate)
            && rate > max
        {
            return Some(format!("error rate {rate:.3} > max_error_rate {max} after {} requests", arm.requests));
        }
        if let (Some(max), Some(p95)) = (g.max_p95_ms, arm.latency_p95_ms)
            && p95 > max
        {
            return Some(format!("p95 latency {p95:.1} ms > max_p95_ms {max} after {} requests", arm.requests));
        }
    }
    if g.rating_not_worse && arm.ratings.count >= min_ratings && control.ratings.count >= min_ratings {
        let cs = arm.vs_control.as_ref().and_then(|c| c.confidence_sequence);
        if let Some([low, high]) = cs
            && high < 0.0
        {
            return Some(format!("mean rating lower than control's (difference in [{low:.3}, {high:.3}] at every look)"));
        }
    }
    None
}

impl Experiments {
    /// Judges `name`'s guardrails unless it was judged a moment ago.
    pub(super) async fn judge(&self, name: &str) {
        {
            let mut judged = self.judged.lock().unwrap_or_else(|p| p.into_inner());
            if judged.get(name).is_some_and(|t| t.elapsed() < JUDGE_EVERY) {
                return;
            }
            judged.insert(name.to_string(), Instant::now());
        }
        let report = match self.report(name).await {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(experiment = name, "judging the guardrails failed: {e}");
                return;
            }
        };
        if report.state.status != Status::Running {
            return;
        }
        let Some(reason) = breach(&report) else { return };
        let def = &report.definition;
        let state = LiveState { status: Status::Stopped, reason: reason.clone(), actor: "guardrail".into(), updated_ms: now_ms(), ..report.state.clone() };
        if let Err(e) = self.save(def, state, "experiment-guardrail").await {
            tracing::error!(experiment = name, "stopping the experiment failed: {e}");
            return;
        }
        tracing::warn!(experiment = name, "{reason}: stopped, everyone gets the control arm");
        if let Some(url) = def.webhook.clone() {
            let payload = serde_json::json!({
                "event": "experiment.stopped",
                "experiment": def.name,
                "version": def.version,
                "reason": reason,
                "control": def.control().name,
                "time_ms": now_ms(),
            });
            let store = self.store.clone();
            let target = format!("experiment:{}", def.name);
            tokio::spawn(async move {
                let (outcome, why) = match post(&url, payload.to_string()).await {
                    Ok(status) if (200..300).contains(&status) => ("delivered", format!("{url} answered {status}")),
                    Ok(status) => ("failed", format!("{url} answered {status}")),
                    Err(e) => ("failed", format!("{url}: {e}")),
                };
                tracing::info!(target = target, "webhook {outcome}: {why}");
                let event = LiveEvent { actor: "guardrail".into(), action: "experiment-webhook".into(), target, outcome: outcome.into(), reason: why, ..LiveEvent::default() };
                if let Err(e) = store.record_live_event(event).await {
                    tracing::error!("recording the webhook's outcome failed: {e}");
                }
            });
        }
    }
}

/// POSTs `body` (JSON) to `url`; the answer's status.
async fn post(url: &str, body: String) -> anyhow::Result<u16> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let req = hyper::Request::post(url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::USER_AGENT, "glint-experiments")
        .body(Full::new(Bytes::from(body)))?;
    let res = tokio::time::timeout(WEBHOOK_TIMEOUT, client.request(req)).await.map_err(|_| anyhow::anyhow!("no answer in {WEBHOOK_TIMEOUT:?}"))??;
    Ok(res.status().as_u16())
}
