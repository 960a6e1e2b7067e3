//! The WIT package this glint implements (`glint:plugins`), embedded in the
//! binary so that a plugin author always builds against the exact contract
//! of the glint that will run the plugin.

use std::path::{Path, PathBuf};

use crate::error::{ErrorKind, GlintError};

/// The interfaces and the worlds that need nothing outside glint.
pub const GLINT_WIT: &str = include_str!("../../../wit/glint.wit");
/// The worlds that also import wasi:nn (`detect-plugin`, `audit-plugin`).
pub const NN_WORLDS_WIT: &str = include_str!("../../../wit/worlds.wit");

/// Where a glint home keeps the wasi-nn WIT (copied there by setup from the
/// wasmtime-wasi-nn crate the host links; not part of glint's own source).
pub fn wasi_nn_wit(home: &Path) -> PathBuf {
    home.join("wit/deps/wasi-nn/wasi-nn.wit")
}

/// What [`write`] wrote.
#[derive(Debug)]
pub struct Written {
    pub files: Vec<PathBuf>,
    /// Whether the wasi:nn worlds were written (the home has the wasi-nn WIT).
    pub nn_worlds: bool,
}

/// Writes the package into `dir` (created if missing): `glint.wit`, and the
/// wasi:nn worlds with their dependency when `home` has the wasi-nn WIT.
pub fn write(home: &Path, dir: &Path) -> Result<Written, GlintError> {
    let io = |what: &Path, e: std::io::Error| GlintError::new(ErrorKind::Config, format!("cannot write {}: {e}", what.display()));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut files = vec![dir.join("glint.wit")];
    std::fs::write(&files[0], GLINT_WIT).map_err(|e| io(&files[0], e))?;
    let nn = match std::fs::read_to_string(wasi_nn_wit(home)) {
        Ok(text) => text,
        Err(_) => return Ok(Written { files, nn_worlds: false }),
    };
    let worlds = dir.join("worlds.wit");
    std::fs::write(&worlds, NN_WORLDS_WIT).map_err(|e| io(&worlds, e))?;
    let deps = dir.join("deps/wasi-nn");
    std::fs::create_dir_all(&deps).map_err(|e| io(&deps, e))?;
    let nn_file = deps.join("wasi-nn.wit");
    std::fs::write(&nn_file, nn).map_err(|e| io(&nn_file, e))?;
    files.extend([worlds, nn_file]);
    Ok(Written { files, nn_worlds: true })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::{WIT_PACKAGE, WIT_VERSION};

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
