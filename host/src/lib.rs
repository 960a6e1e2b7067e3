//! glint: a wasmtime host that serves grounded-detection WebAssembly
//! components over wasi-nn.
//!
//! - [`models`] (crate `glint-models`): model versions (`model.toml`) and the named graph registry;
//! - [`nn`] (crate `glint-nn`): the ONNX Runtime and OpenVINO backends behind wasi-nn;
//! - [`engine`] (crate `glint-engine`): the wasmtime engine (pooling, deadlines); [`compiled_cache`]: compiled
//!   components on disk, least recently used evicted past 1 GiB;
//! - [`plugins`] (crate `glint-plugins`): loading, inspecting, swapping and calling components;
//! - [`app`]: the service's parts wired together; [`pipeline`]: a detection's
//!   stages; [`detection`]: what a detection takes and gives; [`draw`]: annotated images;
//! - [`audit`]: the audit policy and its checks on what goes in and out;
//! - [`experiments`]: A/B experiments: sticky arms, per-arm results, guardrails;
//! - [`store`]: accounts, sessions, history, feedback (sqlite or PostgreSQL);
//! - [`auth`]: roles, passwords, sessions; [`spin`]: the spin.toml app server;
//! - [`gateway`]: `glint gateway`, the auditing proxy for Gradio apps;
//! - [`sdk`]: the WIT package and plugin skeletons for third-party authors;
//! - [`error`], [`clock`], [`atomic_file`], [`cache_home`] (crate `glint-common`): leaf utilities.

pub mod app;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod config;
pub mod detection;
pub mod draw;
pub mod experiments;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod gateway;
pub mod live;
pub mod metrics;
pub mod pipeline;
pub mod readiness;
pub mod redact;
pub mod sdk;
pub mod serve;
pub mod spin;
pub mod store;

pub use app::{DetectInput, DetectOutput, Glint};
pub use config::Config;
pub use glint_common::{ErrorKind, GlintError};

// Crates below this one, under the names their modules had here.
pub use glint_common::{atomic_file, cache_home, clock, error};
pub use glint_engine::{self as engine, compiled_cache};
pub use glint_models as models;
pub use glint_nn as nn;
pub use glint_plugins as plugins;
