//! A loaded plugin: what it is (its WIT world, imports, exports, build), its
//! pre-linked instance factory, and its idle instances.

use std::path::PathBuf;

use anyhow::bail;

use super::bindings::DetectorHost;
use super::bindings::DetectorHostPre;
use super::bindings::auditor::{AuditorHost, AuditorHostPre};
use super::bindings::allocator::AbPluginPre;
use super::bindings::exporter::ExportPluginPre;
use super::bindings::exporter::exports::glint::plugins::exporter::Format;
use super::pool::Idle;
use super::state::HostState;
use super::{WIT_PACKAGE, WIT_VERSION};
use glint_engine::CacheOutcome;

/// The world a plugin was built for, read from its exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PluginWorld {
    DetectPlugin,
    AuditPlugin,
    ExportPlugin,
    AbPlugin,
}

impl PluginWorld {
    pub(super) fn from_export(interface: &str) -> Option<PluginWorld> {
        Some(match interface {
            "detector" => PluginWorld::DetectPlugin,
            "auditor" => PluginWorld::AuditPlugin,
            "exporter" => PluginWorld::ExportPlugin,
            "allocator" => PluginWorld::AbPlugin,
            _ => return None,
        })
    }
}

/// What `glint plugins list` shows about a plugin.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PluginInfo {
    pub name: String,
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    pub world: PluginWorld,
    pub imports: Vec<String>,
    pub exports: Vec<String>,
    pub compile_ms: u64,
    pub compiled_cache: CacheOutcome,
    /// When this build was loaded (ms since the epoch).
    pub loaded_ms: i64,
    /// For exporters: the formats it writes.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "format_names")]
    pub formats: Vec<Format>,
}

fn format_names<S: serde::Serializer>(formats: &[Format], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(formats.iter().map(|f| &f.name))
}

/// A loaded plugin, ready to instantiate.
pub struct Plugin {
    pub info: PluginInfo,
    pub(super) detector: Option<DetectorHostPre<HostState>>,
    pub(super) auditor: Option<AuditorHostPre<HostState>>,
    pub(super) exporter: Option<ExportPluginPre<HostState>>,
    pub(super) allocator: Option<AbPluginPre<HostState>>,
    pub(super) idle: Idle<DetectorHost>,
    pub(super) idle_auditors: Idle<AuditorHost>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin").field("info", &self.info).finish_non_exhaustive()
    }
}

impl Plugin {
    /// Idle detector and auditor instances kept for reuse now (each pool holds at most 4).
    pub fn idle_instances(&self) -> usize {
        self.idle.len() + self.idle_auditors.len()
    }
}

/// The world a component implements, from its `glint:plugins/<iface>@<ver>` export.
pub fn world_of(exports: &[String]) -> anyhow::Result<PluginWorld> {
    for e in exports {
        let Some(rest) = e.strip_prefix(WIT_PACKAGE).and_then(|r| r.strip_prefix('/')) else { continue };
        let (iface, version) = rest.split_once('@').unwrap_or((rest, ""));
        let Some(world) = PluginWorld::from_export(iface) else { continue };
        if version != WIT_VERSION {
            bail!("it exports {e}, built for {WIT_PACKAGE}@{version}; this glint implements {WIT_PACKAGE}@{WIT_VERSION}");
        }
        return Ok(world);
    }
    bail!(
        "it exports none of {WIT_PACKAGE}/{{detector,auditor,exporter,allocator}}@{WIT_VERSION} (its exports: {exports:?})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_from_exports() {
        assert_eq!(world_of(&["glint:plugins/detector@0.6.0".into()]).unwrap(), PluginWorld::DetectPlugin);
        let e = world_of(&["glint:plugins/detector@0.3.0".into()]).unwrap_err().to_string();
        assert!(e.contains("0.3.0") && e.contains("0.6.0"), "{e}");
        assert!(world_of(&["wasi:http/handler@0.3.0".into()]).is_err());
    }
}
