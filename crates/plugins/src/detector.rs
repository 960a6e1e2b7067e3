//! Calling a detector plugin: a warm instance if one is idle, a fresh one
//! otherwise; a deadline and memory cap on every call; a trapped instance is
//! thrown away, never reused; its answer is checked (`answers.rs`).

use std::sync::Arc;

use wasmtime::Store;

use super::bindings::DetectorHost;
use super::bindings::glint::plugins::types::{DetectRequest, DetectResponse, Error as WitError, ErrorCode};
use super::plugin::Plugin;
use super::pool::Warm;
use super::registry::PluginRegistry;
use super::state::{HostState, Models};
use glint_common::error::{ErrorKind, GlintError};
use glint_models::ModelView;

impl PluginRegistry {
    /// Runs `req` on detector plugin `name`, as registered now.
    pub fn detect(&self, name: &str, req: &DetectRequest) -> Result<DetectResponse, GlintError> {
        self.detect_on(&*self.get(name)?, req)
    }

    /// Runs `req` on this build of a detector plugin (a caller that resolved
    /// it once keeps using it, whatever is swapped meanwhile).
    pub fn detect_on(&self, plugin: &Plugin, req: &DetectRequest) -> Result<DetectResponse, GlintError> {
        let generation = self.models.view().generation;
        let warm = match plugin.idle.take(generation) {
            Some(w) => w,
            None => self.new_detector(plugin, Models::Live(self.models.clone()))?,
        };
        self.run_detector(plugin, warm, req, true)
    }

    /// Runs `req` on `plugin` in a fresh instance that sees `view` (a
    /// candidate version, or a candidate plugin, under its canary).
    pub fn detect_in(&self, plugin: &Plugin, view: ModelView, req: &DetectRequest) -> Result<DetectResponse, GlintError> {
        let warm = self.new_detector(plugin, Models::Fixed(Arc::new(view)))?;
        self.run_detector(plugin, warm, req, false)
    }

    fn new_detector(&self, plugin: &Plugin, models: Models) -> Result<Warm<DetectorHost>, GlintError> {
        let name = &plugin.info.name;
        let pre = plugin.detector.as_ref().ok_or_else(|| {
            GlintError::new(ErrorKind::UnknownPlugin, format!("plugin {name} is a {:?}, not a detector", plugin.info.world))
        })?;
        let state = HostState::new(&plugin.info.sha256, models, self.engine.options.max_memory_bytes);
        let mut store = Store::new(&self.engine.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(self.engine.deadline_ticks());
        let instance = pre.instantiate(&mut store).map_err(|e| trap_error(plugin, self, e))?;
        Ok(Warm { store, instance })
    }

    fn run_detector(&self, plugin: &Plugin, mut warm: Warm<DetectorHost>, req: &DetectRequest, park: bool) -> Result<DetectResponse, GlintError> {
        warm.store.data_mut().refresh_view();
        warm.store.set_epoch_deadline(self.engine.deadline_ticks());
        glint_nn::clear_last_error();
        match warm.instance.glint_plugins_detector().call_detect(&mut warm.store, req) {
            Ok(result) => {
                if park {
                    plugin.idle.park(warm);
                }
                let response = result.map_err(|e| plugin_error(&plugin.info.name, e))?;
                super::answers::checked(&plugin.info.name, response, req.prompt.chars().count())
            }
            Err(trap) => Err(trap_error(plugin, self, trap)),
        }
    }
}

/// A guest's error, with the backend's detail when inference failed.
fn plugin_error(name: &str, e: WitError) -> GlintError {
    let kind = match e.code {
        ErrorCode::InvalidImage | ErrorCode::InvalidPrompt => ErrorKind::InvalidInput,
        ErrorCode::ImageTooLarge => ErrorKind::TooLarge,
        ErrorCode::UnknownModel => ErrorKind::UnknownModel,
        ErrorCode::UnsupportedModel => ErrorKind::Config,
        ErrorCode::InferenceFailed => ErrorKind::Backend,
        ErrorCode::Internal => ErrorKind::Plugin,
    };
    let mut message = e.message;
    if kind == ErrorKind::Backend
        && let Some(detail) = glint_nn::take_last_error()
    {
        message = format!("{message} ({detail})");
    }
    if kind == ErrorKind::Plugin {
        message = format!("plugin {name}: {message}");
    }
    GlintError::new(kind, message)
}

/// Explains a trap (deadline, memory, crash) in words.
fn trap_error(plugin: &Plugin, reg: &PluginRegistry, e: wasmtime::Error) -> GlintError {
    let name = &plugin.info.name;
    let detail = format!("{e:?}");
    let message = match e.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::Interrupt) => format!(
            "plugin {name} ran past its deadline of {:.1} s and was stopped",
            reg.engine.options.call_deadline.as_secs_f64()
        ),
        // StoreLimits are built with trap_on_grow_failure: going over the cap traps with this text.
        _ if detail.contains("growing memory") => format!(
            "plugin {name} needed more than its memory limit of {} MiB and was stopped",
            reg.engine.options.max_memory_bytes >> 20
        ),
        Some(t) => format!("plugin {name} crashed ({t}) and was restarted"),
        None => format!("plugin {name} failed: {e:#}"),
    };
    tracing::warn!(plugin = %name, "{message}: {detail}");
    GlintError::new(ErrorKind::Plugin, message)
}
