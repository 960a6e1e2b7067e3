//! What the gateway remembers between requests: files it audited (uploads
//! and outputs, which may come back as inputs), files it withheld, and the
//! answers owed for calls it stopped before the upstream saw them.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;

/// Audited and withheld file paths, bounded.
pub struct FileLedger {
    audited: Mutex<LruCache<String, ()>>,
    withheld: Mutex<LruCache<String, ()>>,
}

impl FileLedger {
    pub fn new(capacity: usize) -> FileLedger {
        let n = NonZeroUsize::new(capacity.max(1)).expect("at least 1");
        FileLedger { audited: Mutex::new(LruCache::new(n)), withheld: Mutex::new(LruCache::new(n)) }
    }

    pub fn mark_audited(&self, path: &str) {
        self.audited.lock().unwrap_or_else(|p| p.into_inner()).put(path.to_string(), ());
    }

    pub fn was_audited(&self, path: &str) -> bool {
        self.audited.lock().unwrap_or_else(|p| p.into_inner()).get(path).is_some()
    }

    pub fn withhold(&self, path: &str) {
        self.withheld.lock().unwrap_or_else(|p| p.into_inner()).put(path.to_string(), ());
    }

    pub fn is_withheld(&self, path: &str) -> bool {
        self.withheld.lock().unwrap_or_else(|p| p.into_inner()).get(path).is_some()
    }
}

/// Answers owed to clients whose call was blocked before the upstream saw it.
#[derive(Default)]
pub struct Owed {
    /// Call API: event id → the block message its stream must carry.
    calls: Mutex<HashMap<String, String>>,
    /// Queue: session hash → queue messages to put into its data stream.
    queue: Mutex<HashMap<String, Vec<serde_json::Value>>>,
}

/// At most this many owed answers are kept. Clients fetch theirs within
/// seconds, so at the cap the table is simply emptied before the new one.
const MAX_OWED: usize = 10_000;

impl Owed {
    pub fn owe_call(&self, event_id: &str, message: &str) {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        if calls.len() >= MAX_OWED {
            calls.clear();
        }
        calls.insert(event_id.to_string(), message.to_string());
    }

    pub fn take_call(&self, event_id: &str) -> Option<String> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).remove(event_id)
    }

    pub fn owe_queue(&self, session_hash: &str, message: serde_json::Value) {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if queue.len() >= MAX_OWED {
            queue.clear();
        }
        queue.entry(session_hash.to_string()).or_default().push(message);
    }

    pub fn take_queue(&self, session_hash: &str) -> Vec<serde_json::Value> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).remove(session_hash).unwrap_or_default()
    }
}
