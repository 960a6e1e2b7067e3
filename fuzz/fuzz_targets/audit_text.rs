//! The audit's text checks: normalisation and its map back to the original
//! bytes, the word-list matcher, personal data, the linear model's tokenizer.
#![no_main]
use std::sync::OnceLock;

use glint_audit_core::words::{Entry, WordMatcher};
use glint_audit_core::{Severity, linear_text::LinearTextModel, normalize, pii};
use libfuzzer_sys::fuzz_target;

fn matcher() -> &'static WordMatcher {
    static M: OnceLock<WordMatcher> = OnceLock::new();
    M.get_or_init(|| {
        let words = ["damn", "f u c k", "傻", "傻瓜", "ass", "idiot"];
        WordMatcher::new(words.iter().map(|w| Entry { text: w.to_string(), severity: Severity::High })).unwrap()
    })
}

fn model() -> &'static LinearTextModel {
    static M: OnceLock<LinearTextModel> = OnceLock::new();
    M.get_or_init(|| {
        let json = r#"{"format":"glint.tfidf-linear.v1","terms":["idiot","cat"],"idf":[2.0,1.5],
            "folds":[{"coef":[3.0,-1.0],"intercept":-1.0,"sigmoid_a":-1.0,"sigmoid_b":0.0}]}"#;
        LinearTextModel::from_json(json.as_bytes()).expect("the tiny model loads")
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let n = normalize::normalize(&text);
    for (start, end) in [(0, n.text.len()), (0, n.text.len() / 2), (n.text.len() / 3, n.text.len())] {
        let (a, b) = n.original(start, end);
        assert!(a <= b && b <= text.len(), "original range {a}..{b} of {}", text.len());
    }
    for f in matcher().find(&text, "text.profanity").into_iter().chain(pii::find(&text)) {
        assert!(f.start <= f.end && f.end <= text.len());
    }
    let p = model().probability(&text);
    assert!((0.0..=1.0).contains(&p), "{p}");
});
