//! The `detect` plugin: glint's grounded detector as a component of world
//! `glint:plugins/detect-plugin`. All logic is in `glint-detect-core`; this
//! crate only adapts it to the imports (wasi:nn, glint models) and the export.

use std::cell::RefCell;

use glint_detect_core as core;

wit_bindgen::generate!({
    world: "detect-plugin",
    path: "../../wit",
    with: {
        "wasi:nn/tensor@0.2.0-rc-2024-10-28": glint_nn_guest::wasi::nn::tensor,
        "wasi:nn/graph@0.2.0-rc-2024-10-28": glint_nn_guest::wasi::nn::graph,
        "wasi:nn/inference@0.2.0-rc-2024-10-28": glint_nn_guest::wasi::nn::inference,
        "wasi:nn/errors@0.2.0-rc-2024-10-28": glint_nn_guest::wasi::nn::errors,
    },
    generate_all,
});

use exports::glint::plugins::detector::Guest;
use glint::plugins::models;
use glint::plugins::types::{Bbox, DetectRequest, DetectResponse, Detection, Error, ErrorCode, PhraseMatch};

thread_local! {
    /// Loaded model versions and graphs, kept while the host reuses this instance.
    static STATE: RefCell<(core::Detector, glint_nn_guest::WasiNn)> = RefCell::new((core::Detector::new(), glint_nn_guest::WasiNn::default()));
}

struct Component;

/// [`core::Assets`] through the host's `glint:plugins/models` import.
struct HostModels;

impl core::Assets for HostModels {
    fn manifest(&self, version: &str) -> Result<String, core::Error> {
        models::manifest(version).map_err(from_wit)
    }
    fn asset(&self, version: &str, key: &str) -> Result<Vec<u8>, core::Error> {
        models::asset(version, key).map_err(from_wit)
    }
    fn derived(&self, version: &str, key: &str) -> Option<Vec<u8>> {
        models::derived(version, key)
    }
    fn keep_derived(&self, version: &str, key: &str, value: &[u8]) -> Result<(), core::Error> {
        models::keep_derived(version, key, value).map_err(from_wit)
    }
}

impl Guest for Component {
    fn detect(req: DetectRequest) -> Result<DetectResponse, Error> {
        let request = core::Request {
            image: &req.image.bytes,
            prompt: &req.prompt,
            threshold: req.threshold,
            model: &req.model,
            limits: core::Limits { max_pixels: req.limits.max_pixels, max_prompt_chars: req.limits.max_prompt_chars },
        };
        let response = STATE.with(|s| {
            let (detector, nn) = &mut *s.borrow_mut();
            detector.detect(nn, &HostModels, &request)
        });
        response.map(to_wit).map_err(to_wit_error)
    }
}

fn to_wit(r: core::Response) -> DetectResponse {
    DetectResponse {
        detections: r
            .detections
            .into_iter()
            .map(|d| Detection {
                phrase: d.phrase,
                label: d.label,
                score: d.score,
                box_: Bbox { x0: d.bbox.x0, y0: d.bbox.y0, x1: d.bbox.x1, y1: d.bbox.y1 },
                span: (d.span[0], d.span[1]),
            })
            .collect(),
        phrases: r
            .phrases
            .into_iter()
            .map(|m| PhraseMatch {
                phrase: m.phrase,
                label: m.label,
                method: m.method.to_string(),
                similarity: m.similarity,
                span: (m.span[0], m.span[1]),
            })
            .collect(),
        width: r.width,
        height: r.height,
    }
}

fn to_wit_error(e: core::Error) -> Error {
    use core::ErrorCode as C;
    let code = match e.code {
        C::InvalidImage => ErrorCode::InvalidImage,
        C::ImageTooLarge => ErrorCode::ImageTooLarge,
        C::InvalidPrompt => ErrorCode::InvalidPrompt,
        C::UnknownModel => ErrorCode::UnknownModel,
        C::UnsupportedModel => ErrorCode::UnsupportedModel,
        C::InferenceFailed => ErrorCode::InferenceFailed,
        C::Internal => ErrorCode::Internal,
    };
    Error { code, message: e.message }
}

fn from_wit(e: Error) -> core::Error {
    use core::ErrorCode as C;
    let code = match e.code {
        ErrorCode::InvalidImage => C::InvalidImage,
        ErrorCode::ImageTooLarge => C::ImageTooLarge,
        ErrorCode::InvalidPrompt => C::InvalidPrompt,
        ErrorCode::UnknownModel => C::UnknownModel,
        ErrorCode::UnsupportedModel => C::UnsupportedModel,
        ErrorCode::InferenceFailed => C::InferenceFailed,
        ErrorCode::Internal => C::Internal,
    };
    core::Error::new(code, e.message)
}

export!(Component);
