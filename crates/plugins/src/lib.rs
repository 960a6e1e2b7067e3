//! Plugin components: loading (with the compiled cache), inspection of their
//! WIT world, a registry whose entries can be replaced while calls are in
//! flight, and calls with a deadline, a memory cap and warm instances.

mod allocator;
mod answers;
mod auditor;
pub mod bindings;
mod detector;
mod exporter;
mod inspect;
mod plugin;
mod pool;
mod registry;
mod sandbox;
mod state;

pub use bindings::glint::plugins::types::{
    Action, Bbox, DetectRequest, DetectResponse, Detection, Image, Limits as DetectLimits, PhraseMatch, Verdict,
};
pub use auditor::AuditFailure;
pub use bindings::exporter::exports::glint::plugins::exporter::{
    AuditNote, Document as ExportDocument, ExportedResult, Format as ExportFormat, PhraseNote, Report as ExportReport,
};
pub use bindings::allocator::exports::glint::plugins::allocator::Arm as AllocatorArm;
pub use plugin::{Plugin, PluginInfo, PluginWorld};
pub use registry::{CandidateError, PluginRegistry};
pub use state::{HostState, Models};

/// The WIT package version this host implements.
pub const WIT_PACKAGE: &str = "glint:plugins";
pub const WIT_VERSION: &str = "0.6.0";
