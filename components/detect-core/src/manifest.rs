//! The parts of a model version's `model.toml` that the detector reads.
//! (The host reads the file-level parts: graphs, assets, provenance.)

use serde::Deserialize;

use crate::{Error, ErrorCode};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Manifest {
    pub model: ModelSection,
    #[serde(default)]
    pub preprocess: Preprocess,
    pub coco_grounded: Option<CocoGroundedConfig>,
    pub broad: Option<BroadConfig>,
    pub owlvit: Option<OwlVitConfig>,
}

#[derive(Debug, Deserialize)]
pub struct ModelSection {
    pub family: String,
}

/// How an image becomes the detector's input tensor.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Preprocess {
    /// Target `[width, height]`; `None` keeps the decoded size.
    pub resize: Option<[u32; 2]>,
    /// Pad right/bottom to a square before resizing (OWLv2 style).
    pub pad_to_square: bool,
    /// How to resize: as the model's own training pipeline did.
    pub resize_filter: ResizeFilter,
    pub layout: Layout,
    pub dtype: DType,
    /// f32 only: value = (pixel / scale - mean) / std, per RGB channel.
    pub scale: f32,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl Default for Preprocess {
    fn default() -> Self {
        Preprocess {
            resize: None,
            pad_to_square: false,
            resize_filter: ResizeFilter::Triangle,
            layout: Layout::Nhwc,
            dtype: DType::U8,
            scale: 255.0,
            mean: [0.0; 3],
            std: [1.0; 3],
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum ResizeFilter {
    /// Area-aware bilinear (like PIL's BILINEAR): smooth when shrinking.
    Triangle,
    /// TensorFlow 1 `resize_bilinear` (no antialiasing, no half-pixel
    /// offset), which TF Object Detection API models were trained with.
    TfBilinear,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    Nhwc,
    Nchw,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    U8,
    F32,
}

/// `[coco-grounded]`: a closed-set COCO detector plus a sentence encoder that
/// maps each phrase of the prompt to a COCO class.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CocoGroundedConfig {
    pub detector_graph: String,
    pub text_graph: String,
    pub image_input: String,
    /// `[1, n, 4]` box encodings (ty, tx, th, tw) before decoding.
    pub box_encodings_output: String,
    /// `[1, n, 1 + classes]` class scores after the score converter, background first.
    pub class_scores_output: String,
    /// `[1, n, 4]` anchors (ymin, xmin, ymax, xmax), normalised.
    pub anchors_output: String,
    /// The graph's post-processing settings (its `pipeline.config`).
    pub postprocess: SsdPostprocess,
    pub ids_input: String,
    pub mask_input: String,
    pub type_ids_input: String,
    pub text_output: String,
    pub vocab_asset: String,
    pub max_tokens: usize,
    /// Lowest cosine similarity accepted for an embedding match.
    pub phrase_threshold: f32,
}

/// `[coco-grounded.postprocess]`: the TF Object Detection API settings the
/// SSD was trained with (`box_coder` scales and `batch_non_max_suppression`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SsdPostprocess {
    /// y, x, height, width scale factors of the box coder.
    pub box_scales: [f32; 4],
    /// Class scores at or below this are dropped before NMS.
    pub score_threshold: f32,
    /// A box overlapping a kept box of its class by more than this is suppressed.
    pub iou_threshold: f32,
    pub max_per_class: usize,
    pub max_total: usize,
}

/// `[broad]`: the `coco-grounded` parts plus an ImageNet classifier run on
/// SSD proposals and fixed windows, a WordNet vocabulary and ConSE scoring.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct BroadConfig {
    pub classifier_graph: String,
    pub classifier_input: String,
    pub classifier_output: String,
    /// The classifier's square input side, in pixels (u8 NHWC).
    pub classifier_size: u32,
    /// Asset key of the `glint.vocabulary.v1` table.
    pub vocabulary_asset: String,
    /// SSD boxes of any class scoring at least this become proposals.
    pub proposal_threshold: f32,
    /// Most proposals classified per image (after class-agnostic NMS).
    pub max_proposals: usize,
    /// Proposals are widened by this fraction of their size on each side.
    pub proposal_margin: f32,
    /// Window sides as fractions of the image: 1.0 is the whole image; a
    /// smaller side tiles the four corners.
    pub window_scales: Vec<f32>,
    /// ConSE: labels combined into a crop's embedding.
    pub conse_top: usize,
    /// ConSE: lowest cosine between phrase and crop embeddings accepted.
    pub conse_threshold: f32,
    /// Class-agnostic NMS between the boxes of one phrase.
    pub nms_iou: f32,
}

/// `[owlvit]`: the OWL-ViT / OWLv2 ONNX signature (CLIP BPE text queries,
/// per-patch logits and boxes).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct OwlVitConfig {
    pub graph: String,
    pub pixel_input: String,
    pub ids_input: String,
    pub mask_input: String,
    pub logits_output: String,
    pub boxes_output: String,
    pub vocab_asset: String,
    pub merges_asset: String,
    pub max_tokens: usize,
    pub nms_iou: f32,
}

impl Manifest {
    pub fn parse(text: &str) -> Result<Manifest, Error> {
        toml::from_str(text)
            .map_err(|e| Error::new(ErrorCode::UnsupportedModel, format!("model.toml: {e}")))
    }
}
