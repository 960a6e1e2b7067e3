//! A graph loaded the first time a guest makes an execution context for it,
//! so a one-shot `glint detect` loads only the graphs its prompt needs (a
//! phrase the tables know never runs the sentence encoder).

use std::sync::{Mutex, OnceLock};

use wasmtime_wasi_nn::backend::{BackendError, BackendGraph};
use wasmtime_wasi_nn::{ExecutionContext, Graph};

use super::fail;

type Load = Box<dyn FnOnce() -> anyhow::Result<Graph> + Send>;

/// Stands for graph `name` until first use, then is that graph. A failed
/// load is remembered: every later use answers the same error.
pub struct LazyGraph {
    name: String,
    load: Mutex<Option<Load>>,
    graph: OnceLock<Result<Graph, String>>,
}

/// Graph `name`, made by `load` on its first use (once, even if several threads ask at once).
pub fn deferred(name: &str, load: impl FnOnce() -> anyhow::Result<Graph> + Send + 'static) -> Graph {
    let lazy = LazyGraph { name: name.to_string(), load: Mutex::new(Some(Box::new(load))), graph: OnceLock::new() };
    Graph::from(Box::new(lazy) as Box<dyn BackendGraph>)
}

impl LazyGraph {
    fn loaded(&self) -> &Result<Graph, String> {
        self.graph.get_or_init(|| {
            let load = self.load.lock().unwrap_or_else(|p| p.into_inner()).take();
            match load {
                Some(load) => load().map_err(|e| format!("{e:#}")),
                None => Err("an earlier load of it panicked".to_string()),
            }
        })
    }
}

impl BackendGraph for LazyGraph {
    fn init_execution_context(&self) -> Result<ExecutionContext, BackendError> {
        let graph = super::no_panic(&self.name, || self.loaded().as_ref().map_err(|e| fail(format!("graph {}: {e}", self.name))))?;
        graph.init_execution_context()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A graph whose contexts are never used: only whether one was made counts.
    struct Counted(Arc<AtomicUsize>);

    impl BackendGraph for Counted {
        fn init_execution_context(&self) -> Result<ExecutionContext, BackendError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Err(fail("counted"))
        }
    }

    #[test]
    fn loads_on_first_use_only_once_even_from_several_threads() {
        let loads = Arc::new(AtomicUsize::new(0));
        let contexts = Arc::new(AtomicUsize::new(0));
        let (l, c) = (loads.clone(), contexts.clone());
        let graph = deferred("v/g", move || {
            l.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(20));
            Ok(Graph::from(Box::new(Counted(c)) as Box<dyn BackendGraph>))
        });
        assert_eq!(loads.load(Ordering::SeqCst), 0, "nothing is loaded before first use");
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| graph.init_execution_context().err().map(|e| e.to_string()));
            }
        });
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        assert_eq!(contexts.load(Ordering::SeqCst), 4, "each use reaches the loaded graph");
    }

    #[test]
    fn a_failed_load_is_an_error_that_names_the_graph_every_time() {
        let graph = deferred("v/encoder", || anyhow::bail!("cannot read minilm.onnx"));
        for _ in 0..2 {
            crate::clear_last_error();
            assert!(graph.init_execution_context().is_err());
            let e = crate::take_last_error().expect("the failure is remembered for the host");
            assert!(e.contains("graph v/encoder: cannot read minilm.onnx"), "{e}");
        }
    }
}
