//! Inference backends that wasi-nn graphs run on.
//!
//! glint does not use the `wasmtime-wasi-nn` crate's own ONNX and OpenVINO
//! backends: the ONNX one accepts only f32 and panics on other types or a
//! missing library, and the OpenVINO one lets the CPU plugin pick bf16. Ours
//! implement the crate's `BackendGraph`/`BackendExecutionContext` traits, so
//! the crate's WIT glue still serves guests, and every failure is an error.

pub mod file_digest;
pub mod graph_cache;
mod graph_prune;
pub mod lazy;
pub mod libs;
pub mod mapped_pages;
pub mod names;
pub mod onnx;
pub mod onnx_proto;
mod onnx_weights;
pub mod openvino;
mod tensors;

/// Scratch folders and files for the caches' unit tests.
#[cfg(test)]
mod test_files {
    use std::path::{Path, PathBuf};

    /// A new empty folder under the system's temporary folder.
    pub fn scratch() -> PathBuf {
        let root = std::env::temp_dir().join(format!("glint-nn-test-{}", glint_common::clock::random_id()));
        std::fs::create_dir_all(&root).unwrap();
        root
    }

    /// Writes `bytes` to `root/name` and returns its path.
    pub fn file(root: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = root.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

use std::cell::RefCell;
use std::fmt;
use std::str::FromStr;

use wasmtime_wasi_nn::backend::{BackendError, BackendExecutionContext, Id, NamedTensor};
use wasmtime_wasi_nn::{ExecutionContext, Tensor};

/// Which runtime a model version's graphs are loaded into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Onnx,
    Openvino,
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendKind::Onnx => "onnx",
            BackendKind::Openvino => "openvino",
        })
    }
}

impl FromStr for BackendKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "onnx" => Ok(BackendKind::Onnx),
            "openvino" => Ok(BackendKind::Openvino),
            other => Err(format!("unknown backend {other:?}: use \"onnx\" or \"openvino\"")),
        }
    }
}

thread_local! {
    /// The last backend failure on this thread. The wasi-nn WIT glue shows a
    /// guest only the outer text of an error ("Failed while accessing
    /// backend"); the host reads the detail from here after the call.
    static LAST_ERROR: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Builds a backend error and remembers its message for [`take_last_error`].
pub(crate) fn fail(message: impl Into<String>) -> BackendError {
    let message = message.into();
    tracing::warn!(target: "glint::nn", "{message}");
    LAST_ERROR.with(|e| *e.borrow_mut() = Some(message.clone()));
    BackendError::BackendAccess(wasmtime::format_err!("{message}"))
}

/// Takes the message of the last backend failure on this thread, if any.
pub fn take_last_error() -> Option<String> {
    LAST_ERROR.with(|e| e.borrow_mut().take())
}

/// Clears the last failure before a new call.
pub fn clear_last_error() {
    LAST_ERROR.with(|e| *e.borrow_mut() = None);
}

/// Runs `f`, turning a panic inside a native runtime binding into an error.
pub(crate) fn no_panic<T>(what: &str, f: impl FnOnce() -> Result<T, BackendError>) -> Result<T, BackendError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("unknown panic");
            Err(fail(format!("{what}: the runtime failed: {msg}")))
        }
    }
}

/// The part of an execution context that differs per runtime: one compute
/// with named tensors in and out.
pub(crate) trait Compute: Send + Sync + 'static {
    /// Runtime name for error messages.
    const RUNTIME: &'static str;
    fn run(&mut self, inputs: Vec<NamedTensor>) -> Result<Vec<NamedTensor>, BackendError>;
}

/// Wraps a [`Compute`] as the execution context wasi-nn's glue calls:
/// named-tensor compute only (the WITX calls are refused), panics caught.
pub(crate) fn context<C: Compute>(c: C) -> ExecutionContext {
    ExecutionContext::from(Box::new(Context(c)) as Box<dyn BackendExecutionContext>)
}

struct Context<C>(C);

impl<C: Compute> BackendExecutionContext for Context<C> {
    fn set_input(&mut self, _id: Id, _tensor: &Tensor) -> Result<(), BackendError> {
        Err(fail("the WITX set-input call is not supported: use wasi:nn compute with named tensors"))
    }
    fn get_output(&mut self, _id: Id) -> Result<Tensor, BackendError> {
        Err(fail("the WITX get-output call is not supported: use wasi:nn compute with named tensors"))
    }
    fn compute(&mut self, inputs: Option<Vec<NamedTensor>>) -> Result<Option<Vec<NamedTensor>>, BackendError> {
        let inputs = inputs.ok_or_else(|| fail("compute needs named input tensors"))?;
        no_panic(C::RUNTIME, || self.0.run(inputs)).map(Some)
    }
}
