//! glint: a wasmtime host that serves grounded-detection WebAssembly
//! components over wasi-nn.
//!
//! - [`models`]: model versions (`model.toml`) and the named graph registry;
//! - [`nn`]: the ONNX Runtime and OpenVINO backends behind wasi-nn;
//! - [`engine`]: the wasmtime engine (pooling, deadlines); [`compiled_cache`]: compiled
//!   components on disk, least recently used evicted past 1 GiB;
//! - [`plugins`]: loading, inspecting, swapping and calling components;
//! - [`app`]: the service's parts wired together; [`pipeline`]: a detection's
//!   stages; [`detection`]: what a detection takes and gives; [`draw`]: annotated images;
//! - [`audit`]: the audit policy and its checks on what goes in and out;
//! - [`experiments`]: A/B experiments: sticky arms, per-arm results, guardrails;
//! - [`store`]: accounts, sessions, history, feedback (sqlite or PostgreSQL);
//! - [`auth`]: roles, passwords, sessions; [`spin`]: the spin.toml app server;
//! - [`gateway`]: `glint gateway`, the auditing proxy for Gradio apps;
//! - [`sdk`]: the WIT package and plugin skeletons for third-party authors.

pub mod app;
pub mod atomic_file;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod cache_home;
pub mod clock;
pub mod compiled_cache;
pub mod config;
pub mod detection;
pub mod draw;
pub mod engine;
pub mod error;
pub mod experiments;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod gateway;
pub mod live;
pub mod metrics;
pub mod models;
pub mod nn;
pub mod pipeline;
pub mod plugins;
pub mod readiness;
pub mod redact;
pub mod sdk;
pub mod serve;
pub mod spin;
pub mod store;

pub use app::{DetectInput, DetectOutput, Glint};
pub use config::Config;
pub use error::{ErrorKind, GlintError};
