//! all-MiniLM-style sentence embeddings over wasi:nn: WordPiece ids in,
//! mean-pooled, L2-normalised vectors out (cosine similarity = dot product).

use crate::manifest::CocoGroundedConfig;
use crate::tensor::take;
use crate::tokenizer::{Batch, WordPiece};
use crate::{Assets, Error, Inference, Tensor, TensorData};

/// A sentence encoder graph of one model version.
pub struct TextEncoder {
    graph: String,
    tokenizer: WordPiece,
    ids_input: String,
    mask_input: String,
    type_ids_input: String,
    output: String,
    max_tokens: usize,
}

impl TextEncoder {
    /// The encoder named by a `[coco-grounded]` table, with its WordPiece vocabulary.
    pub fn new(version: &str, cfg: &CocoGroundedConfig, vocab: &str) -> Result<Self, Error> {
        Ok(TextEncoder {
            graph: format!("{version}/{}", cfg.text_graph),
            tokenizer: WordPiece::from_vocab(vocab)?,
            ids_input: cfg.ids_input.clone(),
            mask_input: cfg.mask_input.clone(),
            type_ids_input: cfg.type_ids_input.clone(),
            output: cfg.text_output.clone(),
            max_tokens: cfg.max_tokens,
        })
    }

    /// Embeddings of `names`, which depend on model version `version` alone:
    /// kept by the host under `key`, else computed now (80 names a batch) and
    /// handed to the host, so other instances and processes need not.
    pub fn embed_once(&self, nn: &mut dyn Inference, assets: &dyn Assets, version: &str, key: &str, names: &[&str]) -> Result<Vec<Vec<f32>>, Error> {
        if let Some(kept) = assets.derived(version, key).and_then(|b| vectors_from_bytes(&b, names.len())) {
            return Ok(kept);
        }
        let mut vectors = Vec::with_capacity(names.len());
        for chunk in names.chunks(80) {
            vectors.extend(self.embed(nn, chunk)?);
        }
        // Not kept is not lost: the caller has them, and the next instance computes them again.
        let _ = assets.keep_derived(version, key, &vectors_to_bytes(&vectors));
        Ok(vectors)
    }

    /// Mean-pooled, L2-normalised embeddings of `texts`, in order.
    pub fn embed(&self, nn: &mut dyn Inference, texts: &[&str]) -> Result<Vec<Vec<f32>>, Error> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let seqs = texts.iter().map(|t| self.tokenizer.encode(t, self.max_tokens)).collect();
        let batch = Batch::pad(seqs, self.tokenizer.pad, None);
        let dims = vec![batch.rows as u32, batch.len as u32];
        let type_ids = vec![0i64; batch.ids.len()];
        let inputs = vec![
            Tensor::new(&self.ids_input, dims.clone(), TensorData::I64(batch.ids)),
            Tensor::new(&self.mask_input, dims.clone(), TensorData::I64(batch.mask.clone())),
            Tensor::new(&self.type_ids_input, dims, TensorData::I64(type_ids)),
        ];
        let mut outputs = nn.compute(&self.graph, inputs)?;
        let hidden = take(&mut outputs, &self.output)?;
        let values = hidden.to_f32()?;
        let [rows, len, width] = hidden.dims[..] else {
            return Err(Error::inference(format!("text encoder output has dims {:?}, expected 3", hidden.dims)));
        };
        let (rows, len, width) = (rows as usize, len as usize, width as usize);
        if rows != batch.rows || len != batch.len || values.len() != rows * len * width {
            return Err(Error::inference(format!("text encoder output {:?} does not match the batch", hidden.dims)));
        }
        let mut out = Vec::with_capacity(rows);
        for r in 0..rows {
            let mut v = vec![0f32; width];
            for t in 0..len {
                if batch.mask[r * len + t] == 1 {
                    let row = &values[(r * len + t) * width..(r * len + t + 1) * width];
                    v.iter_mut().zip(row).for_each(|(a, b)| *a += b);
                }
            }
            // Mean pooling then L2 normalisation; the 1/n factor cancels out.
            normalize(&mut v);
            out.push(v);
        }
        Ok(out)
    }
}

/// Scales `v` to unit length (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
}

/// Dot product: the cosine similarity of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Vectors of one width as bytes: the width (u32 LE), then every value (f32 LE).
fn vectors_to_bytes(vectors: &[Vec<f32>]) -> Vec<u8> {
    let width = vectors.first().map_or(0, Vec::len);
    let mut out = Vec::with_capacity(4 + 4 * width * vectors.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    vectors.iter().flatten().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    out
}

/// `rows` vectors read back from [`vectors_to_bytes`]' layout; `None` unless
/// the bytes hold exactly that many finite vectors of a non-zero width.
fn vectors_from_bytes(bytes: &[u8], rows: usize) -> Option<Vec<Vec<f32>>> {
    let width = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let values = &bytes[4..];
    if width == 0 || values.len() != 4 * width * rows {
        return None;
    }
    let floats: Vec<f32> = values.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    if !floats.iter().all(|x| x.is_finite()) {
        return None;
    }
    Some(floats.chunks_exact(width).map(<[f32]>::to_vec).collect())
}

#[cfg(test)]
mod tests {
    use super::{vectors_from_bytes, vectors_to_bytes};

    #[test]
    fn label_vectors_round_trip_and_malformed_bytes_are_refused() {
        let v = vec![vec![0.5, -1.0, 2.0], vec![0.0, 1e-7, -3.5]];
        let bytes = vectors_to_bytes(&v);
        assert_eq!(vectors_from_bytes(&bytes, 2), Some(v));
        assert_eq!(vectors_from_bytes(&bytes, 3), None, "another row count");
        assert_eq!(vectors_from_bytes(&bytes[..bytes.len() - 1], 2), None, "truncated");
        assert_eq!(vectors_from_bytes(&bytes[..3], 2), None, "no width");
        assert_eq!(vectors_from_bytes(&[0, 0, 0, 0], 0), None, "zero width");
        let mut nan = bytes.clone();
        nan[4..8].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(vectors_from_bytes(&nan, 2), None, "not finite");
    }
}
