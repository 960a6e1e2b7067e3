//! The `audit` plugin (world `glint:plugins/audit-plugin`): checks the text
//! going into the model (the prompt) and coming out of it (the phrases and
//! labels of the detections) with `glint-audit-core`, using the word lists
//! of model version `audit-v1`, read through `glint:plugins/models`.
//!
//! A verdict carries reason codes, scores and a suggested action; the host
//! applies its policy (spin.toml) to the scores. Suggested: profanity of
//! medium or high severity blocks, low severity and personal data go to
//! review. The image check (open_nsfw through wasi:nn) is not here yet.

use std::cell::RefCell;
use std::rc::Rc;

use glint_audit_core::lists::{self, ListFiles};
use glint_audit_core::words::WordMatcher;
use glint_audit_core::{Finding, Severity, pii};

wit_bindgen::generate!({
    world: "audit-plugin",
    path: "../../wit",
    generate_all,
});

use exports::glint::plugins::auditor::{AuditInput, AuditOutput, Guest};
use glint::plugins::models;
use glint::plugins::types::{Action, Error, ErrorCode, Verdict};

/// The model version whose assets hold the word lists.
const VERSION: &str = "audit-v1";

thread_local! {
    /// The compiled lists, kept while the host reuses this instance.
    static WORDS: RefCell<Option<Rc<WordMatcher>>> = const { RefCell::new(None) };
}

fn words() -> Result<Rc<WordMatcher>, Error> {
    if let Some(w) = WORDS.with(|w| w.borrow().clone()) {
        return Ok(w);
    }
    let asset = |key: &str| models::asset(VERSION, key);
    let (en, zh, bwc, bp) =
        (asset("naughty-words-en")?, asset("naughty-words-zh")?, asset("bad-words-chinese")?, asset("better-profanity")?);
    let files = ListFiles { naughty_en: &en, naughty_zh: &zh, bad_words_chinese: &bwc, better_profanity: &bp };
    let matcher = Rc::new(lists::build(&files).map_err(|m| Error { code: ErrorCode::UnsupportedModel, message: m })?);
    WORDS.with(|w| *w.borrow_mut() = Some(matcher.clone()));
    Ok(matcher)
}

fn rank(a: &Action) -> u8 {
    match a {
        Action::Allow => 0,
        Action::Review => 1,
        Action::Block => 2,
    }
}

/// The verdict on some texts.
fn check_texts(texts: &[&str]) -> Result<Verdict, Error> {
    let words = words()?;
    let mut profanity: Vec<Finding> = Vec::new();
    let mut personal: Vec<Finding> = Vec::new();
    for text in texts {
        profanity.extend(words.find(text, "text.profanity"));
        personal.extend(pii::find(text));
    }
    let worst = profanity.iter().map(|f| f.severity).max();
    let mut action = Action::Allow;
    let mut reasons = Vec::new();
    if let Some(severity) = worst {
        reasons.push(format!("text.profanity.{}", format!("{severity:?}").to_lowercase()));
        action = if severity >= Severity::Medium { Action::Block } else { Action::Review };
    }
    for code in personal.iter().map(|f| f.code) {
        let reason = format!("text.{code}");
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
        if rank(&action) < rank(&Action::Review) {
            action = Action::Review;
        }
    }
    let severity_score = match worst {
        None => 0.0,
        Some(Severity::Low) => 0.34,
        Some(Severity::Medium) => 0.67,
        Some(Severity::High) => 1.0,
    };
    let scores = vec![
        ("text.profanity".to_string(), severity_score),
        ("text.pii".to_string(), if personal.is_empty() { 0.0 } else { 1.0 }),
    ];
    Ok(Verdict { action, reasons, scores })
}

struct Component;

impl Guest for Component {
    fn check_input(input: AuditInput) -> Result<Verdict, Error> {
        check_texts(&[&input.prompt])
    }

    fn check_output(output: AuditOutput) -> Result<Verdict, Error> {
        let texts: Vec<&str> = output.detections.iter().flat_map(|d| [d.phrase.as_str(), d.label.as_str()]).collect();
        check_texts(&texts)
    }
}

export!(Component);
