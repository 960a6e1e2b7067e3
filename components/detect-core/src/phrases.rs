//! Prompt → phrases, and the table look-ups that map a phrase to a label
//! without a model.

use crate::coco;
use crate::{Error, ErrorCode, Limits};

/// Most phrases accepted in one prompt.
pub const MAX_PHRASES: usize = 32;

/// One phrase of a prompt and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Phrase {
    /// The words as the user wrote them (inner whitespace collapsed).
    pub text: String,
    /// `[start, end)` in characters of the prompt.
    pub span: [u32; 2],
}

const SEPARATORS: [char; 8] = ['.', '。', ';', '；', ',', '，', '、', '\n'];

/// Words that never start or end a phrase found in a caption.
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "some", "two", "three", "many", "one", "of", "in", "on", "at", "to", "next", "with",
    "and", "or", "is", "are", "was", "its", "his", "her", "their", "by", "near", "under", "over", "from",
    "for", "into", "onto", "beside", "behind", "holding", "sitting", "sleeping", "standing", "lying",
    "riding", "wearing", "this", "that", "there", "here", "very", "it", "he", "she", "they",
];

/// Longest phrase, in words (or characters for Chinese), looked up in a caption.
const MAX_NGRAM: usize = 4;

/// Splits a prompt into phrases with their spans. Explicit separators
/// ("a cat . a coffee mug") give one phrase per piece. A prompt without any
/// (a trailing full stop aside) is read as a caption when `known` recognises two or more separate things
/// in it (n-grams of its words, longest first, stop words dropped, adjacent
/// matches joined: "tabby cat" stays one thing; CJK characters for Chinese):
/// "a cat sleeping next to a remote" gives "cat" and "remote".
pub fn extract(prompt: &str, limits: &Limits, known: &dyn Fn(&str) -> bool) -> Result<Vec<Phrase>, Error> {
    let chars: Vec<char> = prompt.chars().collect();
    if chars.len() > limits.max_prompt_chars as usize {
        return Err(Error::new(
            ErrorCode::InvalidPrompt,
            format!("prompt is {} characters long, the limit is {}", chars.len(), limits.max_prompt_chars),
        ));
    }
    let mut phrases = Vec::new();
    let mut start = 0;
    // Separated: at least two non-empty pieces (a caption may end with a full stop).
    let separated = chars.split(|c| SEPARATORS.contains(c)).filter(|p| p.iter().any(|c| !c.is_whitespace())).count() > 1;
    for end in (0..=chars.len()).filter(|i| *i == chars.len() || SEPARATORS.contains(&chars[*i])) {
        let words = words_of(&chars, start, end);
        if !words.is_empty() {
            let found = if separated { Vec::new() } else { caption_phrases(&chars, &words, known).known };
            if found.len() >= 2 {
                phrases.extend(found);
            } else {
                let (s, e) = (words[0].0, words[words.len() - 1].1);
                let text = words.iter().map(|(a, b)| chars[*a..*b].iter().collect::<String>()).collect::<Vec<_>>().join(" ");
                phrases.push(Phrase { text, span: [s as u32, e as u32] });
            }
        }
        start = end + 1;
    }
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

/// Splits a prompt into trimmed phrases at the separators only (no caption reading).
pub fn split(prompt: &str, limits: &Limits) -> Result<Vec<String>, Error> {
    Ok(extract(prompt, limits, &|_| false)?.into_iter().map(|p| p.text).collect())
}

/// `[start, end)` character ranges of the whitespace-separated words in `chars[from..to]`.
fn words_of(chars: &[char], from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut i = from;
    while i < to {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let s = i;
        while i < to && !chars[i].is_whitespace() {
            i += 1;
        }
        words.push((s, i));
    }
    words
}

/// How a caption reads: the things `known` recognises, and its other words
/// (stop words aside) for a family to try with its sentence encoder.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Caption {
    pub known: Vec<Phrase>,
    pub other_words: Vec<Phrase>,
}

/// The caption reading of a prompt without separators; `None` when it has some.
pub fn read_caption(prompt: &str, known: &dyn Fn(&str) -> bool) -> Option<Caption> {
    let chars: Vec<char> = prompt.chars().collect();
    let mut pieces = Vec::new();
    let mut start = 0;
    for end in (0..=chars.len()).filter(|i| *i == chars.len() || SEPARATORS.contains(&chars[*i])) {
        if chars[start..end].iter().any(|c| !c.is_whitespace()) {
            pieces.push((start, end));
        }
        start = end + 1;
    }
    match pieces[..] {
        [(from, to)] => Some(caption_phrases(&chars, &words_of(&chars, from, to), known)),
        _ => None,
    }
}

