//! The wasmtime engine every plugin runs on: pooling allocator, epoch-based
//! deadlines, a memory cap per store, and an on-disk cache of compiled
//! components so a restart does not recompile (see [`compiled_cache`]).

pub mod compiled_cache;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::compiled_cache::CompiledCache;

/// Of each pooled linear memory, how much may stay resident between
/// instances (see `PluginEngine::new`); it bounds what idle slots add to RSS.
pub const KEEP_RESIDENT_BYTES: usize = 2 << 20;

/// How often the epoch advances; deadlines are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Linear memory cap of one plugin instance.
    pub max_memory_bytes: usize,
    /// Component instances alive at once (pool slots): plugins' and app
    /// components' together; see [`EngineOptions::app_instances`].
    pub max_instances: u32,
    /// Wall-clock deadline of one plugin call.
    pub call_deadline: Duration,
    /// Where compiled components are cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// The cache's size limit; past it the least recently used files go.
    pub cache_max_bytes: u64,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            max_memory_bytes: 512 << 20,
            max_instances: 64,
            call_deadline: Duration::from_secs(30),
            cache_dir: default_cache_dir(),
            cache_max_bytes: crate::compiled_cache::DEFAULT_MAX_BYTES,
        }
    }
}

impl EngineOptions {
    /// App-component instances (one per HTTP request being served) alive at
    /// once: half the pool. A request past it waits for one to end, so
    /// requests at once can never take the slots the plugins they call need
    /// (up to 4 idle instances per plugin, plus the calls running).
    pub fn app_instances(&self) -> usize {
        (self.max_instances / 2).max(1) as usize
    }

    /// The bound of [`EngineOptions::app_instances`], shared by a trigger's requests.
    pub fn app_instance_permits(&self) -> std::sync::Arc<tokio::sync::Semaphore> {
        std::sync::Arc::new(tokio::sync::Semaphore::new(self.app_instances()))
    }
}

/// `$GLINT_CACHE/compiled`, or `~/.cache/glint/compiled`.
fn default_cache_dir() -> Option<PathBuf> {
    Some(glint_common::cache_home::cache_home()?.join("compiled"))
}

/// Whether a component came from the compiled cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheOutcome {
    Hit,
    Miss,
    Disabled,
}

pub struct PluginEngine {
    pub engine: Engine,
    pub options: EngineOptions,
}

impl PluginEngine {
    pub fn new(options: EngineOptions) -> anyhow::Result<PluginEngine> {
        let mut pool = PoolingAllocationConfig::default();
        let n = options.max_instances.max(1);
        pool.total_component_instances(n)
            .total_core_instances(n * 16)
            .total_memories(n * 2)
            .total_tables(n * 8)
            .max_core_instances_per_component(32)
            .max_memories_per_component(2)
            .max_tables_per_component(16)
            .max_memory_size(options.max_memory_bytes)
            // A slot handed back is reset by rewriting only the pages the
            // instance dirtied, up to this much (PAGEMAP_SCAN, Linux 6.7+),
            // instead of unmapping them: the next instance then takes no page
            // faults and no TLB shootdown. Past it, pages are given back.
            .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
            .table_keep_resident(64 << 10)
            .pagemap_scan(wasmtime::Enabled::Auto);
        let mut config = Config::new();
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        if std::env::var_os("GLINT_WASM_PERFMAP").is_some_and(|v| v == "1") {
            // /tmp/perf-<pid>.map names the plugins' compiled functions for `perf report`.
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config).map_err(|e| anyhow::anyhow!("cannot create the wasmtime engine: {e}"))?;
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("glint-epoch".into())
            .spawn(move || {
                while let Some(engine) = weak.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })
            .context("cannot start the epoch thread")?;
        Ok(PluginEngine { engine, options })
    }

    /// Deadline of one call in epoch ticks.
    pub fn deadline_ticks(&self) -> u64 {
        (self.options.call_deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
    }

    /// Compiles `wasm`, or loads the cached compilation of the same bytes.
    pub fn compile(&self, wasm: &[u8]) -> anyhow::Result<(Component, CacheOutcome)> {
        let Some(dir) = &self.options.cache_dir else {
            return Ok((Component::new(&self.engine, wasm)?, CacheOutcome::Disabled));
        };
        let cache = CompiledCache { dir: dir.clone(), max_bytes: self.options.cache_max_bytes };
        let mut h = DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut h);
        let key = format!("{}-{:016x}", hex::encode(Sha256::digest(wasm)), h.finish());
        if let Some(bytes) = cache.read(&key) {
            // SAFETY: the cache holds only files this function wrote with
            // `Engine::precompile_component`, keyed by the exact input bytes
            // and the engine's compatibility hash; wasmtime checks the header.
            match unsafe { Component::deserialize(&self.engine, &bytes) } {
                Ok(c) => return Ok((c, CacheOutcome::Hit)),
                Err(e) => tracing::warn!("ignoring unusable compiled cache entry {key}: {e}"),
            }
        }
        let bytes = self.engine.precompile_component(wasm)?;
        // SAFETY: `bytes` was produced just above by this engine.
        let component = unsafe { Component::deserialize(&self.engine, &bytes)? };
        cache.write(&key, &bytes);
        Ok((component, CacheOutcome::Miss))
    }
}
