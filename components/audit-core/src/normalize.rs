//! Text normalisation before matching: lower case, full-width forms to ASCII,
//! zero-width and soft-hyphen characters dropped, and leetspeak digits and
//! symbols read as the letters they stand for when they sit inside a word.

/// Normalised text and, for each of its chars, the byte range it came from.
#[derive(Debug)]
pub struct Normalized {
    pub text: String,
    /// `spans[i]` = original byte range of the i-th char of `text`.
    pub spans: Vec<(usize, usize)>,
    /// Byte offset in `text` of each char, plus the end.
    offsets: Vec<usize>,
}

impl Normalized {
    /// The original byte range of `text[start..end]`. An empty range, or
    /// one at the end of the text, maps to an empty range where it starts.
    pub fn original(&self, start: usize, end: usize) -> (usize, usize) {
        let Some(&(_, text_end)) = self.spans.last() else { return (0, 0) };
        let first = self.offsets.partition_point(|&o| o < start);
        let Some(&(from, _)) = self.spans.get(first) else { return (text_end, text_end) };
        if end <= start {
            return (from, from);
        }
        let last = self.offsets.partition_point(|&o| o < end).saturating_sub(1).min(self.spans.len() - 1);
        (from, self.spans[last.max(first)].1)
    }
}

fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

/// Full-width ASCII (U+FF01..U+FF5E) and the ideographic space to ASCII.
fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

fn leet(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' | '!' | '|' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' | '+' => 't',
        '8' => 'b',
        _ => return None,
    })
}

/// Normalises `text` for matching.
pub fn normalize(text: &str) -> Normalized {
    // Pass 1: visible chars, half-width, lower case (one char in, one char out).
    let mut chars: Vec<(char, (usize, usize))> = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if invisible(c) {
            continue;
        }
        let span = (i, i + c.len_utf8());
        let c = half_width(c);
        // One char in, one out: the first char of its lower case (İ → i).
        chars.push((c.to_lowercase().next().unwrap_or(c), span));
    }
    // Pass 2: leetspeak only inside a word that has a letter ("h3ll0" → "hello",
    // "2024" and "+86" stay).
    let is_letter = |c: char| c.is_alphabetic();
    let mut out = String::with_capacity(text.len());
    let mut spans = Vec::with_capacity(chars.len());
    let mut offsets = Vec::with_capacity(chars.len() + 1);
    let mut i = 0;
    while i < chars.len() {
        let word_end = (i..chars.len()).find(|&j| chars[j].0.is_whitespace()).unwrap_or(chars.len());
        let word = &chars[i..word_end];
        let has_letter = word.iter().any(|(c, _)| is_letter(*c));
        for (k, &(c, span)) in word.iter().enumerate() {
            // A symbol at either end of a word is punctuation, not a letter.
            let inner = k > 0 && k + 1 < word.len() || c.is_ascii_digit();
            let c = if has_letter && inner { leet(c).unwrap_or(c) } else { c };
            offsets.push(out.len());
            out.push(c);
            spans.push(span);
        }
        if word_end < chars.len() {
            offsets.push(out.len());
            out.push(' ');
            spans.push(chars[word_end].1);
        }
        i = word_end + 1;
    }
    offsets.push(out.len());
    Normalized { text: out, spans, offsets }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing (scripts/fuzz.sh audit_text): empty ranges and
    /// ranges at the end used to index past the spans.
    #[test]
    fn empty_and_end_ranges_map_without_panicking() {
        assert_eq!(normalize("").original(0, 0), (0, 0));
        let n = normalize("ab猫");
        assert_eq!(n.original(0, 0), (0, 0));
        assert_eq!(n.original(n.text.len(), n.text.len()), (5, 5));
        assert_eq!(n.original(0, n.text.len() + 10), (0, 5));
        assert_eq!(n.original(1, 2), (1, 2));
    }

    #[test]
    fn folds_case_width_invisibles_and_leet() {
        assert_eq!(normalize("HeLLo").text, "hello");
        assert_eq!(normalize("ｆｕｌｌ　ｗｉｄｔｈ").text, "full width");
        assert_eq!(normalize("sh\u{200B}it").text, "shit");
        assert_eq!(normalize("h3ll0 w0rld").text, "hello world");
        assert_eq!(normalize("$h1t").text, "$hit", "a symbol that starts a word stays");
        assert_eq!(normalize("sh!t").text, "shit");
        assert_eq!(normalize("in 2024, call +86").text, "in 2024, call +86", "numbers stay numbers");
        assert_eq!(normalize("猫咪 Cat").text, "猫咪 cat");
    }

    #[test]
    fn maps_back_to_the_original() {
        let text = "ok ｓｈ\u{200B}ｉｔ!";
        let n = normalize(text);
        let at = n.text.find("shit").unwrap();
        let (s, e) = n.original(at, at + 4);
        assert_eq!(&text[s..e], "ｓｈ\u{200B}ｉｔ");
    }
}
