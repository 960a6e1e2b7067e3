//! The Spin-compatible pieces: the `spin.toml` manifest, the HTTP trigger for
//! spin-sdk components, and the host side of what app components import;
//! [`spin_only`] serves components built for stock Spin with Spin's
//! interfaces only.

mod accounts_host;
mod app_bindings;
mod app_state;
mod client_addr;
mod component_request;
#[doc(hidden)] // public for the fuzz targets (glint::fuzzing)
pub mod audit_api;
#[doc(hidden)] // public for the fuzz targets (glint::fuzzing)
pub mod export_api;
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
