#!/usr/bin/env bash
# A soak (a slow proof, not part of scripts/test.sh): steady mixed traffic —
# cached and uncached detections, jobs, rated results, sign-ins, calls
# through `glint gateway` to the Gradio test app, and an account's bursts
# over its rate limit — against real servers on
# loopback, sampling their RSS and open files every 10 s.
#
#   scripts/soak.sh [SECONDS] [OPERATIONS_PER_SECOND]    (default: 600 8)
#
# Result: .glint/bench/soak.json (and a summary line on stdout).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECS=${1:-600}
RATE=${2:-8}
OUT=.glint/bench; mkdir -p "$OUT"
[ -x target/release/glint ] || { echo "soak: target/release/glint is missing: run scripts/setup.sh" >&2; exit 1; }
PY=$(scripts/gradio-venv.sh)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# glint up: the shipped manifest (audit on); the guest limit off (all traffic
# comes from one address), the per-account limit at 600 a minute (burst 20):
# soak-user stays under it, soak-greedy's bursts go over it.
sed -e "s#components/target/#$ROOT/components/target/#" -e "s#source = \"samples\"#source = \"$ROOT/samples\"#" \
    -e 's/^per_minute = 120/per_minute = 600/' -e 's/^guest_per_minute = 30/guest_per_minute = 0/' spin.toml > "$work/spin.toml"
printf '%s\n' soak-password-1 | target/release/glint users add soak-user --password-stdin --database "$work/glint.db" >/dev/null
printf '%s\n' soak-password-2 | target/release/glint users add soak-greedy --password-stdin --database "$work/glint.db" >/dev/null
GLINT_LOG=warn target/release/glint --backend onnx up --listen 127.0.0.1:0 --manifest "$work/spin.toml" --database "$work/glint.db" \
  >"$work/up.out" 2>"$work/up.log" & pids+=($!); UP_PID=$!
for _ in $(seq 600); do grep -q "serving app" "$work/up.out" 2>/dev/null && break; sleep 0.1; done
UP=$(grep -o 'http://[0-9.:]*' "$work/up.out" | head -1)

# The Gradio test app behind glint gateway.
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
GRADIO_SERVER_PORT=$port "$PY" tests/gateway/gradio_app.py >"$work/app.out" 2>"$work/app.log" & pids+=($!)
for _ in $(seq 600); do grep -q "^ready" "$work/app.out" 2>/dev/null && break; sleep 0.1; done
GLINT_LOG=warn target/release/glint gateway --upstream "http://127.0.0.1:$port" --listen 127.0.0.1:0 --database "$work/gateway.db" \
  >"$work/gw.out" 2>"$work/gw.log" & pids+=($!); GW_PID=$!
for _ in $(seq 600); do grep -q "gateway on" "$work/gw.out" 2>/dev/null && break; sleep 0.1; done
GW=$(grep -o 'http://[0-9.:]*' "$work/gw.out" | head -1)

echo "soak: $SECS s at $RATE operations/s against $UP and $GW"
status=0
python3 benches/soak/soak.py "$UP" "$GW" "$UP_PID" "$GW_PID" "$SECS" "$RATE" > "$OUT/soak.json" || status=$?
python3 - "$OUT/soak.json" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
f = lambda d: f"{d['start']} / {d['max']} / {d['end']}"
print(f"soak: {s['operations']} operations in {s['seconds']} s, {s['errors']} errors {s['first_errors']}")
print(f"  by kind: {s['by_kind']}")
g = s['greedy_requests']
print(f"  the greedy account's bursts: {g['answered']} answered, {g['refused']} refused with 429 + Retry-After (intended)")
print(f"  glint up RSS MB (start / max / end): {f(s['glint_rss_mb'])}; open files: {f(s['glint_fds'])}")
print(f"  gateway RSS MB (start / max / end): {f(s['gateway_rss_mb'])}; open files: {f(s['gateway_fds'])}")
PYEOF
exit $status
