#!/usr/bin/env bash
# The whole test suite: makes sure the installation is complete (scripts/setup.sh,
# idempotent, ~20 s when nothing changed), then runs every test on the real
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

log=$(mktemp)
trap 'rm -f "$log"; scripts/postgres.sh stop' EXIT

echo "== a PostgreSQL server on loopback for the store tests (scripts/postgres.sh)"
GLINT_TEST_POSTGRES=$(scripts/postgres.sh start)
export GLINT_TEST_POSTGRES

echo "== Gradio 5 and Gradio 4 in venvs, for the gateway tests (scripts/gradio-venv.sh)"
GLINT_GRADIO_PYTHON=$(scripts/gradio-venv.sh 5)
GLINT_GRADIO4_PYTHON=$(scripts/gradio-venv.sh 4)
export GLINT_GRADIO_PYTHON GLINT_GRADIO4_PYTHON

echo "== guest logic, natively (components/detect-core, audit-core, export-core, ab-core, the web app's input parsing)"
cargo +stable test --locked --manifest-path components/Cargo.toml -p glint-detect-core -p glint-audit-core -p glint-export-core -p glint-ab-core -p glint-web 2>&1 | tee -a "$log"

echo "== host, CLI and integration tests (real weights, real components, wasi-nn)"
cargo +stable test --release --locked --workspace "${extra[@]}" 2>&1 | tee -a "$log"

echo "== the demo UI in chromium (tests/browser, playwright-core)"
node --test --test-reporter=tap tests/browser/ 2>&1 | tee -a "$log"

# One closing line for the whole suite (cargo prints one per test binary,
# node's TAP reporter '# pass N' / '# fail N').
awk '/^test result:/ { p += $4; f += $6 } /^# pass / { p += $3 } /^# fail / { f += $3 }
     END { printf "tests: %d passed, %d failed\n", p, f; exit (f > 0) }' "$log"
