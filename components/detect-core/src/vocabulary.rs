//! broad-v1's label space and the English terms that mean its labels, read
//! from the `glint.vocabulary.v1` asset that setup builds from WordNet 3.0
//! (`scripts/build-vocabulary.py`).

use std::collections::HashMap;

use serde::Deserialize;

use crate::Error;
use crate::phrases::{normalize, singular};

/// Where a label's score comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// EfficientNet-Lite3's softmax, `class` = its output index.
    Imagenet,
    /// The SSD's own class score, `class` = 1-based COCO id.
    Coco,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Label {
    pub name: String,
    pub source: Source,
    pub class: u32,
    pub synset: String,
}

/// How a term relates to the labels it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    /// The term names the label's synset ("necktie" → tie).
    Synonym,
    /// The term is a kind of the label ("kitty" → cat, "astronaut" → person).
    Narrower,
    /// The labels are kinds of the term ("an animal" → every animal label).
    Category,
}

impl Relation {
    pub fn method(self) -> &'static str {
        match self {
            Relation::Synonym => "synonym",
            Relation::Narrower => "narrower",
            Relation::Category => "category",
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Term {
    pub relation: Relation,
    /// Indices into [`Vocabulary::labels`].
    pub labels: Vec<usize>,
}

#[derive(Debug, Deserialize)]
pub struct Vocabulary {
    format: String,
    pub labels: Vec<Label>,
    terms: HashMap<String, Term>,
}

/// What a phrase means in the vocabulary.
#[derive(Clone, Debug, PartialEq)]
pub struct Meaning {
    pub method: &'static str,
    pub labels: Vec<usize>,
}

impl Vocabulary {
    /// Parses and checks the asset.
    pub fn parse(bytes: &[u8]) -> Result<Vocabulary, Error> {
        let v: Vocabulary = serde_json::from_slice(bytes)
            .map_err(|e| Error::unsupported(format!("vocabulary asset: {e}")))?;
        if v.format != "glint.vocabulary.v1" {
            return Err(Error::unsupported(format!("vocabulary asset has format {:?}, expected glint.vocabulary.v1", v.format)));
        }
        let n = v.labels.len();
        if let Some((t, _)) = v.terms.iter().find(|(_, t)| t.labels.is_empty() || t.labels.iter().any(|i| *i >= n)) {
            return Err(Error::unsupported(format!("vocabulary asset: term {t:?} names no label or a label out of range")));
        }
        Ok(v)
    }

    /// The labels a phrase names: a label's own name is `exact`, otherwise
    /// the WordNet relation of the phrase (or of its singular).
    pub fn meaning(&self, phrase: &str) -> Option<Meaning> {
        let norm = normalize(phrase);
        for candidate in std::iter::once(norm.as_str()).chain(singular(&norm)) {
            let exact: Vec<usize> = (0..self.labels.len()).filter(|i| self.labels[*i].name.to_lowercase() == candidate).collect();
            if !exact.is_empty() {
                return Some(Meaning { method: "exact", labels: exact });
            }
            if let Some(t) = self.terms.get(candidate) {
                return Some(Meaning { method: t.relation.method(), labels: t.labels.clone() });
            }
        }
        None
    }

    /// True when the phrase means some label.
    pub fn knows(&self, phrase: &str) -> bool {
        self.meaning(phrase).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"format":"glint.vocabulary.v1","labels":[
        {"name":"tabby","source":"imagenet","class":281,"synset":"n02123045"},
        {"name":"Egyptian cat","source":"imagenet","class":285,"synset":"n02124075"},
        {"name":"cat","source":"coco","class":17,"synset":"n02121620"}],
      "terms":{"tabby cat":{"relation":"synonym","labels":[0],"via":"tabby"},
               "kitty":{"relation":"narrower","labels":[2],"via":"kitty"},
               "feline":{"relation":"category","labels":[0,1,2],"via":"feline"}}}"#;

    #[test]
    fn phrases_find_their_labels_and_say_how() {
        let v = Vocabulary::parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(v.meaning("a Tabby Cat"), Some(Meaning { method: "synonym", labels: vec![0] }));
        assert_eq!(v.meaning("an egyptian cat"), Some(Meaning { method: "exact", labels: vec![1] }));
        assert_eq!(v.meaning("kitties"), None); // irregular plural: not guessed
        assert_eq!(v.meaning("felines").unwrap().labels, vec![0, 1, 2]);
        assert_eq!(v.meaning("a kitty").unwrap().method, "narrower");
        assert!(!v.knows("a rocket"));
    }

    #[test]
    fn a_damaged_asset_is_refused_with_a_reason() {
        assert!(Vocabulary::parse(b"{}").unwrap_err().message.contains("vocabulary asset"));
        let wrong = SAMPLE.replace("glint.vocabulary.v1", "v0");
        assert!(Vocabulary::parse(wrong.as_bytes()).unwrap_err().message.contains("format"));
        let out_of_range = SAMPLE.replace("[0,1,2]", "[0,7]");
        assert!(Vocabulary::parse(out_of_range.as_bytes()).unwrap_err().message.contains("feline"));
    }
}