/// The phrases `known` recognises in one piece, longest match first, left to right.
fn caption_phrases(chars: &[char], words: &[(usize, usize)], known: &dyn Fn(&str) -> bool) -> Caption {
    // Units: words, or single characters inside CJK runs (Chinese has no spaces).
    let mut units: Vec<(usize, usize, bool)> = Vec::new();
    for &(s, e) in words {
        let (s, e) = trim_punctuation(chars, s, e);
        if s >= e {
            continue;
        }
        if chars[s..e].iter().any(|c| crate::tokenizer::is_cjk(*c)) {
            units.extend((s..e).map(|i| (i, i + 1, true)));
        } else {
            units.push((s, e, false));
        }
    }
    let text_of = |a: usize, b: usize| -> String {
        let parts: Vec<String> = units[a..b].iter().map(|(s, e, _)| chars[*s..*e].iter().collect()).collect();
        if units[a].2 { parts.concat() } else { parts.join(" ") }
    };
    let stop = |i: usize| !units[i].2 && STOP_WORDS.contains(&text_of(i, i + 1).to_lowercase().as_str());
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut other: Vec<usize> = Vec::new();
    let mut matched_until = None;
    let mut i = 0;
    while i < units.len() {
        if stop(i) {
            i += 1;
            continue;
        }
        let longest = (1..=MAX_NGRAM.min(units.len() - i)).rev().find(|n| {
            let j = i + n;
            let same_script = units[i..j].iter().all(|u| u.2 == units[i].2);
            same_script && !stop(j - 1) && known(&text_of(i, j))
        });
        match longest {
            Some(n) => {
                // Adjacent to the previous match: one thing ("tabby" + "cat").
                let joined = matched_until == Some(i) && !units[i].2;
                let start = if joined { out.pop().map(|(s, _): (usize, usize)| s).expect("a previous match") } else { i };
                out.push((start, i + n));
                i += n;
                matched_until = Some(i);
            }
            None => {
                if !units[i].2 && chars[units[i].0..units[i].1].iter().all(|c| c.is_alphabetic() || *c == '-') {
                    other.push(i);
                }
                i += 1
            }
        }
    }
    let phrase = |(a, b): (usize, usize)| Phrase { text: text_of(a, b), span: [units[a].0 as u32, units[b - 1].1 as u32] };
    Caption { known: out.into_iter().map(phrase).collect(), other_words: other.into_iter().map(|i| phrase((i, i + 1))).collect() }
}

fn trim_punctuation(chars: &[char], mut s: usize, mut e: usize) -> (usize, usize) {
    let punct = |c: char| !c.is_alphanumeric() && !crate::tokenizer::is_cjk(c) && c != '-' && c != '\'';
    while s < e && punct(chars[s]) {
        s += 1;
    }
    while e > s && punct(chars[e - 1]) {
        e -= 1;
    }
    (s, e)
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
    for candidate in std::iter::once(norm.as_str()).chain(singular(&norm)) {
        if let Some((_, l)) = coco::LABELS.iter().find(|(_, l)| *l == candidate) {
            return Some((l, "exact"));
        }
        if let Some(l) = lookup(coco::SYNONYMS, candidate) {
            return Some((l, "synonym"));
        }
    }
    None
}

/// The singular of a regular English plural ("boxes" → "box", "cats" → "cat").
pub fn singular(word: &str) -> Option<&str> {
    word.strip_suffix("es")
        .filter(|s| s.ends_with("sh") || s.ends_with("ch") || s.ends_with('x'))
        .or_else(|| word.strip_suffix('s').filter(|s| !s.ends_with('s')))
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
    fn captions_give_the_phrases_the_vocabulary_knows_with_their_spans() {
        let l = Limits::default();
        let known = |p: &str| table_match(p).is_some();
        let prompt = "a cat sleeping next to a remote";
        let found = extract(prompt, &l, &known).unwrap();
        let texts: Vec<&str> = found.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["cat", "remote"]);
        let spans: Vec<String> =
            found.iter().map(|p| prompt.chars().skip(p.span[0] as usize).take((p.span[1] - p.span[0]) as usize).collect()).collect();
        assert_eq!(spans, ["cat", "remote"]);
        // longest match first: "coffee mug" is one phrase, not "mug"
        let found = extract("A woman holding a coffee mug.", &l, &known).unwrap();
        assert_eq!(found.iter().map(|p| p.text.as_str()).collect::<Vec<_>>(), ["woman", "coffee mug"]);
        assert_eq!(found[1].span, [18, 28]);
        // one known thing: the whole piece stays one phrase (attributes kept for the encoder)
        let found = extract("a red car", &l, &known).unwrap();
        assert_eq!(found, vec![Phrase { text: "a red car".into(), span: [0, 9] }]);
        // explicit separators keep their pieces whole, spans in characters (not bytes)
        let found = extract("猫 . a dog . a cat next to a dog", &l, &known).unwrap();
        assert_eq!(found[1], Phrase { text: "a dog".into(), span: [4, 9] });
        assert_eq!(found[2].text, "a cat next to a dog");
        // adjacent known words are one thing, not two
        let found = extract("a tabby cat", &l, &known).unwrap();
        assert_eq!(found, vec![Phrase { text: "a tabby cat".into(), span: [0, 11] }]);
        let found = extract("a tabby cat on a bed", &l, &known).unwrap();
        assert_eq!(found.iter().map(|p| p.text.as_str()).collect::<Vec<_>>(), ["tabby cat", "bed"]);
        // the words no table knows are left for the sentence encoder
        let c = read_caption("a kitty sleeping on a sofa.", &known).unwrap();
        assert_eq!(c.known, vec![Phrase { text: "sofa".into(), span: [22, 26] }]);
        assert_eq!(c.other_words, vec![Phrase { text: "kitty".into(), span: [2, 7] }]);
        assert_eq!(read_caption("a cat . a dog", &known), None);
        // Chinese captions are segmented against the zh table
        let found = extract("一只猫和一条狗", &l, &known).unwrap();
        assert_eq!(found.iter().map(|p| p.text.as_str()).collect::<Vec<_>>(), ["一只猫", "一条狗"]);
        assert_eq!(found[1].span, [4, 7]);
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
