//! ONNX Runtime backend (through the `ort` crate, library opened at run time).
//! Accepts f32, u8, i32 and i64 tensors; every failure is an error.

use std::ffi::CString;
use std::path::Path;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use ort::AsPointer;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::tensor::TensorElementType;
use ort::value::{DynValue, Tensor as OrtTensor, Value, ValueType};
use wasmtime_wasi_nn::backend::{BackendError, BackendGraph, NamedTensor};
use wasmtime_wasi_nn::wit::TensorType;
use wasmtime_wasi_nn::{ExecutionContext, Graph, Tensor};

use super::graph_cache::{CacheUse, GraphCacheOutcome, GraphKey};
use super::onnx_weights::SharedWeights;
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
    /// Computes that may run at once on the graph's single-thread session
    /// (0: it has none). A compute that starts while another ONNX Runtime
    /// compute is running runs there, on its caller's thread, so inferences
    /// at once each get a core instead of crowding the pool; a lone compute
    /// still gets the whole pool. They all share the one session and its one
    /// copy of the weights (ONNX Runtime's `Run` is thread-safe).
    pub overlap_computes: usize,
}

impl Default for OnnxOptions {
    fn default() -> Self {
        OnnxOptions { sessions: 1, intra_threads: None, overlap_computes: 0 }
    }
}

/// ONNX Runtime computes running now, across every graph of the process.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Computes that ran on a single-thread session because another was running.
static OVERLAPPED: AtomicU64 = AtomicU64::new(0);

/// How many computes so far ran on a single-thread session beside another
/// (see [`OnnxOptions::overlap_computes`]).
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
    /// Sessions on the process's intra-op pool, one compute each at a time.
    sessions: Vec<Mutex<Session>>,
    /// The single-thread session that computes overlapping others share.
    overlap: Option<Overlap>,
    next: AtomicUsize,
    inputs: Vec<String>,
    /// The weights the sessions read in place; declared after them, so
    /// dropped after them.
    _weights: Option<SharedWeights>,
}

/// A single-thread session and how many computes may run on it at once.
struct Overlap {
    session: Session,
    slots: Slots,
}

/// The session a compute runs on, held while it runs.
enum Chosen<'a> {
    Pool(MutexGuard<'a, Session>),
    Overlap { session: &'a Session, _slot: Slot<'a> },
}

impl Chosen<'_> {
    fn session(&self) -> &Session {
        match self {
            Chosen::Pool(guard) => guard,
            Chosen::Overlap { session, .. } => session,
        }
    }
}

impl Inner {
    /// The session for a compute starting now: the single-thread one while
    /// another compute is running (if the graph has one and a slot is free),
    /// else one on the pool; failing that the other kind (running beside
    /// another beats waiting for it), else wait for the preferred kind.
    fn session(&self) -> Chosen<'_> {
        let overlapping = self.overlap.is_some() && RUNNING.load(Ordering::Acquire) > 0;
        let pool = || self.sessions.iter().find_map(|s| s.try_lock().ok()).map(Chosen::Pool);
        let single = || self.overlap.as_ref().and_then(|o| o.slots.try_take().map(|slot| Chosen::Overlap { session: &o.session, _slot: slot }));
        let found = if overlapping { single().or_else(pool) } else { pool().or_else(single) };
        let chosen = found.unwrap_or_else(|| match &self.overlap {
            Some(o) if overlapping => Chosen::Overlap { session: &o.session, _slot: o.slots.take() },
            _ => {
                let i = self.next.fetch_add(1, Ordering::Relaxed) % self.sessions.len();
                Chosen::Pool(self.sessions[i].lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
            }
        });
        if matches!(chosen, Chosen::Overlap { .. }) {
            OVERLAPPED.fetch_add(1, Ordering::Relaxed);
        }
        chosen
    }
}

/// A count of places, taken and given back.
struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

/// One place taken from [`Slots`], given back on drop.
struct Slot<'a>(&'a Slots);

