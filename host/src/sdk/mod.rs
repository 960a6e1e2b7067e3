//! The plugin SDK a third party needs, served by the glint binary itself:
//! the WIT package this glint implements ([`wit`]) and ready-to-build
//! skeletons of new plugins in Rust, Python and JavaScript ([`skeleton`]).

pub mod skeleton;
pub mod wit;

/// componentize-py (PyPI) that Python skeletons are written and tested for.
pub const COMPONENTIZE_PY_VERSION: &str = "0.25.1";
/// componentize-js (npm) that JavaScript skeletons are written and tested for.
pub const COMPONENTIZE_JS_VERSION: &str = "0.23.0";
