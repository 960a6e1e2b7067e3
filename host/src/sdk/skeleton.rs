//! `glint plugins new`: a ready-to-build plugin folder for one world in one
//! language, with the WIT it builds against, a build script and a README.
//! Every skeleton but the detector's passes the canary of a live install as
//! written; the detector's answers `unsupported-model` until it is written.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::{COMPONENTIZE_JS_VERSION, COMPONENTIZE_PY_VERSION, wit};
use glint_common::error::{ErrorKind, GlintError};
use glint_plugins::WIT_VERSION;

/// What the plugin does: the interface it exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Auditor,
    Exporter,
    Allocator,
    Detector,
}

/// The language it is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Rust,
    Python,
    Js,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Auditor, Role::Exporter, Role::Allocator, Role::Detector];
    /// The names users give, in the order of [`Role::ALL`].
    pub const NAMES: [&'static str; 4] = ["auditor", "exporter", "allocator", "detector"];

    /// The world of `glint:plugins` a plugin of this role is built for.
    pub fn world(self) -> &'static str {
        match self {
            Role::Auditor => "auditor-host",
            Role::Exporter => "export-plugin",
            Role::Allocator => "ab-plugin",
            Role::Detector => "detect-plugin",
        }
    }

    fn name(self) -> &'static str {
        Role::NAMES[self as usize]
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL.into_iter().find(|r| r.name() == s).ok_or_else(|| format!("unknown world {s:?}: one of {}", Role::NAMES.join(", ")))
    }
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Rust, Lang::Python, Lang::Js];
    /// The names users give, in the order of [`Lang::ALL`].
    pub const NAMES: [&'static str; 3] = ["rust", "python", "js"];

    fn name(self) -> &'static str {
        Lang::NAMES[self as usize]
    }
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Lang::ALL.into_iter().find(|l| l.name() == s).ok_or_else(|| format!("unknown language {s:?}: one of {}", Lang::NAMES.join(", ")))
    }
}

/// One file of a skeleton: where it goes, its template, whether it runs.
struct Template {
    path: &'static str,
    text: &'static str,
    executable: bool,
}

const fn file(path: &'static str, text: &'static str) -> Template {
    Template { path, text, executable: false }
}

const fn script(path: &'static str, text: &'static str) -> Template {
    Template { path, text, executable: true }
}

fn templates(role: Role, lang: Lang) -> Vec<Template> {
    match lang {
        Lang::Rust => vec![
            file("Cargo.toml", include_str!("templates/rust/Cargo.toml")),
            script("build.sh", include_str!("templates/rust/build.sh")),
            file(".gitignore", include_str!("templates/rust/gitignore")),
            file(
                "src/lib.rs",
                match role {
                    Role::Auditor => include_str!("templates/rust/auditor.rs"),
                    Role::Exporter => include_str!("templates/rust/exporter.rs"),
                    Role::Allocator => include_str!("templates/rust/allocator.rs"),
                    Role::Detector => include_str!("templates/rust/detector.rs"),
                },
            ),
        ],
        Lang::Python => vec![
            script("build.sh", include_str!("templates/python/build.sh")),
            file(".gitignore", include_str!("templates/python/gitignore")),
            file(
                "app.py",
                match role {
                    Role::Auditor => include_str!("templates/python/auditor.py"),
                    Role::Exporter => include_str!("templates/python/exporter.py"),
                    Role::Allocator => include_str!("templates/python/allocator.py"),
                    Role::Detector => include_str!("templates/python/detector.py"),
                },
            ),
        ],
        Lang::Js => vec![
            file("package.json", include_str!("templates/js/package.json")),
            file("build.mjs", include_str!("templates/js/build.mjs")),
            script("build.sh", include_str!("templates/js/build.sh")),
            file(".gitignore", include_str!("templates/js/gitignore")),
            file(
                "plugin.js",
                match role {
                    Role::Auditor => include_str!("templates/js/auditor.js"),
                    Role::Exporter => include_str!("templates/js/exporter.js"),
                    Role::Allocator => include_str!("templates/js/allocator.js"),
                    Role::Detector => include_str!("templates/js/detector.js"),
                },
            ),
        ],
    }
}

