//! `glint plugins install|rollback|check` and `glint models reload`: live
//! changes against a running `glint up` (or `glint gateway`, with
//! `--server http://HOST:PORT/glint`) through its admin API, with the bearer
//! token the server was started with in `$GLINT_ADMIN_TOKEN`; and `check`,
//! which runs the same checks and canary here without changing anything.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use bytes::Bytes;
use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use glint::{Config, Glint};

/// Where the server is and how to prove being its admin.
#[derive(Args, Clone)]
pub struct Remote {
    /// The running server (default: http:// + spin.toml's listen address).
    #[arg(long)]
    server: Option<String>,
    /// The admin bearer token (default: $GLINT_ADMIN_TOKEN; the server needs the same).
    #[arg(long)]
    token: Option<String>,
}

#[derive(Args)]
pub struct InstallArgs {
    /// The component to install.
    file: PathBuf,
    /// The plugin's name (default: the file name without .wasm).
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    remote: Remote,
}

#[derive(Args)]
pub struct CheckArgs {
    /// The component to check.
    file: PathBuf,
    /// The name it would be installed as (default: the file name without .wasm).
    #[arg(long)]
    name: Option<String>,
}

pub fn install(config: &Config, args: InstallArgs) -> anyhow::Result<()> {
    let name = args.name.clone().map_or_else(|| stem(&args.file), Ok)?;
    let wasm = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    report(call(config, &args.remote, "PUT", &format!("/api/admin/plugins/{name}"), wasm)?)
}

pub fn rollback(config: &Config, name: &str, remote: &Remote) -> anyhow::Result<()> {
    report(call(config, remote, "POST", &format!("/api/admin/plugins/{name}/rollback"), Vec::new())?)
}

pub fn reload(config: &Config, version: Option<&str>, remote: &Remote) -> anyhow::Result<()> {
    let path = match version {
        Some(v) => format!("/api/admin/models/{v}/reload"),
        None => "/api/admin/models/reload".into(),
    };
    report(call(config, remote, "POST", &path, Vec::new())?)
}

/// Runs the checks and the canary a live install would, here; prints what
/// the component imports and exports, and why it would be refused.
pub fn check(config: Config, args: CheckArgs) -> anyhow::Result<()> {
    let name = args.name.clone().map_or_else(|| stem(&args.file), Ok)?;
    let wasm = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let glint = Arc::new(Glint::open(config)?);
    match glint::live::check(&glint, &name, &wasm) {
        Ok((plugin, steps)) => {
            let i = &plugin.info;
            println!("{name}: would be accepted ({})", glint::live::world_name(i.world));
            println!("  sha256   {}", i.sha256);
            println!("  exports  {}", i.exports.join(", "));
            println!("  imports  {}", if i.imports.is_empty() { "nothing".to_string() } else { i.imports.join(", ") });
            println!("  steps    {}", serde_json::to_string(&steps)?);
            Ok(())
        }
        Err((e, _)) => Err(glint::GlintError::new(glint::ErrorKind::Plugin, format!("{name}: would be refused at step {}: {}", e.step, e.reason)).into()),
    }
}

fn stem(file: &std::path::Path) -> anyhow::Result<String> {
    file.file_stem().map(|s| s.to_string_lossy().into_owned()).ok_or_else(|| anyhow!("{}: not a file name", file.display()))
}

/// Prints the server's answer; an error status is the command's error.
fn report((status, body): (u16, serde_json::Value)) -> anyhow::Result<()> {
    if (200..300).contains(&status) {
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(());
    }
    let message = body["error"]["message"].as_str().map(str::to_string).unwrap_or_else(|| body.to_string());
    let kind = if status == 422 { glint::ErrorKind::Plugin } else { glint::ErrorKind::InvalidInput };
    Err(glint::GlintError::new(kind, format!("the server answered {status}: {message}")).into())
}

fn call(config: &Config, remote: &Remote, method: &str, path: &str, body: Vec<u8>) -> anyhow::Result<(u16, serde_json::Value)> {
    let token = remote.token.clone().or_else(|| std::env::var("GLINT_ADMIN_TOKEN").ok()).filter(|t| !t.is_empty()).ok_or_else(|| {
        anyhow!("give --token or set GLINT_ADMIN_TOKEN: the server must have been started with the same GLINT_ADMIN_TOKEN")
    })?;
    let server = match &remote.server {
        Some(s) => s.trim_end_matches('/').to_string(),
        None => format!("http://{}", default_listen(config)),
    };
    if !server.starts_with("http://") {
        bail!("--server must be an http:// URL (put a TLS proxy's plain-HTTP side here), not {server:?}");
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let send = |method: &str, path: &str, body: Vec<u8>| {
            let request = hyper::Request::builder()
                .method(method)
                .uri(format!("{server}{path}"))
                .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
                .header(http::header::CONTENT_TYPE, "application/wasm")
                .body(Full::new(Bytes::from(body)));
            let client = client.clone();
            let server = server.clone();
            async move {
                let response = client.request(request?).await.with_context(|| format!("cannot reach {server} (is glint up running there?)"))?;
                let status = response.status().as_u16();
                let bytes = response.into_body().collect().await?.to_bytes();
                let json = serde_json::from_slice(&bytes)
                    .unwrap_or_else(|_| serde_json::json!({ "error": { "message": String::from_utf8_lossy(&bytes) } }));
                anyhow::Ok((status, json))
            }
        };
        // A server that refuses the token answers before reading a body: ask
        // it first, cheaply, rather than upload a component to a closed door.
        if method != "GET" {
            let (status, json) = send("GET", "/api/admin/plugins", Vec::new()).await?;
            if status != 200 {
                return Ok((status, json));
            }
        }
        send(method, path, body).await
    })
}

/// spin.toml's listen address, else glint up's default.
fn default_listen(config: &Config) -> String {
    glint::spin::SpinManifest::load(&config.home.join("spin.toml"))
        .ok()
        .and_then(|m| m.glint.listen)
        .unwrap_or_else(|| "127.0.0.1:8080".into())
}
