#!/usr/bin/env bash
# Load comparison: glint's /api/detect against a Gradio 5 app that wraps the
# same SSD model with onnxruntime (benches/load/gradio_app.py), at concurrency
# 1, 4 and 16, measured in the same run on this machine.
#
#   scripts/load-compare.sh [SECONDS_PER_RUN]     (default 10)
#
# glint runs with ONNX Runtime (--backend onnx, the runtime Gradio uses) and
# with its default OpenVINO; rate limits off; the result cache off (every
# request runs the model) and on (every request after the first is a hit).
# The shipped audit policy is on (its memo answers the repeated photo and
# prompt after the first request); what the audit costs is measured with
# ONNX, cache off, against the audit off and the audit with its memo off
# (every request runs the text checks and open_nsfw twice).
# Loads: oha (single-request POST, for glint) and benches/load/gradio_load.py
# (the same closed loop for both servers; Gradio's documented two-step
# /gradio_api/call API). Peak RSS is VmHWM of each server process.
# Prints a Markdown table; the raw JSON lines go to .glint/load/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECS=${1:-10}
OUT=.glint/load; mkdir -p "$OUT"
fail() { echo "load-compare: $*" >&2; exit 1; }

[ -x target/release/glint ] || fail "build glint first: scripts/setup.sh"
OHA=$(scripts/oha.sh) || fail "oha could not be installed (scripts/oha.sh)"
PY=$(scripts/gradio-venv.sh) || fail "the Gradio venv could not be made (scripts/gradio-venv.sh)"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# A manifest with the rate limits off, the given cache size and audit: on (as
# shipped), nomemo (memo_entries = 0) or off (no [application.tool.glint.audit]).
manifest() {  # $1 cache entries, $2 audit
  local audit=(-e "s/^plugin = \"audit\"$/&\nmemo_entries = 0/")
  case "$2" in on) audit=() ;; off) audit=(-e '/^\[application\.tool\.glint\.audit\]/,$d') ;; esac
  scripts/bench-manifest.sh "$1" | sed -e '' "${audit[@]}" >"$OUT/spin-cache$1-audit$2.toml"
  echo "$OUT/spin-cache$1-audit$2.toml"
}

# Starts glint up; sets URL and PID.
start_glint() {  # $1 cache entries, $2 backend, $3 audit (default on)
  local name="glint-$2-cache$1-audit${3:-on}" status=0
  local log="$OUT/$name.log" db="$OUT/$name.db" spin
  # A fresh database per server; no log of an earlier run, whose URL the
  # wait below would find before the new server truncates the file.
  rm -f "$db" "$db-wal" "$db-shm" "$log" "$log.out"
  spin=$(manifest "$1" "${3:-on}")
  target/release/glint --backend "$2" up --listen 127.0.0.1:0 --manifest "$spin" --database "$db" >"$log.out" 2>"$log" &
  PID=$!; pids+=("$PID")
  local t0=$SECONDS
  until grep -q "http://" "$log.out" 2>/dev/null; do
    kill -0 "$PID" 2>/dev/null || { wait "$PID" || status=$?; fail "glint up exited with status $status before serving: $log"; }
    [ $((SECONDS - t0)) -lt 300 ] || fail "glint up did not start in 300 s: $log"
    sleep 0.1
  done
  URL=$(grep -o 'http://[0-9.:]*' "$log.out" | head -1)
  [ $((SECONDS - t0)) -lt 30 ] || echo "load-compare: $name took $((SECONDS - t0)) s to start" >&2
}

peak_rss_mb() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

oha_run() {  # $1 url, $2 concurrency → "rps p50_ms p99_ms"
  "$OHA" -z "${SECS}s" -c "$2" -m POST -T image/png -D samples/chelsea.png --no-tui --output-format json \
    "$1/api/detect?prompt=a%20cat&threshold=0.3" >"$OUT/oha.json"
  python3 - "$OUT/oha.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
s, p = j["summary"], j["latencyPercentiles"]
codes = j.get("statusCodeDistribution", {})
bad = sum(v for k, v in codes.items() if k != "200")
print(f'{s["requestsPerSec"]:.1f} {p["p50"] * 1000:.2f} {p["p99"] * 1000:.2f} {bad}')
PY
}

