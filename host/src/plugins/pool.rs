//! Idle plugin instances kept for reuse: they keep the plugin's caches
//! (tokenizer, label embeddings, compiled word lists) between calls; glint's
//! plugins keep no request data. A trapped instance is never put back.

use std::sync::Mutex;

/// Idle instances kept per plugin and world.
const MAX_IDLE: usize = 4;

/// A bounded stack of idle instances.
pub(super) struct Idle<W>(Mutex<Vec<W>>);

impl<W> Idle<W> {
    pub(super) fn new() -> Idle<W> {
        Idle(Mutex::new(Vec::new()))
    }

    /// An idle instance, if there is one.
    pub(super) fn take(&self) -> Option<W> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    /// Keeps `warm` for the next call, unless enough are kept already.
    pub(super) fn park(&self, warm: W) {
        let mut idle = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(warm);
        }
    }
}
