#!/usr/bin/env bash
# How inferences should share the 2 cores: uncached /api/detect (chelsea.png,
# "a cat"; result cache off, rate limits off, the shipped audit on) under oha
# at concurrency 1, 4 and 16, for each [application.tool.glint.inference]
# setting: ONNX Runtime's single-thread sessions for overlapping inferences,
# its sessions × intra-op threads, and OpenVINO's latency and throughput
# hints. One glint up per setting, all in one run; peak RSS is
# VmHWM of each server.
#
#   scripts/inference-sweep.sh [SECONDS_PER_RUN]     (default 8)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECS=${1:-8}
OUT=.glint/inference-sweep; mkdir -p "$OUT"
fail() { echo "inference-sweep: $*" >&2; exit 1; }
[ -x target/release/glint ] || fail "build glint first: scripts/setup.sh"
OHA=$(scripts/oha.sh) || fail "oha could not be installed (scripts/oha.sh)"

PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; wait 2>/dev/null || true' EXIT

# $1 name, $2 backend, $3… lines for [application.tool.glint.inference]
run_setting() {
  local name=$1 backend=$2; shift 2
  local manifest="$OUT/$name.toml" db="$OUT/$name.db"
  scripts/bench-manifest.sh 0 >"$manifest"
  printf '\n[application.tool.glint.inference]\n' >>"$manifest"
  for line in "$@"; do echo "$line" >>"$manifest"; done
  rm -f "$db" "$db-wal" "$db-shm" "$OUT/$name.out"
  target/release/glint --backend "$backend" up --listen 127.0.0.1:0 --manifest "$manifest" --database "$db" \
    >"$OUT/$name.out" 2>"$OUT/$name.log" &
  PID=$!
  for _ in $(seq 600); do grep -q "http://" "$OUT/$name.out" 2>/dev/null && break; kill -0 $PID || fail "glint up exited: $OUT/$name.log"; sleep 0.1; done
  local url; url=$(grep -o 'http://[0-9.:]*' "$OUT/$name.out" | head -1)
  curl -sf -o /dev/null -X POST --data-binary @samples/chelsea.png "$url/api/detect?prompt=a%20cat" || fail "$name: the first detection failed"
  local cells=()
  for c in 1 4 16; do
    "$OHA" -z "${SECS}s" -c "$c" -m POST -T image/png -D samples/chelsea.png --no-tui --output-format json \
      "$url/api/detect?prompt=a%20cat" >"$OUT/$name-c$c.json"
    cells+=("$(python3 - "$OUT/$name-c$c.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
codes = j.get("statusCodeDistribution", {})
if any(k != "200" for k in codes):
    sys.exit(f"answers other than 200: {codes}")
print(f'{j["summary"]["requestsPerSec"]:.1f} / {j["latencyPercentiles"]["p50"] * 1000:.0f}')
PY
)")
  done
  local rss; rss=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$PID/status")
  kill $PID; wait $PID 2>/dev/null || true; PID=
  local label="${*:-defaults}"
  echo "| $backend | ${label//$'\n'/, } | ${cells[0]} | ${cells[1]} | ${cells[2]} | $rss |"
}

echo "| backend | setting | c=1 req/s / p50 ms | c=4 | c=16 | peak RSS MB |"
echo "|---|---|---|---|---|---|"
run_setting onnx-1x2 onnx
run_setting onnx-overlap0 onnx "onnx_overlap_computes = 0"
run_setting onnx-overlap1 onnx "onnx_overlap_computes = 1"
run_setting onnx-2x1 onnx "onnx_sessions = 2" "onnx_threads = 1" "onnx_overlap_computes = 0"
run_setting onnx-2x2 onnx "onnx_sessions = 2" "onnx_threads = 2" "onnx_overlap_computes = 0"
run_setting onnx-1x1 onnx "onnx_sessions = 1" "onnx_threads = 1" "onnx_overlap_computes = 0"
run_setting openvino-latency openvino
run_setting openvino-throughput openvino 'openvino_hint = "throughput"'
