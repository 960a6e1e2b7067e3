//! The WIT package this glint implements (`glint:plugins`), embedded in the
//! binary so that a plugin author always builds against the exact contract
//! of the glint that will run the plugin.

use std::path::{Path, PathBuf};

use glint_common::error::{ErrorKind, GlintError};

/// The interfaces and the worlds that need nothing outside glint.
pub const GLINT_WIT: &str = include_str!("../../../wit/glint.wit");
/// The worlds that also import wasi:nn (`detect-plugin`, `audit-plugin`).
pub const NN_WORLDS_WIT: &str = include_str!("../../../wit/worlds.wit");

/// Where a glint home keeps the wasi-nn WIT (copied there by setup from the
/// wasmtime-wasi-nn crate the host links; not part of glint's own source).
pub fn wasi_nn_wit(home: &Path) -> PathBuf {
    home.join("wit/deps/wasi-nn/wasi-nn.wit")
}

/// What [`write()`] wrote.
#[derive(Debug)]
pub struct Written {
    pub files: Vec<PathBuf>,
    /// Whether the wasi:nn worlds were written (the home has the wasi-nn WIT).
    pub nn_worlds: bool,
}

/// Writes the package into `dir` (created if missing): `glint.wit`, and the
/// wasi:nn worlds with their dependency when `home` has the wasi-nn WIT. A
/// file that already holds the same text is left alone (build tools that
/// compare times see nothing new).
pub fn write(home: &Path, dir: &Path) -> Result<Written, GlintError> {
    let glint = dir.join("glint.wit");
    write_if_changed(&glint, GLINT_WIT)?;
    let Ok(nn) = std::fs::read_to_string(wasi_nn_wit(home)) else {
        return Ok(Written { files: vec![glint], nn_worlds: false });
    };
    let worlds = dir.join("worlds.wit");
    write_if_changed(&worlds, NN_WORLDS_WIT)?;
    let nn_file = dir.join("deps/wasi-nn/wasi-nn.wit");
    write_if_changed(&nn_file, &nn)?;
    Ok(Written { files: vec![glint, worlds, nn_file], nn_worlds: true })
}

fn write_if_changed(path: &Path, text: &str) -> Result<(), GlintError> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    let io = |e: std::io::Error| GlintError::new(ErrorKind::Config, format!("cannot write {}: {e}", path.display()));
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(io)?;
    }
    std::fs::write(path, text).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use glint_plugins::{WIT_PACKAGE, WIT_VERSION};

    #[test]
    fn the_embedded_package_is_the_version_the_host_implements() {
        let line = format!("package {WIT_PACKAGE}@{WIT_VERSION};");
        assert!(GLINT_WIT.contains(&line) && NN_WORLDS_WIT.contains(&line), "{line}");
    }

    #[test]
    fn without_the_wasi_nn_wit_only_glint_wit_is_written() {
        let home = std::env::temp_dir().join(format!("glint-wit-home-{}", std::process::id()));
        let out = home.join("out");
        let written = write(&home, &out).unwrap();
        assert!(!written.nn_worlds);
        assert_eq!(written.files, vec![out.join("glint.wit")]);
        assert_eq!(std::fs::read_to_string(out.join("glint.wit")).unwrap(), GLINT_WIT);
        assert!(!out.join("worlds.wit").exists(), "worlds.wit without its dependency would not parse");

        std::fs::create_dir_all(home.join("wit/deps/wasi-nn")).unwrap();
        std::fs::write(wasi_nn_wit(&home), "package wasi:nn@0.2.0-rc-2024-10-28;\n").unwrap();
        let written = write(&home, &out).unwrap();
        assert!(written.nn_worlds);
        assert!(out.join("worlds.wit").exists() && out.join("deps/wasi-nn/wasi-nn.wit").exists());
        std::fs::remove_dir_all(&home).unwrap();
    }
}
