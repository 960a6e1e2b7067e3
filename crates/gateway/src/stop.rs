//! Stopping a queue call upstream once its outputs are blocked, so the app
//! does not go on generating what nobody will see. Gradio's `…/cancel`
//! takes the session, the function and the event, and cancels every
//! running call of that function in that session; the gateway therefore
//! remembers which calls it joined and asks for a cancel only when the
//! blocked call is the session's one live call of its function.
//!
//! Only Gradio 5 (the apps under `/gradio_api`) is asked. Gradio 4.44's
//! queue stream removes a completed event from the session unguarded, so a
//! cancelled generator's second completion aborts the session's next
//! stream; there the blocked call runs to its end unseen, and the client
//! gets the block message when it ends.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;

use super::Gateway;

/// A queue call the gateway forwarded to the app.
#[derive(Clone, Debug, PartialEq)]
struct JoinedCall {
    session_hash: String,
    fn_index: i64,
}

/// The queue calls the gateway knows of, by event id; both tables bounded.
pub struct QueueCalls {
    /// Joined through the gateway and not yet completed.
    joined: Mutex<LruCache<String, JoinedCall>>,
    /// Blocked and answered: whatever the app still sends of them, on any
    /// stream of the session (a stopped call's late messages can arrive on
    /// the client's next stream), is dropped.
    answered: Mutex<LruCache<String, ()>>,
}

impl QueueCalls {
    pub fn new(capacity: usize) -> QueueCalls {
        let n = NonZeroUsize::new(capacity.max(1)).expect("at least 1");
        QueueCalls { joined: Mutex::new(LruCache::new(n)), answered: Mutex::new(LruCache::new(n)) }
    }

    /// Remembers the app's answer to a `queue/join` (`{"event_id": …}`) for `request`'s session and function.
    pub fn record(&self, request: &serde_json::Value, answer: &[u8]) {
        let (Some(session_hash), Some(fn_index)) = (request["session_hash"].as_str(), request["fn_index"].as_i64()) else {
            return;
        };
        let Ok(answer) = serde_json::from_slice::<serde_json::Value>(answer) else { return };
        if let Some(event_id) = answer["event_id"].as_str() {
            let call = JoinedCall { session_hash: session_hash.to_string(), fn_index };
            lock(&self.joined).put(event_id.to_string(), call);
        }
    }

    /// The call ended (the app sent its `process_completed`).
    pub fn complete(&self, event_id: &str) {
        lock(&self.joined).pop(event_id);
    }

    /// The calls of `session_hash` not yet completed, forgotten.
    pub fn take_session(&self, session_hash: &str) -> Vec<String> {
        let mut joined = lock(&self.joined);
        let ids: Vec<String> = joined.iter().filter(|(_, c)| c.session_hash == session_hash).map(|(id, _)| id.clone()).collect();
        ids.iter().for_each(|id| {
            joined.pop(id);
        });
        ids
    }

    /// The client got the block message of `event_id`: the rest of the call is dropped.
    pub fn mark_answered(&self, event_id: &str) {
        lock(&self.answered).put(event_id.to_string(), ());
    }

    pub fn was_answered(&self, event_id: &str) -> bool {
        lock(&self.answered).contains(event_id)
    }

    /// `(session, fn_index)` of `event_id` if cancelling its function in its
    /// session stops that call alone; it is forgotten either way.
    fn take_if_alone(&self, event_id: &str) -> Option<JoinedCall> {
        let mut calls = lock(&self.joined);
        let call = calls.pop(event_id)?;
        let shared = calls.iter().any(|(_, other)| *other == call);
        (!shared).then_some(call)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Gateway {
    /// Asks the app to stop the blocked queue call `event_id`, in the
    /// background; the app then completes it at once, and the client gets
    /// the block message in place of that completion.
    pub(super) fn stop_upstream_call(self: &std::sync::Arc<Self>, prefix: &str, event_id: &str) {
        if prefix != "/gradio_api" {
            self.queue_calls.complete(event_id);
            return;
        }
        let Some(call) = self.queue_calls.take_if_alone(event_id) else {
            tracing::debug!(event_id, "blocked call left running upstream: not joined here, or its function has another live call in the session");
            return;
        };
        let body = serde_json::json!({ "session_hash": call.session_hash, "fn_index": call.fn_index, "event_id": event_id });
        let (gateway, path, event_id) = (self.clone(), format!("{prefix}/cancel"), event_id.to_string());
        tokio::spawn(async move {
            match gateway.upstream.post_json(&path, &body).await {
                Ok(200) => tracing::debug!(event_id, "asked the app to stop a blocked call"),
                Ok(status) => tracing::warn!(event_id, status, "the app refused to stop a blocked call; it runs to its end unseen"),
                Err(e) => tracing::warn!(event_id, "could not ask the app to stop a blocked call: {e}"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn join(joined: &QueueCalls, session: &str, fn_index: i64, event_id: &str) {
        joined.record(&json!({ "session_hash": session, "fn_index": fn_index }), json!({ "event_id": event_id }).to_string().as_bytes());
    }

    #[test]
    fn a_call_alone_in_its_function_is_stopped_once() {
        let joined = QueueCalls::new(8);
        join(&joined, "s", 1, "a");
        join(&joined, "s", 2, "b");
        join(&joined, "t", 1, "c");
        assert_eq!(joined.take_if_alone("a"), Some(JoinedCall { session_hash: "s".into(), fn_index: 1 }));
        assert_eq!(joined.take_if_alone("a"), None, "forgotten once taken");
    }

    #[test]
    fn a_call_sharing_its_function_and_session_is_left_running() {
        let joined = QueueCalls::new(8);
        join(&joined, "s", 1, "a");
        join(&joined, "s", 1, "b");
        assert_eq!(joined.take_if_alone("a"), None);
        joined.complete("b");
        join(&joined, "s", 1, "c");
        joined.complete("c");
        join(&joined, "s", 1, "d");
        assert!(joined.take_if_alone("d").is_some(), "completed calls no longer count");
    }

    #[test]
    fn malformed_joins_are_ignored() {
        let joined = QueueCalls::new(8);
        joined.record(&json!({ "session_hash": "s" }), br#"{"event_id": "a"}"#);
        joined.record(&json!({ "session_hash": "s", "fn_index": 0 }), b"not json");
        joined.record(&json!({ "session_hash": "s", "fn_index": 0 }), br#"{"detail": "queue full"}"#);
        assert_eq!(joined.take_if_alone("a"), None);
    }

    #[test]
    fn a_sessions_pending_calls_are_taken_together() {
        let joined = QueueCalls::new(8);
        join(&joined, "s", 1, "a");
        join(&joined, "t", 1, "b");
        join(&joined, "s", 2, "c");
        joined.complete("c");
        assert_eq!(joined.take_session("s"), ["a"]);
        assert!(joined.take_session("s").is_empty());
        assert_eq!(joined.take_session("t"), ["b"]);
    }

    #[test]
    fn answered_calls_are_remembered_within_the_bound() {
        let calls = QueueCalls::new(2);
        for id in ["a", "b", "c"] {
            calls.mark_answered(id);
        }
        assert!(!calls.was_answered("a") && calls.was_answered("b") && calls.was_answered("c"));
    }
}
