//! WordPiece and CLIP BPE: building them from vocabulary files and encoding
//! any text. The input is split at the first two NUL bytes into the
//! vocabulary, the merges and the text.
#![no_main]
use glint_detect_core::tokenizer::{ClipBpe, WordPiece};
use libfuzzer_sys::fuzz_target;

const VOCAB: &str = "[PAD]\n[UNK]\n[CLS]\n[SEP]\na\ncat\n##s\ncoffee\nmug\n猫\n.\n";

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0);
    let (vocab, merges, text) = (parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]));
    let text = String::from_utf8_lossy(text);
    if let Ok(wp) = WordPiece::from_vocab(VOCAB) {
        assert!(wp.encode(&text, 32).len() <= 32);
    }
    if let Ok(wp) = WordPiece::from_vocab(&String::from_utf8_lossy(vocab)) {
        assert!(wp.encode(&text, 16).len() <= 16);
    }
    if let Ok(bpe) = ClipBpe::new(vocab, &String::from_utf8_lossy(merges)) {
        assert!(bpe.encode(&text, 16).len() <= 16);
    }
});
