//! Family `broad`: COCO's SSD plus an ImageNet-1k classifier, made promptable
//! over 1,080 labels and every WordNet term related to them.
//!
//! Stages, in order: read the prompt (explicit phrases or a caption) → give
//! each phrase a meaning (COCO tables, WordNet vocabulary, sentence-encoder
//! match to COCO, else ConSE) → one SSD pass (COCO scores and class-agnostic
//! proposals) → the classifier on proposals and fixed windows, only when a
//! phrase needs it → scores per phrase → window boxes refined by agreeing
//! proposals → class-agnostic NMS per phrase.
//!
//! ConSE (Norouzi et al., ICLR 2014): a crop's embedding is the
//! probability-weighted sum of its top-T labels' sentence embeddings; a
//! phrase no table knows scores by its cosine with that embedding.

mod boxes;

use std::collections::HashMap;

use image::RgbImage;
use image::imageops;

use boxes::{Candidate, refine_and_suppress};
use crate::coco_grounded::CocoGrounded;
use crate::image_prep::{decode, prepare};
use crate::manifest::{BroadConfig, DType, Layout, Manifest, Preprocess, ResizeFilter};
use crate::nms::{iou, suppress};
use crate::tensor::take;
use crate::text_encoder::{cosine, normalize};
use crate::vocabulary::{Source, Vocabulary};
use crate::{Assets, BBox, Detection, Error, Family, Inference, PhraseMatch, Request, Response, Tensor, TensorData, phrases};

/// The derived-value key of the classifier labels' embeddings (`vectors_to_bytes` layout, label order).
const CLASSIFIER_LABEL_EMBEDDINGS: &str = "classifier-label-embeddings.v1";

pub struct Broad {
    version: String,
    cfg: BroadConfig,
    coco: CocoGrounded,
    vocabulary: Vocabulary,
    classifier_pre: Preprocess,
    /// Sentence embeddings of the classifier's labels, by label index: on
    /// ConSE's first need, read from the host's derived values, else computed
    /// and kept there.
    label_embeddings: Option<HashMap<usize, Vec<f32>>>,
    /// Classifier output index → vocabulary label index.
    imagenet_labels: HashMap<u32, usize>,
}

/// How a phrase is scored.
enum Scoring {
    /// Labels of the vocabulary (COCO ones by the SSD, ImageNet ones by the
    /// classifier), backed up by ConSE when the phrase is English.
    Labels(Vec<usize>, Option<Vec<f32>>),
    /// Cosine with the crops' ConSE embeddings.
    Conse(Vec<f32>),
    Nothing,
}

/// A region the classifier looked at, and what it saw.
struct Crop {
    bbox: BBox,
    /// From an SSD proposal (tight) rather than a fixed window (coarse).
    proposal: bool,
    /// The SSD's score of the proposal (0 for windows).
    objectness: f32,
    probs: Vec<f32>,
}


impl Broad {
    pub fn load(version: &str, manifest: &Manifest, assets: &dyn Assets) -> Result<Self, Error> {
        let cfg = manifest
            .broad
            .clone()
            .ok_or_else(|| Error::unsupported(format!("model {version}: family broad needs a [broad] table")))?;
        let vocabulary = Vocabulary::parse(&assets.asset(version, &cfg.vocabulary_asset)?)?;
        let imagenet_labels = (0..vocabulary.labels.len())
            .filter(|i| vocabulary.labels[*i].source == Source::Imagenet)
            .map(|i| (vocabulary.labels[i].class, i))
            .collect();
        let side = cfg.classifier_size;
        Ok(Broad {
            version: version.to_string(),
            coco: CocoGrounded::load(version, manifest, assets)?,
            classifier_pre: Preprocess {
                resize: Some([side, side]),
                // TF's bilinear resize, as EfficientNet-Lite's own pipeline; in wasm
                // it is also ~3 ms a crop faster than the area-aware filter.
                resize_filter: ResizeFilter::TfBilinear,
                layout: Layout::Nhwc,
                dtype: DType::U8,
                ..Preprocess::default()
            },
            vocabulary,
            imagenet_labels,
            label_embeddings: None,
            cfg,
        })
    }

