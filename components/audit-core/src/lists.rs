//! The word lists of model version `audit-v1` (naughty-words en + zh,
//! bad-words-chinese, better-profanity) merged into one [`WordMatcher`].
//! An entry that two or more lists agree on is `High`; any other `Medium`
//! (single Chinese characters are lowered to `Low` by the matcher).

use std::collections::BTreeMap;

use crate::Severity;
use crate::normalize::normalize;
use crate::words::{Entry, WordMatcher};

/// The raw asset files.
pub struct ListFiles<'a> {
    /// naughty-words `en.json`: a JSON array of strings.
    pub naughty_en: &'a [u8],
    /// naughty-words `zh.json`.
    pub naughty_zh: &'a [u8],
    /// bad-words-chinese: `{"words": [...]}`.
    pub bad_words_chinese: &'a [u8],
    /// better-profanity: one word per line.
    pub better_profanity: &'a [u8],
}

fn json_strings(name: &str, bytes: &[u8], field: Option<&str>) -> Result<Vec<String>, String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| format!("{name}: {e}"))?;
    let list = match field {
        Some(f) => v.get(f).cloned().unwrap_or_default(),
        None => v,
    };
    let list = list.as_array().ok_or_else(|| format!("{name}: expected a list of strings"))?;
    Ok(list.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
}

/// Builds the matcher of all four lists.
pub fn build(files: &ListFiles) -> Result<WordMatcher, String> {
    let lists = [
        json_strings("naughty-words-en", files.naughty_en, None)?,
        json_strings("naughty-words-zh", files.naughty_zh, None)?,
        json_strings("bad-words-chinese", files.bad_words_chinese, Some("words"))?,
        String::from_utf8_lossy(files.better_profanity).lines().map(str::to_string).collect(),
    ];
    let mut votes: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for list in &lists {
        let mut seen = std::collections::BTreeSet::new();
        for word in list {
            let key = normalize(word.trim()).text;
            if !key.is_empty() && seen.insert(key.clone()) {
                votes.entry(key).or_insert_with(|| (word.trim().to_string(), 0)).1 += 1;
            }
        }
    }
    WordMatcher::new(votes.into_values().map(|(text, n)| Entry {
        text,
        severity: if n >= 2 { Severity::High } else { Severity::Medium },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The real lists, as scripts/setup.sh extracts them.
    fn shipped() -> WordMatcher {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/audit-v1");
        let read = |f: &str| std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e} (run scripts/setup.sh)"));
        let (en, zh, bwc, bp) = (
            read("naughty-words-en.json"),
            read("naughty-words-zh.json"),
            read("bad-words-chinese.json"),
            read("better-profanity.txt"),
        );
        build(&ListFiles { naughty_en: &en, naughty_zh: &zh, bad_words_chinese: &bwc, better_profanity: &bp }).unwrap()
    }

    fn worst(m: &WordMatcher, text: &str) -> Option<Severity> {
        m.find(text, "text.profanity").iter().map(|f| f.severity).max()
    }

    #[test]
    fn shipped_lists_find_true_positives() {
        let m = shipped();
        assert!(m.len() > 1000, "{} entries", m.len());
        for (text, at_least) in [
            ("you stupid fuck", Severity::High),
            ("what a bitch", Severity::High),
            ("a picture of a cunt", Severity::High),
            ("f\u{200B}uck this", Severity::High),
            ("ＦＵＣＫ", Severity::High),
            ("你这个傻逼", Severity::Medium),
            ("他妈的", Severity::Medium),
            ("幹你娘", Severity::Medium),
        ] {
            assert!(worst(&m, text).is_some_and(|s| s >= at_least), "{text}: {:?}", worst(&m, text));
        }
    }

    #[test]
    fn shipped_lists_leave_ordinary_text_alone() {
        let m = shipped();
        for text in [
            "a cat . a coffee mug",
            "Scunthorpe United won",
            "a class of glasses",
            "an assessment of the cocktail",
            "a kitty on a sofa",
            "一只猫 . 一个杯子",
            "一辆摩托车",
            "宇航员",
        ] {
            assert_eq!(worst(&m, text), None, "{text}: {:?}", m.find(text, "x"));
        }
    }
}
