#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of the parsers of glint's
# guest logic (image headers and decoders, animation frames, the tokenizers,
# model.toml, the audit's text checks, the exporters) and of the gateway's
# multipart, event-stream and Gradio-edit parsers (fuzz/fuzz_targets).
# A slow proof, not part of scripts/test.sh.
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]     default: all targets, 60 s each
#
# Engine: libFuzzer through cargo-fuzz 0.13 on the stable toolchain with
# RUSTC_BOOTSTRAP=1 (cargo-fuzz's coverage flags are nightly features; this
# machine has no nightly), without a sanitizer (the code under test is safe
# Rust: what is looked for is a panic, an endless loop or a runaway
# allocation). Seeds: fuzz/seeds/TARGET (committed); the growing corpus:
# .glint/fuzz/TARGET; a crash is written to fuzz/artifacts/TARGET and ends
# the run with its input's path.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${1:-all}
SECONDS_EACH=${2:-60}
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo +stable install cargo-fuzz --locked --version 0.13.2
cd "$ROOT/fuzz"
if [ "$TARGET" = all ]; then targets=$(cargo +stable fuzz list); else targets=$TARGET; fi
cargo +stable fuzz build -O --sanitizer none $([ "$TARGET" = all ] || echo "$TARGET")
summary=()
for t in $targets; do
  corpus="$ROOT/.glint/fuzz/$t"
  mkdir -p "$corpus"
  log=$(mktemp)
  echo "== $t ($SECONDS_EACH s)"
  if ! cargo +stable fuzz run -O --sanitizer none "$t" "$corpus" "seeds/$t" -- \
       -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $t FOUND A CRASH (see fuzz/artifacts/$t)" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  corp=$(ls "$corpus" | wc -l)
  summary+=("$t: $runs executions, $cov coverage points, corpus $corp inputs, no crash")
  rm -f "$log"
done
printf '%s\n' "${summary[@]}"
