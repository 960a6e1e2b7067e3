//! Auditing what goes into the model and what comes out, under the policy of
//! spin.toml's `[application.tool.glint.audit]`: the checks (`text`, `image`) run through
//! an auditor plugin, each with its own timeout and failure mode; every
//! decision is returned for the audit log and counted in `/metrics`; a block
//! stops the request with the reason codes.

mod decision;
mod policy;

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lru::LruCache;
use sha2::{Digest, Sha256};

pub use decision::{Decision, Outcome, action_name};
pub use policy::{AuditPolicy, CheckPolicy, ExternalResources, FailMode, GatewayPolicy, PolicyAction};

use glint_common::error::{ErrorKind, GlintError};
use glint_metrics::Metrics;
use glint_models::ModelRegistry;
use glint_plugins::{Action, AuditFailure, Detection, Image, PluginRegistry, Verdict};

/// The model family whose versions auditor plugins use (loaded before image checks).
pub const AUDIT_FAMILY: &str = "audit";

/// The installed versions of the audit family: what an image check loads first.
pub fn audit_model_versions(models: &ModelRegistry) -> Vec<String> {
    models
        .entries()
        .into_iter()
        .filter(|e| e.manifest.model.family == AUDIT_FAMILY && e.is_installed())
        .map(|e| e.name.clone())
        .collect()
}

