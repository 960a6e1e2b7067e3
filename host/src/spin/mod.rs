//! The Spin-compatible pieces: the `spin.toml` manifest, the HTTP trigger for
//! spin-sdk components, and the host side of what app components import.

mod app_bindings;
mod app_state;
pub mod jobs;
pub mod manifest;
pub mod trigger;

pub use manifest::{ManifestError, SpinManifest};
pub use trigger::HttpTrigger;
