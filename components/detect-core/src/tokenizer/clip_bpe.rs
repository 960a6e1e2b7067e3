//! CLIP's byte-level BPE (OWL-ViT / OWLv2 text queries): `vocab.json`
//! (token → id) and `merges.txt` (one merge per line, best first).

use std::collections::HashMap;

use crate::{Error, ErrorCode};

pub struct ClipBpe {
    vocab: HashMap<String, i64>,
    ranks: HashMap<(String, String), usize>,
    byte_chars: [char; 256],
    bos: i64,
    eos: i64,
    pub pad: i64,
}

impl ClipBpe {
    pub fn new(vocab_json: &[u8], merges_txt: &str) -> Result<Self, Error> {
        let bad = |m: String| Error::new(ErrorCode::UnsupportedModel, m);
        let vocab: HashMap<String, i64> =
            serde_json::from_slice(vocab_json).map_err(|e| bad(format!("vocab.json: {e}")))?;
        let mut ranks = HashMap::new();
        for line in merges_txt.lines().filter(|l| !l.starts_with("#version") && !l.trim().is_empty()) {
            let (a, b) = line.split_once(' ').ok_or_else(|| bad(format!("merges.txt: bad line {line:?}")))?;
            let rank = ranks.len();
            ranks.insert((a.to_string(), b.to_string()), rank);
        }
        let id = |t: &str| vocab.get(t).copied().ok_or_else(|| bad(format!("vocab.json has no {t} token")));
        let (bos, eos) = (id("<|startoftext|>")?, id("<|endoftext|>")?);
        let pad = vocab.get("!").copied().unwrap_or(0);
        Ok(ClipBpe { byte_chars: bytes_to_unicode(), vocab, ranks, bos, eos, pad })
    }

    /// `<|startoftext|> tokens… <|endoftext|>`, at most `max_len` ids.
    pub fn encode(&self, text: &str, max_len: usize) -> Vec<i64> {
        let mut ids = vec![self.bos];
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        for word in pre_tokenize(&text) {
            let mapped: String = word.bytes().map(|b| self.byte_chars[b as usize]).collect();
            for piece in self.bpe(&mapped) {
                // Every byte-level symbol is in CLIP's vocab; fall back to eos if not.
                ids.push(self.vocab.get(&piece).copied().unwrap_or(self.eos));
            }
        }
        ids.truncate(max_len.saturating_sub(1).max(1));
        ids.push(self.eos);
        ids
    }

    fn bpe(&self, word: &str) -> Vec<String> {
        let chars: Vec<char> = word.chars().collect();
        let mut parts: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
        if let Some(last) = parts.last_mut() {
            last.push_str("</w>");
        }
        loop {
            let best = parts
                .windows(2)
                .enumerate()
                .filter_map(|(i, w)| self.ranks.get(&(w[0].clone(), w[1].clone())).map(|r| (*r, i)))
                .min();
            let Some((_, i)) = best else { break };
            let merged = format!("{}{}", parts[i], parts[i + 1]);
            parts.splice(i..i + 2, [merged]);
        }
        parts
    }
}

/// CLIP's split: contractions, letter runs, single digits, other symbol runs.
fn pre_tokenize(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '\'' {
            let rest: String = chars[i + 1..chars.len().min(i + 3)].iter().collect();
            if let Some(s) = ["re", "ve", "ll", "s", "t", "m", "d"].iter().find(|s| rest.starts_with(*s)) {
                out.push(format!("'{s}"));
                i += 1 + s.len();
                continue;
            }
        }
        let start = i;
        if c.is_alphabetic() {
            while i < chars.len() && chars[i].is_alphabetic() {
                i += 1;
            }
        } else if c.is_numeric() {
            i += 1;
        } else {
            while i < chars.len() && !chars[i].is_whitespace() && !chars[i].is_alphanumeric() {
                i += 1;
            }
        }
        out.push(chars[start..i].iter().collect());
    }
    out
}

/// GPT-2/CLIP reversible byte → printable char table.
fn bytes_to_unicode() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut n = 0u32;
    for b in 0..=255u32 {
        let printable = (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
        table[b as usize] = if printable {
            char::from_u32(b).expect("latin-1")
        } else {
            n += 1;
            char::from_u32(255 + n).expect("valid")
        };
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bpe() -> ClipBpe {
        let vocab = r#"{"!":0,"a</w>":1,"c":2,"a":3,"t</w>":4,"ca":5,"cat</w>":6,"<|startoftext|>":7,"<|endoftext|>":8,"d":9,"o":10,"g</w>":11,"'s</w>":12,"'":13,"s</w>":14}"#;
        ClipBpe::new(vocab.as_bytes(), "#version: 0.2\nc a\nca t</w>\n' s</w>").unwrap()
    }

    #[test]
    fn merges_in_rank_order() {
        let t = bpe();
        assert_eq!(t.encode("A cat", 16), vec![7, 1, 6, 8]);
        assert_eq!(t.encode("dog", 16), vec![7, 9, 10, 11, 8]);
        assert_eq!(t.encode("cat's", 16), vec![7, 6, 12, 8]);
        assert_eq!(t.encode("a a a a", 3), vec![7, 1, 8]);
    }
}
