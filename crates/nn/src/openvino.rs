//! OpenVINO backend (through the `openvino` crate, library opened at run time).
//! The CPU plugin's inference precision is set explicitly (f32 unless the
//! caller asks otherwise), because on CPUs with bf16 support OpenVINO would
//! otherwise pick bf16 silently and move boxes by several pixels.

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, anyhow};
use openvino::{CompiledModel, Core, DeviceType, ElementType, InferRequest, RwPropertyKey, Shape, Tensor as OvTensor};
use wasmtime_wasi_nn::backend::{BackendError, BackendGraph, NamedTensor};
use wasmtime_wasi_nn::wit::TensorType;
use wasmtime_wasi_nn::{ExecutionContext, Graph, Tensor};

use super::graph_cache::{CacheUse, GraphCacheOutcome, GraphKey};
use super::tensors::checked_shape;
use super::{Compute, context, fail, names};

struct Inner {
    name: String,
    compiled: Mutex<CompiledModel>,
    inputs: Vec<(String, ElementType)>,
    outputs: Vec<String>,
}

/// The process's one OpenVINO core, made by the first load and kept for the
/// process's life (so it outlives every compiled model). One core loads the
/// CPU plugin once for all graphs; the lock also keeps a load's properties
/// (precision, hint, cache folder) its own until it has compiled.
static CORE: Mutex<Option<Core>> = Mutex::new(None);

/// A compiled OpenVINO graph, shared by all execution contexts.
pub struct OpenvinoGraph(Arc<Inner>);

/// How OpenVINO compiles a graph for the CPU.
#[derive(Clone, Debug, Default)]
pub struct OpenvinoOptions {
    /// The THROUGHPUT performance hint (several streams, each on fewer
    /// threads: more inferences at once) instead of LATENCY (one inference on
    /// every core).
    pub throughput: bool,
}

/// Loads an IR (the files `xml` + `bin`; OpenVINO maps the weights rather
/// than copying them) as graph `name` for the CPU with the given inference
/// precision ("f32", "bf16", "f16"). OpenVINO must be initialised
/// ([`super::libs::init_openvino`]). With `cache`, OpenVINO keeps the compiled
/// graph there (its `CACHE_DIR`, one sealed folder per graph) and imports it
/// every later time instead of compiling.
pub fn load(
    name: &str,
    xml: &Path,
    bin: &Path,
    precision: &str,
    options: &OpenvinoOptions,
    cache: Option<CacheUse>,
) -> anyhow::Result<(Graph, GraphCacheOutcome)> {
    let mut shared = CORE.lock().unwrap_or_else(|p| p.into_inner());
    let core = match &mut *shared {
        Some(core) => core,
        empty => empty.insert(Core::new().map_err(|e| anyhow!("OpenVINO: {e}"))?),
    };
    core.set_property(&DeviceType::CPU, &RwPropertyKey::HintInferencePrecision, precision)
        .map_err(|e| anyhow!("OpenVINO: cannot set inference precision {precision:?}: {e}"))?;
    let mode = if options.throughput { "THROUGHPUT" } else { "LATENCY" };
    core.set_property(&DeviceType::CPU, &RwPropertyKey::HintPerformanceMode, mode)
        .map_err(|e| anyhow!("OpenVINO: cannot set the performance hint {mode}: {e}"))?;
    let mode_name = mode.to_lowercase();
    let entry = cache.and_then(|c| {
        let device = format!("CPU {precision} {mode_name}");
        let key = GraphKey { runtime: "openvino", runtime_version: c.runtime_version, device: &device };
        match c.cache.entry_dir(&key, &[xml, bin]) {
            Ok(dir) => Some((c, dir)),
            Err(e) => {
                tracing::warn!(graph = name, "compiled graph cache unusable, compiling without it: {e}");
                None
            }
        }
    });
    let model = core.read_model_from_file(utf8_path(name, xml)?, utf8_path(name, bin)?).map_err(ov).context(format!("graph {name}: reading the IR"))?;
    let mut inputs = Vec::new();
    for i in 0..model.get_inputs_len().map_err(ov)? {
        let node = model.get_input_by_index(i).map_err(ov)?;
        inputs.push((node.get_name().map_err(ov)?, node.get_element_type().map_err(ov)?));
    }
    let mut outputs = Vec::new();
    for i in 0..model.get_outputs_len().map_err(ov)? {
        outputs.push(model.get_output_by_index(i).map_err(ov)?.get_name().map_err(ov)?);
    }
    let entry_dir = entry.as_ref().map(|(_, dir)| dir.clone());
    let (compiled, outcome) = match entry {
        None => {
            core.set_property(&DeviceType::CPU, &RwPropertyKey::CacheDir, "").map_err(ov)?;
            (compile(core, &model, name)?, GraphCacheOutcome::Disabled)
        }
        Some((c, dir)) => {
            let cached = c.cache.with_entry(&dir, |dir, _| {
                // With CACHE_DIR set, OpenVINO imports the compiled blob it
                // finds there, or compiles and writes one.
                core.set_property(&DeviceType::CPU, &RwPropertyKey::CacheDir, &dir.to_string_lossy()).map_err(ov)?;
                compile(core, &model, name)
            });
            match cached {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(graph = name, "compiled graph cache unusable, compiling without it: {e:#}");
                    core.set_property(&DeviceType::CPU, &RwPropertyKey::CacheDir, "").map_err(ov)?;
                    (compile(core, &model, name)?, GraphCacheOutcome::Disabled)
                }
            }
        }
    };
    drop(model);
    // The compiled model keeps its weights files mapped (the IR's `.bin`, and
    // the blob imported from the cache), though the CPU plugin has made its
    // own copies: drop their pages from the resident set (those it reads
    // again are mapped back on the read).
    let mapped: Vec<&Path> = [Some(bin), entry_dir.as_deref()].into_iter().flatten().collect();
    let released = super::mapped_pages::release(&mapped);
    tracing::debug!(graph = name, mapped_mib = released >> 20, "mapped weights dropped from the resident set");
    let inner = Inner { name: name.to_string(), compiled: Mutex::new(compiled), inputs, outputs };
    Ok((Graph::from(Box::new(OpenvinoGraph(Arc::new(inner))) as Box<dyn BackendGraph>), outcome))
}

