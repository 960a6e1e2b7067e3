//! Helpers for the live-change tests: a glint folder of the test's own (its
//! own plugins/ and models/, the real weights and runtimes linked in), and
//! candidate components made with wasm-tools.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{home, temp_dir};

/// A fresh GLINT_HOME: plugins/ holds copies of the built plugins, models/
/// links to each installed version, samples/ and .glint/ (runtimes) link to
/// the checkout's. Live installs and model changes stay inside it.
pub fn temp_home(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    let real = home();
    std::fs::create_dir_all(dir.join("plugins")).unwrap();
    for p in ["detect.wasm", "audit.wasm"] {
        std::fs::copy(real.join("plugins").join(p), dir.join("plugins").join(p)).unwrap();
    }
    std::fs::create_dir_all(dir.join("models")).unwrap();
    for version in ["coco-grounded-v1", "audit-v1"] {
        std::os::unix::fs::symlink(real.join("models").join(version), dir.join("models").join(version)).unwrap();
    }
    for link in ["samples", ".glint"] {
        std::os::unix::fs::symlink(real.join(link), dir.join(link)).unwrap();
    }
    dir
}

/// A model version folder `name` in `home` whose files link to coco-grounded-v1's,
/// with `edit` applied to its model.toml.
pub fn copy_model(home: &Path, name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let from = super::home().join("models/coco-grounded-v1");
    let dir = home.join("models").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap();
        if file != "model.toml" {
            std::os::unix::fs::symlink(&path, dir.join(file)).unwrap();
        }
    }
    let text = std::fs::read_to_string(from.join("model.toml")).unwrap();
    std::fs::write(dir.join("model.toml"), edit(text)).unwrap();
    dir
}

pub fn wasm_tools() -> PathBuf {
    let p = home().join(".glint/venv/bin/wasm-tools");
    assert!(p.exists(), "{} is missing: run scripts/setup.sh", p.display());
    p
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A second build of detect.wasm: the same code, another name in its
/// metadata, so another sha256.
pub fn detect_variant(dir: &Path) -> PathBuf {
    let out = dir.join("detect-b.wasm");
    run(Command::new(wasm_tools()).args(["metadata", "add", "--name", "glint-detect-b"]).arg(home().join("plugins/detect.wasm")).arg("-o").arg(&out));
    out
}

/// Components made from `world`s of a WIT file next to glint's own
/// package, with wasm-tools' dummy core module (every export traps).
pub fn dummy_component(dir: &Path, world: &str) -> PathBuf {
    let wit = dir.join("candidates-wit");
    std::fs::create_dir_all(wit.join("deps/glint-plugins")).unwrap();
    std::fs::copy(home().join("wit/glint.wit"), wit.join("deps/glint-plugins/glint.wit")).unwrap();
    let version = glint::plugins::WIT_VERSION;
    std::fs::write(
        wit.join("candidates.wit"),
        format!(
            "package test:candidates;\n\
             /// A detector whose every call traps.\n\
             world trapping {{ export glint:plugins/detector@{version}; }}\n\
             /// A detector that asks for the platform interface, which no plugin is granted.\n\
             world greedy {{ import glint:plugins/platform@{version}; export glint:plugins/detector@{version}; }}\n"
        ),
    )
    .unwrap();
    let core = dir.join(format!("{world}-core.wasm"));
    let out = dir.join(format!("{world}.wasm"));
    run(Command::new(wasm_tools()).args(["component", "embed", "--dummy", "--world", world]).arg(&wit).arg("-o").arg(&core));
    run(Command::new(wasm_tools()).args(["component", "new"]).arg(&core).arg("-o").arg(&out));
    out
}
