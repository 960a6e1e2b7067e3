//! The plugin SDK a third party needs, served by the glint binary itself:
//! the WIT package this glint implements ([`wit`]) and ready-to-build
//! skeletons of new plugins in Rust, Python and JavaScript ([`skeleton`]).

pub mod skeleton;
pub mod wit;

/// componentize-py (PyPI) that Python skeletons are written and tested for.
pub const COMPONENTIZE_PY_VERSION: &str = "0.25.1";
/// componentize-js (npm) that JavaScript skeletons are written and tested for.
pub const COMPONENTIZE_JS_VERSION: &str = "0.23.0";

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The versions skeletons name are the ones setup installs and the examples pin.
    #[test]
    fn the_toolchain_versions_match_setup_and_the_examples() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let pins = std::fs::read_to_string(root.join("scripts/pins.sh")).unwrap();
        assert!(pins.contains(&format!("\"componentize-py=={}\"", super::COMPONENTIZE_PY_VERSION)), "scripts/pins.sh");
        let package = std::fs::read_to_string(root.join("plugins/examples/table-export/package.json")).unwrap();
        assert!(package.contains(&format!("\"@bytecodealliance/componentize-js\": \"{}\"", super::COMPONENTIZE_JS_VERSION)), "table-export/package.json");
    }
}
