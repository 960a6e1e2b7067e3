#!/usr/bin/env bash
# The benign caller's p50/p99 with and without a storm of faulty plugin
# calls beside it, as ratios from one run (benches/faults/storm.rs). A slow
# proof, not part of scripts/test.sh.
#
#   scripts/fault-storm.sh [BENIGN_CALLS_PER_PHASE]    (default 200)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ -f tests/plugins/misbehave.wasm ] || { echo "fault-storm: run scripts/setup.sh first" >&2; exit 1; }
cargo +stable run --release --locked -q -p glint-benches --bin fault-storm -- "${1:-200}"
