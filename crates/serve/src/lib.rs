//! The HTTP/1 accept loop `glint up` and `glint gateway` share: one task per
//! connection, no Nagle delay (event streams write many small pieces), and
//! limits against hostile clients: a bounded number of open connections (one
//! over it is closed at once), a deadline on each request's headers (slow or
//! idle clients are dropped), a cap on the size of the headers (431), and a
//! graceful stop: on the signal it accepts no more connections, lets the
//! requests in flight finish (kept-alive connections close after their
//! current request) for up to `shutdown_timeout_s`, then returns.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Deserialize;

/// `[application.tool.glint.server]`: limits on connections and requests.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerLimits {
    /// Connections open at once; one more is closed as soon as it is accepted.
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers (and an idle
    /// kept-alive connection to start its next request).
    pub header_timeout_s: u64,
    /// Seconds a client has to send a request's whole body.
    pub body_timeout_s: u64,
    /// Largest request head (request line and headers) in bytes; more gets 431.
    pub max_header_bytes: usize,
    /// Seconds the requests in flight get to finish after a stop signal.
    pub shutdown_timeout_s: u64,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits { max_connections: 512, header_timeout_s: 10, body_timeout_s: 60, max_header_bytes: 64 << 10, shutdown_timeout_s: 30 }
    }
}

impl ServerLimits {
    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_s.max(1))
    }
}

/// Serves `listener` with `handle(service, request, peer)` until `shutdown` resolves.
pub async fn serve<S, B, F>(
    service: Arc<S>,
    listener: tokio::net::TcpListener,
    limits: ServerLimits,
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
    let max = limits.max_connections.clamp(1, 1_000_000);
    let open = Arc::new(tokio::sync::Semaphore::new(max));
    // Tells every connection to finish its request in flight and close.
    let (stopping, stop_seen) = tokio::sync::watch::channel(false);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait a moment rather than stop serving.
                Err(e) => {
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = open.clone().try_acquire_owned() else {
            tracing::debug!("connection from {peer} closed: {} connections are open (max_connections)", limits.max_connections);
            drop(stream);
            continue;
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("connection from {peer}: TCP_NODELAY: {e}");
        }
        let service = service.clone();
        let mut stop_seen = stop_seen.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let response = handle(service.clone(), req, peer);
                async move { Ok::<_, Infallible>(response.await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(limits.header_timeout_s.max(1)))
                .max_buf_size(limits.max_header_bytes.max(8192))
                .serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            let finished = tokio::select! {
                r = conn.as_mut() => r,
                _ = stop_seen.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = finished {
                tracing::debug!("connection from {peer}: {e}");
            }
            drop(slot);
        });
    }
    // Stop: no more connections; those open finish their request in flight.
    drop(listener);
    let _ = stopping.send(true);
    let deadline = Duration::from_secs(limits.shutdown_timeout_s);
    let in_flight = max - open.available_permits();
    match tokio::time::timeout(deadline, open.acquire_many(max as u32)).await {
        Ok(_) => tracing::info!("stopped: {in_flight} open connections finished"),
        Err(_) => tracing::warn!("stopped with requests still running after {} s (shutdown_timeout_s)", deadline.as_secs()),
    }
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM, saying which.
pub async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => eprintln!("glint: stopping (interrupt): finishing the requests in flight"),
        () = term => eprintln!("glint: stopping (SIGTERM): finishing the requests in flight"),
    }
}
