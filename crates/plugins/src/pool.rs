//! Idle plugin instances kept for reuse: they keep the plugin's caches
//! (tokenizer, label embeddings, compiled word lists) between calls; glint's
//! plugins keep no request data. A trapped instance is never put back, and
//! one that last ran on an older model view is dropped, since its caches may
//! belong to a version that has changed since.

use std::sync::Mutex;

use wasmtime::Store;

use super::state::HostState;

/// Idle instances kept per plugin and world.
const MAX_IDLE: usize = 4;

/// One instance of a plugin and its store, between calls.
pub(super) struct Warm<B> {
    pub(super) store: Store<HostState>,
    pub(super) instance: B,
}

/// A bounded stack of idle instances.
pub(super) struct Idle<B>(Mutex<Vec<Warm<B>>>);

impl<B> Idle<B> {
    pub(super) fn new() -> Idle<B> {
        Idle(Mutex::new(Vec::new()))
    }

    /// An idle instance that last ran on model view `generation`, if there is one.
    pub(super) fn take(&self, generation: u64) -> Option<Warm<B>> {
        let mut idle = self.0.lock().unwrap_or_else(|p| p.into_inner());
        idle.retain(|w| w.store.data().generation() == generation);
        idle.pop()
    }

    /// How many are kept now.
    pub(super) fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Keeps `warm` for the next call, unless enough are kept already.
    pub(super) fn park(&self, warm: Warm<B>) {
        let mut idle = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(warm);
        }
    }
}
