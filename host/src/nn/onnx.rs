//! ONNX Runtime backend (through the `ort` crate, library opened at run time).
//! Accepts f32, u8, i32 and i64 tensors; every failure is an error.

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use ort::session::builder::GraphOptimizationLevel;
use ort::session::{Session, SessionInputValue};
use ort::tensor::TensorElementType;
use ort::value::{DynValue, Tensor as OrtTensor, ValueType};
use wasmtime_wasi_nn::backend::{BackendError, BackendGraph, NamedTensor};
use wasmtime_wasi_nn::wit::TensorType;
use wasmtime_wasi_nn::{ExecutionContext, Graph, Tensor};

use super::graph_cache::{CacheUse, GraphCacheOutcome, GraphKey};
use super::tensors::checked_shape;
use super::{Compute, context, fail, names, no_panic};

/// Options for loading one ONNX graph.
#[derive(Clone, Debug)]
pub struct OnnxOptions {
    /// Sessions kept for the graph on the process's intra-op pool: one
    /// session runs one compute at a time, on all the pool's threads.
    pub sessions: usize,
    /// Threads of the process's intra-op pool (`None`: one per core).
    pub intra_threads: Option<usize>,
    /// Single-thread sessions kept for the graph besides (0: none). A compute
    /// that starts while another ONNX Runtime compute is running takes one of
    /// these, so inferences at once each get a core instead of crowding the
    /// pool; a lone compute still gets the whole pool.
    pub overlap_sessions: usize,
}

impl Default for OnnxOptions {
    fn default() -> Self {
        OnnxOptions { sessions: 1, intra_threads: None, overlap_sessions: 0 }
    }
}

/// ONNX Runtime computes running now, across every graph of the process.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Computes that ran on a single-thread session because another was running.
static OVERLAPPED: AtomicU64 = AtomicU64::new(0);

/// How many computes so far ran on a single-thread session beside another
/// (see [`OnnxOptions::overlap_sessions`]).
pub fn overlapped_computes() -> u64 {
    OVERLAPPED.load(Ordering::Relaxed)
}

/// One compute counted in [`RUNNING`] while it lives.
struct Running;

impl Running {
    fn start() -> Running {
        RUNNING.fetch_add(1, Ordering::AcqRel);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::AcqRel);
    }
}

struct Inner {
    name: String,
    /// Sessions on the process's intra-op pool.
    sessions: Vec<Mutex<Session>>,
    /// Single-thread sessions, for computes that overlap others.
    overlap: Vec<Mutex<Session>>,
    next: AtomicUsize,
    inputs: Vec<String>,
}

impl Inner {
    /// The session for a compute starting now: a single-thread one while
    /// another compute is running (if the graph has them), else one on the
    /// pool; failing that a free session of the other kind (running beside
    /// another beats waiting for it), else the next preferred one in turn.
    fn session(&self) -> MutexGuard<'_, Session> {
        let overlapping = !self.overlap.is_empty() && RUNNING.load(Ordering::Acquire) > 0;
        let (preferred, other) = if overlapping { (&self.overlap, &self.sessions) } else { (&self.sessions, &self.overlap) };
        // Each session with whether it is a single-thread one.
        let mut candidates = preferred.iter().map(|s| (s, overlapping)).chain(other.iter().map(|s| (s, !overlapping)));
        let (guard, single_thread) = candidates.find_map(|(s, single)| s.try_lock().ok().map(|g| (g, single))).unwrap_or_else(|| {
            let i = self.next.fetch_add(1, Ordering::Relaxed) % preferred.len();
            (preferred[i].lock().unwrap_or_else(|poisoned| poisoned.into_inner()), overlapping)
        });
        if single_thread {
            OVERLAPPED.fetch_add(1, Ordering::Relaxed);
        }
        guard
    }
}

/// A loaded ONNX graph, shared by all execution contexts.
pub struct OnnxGraph(Arc<Inner>);

/// Loads the ONNX file `model` as graph `name`. ONNX Runtime must be
/// initialised ([`super::libs::init_onnxruntime`]). With `cache`, the graph
/// ONNX Runtime optimised the first time is saved there and loaded, already
/// optimised, every later time; the shipped file is then not read at all
/// (its sha256, which keys the entry, is remembered by the cache).
pub fn load(name: &str, model: &Path, options: &OnnxOptions, cache: Option<CacheUse>) -> anyhow::Result<(Graph, GraphCacheOutcome)> {
    let (sessions, outcome) = match cache {
        None => (sessions(name, Source::Shipped(model), options)?, GraphCacheOutcome::Disabled),
        Some(c) => cached(name, model, options, &c)?,
    };
    let Sessions { pool: sessions, overlap } = sessions;
    let inputs = sessions[0].lock().expect("fresh").inputs.iter().map(|i| i.name.clone()).collect();
    let inner = Inner { name: name.to_string(), sessions, overlap, next: AtomicUsize::new(0), inputs };
    Ok((Graph::from(Box::new(OnnxGraph(Arc::new(inner))) as Box<dyn BackendGraph>), outcome))
}

