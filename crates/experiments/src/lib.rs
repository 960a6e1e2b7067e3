//! A/B experiments between model versions (and detector plugins): which arm
//! serves a subject, what each arm served, and how the arms compare.
//!
//! - [`config`]: experiments as spin.toml declares them, checked;
//! - [`allocate`]: sticky assignment through the allocator plugin;
//! - [`stats`]: means, Welch's t, the mSPRT and its confidence sequence, the SRM check;
//! - [`report`]: per-arm results and the comparison to control;
//! - [`guard`]: guardrails that stop an experiment, and the webhook;
//! - [`api`]: `/api/experiments` for admins; [`subject`]: who a request counts as.
//!
//! The subject is the account when signed in (`user:NAME`), else the
//! first-party cookie `glint_subject` (`guest:HEX`). A subject's first arm is
//! recorded in the store, so changing weights or adding an arm moves nobody;
//! bumping the experiment's version in spin.toml starts over (a new salt, new records).

pub mod allocate;
pub mod api;
pub mod config;
pub mod guard;
pub mod report;
pub mod stats;
pub mod subject;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use config::{ArmDef, ExperimentDef, Guardrails, RawExperiment, Status};

use glint_app::Glint;
use glint_app::detection::ArmRun;
use glint_plugins::PluginWorld;
use glint_store::{LiveEvent, NewExperimentEvent, Store, now_ms};

/// What an admin (or a guardrail) changed while serving; saved in the
/// store per experiment version, so it survives restarts and is shared by replicas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveState {
    pub status: Status,
    /// The weight of each arm, in the order of the definition.
    pub weights: Vec<u32>,
    /// The arms' names, in the same order (to carry weights over when spin.toml adds or drops an arm).
    #[serde(default)]
    pub arms: Vec<String>,
    /// When the weights last changed (0: never): the sample-ratio check
    /// counts the subjects assigned since then.
    #[serde(default)]
    pub weights_since_ms: i64,
    /// The arm declared the winner: it serves everyone once the experiment is over.
    pub winner: Option<String>,
    /// Why the status last changed (a guardrail's breach, an admin's note).
    pub reason: String,
    pub actor: String,
    pub updated_ms: i64,
}

/// The experiments of `glint up`.
pub struct Experiments {
    defs: Vec<ExperimentDef>,
    live: Mutex<BTreeMap<String, LiveState>>,
    store: Store,
    glint: Arc<Glint>,
    /// When each experiment's guardrails were last judged.
    judged: Mutex<BTreeMap<String, Instant>>,
}

/// The subject a request is counted as.
#[derive(Clone, Debug)]
pub struct Subject {
    /// `user:NAME` or `guest:HEX`.
    pub id: String,
    /// The guest cookie of a signed-in user: their arm from before they signed in carries over.
    pub alias: Option<String>,
}

impl Experiments {
    /// Checks `defs` against the installed model versions and loaded plugins
    /// (a mistake names the file, line and key) and loads their live state.
    pub async fn open(defs: Vec<ExperimentDef>, glint: Arc<Glint>, store: Store) -> anyhow::Result<Experiments> {
        for d in &defs {
            let key = |line: usize, k: &str| format!("{}:{line}: [application.tool.glint.experiments.{}] {k}", d.file, d.name);
            match glint.plugins.get(&d.allocator) {
                Ok(p) if p.info.world == PluginWorld::AbPlugin => {}
                Ok(p) => anyhow::bail!("{}: plugin {:?} is a {:?}, not an allocator (world ab-plugin)", key(d.line, "allocator"), d.allocator, p.info.world),
                Err(e) => anyhow::bail!("{}: {}", key(d.line, "allocator"), e.message),
            }
            for (i, arm) in d.arms.iter().enumerate() {
                if let Err(e) = glint.models.entry(&arm.model) {
                    anyhow::bail!("{}: {}", key(arm.line, &format!("arms[{i}].model")), e.message);
                }
                if let Some(p) = &arm.plugin {
                    match glint.plugins.get(p) {
                        Ok(plugin) if plugin.info.world == PluginWorld::DetectPlugin => {}
                        Ok(plugin) => anyhow::bail!("{}: plugin {p:?} is a {:?}, not a detector", key(arm.line, &format!("arms[{i}].plugin")), plugin.info.world),
                        Err(e) => anyhow::bail!("{}: {}", key(arm.line, &format!("arms[{i}].plugin")), e.message),
                    }
                }
            }
        }
        let mut live = BTreeMap::new();
        for d in &defs {
            let saved = store.experiment_state(&d.name).await?;
            let state = saved
                .filter(|(version, _)| *version == d.version)
                .and_then(|(_, json)| serde_json::from_str::<LiveState>(&json).ok())
                .map(|s| s.carried_over(d))
                .unwrap_or_else(|| LiveState::from_def(d));
            live.insert(d.name.clone(), state);
        }
        Ok(Experiments { defs, live: Mutex::new(live), store, glint, judged: Mutex::new(BTreeMap::new()) })
    }

