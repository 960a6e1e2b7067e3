//! Family `coco-grounded`: a closed-set COCO detector (SSD-MobileNet-v2) made
//! promptable by mapping each phrase to a COCO class: first through tables
//! (exact names, synonyms, Chinese names), then by cosine similarity of
//! all-MiniLM-L6-v2 sentence embeddings.

use crate::image_prep::decode;
use crate::manifest::{CocoGroundedConfig, Manifest, Preprocess};
use crate::text_encoder::{TextEncoder, cosine};
use crate::{coco, phrases, ssd};
use crate::{Assets, Detection, Error, Family, Inference, PhraseMatch, Request, Response};

/// The derived-value key of the COCO names' embeddings (`vectors_to_bytes` layout).
const LABEL_EMBEDDINGS: &str = "coco-label-embeddings.v1";

pub struct CocoGrounded {
    version: String,
    cfg: CocoGroundedConfig,
    pre: Preprocess,
    encoder: TextEncoder,
    /// Unit-length embeddings of `coco::LABELS`: on first need, read from
    /// the host's derived values, else computed once and kept there.
    label_embeddings: Option<Vec<Vec<f32>>>,
}

impl CocoGrounded {
    pub fn load(version: &str, manifest: &Manifest, assets: &dyn Assets) -> Result<Self, Error> {
        let cfg = manifest.coco_grounded.clone().ok_or_else(|| {
            Error::unsupported(format!("model {version}: family {} needs a [coco-grounded] table", manifest.model.family))
        })?;
        let vocab = assets.asset(version, &cfg.vocab_asset)?;
        let vocab = String::from_utf8(vocab)
            .map_err(|_| Error::unsupported(format!("model {version}: asset {:?} is not UTF-8", cfg.vocab_asset)))?;
        Ok(CocoGrounded {
            version: version.to_string(),
            encoder: TextEncoder::new(version, &cfg, &vocab)?,
            pre: manifest.preprocess.clone(),
            cfg,
            label_embeddings: None,
        })
    }

    pub fn encoder(&self) -> &TextEncoder {
        &self.encoder
    }

    pub fn config(&self) -> &CocoGroundedConfig {
        &self.cfg
    }

    pub fn preprocess(&self) -> &Preprocess {
        &self.pre
    }

