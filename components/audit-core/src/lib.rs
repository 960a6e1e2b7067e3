//! The text checks of glint's audit component, as plain Rust with no
//! bindings (it compiles natively for its tests and into the wasm component):
//!
//! - [`normalize`]: case, full-width to half-width, zero-width characters,
//!   common leetspeak — with a map back to the original text;
//! - [`words`]: word lists with severities matched by Aho-Corasick,
//!   whole-word for Latin script (no "Scunthorpe" false positive);
//! - [`lists`]: the shipped lists (audit-v1's assets) merged into one matcher;
//! - [`linear_text`]: alt-profanity-check's tf-idf linear model, an English
//!   probability computed as scikit-learn does;
//! - [`pii`]: e-mail addresses, phone numbers (Chinese mobiles included) and
//!   Chinese resident ID-card numbers (checksum verified);
//! - [`frames`]: every frame of an image (animated GIF, PNG and WebP too);
//! - [`nsfw`]: the image check's tensors for open_nsfw (run through any
//!   `Inference`, wasi:nn in the component).

pub mod frames;
pub mod linear_text;
pub mod lists;
pub mod nsfw;
pub mod normalize;
pub mod pii;
pub mod words;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Low,
    Medium,
    High,
}

/// Something a check found, with its place in the original text (bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// A reason code, e.g. `profanity`, `pii.email`.
    pub code: &'static str,
    pub severity: Severity,
    /// Byte range in the text as given.
    pub start: usize,
    pub end: usize,
}