    /// Whether any experiment is declared (guests then get a subject cookie).
    pub fn any(&self) -> bool {
        !self.defs.is_empty()
    }

    pub fn defs(&self) -> &[ExperimentDef] {
        &self.defs
    }

    pub fn def(&self, name: &str) -> Option<&ExperimentDef> {
        self.defs.iter().find(|d| d.name == name)
    }

    /// The live state of `name`.
    pub fn state(&self, name: &str) -> Option<LiveState> {
        self.live.lock().unwrap_or_else(|p| p.into_inner()).get(name).cloned()
    }

    /// Records one request an arm served, counts it, and has the guardrails
    /// judged in the background (the answer does not wait for them).
    pub async fn record(self: &Arc<Self>, arm: &ArmRun, ok: bool, elapsed_ms: f64, result_id: Option<&str>) {
        let metrics = &self.glint.metrics;
        let outcome = if ok { "ok" } else { "error" };
        metrics.experiment_requests.with_label_values(&[arm.experiment.as_str(), arm.arm.as_str(), outcome]).inc();
        metrics.experiment_seconds.with_label_values(&[arm.experiment.as_str(), arm.arm.as_str()]).observe(elapsed_ms / 1e3);
        let event = NewExperimentEvent {
            experiment: &arm.experiment,
            version: arm.version,
            arm: &arm.arm,
            subject: &arm.subject,
            ok,
            latency_us: (elapsed_ms * 1e3) as i64,
            result_id: result_id.unwrap_or(""),
        };
        if let Err(e) = self.store.add_experiment_event(event).await {
            tracing::error!(experiment = arm.experiment, "recording an experiment event failed: {e}");
            return;
        }
        if self.def(&arm.experiment).is_some_and(|d| d.guardrails.any()) {
            let (this, name) = (self.clone(), arm.experiment.clone());
            tokio::spawn(async move { this.judge(&name).await });
        }
    }

    /// Saves `state` for `name` and records the change in the live-change log.
    async fn save(&self, def: &ExperimentDef, state: LiveState, action: &str) -> anyhow::Result<LiveState> {
        self.store.save_experiment_state(&def.name, def.version, &serde_json::to_string(&state)?).await?;
        self.live.lock().unwrap_or_else(|p| p.into_inner()).insert(def.name.clone(), state.clone());
        let event = LiveEvent {
            actor: state.actor.clone(),
            action: action.into(),
            target: format!("experiment:{}", def.name),
            outcome: "changed".into(),
            reason: state.reason.clone(),
            steps: serde_json::json!({ "status": state.status, "weights": state.weights, "winner": state.winner }),
            ..LiveEvent::default()
        };
        if let Err(e) = self.store.record_live_event(event).await {
            tracing::error!("recording an experiment change failed: {e}");
        }
        tracing::info!(experiment = def.name, action, status = ?state.status, weights = ?state.weights, winner = ?state.winner, reason = state.reason, "experiment changed");
        Ok(state)
    }
}