py_run() {  # $@ args to gradio_load.py → "rps p50 p99 failures"
  "$PY" benches/load/gradio_load.py "$@" -d "$SECS" | tee -a "$OUT/runs.jsonl" \
    | python3 -c 'import json,sys; j=json.loads(sys.stdin.read()); print(j["rps"], j["p50_ms"], j["p99_ms"], j["failures"])'
}

rows=()
declare -A rate=()  # "server tool c" -> requests/s, for the ratios at the end
row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 |"); rate["$1 $2 $3"]=$4; }
: >"$OUT/runs.jsonl"; : >"$OUT/rss.txt"

for backend in onnx openvino; do
  start_glint 0 "$backend"
  for c in 1 4 16; do
    read -r rps p50 p99 bad < <(oha_run "$URL" "$c")
    row "glint ($backend), cache off" oha "$c" "$rps" "$p50" "$p99" "$bad"
    if [ "$backend" = onnx ]; then
      read -r rps p50 p99 bad < <(py_run --url-glint "$URL" -c "$c")
      row "glint ($backend), cache off" python "$c" "$rps" "$p50" "$p99" "$bad"
    fi
  done
  echo "glint $backend cache off: peak RSS $(peak_rss_mb "$PID") MB" >>"$OUT/rss.txt"
  kill "$PID"; wait "$PID" 2>/dev/null || true
done

for audit in off nomemo; do
  start_glint 0 onnx "$audit"
  for c in 1 4; do
    read -r rps p50 p99 bad < <(oha_run "$URL" "$c")
    row "glint (onnx), cache off, audit $audit" oha "$c" "$rps" "$p50" "$p99" "$bad"
  done
  echo "glint onnx cache off, audit $audit: peak RSS $(peak_rss_mb "$PID") MB" >>"$OUT/rss.txt"
  kill "$PID"; wait "$PID" 2>/dev/null || true
done

start_glint 256 openvino
for c in 1 4 16; do
  read -r rps p50 p99 bad < <(oha_run "$URL" "$c")
  row "glint (openvino), cache on" oha "$c" "$rps" "$p50" "$p99" "$bad"
done
echo "glint openvino cache on: peak RSS $(peak_rss_mb "$PID") MB" >>"$OUT/rss.txt"
kill "$PID"; wait "$PID" 2>/dev/null || true

GRADIO_SERVER_PORT=${GRADIO_PORT:-7861} "$PY" benches/load/gradio_app.py >"$OUT/gradio.out" 2>"$OUT/gradio.log" &
GPID=$!; pids+=("$GPID")
for _ in $(seq 600); do grep -q "^ready" "$OUT/gradio.out" 2>/dev/null && break; sleep 0.1; done
GURL=$(grep -o 'http://[0-9.:]*' "$OUT/gradio.out" | head -1) || fail "the Gradio app did not start: $OUT/gradio.log"
for c in 1 4 16; do
  read -r rps p50 p99 bad < <(py_run --url "$GURL" -c "$c")
  row "Gradio 5 (onnxruntime)" python "$c" "$rps" "$p50" "$p99" "$bad"
done
echo "gradio: peak RSS $(peak_rss_mb "$GPID") MB" >>"$OUT/rss.txt"

echo "| server | load tool | concurrency | requests/s | p50 ms | p99 ms | failed |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
cat "$OUT/rss.txt"
# The goals are ratios against Gradio in this same run: requests/s per
# concurrency (same Python client for both; oha for glint beside it) and peak RSS.
echo
for c in 1 4 16; do
  g=${rate["Gradio 5 (onnxruntime) python $c"]}
  awk -v c="$c" -v g="$g" -v py="${rate["glint (onnx), cache off python $c"]}" -v oha="${rate["glint (onnx), cache off oha $c"]}" -v ov="${rate["glint (openvino), cache off oha $c"]}" \
    'BEGIN { printf "c=%s: glint / Gradio requests/s %.2fx (onnx, python client), %.2fx (onnx, oha), %.2fx (openvino, oha)\n", c, py / g, oha / g, ov / g }'
done
gradio_mb=$(awk '/^gradio:/ { print $4 }' "$OUT/rss.txt")
awk -v g="$gradio_mb" '/^glint .*cache off: peak RSS/ { printf "peak RSS / Gradio'"'"'s: %s %.2fx\n", $2, $(NF - 1) / g }' "$OUT/rss.txt"
rm -f "$OUT/rss.txt"
