//! {{name}}: a glint detector (world `detect-plugin`). It runs models through
//! wasi:nn by registry name (`wasi::nn::graph::load_by_name`) and reads a
//! version's files through `glint:plugins/models`.
//!
//! This skeleton answers `unsupported-model` until you write `detect`:
//! `glint plugins check` refuses it at the canary (find the cat in the
//! bundled photo) until then.

wit_bindgen::generate!({ world: "detect-plugin", path: "wit", generate_all });

use exports::glint::plugins::detector::Guest;
use glint::plugins::types::{DetectRequest, DetectResponse, Error, ErrorCode};

struct Component;

impl Guest for Component {
    fn detect(req: DetectRequest) -> Result<DetectResponse, Error> {
        // The model version's manifest says which graphs and assets it has.
        let _manifest = glint::plugins::models::manifest(&req.model)?;
        Err(Error { code: ErrorCode::UnsupportedModel, message: format!("{{name}} cannot run {} yet", req.model) })
    }
}

export!(Component);
