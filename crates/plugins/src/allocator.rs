//! Calling an allocator plugin (world `ab-plugin`): a fresh instance per
//! call (it imports nothing and keeps nothing), under the engine's deadline
//! and memory cap. Its answer is checked: it must be one of the arms offered,
//! with a weight above 0.

use wasmtime::Store;

use super::bindings::allocator::AbPlugin;
use super::bindings::allocator::exports::glint::plugins::allocator::Arm;
use super::plugin::Plugin;
use super::registry::PluginRegistry;
use super::state::{HostState, Models};
use glint_common::error::{ErrorKind, GlintError};

impl PluginRegistry {
    /// The arm allocator plugin `name` gives `subject` in the experiment
    /// salted `salt`, among `arms`; `None` when it gives none.
    pub fn assign(&self, name: &str, salt: &str, subject: &str, arms: &[Arm]) -> Result<Option<Arm>, GlintError> {
        let plugin = self.get(name)?;
        self.assign_on(&plugin, salt, subject, arms)
    }

    /// [`PluginRegistry::assign`] with this allocator build.
    pub fn assign_on(&self, plugin: &Plugin, salt: &str, subject: &str, arms: &[Arm]) -> Result<Option<Arm>, GlintError> {
        let name = &plugin.info.name;
        let failed = |m: String| GlintError::new(ErrorKind::Plugin, format!("allocator {name}: {m}"));
        let pre = plugin.allocator.as_ref().ok_or_else(|| failed(format!("it is a {:?}, not an allocator", plugin.info.world)))?;
        let state = HostState::new(&plugin.info.sha256, Models::Live(self.models.clone()), self.engine.options.max_memory_bytes);
        let mut store = Store::new(&self.engine.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(self.engine.deadline_ticks());
        let instance: AbPlugin = pre.instantiate(&mut store).map_err(|e| failed(format!("it does not start: {e:#}")))?;
        let answer = instance
            .glint_plugins_allocator()
            .call_assign(&mut store, salt, subject, arms)
            .map_err(|trap| failed(format!("it crashed ({trap:#})")))?;
        match answer {
            None => Ok(None),
            Some(arm) if arms.iter().any(|a| a.name == arm.name && a.weight > 0) => Ok(Some(arm)),
            Some(arm) => Err(failed(format!("it answered arm {:?}, which is not an offered arm with a weight above 0", arm.name))),
        }
    }
}
