//! The gateway's response body: a boxed body over upstream bytes, fixed
//! bytes, or frames pushed through a bounded channel (rewritten event
//! streams), with one error type.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::{Body, Frame};
use tokio::sync::mpsc;

pub type GatewayBody = BoxBody<Bytes, std::io::Error>;
pub type Response = hyper::Response<GatewayBody>;

pub fn full(bytes: impl Into<Bytes>) -> GatewayBody {
    http_body_util::Full::new(bytes.into()).map_err(|e| match e {}).boxed()
}

/// An upstream body passed through as it streams.
pub fn streamed(body: hyper::body::Incoming) -> GatewayBody {
    body.map_err(std::io::Error::other).boxed()
}

/// A body fed by `tx`; it ends when every sender is dropped.
pub fn channel(capacity: usize) -> (mpsc::Sender<Bytes>, GatewayBody) {
    let (tx, rx) = mpsc::channel(capacity);
    (tx, ChannelBody { rx }.boxed())
}

struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.rx.poll_recv(cx).map(|chunk| chunk.map(|b| Ok(Frame::data(b))))
    }
}

/// A JSON response.
pub fn json(status: u16, value: &serde_json::Value) -> Response {
    hyper::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(full(value.to_string()))
        .expect("valid response")
}

/// An error the way FastAPI (under Gradio) words it: `{"detail": …}`.
pub fn detail(status: u16, message: &str) -> Response {
    json(status, &serde_json::json!({ "detail": message }))
}