impl Slots {
    fn new(n: usize) -> Slots {
        Slots { free: Mutex::new(n), freed: Condvar::new() }
    }

    fn count(&self) -> MutexGuard<'_, usize> {
        self.free.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn try_take(&self) -> Option<Slot<'_>> {
        let mut free = self.count();
        (*free > 0).then(|| {
            *free -= 1;
            Slot(self)
        })
    }

    fn take(&self) -> Slot<'_> {
        let mut free = self.count();
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        *free -= 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.count() += 1;
        self.0.freed.notify_one();
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
    let Sessions { pool: sessions, overlap, weights } = sessions;
    let inputs = sessions[0].lock().expect("fresh").inputs.iter().map(|i| i.name.clone()).collect();
    let inner = Inner { name: name.to_string(), sessions, overlap, next: AtomicUsize::new(0), inputs, _weights: weights };
    Ok((Graph::from(Box::new(OnnxGraph(Arc::new(inner))) as Box<dyn BackendGraph>), outcome))
}

/// Where a session's graph comes from.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// The model as shipped; ONNX Runtime optimises it while building the session.
    Shipped(&'a Path),
    /// An optimised graph from the cache, built with optimisations off, and
    /// its weights mapped once for all its sessions (`None`: each session
    /// maps them itself).
    Optimised(&'a Path, Option<&'a SharedWeights>),
}

/// A graph's sessions: on the process's pool, and the single-thread one.
struct Sessions {
    pool: Vec<Mutex<Session>>,
    overlap: Option<Overlap>,
    /// The mapping the sessions read their weights from, if they share one.
    weights: Option<SharedWeights>,
}

/// The graph's sessions. Pool threads come from the environment's global
/// pool (libs.rs); a single-thread session runs on its caller's thread. Weights
/// are not prepacked into a second, GEMM-friendly copy: on coco-grounded-v1
/// that copy was 67 MiB of resident memory for no measurable speed (39.8 vs
/// 40.1 ms p50 per detection).
fn sessions(name: &str, source: Source<'_>, options: &OnnxOptions) -> anyhow::Result<Sessions> {
    let make = |single_thread: bool| {
        no_panic("ONNX Runtime", || session(source, single_thread))
            .map_err(|_| anyhow::anyhow!("graph {name}: {}", super::take_last_error().unwrap_or_default()))
    };
    let pool = (0..options.sessions.max(1)).map(|_| make(false).map(Mutex::new)).collect::<anyhow::Result<_>>()?;
    let overlap = match options.overlap_computes {
        0 => None,
        n => Some(Overlap { session: make(true)?, slots: Slots::new(n) }),
    };
    Ok(Sessions { pool, overlap, weights: None })
}

