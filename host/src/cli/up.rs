//! `glint up`: serves the app of spin.toml.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use std::time::{Duration, Instant};

use glint::auth::Accounts;
use glint::experiments::Experiments;
use glint::live::Live;
use glint::engine::{EngineOptions, PluginEngine};
use glint::spin::{AppKind, HttpTrigger, SpinManifest, SpinOnlyTrigger};
use glint::store::Store;
use glint::{Config, Glint};

#[derive(Args)]
pub struct UpArgs {
    /// The Spin manifest (v2) describing the app.
    #[arg(long, default_value = "spin.toml")]
    manifest: PathBuf,
    /// Address to listen on (default: [application.tool.glint] listen, else
    /// 127.0.0.1:8080, or 127.0.0.1:3000 as Spin for components built for stock Spin).
    #[arg(long)]
    listen: Option<String>,
    /// The database: a sqlite file or postgres://user@host/db (default:
    /// [application.tool.glint] database, else .glint/glint.db).
    #[arg(long)]
    database: Option<String>,
}

/// The database unless --database or [application.tool.glint] database say otherwise.
pub const DEFAULT_DATABASE: &str = "sqlite://.glint/glint.db";

/// Largest request body unless [application.tool.glint.limits] max_body_bytes says otherwise.
const DEFAULT_MAX_BODY: usize = 25 << 20;

/// `onnx_overlap_computes` unless the manifest says: `scripts/inference-sweep.sh`
/// measured 40.9 / 52.7 / 53.1 req/s at c=1/4/16 with 2, 40.0 / 49.3 / 52.0
/// with 1 and 39.6 / 45.1 / 46.5 with none, peak RSS 345 / 332 / 243 MB
/// (README, Benchmarks).
const DEFAULT_OVERLAP_COMPUTES: usize = 2;

pub fn run(mut config: Config, args: UpArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let path = if args.manifest.is_absolute() { args.manifest.clone() } else { config.home.join(&args.manifest) };
    let manifest = SpinManifest::load(&path)?;
    if AppKind::of(&manifest)? == AppKind::SpinOnly {
        return run_spin_only(manifest, args, started);
    }
    glint::spin::trigger::check_grants(&manifest)?;
    let settings = manifest.glint.clone();
    if let Some(m) = settings.default_model {
        config.default_model = m;
    }
    if let Some(p) = settings.detect_plugin {
        config.detect_plugin = p;
    }
    if let Some(p) = settings.limits.max_pixels {
        config.limits.max_pixels = p;
    }
    if let Some(c) = settings.limits.max_prompt_chars {
        config.limits.max_prompt_chars = c;
    }
    if let Some(n) = settings.cache_entries {
        config.cache_entries = n;
    }
    let inference = &settings.inference;
    if let Some(n) = inference.onnx_sessions {
        config.models.onnx.sessions = n.clamp(1, 16);
    }
    config.models.onnx.intra_threads = inference.onnx_threads.map(|n| n.clamp(1, 256));
    // A server's default: a single-thread session per graph beside the pool's,
    // so inferences at once each get a core (see OnnxOptions::overlap_computes).
    config.models.onnx.overlap_computes = inference.onnx_overlap_computes.unwrap_or(DEFAULT_OVERLAP_COMPUTES).min(16);
    config.models.openvino.throughput = inference.openvino_hint == Some(glint::spin::manifest::OpenvinoHint::Throughput);
    match settings.audit {
        Some(policy) => config.audit = Some(policy),
        None => eprintln!("glint: warning: {} has no [application.tool.glint.audit]: inputs and outputs are not audited", path.display()),
    }
    let max_body = settings.limits.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY);
    config.limits.max_image_bytes = config.limits.max_image_bytes.min(max_body);
    let listen = args.listen.or(settings.listen).unwrap_or_else(|| "127.0.0.1:8080".into());

    let opening = Instant::now();
    let glint = Arc::new(Glint::open(config)?);
    eprintln!("glint: start: plugins loaded in {} ms{}", opening.elapsed().as_millis(), rss_note(glint::readiness::rss_mib()));
    // The default model version, the audit models and warm plugin instances
    // now, so the first visitor does not wait for them; a failed step is
    // reported and requests then get its error.
    for step in glint::readiness::warm_up(&glint) {
        eprintln!("glint: start: {} in {} ms ({}){}", step.what, step.ms, step.outcome, rss_note(step.rss_mib));
    }
    let app = manifest.application.name.clone();
    let routes: Vec<String> = manifest.routes.iter().map(|r| format!("{} -> {}", r.route, r.component)).collect();
    let database = args.database.or(settings.database).unwrap_or_else(|| DEFAULT_DATABASE.into());
    let session_ttl = Duration::from_secs(settings.accounts.session_hours.max(1) * 3600);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let store = Store::open(&database, &glint.config.home).await?;
        if store.admin_count().await? == 0 {
            eprintln!("glint: no admin account yet: add one with `glint users add NAME --role admin`");
        }
        let live = Arc::new(Live::new(glint.clone(), store.clone(), settings.live.clone()));
        let _watcher = if settings.live.watch { Some(glint::live::watch::start(live.clone())?) } else { None };
        let experiments = Arc::new(Experiments::open(manifest.experiments.clone(), glint.clone(), store.clone()).await?);
        for d in experiments.defs() {
            let state = experiments.state(&d.name).map(|s| format!("{:?}", s.status).to_lowercase()).unwrap_or_default();
            let arms: Vec<String> = d.arms.iter().map(|a| format!("{} ({}, weight {})", a.name, a.model, a.weight)).collect();
            eprintln!("glint: experiment {} v{} {state}: {}", d.name, d.version, arms.join(" vs "));
        }
        let accounts = Accounts { store, session_ttl, throttle: Default::default() };
        let trigger = Arc::new(HttpTrigger::new(glint, manifest, max_body, accounts, live, experiments)?);
        let listener = listen_and_announce(&listen, &app, &routes, started).await?;
        trigger.serve(listener, glint::serve::stop_signal()).await
    })
}