/// Where a session's graph comes from.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// The model as shipped; ONNX Runtime optimises it while building the session.
    Shipped(&'a Path),
    /// An optimised graph from the cache, built with optimisations off.
    Optimised(&'a Path),
}

/// A graph's sessions: on the process's pool, and single-thread ones.
struct Sessions {
    pool: Vec<Mutex<Session>>,
    overlap: Vec<Mutex<Session>>,
}

/// The graph's sessions. Pool threads come from the environment's global
/// pool (libs.rs); a single-thread session runs on its caller's thread. Weights
/// are not prepacked into a second, GEMM-friendly copy: on coco-grounded-v1
/// that copy was 67 MiB of resident memory for no measurable speed (39.8 vs
/// 40.1 ms p50 per detection).
fn sessions(name: &str, source: Source<'_>, options: &OnnxOptions) -> anyhow::Result<Sessions> {
    let make = |count: usize, single_thread: bool| -> anyhow::Result<Vec<Mutex<Session>>> {
        (0..count)
            .map(|_| {
                no_panic("ONNX Runtime", || session(source, single_thread))
                    .map(Mutex::new)
                    .map_err(|_| anyhow::anyhow!("graph {name}: {}", super::take_last_error().unwrap_or_default()))
            })
            .collect()
    };
    Ok(Sessions { pool: make(options.sessions.max(1), false)?, overlap: make(options.overlap_sessions, true)? })
}

fn session(source: Source<'_>, single_thread: bool) -> Result<Session, BackendError> {
    let mut b = Session::builder().and_then(|b| b.with_config_entry("session.disable_prepacking", "1")).map_err(|e| fail(e.to_string()))?;
    if single_thread {
        b = b.with_independent_thread_pool().and_then(|b| b.with_intra_threads(1)).map_err(|e| fail(e.to_string()))?;
    }
    match source {
        Source::Optimised(file) => {
            b.with_optimization_level(GraphOptimizationLevel::Disable).map_err(|e| fail(e.to_string()))?.commit_from_file(file)
        }
        Source::Shipped(file) => b.commit_from_file(file),
    }
    .map_err(|e| fail(e.to_string()))
}

/// The optimised graph's weights, beside `optimized.onnx` in its cache entry.
const WEIGHTS: &str = "optimized.weights";

/// The sessions of `model`'s optimised graph from the cache, optimised now,
/// saved and sealed if it was not there. When the cache cannot be used (its
/// folder is not writable, say) the graph loads from `model` without it; a
/// graph ONNX Runtime refuses is an error either way.
fn cached(name: &str, model: &Path, options: &OnnxOptions, c: &CacheUse) -> anyhow::Result<(Sessions, GraphCacheOutcome)> {
    // "external weights": entries from before the weights had their own file are not reused.
    let key = GraphKey { runtime: "onnxruntime", runtime_version: c.runtime_version, device: "CPU, external weights" };
    let refused = std::cell::Cell::new(false);
    let found = c.cache.entry_dir(&key, &[model]).map_err(anyhow::Error::from).and_then(|dir| {
        c.cache.with_entry(&dir, |dir, outcome| {
            let file = dir.join("optimized.onnx");
            if outcome != GraphCacheOutcome::Hit {
                // The weights go beside the graph, in a file ONNX Runtime maps
                // when it loads it instead of parsing them out of the protobuf:
                // a session from the cache is ready in ~10 ms instead of ~100.
                let optimise = || -> Result<Session, BackendError> {
                    Session::builder()
                        .and_then(|b| b.with_optimized_model_path(&file))
                        .and_then(|b| b.with_config_entry("session.optimized_model_external_initializers_file_name", WEIGHTS))
                        .and_then(|b| b.commit_from_file(model))
                        .map_err(|e| fail(e.to_string()))
                };
                no_panic("ONNX Runtime", optimise).map_err(|_| {
                    refused.set(true);
                    anyhow::anyhow!("graph {name}: {}", super::take_last_error().unwrap_or_default())
                })?;
            }
            sessions(name, Source::Optimised(&file), options)
        })
    });
    match found {
        Ok(found) => Ok(found),
        Err(e) if refused.get() => Err(e),
        Err(e) => {
            tracing::warn!(graph = name, "compiled graph cache unusable, loading without it: {e:#}");
            Ok((sessions(name, Source::Shipped(model), options)?, GraphCacheOutcome::Disabled))
        }
    }
}

impl BackendGraph for OnnxGraph {
    fn init_execution_context(&self) -> Result<ExecutionContext, BackendError> {
        Ok(context(OnnxContext(self.0.clone())))
    }
}

struct OnnxContext(Arc<Inner>);

impl Compute for OnnxContext {
    const RUNTIME: &'static str = "ONNX Runtime";
    fn run(&mut self, inputs: Vec<NamedTensor>) -> Result<Vec<NamedTensor>, BackendError> {
        run(&self.0, inputs)
    }
}

fn run(g: &Inner, inputs: Vec<NamedTensor>) -> Result<Vec<NamedTensor>, BackendError> {
    let mut values: Vec<(String, SessionInputValue<'static>)> = Vec::with_capacity(inputs.len());
    for NamedTensor { name, tensor } in inputs {
        let real = names::resolve(&name, &g.inputs)
            .or_else(|| name.parse::<usize>().ok().and_then(|i| g.inputs.get(i)).map(String::as_str))
            .ok_or_else(|| fail(format!("graph {} has no input {name:?} (its inputs: {:?})", g.name, g.inputs)))?;
        let value = to_ort(&name, &tensor)?;
        values.push((real.to_string(), value.into()));
    }
    let mut session = g.session();
    let running = Running::start();
    let outputs = session.run(values).map_err(|e| fail(format!("graph {}: {e}", g.name)))?;
    drop(running);
    let mut result = Vec::with_capacity(outputs.len());
    for (name, value) in outputs.iter() {
        result.push(NamedTensor { name: names::canonical(name).to_string(), tensor: from_ort(name, &value)? });
    }
    Ok(result)
}

fn to_ort(name: &str, t: &Tensor) -> Result<DynValue, BackendError> {
    let shape = checked_shape(name, t)?;
    let d = &t.data;
    let made = match t.ty {
        TensorType::U8 => OrtTensor::from_array((shape, d.clone())).map(|v| v.into_dyn()),
        TensorType::Fp32 => OrtTensor::from_array((shape, decode::<4, f32>(d, f32::from_le_bytes))).map(|v| v.into_dyn()),
        TensorType::I32 => OrtTensor::from_array((shape, decode::<4, i32>(d, i32::from_le_bytes))).map(|v| v.into_dyn()),
        TensorType::I64 => OrtTensor::from_array((shape, decode::<8, i64>(d, i64::from_le_bytes))).map(|v| v.into_dyn()),
        other => {
            return Err(fail(format!(
                "input {name:?}: tensor type {other:?} is not supported by the ONNX backend (use f32, u8, i32 or i64)"
            )));
        }
    };
    made.map_err(|e| fail(format!("input {name:?}: {e}")))
}

fn decode<const N: usize, T>(bytes: &[u8], f: fn([u8; N]) -> T) -> Vec<T> {
    bytes.chunks_exact(N).map(|c| f(c.try_into().expect("chunk of N"))).collect()
}

fn from_ort(name: &str, v: &ort::value::ValueRef<'_>) -> Result<Tensor, BackendError> {
    let ty = match v.dtype() {
        ValueType::Tensor { ty, .. } => *ty,
        other => return Err(fail(format!("output {name:?} is a {other:?}, not a tensor"))),
    };
    let err = |e: ort::Error| fail(format!("output {name:?}: {e}"));
    fn bytes<T: Copy, const N: usize>(s: &[T], f: fn(T) -> [u8; N]) -> Vec<u8> {
        s.iter().flat_map(|x| f(*x)).collect()
    }
    let (shape, tt, data) = match ty {
        TensorElementType::Float32 => {
            let (s, d) = v.try_extract_tensor::<f32>().map_err(err)?;
            (s.to_vec(), TensorType::Fp32, bytes(d, f32::to_le_bytes))
        }
        TensorElementType::Uint8 => {
            let (s, d) = v.try_extract_tensor::<u8>().map_err(err)?;
            (s.to_vec(), TensorType::U8, d.to_vec())
        }
        TensorElementType::Int32 => {
            let (s, d) = v.try_extract_tensor::<i32>().map_err(err)?;
            (s.to_vec(), TensorType::I32, bytes(d, i32::to_le_bytes))
        }
        TensorElementType::Int64 => {
            let (s, d) = v.try_extract_tensor::<i64>().map_err(err)?;
            (s.to_vec(), TensorType::I64, bytes(d, i64::to_le_bytes))
        }
        TensorElementType::Float64 => {
            let (s, d) = v.try_extract_tensor::<f64>().map_err(err)?;
            (s.to_vec(), TensorType::Fp64, bytes(d, f64::to_le_bytes))
        }
        other => return Err(fail(format!("output {name:?} has element type {other:?}, which glint cannot pass to a guest"))),
    };
    let dimensions = shape.iter().map(|d| u32::try_from(*d).unwrap_or(0)).collect();
    Ok(Tensor { dimensions, ty: tt, data })
}
