//! [`Inference`] over the `wasi:nn` imports, by registry name only. Plugins
//! that run models depend on this crate and point their own bindings' wasi:nn
//! interfaces at [`wasi::nn`] (`with` in `wit_bindgen::generate!`), so the
//! tensor mapping lives here once.

use std::collections::HashMap;

wit_bindgen::generate!({
    world: "nn-client",
    path: "../../wit",
    generate_all,
});

use glint_detect_core::{Error, ErrorCode, Inference, Tensor, TensorData};

use crate::wasi::nn::errors::Error as NnError;
use crate::wasi::nn::graph::{self, Graph};
use crate::wasi::nn::inference::GraphExecutionContext;
use crate::wasi::nn::tensor::{Tensor as NnTensor, TensorType};

/// Graphs and execution contexts loaded so far, by registry name.
#[derive(Default)]
pub struct WasiNn {
    loaded: HashMap<String, (Graph, GraphExecutionContext)>,
}

fn nn_error(what: &str, name: &str, e: NnError) -> Error {
    let code = if matches!(e.code(), crate::wasi::nn::errors::ErrorCode::NotFound) {
        ErrorCode::UnknownModel
    } else {
        ErrorCode::InferenceFailed
    };
    Error::new(code, format!("{what} {name}: {}", e.data()))
}

impl Inference for WasiNn {
    fn compute(&mut self, name: &str, inputs: Vec<Tensor>) -> Result<Vec<Tensor>, Error> {
        if !self.loaded.contains_key(name) {
            let g = graph::load_by_name(name).map_err(|e| nn_error("loading graph", name, e))?;
            let ctx = g.init_execution_context().map_err(|e| nn_error("starting graph", name, e))?;
            self.loaded.insert(name.to_string(), (g, ctx));
        }
        let (_, ctx) = &self.loaded[name];
        let named = inputs.into_iter().map(|t| (t.name, to_nn(&t.dims, t.data))).collect();
        let outputs = ctx.compute(named).map_err(|e| nn_error("running graph", name, e))?;
        outputs.into_iter().map(|(n, t)| from_nn(n, &t)).collect()
    }
}

fn to_nn(dims: &[u32], data: TensorData) -> NnTensor {
    let ty = match data {
        TensorData::U8(_) => TensorType::U8,
        TensorData::F32(_) => TensorType::Fp32,
        TensorData::I64(_) => TensorType::I64,
    };
    NnTensor::new(dims, ty, &data.into_le_bytes())
}

fn from_nn(name: String, t: &NnTensor) -> Result<Tensor, Error> {
    let kind = match t.ty() {
        TensorType::U8 => "u8",
        TensorType::Fp32 => "f32",
        TensorType::I64 => "i64",
        other => return Err(Error::inference(format!("output {name:?} has unsupported type {other:?}"))),
    };
    let data = TensorData::from_le_bytes(kind, &t.data()).expect("known kind");
    Ok(Tensor { name, dims: t.dimensions(), data })
}
