//! Calling an auditor plugin: a warm instance if one is idle (the audit
//! plugin keeps its compiled word lists, ~6 ms to build, between calls), a
//! fresh one otherwise, under the caller's deadline and the engine's memory
//! cap. A trap is an error, never a panic, and the trapped instance is
//! thrown away.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::Store;

use super::bindings::auditor::exports::glint::plugins::auditor::{AuditInput, AuditOutput};
use super::bindings::auditor::AuditorHost;
use super::bindings::glint::plugins::types::{Detection, ErrorCode, Image, Verdict};
use super::plugin::Plugin;
use super::pool::Warm;
use super::registry::PluginRegistry;
use super::state::{HostState, Models};
use glint_engine::EPOCH_TICK;
use glint_models::ModelView;
use glint_common::error::{ErrorKind, GlintError};

/// Why an auditor call gave no verdict.
#[derive(Clone, Debug, PartialEq)]
pub enum AuditFailure {
    /// It ran past its deadline and was stopped.
    TimedOut(Duration),
    /// It trapped, returned an error, or is not loaded.
    Failed(String),
    /// The content itself is unusable (not a decodable image, over a size
    /// limit): the request's fault, not the auditor's, so no fail mode applies.
    BadInput(ErrorKind, String),
}

impl std::fmt::Display for AuditFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditFailure::TimedOut(d) => write!(f, "timed out after {} ms", d.as_millis()),
            AuditFailure::Failed(m) | AuditFailure::BadInput(_, m) => f.write_str(m),
        }
    }
}

impl PluginRegistry {
    /// Checks a request before the model sees it.
    pub fn audit_input(
        &self,
        name: &str,
        prompt: &str,
        image: Option<Image>,
        deadline: Duration,
    ) -> Result<Verdict, AuditFailure> {
        let plugin = self.get(name).map_err(|e| AuditFailure::Failed(e.message))?;
        self.audit_input_on(&plugin, prompt, image, deadline)
    }

    /// [`PluginRegistry::audit_input`] on this build of an auditor (a
    /// candidate under its canary, too).
    pub fn audit_input_on(
        &self,
        plugin: &Plugin,
        prompt: &str,
        image: Option<Image>,
        deadline: Duration,
    ) -> Result<Verdict, AuditFailure> {
        let input = AuditInput { prompt: prompt.to_string(), image };
        self.with_auditor(plugin, None, deadline, |store, a| a.glint_plugins_auditor().call_check_input(store, &input))
    }

    /// [`PluginRegistry::audit_input_on`] in a fresh instance that sees
    /// `view` (a candidate model version under its canary).
    pub fn audit_input_in(
        &self,
        plugin: &Plugin,
        view: ModelView,
        prompt: &str,
        image: Option<Image>,
        deadline: Duration,
    ) -> Result<Verdict, AuditFailure> {
        let input = AuditInput { prompt: prompt.to_string(), image };
        let models = Models::Fixed(Arc::new(view));
        self.with_auditor(plugin, Some(models), deadline, |store, a| a.glint_plugins_auditor().call_check_input(store, &input))
    }

    /// Checks a result before the user sees it.
    pub fn audit_output(
        &self,
        name: &str,
        detections: &[Detection],
        image: Option<Image>,
        deadline: Duration,
    ) -> Result<Verdict, AuditFailure> {
        let plugin = self.get(name).map_err(|e| AuditFailure::Failed(e.message))?;
        let output = AuditOutput { detections: detections.to_vec(), image };
        self.with_auditor(&plugin, None, deadline, |store, a| a.glint_plugins_auditor().call_check_output(store, &output))
    }

    /// Calls `call` on a warm instance of `plugin` (or, with `fixed`, a fresh
    /// one that sees that view and is not kept).
    fn with_auditor(
        &self,
        plugin: &Plugin,
        fixed: Option<Models>,
        deadline: Duration,
        call: impl FnOnce(
            &mut Store<HostState>,
            &AuditorHost,
        ) -> wasmtime::Result<Result<Verdict, super::bindings::glint::plugins::types::Error>>,
    ) -> Result<Verdict, AuditFailure> {
        let name = &plugin.info.name;
        let pre = plugin.auditor.as_ref().ok_or_else(|| {
            AuditFailure::Failed(format!("plugin {name} is a {:?}, not an auditor", plugin.info.world))
        })?;
        let failed = |e: wasmtime::Error| match e.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::Interrupt) => AuditFailure::TimedOut(deadline),
            Some(t) => AuditFailure::Failed(format!("plugin {name} crashed ({t})")),
            None => AuditFailure::Failed(format!("plugin {name} failed: {e:#}")),
        };
        let park = fixed.is_none();
        let idle = if park { plugin.idle_auditors.take(self.models.view().generation) } else { None };
        let mut warm = match idle {
            Some(w) => w,
            None => {
                let models = fixed.unwrap_or_else(|| Models::Live(self.models.clone()));
                let state = HostState::new(&plugin.info.sha256, models, self.engine.options.max_memory_bytes);
                let mut store = Store::new(&self.engine.engine, state);
                store.limiter(|s| &mut s.limits);
                store.set_epoch_deadline((deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64);
                let instance = pre.instantiate(&mut store).map_err(failed)?;
                Warm { store, instance }
            }
        };
        warm.store.data_mut().refresh_view();
        warm.store.set_epoch_deadline((deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64);
        let answer = call(&mut warm.store, &warm.instance).map_err(failed)?;
        if park {
            plugin.idle_auditors.park(warm);
        }
        answer.map_err(|e| match e.code {
            ErrorCode::InvalidImage | ErrorCode::InvalidPrompt => AuditFailure::BadInput(ErrorKind::InvalidInput, e.message),
            ErrorCode::ImageTooLarge => AuditFailure::BadInput(ErrorKind::TooLarge, e.message),
            _ => AuditFailure::Failed(format!("plugin {name}: {}", e.message)),
        })
    }
}

/// For callers that want a [`GlintError`].
impl From<AuditFailure> for GlintError {
    fn from(f: AuditFailure) -> GlintError {
        match f {
            AuditFailure::BadInput(kind, message) => GlintError::new(kind, message),
            f => GlintError::new(ErrorKind::Plugin, format!("audit {f}")),
        }
    }
}
