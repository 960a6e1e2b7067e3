//! Family `coco-grounded`: a closed-set COCO detector (SSD-MobileNet-v2) made
//! promptable by mapping each phrase to a COCO class: first through tables
//! (exact names, synonyms, Chinese names), then by cosine similarity of
//! all-MiniLM-L6-v2 sentence embeddings.

use crate::image_prep::{decode, prepare};
use crate::manifest::{CocoGroundedConfig, Manifest, Preprocess};
use crate::tensor::take;
use crate::tokenizer::{Batch, WordPiece};
use crate::{coco, phrases};
use crate::{Assets, BBox, Detection, Error, Family, Inference, PhraseMatch, Request, Response, Tensor, TensorData};

pub struct CocoGrounded {
    version: String,
    cfg: CocoGroundedConfig,
    pre: Preprocess,
    tokenizer: WordPiece,
    /// Unit-length embeddings of `coco::LABELS`, computed on first need.
    label_embeddings: Option<Vec<Vec<f32>>>,
}

impl CocoGrounded {
    pub fn load(version: &str, manifest: &Manifest, assets: &dyn Assets) -> Result<Self, Error> {
        let cfg = manifest.coco_grounded.clone().ok_or_else(|| {
            Error::unsupported(format!("model {version}: family coco-grounded needs a [coco-grounded] table"))
        })?;
        let vocab = assets.asset(version, &cfg.vocab_asset)?;
        let vocab = String::from_utf8(vocab)
            .map_err(|_| Error::unsupported(format!("model {version}: asset {:?} is not UTF-8", cfg.vocab_asset)))?;
        Ok(CocoGrounded {
            version: version.to_string(),
            tokenizer: WordPiece::from_vocab(&vocab)?,
            pre: manifest.preprocess.clone(),
            cfg,
            label_embeddings: None,
        })
    }

    fn graph(&self, key: &str) -> String {
        format!("{}/{key}", self.version)
    }

    /// Mean-pooled, L2-normalised sentence embeddings.
    fn embed(&self, nn: &mut dyn Inference, texts: &[&str]) -> Result<Vec<Vec<f32>>, Error> {
        let seqs = texts.iter().map(|t| self.tokenizer.encode(t, self.cfg.max_tokens)).collect();
        let batch = Batch::pad(seqs, self.tokenizer.pad, None);
        let dims = vec![batch.rows as u32, batch.len as u32];
        let type_ids = vec![0i64; batch.ids.len()];
        let inputs = vec![
            Tensor::new(&self.cfg.ids_input, dims.clone(), TensorData::I64(batch.ids)),
            Tensor::new(&self.cfg.mask_input, dims.clone(), TensorData::I64(batch.mask.clone())),
            Tensor::new(&self.cfg.type_ids_input, dims, TensorData::I64(type_ids)),
        ];
        let mut outputs = nn.compute(&self.graph(&self.cfg.text_graph), inputs)?;
        let hidden = take(&mut outputs, &self.cfg.text_output)?;
        let values = hidden.to_f32()?;
        let [rows, len, width] = hidden.dims[..] else {
            return Err(Error::inference(format!("text encoder output has dims {:?}, expected 3", hidden.dims)));
        };
        let (rows, len, width) = (rows as usize, len as usize, width as usize);
        if rows != batch.rows || len != batch.len {
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
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            v.iter_mut().for_each(|x| *x /= norm);
            out.push(v);
        }
        Ok(out)
    }

    fn map_phrases(&mut self, nn: &mut dyn Inference, phrases: &[String]) -> Result<Vec<PhraseMatch>, Error> {
        let mut matches: Vec<PhraseMatch> = phrases
            .iter()
            .map(|p| match phrases::table_match(p) {
                Some((label, method)) => PhraseMatch { phrase: p.clone(), label: Some(label.into()), method, similarity: 1.0 },
                None => PhraseMatch { phrase: p.clone(), label: None, method: "none", similarity: 0.0 },
            })
            .collect();
        // The sentence encoder is English-only: Chinese phrases rely on the table.
        let open: Vec<usize> = (0..matches.len())
            .filter(|i| matches[*i].label.is_none() && !phrases::is_chinese(&matches[*i].phrase))
            .collect();
        if open.is_empty() {
            return Ok(matches);
        }
        if self.label_embeddings.is_none() {
            let names: Vec<&str> = coco::LABELS.iter().map(|(_, n)| *n).collect();
            self.label_embeddings = Some(self.embed(nn, &names)?);
        }
        let texts: Vec<String> = open.iter().map(|i| phrases::normalize(&matches[*i].phrase)).collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let embedded = self.embed(nn, &texts)?;
        let labels = self.label_embeddings.as_ref().expect("computed above");
        for (i, e) in open.into_iter().zip(embedded) {
            let (best, sim) = labels
                .iter()
                .enumerate()
                .map(|(k, l)| (k, l.iter().zip(&e).map(|(a, b)| a * b).sum::<f32>()))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .expect("80 labels");
            matches[i].similarity = sim;
            if sim >= self.cfg.phrase_threshold {
                matches[i].label = Some(coco::LABELS[best].1.to_string());
                matches[i].method = "embedding";
            }
        }
        Ok(matches)
    }
}

impl Family for CocoGrounded {
    fn detect(&mut self, nn: &mut dyn Inference, req: &Request) -> Result<Response, Error> {
        let phrases = phrases::split(req.prompt, &req.limits)?;
        let img = decode(req.image, req.limits.max_pixels)?;
        let (width, height) = img.dimensions();
        let matches = self.map_phrases(nn, &phrases)?;
        let mut response = Response { detections: Vec::new(), phrases: matches, width, height };
        if response.phrases.iter().all(|m| m.label.is_none()) {
            return Ok(response); // nothing the detector can find: skip it
        }
        let prepared = prepare(&img, &self.pre);
        let input = Tensor::new(&self.cfg.image_input, prepared.dims, prepared.data);
        let mut out = nn.compute(&self.graph(&self.cfg.detector_graph), vec![input])?;
        let boxes = take(&mut out, &self.cfg.boxes_output)?.to_f32()?;
        let scores = take(&mut out, &self.cfg.scores_output)?.to_f32()?;
        let classes = take(&mut out, &self.cfg.classes_output)?.to_f32()?;
        let count = take(&mut out, &self.cfg.count_output)?.to_f32()?;
        let n = (count.first().copied().unwrap_or(0.0).max(0.0) as usize)
            .min(scores.len())
            .min(classes.len())
            .min(boxes.len() / 4);
        let (sw, sh) = (prepared.source_w, prepared.source_h);
        for i in 0..n {
            let score = scores[i];
            if score < req.threshold {
                continue;
            }
            let Some(label) = coco::label_of(classes[i].round() as u32) else { continue };
            let b = &boxes[i * 4..i * 4 + 4]; // ymin, xmin, ymax, xmax in [0, 1]
            let bbox = BBox {
                x0: (b[1] * sw).clamp(0.0, width as f32),
                y0: (b[0] * sh).clamp(0.0, height as f32),
                x1: (b[3] * sw).clamp(0.0, width as f32),
                y1: (b[2] * sh).clamp(0.0, height as f32),
            };
            for m in response.phrases.iter().filter(|m| m.label.as_deref() == Some(label)) {
                response.detections.push(Detection { phrase: m.phrase.clone(), label: label.to_string(), score, bbox });
            }
        }
        response.detections.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(response)
    }
}
