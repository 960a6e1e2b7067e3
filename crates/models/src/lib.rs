//! Model versions: `models/<version>/model.toml` manifests and the named
//! graph registry that wasi-nn's `load-by-name` resolves against.

pub mod derived;
mod graph_load;
mod manifest;
mod registry;

pub use manifest::{GraphFiles, ModelManifest, SourcePackage};
pub use graph_load::RegistryOptions;
pub use registry::{GraphSnapshot, LoadedModel, ModelEntry, ModelRegistry, ModelView, StageError, Staged};
