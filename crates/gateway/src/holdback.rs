//! How much of a text that is still streaming may be audited and shown.
//!
//! The end of a streamed text may be an unfinished word ("what the fu"),
//! which can become a blocked word with the next piece. So the gateway
//! audits only the *complete* part, everything before the trailing
//! unfinished token (a run of characters that are neither whitespace nor
//! CJK; each CJK character is complete on its own), and shows only the part
//! that ends at least `hold_chars` characters before that, at a token
//! boundary. A blocked word, or a blocked phrase of up to `hold_chars`
//! characters, is therefore always audited whole before any of it is shown;
//! the client sees the rest of the text at most that much later.

/// Byte offsets into a streamed text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cut {
    /// The end of the complete part: what may be audited now.
    pub complete: usize,
    /// The end of what may be shown now (≤ `complete`).
    pub release: usize,
}

/// Where `text` is cut while it is still streaming.
pub fn cut(text: &str, hold_chars: usize) -> Cut {
    let complete = text
        .char_indices()
        .rev()
        .find(|(_, c)| !is_token_char(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    Cut { complete, release: boundary_before(text, complete, hold_chars) }
}

/// The last token boundary at least `chars` characters before byte `end`.
pub fn boundary_before(text: &str, end: usize, chars: usize) -> usize {
    let mut after: Option<char> = text[end..].chars().next();
    for (counted, (i, c)) in text[..end].char_indices().rev().enumerate() {
        if counted >= chars && is_boundary(c, after) {
            return i + c.len_utf8();
        }
        after = Some(c);
    }
    0
}

/// Characters that continue a word: anything but whitespace and CJK
/// (punctuation included, so leetspeak, URLs and e-mail addresses stay whole).
fn is_token_char(c: char) -> bool {
    !c.is_whitespace() && !is_cjk(c)
}

fn is_boundary(before: char, after: Option<char>) -> bool {
    !is_token_char(before) || after.is_some_and(is_cjk)
}

/// Han, kana and Hangul syllables, written without spaces between words.
/// Full-width Latin (ｆｕｃｋ) is not among them: the audit reads it as Latin.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str, hold: usize) -> (&str, &str) {
        let c = cut(text, hold);
        (&text[..c.complete], &text[..c.release])
    }

    #[test]
    fn the_unfinished_word_is_neither_audited_nor_shown() {
        assert_eq!(shown("what the fu", 0), ("what the ", "what the "));
        assert_eq!(shown("what the fuck ", 0), ("what the fuck ", "what the fuck "));
        assert_eq!(shown("f@ck", 0), ("", ""));
        assert_eq!(shown("see http://example.com/a.pn", 0), ("see ", "see "));
        assert_eq!(shown("", 4), ("", ""));
    }

    #[test]
    fn a_window_of_complete_text_is_held_back_to_a_word_boundary() {
        // "blow " is complete but within 8 characters of the end: held.
        assert_eq!(shown("a big blow jo", 8), ("a big blow ", "a "));
        assert_eq!(shown("one two three four ", 5), ("one two three four ", "one two three "));
        assert_eq!(shown("short", 100), ("", ""));
    }

    #[test]
    fn cjk_characters_are_each_complete() {
        assert_eq!(shown("你是傻", 0), ("你是傻", "你是傻"));
        assert_eq!(shown("你是傻", 1), ("你是傻", "你是"));
        assert_eq!(shown("猫fu", 0), ("猫", "猫"));
        // Full-width Latin is one word, like ASCII.
        assert_eq!(shown("ｆｕ", 0), ("", ""));
    }
}