    /// Each phrase's meaning and how it is scored. A WordNet synonym or a
    /// label's own name comes first ("espresso" is ImageNet's espresso, not
    /// COCO's cup), then COCO's tables (they know "plant" is a potted plant
    /// where WordNet's first sense is a factory), then wider WordNet
    /// relations, the sentence encoder against COCO names, and ConSE.
    fn understand(
        &mut self,
        nn: &mut dyn Inference,
        assets: &dyn Assets,
        found: &[phrases::Phrase],
    ) -> Result<(Vec<PhraseMatch>, Vec<Scoring>), Error> {
        let texts: Vec<String> = found.iter().map(|p| p.text.clone()).collect();
        let meanings: Vec<_> = texts
            .iter()
            .map(|t| {
                let m = self.vocabulary.meaning(t)?;
                let close = matches!(m.method, "exact" | "synonym");
                (close || phrases::table_match(t).is_none()).then_some(m)
            })
            .collect();
        // English phrases are embedded unless COCO labels alone answer them:
        // ConSE scores the unknown ones and backs up ImageNet label scores
        // ("a tabby cat" on a cat the classifier calls Egyptian).
        let coco_only = |m: &Option<crate::vocabulary::Meaning>| {
            m.as_ref().is_some_and(|m| m.labels.iter().all(|l| self.vocabulary.labels[*l].source == Source::Coco))
        };
        let english: Vec<String> = texts
            .iter()
            .zip(&meanings)
            .map(|(t, m)| {
                let coco_table = m.is_none() && phrases::table_match(t).is_some();
                if phrases::is_chinese(t) || coco_only(m) || coco_table { String::new() } else { phrases::normalize(t) }
            })
            .collect();
        let nonempty: Vec<&str> = english.iter().filter(|t| !t.is_empty()).map(String::as_str).collect();
        let mut vectors = self.coco.encoder().embed(nn, &nonempty)?.into_iter();
        let embedded: Vec<Option<Vec<f32>>> =
            english.iter().map(|t| if t.is_empty() { None } else { vectors.next() }).collect();
        let unknown: Vec<String> =
            texts.iter().zip(&meanings).map(|(t, m)| if m.is_some() { String::new() } else { t.clone() }).collect();
        let for_coco: Vec<Option<Vec<f32>>> = unknown
            .iter()
            .zip(&embedded)
            .map(|(t, e)| if t.is_empty() || phrases::table_match(t).is_some() { None } else { e.clone() })
            .collect();
        let mut matches = self.coco.map_phrases(nn, assets, &unknown, &for_coco)?;
        let mut scoring = Vec::with_capacity(found.len());
        for (i, m) in matches.iter_mut().enumerate() {
            m.phrase = texts[i].clone();
            m.span = found[i].span;
            let labels = if let Some(meaning) = &meanings[i] {
                m.method = meaning.method;
                m.similarity = 1.0;
                m.label = Some(self.describe(&meaning.labels));
                Some(meaning.labels.clone())
            } else if let Some(label) = m.label.clone() {
                Some(vec![self.coco_label(&label)?])
            } else {
                None
            };
            scoring.push(match (labels, embedded[i].clone()) {
                (Some(labels), e) => Scoring::Labels(labels, e),
                (None, Some(e)) => {
                    m.method = "conse";
                    Scoring::Conse(e)
                }
                (None, None) => Scoring::Nothing,
            });
        }
        Ok((matches, scoring))
    }

    /// The phrases table's label: "tabby", or "408 labels" for a category.
    fn describe(&self, labels: &[usize]) -> String {
        match labels {
            [one] => self.vocabulary.labels[*one].name.clone(),
            many => format!("{} labels", many.len()),
        }
    }

