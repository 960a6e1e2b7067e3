#!/usr/bin/env bash
# What one request costs glint up beyond HTTP, measured with oha at
# concurrency 1 against one server in one run (rate limits off, result
# cache on, the shipped audit policy on, OpenVINO):
#
#   scripts/request-cost.sh [SECONDS_PER_ROW]     (default 5)
#
# rows: a path no route serves (404 from the gate: HTTP, the request id, the
# gate, the access log; the baseline), a route the host answers itself
# (GET /api/exports), two routes of the web component (GET /app.js: a fresh
# store and instance from ServicePre plus a static answer; GET /api/session:
# the same plus one platform call), and a cached detection of chelsea.png
# (the component, the audit memo, the cache, the audit log written). Each
# row's p50 minus the baseline's is what that route adds. Prints a Markdown
# table; oha's JSON goes to .glint/request-cost/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECS=${1:-5}
OUT=.glint/request-cost; mkdir -p "$OUT"
fail() { echo "request-cost: $*" >&2; exit 1; }

[ -x target/release/glint ] || fail "build glint first: scripts/setup.sh"
OHA=$(scripts/oha.sh) || fail "oha could not be installed (scripts/oha.sh)"

# shellcheck source=lib/bench-server.sh
. scripts/lib/bench-server.sh
start_bench_server
# The detection the cached row repeats, once, so every timed request is a hit.
curl -sf -X POST --data-binary @samples/chelsea.png "$URL/api/detect?prompt=a%20cat" >/dev/null || fail "the first detection failed"

run() {  # $1 name, $2 expected status, oha args… → "name p50_us p99_us rps"
  local name=$1 code=$2; shift 2
  "$OHA" -z "${SECS}s" -c 1 --no-tui --output-format json "$@" >"$OUT/$name.json"
  python3 - "$OUT/$name.json" "$name" "$code" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
codes = j.get("statusCodeDistribution", {})
bad = sum(v for k, v in codes.items() if k != sys.argv[3])
if bad:
    sys.exit(f"{sys.argv[2]}: {bad} answers were not {sys.argv[3]}: {codes}")
p = j["latencyPercentiles"]
print(sys.argv[2], round(p["p50"] * 1e6), round(p["p99"] * 1e6), round(j["summary"]["requestsPerSec"]))
PY
}

rows=()
rows+=("$(run gate-404 404 "$URL/no/such/page")")
rows+=("$(run host-exports 200 "$URL/api/exports")")
rows+=("$(run web-app-js 200 "$URL/app.js")")
rows+=("$(run web-session 200 "$URL/api/session")")
rows+=("$(run detect-cached 200 -m POST -T image/png -D samples/chelsea.png "$URL/api/detect?prompt=a%20cat")")

base=$(echo "${rows[0]}" | awk '{print $2}')
echo "| request | p50 µs | p99 µs | requests/s | p50 over the 404 µs |"
echo "|---|---|---|---|---|"
for r in "${rows[@]}"; do
  read -r name p50 p99 rps <<<"$r"
  echo "| $name | $p50 | $p99 | $rps | $((p50 - base)) |"
done
echo "glint up peak RSS: $(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$BENCH_SERVER_PID/status") MB"
