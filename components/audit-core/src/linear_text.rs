//! A linear text classifier over tf-idf features, as scikit-learn computes
//! it: alt-profanity-check's model (audit-v1's `profanity-model` asset,
//! written by `scripts/export-profanity-model.py`) gives the probability that
//! an English text is offensive.
//!
//! ```text
//! tokens  = runs of word characters (letters, digits, '_') of 2 or more, lower-cased
//! x       = l2-normalised (count × idf) over the vocabulary's terms
//! p_fold  = 1 / (1 + exp(a · (coef · x + intercept) + b))    (sigmoid calibration)
//! p       = mean of p_fold over the folds
//! ```
//!
//! Word characters are Rust's `char::is_alphanumeric` plus `_`. Python's `\w`
//! (which scikit-learn's token pattern uses) leaves out combining marks, so a
//! word with one (Devanagari vowel signs, say) is one token here and several
//! there; the English vocabulary has no such terms.

use std::collections::HashMap;

use serde::Deserialize;

/// The JSON format this module reads (`format` in the file).
pub const FORMAT: &str = "glint.tfidf-linear.v1";

/// A loaded model: vocabulary, idf weights and calibrated folds.
#[derive(Debug)]
pub struct LinearTextModel {
    column: HashMap<String, usize>,
    idf: Vec<f64>,
    folds: Vec<Fold>,
}

#[derive(Debug, Deserialize)]
struct Fold {
    coef: Vec<f64>,
    intercept: f64,
    sigmoid_a: f64,
    sigmoid_b: f64,
}

#[derive(Deserialize)]
struct File {
    format: String,
    terms: Vec<String>,
    idf: Vec<f64>,
    folds: Vec<Fold>,
}