/// Checks a plugin name: it names the folder, the `.wasm`, the crate or
/// package, and the plugin once installed.
pub fn check_name(name: &str) -> Result<(), GlintError> {
    let ok = (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--");
    if ok {
        Ok(())
    } else {
        Err(GlintError::new(
            ErrorKind::InvalidInput,
            format!("{name:?} is not a plugin name: 1 to 40 of a-z, 0-9 and single '-', starting with a letter (it names the folder, the .wasm and the installed plugin)"),
        ))
    }
}

/// Writes the skeleton of plugin `name` into `parent/name`, which must not
/// exist or be empty; returns the folder. The WIT comes from [`wit::write`].
pub fn write(home: &Path, parent: &Path, name: &str, role: Role, lang: Lang) -> Result<PathBuf, GlintError> {
    check_name(name)?;
    let dir = parent.join(name);
    if std::fs::read_dir(&dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(GlintError::new(ErrorKind::InvalidInput, format!("{} already exists and is not empty: choose another name or --dir", dir.display())));
    }
    let written = wit::write(home, &dir.join("wit"))?;
    if role == Role::Detector && !written.nn_worlds {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(GlintError::new(
            ErrorKind::Config,
            format!("a detector imports wasi:nn, whose WIT this glint home lacks ({}): run scripts/setup.sh", wit::wasi_nn_wit(home).display()),
        ));
    }
    let io = |what: &Path, e: std::io::Error| GlintError::new(ErrorKind::Config, format!("cannot write {}: {e}", what.display()));
    for t in templates(role, lang) {
        let path = dir.join(t.path);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|e| io(folder, e))?;
        }
        std::fs::write(&path, render(t.text, name, role)).map_err(|e| io(&path, e))?;
        if t.executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(|e| io(&path, e))?;
        }
    }
    let readme = dir.join("README.md");
    std::fs::write(&readme, readme_text(name, role, lang)).map_err(|e| io(&readme, e))?;
    Ok(dir)
}

fn render(template: &str, name: &str, role: Role) -> String {
    template
        .replace("{{name}}", name)
        .replace("{{crate}}", &name.replace('-', "_"))
        .replace("{{world}}", role.world())
        .replace("{{role}}", role.name())
        .replace("{{version}}", WIT_VERSION)
        .replace("{{componentize_py}}", COMPONENTIZE_PY_VERSION)
        .replace("{{componentize_js}}", COMPONENTIZE_JS_VERSION)
}