    fn coco_label(&self, name: &str) -> Result<usize, Error> {
        self.vocabulary
            .labels
            .iter()
            .position(|l| l.source == Source::Coco && l.name == name)
            .ok_or_else(|| Error::unsupported(format!("model {}: the vocabulary has no COCO label {name:?}", self.version)))
    }

    /// SSD boxes of any class, tight, class-agnostic NMS, best first.
    fn proposals(&self, boxes: &[crate::ssd::SsdBox]) -> Vec<(BBox, f32)> {
        let strong: Vec<(BBox, f32)> =
            boxes.iter().filter(|b| b.score >= self.cfg.proposal_threshold).map(|b| (b.bbox, b.score)).collect();
        suppress(&strong, self.cfg.nms_iou).into_iter().take(self.cfg.max_proposals).map(|k| strong[k]).collect()
    }

    fn windows(&self, width: f32, height: f32) -> Vec<BBox> {
        let mut out = Vec::new();
        for &s in &self.cfg.window_scales {
            let (w, h) = (width * s.clamp(0.05, 1.0), height * s.clamp(0.05, 1.0));
            if s >= 1.0 {
                out.push(BBox { x0: 0.0, y0: 0.0, x1: width, y1: height });
                continue;
            }
            for (x0, y0) in [(0.0, 0.0), (width - w, 0.0), (0.0, height - h), (width - w, height - h)] {
                out.push(BBox { x0, y0, x1: x0 + w, y1: y0 + h });
            }
        }
        out
    }

    /// Classifier probabilities of regions of the image, in one batched call.
    fn classify(&self, nn: &mut dyn Inference, img: &RgbImage, regions: &[BBox]) -> Result<Vec<Vec<f32>>, Error> {
        if regions.is_empty() {
            return Ok(Vec::new());
        }
        let (w, h) = img.dimensions();
        let side = self.cfg.classifier_size;
        let mut pixels = Vec::with_capacity(regions.len() * (side * side * 3) as usize);
        for region in regions {
            let x0 = (region.x0.floor().max(0.0) as u32).min(w - 1);
            let y0 = (region.y0.floor().max(0.0) as u32).min(h - 1);
            let x1 = (region.x1.ceil() as u32).clamp(x0 + 1, w);
            let y1 = (region.y1.ceil() as u32).clamp(y0 + 1, h);
            let crop = imageops::crop_imm(img, x0, y0, x1 - x0, y1 - y0).to_image();
            match prepare(&crop, &self.classifier_pre).data {
                TensorData::U8(v) => pixels.extend(v),
                _ => return Err(Error::inference("the classifier's input must be u8")),
            }
        }
        let n = regions.len() as u32;
        let input = Tensor::new(&self.cfg.classifier_input, vec![n, side, side, 3], TensorData::U8(pixels));
        let mut out = nn.compute(&format!("{}/{}", self.version, self.cfg.classifier_graph), vec![input])?;
        let probs = take(&mut out, &self.cfg.classifier_output)?;
        let is_u8 = matches!(probs.data, TensorData::U8(_));
        let mut values = probs.to_f32()?;
        if is_u8 {
            values.iter_mut().for_each(|v| *v /= 255.0); // quantised softmax
        }
        match probs.dims[..] {
            [rows, classes] if rows == n && classes > 0 => Ok(values.chunks(classes as usize).map(<[f32]>::to_vec).collect()),
            _ => Err(Error::inference(format!("classifier output has dims {:?}, expected [{n}, classes]", probs.dims))),
        }
    }

