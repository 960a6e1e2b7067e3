//! glint's error type: a kind the caller can act on (CLI exit code, HTTP
//! status) and a message meant for the person who sent the request.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The request is wrong: bad image, bad prompt, bad threshold.
    InvalidInput,
    /// The image is over the pixel or byte limit.
    TooLarge,
    UnknownModel,
    UnknownPlugin,
    /// An inference runtime is missing or failed.
    Backend,
    /// A plugin trapped, ran out of time or memory, or broke its contract.
    Plugin,
    /// Configuration or installation problem.
    Config,
    /// The audit policy stopped the request; the message names the check and reasons.
    Blocked,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GlintError {
    pub kind: ErrorKind,
    pub message: String,
}

impl GlintError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        GlintError { kind, message: message.into() }
    }
}

impl fmt::Display for GlintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GlintError {}
