use std::fmt;

/// Mirrors `glint:plugins/types.error-code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidImage,
    ImageTooLarge,
    InvalidPrompt,
    UnknownModel,
    UnsupportedModel,
    InferenceFailed,
    Internal,
}

/// An error with a message meant for the person who sent the request.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into() }
    }
    pub fn inference(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InferenceFailed, message)
    }
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::UnsupportedModel, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}
