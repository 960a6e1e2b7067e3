//! The HTTP/1 accept loop `glint up` and `glint gateway` share: one task per
//! connection, no Nagle delay (event streams write many small pieces), a
//! deadline on reading request headers, and a stop signal.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};

/// Serves `listener` with `handle(service, request, peer)` until `shutdown` resolves.
pub async fn serve<S, B, F>(
    service: Arc<S>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()>,
    handle: fn(Arc<S>, hyper::Request<Incoming>, SocketAddr) -> F,
) -> anyhow::Result<()>
where
    S: Send + Sync + 'static,
    F: Future<Output = hyper::Response<B>> + Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => return Ok(()),
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("connection from {peer}: TCP_NODELAY: {e}");
        }
        let service = service.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let response = handle(service.clone(), req, peer);
                async move { Ok::<_, Infallible>(response.await) }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30))
                .serve_connection(TokioIo::new(stream), svc)
                .await
            {
                tracing::debug!("connection from {peer}: {e}");
            }
        });
    }
}
