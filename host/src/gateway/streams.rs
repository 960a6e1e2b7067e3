//! Rewriting Gradio's event streams on their way to the client: events that
//! carry outputs are audited before they are forwarded, everything else
//! (heartbeats, estimations, progress) passes at once. A block, a malformed
//! or oversized event, an upstream that goes silent, or one that ends in
//! the middle of an event ends the stream with an error the client's Gradio
//! code shows.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::sync::mpsc;

use super::Gateway;
use super::gradio::queue_error;
use super::sse::{self, Event, SseParser};
use crate::store::AuditContext;

/// Which protocol a stream speaks.
#[derive(Clone, Copy)]
pub enum Flavor {
    /// `GET …/call/<api>/<id>`: `event: generating|complete|error|heartbeat`, data = outputs.
    Call,
    /// `GET …/queue/data`: `data: {"msg": …}` messages.
    Queue,
}

/// What to do with one event.
enum Step {
    Forward(Vec<u8>),
    /// Forward these bytes, then end the stream.
    End(Vec<u8>),
}

/// The error event of `flavor` for `message` (`event_id` for the queue).
pub fn error_event(flavor: Flavor, event_id: &str, message: &str) -> Vec<u8> {
    match flavor {
        Flavor::Call => sse::format(Some("error"), &Value::String(message.to_string()).to_string()),
        Flavor::Queue => sse::format(None, &queue_error(event_id, message).to_string()),
    }
}

impl Gateway {
    /// Pumps `upstream` into `tx`, rewriting as it goes. `first` is sent before
    /// anything else (answers owed for blocked queue calls).
    pub(super) async fn pump(
        self: Arc<Self>,
        flavor: Flavor,
        first: Vec<Vec<u8>>,
        upstream: Option<hyper::body::Incoming>,
        prefix: String,
        cx: AuditContext,
        tx: mpsc::Sender<Bytes>,
    ) {
        let stall = self.options.client_stall;
        let send = |bytes: Vec<u8>| {
            let tx = tx.clone();
            async move { tx.send_timeout(Bytes::from(bytes), stall).await.is_ok() }
        };
        for bytes in first {
            if !send(bytes).await {
                return;
            }
        }
        let Some(mut body) = upstream else { return };
        let mut parser = SseParser::new(self.options.max_event_bytes);
        let idle = self.options.idle_timeout;
        loop {
            let frame = match tokio::time::timeout(idle, body.frame()).await {
                Err(_) => {
                    let m = format!("the Gradio app sent nothing for {} s; the gateway closed the stream", idle.as_secs());
                    send(error_event(flavor, "", &m)).await;
                    return;
                }
                Ok(None) => {
                    if parser.pending() > 0 {
                        send(error_event(flavor, "", "the Gradio app's event stream ended in the middle of an event")).await;
                    }
                    return;
                }
                Ok(Some(Err(e))) => {
                    send(error_event(flavor, "", &format!("the Gradio app's event stream broke: {e}"))).await;
                    return;
                }
                Ok(Some(Ok(frame))) => frame,
            };
            let Ok(data) = frame.into_data() else { continue };
            let events = match parser.push(&data) {
                Ok(events) => events,
                Err(m) => {
                    send(error_event(flavor, "", &m)).await;
                    return;
                }
            };
            for event in events {
                let step = self.step(flavor, event, &prefix, &cx).await;
                let (bytes, end) = match step {
                    Step::Forward(b) => (b, false),
                    Step::End(b) => (b, true),
                };
                if !send(bytes).await || end {
                    return;
                }
            }
        }
    }

    async fn step(&self, flavor: Flavor, event: Event, prefix: &str, cx: &AuditContext) -> Step {
        let (outputs, event_id) = match flavor {
            Flavor::Call => match event.event.as_deref() {
                Some("generating" | "complete") => match serde_json::from_str::<Value>(&event.data) {
                    Ok(v) => (v, String::new()),
                    Err(e) => return Step::End(error_event(flavor, "", &format!("the Gradio app sent a malformed event: {e}"))),
                },
                _ => return Step::Forward(event.raw),
            },
            Flavor::Queue => {
                let Ok(msg) = serde_json::from_str::<Value>(&event.data) else {
                    return Step::End(error_event(flavor, "", "the Gradio app sent a malformed queue message"));
                };
                let kind = msg["msg"].as_str().unwrap_or("");
                let success = msg["success"].as_bool().unwrap_or(true);
                if !matches!(kind, "process_generating" | "process_completed") || !success {
                    return Step::Forward(event.raw);
                }
                (msg["output"]["data"].clone(), msg["event_id"].as_str().unwrap_or("").to_string())
            }
        };
        let blocked = self.audit_data("output", &outputs, prefix, cx).await;
        match blocked {
            None => Step::Forward(event.raw),
            Some(message) => {
                let bytes = error_event(flavor, &event_id, &message);
                match flavor {
                    // The queue stream serves other calls of the session too.
                    Flavor::Queue => Step::Forward(bytes),
                    Flavor::Call => Step::End(bytes),
                }
            }
        }
    }
}