impl LinearTextModel {
    /// Reads the exported JSON; a wrong format or inconsistent sizes are errors.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let file: File = serde_json::from_slice(bytes).map_err(|e| format!("profanity model: {e}"))?;
        if file.format != FORMAT {
            return Err(format!("profanity model: format {:?}, expected {FORMAT:?}", file.format));
        }
        let n = file.terms.len();
        if file.idf.len() != n {
            return Err(format!("profanity model: {n} terms but {} idf weights", file.idf.len()));
        }
        if file.folds.is_empty() {
            return Err("profanity model: no folds".to_string());
        }
        if let Some(f) = file.folds.iter().find(|f| f.coef.len() != n) {
            return Err(format!("profanity model: {n} terms but a fold has {} coefficients", f.coef.len()));
        }
        let column: HashMap<String, usize> = file.terms.into_iter().enumerate().map(|(i, t)| (t, i)).collect();
        if column.len() != n {
            return Err("profanity model: a term appears twice".to_string());
        }
        Ok(LinearTextModel { column, idf: file.idf, folds: file.folds })
    }

    /// Number of terms in the vocabulary.
    pub fn terms(&self) -> usize {
        self.idf.len()
    }

    /// The probability that `text` is offensive (scikit-learn's
    /// `predict_proba(...)[:, 1]`). A text with no known term gets the
    /// model's prior (about 0.04 for alt-profanity-check).
    pub fn probability(&self, text: &str) -> f32 {
        let mut counts: HashMap<usize, f64> = HashMap::new();
        for token in tokens(&text.to_lowercase()) {
            if let Some(&i) = self.column.get(token) {
                *counts.entry(i).or_default() += 1.0;
            }
        }
        let mut x: Vec<(usize, f64)> = counts.into_iter().map(|(i, n)| (i, n * self.idf[i])).collect();
        let norm = x.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            x.iter_mut().for_each(|(_, v)| *v /= norm);
        }
        let sum: f64 = self
            .folds
            .iter()
            .map(|f| {
                let d = x.iter().map(|(i, v)| f.coef[*i] * v).sum::<f64>() + f.intercept;
                1.0 / (1.0 + (f.sigmoid_a * d + f.sigmoid_b).exp())
            })
            .sum();
        (sum / self.folds.len() as f64) as f32
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// scikit-learn's default token pattern `(?u)\b\w\w+\b`: maximal runs of word
/// characters, at least two characters long.
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_word_char(c)).filter(|t| t.chars().nth(1).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Two terms, two folds with hand-checkable numbers.
    const TINY: &str = r#"{"format":"glint.tfidf-linear.v1","terms":["bad","cat"],"idf":[2.0,1.0],
        "folds":[{"coef":[3.0,-1.0],"intercept":-1.0,"sigmoid_a":-1.0,"sigmoid_b":0.0},
                 {"coef":[1.0,0.0],"intercept":0.0,"sigmoid_a":-2.0,"sigmoid_b":0.5}]}"#;

    fn sigmoid(z: f64) -> f64 {
        1.0 / (1.0 + (-z).exp())
    }

    #[test]
    fn tokens_follow_the_scikit_learn_pattern() {
        let t: Vec<&str> = tokens("a cat, the_dog's 42 x9 — 猫咪 i").collect();
        assert_eq!(t, ["cat", "the_dog", "42", "x9", "猫咪"]);
    }

    #[test]
    fn tiny_model_matches_the_formula() {
        let m = LinearTextModel::from_json(TINY.as_bytes()).unwrap();
        // "BAD cat cat": counts bad=1, cat=2 → tf-idf (2, 2) → l2 (1/√2, 1/√2)
        let r = std::f64::consts::FRAC_1_SQRT_2;
        let p1 = sigmoid(3.0 * r - r - 1.0);
        let p2 = sigmoid(2.0 * r - 0.5);
        let got = m.probability("BAD cat cat") as f64;
        assert!((got - (p1 + p2) / 2.0).abs() < 1e-6, "{got}");
        // nothing known: the intercepts alone
        let prior = (sigmoid(-1.0) + sigmoid(-0.5)) / 2.0;
        assert!((m.probability("a dog") as f64 - prior).abs() < 1e-6);
        assert_eq!(m.probability(""), m.probability("z"));
    }

    #[test]
    fn broken_files_are_named() {
        let cases = [
            ("{", "profanity model:"),
            (r#"{"format":"other","terms":[],"idf":[],"folds":[]}"#, "format"),
            (r#"{"format":"glint.tfidf-linear.v1","terms":["a"],"idf":[],"folds":[]}"#, "idf"),
            (r#"{"format":"glint.tfidf-linear.v1","terms":["aa"],"idf":[1],"folds":[]}"#, "no folds"),
            (
                r#"{"format":"glint.tfidf-linear.v1","terms":["aa"],"idf":[1],
                "folds":[{"coef":[],"intercept":0,"sigmoid_a":0,"sigmoid_b":0}]}"#,
                "coefficients",
            ),
            (
                r#"{"format":"glint.tfidf-linear.v1","terms":["aa","aa"],"idf":[1,1],
                "folds":[{"coef":[1,1],"intercept":0,"sigmoid_a":0,"sigmoid_b":0}]}"#,
                "twice",
            ),
        ];
        for (json, want) in cases {
            let e = LinearTextModel::from_json(json.as_bytes()).unwrap_err();
            assert!(e.contains(want), "{json}: {e}");
        }
    }

    /// scikit-learn 1.9.1's `predict_proba` on alt-profanity-check 1.9.1
    /// (printed by scripts/export-profanity-model.py, which checks its JSON
    /// against the same sentences).
    const SKLEARN: [(&str, f64); 10] = [
        ("a cat . a coffee mug", 0.037311191),
        ("person . bicycle . car", 0.036463429),
        ("have a nice day", 0.058447264),
        ("Scunthorpe United", 0.023122826),
        ("一只猫 . 一个杯子", 0.036375752),
        ("what the hell", 0.991386136),
        ("go kill yourself", 0.946731563),
        ("you are a fucking idiot", 1.000000000),
        ("a STUPID cat", 0.993580740),
        ("naked person", 0.717092912),
    ];

    #[test]
    fn shipped_model_matches_scikit_learn() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/audit-v1/profanity-model.json");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} — run scripts/setup.sh", path.display()));
        let m = LinearTextModel::from_json(&bytes).unwrap();
        assert_eq!(m.terms(), 15442);
        for (text, want) in SKLEARN {
            let got = m.probability(text) as f64;
            assert!((got - want).abs() < 1e-6, "{text}: {got} vs scikit-learn {want}");
        }
        // detection prompts stay well under the review threshold the policy ships (0.9);
        // scikit-learn gives 0.261, 0.072, 0.142
        for prompt in ["a kitty . a coffee mug . a dog", "astronaut . rocket . flag", "motorcycle . helmet"] {
            assert!(m.probability(prompt) < 0.5, "{prompt}: {}", m.probability(prompt));
        }
    }
}
