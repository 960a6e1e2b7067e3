//! Word lists with severities, matched by Aho-Corasick on normalised text.
//!
//! Latin-script entries match whole words only (so "Scunthorpe" and "class"
//! are clean); entries in Chinese (no spaces between words) match anywhere,
//! and a single Chinese character is at most `Low` (many are ordinary in
//! other words).

use aho_corasick::{AhoCorasick, MatchKind};

use crate::normalize::normalize;
use crate::{Finding, Severity};

/// One entry of a list.
#[derive(Clone, Debug)]
pub struct Entry {
    pub text: String,
    pub severity: Severity,
}

/// Compiled lists.
pub struct WordMatcher {
    automaton: AhoCorasick,
    entries: Vec<(Severity, bool)>, // severity, whole-word
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}')
}

impl WordMatcher {
    /// Compiles entries (normalised like the text; empty ones are dropped;
    /// a repeated entry keeps its highest severity).
    pub fn new(entries: impl IntoIterator<Item = Entry>) -> Result<WordMatcher, String> {
        let mut by_text: std::collections::BTreeMap<String, Severity> = Default::default();
        for e in entries {
            let text = normalize(e.text.trim()).text;
            if text.is_empty() {
                continue;
            }
            let single_cjk = text.chars().count() == 1 && text.chars().all(is_cjk);
            let severity = if single_cjk { e.severity.min(Severity::Low) } else { e.severity };
            let slot = by_text.entry(text).or_insert(severity);
            *slot = (*slot).max(severity);
        }
        let patterns: Vec<&String> = by_text.keys().collect();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .map_err(|e| format!("word list: {e}"))?;
        let entries = by_text.iter().map(|(t, s)| (*s, !t.chars().any(is_cjk))).collect();
        Ok(WordMatcher { automaton, entries })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every listed word in `text`, with `code` as the reason code.
    pub fn find(&self, text: &str, code: &'static str) -> Vec<Finding> {
        let n = normalize(text);
        let t = n.text.as_str();
        let word_char = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() && !is_cjk(c));
        let mut out = Vec::new();
        for m in self.automaton.find_overlapping_iter_compat(t) {
            let (severity, whole_word) = self.entries[m.pattern().as_usize()];
            if whole_word && (word_char(t[..m.start()].chars().next_back()) || word_char(t[m.end()..].chars().next())) {
                continue;
            }
            let (start, end) = n.original(m.start(), m.end());
            out.push(Finding { code, severity, start, end });
        }
        out
    }
}

/// Leftmost-longest search that still sees a whole word after a rejected
/// partial one ("classic ass" must find "ass" after skipping "class…").
trait OverlappingCompat {
    fn find_overlapping_iter_compat<'a>(&'a self, text: &'a str) -> Vec<aho_corasick::Match>;
}

impl OverlappingCompat for AhoCorasick {
    fn find_overlapping_iter_compat<'a>(&'a self, text: &'a str) -> Vec<aho_corasick::Match> {
        // Restart the leftmost-longest search at every word start: each word
        // gets its own longest match, and a match inside a word is seen too
        // (then rejected by the whole-word test for Latin entries).
        let mut out: Vec<aho_corasick::Match> = Vec::new();
        let mut at = 0;
        while at < text.len() {
            let input = aho_corasick::Input::new(text).range(at..);
            match self.find(input) {
                Some(m) => {
                    if out.last().is_none_or(|l| m.start() >= l.end()) {
                        out.push(m);
                    }
                    let step = text[m.start()..].chars().next().map_or(1, char::len_utf8);
                    at = m.start() + step;
                }
                None => break,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> WordMatcher {
        let e = |t: &str, s| Entry { text: t.into(), severity: s };
        WordMatcher::new([
            e("ass", Severity::Medium),
            e("shit", Severity::Medium),
            e("cunt", Severity::High),
            e("fuck you", Severity::High),
            e("傻逼", Severity::High),
            e("操", Severity::Medium),
            e("幹你娘", Severity::High),
        ])
        .unwrap()
    }

    fn codes(m: &WordMatcher, text: &str) -> Vec<(String, Severity)> {
        m.find(text, "profanity").into_iter().map(|f| (text[f.start..f.end].to_string(), f.severity)).collect()
    }

    #[test]
    fn english_true_positives() {
        let m = matcher();
        assert_eq!(codes(&m, "you are an ass"), [("ass".into(), Severity::Medium)]);
        assert_eq!(codes(&m, "SHIT!"), [("SHIT".into(), Severity::Medium)]);
        assert_eq!(codes(&m, "sh1t happens"), [("sh1t".into(), Severity::Medium)]);
        assert_eq!(codes(&m, "ｓｈｉｔ"), [("ｓｈｉｔ".into(), Severity::Medium)]);
        assert_eq!(codes(&m, "s\u{200B}hit"), [("s\u{200B}hit".into(), Severity::Medium)]);
        assert_eq!(codes(&m, "well fuck you then"), [("fuck you".into(), Severity::High)]);
        assert_eq!(codes(&m, "a classic ass"), [("ass".into(), Severity::Medium)]);
    }

    #[test]
    fn english_false_positives_stay_clean() {
        let m = matcher();
        for clean in ["Scunthorpe United", "a class of glasses", "assessment", "shiitake", "cocktail", "a cat . a coffee mug"] {
            assert!(codes(&m, clean).is_empty(), "{clean}: {:?}", codes(&m, clean));
        }
    }

    #[test]
    fn chinese() {
        let m = matcher();
        assert_eq!(codes(&m, "你是傻逼吗"), [("傻逼".into(), Severity::High)]);
        assert_eq!(codes(&m, "幹你娘"), [("幹你娘".into(), Severity::High)], "Traditional");
        assert_eq!(codes(&m, "操场上的猫"), [("操".into(), Severity::Low)], "a single character is low");
        assert!(codes(&m, "一只猫和一个杯子").is_empty());
    }
}