    /// The embeddings of every classifier label: kept by this instance, else
    /// kept by the host for this version, else computed now (a batch of 80
    /// names at a time) and handed to the host.
    fn classifier_label_embeddings(&mut self, nn: &mut dyn Inference, assets: &dyn Assets) -> Result<&HashMap<usize, Vec<f32>>, Error> {
        if self.label_embeddings.is_none() {
            let mut labels: Vec<usize> = self.imagenet_labels.values().copied().collect();
            labels.sort_unstable();
            let names: Vec<&str> = labels.iter().map(|l| self.vocabulary.labels[*l].name.as_str()).collect();
            let vectors = self.coco.encoder().embed_once(nn, assets, &self.version, CLASSIFIER_LABEL_EMBEDDINGS, &names)?;
            self.label_embeddings = Some(labels.into_iter().zip(vectors).collect());
        }
        Ok(self.label_embeddings.as_ref().expect("set above"))
    }

    /// The crop's ConSE embedding: top-T labels' embeddings weighted by probability.
    fn conse_embedding(&mut self, nn: &mut dyn Inference, assets: &dyn Assets, probs: &[f32]) -> Result<Option<Vec<f32>>, Error> {
        let mut top: Vec<(usize, f32)> = probs.iter().copied().enumerate().collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1));
        let top: Vec<(usize, f32)> = top
            .into_iter()
            .take(self.cfg.conse_top)
            .filter(|(_, p)| *p > 0.0)
            .filter_map(|(c, p)| self.imagenet_labels.get(&(c as u32)).map(|l| (*l, p)))
            .collect();
        let embeddings = self.classifier_label_embeddings(nn, assets)?;
        let Some(width) = top.first().map(|(l, _)| embeddings[l].len()) else { return Ok(None) };
        let mut v = vec![0f32; width];
        for (l, p) in &top {
            v.iter_mut().zip(&embeddings[l]).for_each(|(a, b)| *a += p * b);
        }
        normalize(&mut v);
        Ok(Some(v))
    }

    /// Candidates of one phrase from the SSD's COCO scores and the classified crops.
    fn candidates(
        &self,
        scoring: &Scoring,
        ssd: &[crate::ssd::SsdBox],
        crops: &[Crop],
        conse: &[Option<Vec<f32>>],
        threshold: f32,
    ) -> Vec<Candidate> {
        let mut out = Vec::new();
        match scoring {
            Scoring::Labels(labels, embedding) => {
                for &l in labels {
                    let label = &self.vocabulary.labels[l];
                    if label.source == Source::Coco {
                        for b in ssd.iter().filter(|b| b.class_id == label.class && b.score >= threshold) {
                            out.push(Candidate { bbox: b.bbox, score: b.score, proposal: true, objectness: b.score, label: l });
                        }
                    }
                }
                let imagenet: Vec<usize> =
                    labels.iter().copied().filter(|l| self.vocabulary.labels[*l].source == Source::Imagenet).collect();
                for (k, crop) in crops.iter().enumerate().filter(|_| !imagenet.is_empty()) {
                    let prob = |l: &usize| crop.probs.get(self.vocabulary.labels[*l].class as usize).copied().unwrap_or(0.0);
                    let mass: f32 = imagenet.iter().map(prob).sum::<f32>().min(1.0);
                    let best = *imagenet.iter().max_by(|a, b| prob(a).total_cmp(&prob(b))).expect("not empty");
                    let backup = embedding.as_ref().and_then(|p| self.conse_score(p, crops, conse, k, threshold));
                    let (score, label) = match backup {
                        Some((s, l)) if s > mass => (s, l),
                        _ => (mass, best),
                    };
                    if score >= threshold {
                        out.push(Candidate { bbox: crop.bbox, score, proposal: crop.proposal, objectness: crop.objectness, label });
                    }
                }
            }
            Scoring::Conse(phrase) => {
                for (k, crop) in crops.iter().enumerate() {
                    if let Some((score, label)) = self.conse_score(phrase, crops, conse, k, threshold) {
                        out.push(Candidate { bbox: crop.bbox, score, proposal: crop.proposal, objectness: crop.objectness, label });
                    }
                }
            }
            Scoring::Nothing => {}
        }
        out
    }
}

