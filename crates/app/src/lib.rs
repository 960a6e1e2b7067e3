//! The service's core, below every way of serving it (`glint detect`,
//! `glint up`, `glint gateway`):
//!
//! - [`app`]: [`Glint`], the parts wired together;
//! - [`pipeline`]: a detection's stages in order (limits, audit in, allocate, cache, detect, audit out);
//! - [`detection`]: what a detection takes and gives, and the allocate stage's contract;
//! - [`cache`]: the result cache; [`draw`]: annotated images; [`export`]: reports;
//! - [`config`]: the settings `Glint` opens with; [`readiness`]: warming before ready.

pub mod app;
pub mod cache;
pub mod config;
pub mod detection;
pub mod draw;
pub mod export;
pub mod pipeline;
pub mod readiness;

pub use app::{DetectInput, DetectOutput, Glint};
pub use config::Config;
