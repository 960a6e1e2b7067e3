//! The `audit` plugin (world `glint:plugins/audit-plugin`): checks the text
//! going into the model (the prompt) and coming out of it (the phrases and
//! labels of the detections) with `glint-audit-core`'s word lists,
//! alt-profanity-check's linear model and personal-data rules, and images
//! (the upload, the annotated result) with open_nsfw through wasi:nn — all
//! from model version `audit-v1`.
//!
//! A verdict carries reason codes, scores and a suggested action; the host
//! applies its policy (spin.toml `[application.tool.glint.audit]`) to the scores.
//! Suggested here: profanity of medium or high severity blocks, low severity,
//! a model probability of 0.9 or more and personal data go to review;
//! P(nsfw) ≥ 0.8 blocks, ≥ 0.2 reviews.

use std::cell::RefCell;
use std::rc::Rc;

use glint_audit_core::linear_text::LinearTextModel;
use glint_audit_core::lists::{self, ListFiles};
use glint_audit_core::words::WordMatcher;
use glint_audit_core::{Finding, Severity, nsfw, pii};
use glint_nn_guest::WasiNn;

wit_bindgen::generate!({
    world: "audit-plugin",
    path: "../../wit",
    with: {
        "wasi:nn/tensor@0.2.0-rc-2024-10-28": glint_nn_guest::wasi::nn::tensor,
        "wasi:nn/graph@0.2.0-rc-2024-10-28": glint_nn_guest::wasi::nn::graph,
        "wasi:nn/inference@0.2.0-rc-2024-10-28": glint_nn_guest::wasi::nn::inference,
        "wasi:nn/errors@0.2.0-rc-2024-10-28": glint_nn_guest::wasi::nn::errors,
    },
    generate_all,
});

use exports::glint::plugins::auditor::{AuditInput, AuditOutput, Guest};
use glint::plugins::models;
use glint::plugins::types::{Action, Error, ErrorCode, Image, Verdict};

/// The model version whose assets hold the word lists, the text model and the image graph.
const VERSION: &str = "audit-v1";
/// Images are decoded only up to this size (the host enforces its own limit first).
const MAX_PIXELS: u64 = 50_000_000;
const NSFW_REVIEW: f32 = 0.2;
const NSFW_BLOCK: f32 = 0.8;
/// alt-profanity-check's probability from which review is suggested. The
/// model alone never suggests a block: it scores single words such as "kill"
/// (0.95) or "stupid" high, which are fair words in a detection prompt.
const MODEL_REVIEW: f32 = 0.9;

/// The text checks' data, built from audit-v1's assets on first use.
struct TextRules {
    words: WordMatcher,
    model: LinearTextModel,
}

thread_local! {
    /// Kept while the host reuses this instance.
    static TEXT: RefCell<Option<Rc<TextRules>>> = const { RefCell::new(None) };
    static NN: RefCell<WasiNn> = RefCell::new(WasiNn::default());
}

fn unsupported(message: String) -> Error {
    Error { code: ErrorCode::UnsupportedModel, message }
}

fn text_rules() -> Result<Rc<TextRules>, Error> {
    if let Some(t) = TEXT.with(|t| t.borrow().clone()) {
        return Ok(t);
    }
    let asset = |key: &str| models::asset(VERSION, key);
    let (en, zh, bwc, bp) =
        (asset("naughty-words-en")?, asset("naughty-words-zh")?, asset("bad-words-chinese")?, asset("better-profanity")?);
    let files = ListFiles { naughty_en: &en, naughty_zh: &zh, bad_words_chinese: &bwc, better_profanity: &bp };
    let words = lists::build(&files).map_err(unsupported)?;
    let model = LinearTextModel::from_json(&asset("profanity-model")?).map_err(unsupported)?;
    let rules = Rc::new(TextRules { words, model });
    TEXT.with(|t| *t.borrow_mut() = Some(rules.clone()));
    Ok(rules)
}

fn rank(a: &Action) -> u8 {
    match a {
        Action::Allow => 0,
        Action::Review => 1,
        Action::Block => 2,
    }
}