fn readme_text(name: &str, role: Role, lang: Lang) -> String {
    let (language, source, needs) = match lang {
        Lang::Rust => ("Rust", "src/lib.rs", "Rust with the wasm32-unknown-unknown target, and wasm-tools".to_string()),
        Lang::Python => ("Python", "app.py", format!("componentize-py {COMPONENTIZE_PY_VERSION} (`pip install componentize-py=={COMPONENTIZE_PY_VERSION}`)")),
        Lang::Js => ("JavaScript", "plugin.js", format!("Node 18+ and npm (it installs componentize-js {COMPONENTIZE_JS_VERSION})")),
    };
    let world = role.world();
    let use_it = match role {
        Role::Auditor => format!("make it the audit plugin in spin.toml: `[application.tool.glint.audit] plugin = \"{name}\"`"),
        Role::Exporter => "its formats appear in the export menu and at `/api/export?format=NAME`".into(),
        Role::Allocator => format!("name it in an experiment: `allocator = \"{name}\"` under `[application.tool.glint.experiments.<name>]`"),
        Role::Detector => format!("make it the detector in spin.toml: `[application.tool.glint] detect_plugin = \"{name}\"`"),
    };
    let canary = if role == Role::Detector {
        "\nAs written, `detect` answers `unsupported-model`, so the check refuses it at the canary (it must find the cat in the bundled photo) until you write it.\n"
    } else {
        ""
    };
    format!(
        "# {name}\n\n\
         A glint {role} plugin in {language}: world `{world}` of `glint:plugins@{WIT_VERSION}`, written by `glint plugins new`.\n\n\
         - `{source}`: the plugin. `wit/`: the contract it builds against (`glint plugins wit wit` refreshes it from the glint you run).\n\
         - `./build.sh` builds `{name}.wasm`. It needs {needs}.\n\
         - `glint plugins check {name}.wasm` runs the checks and the canary of a live install and prints what the component imports and exports, or why it would be refused.\n\
         - `glint plugins install {name}.wasm` (an admin, against a running `glint up`) installs it live; or copy it into the glint folder's `plugins/` before `glint up`. Then {use_it}.\n\
         {canary}\n\
         The sandbox: a plugin gets only what its world imports. WASI (files, network, clocks, environment) is linked deny-all; \
         each call has a deadline and a memory limit. See docs/plugins/ in glint's repository.\n",
        role = role.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_cannot_name_a_plugin_are_refused() {
        for bad in ["", "Audit", "1audit", "a_b", "a--b", "a-", "a b", "../x", &"a".repeat(41)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        for good in ["a", "pii-guard", "csv2"] {
            check_name(good).unwrap();
        }
    }

    #[test]
    fn every_name_parses_back_to_its_value() {
        for role in Role::ALL {
            assert_eq!(role.name().parse::<Role>(), Ok(role));
        }
        for lang in Lang::ALL {
            assert_eq!(lang.name().parse::<Lang>(), Ok(lang));
        }
        assert!("python3".parse::<Lang>().unwrap_err().contains("rust, python, js"));
    }

    #[test]
    fn every_template_is_filled_in() {
        for role in Role::ALL {
            for lang in Lang::ALL {
                for t in templates(role, lang) {
                    let text = render(t.text, "my-plugin", role);
                    assert!(!text.contains("{{"), "{role:?} {lang:?} {}: {text}", t.path);
                }
            }
        }
    }

    #[test]
    fn the_rust_template_in_plugins_examples_is_the_skeleton_as_written() {
        // plugins/examples/minimal-auditor is `glint plugins new minimal-auditor
        // --world auditor --lang rust`, kept with its Cargo.lock: it must not drift.
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/examples/minimal-auditor");
        for t in templates(Role::Auditor, Lang::Rust).into_iter().filter(|t| matches!(t.path, "src/lib.rs" | "Cargo.toml")) {
            let kept = std::fs::read_to_string(example.join(t.path)).unwrap();
            assert_eq!(kept, render(t.text, "minimal-auditor", Role::Auditor), "{} differs from the skeleton", t.path);
        }
    }

    #[test]
    fn a_skeleton_has_its_wit_sources_and_an_executable_build_script() {
        let parent = std::env::temp_dir().join(format!("glint-skeleton-{}", std::process::id()));
        let home = parent.join("home");
        let dir = write(&home, &parent, "pii-guard", Role::Auditor, Lang::Python).unwrap();
        for f in ["wit/glint.wit", "app.py", "build.sh", "README.md", ".gitignore"] {
            assert!(dir.join(f).is_file(), "{f}");
        }
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(dir.join("build.sh")).unwrap().permissions().mode() & 0o111, 0o111);
        assert!(std::fs::read_to_string(dir.join("build.sh")).unwrap().contains("-w auditor-host"));
        let again = write(&home, &parent, "pii-guard", Role::Auditor, Lang::Python).unwrap_err();
        assert!(again.message.contains("already exists"), "{}", again.message);
        // A detector needs wasi:nn's WIT, which this empty home lacks.
        let detector = write(&home, &parent, "finder", Role::Detector, Lang::Rust).unwrap_err();
        assert!(detector.message.contains("wasi:nn"), "{}", detector.message);
        assert!(!parent.join("finder").exists(), "a refused skeleton leaves nothing behind");
        std::fs::remove_dir_all(&parent).unwrap();
    }
}
