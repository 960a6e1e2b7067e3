//! Calling an auditor plugin: a fresh instance per call (the audit plugin
//! builds its word lists in a few milliseconds), under the same deadline and
//! memory cap as detectors; a trap is an error, never a panic.

use wasmtime::Store;

use super::bindings::auditor::exports::glint::plugins::auditor::{AuditInput, AuditOutput};
use super::bindings::glint::plugins::types::{Detection, Image, Verdict};
use super::registry::PluginRegistry;
use super::state::HostState;
use crate::error::{ErrorKind, GlintError};

impl PluginRegistry {
    /// Checks a request before the model sees it.
    pub fn audit_input(&self, name: &str, prompt: &str, image: Option<Image>) -> Result<Verdict, GlintError> {
        let input = AuditInput { prompt: prompt.to_string(), image };
        self.with_auditor(name, |store, a| a.glint_plugins_auditor().call_check_input(store, &input))
    }

    /// Checks a result before the user sees it.
    pub fn audit_output(&self, name: &str, detections: &[Detection], image: Option<Image>) -> Result<Verdict, GlintError> {
        let output = AuditOutput { detections: detections.to_vec(), image };
        self.with_auditor(name, |store, a| a.glint_plugins_auditor().call_check_output(store, &output))
    }

    fn with_auditor(
        &self,
        name: &str,
        call: impl FnOnce(
            &mut Store<HostState>,
            &super::bindings::auditor::AuditorHost,
        ) -> wasmtime::Result<Result<Verdict, super::bindings::glint::plugins::types::Error>>,
    ) -> Result<Verdict, GlintError> {
        let plugin = self.get(name)?;
        let pre = plugin.auditor.as_ref().ok_or_else(|| {
            GlintError::new(ErrorKind::UnknownPlugin, format!("plugin {name} is a {:?}, not an auditor", plugin.info.world))
        })?;
        let state = HostState::new(self.models.clone(), self.engine.options.max_memory_bytes);
        let mut store = Store::new(&self.engine.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(self.engine.deadline_ticks());
        let failed = |e: wasmtime::Error| GlintError::new(ErrorKind::Plugin, format!("plugin {name} failed: {e}"));
        let instance = pre.instantiate(&mut store).map_err(failed)?;
        match call(&mut store, &instance).map_err(failed)? {
            Ok(verdict) => Ok(verdict),
            Err(e) => Err(GlintError::new(ErrorKind::Plugin, format!("plugin {name}: {}", e.message))),
        }
    }
}
