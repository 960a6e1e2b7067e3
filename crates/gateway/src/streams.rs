//! Rewriting Gradio's event streams on their way to the client. Messages
//! that carry outputs go through the call's [`OutputStream`]: the value the
//! client would rebuild is audited (only what is new, plus a seam), texts
//! still streaming are held back at their unfinished end, and the client
//! gets the edits to what passed. Everything else (heartbeats, estimations,
//! progress) passes at once. A block ends that call with Gradio's error
//! message and drops the rest of it. On the queue stream the message takes
//! the place of the call's own completion (the app is asked to stop the call
//! at once, see [`super::stop`]): answered earlier, a client would submit its
//! next call while the app is about to close the session's stream, and
//! gradio_client then cancels that next call. A malformed or oversized
//! event, an upstream that goes silent or ends in the middle of an event
//! ends the stream with an error the client's Gradio code shows. Each
//! call's decisions are logged once, as one summary per check, when it ends.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::sync::mpsc;

use super::Gateway;
use super::gradio::{close_stream, queue_error};
use super::outputs::OutputStream;
use super::sse::{self, Event, SseParser};
use glint_audit::Decision;
use glint_store::AuditContext;

/// Which protocol a stream speaks.
#[derive(Clone, Copy)]
pub enum Flavor {
    /// `GET …/call/<api>/<id>`: `event: generating|complete|error|heartbeat`,
    /// data = whole outputs every time.
    Call,
    /// `GET …/queue/data`: `data: {"msg": …}` messages of every call of a
    /// session; `process_generating` carries edits from its second message on.
    Queue,
}

/// What a stream's outputs need besides themselves.
pub struct StreamContext {
    /// `/gradio_api` or `` (Gradio 4 has no prefix).
    pub prefix: String,
    /// The authorities (`host:port`) that mean the app itself: the
    /// upstream's, and the ones the client reaches the gateway by.
    pub ours: Vec<String>,
    pub cx: AuditContext,
}

/// What to do with one event.
enum Step {
    Forward(Vec<u8>),
    /// Nothing the client needs yet.
    Skip,
    /// Forward these bytes, then end the stream.
    End(Vec<u8>),
    /// The app's stream cannot be read on: it ends as a broken one.
    Broken(String),
}

/// The error event of `flavor` for `message` (`event_id` for the queue).
pub fn error_event(flavor: Flavor, event_id: &str, message: &str) -> Vec<u8> {
    match flavor {
        Flavor::Call => sse::format(Some("error"), &Value::String(message.to_string()).to_string()),
        Flavor::Queue => sse::format(None, &queue_error(event_id, message).to_string()),
    }
}

/// The calls one stream carries.
#[derive(Default)]
struct Calls {
    /// In progress, by event id (the call API's one call under "").
    open: HashMap<String, OutputStream>,
    /// Blocked queue calls whose error event waits for the app's end of the call.
    held: HashMap<String, Vec<u8>>,
}

impl Gateway {
    /// Pumps `upstream` into `tx`, rewriting as it goes. `first` is sent before
    /// anything else (answers owed for blocked queue calls).
    pub(super) async fn pump(
        self: Arc<Self>,
        flavor: Flavor,
        first: Vec<Vec<u8>>,
        upstream: Option<hyper::body::Incoming>,
        sc: StreamContext,
        tx: mpsc::Sender<Bytes>,
    ) {
        let mut calls = Calls::default();
        self.pump_events(flavor, first, upstream, &sc, &tx, &mut calls).await;
        // Calls the stream ended in the middle of: what was decided is logged all the same.
        for (_, mut call) in calls.open {
            self.log_call(&sc.cx, &mut call).await;
        }
    }

