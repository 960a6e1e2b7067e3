//! Prompt → phrases, and the table look-ups that map a phrase to a label
//! without a model.

use crate::coco;
use crate::{Error, ErrorCode, Limits};

/// Most phrases accepted in one prompt.
pub const MAX_PHRASES: usize = 32;

/// Splits a GLIP-style prompt ("a cat . a coffee mug") into trimmed phrases.
/// Separators: '.', '。', ';', '；', ',', '，', '、' and newlines.
pub fn split(prompt: &str, limits: &Limits) -> Result<Vec<String>, Error> {
    let chars = prompt.chars().count();
    if chars > limits.max_prompt_chars as usize {
        return Err(Error::new(
            ErrorCode::InvalidPrompt,
            format!("prompt is {chars} characters long, the limit is {}", limits.max_prompt_chars),
        ));
    }
    let phrases: Vec<String> = prompt
        .split(['.', '。', ';', '；', ',', '，', '、', '\n'])
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    if phrases.is_empty() {
        return Err(Error::new(
            ErrorCode::InvalidPrompt,
            "prompt has no phrase: write what to find, separated by ' . ', e.g. \"a cat . a coffee mug\"",
        ));
    }
    if phrases.len() > MAX_PHRASES {
        return Err(Error::new(
            ErrorCode::InvalidPrompt,
            format!("prompt has {} phrases, the limit is {MAX_PHRASES}", phrases.len()),
        ));
    }
    Ok(phrases)
}

/// Lower-case, articles and quantifiers removed: "A Coffee Mug" → "coffee mug".
pub fn normalize(phrase: &str) -> String {
    let lower = phrase.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let skip = words
        .iter()
        .take_while(|w| matches!(**w, "a" | "an" | "the" | "some" | "two" | "three" | "many" | "one"))
        .count();
    let rest = if skip < words.len() { &words[skip..] } else { &words[..] };
    rest.join(" ")
}

/// True when the phrase contains CJK ideographs.
pub fn is_chinese(phrase: &str) -> bool {
    phrase.chars().any(crate::tokenizer::is_cjk)
}

/// A label found without a model, and how.
pub fn table_match(phrase: &str) -> Option<(&'static str, &'static str)> {
    let norm = normalize(phrase);
    if is_chinese(&norm) {
        let zh: String = norm.chars().filter(|c| !c.is_whitespace()).collect();
        let zh = zh.trim_start_matches(['一', '只', '个', '条', '辆', '张', '把', '台']);
        return lookup(coco::ZH, zh).map(|l| (l, "zh"));
    }
    let singular = norm.strip_suffix("es").filter(|s| s.ends_with("sh") || s.ends_with("ch") || s.ends_with('x'))
        .or_else(|| norm.strip_suffix('s').filter(|s| !s.ends_with('s')));
    for candidate in std::iter::once(norm.as_str()).chain(singular) {
        if let Some((_, l)) = coco::LABELS.iter().find(|(_, l)| *l == candidate) {
            return Some((l, "exact"));
        }
        if let Some(l) = lookup(coco::SYNONYMS, candidate) {
            return Some((l, "synonym"));
        }
    }
    None
}

fn lookup(table: &[(&str, &'static str)], key: &str) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_glip_prompts() {
        let l = Limits::default();
        assert_eq!(split("a cat . a coffee mug .", &l).unwrap(), vec!["a cat", "a coffee mug"]);
        assert_eq!(split("猫。狗", &l).unwrap(), vec!["猫", "狗"]);
        assert_eq!(split(" . . ", &l).unwrap_err().code, ErrorCode::InvalidPrompt);
        assert_eq!(split("", &l).unwrap_err().code, ErrorCode::InvalidPrompt);
        let long = "a".repeat(1001);
        assert!(split(&long, &l).unwrap_err().message.contains("limit is 1000"));
    }

    #[test]
    fn tables_map_common_words() {
        assert_eq!(table_match("a kitten"), Some(("cat", "synonym")));
        // left to the sentence encoder on purpose (measured cosine .75 to "cat")
        assert_eq!(table_match("a kitty"), None);
        assert_eq!(table_match("The Dogs"), Some(("dog", "exact")));
        assert_eq!(table_match("a coffee mug"), Some(("cup", "synonym")));
        assert_eq!(table_match("猫"), Some(("cat", "zh")));
        assert_eq!(table_match("一只猫"), Some(("cat", "zh")));
        assert_eq!(table_match("glasses"), None);
        assert_eq!(table_match("a spaceship"), None);
    }
}
