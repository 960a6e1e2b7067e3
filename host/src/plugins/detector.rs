//! Calling a detector plugin: a warm instance if one is idle, a fresh one
//! otherwise; a deadline and memory cap on every call; a trapped instance is
//! thrown away, never reused.

use wasmtime::Store;

use super::bindings::DetectorHost;
use super::bindings::glint::plugins::types::{DetectRequest, DetectResponse, Error as WitError, ErrorCode};
use super::registry::{Plugin, PluginRegistry};
use super::state::HostState;
use crate::error::{ErrorKind, GlintError};
use crate::nn;

pub(super) struct Warm {
    store: Store<HostState>,
    instance: DetectorHost,
}

impl PluginRegistry {
    /// Runs `req` on detector plugin `name`.
    pub fn detect(&self, name: &str, req: &DetectRequest) -> Result<DetectResponse, GlintError> {
        let plugin = self.get(name)?;
        let pre = plugin.detector.as_ref().ok_or_else(|| {
            GlintError::new(ErrorKind::UnknownPlugin, format!("plugin {name} is a {:?}, not a detector", plugin.info.world))
        })?;
        let mut warm = match plugin.idle.take() {
            Some(w) => w,
            None => {
                let state = HostState::new(self.models.clone(), self.engine.options.max_memory_bytes);
                let mut store = Store::new(&self.engine.engine, state);
                store.limiter(|s| &mut s.limits);
                store.set_epoch_deadline(self.engine.deadline_ticks());
                let instance = pre.instantiate(&mut store).map_err(|e| trap_error(&plugin, self, e))?;
                Warm { store, instance }
            }
        };
        warm.store.data_mut().refresh_graphs();
        warm.store.set_epoch_deadline(self.engine.deadline_ticks());
        nn::clear_last_error();
        match warm.instance.glint_plugins_detector().call_detect(&mut warm.store, req) {
            Ok(result) => {
                plugin.idle.park(warm);
                result.map_err(|e| plugin_error(name, e))
            }
            Err(trap) => Err(trap_error(&plugin, self, trap)),
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
    if kind == ErrorKind::Backend {
        if let Some(detail) = nn::take_last_error() {
            message = format!("{message} ({detail})");
        }
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
