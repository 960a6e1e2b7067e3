#!/usr/bin/env bash
# What a live plugin swap costs: benches/live/swap_bench.py against a `glint up`
# (ONNX Runtime, result cache off, rate limits off) in a glint folder of its
# own under .glint/bench/swap-home (plugins copied, weights linked), with
# builds of the detector made by wasm-tools (the same code, other metadata:
# other sha256s). Results: .glint/bench/swap.jsonl and stdout.
#
#   scripts/swap-bench.sh [SECONDS_PER_LOAD_PHASE]   (default 30)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECS=${1:-30}
OUT=.glint/bench; HOME_DIR=$OUT/swap-home
WT=.glint/venv/bin/wasm-tools
[ -x target/release/glint ] || cargo +stable build --release --locked
rm -rf "$HOME_DIR"; mkdir -p "$HOME_DIR/plugins" "$HOME_DIR/models" "$HOME_DIR/fresh"
cp plugins/detect.wasm plugins/audit.wasm "$HOME_DIR/plugins/"
for m in coco-grounded-v1 audit-v1; do ln -s "$ROOT/models/$m" "$HOME_DIR/models/$m"; done
ln -s "$ROOT/samples" "$HOME_DIR/samples"; ln -s "$ROOT/.glint" "$HOME_DIR/.glint"
sed -e "s|components/target/|$ROOT/components/target/|" -e "s|source = \"samples\"|source = \"$ROOT/samples\"|" \
    -e "s/^per_minute = .*/per_minute = 0/" -e "s/^guest_per_minute = .*/guest_per_minute = 0/" \
    -e "s/^detect_plugin = .*/&\ncache_entries = 0/" spin.toml >"$HOME_DIR/spin.toml"
cp plugins/detect.wasm "$HOME_DIR/detect-a.wasm"   # the server rewrites plugins/detect.wasm as it swaps
"$WT" metadata add --name glint-detect-b plugins/detect.wasm -o "$HOME_DIR/detect-b.wasm"
for i in 1 2 3; do "$WT" metadata add --name "glint-detect-fresh-$i-$RANDOM$RANDOM" plugins/detect.wasm -o "$HOME_DIR/fresh/$i.wasm"; done
TOKEN=bench-$RANDOM$RANDOM
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
GLINT_HOME=$HOME_DIR GLINT_ADMIN_TOKEN=$TOKEN GLINT_LOG=warn target/release/glint --backend onnx up --listen 127.0.0.1:0 \
  --database "$HOME_DIR/glint.db" >"$OUT/swap-up.out" 2>"$OUT/swap-up.log" & pids+=($!)
for _ in $(seq 600); do grep -q "serving app" "$OUT/swap-up.out" 2>/dev/null && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$OUT/swap-up.out" | head -1)
[ -n "$URL" ] || { echo "swap-bench: glint up did not start; see $OUT/swap-up.log" >&2; exit 1; }
python3 benches/live/swap_bench.py --url "$URL" --token "$TOKEN" --a "$HOME_DIR/detect-a.wasm" \
  --b "$HOME_DIR/detect-b.wasm" --fresh "$HOME_DIR/fresh" --seconds "$SECS" | tee "$OUT/swap.jsonl"
