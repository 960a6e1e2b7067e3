//! `glint gateway`: audits an unmodified Gradio app from in front of it.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;

use glint::gateway::{Gateway, GatewayOptions};
use glint::live::Live;
use glint::spin::SpinManifest;
use glint::store::Store;
use glint::{Config, Glint};

#[derive(Args)]
pub struct GatewayArgs {
    /// The Gradio app to protect, e.g. http://127.0.0.1:7860.
    #[arg(long)]
    upstream: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7870")]
    listen: String,
    /// The manifest whose [application.tool.glint.audit] policy applies (and whose
    /// database holds the audit log).
    #[arg(long, default_value = "spin.toml")]
    manifest: PathBuf,
    /// The audit log's database (default: the manifest's, else .glint/glint.db).
    #[arg(long)]
    database: Option<String>,
    /// Largest request body in bytes (uploads included).
    #[arg(long, default_value_t = 25 << 20)]
    max_body_bytes: usize,
    /// Seconds to wait for the app's response headers.
    #[arg(long, default_value_t = 60)]
    upstream_timeout_s: u64,
    /// Seconds an event stream may stay silent before the gateway closes it.
    #[arg(long, default_value_t = 120)]
    idle_timeout_s: u64,
}

pub fn run(mut config: Config, args: GatewayArgs) -> anyhow::Result<()> {
    let path = if args.manifest.is_absolute() { args.manifest.clone() } else { config.home.join(&args.manifest) };
    let manifest = SpinManifest::load(&path)?;
    let settings = manifest.glint;
    match settings.audit {
        Some(policy) => config.audit = Some(policy),
        None => anyhow::bail!(
            "{} has no [application.tool.glint.audit]: the gateway exists to audit, give it a policy (see the README)",
            path.display()
        ),
    }
    let mut options = GatewayOptions::new(&args.upstream);
    options.max_body_bytes = args.max_body_bytes;
    options.upstream_timeout = std::time::Duration::from_secs(args.upstream_timeout_s.max(1));
    options.idle_timeout = std::time::Duration::from_secs(args.idle_timeout_s.max(1));
    options.metrics_token = std::env::var("GLINT_METRICS_TOKEN").ok().filter(|t| !t.is_empty());
    options.admin_token = std::env::var("GLINT_ADMIN_TOKEN").ok().filter(|t| !t.is_empty());
    options.server = settings.server;
    let live_settings = settings.live.clone();
    let database = args.database.or(settings.database).unwrap_or_else(|| super::up::DEFAULT_DATABASE.into());
    let glint = Arc::new(Glint::open(config)?);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let store = Store::open(&database, &glint.config.home).await?;
        let live = Arc::new(Live::new(glint.clone(), store.clone(), live_settings.clone()));
        let _watcher = if live_settings.watch { Some(glint::live::watch::start(live.clone())?) } else { None };
        let gateway = Gateway::new(glint, live, store, options)?;
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        // The first line of stdout is the address: scripts and tests read it.
        println!("glint: gateway on http://{} auditing {}", listener.local_addr()?, args.upstream);
        gateway.serve(listener, glint::serve::stop_signal()).await
    })
}
