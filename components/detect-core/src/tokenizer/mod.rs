//! Text tokenizers that run inside the component (no host help).

mod clip_bpe;
mod wordpiece;

pub use clip_bpe::ClipBpe;
pub use wordpiece::WordPiece;

/// Token ids and attention mask of a batch, padded to one length.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub ids: Vec<i64>,
    pub mask: Vec<i64>,
    pub rows: usize,
    pub len: usize,
}

impl Batch {
    /// Pads `seqs` with `pad` to the longest (or to `fixed_len` when given).
    pub fn pad(seqs: Vec<Vec<i64>>, pad: i64, fixed_len: Option<usize>) -> Batch {
        let len = fixed_len.unwrap_or_else(|| seqs.iter().map(Vec::len).max().unwrap_or(0));
        let rows = seqs.len();
        let mut ids = Vec::with_capacity(rows * len);
        let mut mask = Vec::with_capacity(rows * len);
        for s in seqs {
            let n = s.len().min(len);
            ids.extend_from_slice(&s[..n]);
            mask.extend(std::iter::repeat_n(1, n));
            ids.extend(std::iter::repeat_n(pad, len - n));
            mask.extend(std::iter::repeat_n(0, len - n));
        }
        Batch { ids, mask, rows, len }
    }
}

/// True for the CJK ideograph blocks BERT splits into single characters.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

