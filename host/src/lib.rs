//! glint: a wasmtime host that serves grounded-detection WebAssembly
//! components over wasi-nn. This crate is the `glint` command line; the
//! service is the crates under `crates/`, re-exported here under the module
//! names the tests, benches and fuzzers use. From the bottom up:
//!
//! - [`error`], [`clock`], [`atomic_file`], [`cache_home`] (`glint-common`): leaf utilities;
//! - [`nn`] (`glint-nn`): the ONNX Runtime and OpenVINO backends behind wasi-nn;
//! - [`models`] (`glint-models`): model versions (`model.toml`) and the named graph registry;
//! - [`engine`] (`glint-engine`): the wasmtime engine (pooling, deadlines); [`compiled_cache`]:
//!   compiled components on disk, least recently used evicted past 1 GiB;
//! - [`plugins`] (`glint-plugins`): loading, inspecting, swapping and calling components;
//! - [`metrics`] (`glint-metrics`): Prometheus metrics;
//! - [`audit`] (`glint-audit`): the audit policy and its checks on what goes in and out;
//! - [`store`] (`glint-store`): accounts, sessions, history, feedback (sqlite or PostgreSQL);
//! - [`auth`] (`glint-auth`): roles, passwords, sessions;
//! - [`app`], [`pipeline`], [`detection`], [`cache`], [`draw`], [`export`], [`config`],
//!   [`readiness`] (`glint-app`): the parts wired together, a detection's stages, what a
//!   detection takes and gives, the result cache, annotated images, reports;
//! - [`serve`] (`glint-serve`): the HTTP/1 server loop;
//! - [`experiments`] (`glint-experiments`): A/B experiments: sticky arms, per-arm results, guardrails;
//! - [`live`] (`glint-live`): install, swap and rollback while serving;
//! - [`gateway`] (`glint-gateway`): `glint gateway`, the auditing proxy for Gradio apps;
//! - [`spin`] (`glint-spin`): the spin.toml app server;
//! - here: [`sdk`], the WIT package and plugin skeletons for third-party authors, and
//!   [`redact`], the log writer that keeps secrets out of logs.

#[doc(hidden)]
pub mod fuzzing;
pub mod redact;
pub mod sdk;

pub use glint_app::{DetectInput, DetectOutput, Glint};
pub use glint_app::{app, cache, config, detection, draw, export, pipeline, readiness};
pub use glint_app::Config;
pub use glint_audit as audit;
pub use glint_auth as auth;
pub use glint_common::{ErrorKind, GlintError};
pub use glint_common::{atomic_file, cache_home, clock, error};
pub use glint_engine::{self as engine, compiled_cache};
pub use glint_experiments as experiments;
pub use glint_gateway as gateway;
pub use glint_live as live;
pub use glint_metrics as metrics;
pub use glint_models as models;
pub use glint_nn as nn;
pub use glint_plugins as plugins;
pub use glint_serve as serve;
pub use glint_spin as spin;
pub use glint_store as store;