/// What is being checked.
pub enum Content<'a> {
    /// The prompt.
    Prompt(&'a str),
    /// The detections' phrases and labels.
    Detections(&'a [Detection]),
    /// An encoded image (the upload, or the annotated result) and its
    /// sha256 when the caller has computed it already.
    Image(&'a [u8], Option<[u8; 32]>),
    /// The detections drawn on the upload (sha256 `image_digest`), drawn by
    /// `draw` only when the memo does not already know this picture: a cache
    /// hit's output check then costs no drawing and no PNG encoding.
    Drawn { image_digest: [u8; 32], detections: &'a [Detection], draw: &'a dyn Fn() -> Result<Vec<u8>, GlintError> },
}

/// The audit policy in force and the decisions it remembers.
pub struct Audit {
    pub policy: AuditPolicy,
    memo: Option<Mutex<LruCache<[u8; 32], Verdict>>>,
}

impl Audit {
    pub fn new(policy: AuditPolicy) -> Audit {
        let memo = NonZeroUsize::new(policy.memo_entries).map(|n| Mutex::new(LruCache::new(n)));
        Audit { policy, memo }
    }

    /// Runs one check on `content` when the policy enables it for `stage`
    /// ("input" or "output"); the decision is counted and pushed onto
    /// `trail`. A block (or a failure under fail-closed) is the error the
    /// request ends with.
    pub fn check(
        &self,
        env: &AuditEnv<'_>,
        stage: &str,
        content: Content<'_>,
        trail: &mut Vec<Decision>,
    ) -> Result<(), GlintError> {
        match self.decide(env, stage, content, true)? {
            Some(decision) => self.record(env, decision, trail),
            None => Ok(()),
        }
    }

    /// The decision of one check, not yet counted or logged (`None` when the
    /// policy does not run this check at `stage`). With `memo`, a verdict is
    /// looked up and remembered by content; streamed pieces, which never
    /// repeat, pass `false`. `Err` only for content that is the request's
    /// fault (undecodable, too large).
    pub fn decide(&self, env: &AuditEnv<'_>, stage: &str, content: Content<'_>, memo: bool) -> Result<Option<Decision>, GlintError> {
        let (kind, policy) = match content {
            Content::Image(..) | Content::Drawn { .. } => ("image", &self.policy.image),
            _ => ("text", &self.policy.text),
        };
        let enabled = if stage == "input" { policy.input } else { policy.output };
        if !enabled {
            return Ok(None);
        }
        let check = format!("{stage}.{kind}");
        let started = Instant::now();
        let memo = self.memo.as_ref().filter(|_| memo);
        let key = memo.map(|_| self.memo_key(env, &check, &content));
        let remembered =
            memo.zip(key.as_ref()).and_then(|(m, k)| m.lock().unwrap_or_else(|p| p.into_inner()).get(k).cloned());
        let (verdict, outcome) = match remembered {
            Some(v) => (Ok(v), Outcome::Remembered),
            None => (self.call(env, stage, content, policy), Outcome::Checked),
        };
        let decision = match verdict {
            Ok(v) => {
                if outcome == Outcome::Checked
                    && let (Some(m), Some(key)) = (memo, key)
                {
                    m.lock().unwrap_or_else(|p| p.into_inner()).put(key, v.clone());
                }
                Decision {
                    check,
                    action: policy.action(v.action, &v.scores),
                    reasons: v.reasons,
                    scores: v.scores,
                    outcome,
                    error: None,
                    latency_ms: started.elapsed().as_secs_f64() * 1e3,
                    policy_version: self.policy.version.clone(),
                }
            }
            Err(failure @ AuditFailure::BadInput(..)) => return Err(failure.into()),
            Err(failure) => {
                let (action, outcome) = match policy.on_error {
                    FailMode::Open => (Action::Allow, Outcome::FailedOpen),
                    FailMode::Closed => (Action::Block, Outcome::FailedClosed),
                };
                tracing::warn!(check, "audit check failed ({failure}): {}", outcome.as_str());
                Decision {
                    check,
                    action,
                    reasons: vec![format!("audit.{}", outcome.as_str())],
                    scores: vec![],
                    outcome,
                    error: Some(failure.to_string()),
                    latency_ms: started.elapsed().as_secs_f64() * 1e3,
                    policy_version: self.policy.version.clone(),
                }
            }
        };
        Ok(Some(decision))
    }

    /// Counts `decision` in the metrics and pushes it onto `trail`; the
    /// error the request ends with if it blocks.
    pub fn record(&self, env: &AuditEnv<'_>, decision: Decision, trail: &mut Vec<Decision>) -> Result<(), GlintError> {
        env.metrics
            .audit_decisions
            .with_label_values(&[&decision.check, action_name(decision.action), decision.outcome.as_str()])
            .inc();
        env.metrics.audit_seconds.with_label_values(&[&decision.check]).observe(decision.latency_ms / 1e3);
        let blocked = decision.blocks().then(|| GlintError::new(ErrorKind::Blocked, decision.message()));
        trail.push(decision);
        blocked.map_or(Ok(()), Err)
    }

    fn call(
        &self,
        env: &AuditEnv<'_>,
        stage: &str,
        content: Content<'_>,
        policy: &CheckPolicy,
    ) -> Result<Verdict, AuditFailure> {
        let (plugin, deadline) = (&self.policy.plugin, policy.timeout());
        match content {
            Content::Prompt(p) => env.plugins.audit_input(plugin, p, None, deadline),
            Content::Detections(d) => env.plugins.audit_output(plugin, d, None, deadline),
            Content::Image(bytes, _) => Self::call_image(env, plugin, stage, bytes.to_vec(), deadline),
            Content::Drawn { draw, .. } => {
                let bytes = draw().map_err(|e| AuditFailure::BadInput(e.kind, e.message))?;
                Self::call_image(env, plugin, stage, bytes, deadline)
            }
        }
    }

    /// An image check, with the audit family's graphs loaded first.
    fn call_image(
        env: &AuditEnv<'_>,
        plugin: &str,
        stage: &str,
        bytes: Vec<u8>,
        deadline: Duration,
    ) -> Result<Verdict, AuditFailure> {
        for version in audit_model_versions(env.models) {
            env.models.ensure_loaded(&version).map_err(|e| AuditFailure::Failed(e.message))?;
        }
        let image = Some(Image { bytes, mime: String::new() });
        if stage == "input" {
            env.plugins.audit_input(plugin, "", image, deadline)
        } else {
            env.plugins.audit_output(plugin, &[], image, deadline)
        }
    }

    /// Same policy, same plugin build, same check, same content: same verdict.
    fn memo_key(&self, env: &AuditEnv<'_>, check: &str, content: &Content<'_>) -> [u8; 32] {
        let mut h = Sha256::new();
        let plugin_sha = env.plugins.get(&self.policy.plugin).map(|p| p.info.sha256.clone()).unwrap_or_default();
        for part in [self.policy.version.as_str(), plugin_sha.as_str(), check] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        match content {
            Content::Prompt(p) => h.update(p.as_bytes()),
            Content::Image(b, digest) => h.update(digest.unwrap_or_else(|| Sha256::digest(b).into())),
            Content::Detections(ds) => hash_texts(&mut h, ds),
            Content::Drawn { image_digest, detections, .. } => {
                h.update(b"drawn");
                h.update(image_digest);
                hash_texts(&mut h, detections);
                for d in detections.iter() {
                    let b = &d.box_;
                    for v in [d.score, b.x0, b.y0, b.x1, b.y1] {
                        h.update(v.to_bits().to_le_bytes());
                    }
                }
            }
        }
        h.finalize().into()
    }
}

/// The detections' phrases and labels, length-prefixed.
fn hash_texts(h: &mut Sha256, detections: &[Detection]) {
    for d in detections {
        for t in [&d.phrase, &d.label] {
            h.update((t.len() as u64).to_le_bytes());
            h.update(t.as_bytes());
        }
    }
}

/// What a check needs from the running glint.
pub struct AuditEnv<'a> {
    pub plugins: &'a PluginRegistry,
    pub models: &'a ModelRegistry,
    pub metrics: &'a Metrics,
}
