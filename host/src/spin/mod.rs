//! The Spin-compatible pieces: the `spin.toml` manifest, the HTTP trigger for
//! spin-sdk components, and the host side of what app components import;
//! [`spin_only`] serves components built for stock Spin with Spin's
//! interfaces only.

mod accounts_host;
mod app_bindings;
mod app_state;
mod client_addr;
mod component_request;
pub(crate) mod audit_api;
pub(crate) mod export_api;
mod feedback_host;
mod gate;
mod history;
mod key_value;
mod openapi;
mod outbound;
pub mod routes;
pub mod jobs;
pub mod manifest;
pub mod spin_only;
pub mod trigger;
mod variables;

pub use manifest::{ManifestError, SpinManifest};
pub use spin_only::{AppKind, SpinOnlyTrigger};
pub use trigger::HttpTrigger;