impl LiveState {
    /// A saved state for the arms `d` declares now: an arm kept keeps its
    /// live weight, an arm added gets its spin.toml weight, a winner no longer
    /// declared is forgotten.
    fn carried_over(mut self, d: &ExperimentDef) -> LiveState {
        let saved: BTreeMap<&str, u32> = self.arms.iter().map(String::as_str).zip(self.weights.iter().copied()).collect();
        let weights: Vec<u32> = d.arms.iter().map(|a| saved.get(a.name.as_str()).copied().unwrap_or(a.weight)).collect();
        if weights.iter().all(|&w| w == 0) {
            return LiveState::from_def(d);
        }
        if self.arms.len() != d.arms.len() || self.arms.iter().zip(&d.arms).any(|(s, a)| s != &a.name) {
            self.weights_since_ms = now_ms();
        }
        self.weights = weights;
        self.arms = d.arms.iter().map(|a| a.name.clone()).collect();
        self.winner = self.winner.filter(|w| d.arm(w).is_some());
        self
    }

    fn from_def(d: &ExperimentDef) -> LiveState {
        LiveState {
            status: d.status,
            weights: d.arms.iter().map(|a| a.weight).collect(),
            arms: d.arms.iter().map(|a| a.name.clone()).collect(),
            weights_since_ms: 0,
            winner: None,
            reason: String::new(),
            actor: "spin.toml".into(),
            updated_ms: now_ms(),
        }
    }
}

/// What an admin asks to change; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// New weights by arm name (arms not named keep theirs).
    pub weights: Option<BTreeMap<String, u32>>,
    pub status: Option<Status>,
    /// Declares this arm the winner: the experiment stops and the arm serves everyone.
    pub winner: Option<String>,
    /// A note recorded with the change.
    pub reason: Option<String>,
}

/// A change that cannot be made: the HTTP status and why.
#[derive(Debug)]
pub struct Refusal(pub u16, pub String);

impl Experiments {
    /// Applies `change` to experiment `name` while serving.
    pub async fn change(&self, name: &str, change: Change, actor: &str) -> Result<LiveState, Refusal> {
        let def = self.def(name).ok_or_else(|| Refusal(404, format!("no experiment {name:?} in the manifest")))?;
        let mut state = self.state(name).ok_or_else(|| Refusal(404, format!("no experiment {name:?}")))?;
        let mut actions = Vec::new();
        if let Some(weights) = &change.weights {
            for (arm, &w) in weights {
                let i = def.arms.iter().position(|a| &a.name == arm).ok_or_else(|| {
                    let known: Vec<&str> = def.arms.iter().map(|a| a.name.as_str()).collect();
                    Refusal(400, format!("weights: no arm {arm:?} (arms: {})", known.join(", ")))
                })?;
                if w > 1_000_000 {
                    return Err(Refusal(400, format!("weights: {arm} = {w} is over 1000000")));
                }
                state.weights[i] = w;
            }
            if state.weights.iter().all(|&w| w == 0) {
                return Err(Refusal(400, "weights: they would sum to 0; give at least one arm a weight above 0".into()));
            }
            state.weights_since_ms = now_ms();
            actions.push("experiment-weights");
        }
        if let Some(winner) = &change.winner {
            if def.arm(winner).is_none() {
                return Err(Refusal(400, format!("winner: no arm {winner:?}")));
            }
            state.winner = Some(winner.clone());
            state.status = Status::Stopped;
            actions.push("experiment-winner");
        }
        if let Some(status) = change.status {
            if status == Status::Running && change.winner.is_none() {
                if state.winner.is_some() {
                    return Err(Refusal(409, "a winner was declared: bump the experiment's version in spin.toml to run it again".into()));
                }
                let live = self.live.lock().unwrap_or_else(|p| p.into_inner());
                if let Some((other, _)) = live.iter().find(|(n, s)| n.as_str() != name && s.status == Status::Running) {
                    return Err(Refusal(409, format!("experiment {other} is running: only one experiment may run at a time")));
                }
            }
            if change.winner.is_none() {
                state.status = status;
            }
            actions.push("experiment-status");
        }
        if actions.is_empty() {
            return Err(Refusal(400, "nothing to change: give weights, status or winner".into()));
        }
        state.reason = change.reason.unwrap_or_else(|| format!("{} by {actor}", actions.join(", ")));
        state.actor = actor.to_string();
        state.updated_ms = now_ms();
        let action = actions.last().copied().unwrap_or("experiment-change");
        self.save(def, state, action).await.map_err(|e| Refusal(503, format!("the database is unavailable; try again ({e})")))
    }
}
