#!/usr/bin/env bash
# Builds the third-party plugin examples in plugins/examples/ the way their
# authors would: each with its own build.sh, outside the host workspace,
# against the WIT package of this glint (`glint plugins wit`). An example
# whose .wasm is newer than all of its files is left as it is.
#
#   GLINT            the glint binary (default: target/release/glint)
#   WASM_TOOLS       default: .glint/venv/bin/wasm-tools
#   COMPONENTIZE_PY  default: .glint/venv/bin/componentize-py
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export GLINT=${GLINT:-$ROOT/target/release/glint}
export WASM_TOOLS=${WASM_TOOLS:-$ROOT/.glint/venv/bin/wasm-tools}
export COMPONENTIZE_PY=${COMPONENTIZE_PY:-$ROOT/.glint/venv/bin/componentize-py}
# Rust examples share one target folder, so std is built for wasm once.
export CARGO_TARGET_DIR=$ROOT/target/plugin-examples
mkdir -p "$ROOT/.glint/logs"
[ -x "$GLINT" ] || { echo "build-plugin-examples: $GLINT is missing: build the host first" >&2; exit 1; }

for dir in plugins/examples/*/; do
  name=$(basename "$dir")
  out=$dir$name.wasm
  "$GLINT" plugins wit "$dir/wit" >/dev/null
  if [ -f "$out" ] && [ -z "$(find "$dir" -newer "$out" -type f -not -path '*/node_modules/*' -not -path '*/target/*' -print -quit)" ]; then
    echo "$out: up to date"
    continue
  fi
  started=$(date +%s.%N)
  "$dir/build.sh" >"$ROOT/.glint/logs/plugin-example-$name.log" 2>&1 \
    || { cat "$ROOT/.glint/logs/plugin-example-$name.log" >&2; echo "build-plugin-examples: $dir/build.sh failed (above)" >&2; exit 1; }
  awk -v a="$started" -v b="$(date +%s.%N)" -v f="$out" -v n="$(stat -c %s "$out")" 'BEGIN { printf "%s: %d bytes, built in %.1f s\n", f, n, b - a }'
done
