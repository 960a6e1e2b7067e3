//! The same auditor written in Rust, Python (componentize-py) and JavaScript
//! (componentize-js): the per-call cost of `check-input` on a warm instance,
//! through the same host path the audit stage uses. The components are the
//! skeletons of `glint plugins new --world auditor`, identical in logic
//! (a whole-word block list), built by `scripts/plugin-langs.sh`, which also
//! measures their size and compile times and prints the ratios to Rust.
//!
//!     scripts/plugin-langs.sh     (builds the three, then runs this bench)

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use glint::nn::BackendKind;
use glint::{Config, Glint};

const PROMPT: &str = "a kitty . a coffee mug . a dog";
const DEADLINE: Duration = Duration::from_secs(60);
const LANGS: [&str; 3] = ["rust", "python", "js"];

/// A glint folder whose plugins/ holds the three auditors (named by language).
fn home_with(built: &Path) -> PathBuf {
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let home = std::env::temp_dir().join(format!("glint-plugin-langs-{}", std::process::id()));
    std::fs::create_dir_all(home.join("plugins")).unwrap();
    for lang in LANGS {
        let wasm = built.join(format!("audit-{lang}/audit-{lang}.wasm"));
        std::fs::copy(&wasm, home.join(format!("plugins/audit-{lang}.wasm")))
            .unwrap_or_else(|e| panic!("{}: {e} (run scripts/plugin-langs.sh)", wasm.display()));
    }
    for link in ["models", "samples", ".glint"] {
        let _ = std::os::unix::fs::symlink(real.join(link), home.join(link));
    }
    home
}

fn bench(c: &mut Criterion) {
    let built = PathBuf::from(std::env::var("GLINT_PLUGIN_LANGS_DIR").expect("GLINT_PLUGIN_LANGS_DIR: run scripts/plugin-langs.sh"));
    let mut config = Config::new(&home_with(&built));
    config.models.backend = Some(BackendKind::Onnx);
    let glint = Glint::open(config).expect("glint opens");
    let mut group = c.benchmark_group("auditor-check-input");
    group.sample_size(50).measurement_time(Duration::from_secs(5));
    for lang in LANGS {
        let name = format!("audit-{lang}");
        let verdict = glint.plugins.audit_input(&name, PROMPT, None, DEADLINE).expect("a warm call");
        let blocked = glint.plugins.audit_input(&name, "you fucking idiot", None, DEADLINE).expect("a warm call");
        assert!(verdict.reasons.is_empty() && blocked.reasons == ["text.blocked-word"], "{lang}: {verdict:?} {blocked:?}");
        group.bench_function(lang, |b| b.iter(|| glint.plugins.audit_input(&name, PROMPT, None, DEADLINE).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
