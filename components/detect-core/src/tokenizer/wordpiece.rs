//! BERT "uncased" tokenization: basic tokenizer + WordPiece, as used by
//! all-MiniLM-L6-v2 (`vocab.txt`, one token per line, id = line number).

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::is_cjk;
use crate::{Error, ErrorCode};

pub struct WordPiece {
    vocab: HashMap<String, i64>,
    cls: i64,
    sep: i64,
    unk: i64,
    pub pad: i64,
}

const MAX_WORD_CHARS: usize = 100;

impl WordPiece {
    pub fn from_vocab(text: &str) -> Result<Self, Error> {
        let vocab: HashMap<String, i64> =
            text.lines().enumerate().map(|(i, t)| (t.trim_end_matches('\r').to_string(), i as i64)).collect();
        let id = |t: &str| {
            vocab.get(t).copied().ok_or_else(|| {
                Error::new(ErrorCode::UnsupportedModel, format!("vocab.txt has no {t} token"))
            })
        };
        Ok(WordPiece { cls: id("[CLS]")?, sep: id("[SEP]")?, unk: id("[UNK]")?, pad: id("[PAD]")?, vocab })
    }

    /// `[CLS] pieces… [SEP]`, at most `max_len` ids.
    pub fn encode(&self, text: &str, max_len: usize) -> Vec<i64> {
        let mut ids = vec![self.cls];
        for word in basic_tokens(text) {
            self.word_pieces(&word, &mut ids);
        }
        ids.truncate(max_len.saturating_sub(1).max(1));
        ids.push(self.sep);
        ids
    }

    fn word_pieces(&self, word: &str, out: &mut Vec<i64>) {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() > MAX_WORD_CHARS {
            out.push(self.unk);
            return;
        }
        let mut pieces = Vec::new();
        let mut start = 0;
        while start < chars.len() {
            let mut end = chars.len();
            let mut found = None;
            while start < end {
                let mut sub: String = chars[start..end].iter().collect();
                if start > 0 {
                    sub.insert_str(0, "##");
                }
                if let Some(id) = self.vocab.get(&sub) {
                    found = Some(*id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => pieces.push(id),
                None => {
                    out.push(self.unk);
                    return;
                }
            }
            start = end;
        }
        out.extend(pieces);
    }
}

/// Cleans, lower-cases, strips accents and splits on whitespace and
/// punctuation; CJK ideographs become one token each.
fn basic_tokens(text: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || (c.is_control() && !c.is_whitespace()) {
            continue;
        }
        if is_cjk(c) {
            spaced.push(' ');
            spaced.push(c);
            spaced.push(' ');
        } else if c.is_whitespace() {
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    let mut tokens = Vec::new();
    for word in spaced.split_whitespace() {
        let word: String = word.to_lowercase().nfd().filter(|c| !is_combining_mark(*c)).collect();
        let mut cur = String::new();
        for c in word.chars() {
            if is_punctuation(c) {
                if !cur.is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
                tokens.push(c.to_string());
            } else {
                cur.push(c);
            }
        }
        if !cur.is_empty() {
            tokens.push(cur);
        }
    }
    tokens
}

fn is_punctuation(c: char) -> bool {
    let u = c as u32;
    (33..=47).contains(&u) || (58..=64).contains(&u) || (91..=96).contains(&u) || (123..=126).contains(&u)
        || is_unicode_punct(c)
}

/// Unicode general category P* for the common blocks (general and CJK punctuation,
/// full-width forms).
fn is_unicode_punct(c: char) -> bool {
    matches!(c as u32, 0x2000..=0x206F | 0x3000..=0x303F | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65 | 0x00A1..=0x00BF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok() -> WordPiece {
        let vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\na\ncoffee\nmug\nkit\n##ty\n猫\n,\ncafe";
        WordPiece::from_vocab(vocab).unwrap()
    }

    #[test]
    fn wordpiece_splits_and_marks_unknowns() {
        let t = tok();
        assert_eq!(t.encode("A Coffee  MUG", 16), vec![2, 4, 5, 6, 3]);
        assert_eq!(t.encode("kitty", 16), vec![2, 7, 8, 3]);
        assert_eq!(t.encode("dog", 16), vec![2, 1, 3]);
        assert_eq!(t.encode("猫,café", 16), vec![2, 9, 10, 11, 3]);
    }

    #[test]
    fn truncates_to_max_len() {
        let t = tok();
        assert_eq!(t.encode("a a a a a a", 4), vec![2, 4, 4, 3]);
    }
}
