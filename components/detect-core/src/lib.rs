//! Target-independent logic of glint's `detect` plugin.
//!
//! Everything between "bytes and a prompt came in" and "boxes go out" lives
//! here, so the same code runs inside the wasm component (over wasi:nn) and
//! natively (the benchmark's baseline and cross-checks). The two sides differ
//! only in how they implement [`Inference`] and [`Assets`].

mod broad;
pub mod coco;
mod coco_grounded;
mod error;
pub mod image_prep;
pub mod manifest;
pub mod nms;
mod owlvit;
pub mod phrases;
mod ssd;
mod ssd_post;
pub mod tensor;
pub mod text_encoder;
pub mod tokenizer;
pub mod vocabulary;

use std::collections::HashMap;

pub use error::{Error, ErrorCode};
pub use tensor::{Tensor, TensorData};

/// Runs a graph of the model registry. `graph` is the registry name
/// `<model version>/<graph key>`; outputs come back by name.
pub trait Inference {
    fn compute(&mut self, graph: &str, inputs: Vec<Tensor>) -> Result<Vec<Tensor>, Error>;
}

/// Access to installed model versions: manifest text and declared assets,
/// and the values derived from a version that the host keeps once for all
/// instances and processes (`glint:plugins/models`' `derived`).
pub trait Assets {
    fn manifest(&self, version: &str) -> Result<String, Error>;
    fn asset(&self, version: &str, key: &str) -> Result<Vec<u8>, Error>;
    /// The value kept under `key` for `version`, if any (none by default).
    fn derived(&self, _version: &str, _key: &str) -> Option<Vec<u8>> {
        None
    }
    /// Keeps `value` under `key` for `version` (nowhere by default). Callers
    /// may ignore an error: they still hold the value.
    fn keep_derived(&self, _version: &str, _key: &str, _value: &[u8]) -> Result<(), Error> {
        Ok(())
    }
}

/// Limits one request must respect.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_pixels: u64,
    pub max_prompt_chars: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_pixels: 40_000_000, max_prompt_chars: 1000 }
    }
}

/// One detection request.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub image: &'a [u8],
    pub prompt: &'a str,
    pub threshold: f32,
    pub model: &'a str,
    pub limits: Limits,
}

/// A box in pixels of the original image.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BBox {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    pub phrase: String,
    pub label: String,
    pub score: f32,
    pub bbox: BBox,
    /// `[start, end)` in characters of the prompt: the words this box grounds.
    pub span: [u32; 2],
}

impl Detection {
    /// A box answering phrase `m`.
    pub fn new(m: &PhraseMatch, label: &str, score: f32, bbox: BBox) -> Self {
        Detection { phrase: m.phrase.clone(), label: label.to_string(), score, bbox, span: m.span }
    }
}

/// How one phrase of the prompt was understood.
#[derive(Clone, Debug, PartialEq)]
pub struct PhraseMatch {
    pub phrase: String,
    pub label: Option<String>,
    /// `exact`, `synonym`, `zh`, `embedding`, `narrower`, `category`,
    /// `conse`, `open-vocabulary` or `none`.
    pub method: &'static str,
    pub similarity: f32,
    /// `[start, end)` in characters of the prompt.
    pub span: [u32; 2],
}

impl PhraseMatch {
    pub fn new(phrase: &str, label: Option<&str>, method: &'static str, similarity: f32) -> Self {
        PhraseMatch { phrase: phrase.to_string(), label: label.map(str::to_string), method, similarity, span: [0, 0] }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Response {
    pub detections: Vec<Detection>,
    pub phrases: Vec<PhraseMatch>,
    pub width: u32,
    pub height: u32,
}

/// A loaded model version of one family; keeps what is expensive to rebuild
/// (tokenizers, label embeddings) between requests.
trait Family {
    fn detect(&mut self, nn: &mut dyn Inference, assets: &dyn Assets, req: &Request) -> Result<Response, Error>;
}

/// The detector: loads model versions on first use and keeps them.
#[derive(Default)]
pub struct Detector {
    loaded: HashMap<String, Box<dyn Family>>,
}

impl Detector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs one request end to end.
    pub fn detect(
        &mut self,
        nn: &mut dyn Inference,
        assets: &dyn Assets,
        req: &Request,
    ) -> Result<Response, Error> {
        if !(0.0..=1.0).contains(&req.threshold) || req.threshold.is_nan() {
            return Err(Error::new(
                ErrorCode::InvalidPrompt,
                format!("threshold {} is outside [0, 1]", req.threshold),
            ));
        }
        if !self.loaded.contains_key(req.model) {
            let family = load(assets, req.model)?;
            self.loaded.insert(req.model.to_string(), family);
        }
        let family = self.loaded.get_mut(req.model).expect("inserted above");
        family.detect(nn, assets, req)
    }
}

fn load(assets: &dyn Assets, version: &str) -> Result<Box<dyn Family>, Error> {
    let text = assets.manifest(version)?;
    let manifest = manifest::Manifest::parse(&text)?;
    match manifest.model.family.as_str() {
        "coco-grounded" => Ok(Box::new(coco_grounded::CocoGrounded::load(version, &manifest, assets)?)),
        "owlvit" => Ok(Box::new(owlvit::OwlVit::load(version, &manifest, assets)?)),
        "broad" => Ok(Box::new(broad::Broad::load(version, &manifest, assets)?)),
        other => Err(Error::new(
            ErrorCode::UnsupportedModel,
            format!("model {version}: family {other:?} is not supported by this detector (supported: coco-grounded, broad, owlvit)"),
        )),
    }
}
