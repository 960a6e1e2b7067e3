//! The native baseline of the benchmarks: the detector's own code
//! (`glint-detect-core`, compiled natively) calling the same loaded graphs
//! of glint's model registry directly, with no wasm and no wasi-nn glue.

use std::collections::HashMap;

use glint::models::{GraphSnapshot, ModelRegistry};
use glint_detect_core::{Assets, Error, ErrorCode, Inference, Tensor, TensorData};
use wasmtime_wasi_nn::backend::NamedTensor;
use wasmtime_wasi_nn::wit::TensorType;
use wasmtime_wasi_nn::{ExecutionContext, GraphRegistry};

/// [`Inference`] straight on the registry's graphs.
pub struct NativeNn {
    graphs: GraphSnapshot,
    contexts: HashMap<String, ExecutionContext>,
}

impl NativeNn {
    /// The graphs loaded in `models` now (load the version first).
    pub fn new(models: &ModelRegistry) -> NativeNn {
        NativeNn { graphs: models.snapshot(), contexts: HashMap::new() }
    }
}

fn failed(e: impl std::fmt::Display) -> Error {
    Error::inference(format!("{e}: {}", glint::nn::take_last_error().unwrap_or_default()))
}

impl Inference for NativeNn {
    fn compute(&mut self, graph: &str, inputs: Vec<Tensor>) -> Result<Vec<Tensor>, Error> {
        if !self.contexts.contains_key(graph) {
            let g = self.graphs.get(graph).ok_or_else(|| Error::new(ErrorCode::UnknownModel, graph))?;
            self.contexts.insert(graph.to_string(), g.init_execution_context().map_err(failed)?);
        }
        let ctx = self.contexts.get_mut(graph).expect("inserted");
        let named = inputs
            .into_iter()
            .map(|t| {
                let ty = match t.data {
                    TensorData::U8(_) => TensorType::U8,
                    TensorData::F32(_) => TensorType::Fp32,
                    TensorData::I64(_) => TensorType::I64,
                };
                NamedTensor { name: t.name, tensor: wasmtime_wasi_nn::Tensor::new(t.dims, ty, t.data.into_le_bytes()) }
            })
            .collect();
        let outputs = ctx.compute_with_io(named).map_err(failed)?;
        outputs
            .into_iter()
            .map(|NamedTensor { name, tensor }| {
                let kind = match tensor.ty {
                    TensorType::U8 => "u8",
                    TensorType::Fp32 => "f32",
                    TensorType::I64 => "i64",
                    other => return Err(Error::inference(format!("{name}: {other:?}"))),
                };
                let data = TensorData::from_le_bytes(kind, &tensor.data).expect("known kind");
                Ok(Tensor { name, dims: tensor.dimensions, data })
            })
            .collect()
    }
}

/// [`Assets`] straight from the registry.
pub struct NativeAssets<'a>(pub &'a ModelRegistry);

impl Assets for NativeAssets<'_> {
    fn manifest(&self, version: &str) -> Result<String, Error> {
        self.0.entry(version).map(|e| e.text.clone()).map_err(|e| Error::new(ErrorCode::UnknownModel, e.message))
    }
    fn asset(&self, version: &str, key: &str) -> Result<Vec<u8>, Error> {
        self.0.asset(version, key).map_err(|e| Error::new(ErrorCode::UnknownModel, e.message))
    }
}
