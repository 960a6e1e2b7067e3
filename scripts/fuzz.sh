#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of the parsers of glint's
# guest logic (image headers and decoders, animation frames, the tokenizers,
# model.toml, the audit's text checks, the exporters, the web app's query and
# JSON inputs), of the gateway's multipart, event-stream and Gradio-edit
# parsers (fuzz/fuzz_targets), and of the host's own (spin.toml, the route
# table, the queries and bodies the host answers, the Gradio data walker:
# fuzz/host/fuzz_targets).
# A slow proof, not part of scripts/test.sh.
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]     default: all targets, 60 s each
#
# Engine: libFuzzer through cargo-fuzz 0.13 on the stable toolchain with
# RUSTC_BOOTSTRAP=1 (cargo-fuzz's coverage flags are nightly features; this
# machine has no nightly), without a sanitizer (the code under test is safe
# Rust: what is looked for is a panic, an endless loop or a runaway
# allocation). Seeds: fuzz/seeds/TARGET (committed); the growing corpus:
# .glint/fuzz/TARGET; a crash is written to fuzz[/host]/artifacts/TARGET and ends
# the run with its input's path.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${1:-all}
SECONDS_EACH=${2:-60}
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo +stable install cargo-fuzz --locked --version 0.13.2
cd "$ROOT/fuzz"
# Two fuzz projects: fuzz/ (guest logic and the gateway's own parsers, no
# wasmtime) and fuzz/host/ (parsers inside the host's crates; its first
# instrumented build compiles wasmtime, ~15 min on 2 cores).
project_of() { if cargo +stable fuzz list --fuzz-dir host | grep -qx "$1"; then echo host; else echo .; fi; }
if [ "$TARGET" = all ]; then
  targets="$(cargo +stable fuzz list --fuzz-dir .) $(cargo +stable fuzz list --fuzz-dir host)"
  cargo +stable fuzz build --fuzz-dir . -O --sanitizer none
  cargo +stable fuzz build --fuzz-dir host -O --sanitizer none
else
  targets=$TARGET
  cargo +stable fuzz build --fuzz-dir "$(project_of "$TARGET")" -O --sanitizer none "$TARGET"
fi
summary=()
for t in $targets; do
  corpus="$ROOT/.glint/fuzz/$t"
  mkdir -p "$corpus"
  log=$(mktemp)
  echo "== $t ($SECONDS_EACH s)"
  if ! cargo +stable fuzz run --fuzz-dir "$(project_of "$t")" -O --sanitizer none "$t" "$corpus" "seeds/$t" -- \
       -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $t FOUND A CRASH (see fuzz/$(project_of "$t")/artifacts/$t)" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  corp=$(ls "$corpus" | wc -l)
  summary+=("$t: $runs executions, $cov coverage points, corpus $corp inputs, no crash")
  rm -f "$log"
done
printf '%s\n' "${summary[@]}"