    /// Each phrase mapped to a COCO class by the tables, else by embedding
    /// similarity (`embedded` holds the phrases' embeddings where known).
    pub fn map_phrases(
        &mut self,
        nn: &mut dyn Inference,
        assets: &dyn Assets,
        phrases: &[String],
        embedded: &[Option<Vec<f32>>],
    ) -> Result<Vec<PhraseMatch>, Error> {
        let mut matches: Vec<PhraseMatch> = phrases
            .iter()
            .map(|p| match phrases::table_match(p) {
                Some((label, method)) => PhraseMatch::new(p, Some(label), method, 1.0),
                None => PhraseMatch::new(p, None, "none", 0.0),
            })
            .collect();
        let open: Vec<usize> = (0..matches.len()).filter(|i| matches[*i].label.is_none()).collect();
        let open: Vec<(usize, &Vec<f32>)> =
            open.into_iter().filter_map(|i| embedded.get(i).and_then(Option::as_ref).map(|e| (i, e))).collect();
        if open.is_empty() {
            return Ok(matches);
        }
        let threshold = self.cfg.phrase_threshold;
        let labels = self.label_embeddings(nn, assets)?;
        for (i, e) in open {
            let (best, sim) = labels
                .iter()
                .enumerate()
                .map(|(k, l)| (k, cosine(l, e)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .expect("80 labels");
            matches[i].similarity = sim;
            if sim >= threshold {
                matches[i].label = Some(coco::LABELS[best].1.to_string());
                matches[i].method = "embedding";
            }
        }
        Ok(matches)
    }

    /// The embeddings of the 80 COCO names: kept by this instance, else kept
    /// by the host for this version (derived once by some instance, in this
    /// process or an earlier one), else computed now and handed to the host.
    fn label_embeddings(&mut self, nn: &mut dyn Inference, assets: &dyn Assets) -> Result<&[Vec<f32>], Error> {
        if self.label_embeddings.is_none() {
            let names: Vec<&str> = coco::LABELS.iter().map(|(_, n)| *n).collect();
            self.label_embeddings = Some(self.encoder.embed_once(nn, assets, &self.version, LABEL_EMBEDDINGS, &names)?);
        }
        Ok(self.label_embeddings.as_deref().expect("set above"))
    }

    /// The prompt's phrases as `phrases::extract` reads them; in a caption,
    /// also the words no table knows that the sentence encoder maps to a
    /// COCO class ("a kitty on a sofa" → "kitty", "sofa").
    pub fn read_prompt(
        &mut self,
        nn: &mut dyn Inference,
        assets: &dyn Assets,
        prompt: &str,
        limits: &crate::Limits,
        known: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<phrases::Phrase>, Error> {
        let found = phrases::extract(prompt, limits, known)?;
        let Some(caption) = phrases::read_caption(prompt, known) else { return Ok(found) };
        if caption.other_words.is_empty() || caption.other_words.len() > phrases::MAX_PHRASES {
            return Ok(found);
        }
        let words: Vec<String> = caption.other_words.iter().map(|w| w.text.clone()).collect();
        let embedded = self.embed_open_phrases(nn, &words)?;
        let mapped = self.map_phrases(nn, assets, &words, &embedded)?;
        let mut all = caption.known;
        all.extend(caption.other_words.into_iter().zip(mapped).filter(|(_, m)| m.method == "embedding").map(|(w, _)| w));
        if all.len() < 2 || all.len() > phrases::MAX_PHRASES {
            return Ok(found);
        }
        all.sort_by_key(|p| p.span[0]);
        Ok(all)
    }

    /// Embeddings of the phrases the tables cannot map (English only: the
    /// sentence encoder maps Chinese to noise).
    pub fn embed_open_phrases(&self, nn: &mut dyn Inference, phrases: &[String]) -> Result<Vec<Option<Vec<f32>>>, Error> {
        let open: Vec<usize> = (0..phrases.len())
            .filter(|i| phrases::table_match(&phrases[*i]).is_none() && !phrases::is_chinese(&phrases[*i]))
            .collect();
        let texts: Vec<String> = open.iter().map(|i| phrases::normalize(&phrases[*i])).collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let mut out = vec![None; phrases.len()];
        for (i, e) in open.into_iter().zip(self.encoder.embed(nn, &texts)?) {
            out[i] = Some(e);
        }
        Ok(out)
    }

    /// SSD boxes of the classes the phrases map to, one detection per phrase.
    fn detections(
        &self,
        nn: &mut dyn Inference,
        img: &image::RgbImage,
        matches: &[PhraseMatch],
        threshold: f32,
    ) -> Result<Vec<Detection>, Error> {
        let boxes = ssd::run(nn, &self.version, &self.cfg, &self.pre, img)?;
        let mut out = Vec::new();
        for b in boxes.iter().filter(|b| b.score >= threshold) {
            let Some(label) = coco::label_of(b.class_id) else { continue };
            for m in matches.iter().filter(|m| m.label.as_deref() == Some(label)) {
                out.push(Detection::new(m, label, b.score, b.bbox));
            }
        }
        Ok(out)
    }
}

impl Family for CocoGrounded {
    fn detect(&mut self, nn: &mut dyn Inference, assets: &dyn Assets, req: &Request) -> Result<Response, Error> {
        let phrases = self.read_prompt(nn, assets, req.prompt, &req.limits, &|p| phrases::table_match(p).is_some())?;
        let texts: Vec<String> = phrases.iter().map(|p| p.text.clone()).collect();
        let img = decode(req.image, req.limits.max_pixels)?;
        let (width, height) = img.dimensions();
        let embedded = self.embed_open_phrases(nn, &texts)?;
        let mut matches = self.map_phrases(nn, assets, &texts, &embedded)?;
        for (m, p) in matches.iter_mut().zip(&phrases) {
            m.span = p.span;
        }
        let mut response = Response { detections: Vec::new(), phrases: matches, width, height };
        if response.phrases.iter().all(|m| m.label.is_none()) {
            return Ok(response); // nothing the detector can find: skip it
        }
        let mut detections = self.detections(nn, &img, &response.phrases, req.threshold)?;
        detections.sort_by(|a, b| b.score.total_cmp(&a.score));
        response.detections = detections;
        Ok(response)
    }
}

