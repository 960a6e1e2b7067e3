//! The audit plugin's checks through the component against the same code
//! (`glint-audit-core`, compiled natively) on the same inputs: a prompt's
//! text rules (word lists, the linear profanity model, personal data) and an
//! image's open_nsfw run on the same loaded graph. The ratio component /
//! native is the cost of the sandbox; `native-no-model` shows what the linear
//! model adds to the text check, and `audit-text-load` what building the
//! word lists and parsing the model's JSON cost once per warm instance.
//!
//!     cargo bench -p glint-benches --bench audit   (after scripts/setup.sh)
//!     scripts/bench-ratio.sh --no-run               prints the ratios

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use glint::nn::BackendKind;
use glint::plugins::Image;
use glint::{Config, Glint};
use glint_audit_core::linear_text::LinearTextModel;
use glint_audit_core::lists::{self, ListFiles};
use glint_audit_core::{nsfw, pii};
use glint_benches::NativeNn;

const PROMPT: &str = "a kitty . a coffee mug . a dog";
const DEADLINE: Duration = Duration::from_secs(60);
const MAX_PIXELS: u64 = 50_000_000;

fn bench(c: &mut Criterion) {
    let home = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let asset = |name: &str| std::fs::read(home.join("models/audit-v1").join(name)).expect("run scripts/setup.sh first");
    let (en, zh, bwc, bp) = (
        asset("naughty-words-en.json"),
        asset("naughty-words-zh.json"),
        asset("bad-words-chinese.json"),
        asset("better-profanity.txt"),
    );
    let model_json = asset("profanity-model.json");
    let files = ListFiles { naughty_en: &en, naughty_zh: &zh, bad_words_chinese: &bwc, better_profanity: &bp };
    let words = lists::build(&files).unwrap();
    let model = LinearTextModel::from_json(&model_json).unwrap();

    let mut config = Config::new(home);
    config.models.backend = Some(BackendKind::Onnx);
    let glint = Glint::open(config).expect("glint opens");
    let warm = glint.plugins.audit_input("audit", PROMPT, None, DEADLINE).expect("component text check");
    let p = model.probability(PROMPT);
    assert!(warm.scores.iter().any(|(n, s)| n == "text.profanity_model" && (s - p).abs() < 1e-6), "{warm:?} vs {p}");

    let mut group = c.benchmark_group("audit-text");
    group.sample_size(60).measurement_time(Duration::from_secs(6));
    group.bench_function("component", |b| b.iter(|| glint.plugins.audit_input("audit", PROMPT, None, DEADLINE).unwrap()));
    group.bench_function("native", |b| {
        b.iter(|| (words.find(PROMPT, "text.profanity"), pii::find(PROMPT), model.probability(PROMPT)))
    });
    group.bench_function("native-no-model", |b| b.iter(|| (words.find(PROMPT, "text.profanity"), pii::find(PROMPT))));
    group.finish();

    let mut group = c.benchmark_group("audit-text-load");
    group.sample_size(20).measurement_time(Duration::from_secs(6));
    group.bench_function("word-lists", |b| b.iter(|| lists::build(&files).unwrap()));
    group.bench_function("profanity-model", |b| b.iter(|| LinearTextModel::from_json(&model_json).unwrap()));
    group.finish();

    glint.models.ensure_loaded("audit-v1").expect("audit-v1 is installed by scripts/setup.sh");
    let photo = std::fs::read(home.join("samples/chelsea.png")).unwrap();
    let image = Image { bytes: photo.clone(), mime: String::new() };
    glint.plugins.audit_input("audit", "", Some(image.clone()), DEADLINE).expect("component image check");
    let mut nn = NativeNn::new(&glint.models);
    nsfw::score(&mut nn, &photo, MAX_PIXELS).expect("native image check");
    let mut group = c.benchmark_group("audit-image");
    group.sample_size(30).measurement_time(Duration::from_secs(10));
    group.bench_function("component", |b| {
        b.iter(|| glint.plugins.audit_input("audit", "", Some(image.clone()), DEADLINE).unwrap())
    });
    group.bench_function("native", |b| b.iter(|| nsfw::score(&mut nn, &photo, MAX_PIXELS).unwrap()));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
