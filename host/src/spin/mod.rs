//! The Spin-compatible pieces: the `spin.toml` manifest (and later the HTTP
//! trigger and the Spin host interfaces the app uses).

pub mod manifest;

pub use manifest::{ManifestError, SpinManifest};
