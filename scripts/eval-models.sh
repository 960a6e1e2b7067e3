#!/usr/bin/env bash
# Evaluates the detector model versions side by side on the bundled photos:
# hits / misses / false positives for a fixed list of 30 phrases, and latency
# p50 (client-side, through `glint up` on loopback, result cache off, same run).
#
#   scripts/eval-models.sh [VERSION...]     default: coco-grounded-v1 broad-v1
#
# Prints a Markdown table (the README's) and writes .glint/eval/report.json.
# Not part of the test suite: a measurement, run by hand after scripts/setup.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=.glint/eval; mkdir -p "$OUT"
fail() { echo "eval-models: $*" >&2; exit 1; }
[ -x target/release/glint ] || fail "build glint first: scripts/setup.sh"
versions=("$@"); [ ${#versions[@]} -gt 0 ] || versions=(coco-grounded-v1 broad-v1)

scripts/bench-manifest.sh 0 >"$OUT/spin.toml"
rm -f "$OUT/glint.db" "$OUT/glint.db-wal" "$OUT/glint.db-shm" "$OUT/up.out"
target/release/glint up --listen 127.0.0.1:0 --manifest "$OUT/spin.toml" --database "$OUT/glint.db" >"$OUT/up.out" 2>"$OUT/up.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 600); do grep -q "http://" "$OUT/up.out" 2>/dev/null && break; kill -0 $PID || fail "glint up exited: $OUT/up.log"; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$OUT/up.out" | head -1)
[ -n "$URL" ] || fail "glint up did not start in 60 s: $OUT/up.log"
echo "glint $(target/release/glint --version 2>/dev/null | awk '{print $2}'), $(nproc) cores, $(date -u +%Y-%m-%d)"
python3 scripts/eval-models.py "$URL" "$OUT/report.json" "${versions[@]}"