impl Broad {
    /// ConSE score of crop `k` for a phrase embedding, with the crop's top
    /// label, when it reaches both thresholds.
    fn conse_score(&self, phrase: &[f32], crops: &[Crop], conse: &[Option<Vec<f32>>], k: usize, threshold: f32) -> Option<(f32, usize)> {
        let e = conse.get(k)?.as_ref()?;
        let score = cosine(phrase, e);
        let (c, _) = crops[k].probs.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1))?;
        let label = self.imagenet_labels.get(&(c as u32)).copied()?;
        (score >= self.cfg.conse_threshold.max(threshold)).then_some((score, label))
    }
}

impl Family for Broad {
    fn detect(&mut self, nn: &mut dyn Inference, assets: &dyn Assets, req: &Request) -> Result<Response, Error> {
        let vocabulary = &self.vocabulary;
        let knows = |p: &str| phrases::table_match(p).is_some() || vocabulary.knows(p);
        let found = self.coco.read_prompt(nn, assets, req.prompt, &req.limits, &knows)?;
        let img = decode(req.image, req.limits.max_pixels)?;
        let (width, height) = img.dimensions();
        let (matches, scoring) = self.understand(nn, assets, &found)?;
        let mut response = Response { detections: Vec::new(), phrases: matches, width, height };
        if scoring.iter().all(|s| matches!(s, Scoring::Nothing)) {
            return Ok(response);
        }
        let ssd = crate::ssd::run(nn, &self.version, self.coco.config(), self.coco.preprocess(), &img)?;
        let needs_classifier = scoring.iter().any(|s| match s {
            Scoring::Labels(ls, _) => ls.iter().any(|l| self.vocabulary.labels[*l].source == Source::Imagenet),
            Scoring::Conse(_) => true,
            Scoring::Nothing => false,
        });
        let mut crops = Vec::new();
        if needs_classifier {
            let (w, h) = (width as f32, height as f32);
            // (box, region classified, objectness): proposals widened for context, then windows;
            // a window that is nearly a proposal (a table filling the photo) tells nothing new.
            let mut regions: Vec<(BBox, BBox, f32)> = Vec::new();
            for (b, objectness) in self.proposals(&ssd) {
                let (mx, my) = ((b.x1 - b.x0) * self.cfg.proposal_margin, (b.y1 - b.y0) * self.cfg.proposal_margin);
                let region = BBox { x0: (b.x0 - mx).max(0.0), y0: (b.y0 - my).max(0.0), x1: (b.x1 + mx).min(w), y1: (b.y1 + my).min(h) };
                regions.push((b, region, objectness));
            }
            for window in self.windows(w, h) {
                if regions.iter().all(|(b, _, _)| iou(b, &window) < 0.8) {
                    regions.push((window, window, 0.0));
                }
            }
            let areas: Vec<BBox> = regions.iter().map(|(_, r, _)| *r).collect();
            let probs = self.classify(nn, &img, &areas)?;
            crops = regions
                .into_iter()
                .zip(probs)
                .map(|((bbox, _, objectness), probs)| Crop { bbox, proposal: objectness > 0.0, objectness, probs })
                .collect();
        }
        let mut conse = Vec::new();
        if scoring.iter().any(|s| matches!(s, Scoring::Conse(_) | Scoring::Labels(_, Some(_)))) && !crops.is_empty() {
            for crop in &crops {
                conse.push(self.conse_embedding(nn, assets, &crop.probs)?);
            }
        }
        for (m, s) in response.phrases.iter().zip(&scoring) {
            let cands = self.candidates(s, &ssd, &crops, &conse, req.threshold);
            for c in refine_and_suppress(cands, self.cfg.nms_iou) {
                let label = &self.vocabulary.labels[c.label].name;
                response.detections.push(Detection::new(m, label, c.score, c.bbox));
            }
        }
        response.detections.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(response)
    }
}
