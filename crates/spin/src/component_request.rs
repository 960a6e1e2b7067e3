//! What both HTTP triggers do to hand a request to a component and to give it
//! its files: read the whole body within its limits, make the request target
//! absolute (wasi:http wants one; hyper gives origin-form), check that the
//! manifest's `files` folders exist, and mount them read-only.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder};

/// The whole body, at most `limit` bytes (`limit_name` in the 413's
/// message), within `deadline` (else 408); 400 for a broken one.
pub async fn read_body(body: Incoming, limit: usize, limit_name: &str, deadline: Duration) -> Result<Bytes, (u16, String)> {
    match tokio::time::timeout(deadline, Limited::new(body, limit).collect()).await {
        Err(_) => Err((408, format!("the request body did not arrive within {} s (body_timeout_s)", deadline.as_secs()))),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err((413, format!("the request body is over {limit_name}"))),
        Ok(Err(e)) => Err((400, format!("cannot read the request body: {e}"))),
    }
}

/// Reads and discards a refused request's body when it is small, so the
/// refusal reaches a client that is still sending it: answering with the
/// body unread makes the server close the connection under it, and a client
/// streaming the body (the Spin edge forwarding a POST) then saw the
/// connection closed instead of the answer. A larger or slower body is left
/// unread: the answer goes out and the connection closes.
pub async fn drain_small_body(body: Incoming) {
    const SMALL: usize = 64 << 10;
    let _ = tokio::time::timeout(Duration::from_secs(1), Limited::new(body, SMALL).collect()).await;
}

/// Sets `parts.uri` to `http://<Host><path and query>` and returns it as text.
pub fn make_uri_absolute(parts: &mut http::request::Parts) -> Result<String, (u16, String)> {
    let host = parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let pq = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let full = format!("http://{host}{pq}");
    parts.uri = full.parse().map_err(|e| (400, format!("bad request target: {e}")))?;
    Ok(full)
}

/// Refuses at start a `files` mount whose host folder is missing.
pub fn check_folders(id: &str, files: &[(PathBuf, String)]) -> anyhow::Result<()> {
    for (dir, _) in files {
        if !dir.is_dir() {
            anyhow::bail!("component {id}: files: {} is not a folder", dir.display());
        }
    }
    Ok(())
}

/// WASI for one request: nothing granted but `files` (host folder, guest path), read-only.
pub fn wasi_with_files(files: &[(PathBuf, String)]) -> anyhow::Result<WasiCtx> {
    let mut wasi = WasiCtxBuilder::new();
    for (dir, guest) in files {
        wasi.preopened_dir(dir, guest, FsPerms::ReadOnly)?;
    }
    Ok(wasi.build())
}