    async fn pump_events(
        self: &Arc<Self>,
        flavor: Flavor,
        first: Vec<Vec<u8>>,
        upstream: Option<hyper::body::Incoming>,
        sc: &StreamContext,
        tx: &mpsc::Sender<Bytes>,
        calls: &mut Calls,
    ) {
        let stall = self.options.client_stall;
        let send = |bytes: Vec<u8>| async move { tx.send_timeout(Bytes::from(bytes), stall).await.is_ok() };
        for bytes in first {
            if !send(bytes).await {
                return;
            }
        }
        let Some(mut body) = upstream else { return };
        let mut parser = SseParser::new(self.options.max_event_bytes);
        let idle = self.options.idle_timeout;
        // Why the app's stream ended early: the client is told, after the blocks it is owed.
        let broken: Option<String> = 'events: loop {
            let frame = match tokio::time::timeout(idle, body.frame()).await {
                Err(_) => break Some(format!("the Gradio app sent nothing for {} s; the gateway closed the stream", idle.as_secs())),
                Ok(None) if parser.pending() > 0 => break Some("the Gradio app's event stream ended in the middle of an event".into()),
                Ok(None) => break None,
                Ok(Some(Err(e))) => break Some(format!("the Gradio app's event stream broke: {e}")),
                Ok(Some(Ok(frame))) => frame,
            };
            let Ok(data) = frame.into_data() else { continue };
            let events = match parser.push(&data) {
                Ok(events) => events,
                Err(m) => break Some(m),
            };
            for event in events {
                let step = match flavor {
                    Flavor::Call => self.call_step(event, sc, calls.open.entry(String::new()).or_default()).await,
                    Flavor::Queue => self.queue_step(event, sc, calls).await,
                };
                let (bytes, end) = match step {
                    Step::Forward(b) => (b, false),
                    Step::Skip => continue,
                    Step::End(b) => (b, true),
                    Step::Broken(message) => break 'events Some(message),
                };
                if !send(bytes).await {
                    return;
                }
                if end {
                    break 'events None;
                }
            }
        };
        let mut last = self.release_held(calls);
        if let Some(message) = broken {
            tracing::warn!("the Gradio app's event stream ended early: {message}");
            last.extend(self.broken_stream_events(flavor, &message, sc, calls));
        }
        if !last.is_empty() {
            send(last).await;
        }
    }

    /// One event of the call API's stream (whole outputs in every event).
    async fn call_step(&self, event: Event, sc: &StreamContext, call: &mut OutputStream) -> Step {
        let finished = match event.event.as_deref() {
            Some("generating") => false,
            Some("complete") => true,
            _ => return Step::Forward(event.raw),
        };
        let data: Value = match serde_json::from_str(&event.data) {
            Ok(v) => v,
            Err(e) => return Step::End(error_event(Flavor::Call, "", &format!("the Gradio app sent a malformed event: {e}"))),
        };
        let result = self.advance(call, &data, false, finished, false, sc).await;
        if finished || result.is_err() {
            self.log_call(&sc.cx, call).await;
        }
        match result {
            Ok(Some(out)) if out != data || !finished => {
                let name = if finished { "complete" } else { "generating" };
                Step::Forward(sse::format(Some(name), &out.to_string()))
            }
            Ok(Some(_)) => Step::Forward(event.raw),
            Ok(None) => Step::Skip,
            Err(message) => Step::End(error_event(Flavor::Call, "", &message)),
        }
    }

    /// What the client gets when the app's stream breaks: the call API its
    /// error event; the queue an error for each call of the session still
    /// pending (gradio_client fails on an error naming no call it waits
    /// for), then `close_stream`, so its next call opens a new stream.
    fn broken_stream_events(&self, flavor: Flavor, message: &str, sc: &StreamContext, calls: &Calls) -> Vec<u8> {
        if let Flavor::Call = flavor {
            return error_event(flavor, "", message);
        }
        let mut pending = self.queue_calls.take_session(&sc.cx.session_id);
        pending.extend(calls.open.keys().filter(|id| !id.is_empty()).cloned());
        pending.sort();
        pending.dedup();
        let mut out = Vec::new();
        for event_id in pending.iter().filter(|id| !self.queue_calls.was_answered(id)) {
            out.extend(error_event(flavor, event_id, message));
            self.queue_calls.mark_answered(event_id);
        }
        out.extend(sse::format(None, &close_stream().to_string()));
        out
    }

    /// The held block messages, to send before the stream closes; their calls count as answered.
    fn release_held(&self, calls: &mut Calls) -> Vec<u8> {
        let mut out = Vec::new();
        for (event_id, bytes) in calls.held.drain() {
            out.extend(bytes);
            self.queue_calls.mark_answered(&event_id);
        }
        out
    }

    /// One message of the queue stream, which carries every call of a session.
    async fn queue_step(self: &Arc<Self>, event: Event, sc: &StreamContext, calls: &mut Calls) -> Step {
        let Ok(mut msg) = serde_json::from_str::<Value>(&event.data) else {
            tracing::warn!(data = %event.data.chars().take(200).collect::<String>(), "the Gradio app sent a queue message that is not JSON");
            return Step::Broken("the Gradio app sent a malformed queue message".into());
        };
        let kind = msg["msg"].as_str().unwrap_or("").to_string();
        let success = msg["success"].as_bool().unwrap_or(true);
        let event_id = msg["event_id"].as_str().unwrap_or("").to_string();
        if kind == "close_stream" {
            // The app has no call left in this session: the blocked ones are answered first.
            let mut out = self.release_held(calls);
            out.extend(event.raw);
            return Step::Forward(out);
        }
        if kind == "process_completed" {
            self.queue_calls.complete(&event_id);
            if let Some(error) = calls.held.remove(&event_id) {
                self.queue_calls.mark_answered(&event_id);
                return Step::Forward(error);
            }
        }
        if calls.held.contains_key(&event_id) || self.queue_calls.was_answered(&event_id) {
            return Step::Skip;
        }
        let finished = match kind.as_str() {
            "process_generating" | "process_streaming" if success => false,
            "process_completed" => true,
            _ => return Step::Forward(event.raw),
        };
        let mut call = calls.open.remove(&event_id).unwrap_or_default();
        if !success {
            self.log_call(&sc.cx, &mut call).await;
            return Step::Forward(event.raw);
        }
        let data = msg["output"]["data"].take();
        let edits = !finished && call.upstream().is_some();
        let result = self.advance(&mut call, &data, edits, finished, !finished, sc).await;
        if finished || result.is_err() {
            self.log_call(&sc.cx, &mut call).await;
        }
        if !finished && result.is_ok() {
            calls.open.insert(event_id.clone(), call);
        }
        match result {
            Ok(Some(out)) if out != data || !finished => {
                msg["output"]["data"] = out;
                Step::Forward(sse::format(None, &msg.to_string()))
            }
            Ok(Some(_)) => Step::Forward(event.raw),
            Ok(None) => Step::Skip,
            Err(message) if finished => {
                self.queue_calls.mark_answered(&event_id);
                Step::Forward(error_event(Flavor::Queue, &event_id, &message))
            }
            Err(message) => {
                calls.held.insert(event_id.clone(), error_event(Flavor::Queue, &event_id, &message));
                self.stop_upstream_call(&sc.prefix, &event_id);
                Step::Skip
            }
        }
    }

    /// Takes one message's `data` into `call`, audits what is new, and
    /// answers what the client gets (`None`: nothing yet) or the block
    /// message. `edits`: `data` holds Gradio's edits; `send_edits`: answer
    /// edits against what was sent; `finished`: the call's last message.
    pub(super) async fn advance(
        &self,
        call: &mut OutputStream,
        data: &Value,
        edits: bool,
        finished: bool,
        send_edits: bool,
        sc: &StreamContext,
    ) -> Result<Option<Value>, String> {
        call.absorb(data, edits).map_err(|e| format!("the Gradio app sent a streamed update the gateway cannot apply: {e}"))?;
        let hold = self.hold_chars();
        let mut plan = call.plan(finished, hold);
        let mut gathered = self.gather(std::mem::take(&mut plan.collected), &sc.prefix).await?;
        let resources = self.gather_resources(&plan.urls, &mut gathered, sc).await;
        if !gathered.is_empty() {
            let files = gathered.files.clone();
            let (decisions, blocked) = self.run_checks("output", gathered, finished).await;
            call.decisions.extend(decisions);
            self.settle_files(&files, blocked.is_some());
            if let Some(message) = blocked {
                return Err(message);
            }
        }
        call.commit(std::mem::take(&mut plan.audited), resources);
        Ok(call.release(finished, hold, send_edits))
    }

    /// Logs a call's decisions as one summary per check.
    pub(super) async fn log_call(&self, cx: &AuditContext, call: &mut OutputStream) {
        self.log(cx, Decision::summarise(std::mem::take(&mut call.decisions))).await;
    }

    fn hold_chars(&self) -> usize {
        self.glint.audit.as_ref().map_or(0, |a| a.policy.gateway.hold_chars)
    }
}
