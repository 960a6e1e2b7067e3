#!/usr/bin/env bash
# The whole test suite: makes sure the installation is complete (scripts/setup.sh,
# idempotent, seconds when nothing changed), then runs every test on the real
# models, components and runtimes.
#
#   scripts/test.sh            everything
#   scripts/test.sh -- ARGS    passes ARGS to the host workspace's `cargo test`
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
extra=()
[ "${1:-}" = "--" ] && { shift; extra=("$@"); }

scripts/setup.sh --no-demo

echo "== guest logic, natively (components/detect-core)"
cargo +stable test --locked --manifest-path components/Cargo.toml -p glint-detect-core

echo "== host, CLI and integration tests (real weights, real components, wasi-nn)"
cargo +stable test --release --locked --workspace "${extra[@]}"