fn utf8_path<'a>(name: &str, p: &'a Path) -> anyhow::Result<&'a str> {
    p.to_str().ok_or_else(|| anyhow!("graph {name}: OpenVINO needs a UTF-8 path, not {}", p.display()))
}

fn compile(core: &mut Core, model: &openvino::Model, name: &str) -> anyhow::Result<CompiledModel> {
    core.compile_model(model, DeviceType::CPU).map_err(ov).context(format!("graph {name}: compiling"))
}

fn ov(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("OpenVINO: {e}")
}

impl BackendGraph for OpenvinoGraph {
    fn init_execution_context(&self) -> Result<ExecutionContext, BackendError> {
        let request = self
            .0
            .compiled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .create_infer_request()
            .map_err(|e| fail(format!("graph {}: cannot create an infer request: {e}", self.0.name)))?;
        Ok(context(OpenvinoContext { graph: self.0.clone(), request }))
    }
}

struct OpenvinoContext {
    graph: Arc<Inner>,
    request: InferRequest,
}

impl Compute for OpenvinoContext {
    const RUNTIME: &'static str = "OpenVINO";

    fn run(&mut self, inputs: Vec<NamedTensor>) -> Result<Vec<NamedTensor>, BackendError> {
        let g = &self.graph;
        let input_names: Vec<String> = g.inputs.iter().map(|(n, _)| n.clone()).collect();
        for NamedTensor { name, tensor } in inputs {
            let real = names::resolve(&name, &input_names)
                .ok_or_else(|| fail(format!("graph {} has no input {name:?} (its inputs: {input_names:?})", g.name)))?;
            let expected = g.inputs.iter().find(|(n, _)| n == real).map(|(_, t)| *t).expect("resolved");
            let given = element_type(tensor.ty);
            if given != Some(expected) {
                return Err(fail(format!("input {name:?} is {:?}, graph {} expects {expected:?}", tensor.ty, g.name)));
            }
            let shape = checked_shape(&name, &tensor)?;
            let err = |e: openvino::InferenceError| fail(format!("input {name:?}: {e}"));
            let mut t = OvTensor::new(expected, &Shape::new(&shape).map_err(err)?).map_err(err)?;
            t.get_raw_data_mut().map_err(err)?.copy_from_slice(&tensor.data);
            self.request.set_tensor(real, &t).map_err(err)?;
        }
        self.request.infer().map_err(|e| fail(format!("graph {}: {e}", g.name)))?;
        let mut out = Vec::with_capacity(g.outputs.len());
        for name in &g.outputs {
            let err = |e: openvino::InferenceError| fail(format!("output {name:?}: {e}"));
            let t = self.request.get_tensor(name).map_err(err)?;
            let et = t.get_element_type().map_err(err)?;
            let ty = tensor_type(et).ok_or_else(|| fail(format!("output {name:?} has type {et:?}, which glint cannot pass to a guest")))?;
            let dims = t.get_shape().map_err(err)?.get_dimensions().iter().map(|d| *d as u32).collect();
            let data = t.get_raw_data().map_err(err)?.to_vec();
            out.push(NamedTensor { name: names::canonical(name).to_string(), tensor: Tensor { dimensions: dims, ty, data } });
        }
        Ok(out)
    }
}

fn element_type(t: TensorType) -> Option<ElementType> {
    Some(match t {
        TensorType::U8 => ElementType::U8,
        TensorType::Fp32 => ElementType::F32,
        TensorType::Fp16 => ElementType::F16,
        TensorType::Bf16 => ElementType::Bf16,
        TensorType::Fp64 => ElementType::F64,
        TensorType::I32 => ElementType::I32,
        TensorType::I64 => ElementType::I64,
    })
}

fn tensor_type(e: ElementType) -> Option<TensorType> {
    Some(match e {
        ElementType::U8 => TensorType::U8,
        ElementType::F32 => TensorType::Fp32,
        ElementType::F16 => TensorType::Fp16,
        ElementType::Bf16 => TensorType::Bf16,
        ElementType::F64 => TensorType::Fp64,
        ElementType::I32 => TensorType::I32,
        ElementType::I64 => TensorType::I64,
        _ => return None,
    })
}
