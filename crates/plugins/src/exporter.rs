//! Calling an exporter plugin: a fresh instance per document (exports are
//! rare and an exporter keeps nothing between them), under the engine's
//! deadline and memory cap; a trap or an error is the caller's clear error,
//! never a panic. What it writes is checked against what it declared: a
//! known format, a non-empty document of the declared mime type.

use wasmtime::Store;

use super::bindings::exporter::ExportPlugin;
use super::bindings::exporter::exports::glint::plugins::exporter::{Document, Format, Report};
use super::plugin::Plugin;
use super::registry::PluginRegistry;
use super::state::{HostState, Models};
use glint_common::error::{ErrorKind, GlintError};

impl PluginRegistry {
    /// The formats an exporter plugin declares (asked once, when it is prepared).
    pub(super) fn exporter_formats(&self, pre: &super::bindings::exporter::ExportPluginPre<HostState>, name: &str, sha256: &str) -> Result<Vec<Format>, String> {
        let (mut store, plugin) = self.new_exporter(pre, sha256).map_err(|e| format!("it does not start: {e:#}"))?;
        let formats = plugin.glint_plugins_exporter().call_formats(&mut store).map_err(|e| format!("formats() failed: {e:#}"))?;
        if formats.is_empty() {
            return Err("it declares no format".into());
        }
        for f in &formats {
            if f.name.is_empty() || !f.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
                return Err(format!("its format name {:?} is not lower-case letters, digits and '-'", f.name));
            }
        }
        tracing::debug!(plugin = name, formats = ?formats.iter().map(|f| &f.name).collect::<Vec<_>>(), "exporter formats");
        Ok(formats)
    }

    fn new_exporter(&self, pre: &super::bindings::exporter::ExportPluginPre<HostState>, sha256: &str) -> wasmtime::Result<(Store<HostState>, ExportPlugin)> {
        let state = HostState::new(sha256, Models::Live(self.models.clone()), self.engine.options.max_memory_bytes);
        let mut store = Store::new(&self.engine.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(self.engine.deadline_ticks());
        let instance = pre.instantiate(&mut store)?;
        Ok((store, instance))
    }

    /// Writes `report` as `format` with this exporter build.
    pub fn export_on(&self, plugin: &Plugin, format: &str, report: &Report) -> Result<Document, GlintError> {
        let name = &plugin.info.name;
        let failed = |m: String| GlintError::new(ErrorKind::Plugin, format!("exporter {name}: {m}"));
        let pre = plugin.exporter.as_ref().ok_or_else(|| failed(format!("it is a {:?}, not an exporter", plugin.info.world)))?;
        let declared = plugin.info.formats.iter().find(|f| f.name == format).ok_or_else(|| failed(format!("it does not write {format:?}")))?;
        let (mut store, instance) = self.new_exporter(pre, &plugin.info.sha256).map_err(|e| failed(format!("it does not start: {e:#}")))?;
        let written = instance.glint_plugins_exporter().call_export(&mut store, format, report).map_err(|trap| {
            let message = match trap.downcast_ref::<wasmtime::Trap>() {
                Some(wasmtime::Trap::Interrupt) => {
                    format!("it ran past its deadline of {:.1} s and was stopped", self.engine.options.call_deadline.as_secs_f64())
                }
                _ if format!("{trap:?}").contains("growing memory") => {
                    format!("it needed more than its memory limit of {} MiB and was stopped", self.engine.options.max_memory_bytes >> 20)
                }
                Some(t) => format!("it crashed ({t})"),
                None => format!("it failed: {trap:#}"),
            };
            tracing::warn!(plugin = %name, "{message}");
            failed(message)
        })?;
        let document = written.map_err(|e| {
            let kind = if matches!(e.code, super::bindings::glint::plugins::types::ErrorCode::Internal) { ErrorKind::Plugin } else { ErrorKind::InvalidInput };
            GlintError::new(kind, format!("exporter {name}: {}", e.message))
        })?;
        if document.bytes.is_empty() {
            return Err(failed(format!("it wrote an empty {format} document")));
        }
        if document.mime != declared.mime {
            return Err(failed(format!("it wrote {} for {format}, which it declared as {}", document.mime, declared.mime)));
        }
        Ok(document)
    }
}