fn session(source: Source<'_>, single_thread: bool) -> Result<Session, BackendError> {
    let mut b = Session::builder().and_then(|b| b.with_config_entry("session.disable_prepacking", "1")).map_err(|e| fail(e.to_string()))?;
    if single_thread {
        b = b.with_independent_thread_pool().and_then(|b| b.with_intra_threads(1)).map_err(|e| fail(e.to_string()))?;
    }
    match source {
        Source::Optimised(file, shared) => {
            b = b.with_optimization_level(GraphOptimizationLevel::Disable).map_err(|e| fail(e.to_string()))?;
            if let Some(shared) = shared {
                b = shared.give_to(b).map_err(|e| fail(e.to_string()))?;
            }
            b.commit_from_file(file)
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
            let weights = share_weights(name, &file, &dir.join(WEIGHTS));
            let sessions = sessions(name, Source::Optimised(&file, weights.as_ref()), options)?;
            Ok(Sessions { weights, ..sessions })
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

/// The optimised graph's weights mapped once for all its sessions (see
/// onnx_weights.rs); `None`, logged, where they cannot be, and each session
/// then maps them itself.
fn share_weights(name: &str, graph: &Path, weights: &Path) -> Option<SharedWeights> {
    match SharedWeights::open(graph, weights) {
        Ok(shared) => {
            tracing::debug!(graph = name, initializers = shared.count(), bytes = shared.mapped_bytes(), "weights mapped once for all sessions");
            Some(shared)
        }
        Err(e) => {
            tracing::warn!(graph = name, "each session maps the weights itself: {e}");
            None
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
    let mut values: Vec<(CString, DynValue)> = Vec::with_capacity(inputs.len());
    for NamedTensor { name, tensor } in inputs {
        let real = names::resolve(&name, &g.inputs)
            .or_else(|| name.parse::<usize>().ok().and_then(|i| g.inputs.get(i)).map(String::as_str))
            .ok_or_else(|| fail(format!("graph {} has no input {name:?} (its inputs: {:?})", g.name, g.inputs)))?;
        let real = CString::new(real).map_err(|_| fail(format!("input {name:?}: the graph's name for it has a NUL byte")))?;
        values.push((real, to_ort(&name, &tensor)?));
    }
    let chosen = g.session();
    let session = chosen.session();
    let running = Running::start();
    let outputs = session_run(session, &values).map_err(|e| fail(format!("graph {}: {e}", g.name)))?;
    drop(running);
    drop(chosen);
    let mut result = Vec::with_capacity(outputs.len());
    for (name, value) in &outputs {
        result.push(NamedTensor { name: names::canonical(name).to_string(), tensor: from_ort(name, &value.view())? });
    }
    Ok(result)
}

/// Runs `session` on `inputs` and returns all its outputs, named, in its order.
/// Takes `&Session` where `Session::run` takes `&mut`: ONNX Runtime's `Run`
/// may be called on one session from several threads at once, which is
/// what the single-thread session of overlapping computes is for.
fn session_run(session: &Session, inputs: &[(CString, DynValue)]) -> Result<Vec<(String, DynValue)>, ort::Error> {
    let output_names: Vec<CString> = session
        .outputs
        .iter()
        .map(|o| CString::new(o.name.as_str()).map_err(|_| ort::Error::new(format!("output {:?}: NUL byte in its name", o.name))))
        .collect::<Result<_, _>>()?;
    let input_names: Vec<*const std::ffi::c_char> = inputs.iter().map(|(n, _)| n.as_ptr()).collect();
    let input_values: Vec<*const ort::sys::OrtValue> = inputs.iter().map(|(_, v)| v.ptr()).collect();
    let output_name_ptrs: Vec<*const std::ffi::c_char> = output_names.iter().map(|n| n.as_ptr()).collect();
    let mut outputs: Vec<*mut ort::sys::OrtValue> = vec![std::ptr::null_mut(); output_names.len()];
    // SAFETY: the session, the names and the input values outlive the call;
    // `outputs` has one null slot per output name, which ONNX Runtime fills
    // with values the caller owns (each released by the `Value` made below).
    // ONNX Runtime documents `Run` as safe to call concurrently on one session.
    let status = unsafe {
        (ort::api().Run)(
            session.ptr().cast_mut(),
            std::ptr::null(),
            input_names.as_ptr(),
            input_values.as_ptr(),
            input_values.len(),
            output_name_ptrs.as_ptr(),
            output_name_ptrs.len(),
            outputs.as_mut_ptr(),
        )
    };
    // SAFETY: `status` is what `Run` returned; this takes and releases it.
    let ran = unsafe { ort::error::status_to_result(status) };
    // SAFETY: each non-null pointer is a value `Run` made for the caller, owned from here on.
    let values: Vec<Option<DynValue>> = outputs.into_iter().map(|p| NonNull::new(p).map(|p| unsafe { Value::from_ptr(p, None) })).collect();
    ran?;
    values
        .into_iter()
        .zip(&session.outputs)
        .map(|(v, o)| v.map(|v| (o.name.clone(), v)).ok_or_else(|| ort::Error::new(format!("output {:?} was not produced", o.name))))
        .collect()
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
