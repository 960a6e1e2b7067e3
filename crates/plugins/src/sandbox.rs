//! The WASI a plugin sees: everything denied. No preopened folders, no
//! environment or arguments, no stdio, no sockets or name lookups; the clocks
//! are frozen at zero and the random sources are a fixed-seed generator, so a
//! plugin has no way to read the time or draw entropy: given the same call it
//! gives the same answer. (Components built with componentize-py or
//! componentize-js import all of WASI p2; this is what those imports reach.)

use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder};

/// A clock that always reads zero (the epoch, for the wall clock).
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// The seed of every plugin's "random" numbers.
const SEED: u64 = 0;

/// A plugin store's WASI context.
pub fn deny_all() -> WasiCtx {
    WasiCtxBuilder::new()
        .wall_clock(FrozenClock)
        .monotonic_clock(FrozenClock)
        .secure_random(StdRng::seed_from_u64(SEED))
        .insecure_random(StdRng::seed_from_u64(SEED))
        .insecure_random_seed(u128::from(SEED))
        .allow_ip_name_lookup(false)
        .allow_tcp(false)
        .allow_udp(false)
        .build()
}