/// The stricter of two suggested actions.
fn worst(a: Action, b: Action) -> Action {
    if rank(&b) > rank(&a) { b } else { a }
}

/// The verdict on some texts.
fn check_texts(texts: &[&str]) -> Result<Verdict, Error> {
    let rules = text_rules()?;
    let mut profanity: Vec<Finding> = Vec::new();
    let mut personal: Vec<Finding> = Vec::new();
    let mut model_p: f32 = 0.0;
    for text in texts {
        profanity.extend(rules.words.find(text, "text.profanity"));
        personal.extend(pii::find(text));
        model_p = model_p.max(rules.model.probability(text));
    }
    let most = profanity.iter().map(|f| f.severity).max();
    let mut action = Action::Allow;
    let mut reasons = Vec::new();
    if let Some(severity) = most {
        reasons.push(format!("text.profanity.{}", format!("{severity:?}").to_lowercase()));
        action = if severity >= Severity::Medium { Action::Block } else { Action::Review };
    }
    if model_p >= MODEL_REVIEW {
        reasons.push("text.profanity_model".to_string());
        action = worst(action, Action::Review);
    }
    for code in personal.iter().map(|f| f.code) {
        let reason = format!("text.{code}");
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
        action = worst(action, Action::Review);
    }
    let severity_score = match most {
        None => 0.0,
        Some(Severity::Low) => 0.34,
        Some(Severity::Medium) => 0.67,
        Some(Severity::High) => 1.0,
    };
    let scores = vec![
        ("text.profanity".to_string(), severity_score),
        ("text.profanity_model".to_string(), model_p),
        ("text.pii".to_string(), if personal.is_empty() { 0.0 } else { 1.0 }),
    ];
    Ok(Verdict { action, reasons, scores })
}

/// The verdict on an image: open_nsfw's P(nsfw).
fn check_image(image: &Image) -> Result<Verdict, Error> {
    let p = NN.with(|nn| nsfw::score(&mut *nn.borrow_mut(), &image.bytes, MAX_PIXELS)).map_err(|e| Error {
        code: match e.code {
            glint_detect_core::ErrorCode::InvalidImage => ErrorCode::InvalidImage,
            glint_detect_core::ErrorCode::ImageTooLarge => ErrorCode::ImageTooLarge,
            glint_detect_core::ErrorCode::UnknownModel => ErrorCode::UnknownModel,
            _ => ErrorCode::InferenceFailed,
        },
        message: format!("image check: {}", e.message),
    })?;
    let (action, reasons) = match p {
        p if p >= NSFW_BLOCK => (Action::Block, vec!["image.nsfw".to_string()]),
        p if p >= NSFW_REVIEW => (Action::Review, vec!["image.nsfw".to_string()]),
        _ => (Action::Allow, vec![]),
    };
    Ok(Verdict { action, reasons, scores: vec![("image.nsfw".to_string(), p)] })
}

/// Texts (when there are any) and the image (when there is one), merged.
fn check(texts: &[&str], image: Option<&Image>) -> Result<Verdict, Error> {
    let mut verdict = Verdict { action: Action::Allow, reasons: vec![], scores: vec![] };
    let mut parts = Vec::new();
    if texts.iter().any(|t| !t.is_empty()) {
        parts.push(check_texts(texts)?);
    }
    if let Some(image) = image {
        parts.push(check_image(image)?);
    }
    for part in parts {
        verdict.action = worst(verdict.action, part.action);
        verdict.reasons.extend(part.reasons);
        verdict.scores.extend(part.scores);
    }
    Ok(verdict)
}

struct Component;

impl Guest for Component {
    fn check_input(input: AuditInput) -> Result<Verdict, Error> {
        check(&[&input.prompt], input.image.as_ref())
    }

    fn check_output(output: AuditOutput) -> Result<Verdict, Error> {
        let texts: Vec<&str> = output.detections.iter().flat_map(|d| [d.phrase.as_str(), d.label.as_str()]).collect();
        check(&texts, output.image.as_ref())
    }
}

export!(Component);
