//! Family `owlvit`: the OWL-ViT / OWLv2 ONNX signature. Text queries are
//! CLIP-BPE tokenised in the component; the model scores every image patch
//! against every query and predicts one box per patch.
//!
//! Inputs: ids `[Q, T]` i64, pixels `[1, 3, S, S]` f32, mask `[Q, T]` i64.
//! Outputs: logits `[1, P, Q]`, boxes `[1, P, 4]` as (cx, cy, w, h) in [0, 1]
//! of the (padded) square the model saw.

use crate::image_prep::{decode, prepare};
use crate::manifest::{Manifest, OwlVitConfig, Preprocess};
use crate::nms::suppress;
use crate::tensor::take;
use crate::tokenizer::{Batch, ClipBpe};
use crate::{Assets, BBox, Detection, Error, Family, Inference, PhraseMatch, Request, Response, Tensor, TensorData, phrases};

pub struct OwlVit {
    version: String,
    cfg: OwlVitConfig,
    pre: Preprocess,
    tokenizer: ClipBpe,
}

impl OwlVit {
    pub fn load(version: &str, manifest: &Manifest, assets: &dyn Assets) -> Result<Self, Error> {
        let cfg = manifest
            .owlvit
            .clone()
            .ok_or_else(|| Error::unsupported(format!("model {version}: family owlvit needs an [owlvit] table")))?;
        let vocab = assets.asset(version, &cfg.vocab_asset)?;
        let merges = String::from_utf8(assets.asset(version, &cfg.merges_asset)?)
            .map_err(|_| Error::unsupported(format!("model {version}: merges asset is not UTF-8")))?;
        Ok(OwlVit {
            version: version.to_string(),
            tokenizer: ClipBpe::new(&vocab, &merges)?,
            pre: manifest.preprocess.clone(),
            cfg,
        })
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl Family for OwlVit {
    fn detect(&mut self, nn: &mut dyn Inference, _assets: &dyn Assets, req: &Request) -> Result<Response, Error> {
        let found = phrases::extract(req.prompt, &req.limits, &|_| false)?;
        let phrases: Vec<String> = found.iter().map(|p| p.text.clone()).collect();
        let img = decode(req.image, req.limits.max_pixels)?;
        let (width, height) = img.dimensions();
        let prepared = prepare(&img, &self.pre);
        let t = self.cfg.max_tokens;
        let seqs = phrases.iter().map(|p| self.tokenizer.encode(p, t)).collect();
        let batch = Batch::pad(seqs, self.tokenizer.pad, Some(t));
        let q = phrases.len();
        let text_dims = vec![q as u32, t as u32];
        let inputs = vec![
            Tensor::new(&self.cfg.ids_input, text_dims.clone(), TensorData::I64(batch.ids)),
            Tensor::new(&self.cfg.pixel_input, prepared.dims, prepared.data),
            Tensor::new(&self.cfg.mask_input, text_dims, TensorData::I64(batch.mask)),
        ];
        let mut out = nn.compute(&format!("{}/{}", self.version, self.cfg.graph), inputs)?;
        let logits_t = take(&mut out, &self.cfg.logits_output)?;
        let boxes_t = take(&mut out, &self.cfg.boxes_output)?;
        let (logits, boxes) = (logits_t.to_f32()?, boxes_t.to_f32()?);
        let p = match (&logits_t.dims[..], &boxes_t.dims[..]) {
            ([1, p, qq], [1, pb, 4]) if *qq as usize == q && p == pb => *p as usize,
            (l, b) => {
                return Err(Error::inference(format!(
                    "owlvit outputs have dims logits {l:?} and boxes {b:?}; expected [1, P, {q}] and [1, P, 4]"
                )));
            }
        };
        let (sw, sh) = (prepared.source_w, prepared.source_h);
        let mut per_query: Vec<Vec<(BBox, f32)>> = vec![Vec::new(); q];
        for patch in 0..p {
            let row = &logits[patch * q..(patch + 1) * q];
            let (best, logit) =
                row.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1)).expect("q >= 1");
            let score = sigmoid(logit);
            if score < req.threshold {
                continue;
            }
            let b = &boxes[patch * 4..patch * 4 + 4];
            let bbox = BBox {
                x0: ((b[0] - b[2] / 2.0) * sw).clamp(0.0, width as f32),
                y0: ((b[1] - b[3] / 2.0) * sh).clamp(0.0, height as f32),
                x1: ((b[0] + b[2] / 2.0) * sw).clamp(0.0, width as f32),
                y1: ((b[1] + b[3] / 2.0) * sh).clamp(0.0, height as f32),
            };
            per_query[best].push((bbox, score));
        }
        let mut detections = Vec::new();
        for (qi, cands) in per_query.iter().enumerate() {
            for k in suppress(cands, self.cfg.nms_iou) {
                let (bbox, score) = cands[k];
                detections.push(Detection { phrase: phrases[qi].clone(), label: phrases::normalize(&phrases[qi]), score, bbox, span: found[qi].span });
            }
        }
        detections.sort_by(|a, b| b.score.total_cmp(&a.score));
        let matches = found
            .iter()
            .map(|ph| PhraseMatch { label: Some(phrases::normalize(&ph.text)), method: "open-vocabulary", similarity: 1.0, phrase: ph.text.clone(), span: ph.span })
            .collect();
        Ok(Response { detections, phrases: matches, width, height })
    }
}
