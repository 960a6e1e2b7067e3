//! The allocate stage: which arm serves a subject.
//!
//! The experiment that applies is the one running now (inside its start/stop
//! window); its subjects keep the arm first recorded for them; a new subject
//! is given one by the allocator plugin (or, for a signed-in user, the arm
//! their guest cookie already had). With none running, an experiment that is
//! paused, stopped or past its stop time serves everyone its control arm, or
//! its winner once declared, uncounted. An allocator that fails or answers
//! nonsense is logged and the request is served by the control, uncounted.

use std::sync::Arc;

use super::{Experiments, ExperimentDef, LiveState, Status, Subject};
use glint_common::clock::now_ms;
use glint_app::detection::{Allocate, Allocation, ArmRun};
use glint_common::error::{ErrorKind, GlintError};
use glint_plugins::AllocatorArm;

/// How an experiment applies to requests now.
enum Phase {
    /// Subjects are assigned and counted.
    Counting,
    /// Everyone gets this arm, uncounted.
    Serving(String),
    /// Not started: no effect.
    Idle,
}

fn phase(def: &ExperimentDef, state: &LiveState, now: i64) -> Phase {
    let over = def.stop_ms.is_some_and(|s| now >= s);
    let started = def.start_ms.is_none_or(|s| now >= s);
    let settled = || Phase::Serving(state.winner.clone().unwrap_or_else(|| def.control().name.clone()));
    match state.status {
        _ if state.winner.is_some() => settled(),
        Status::Running if over => settled(),
        Status::Running if started => Phase::Counting,
        Status::Running => Phase::Idle,
        Status::Paused | Status::Stopped => settled(),
    }
}

impl Experiments {
    /// The arm for `subject`, or `None` when no experiment applies.
    pub async fn allocate(&self, subject: &Subject) -> Result<Option<Allocation>, GlintError> {
        let now = now_ms();
        let mut settled = None;
        for def in &self.defs {
            let Some(state) = self.state(&def.name) else { continue };
            match phase(def, &state, now) {
                Phase::Counting => return self.assign(def, &state, subject).await.map(Some),
                Phase::Serving(arm) if settled.is_none() => settled = Some((def, arm)),
                Phase::Serving(_) | Phase::Idle => {}
            }
        }
        Ok(settled.and_then(|(def, arm)| def.arm(&arm)).map(|a| Allocation { model: a.model.clone(), plugin: a.plugin.clone(), arm: None }))
    }

    /// The subject's arm, recorded; when the database fails the request is
    /// served by the control, uncounted (and the failure logged).
    async fn assign(&self, def: &ExperimentDef, state: &LiveState, subject: &Subject) -> Result<Allocation, GlintError> {
        match self.assign_recorded(def, state, subject).await {
            Err(e) if e.kind == ErrorKind::Backend => {
                tracing::error!(experiment = def.name, "{}; serving the control arm, uncounted", e.message);
                Ok(control(def))
            }
            other => other,
        }
    }

    async fn assign_recorded(&self, def: &ExperimentDef, state: &LiveState, subject: &Subject) -> Result<Allocation, GlintError> {
        let store_failed = |e: glint_store::StoreError| GlintError::new(ErrorKind::Backend, format!("experiment {}: the database failed: {e}", def.name));
        let mut arm_name = self.store.assignment(&def.name, def.version, &subject.id).await.map_err(store_failed)?;
        if arm_name.as_deref().is_some_and(|a| def.arm(a).is_none()) {
            arm_name = None; // its arm was removed from spin.toml: assign again
        }
        if arm_name.is_none() {
            let carried = match &subject.alias {
                Some(alias) => self.store.assignment(&def.name, def.version, alias).await.map_err(store_failed)?.filter(|a| def.arm(a).is_some()),
                None => None,
            };
            let chosen = match carried {
                Some(a) => Some(a),
                None => self.ask_allocator(def, state, &subject.id)?,
            };
            let Some(chosen) = chosen else { return Ok(control(def)) };
            let (held, new) = self.store.assign_once(&def.name, def.version, &subject.id, &chosen).await.map_err(store_failed)?;
            if new {
                self.glint.metrics.experiment_assignments.with_label_values(&[def.name.as_str(), held.as_str()]).inc();
            }
            arm_name = Some(held);
        }
        let arm = def.arm(arm_name.as_deref().unwrap_or_default()).unwrap_or_else(|| def.control());
        let run = ArmRun { experiment: def.name.clone(), version: def.version, arm: arm.name.clone(), subject: subject.id.clone() };
        Ok(Allocation { model: arm.model.clone(), plugin: arm.plugin.clone(), arm: Some(run) })
    }

    /// The allocator plugin's arm for a new subject; `None` (serve control,
    /// uncounted) when it fails, which is logged and counted.
    fn ask_allocator(&self, def: &ExperimentDef, state: &LiveState, subject: &str) -> Result<Option<String>, GlintError> {
        let arms: Vec<AllocatorArm> =
            def.arms.iter().zip(&state.weights).map(|(a, &w)| AllocatorArm { name: a.name.clone(), weight: w }).collect();
        match self.glint.plugins.assign(&def.allocator, &def.salt(), subject, &arms) {
            Ok(arm) => Ok(arm.map(|a| a.name)),
            Err(e) => {
                tracing::warn!(experiment = def.name, "{}; serving the control arm", e.message);
                self.glint.metrics.experiment_assignments.with_label_values(&[def.name.as_str(), "allocator-failed"]).inc();
                Ok(None)
            }
        }
    }
}

fn control(def: &ExperimentDef) -> Allocation {
    let c = def.control();
    Allocation { model: c.model.clone(), plugin: c.plugin.clone(), arm: None }
}

/// The allocate stage for one request: runs on the pipeline's blocking
/// thread and waits there for the store.
pub struct RequestAllocator {
    pub experiments: Arc<Experiments>,
    pub subject: Subject,
    pub runtime: tokio::runtime::Handle,
}

impl Allocate for RequestAllocator {
    fn allocate(&self) -> Result<Option<Allocation>, GlintError> {
        self.runtime.block_on(self.experiments.allocate(&self.subject))
    }
}
