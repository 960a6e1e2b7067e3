#!/usr/bin/env bash
# Added latency of `glint gateway` in front of the Gradio test app
# (tests/gateway/gradio_app.py): benches/gateway/gateway_load.py against the
# app directly and through the gateway, interleaved, for echo (text in/out)
# at concurrency 1 and 4 and for flip (image in/out) at concurrency 1; then a
# 500-piece streamed reply of tests/gateway/stream_app.py, directly and through
# a second gateway (benches/gateway/stream_bench.py).
# Results: .glint/bench/gateway.jsonl, .glint/bench/gateway-stream.jsonl, tables on stdout.
#
#   scripts/gateway-bench.sh [SECONDS_PER_TARGET]   (default 12)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECS=${1:-12}
OUT=.glint/bench; mkdir -p "$OUT"; : >"$OUT/gateway.jsonl"
PY=$(scripts/gradio-venv.sh)
[ -x target/release/glint ] || cargo +stable build --release --locked
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
GRADIO_SERVER_PORT=$port "$PY" tests/gateway/gradio_app.py >"$OUT/gateway-app.out" 2>"$OUT/gateway-app.log" & pids+=($!)
for _ in $(seq 600); do grep -q "^ready" "$OUT/gateway-app.out" 2>/dev/null && break; sleep 0.1; done
APP=http://127.0.0.1:$port
GLINT_LOG=warn target/release/glint gateway --upstream "$APP" --listen 127.0.0.1:0 --database "$OUT/gateway-audit.db" \
  >"$OUT/gateway.out" 2>"$OUT/gateway.log" & pids+=($!)
for _ in $(seq 600); do grep -q "gateway on" "$OUT/gateway.out" 2>/dev/null && break; sleep 0.1; done
GW=$(grep -o 'http://[0-9.:]*' "$OUT/gateway.out" | head -1)
for row in "echo 1" "echo 4" "flip 1"; do
  set -- $row
  "$PY" benches/gateway/gateway_load.py --direct "$APP" --gateway "$GW" --api "$1" -c "$2" -d "$SECS" | tee -a "$OUT/gateway.jsonl"
done
echo
python3 - "$OUT/gateway.jsonl" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{'api':5} {'c':>2} {'direct p50':>10} {'gateway p50':>11} {'added p50':>9} {'direct p99':>10} {'gateway p99':>11} {'added p99':>9}")
for i in range(0, len(rows), 3):
    d, g, a = rows[i:i + 3]
    print(f"{d['api']:5} {d['concurrency']:>2} {d['p50_ms']:>10} {g['p50_ms']:>11} {a['p50_ms']:>9} {d['p99_ms']:>10} {g['p99_ms']:>11} {a['p99_ms']:>9}")
PYEOF

# The streamed reply: 500 pieces, 5 ms apart.
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
GRADIO_SERVER_PORT=$port GLINT_STREAM_DELAY_MS=5 GLINT_STREAM_LOG="$OUT/stream-yields.txt" \
  "$PY" tests/gateway/stream_app.py >"$OUT/stream-app.out" 2>"$OUT/stream-app.log" & pids+=($!)
for _ in $(seq 600); do grep -q "^ready" "$OUT/stream-app.out" 2>/dev/null && break; sleep 0.1; done
SAPP=http://127.0.0.1:$port
GLINT_LOG=warn target/release/glint gateway --upstream "$SAPP" --listen 127.0.0.1:0 --database "$OUT/gateway-stream-audit.db" \
  >"$OUT/gateway-stream.out" 2>"$OUT/gateway-stream.log" & pids+=($!)
for _ in $(seq 600); do grep -q "gateway on" "$OUT/gateway-stream.out" 2>/dev/null && break; sleep 0.1; done
SGW=$(grep -o 'http://[0-9.:]*' "$OUT/gateway-stream.out" | head -1)
echo
"$PY" benches/gateway/stream_bench.py --direct "$SAPP" --gateway "$SGW" --log "$OUT/stream-yields.txt" | tee "$OUT/gateway-stream.jsonl"