/// Serves a manifest of components built for stock Spin (wasi:http 0.2) as
/// `spin up` would: Spin's interfaces only, no model, no database.
fn run_spin_only(manifest: SpinManifest, args: UpArgs, started: Instant) -> anyhow::Result<()> {
    if args.database.is_some() {
        eprintln!("glint: warning: --database is ignored: components built for stock Spin get no glint database");
    }
    let listen = args.listen.or(manifest.glint.listen.clone()).unwrap_or_else(|| "127.0.0.1:3000".into());
    let max_body = manifest.glint.limits.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY);
    let app = manifest.application.name.clone();
    let routes: Vec<String> = manifest.routes.iter().map(|r| format!("{} -> {}", r.route, r.component)).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let engine = PluginEngine::new(EngineOptions::default())?;
        let trigger = Arc::new(SpinOnlyTrigger::new(engine, manifest, max_body, |k| std::env::var(k).ok())?);
        eprintln!(
            "glint: serving components built for stock Spin with Spin's interfaces only (wasi 0.2, wasi:http 0.2, \
             fermyon:spin/variables@2.0.0); no model, database or glint interface is linked; {}",
            trigger.outbound_summary().join("; ")
        );
        let listener = listen_and_announce(&listen, &app, &routes, started).await?;
        trigger.serve(listener, glint::serve::stop_signal()).await
    })
}

/// Binds `listen` and says where the app is served: the first line of stdout
/// is the address (scripts and tests read it).
async fn listen_and_announce(listen: &str, app: &str, routes: &[String], started: Instant) -> anyhow::Result<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    println!("glint: serving app {app} on http://{addr} ({})", routes.join(", "));
    eprintln!("glint: ready, {} ms after glint up began{}", started.elapsed().as_millis(), rss_note(glint::readiness::rss_mib()));
    Ok(listener)
}

/// `, RSS N MiB` for the start log (nothing where the RSS is unknown).
fn rss_note(mib: Option<u64>) -> String {
    mib.map(|m| format!(", RSS {m} MiB")).unwrap_or_default()
}
