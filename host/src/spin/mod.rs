//! The Spin-compatible pieces: the `spin.toml` manifest, the HTTP trigger for
//! spin-sdk components, and the host side of what app components import.

mod accounts_host;
mod app_bindings;
mod app_state;
pub(crate) mod audit_api;
pub(crate) mod export_api;
mod feedback_host;
mod gate;
mod history;
mod key_value;
mod openapi;
pub mod routes;
pub mod jobs;
pub mod manifest;
pub mod trigger;
mod variables;

pub use manifest::{ManifestError, SpinManifest};
pub use trigger::HttpTrigger;
