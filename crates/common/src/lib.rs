//! What every other glint crate uses and that depends on nothing of glint's:
//!
//! - [`error`]: [`GlintError`], a kind the caller can act on and a message for the person;
//! - [`clock`]: wall-clock milliseconds and random ids;
//! - [`atomic_file`]: writes that a reader sees whole or not at all;
//! - [`cache_home`]: where glint keeps what it can rebuild.

pub mod atomic_file;
pub mod cache_home;
pub mod clock;
pub mod error;

pub use error::{ErrorKind, GlintError};
